-- Statistics: writes must not slow down as a fresh ledger grows, whatever the database's maintenance settings.
--
-- Rules: none. Nothing refreshes the planner's statistics on PGlite (no autovacuum) or on a server with
-- autovacuum off, and a plan made on a ledger of a few rows keeps reading more as it grows (the commit check's
-- predecessor lookup read the committee's whole ledger for every entry). soquy_refresh_statistics() ANALYZEs the
-- table of this schema that has grown most, once it has doubled in pages since its statistics (never analyzed
-- counts as 0) and has 8 pages or more, and returns its name (null: nothing to do). One table a call, so writes
-- queued on PGlite's one connection go between two; an advisory lock lets one service process at a time do it.
-- The service calls it every few seconds off the write path (src/db/statistics.ts). ANALYZE is the table owner's
-- (on PostgreSQL 15 a non-owner's is silently skipped), so it runs as its owner; a tenth of the default sample is
-- enough for the plans it keeps healthy, and each ANALYZE ten times shorter.
--
-- SQLSTATEs: none.

create or replace function soquy_refresh_statistics() returns text
  language plpgsql security definer set search_path = public, pg_temp set default_statistics_target = 10
as $$
  declare
    t record;
  begin
    -- Several service processes call this: one refreshes, the others go on.
    if not pg_try_advisory_xact_lock(7310000032) then
      return null;
    end if;
    -- One table a call, the most grown first: on PGlite every ANALYZE holds the only connection.
    select n.nspname, c.relname into t
      from pg_class c join pg_namespace n on n.oid = c.relnamespace,
        lateral (select pg_relation_size(c.oid) / current_setting('block_size')::bigint as pages) s
      where n.nspname = current_schema() and c.relkind = 'r' and c.relowner = (select r.oid from pg_roles r where r.rolname = current_user)
        and s.pages >= greatest(8, 2 * c.relpages::bigint)
      order by s.pages::float8 / greatest(c.relpages, 1) desc, c.relname
      limit 1;
    if not found then
      return null;
    end if;
    execute format('analyze %I.%I', t.nspname, t.relname);
    return t.relname::text;
  end $$;

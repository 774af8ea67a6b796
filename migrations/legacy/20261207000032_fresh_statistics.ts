import type { Knex } from "knex";
import { keyLookupPlans } from "./20261201000013_key_lookup_plans.js";
import { pinnedSearchPath } from "./20261201000017_pinned_search_path.js";

// Writes must not slow down as a fresh ledger grows, whatever the database's maintenance settings.
//
// Nothing refreshes the planner's statistics on PGlite (no autovacuum) or on a server with autovacuum
// off. A session plans the write functions' queries the first time it runs them, on a ledger of a few
// rows, and keeps those plans until an ANALYZE of their tables invalidates them. Measured from an empty
// ledger (bench: BENCH_GROWTH, GROWTH_READS=1, GROWTH_AUTO_EXPLAIN), index rows read per donation:
// - soquy_check_entries' lookup of each entry's predecessor (committee_id, seq - 1): its generic plan,
//   made on an empty table, takes journal_entries_committee_date by committee_id alone and filters on
//   seq, reading the committee's whole ledger for every entry: 1,570 → 3,840 → 6,020 rows per donation
//   over three 10 s windows (3,800 → 8,800 entries); enable_seqscan = off (migration 0013) cannot help,
//   both indexes lead with committee_id, and only statistics tell the planner which one is a probe;
// - soquy_batch_context's lookup of the batch's stored idempotency keys: the primary key by its
//   committee prefix, every key the committee ever stored hashed for each batch (86 → 302 rows per
//   donation, ~20 ms a batch at 4,000 entries).
// The rate fell 344 → 252 → 189 donations/s meanwhile; after one ANALYZE, 75 and 5 rows, 515/s.
//
// 1. soquy_refresh_statistics() ANALYZEs a table of the ledger's schema that has doubled in pages
//    since its statistics were taken (relpages, which ANALYZE sets; never analyzed counts as 0), once
//    it has 8 pages (64 kB) or more, and returns its name (null: nothing to do). One table a call, so
//    the writes queued on PGlite's one connection go between two. The service calls it every few
//    seconds, and again while it finds work, off the write path
//    (src/db/statistics.ts); the state it decides on is the database's own (pg_class and the files'
//    sizes), so several service processes agree, and an advisory lock lets one of them at a time do
//    the work. Doubling keeps the ANALYZEs to a few dozen over a table's life, each reading at most
//    its sample of 30,000 rows; between two, the planner scales the row count by the pages it finds.
//    ANALYZE is the table owner's: on PostgreSQL 15 a role that does not own a table gets a warning
//    and nothing done. The function runs as its owner (SECURITY DEFINER, the role migrations run as)
//    with its search path pinned, so it keeps working when the service runs as a role of its own.
//    Anyone may call it: it refreshes only what has grown, so calling it more often costs a look at
//    pg_class and nothing else.
// 2. The batch's lookup of stored idempotency keys is a probe per key (as its bank-reference lookup
//    already was), so its plan no longer depends on statistics at all.

const refreshSql = `create function soquy_refresh_statistics() returns text language plpgsql volatile security definer as $$
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
  end $$`;

const batchContext = (stored: string) => `create or replace function soquy_batch_context(p_committee bigint, p json) returns json language plpgsql stable as $$
  begin
    return json_build_object(
      'head', (select json_build_array(seq, hash) from journal_entries where committee_id = p_committee order by seq desc limit 1),
      'closed', (select max(through_date) from period_closes where committee_id = p_committee),
      'stored', ${stored},
      'refs', (select coalesce(json_agg(json_build_array(d.bank_account, d.bank_reference)), '[]')
        from json_to_recordset(p->'refs') as x(a text, r text)
        cross join lateral (select bank_account, bank_reference from donations
          where committee_id = p_committee and coalesce(bank_account, '') = x.a and bank_reference = x.r and bank_reference is not null
          limit 1) d),
      'vouchers', (select coalesce(json_agg(json_build_array(b.series, x.year, b.id, b.code,
          coalesce((select max(v.number) from vouchers v where v.book_id = b.id and v.year = x.year), 0))), '[]')
        from json_to_recordset(p->'vouchers') as x(series text, year int)
        join receipt_books b on b.committee_id = p_committee and b.series = x.series and b.code = x.series));
  end $$`;

const storedJoin = `(select coalesce(json_agg(json_build_array(k.key, k.request_hash, k.response)), '[]')
        from json_array_elements_text(p->'keys') as x(key)
        join idempotency_keys k on k.committee_id = p_committee and k.key = x.key)`;
const storedProbe = `(select coalesce(json_agg(json_build_array(k.key, k.request_hash, k.response)), '[]')
        from json_array_elements_text(p->'keys') as x(key)
        cross join lateral (select key, request_hash, response from idempotency_keys
          where committee_id = p_committee and key = x.key limit 1) k)`;

async function replaceBatchContext(knex: Knex, stored: string): Promise<void> {
  await knex.raw(batchContext(stored));
  // CREATE OR REPLACE drops a function's settings: put back migration 0013's and 0017's.
  await keyLookupPlans(knex, "soquy_batch_context(bigint, json)");
  await pinnedSearchPath(knex, "soquy_batch_context(bigint, json)");
}

export async function up(knex: Knex): Promise<void> {
  await knex.raw(refreshSql);
  await pinnedSearchPath(knex, "soquy_refresh_statistics()");
  // The plans it keeps healthy need the tables' sizes and rough distributions, not fine histograms: a
  // tenth of the default sample makes each ANALYZE ten times shorter, and on the embedded default an
  // ANALYZE holds the only connection while write batches wait behind it.
  await knex.raw("alter function soquy_refresh_statistics() set default_statistics_target = 10");
  await replaceBatchContext(knex, storedProbe);
}

export async function down(knex: Knex): Promise<void> {
  await replaceBatchContext(knex, storedJoin);
  await knex.raw("drop function soquy_refresh_statistics()");
}

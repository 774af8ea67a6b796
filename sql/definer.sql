-- Privileges: every trigger function of the schema runs as its owner, with a pinned search_path.
--
-- Rules:
-- - The service may run as a role that owns nothing (src/db/privileges.ts, `cli db grant`): it cannot write the
--   tables the ledger keeps itself nor lock rows it may not update. The trigger functions that keep them run as
--   the schema's owner (SECURITY DEFINER). Trigger functions take no arguments and cannot be called except by their
--   triggers, so the role gains no power it could use at will, and the guards still refuse any write not made by a
--   trigger.
-- - The search path of every ledger function is fixed to public, then pg_temp (named, so it comes last): a
--   temporary table of the same name as a ledger table cannot stand in for it inside a rule.
-- Each rule file already says so of its own functions; this statement is the net under them, run after every
-- migration (src/db/connect.ts migrate) and by `db grant`, so a trigger function added later is covered too. It
-- changes only what is not yet so: running it again changes nothing.
--
-- SQLSTATEs: none.

do $$
  declare f regprocedure;
  begin
    for f in select p.oid::regprocedure from pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.prorettype = 'trigger'::regtype
        and (not p.prosecdef or not coalesce(p.proconfig, '{}') @> array['search_path=public, pg_temp'])
    loop
      execute format('alter function %s security definer set search_path = public, pg_temp', f);
    end loop;
  end $$;

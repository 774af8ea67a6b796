import type { Knex } from "knex";

// Two ways a writer with plain INSERT/UPDATE/DELETE rights could get past the
// ledger's own checks (found in review, both shown in SQL first):
//
// 1. Shadowing. The trigger functions named tables without a schema, so a
//    temporary table of the same name (pg_temp comes first in a session's
//    search path unless it is named) stood in for the real one inside them:
//    a temporary copy of `accounts` claiming another committee's cash account
//    let a posting take money from it, and a temporary `journal_entries` let
//    postings be added to a committed entry. Foreign keys had pointed at the
//    real tables; the statement checks that replaced them and the older rule
//    triggers did not. Every plpgsql function of the ledger now runs with the
//    search path fixed to its own schema, then pg_temp last. (SQL functions
//    keep none, so they still inline; they run inside these.)
// 2. The queue of commit checks (pending_entry_checks) is written only by the
//    ledger's triggers, told apart by trigger depth — which a session's own
//    trigger on a temporary table also reaches. Each queued row's deferred
//    check runs on the ids the row was inserted with, and cannot be withdrawn,
//    so inserting or deleting queued rows gains nothing; but a queued row that
//    could be UPDATEd would change which entries a later statement finds
//    already queued (migration 0011). Queued rows are never updated now, by
//    anyone.
//
// A function created or replaced after this migration must set the same
// search path (pinnedSearchPath below) or it reopens the first hole.

async function ledgerFunctions(knex: Knex): Promise<{ fn: string; schema: string }[]> {
  const { rows } = await knex.raw(`select p.oid::regprocedure::text as fn, n.nspname as schema
    from pg_proc p join pg_namespace n on n.oid = p.pronamespace join pg_language l on l.oid = p.prolang
    where n.nspname = current_schema() and l.lanname = 'plpgsql' and p.proname like 'soquy\\_%'
    order by 1`);
  return rows;
}

/** The search path a ledger function runs with: its own schema, then pg_temp (named, so it comes last). */
export async function pinnedSearchPath(knex: Knex, fn: string): Promise<void> {
  const { rows } = await knex.raw("select quote_ident(current_schema()) as s");
  await knex.raw(`alter function ${fn} set search_path = ${rows[0].s}, pg_temp`);
}

const guard = (updates: boolean) => `create or replace function soquy_guard_pending_checks() returns trigger language plpgsql as $$
  begin
    if ${updates ? "" : "TG_OP = 'UPDATE' or "}pg_trigger_depth() < 2 then
      raise exception using errcode = 'SQ010',
        message = 'pending_entry_checks is kept by the ledger itself and cannot be written directly';
    end if;
    return case when TG_OP = 'DELETE' then OLD else NEW end;
  end $$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(guard(false));
  for (const { fn } of await ledgerFunctions(knex)) await pinnedSearchPath(knex, fn);
}

export async function down(knex: Knex): Promise<void> {
  for (const { fn } of await ledgerFunctions(knex)) await knex.raw(`alter function ${fn} reset search_path`);
  await knex.raw(guard(true));
}

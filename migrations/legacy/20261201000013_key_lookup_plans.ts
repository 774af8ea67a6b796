import type { Knex } from "knex";
import { checkEntriesSql } from "./20261122000007_batch_writes.js";

// The write path's SQL looks rows up by key, and its plans must not depend on
// how small the tables were when a session first planned them.
//
// A trigger function's queries are planned once per session and kept. A plan
// made while a table is small (a new committee, the first minutes of a Tết
// burst, a ledger a bulk import is growing) scans it, and keeps scanning it as
// it grows until the next ANALYZE invalidates the plan: measured under load,
// the voucher gap check scanned vouchers for every voucher, and the balance
// trigger scanned journal_entries for every batch, each costing more with
// every entry. These functions only ever fetch rows by key (an entry by id, a
// voucher by book/year/number, the postings of an entry), so they are run
// with sequential scans priced out: the planner takes the index whatever the
// statistics say, and a table of a few rows is probed by index just as fast.
// Functions that read whole tables (verify, statements, public figures
// recomputed from the ledger) are not among them.
//
// One subquery of the commit check is restated so that it stays a probe: the
// planner turned `not exists (postings of this entry on the expected account)`
// into a hashed subplan over every posting of the ledger, built again at every
// commit (~8 ms a batch at 10,000 entries, growing). A scalar subquery with
// LIMIT is never hashed: it looks up the entry's postings by key.
const hashedExists = `not exists (
            select 1 from postings p join accounts a on a.id = p.account_id
            where p.entry_id = e.id and a.campaign_id = e.campaign_id and p.amount_dong = -ps.amount
              and a.role = case
                when d.entry_id is not null then 'income'
                else case b.method when 'in_kind' then 'goods' else b.method end
              end)`;
const probe = `(
            select 1 from postings p join accounts a on a.id = p.account_id
            where p.entry_id = e.id and a.campaign_id = e.campaign_id and p.amount_dong = -ps.amount
              and a.role = case
                when d.entry_id is not null then 'income'
                else case b.method when 'in_kind' then 'goods' else b.method end
              end
            limit 1) is null`;

// soquy_entry_hash was declared immutable while it calls convert_to, which is only stable: PostgreSQL
// then never inlines it, and each call ran as a query of its own (~22 µs, against ~3 µs for the SHA-256
// itself). Declared stable, as its body is, it inlines into the commit check and into verify.
const hashFunction = "soquy_entry_hash(text, text)";

function restate(from: string, to: string): string {
  const [head, ...rest] = checkEntriesSql.split(from);
  if (rest.length !== 1) throw new Error("migration 0013: the subquery to restate appears once in soquy_check_entries");
  return `${head!.replace("create function", "create or replace function")}${to}${rest[0]}`;
}

/** soquy_check_entries as this migration leaves it (exported: migration 0014 puts it back on the way down). */
export const restatedCheckEntriesSql = restate(hashedExists, probe);

/** The settings the commit check runs with: migration 0007's plan cache mode, and those of keyLookupPlans. */
export async function checkEntriesSettings(knex: Knex, on: boolean): Promise<void> {
  // CREATE OR REPLACE drops a function's settings: each replacement puts them back.
  await knex.raw("alter function soquy_check_entries(uuid[]) set plan_cache_mode = force_generic_plan");
  if (on) await keyLookupPlans(knex, "soquy_check_entries(uuid[])");
}

/** A key-lookup function's plans: sequential scans priced out, and no JIT. */
export async function keyLookupPlans(knex: Knex, fn: string): Promise<void> {
  await knex.raw(`alter function ${fn} set enable_seqscan = off`);
  // A scan that has no index to take instead (a transition table's queue) is still priced out, and its
  // inflated cost would cross jit_above_cost: JIT-compiling a query of a few rows took ~230 ms.
  await knex.raw(`alter function ${fn} set jit = off`);
}

const keyLookups = [
  "soquy_batch_context(bigint, json)",
  "soquy_append_entries(bigint, json, json, json, json, json, json, json, json, json)",
  "soquy_apply_balances()",
  "soquy_check_voucher()",
  "soquy_run_entry_checks()",
  "soquy_check_entries(uuid[])",
  "soquy_check_verification()",
  "soquy_mark_verified()",
  "soquy_publish_number()",
  "soquy_publish_figures()",
  ...["journal_entries", "postings", "vouchers", "donations", "entry_items", "disbursements", "idempotency_keys", "donors",
    "beneficiaries", "bank_lines", "audit_log"].map((t) => `soquy_check_new_${t}()`),
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(restatedCheckEntriesSql);
  await checkEntriesSettings(knex, false);
  await knex.raw(`alter function ${hashFunction} stable`);
  for (const fn of keyLookups) await keyLookupPlans(knex, fn);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(restate(hashedExists, hashedExists));
  await checkEntriesSettings(knex, false);
  await knex.raw(`alter function ${hashFunction} immutable`);
  for (const fn of keyLookups) {
    await knex.raw(`alter function ${fn} reset enable_seqscan`);
    await knex.raw(`alter function ${fn} reset jit`);
  }
}

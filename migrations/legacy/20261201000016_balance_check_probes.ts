import type { Knex } from "knex";
import { applyBalancesSql } from "./20261122000002_ledger_rules.js";
import { keyLookupPlans } from "./20261201000013_key_lookup_plans.js";

// The balance trigger looks each new posting's entry up by id. It joined the
// statement's postings with journal_entries, and the planner hashed that join
// over a full index scan of every entry of the ledger (sequential scans being
// priced out since migration 0013): ~5 ms a batch at 5,000 entries, more with
// every entry. A correlated subquery is a probe of the primary key per posting.

const joined = `select np.account_id, e.seq, sum(np.amount_dong) as amount
          from new_postings np join journal_entries e on e.id = np.entry_id
          group by np.account_id, e.seq`;
const probed = `select np.account_id, np.seq, sum(np.amount_dong) as amount
          from (select x.account_id, x.amount_dong, (select e.seq from journal_entries e where e.id = x.entry_id) as seq
            from new_postings x offset 0) np
          group by np.account_id, np.seq`;
const fn = "soquy_apply_balances()";

async function replace(knex: Knex, to: string): Promise<void> {
  const [head, ...rest] = applyBalancesSql.split(joined);
  if (rest.length !== 1) throw new Error("migration 0016: the join to restate appears once in soquy_apply_balances");
  await knex.raw(`${head!.replace("create function", "create or replace function")}${to}${rest[0]}`);
  await keyLookupPlans(knex, fn); // CREATE OR REPLACE drops migration 0013's settings
}

export async function up(knex: Knex): Promise<void> {
  await replace(knex, probed);
}

export async function down(knex: Knex): Promise<void> {
  await replace(knex, joined);
}

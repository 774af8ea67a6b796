import type { Knex } from "knex";
import { restateFunction } from "./20261201000019_cheaper_statement_checks.js";

// An idempotency record names an entry of its own committee.
//
// idempotency_keys.entry_id is the entry a write produced; a retry with the
// same key answers with it. Nothing checked it: a record written in SQL could
// name another committee's entry (or none at all), and a replayed request
// would then answer with an entry that is not the committee's. The table's
// statement check (migration 0011) now also refuses an entry_id that is not an
// entry of the row's committee, with the error a composite foreign key
// (committee_id, entry_id) would raise. Batch writes insert the records after
// their entries (soquy_append_entries), so the entries are there when it runs.

/** The end of a statement check's last branch (migration 0011's checkFunction): new branches go before it. */
const end = "is null limit 1)\n    ) f order by f.rank limit 1;";

/**
 * A branch refusing a row whose `column` is not a row of `parent` in the row's committee, with the error of
 * a composite foreign key (committee_id, column). Also used by migration 0024.
 */
export function sameCommitteeBranch(table: string, column: string, parent: string, rank: number): string {
  const constraint = `${table}_committee_id_${column}_fkey`;
  return `
      union all (select ${rank} as rank, '23503'::text as code, '${constraint}'::text as constraint_name,
        'insert or update on table "${table}" violates foreign key constraint "${constraint}"' as message,
        format('Key (committee_id, ${column})=(%s, %s) is not present in table "${parent}".', k.committee_id, k.${column})::text as detail
      from (select distinct committee_id, ${column} from new_rows) k where k.${column} is not null
        and (select p.committee_id from ${parent} p where p.id = k.${column} limit 1) is distinct from k.committee_id limit 1)`;
}

/** Adds the branch to a table's statement check (up), or takes it out again (down). */
export async function withBranch(knex: Knex, fn: string, branch: string, add: boolean): Promise<void> {
  const [from, to] = [end, end.replace(")\n", `)${branch}\n`)];
  await restateFunction(knex, fn, add ? from : to, add ? to : from);
}

const branch = sameCommitteeBranch("idempotency_keys", "entry_id", "journal_entries", 1);

export async function up(knex: Knex): Promise<void> {
  await withBranch(knex, "soquy_check_new_idempotency_keys()", branch, true);
}

export async function down(knex: Knex): Promise<void> {
  await withBranch(knex, "soquy_check_new_idempotency_keys()", branch, false);
}

import type { Knex } from "knex";
import { sameCommitteeBranch, withBranch } from "./20261202000023_idempotency_entry_reference.js";

// An audit record's token is a token of the record's committee.
//
// audit_log.token_id says who acted, committee_id in whose books; the service
// takes both from the same principal. Until now PostgreSQL checked only that
// the token exists, so a record written in SQL could put one committee's
// token in another committee's log (who did what, falsified in the one table
// kept to tell). The statement check (migration 0011) now also refuses a
// token of another committee, or a token on a record with no committee, with
// the error a composite foreign key (committee_id, token_id) would raise; a
// token that does not exist keeps its own error, ranked first.

const branch = sameCommitteeBranch("audit_log", "token_id", "api_tokens", 2);

export async function up(knex: Knex): Promise<void> {
  await withBranch(knex, "soquy_check_new_audit_log()", branch, true);
}

export async function down(knex: Knex): Promise<void> {
  await withBranch(knex, "soquy_check_new_audit_log()", branch, false);
}

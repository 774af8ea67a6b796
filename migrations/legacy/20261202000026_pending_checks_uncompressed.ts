import type { Knex } from "knex";

// The queue of commit checks keeps its entry ids uncompressed.
//
// A statement that inserts entries queues their ids for the commit check as one
// uuid[] row of pending_entry_checks (migration 0007): a bank import's page of
// 2,500 entries is a 40 KB array, stored out of line, and PostgreSQL first
// tried to compress it with pglz, which cannot shrink random uuids and spent
// ~0.4-1.3 ms a page finding that out (0.5 s of a million-line import in a
// profile; 400 such rows took 155 ms to insert, 19 ms uncompressed). EXTERNAL
// storage keeps the array out of line without trying. The rows live only
// until their check runs, so nothing is stored for long either way.

export async function up(knex: Knex): Promise<void> {
  await knex.raw("alter table pending_entry_checks alter column entry_ids set storage external");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("alter table pending_entry_checks alter column entry_ids set storage extended");
}

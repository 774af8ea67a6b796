import type { Knex } from "knex";

// A bank line's identity key is stored as its 32 bytes, not as 64 hex digits.
//
// The key is a SHA-256, so new keys land on random pages of bank_lines' primary
// key. Compared as text (libc's strcoll under the database's C.UTF-8 collation)
// and twice as long as it needs to be, that index cost ~6.2 s of the ~9.9 s it
// takes to insert the 1,000,000 lines of one big statement (measured on copies of
// the table on this 2-core machine); as bytea, compared with memcmp, ~4.6 s.
// (Inserting the lines in key order would bring it to ~1.6 s, but sorting a
// million staged lines first costs more than that saves.) What the key
// means does not change: the hex spelling is still what an entry's idempotency key
// carries (`bank-line:<64 hex digits>`), and encode(line_key, 'hex') gives it back.

export async function up(knex: Knex): Promise<void> {
  await knex.raw("alter table bank_lines drop constraint bank_lines_line_key_check");
  await knex.raw("alter table bank_lines alter column line_key type bytea using decode(line_key, 'hex')");
  await knex.raw("alter table bank_lines add constraint bank_lines_line_key_check check (octet_length(line_key) = 32)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("alter table bank_lines drop constraint bank_lines_line_key_check");
  await knex.raw("alter table bank_lines alter column line_key type text using encode(line_key, 'hex')");
  await knex.raw("alter table bank_lines add constraint bank_lines_line_key_check check (octet_length(line_key) = 64 and line_key ~ '^[0-9a-f]*$')");
}

import type { Knex } from "knex";

// The same rule, at a tenth of the price. PostgreSQL's regular expressions
// expand a bounded repetition like [0-9a-f]{64} into a large automaton: on
// this 2-core machine `x ~ '^[0-9a-f]{64}$'` costs ~15 µs a row, against
// ~1.3 µs for `octet_length(x) = 64 and x ~ '^[0-9a-f]*$'`, which accepts
// exactly the same strings (64 bytes, every one a lowercase hex digit). A
// donation inserts three such checks (hash, prev_hash, request_hash) and an
// imported bank line four (line_key too): ~45–60 µs a row spent on spelling.
// Constraint names are kept, so errors name the same constraint as before.

const hexColumns: [table: string, column: string][] = [
  ["journal_entries", "hash"],
  ["journal_entries", "prev_hash"],
  ["idempotency_keys", "request_hash"],
  ["bank_lines", "line_key"],
  ["bank_imports", "file_sha256"],
  ["api_tokens", "token_hash"],
  ["period_closes", "head_hash"],
  ["public_heads", "head_hash"],
  ["checkpoints", "head_hash"],
  ["user_sessions", "id_hash"],
];

async function rewrite(knex: Knex, check: (column: string) => string): Promise<void> {
  for (const [table, column] of hexColumns) {
    const name = `${table}_${column}_check`;
    await knex.raw(`alter table ${table} drop constraint ${name}`);
    await knex.raw(`alter table ${table} add constraint ${name} check (${check(column)})`);
  }
}

export async function up(knex: Knex): Promise<void> {
  await rewrite(knex, (c) => `octet_length(${c}) = 64 and ${c} ~ '^[0-9a-f]*$'`);
}

export async function down(knex: Knex): Promise<void> {
  await rewrite(knex, (c) => `${c} ~ '^[0-9a-f]{64}$'`);
}

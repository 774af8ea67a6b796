import type { Knex } from "knex";
import { runSqlFile } from "../src/db/sqlfiles.js";

// The limits that protect something (requests without a token, the donor self-check, refused tokens)
// counted in PostgreSQL, so that N service processes on one database allow what one would, not N times
// it (src/http/ratelimit.ts). Fixed windows: one row per limiter, client and window, counted by an
// UPSERT … RETURNING, the window's end computed from the database's clock so that every process agrees.
//
// Unlogged: a counter is worth nothing after a crash, and its writes then need no WAL, so a request's
// count commits without waiting for a disk flush or for the synchronous standby (nor is it replicated:
// a promoted standby starts counting afresh). Windows that have ended are deleted by
// soquy_rate_limit_sweep() (sql/ratelimits.sql), which each process calls every minute.

const statements = [
  `create unlogged table rate_limit_hits (
    limiter text not null check (length(limiter) between 1 and 64),
    client text not null check (length(client) between 1 and 200),
    window_ends timestamptz not null,
    hits int not null check (hits > 0),
    primary key (limiter, client, window_ends)
  )`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
  await runSqlFile(knex, "ratelimits.sql");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop function if exists soquy_rate_limit_sweep()");
  await knex.raw("drop table if exists rate_limit_hits");
}

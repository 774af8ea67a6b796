import type { Knex } from "knex";
import { pinnedSearchPath } from "./20261201000017_pinned_search_path.js";

// The limits that protect something (requests without a token, the donor self-check, refused tokens)
// counted in PostgreSQL, so that N service processes on one database allow what one would, not N times
// it (src/http/ratelimit.ts). Fixed windows: one row per limiter, client and window, counted by an
// UPSERT … RETURNING, the window's end computed from the database's clock so that every process agrees.
//
// Unlogged: a counter is worth nothing after a crash, and its writes then need no WAL, so a request's
// count commits without waiting for a disk flush or for the synchronous standby (nor is it replicated:
// a promoted standby starts counting afresh). Windows that have ended are deleted by
// soquy_rate_limit_sweep(), which each process calls every minute; it runs as the owner (the service's
// role deletes nothing) and deletes only ended windows, so anyone may call it.

const statements = [
  `create unlogged table rate_limit_hits (
    limiter text not null check (length(limiter) between 1 and 64),
    client text not null check (length(client) between 1 and 200),
    window_ends timestamptz not null,
    hits int not null check (hits > 0),
    primary key (limiter, client, window_ends)
  )`,
  `create function soquy_rate_limit_sweep() returns int language sql volatile security definer as $$
    with gone as (delete from rate_limit_hits where window_ends <= now() returning 1)
    select count(*)::int from gone
  $$`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
  await pinnedSearchPath(knex, "soquy_rate_limit_sweep()");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop function if exists soquy_rate_limit_sweep()");
  await knex.raw("drop table if exists rate_limit_hits");
}

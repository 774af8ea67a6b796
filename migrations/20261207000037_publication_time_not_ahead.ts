import type { Knex } from "knex";
import { pinnedSearchPath } from "./20261201000017_pinned_search_path.js";

// A committee's first publication made its publication row with clock_timestamp() into a column that
// keeps milliseconds: PostgreSQL rounds, so the row could stand up to half a millisecond ahead of the
// clock, and the publication dated from it was then refused as "dated after now" when the check ran
// within that half millisecond (seen as a flaky refusal of a committee's first verification). A
// publication row's time is now cut to the millisecond it has reached, never rounded ahead.

const statements = [
  `create function soquy_publication_time_not_ahead() returns trigger language plpgsql as $$
  begin
    NEW.published_at := date_trunc('milliseconds', NEW.published_at);
    return NEW;
  end $$`,
  `create trigger public_heads_time_not_ahead before insert or update of published_at on public_heads
    for each row execute function soquy_publication_time_not_ahead()`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
  await pinnedSearchPath(knex, "soquy_publication_time_not_ahead()");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop trigger if exists public_heads_time_not_ahead on public_heads");
  await knex.raw("drop function if exists soquy_publication_time_not_ahead()");
}

import type { Knex } from "knex";
import { pinnedSearchPath } from "./20261201000017_pinned_search_path.js";

// A committee's first publication made its publication row with clock_timestamp() into a column that
// keeps milliseconds: PostgreSQL rounds, so the row could stand up to half a millisecond ahead of the
// clock, and the publication dated from it was then refused as "dated after now" when the check ran
// within that half millisecond (seen as a flaky refusal of a committee's first verification). The
// column now keeps what it is given, and a trigger cuts it to the millisecond it has reached (a value is
// already rounded to the column's type when a BEFORE trigger sees it, so the column must not round).

const statements = [
  `alter table public_heads alter column published_at type timestamptz`,
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
  await knex.raw("alter table public_heads alter column published_at type timestamptz(3)");
}

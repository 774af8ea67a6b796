import type { Knex } from "knex";
import { pinnedSearchPath } from "./20261201000017_pinned_search_path.js";

// A public generation per committee: a number that every change to what the public can see of the
// committee bumps — a publication (entries becoming verified), a signed checkpoint, a campaign made
// or edited, an area added to its list (an old area then shows by its name), the committee renamed. Public answers are kept by the service keyed by this number, so
// a news spike is served without touching the ledger, and every process agrees when to drop them
// (the number lives here, not in one process's memory). Statement-level triggers: one bump per
// committee per statement, however many rows it wrote.

const bump = `insert into public_generations as g (committee_id, generation, changed_at)
      select committee_id, 1, clock_timestamp() from (select distinct committee_id from changed) c
    on conflict (committee_id) do update set generation = g.generation + 1, changed_at = excluded.changed_at`;

/** What bumps a committee's generation: trigger, event, table, and the function that reads its rows. */
function triggers(): [string, string, string, string][] {
  const rows = "soquy_bump_public_generation";
  return [
    ["entry_verified_public_generation", "insert", "entry_verified", rows],
    ["checkpoints_public_generation", "insert", "checkpoints", rows],
    ["campaigns_public_generation_insert", "insert", "campaigns", rows],
    ["campaigns_public_generation_update", "update", "campaigns", rows],
    ["areas_public_generation", "insert", "areas", rows],
    ["committees_public_generation_insert", "insert", "committees", "soquy_bump_committee_generation"],
    ["committees_public_generation_update", "update", "committees", "soquy_bump_committee_generation"],
  ];
}

const statements = [
  `create table public_generations (
    committee_id bigint primary key references committees(id),
    generation bigint not null check (generation > 0),
    changed_at timestamptz(3) not null
  )`,
  `create function soquy_bump_public_generation() returns trigger language plpgsql as $$
  begin
    ${bump};
    return null;
  end $$`,
  `create function soquy_bump_committee_generation() returns trigger language plpgsql as $$
  begin
    insert into public_generations as g (committee_id, generation, changed_at)
        select id, 1, clock_timestamp() from (select distinct id from changed) c
      on conflict (committee_id) do update set generation = g.generation + 1, changed_at = excluded.changed_at;
    return null;
  end $$`,
  ...triggers().map(([name, event, table, fn]) => `create trigger ${name} after ${event} on ${table}
    referencing new table as changed for each statement execute function ${fn}()`),
  `insert into public_generations (committee_id, generation, changed_at) select id, 1, clock_timestamp() from committees`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
  for (const fn of ["soquy_bump_public_generation()", "soquy_bump_committee_generation()"]) await pinnedSearchPath(knex, fn);
}

export async function down(knex: Knex): Promise<void> {
  for (const [name, , table] of triggers()) await knex.raw(`drop trigger if exists ${name} on ${table}`);
  await knex.raw("drop function if exists soquy_bump_public_generation()");
  await knex.raw("drop function if exists soquy_bump_committee_generation()");
  await knex.raw("drop table if exists public_generations");
}

import type { Knex } from "knex";
import { pinnedSearchPath } from "./20261201000017_pinned_search_path.js";

// Each committee numbers its checkpoints 1, 2, 3…, and from format 2 the number is inside the signed
// payload: a checkpoint deleted from the middle leaves a gap that verify names, and an exported copy
// says which number it was. The ids stay (one sequence shared by all committees, which may skip).
// Existing checkpoints are numbered in the order they were made.

const statements = [
  `alter table checkpoints add column number bigint`,
  `alter table checkpoints disable trigger checkpoints_append_only`,
  `update checkpoints c set number = n.number from (
      select id, row_number() over (partition by committee_id order by id) as number from checkpoints) n where n.id = c.id`,
  `alter table checkpoints enable trigger checkpoints_append_only`,
  `alter table checkpoints alter column number set not null`,
  `alter table checkpoints add constraint checkpoints_number_positive check (number > 0)`,
  `create unique index checkpoints_number on checkpoints (committee_id, number)`,
  // The next number, no gap; and the number a format 2 payload signs is the row's.
  `create function soquy_check_checkpoint_number() returns trigger language plpgsql as $$
  declare
    last bigint;
    signed text;
  begin
    select max(number) into last from checkpoints where committee_id = NEW.committee_id;
    if NEW.number <> coalesce(last, 0) + 1 then
      raise exception using errcode = 'SQ016', message = format('checkpoint number %s of committee %s must be %s', NEW.number, NEW.committee_id, coalesce(last, 0) + 1);
    end if;
    signed := NEW.payload::jsonb ->> 'number';
    if NEW.payload::jsonb ->> 'format' <> 'soquy-checkpoint/1' and (signed is null or signed <> NEW.number::text) then
      raise exception using errcode = 'SQ016', message = format('checkpoint number %s is not the number its payload signs (%s)', NEW.number, coalesce(signed, 'none'));
    end if;
    return NEW;
  end $$`,
  `create trigger checkpoints_number before insert on checkpoints for each row execute function soquy_check_checkpoint_number()`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
  await pinnedSearchPath(knex, "soquy_check_checkpoint_number()");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop trigger if exists checkpoints_number on checkpoints");
  await knex.raw("drop function if exists soquy_check_checkpoint_number()");
  await knex.raw("drop index if exists checkpoints_number");
  await knex.raw("alter table checkpoints disable trigger checkpoints_append_only");
  await knex.raw("alter table checkpoints drop column if exists number");
  await knex.raw("alter table checkpoints enable trigger checkpoints_append_only");
}

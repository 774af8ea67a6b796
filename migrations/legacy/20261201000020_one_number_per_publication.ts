import type { Knex } from "knex";
import { restateFunction } from "./20261201000019_cheaper_statement_checks.js";

// A publication number is taken only by an entry that becomes verified.
//
// entry_verified's BEFORE INSERT trigger (migration 0005) takes the next
// publication number, and soquy_mark_verified inserts with ON CONFLICT DO
// NOTHING. An entry verified once more after it was already published (a
// second approver's approval of a one-approval entry, or two approvers at the
// same moment) still ran the trigger, which took a number before the conflict
// skipped the row: publication numbers got gaps (seen in the suite as 56–69
// missing). Now the trigger, once it holds the committee's publication row
// (so a publication that committed meanwhile is visible), skips the row of an
// entry already published without taking a number.

const locked = "    perform 1 from public_heads where committee_id = NEW.committee_id for update;\n";
const skip = `${locked}    if exists (select 1 from entry_verified where entry_id = NEW.entry_id) then
      return null; -- published already: no second number
    end if;
`;

export async function up(knex: Knex): Promise<void> {
  await restateFunction(knex, "soquy_publish_number()", locked, skip);
}

export async function down(knex: Knex): Promise<void> {
  await restateFunction(knex, "soquy_publish_number()", skip, locked);
}

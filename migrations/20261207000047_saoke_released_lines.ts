import type { Knex } from "knex";
import { runSqlFile } from "../src/db/sqlfiles.js";

// A bank import reversed and imported again into a published campaign stopped the sao kê publisher: the
// check of a published line looked for its bank line by date and key alone, found the released recording
// of the reversed import beside the new one, and refused the new import's lines (SQ020) — a refusal every
// round met again, before any later campaign. Lines of a reversed import also stayed published. Now:
// - a published line is checked against that import's recording of its bank line;
// - a published line may leave, only when its bank line was released (SQ021), and
//   soquy_withdraw_released_saoke_lines, run as the owner, takes such lines out with the figures of days
//   left without a line: the service's role still deletes nothing itself.
// sql/saoke.sql says all three, run again here (its functions and triggers are created or replaced).

/** soquy_check_saoke_lines as migration 20261207000046 made it, for down(). */
const checkBefore = `create or replace function soquy_check_saoke_lines() returns trigger
  language plpgsql set search_path = public, pg_temp
as $$
  begin
    if exists (select 1 from changed n
        left join bank_lines b on b.committee_id = n.committee_id and b.bank_account_id = n.bank_account_id
          and b.entry_date = n.entry_date and b.line_key = n.line_key
        left join bank_imports i on i.id = b.import_id
        where b.line_key is null or i.campaign_id is distinct from n.campaign_id
          or (b.import_id, b.line_no, b.direction, b.amount_dong, b.balance_dong, b.kind, b.entry_id, b.time_of_day)
            is distinct from (n.import_id, n.line_no, n.direction, n.amount_dong, n.balance_dong, n.kind, n.entry_id, n.time_of_day)) then
      raise exception using errcode = 'SQ020',
        message = 'a published sao kê line must be an imported bank line of the campaign, as the bank printed it';
    end if;
    return null;
  end $$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw("drop trigger if exists saoke_lines_append_only on saoke_lines");
  await runSqlFile(knex, "saoke.sql");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop trigger if exists saoke_lines_no_update on saoke_lines");
  await knex.raw("drop trigger if exists saoke_lines_removal on saoke_lines");
  await knex.raw("drop function if exists soquy_check_saoke_line_removal()");
  await knex.raw("drop function if exists soquy_withdraw_released_saoke_lines(bigint)");
  await knex.raw(checkBefore);
  await knex.raw("create or replace trigger saoke_lines_append_only before update or delete on saoke_lines for each row execute function soquy_forbid_change()");
}

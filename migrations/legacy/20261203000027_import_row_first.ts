import type { Knex } from "knex";
import { pinnedSearchPath } from "./20261201000017_pinned_search_path.js";

// A bank import's row is written when the import starts, and completed when it ends.
//
// An import's lines name their import (bank_lines.import_id), so its row must
// exist before the first line is written; what the row reports (lines read,
// recorded, already present, the closing balance …) is known only at the end.
// Until the import's transaction commits, nobody else can see that row, so
// completing it then changes nothing anyone has seen: bank_imports now refuses
// an UPDATE only of a row that an earlier transaction wrote. A committed row is
// as frozen as before, DELETE and TRUNCATE are refused as before, and every
// other append-only table keeps soquy_forbid_change.
//
// "Written by this transaction": the row's xmin, widened to the current epoch,
// is a transaction still in progress (a transaction sees no other one's
// uncommitted rows, so that is this one or one of its savepoints, whose ids
// come after its own). An xmin that widened lies in the future belongs to the
// previous epoch, and a frozen or forgotten one has no status: both are
// committed rows, refused.

const forbidAfterCommit = `create function soquy_forbid_change_after_commit() returns trigger language plpgsql as $$
  declare
    row_xid xid8;
    status text;
  begin
    if TG_OP = 'UPDATE' then
      row_xid := ((pg_current_xact_id()::text::bigint >> 32 << 32) | OLD.xmin::text::bigint)::text::xid8;
      begin
        status := pg_xact_status(row_xid);
      exception when others then
        status := null; -- "in the future": an xmin of the previous epoch
      end;
      if status = 'in progress' then
        return NEW;
      end if;
    end if;
    raise exception using errcode = 'SQ010',
      message = format('%s is append-only: %s is not allowed; correct a mistake with a reversing entry', TG_TABLE_NAME, TG_OP);
  end $$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(forbidAfterCommit);
  await pinnedSearchPath(knex, "soquy_forbid_change_after_commit()");
  await knex.raw("drop trigger bank_imports_append_only on bank_imports");
  await knex.raw(`create trigger bank_imports_append_only before update or delete on bank_imports
    for each row execute function soquy_forbid_change_after_commit()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop trigger bank_imports_append_only on bank_imports");
  await knex.raw(`create trigger bank_imports_append_only before update or delete on bank_imports
    for each row execute function soquy_forbid_change()`);
  await knex.raw("drop function soquy_forbid_change_after_commit()");
}

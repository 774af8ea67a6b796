import type { Knex } from "knex";
import { runSqlFile } from "../src/db/sqlfiles.js";

// A reversal of a bank import releases the import whole (sql/releases.sql, soquy_check_reversal_whole): with the
// service's own credentials, a reversal row and the release of a line no entry records (a debit to classify) took
// that line out of the bank's record and, published, out of the public sao kê, while the import stood.

export async function up(knex: Knex): Promise<void> {
  await runSqlFile(knex, "releases.sql");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop trigger if exists bank_import_reversals_whole on bank_import_reversals");
  await knex.raw("drop function if exists soquy_check_reversal_whole()");
}

import type { Knex } from "knex";
import { runSqlFile } from "../src/db/sqlfiles.js";

// A bank import ANALYZEs the ledger's tables as it grows them, inside its transaction; run by the service's
// role (which owns nothing) that ANALYZE was skipped with a warning, and a large import into a young ledger
// ran with plans made for an empty one. sql/analyze.sql: soquy_analyze_ledger(), run as the owner.

export async function up(knex: Knex): Promise<void> {
  await runSqlFile(knex, "analyze.sql");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop function if exists soquy_analyze_ledger()");
}

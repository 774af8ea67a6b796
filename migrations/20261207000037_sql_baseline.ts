import type { Knex } from "knex";
import { deadFunctions, legacyState, LegacySchema } from "../src/db/legacy.js";
import { runSqlFile } from "../src/db/sqlfiles.js";

// The SQL baseline: the schema the migrations 20261122000001 to 20261207000037 built (now in migrations/legacy/),
// less the functions they left attached to nothing, from the plain SQL files of sql/.
// - On a fresh database it runs tables.sql, then every rule file.
// - On a database those migrations built to the end, it drops the dead functions and runs the rule files again
//   (every one re-runs: create or replace), so the rules are sql/'s text whichever way the schema was built.
// - A database they left part-way is refused (LegacySchema, naming `cli db upgrade-legacy`).
// Later migrations run after it; a change to a rule is a migration that runs its file again (docs/ledger.md).

/** The rule files, in the order they are run: each may use what the ones before it define. */
const ruleFiles = [
  "guards.sql", "entries.sql", "references.sql", "balances.sql", "controls.sql", "people.sql", "public.sql",
  "generations.sql", "checkpoints.sql", "batch.sql", "statistics.sql", "definer.sql",
];

export async function up(knex: Knex): Promise<void> {
  const legacy = await legacyState(knex);
  if (legacy.recorded.length > 0) {
    if (!legacy.complete) throw new LegacySchema(legacy.recorded[legacy.recorded.length - 1]!);
    for (const fn of deadFunctions) await knex.raw(`drop function if exists ${fn}`);
    for (const file of ruleFiles) await runSqlFile(knex, file);
    return;
  }
  const { rows } = await knex.raw("select to_regclass('journal_entries') is not null as built");
  if (rows[0].built) throw new Error("the ledger's tables exist but no migration that made them is recorded in knex_migrations: this database was not built by soquy's migrations");
  // Function bodies are checked when they run: a rule file may name what a later migration adds.
  for (const file of ["tables.sql", ...ruleFiles]) await runSqlFile(knex, file, { bodiesChecked: false });
}

export async function down(): Promise<void> {
  throw new Error("the SQL baseline is the first migration and is not undone: to go back, restore a backup (cli restore) into an empty database");
}

import { fileURLToPath } from "node:url";
import type { Knex } from "knex";

// knex's settings in one place. The service, the CLI and the tests open the
// database through src/db/connect.ts (PostgreSQL at DATABASE_URL, otherwise
// the embedded PGlite), which migrates with the settings below. knex's own CLI
// reads this file too, for what it alone does (a new migration's stub, the
// list of applied and pending ones, a rollback by hand):
//
//   DATABASE_URL=postgres://… npm run --silent knex -- migrate:list
//
// It runs against a PostgreSQL server only: on the embedded database the
// data folder must be locked and PGlite closed, which `npm run cli -- migrate`
// (and every start) does.

/**
 * Migrations are TypeScript, one per change, recorded by file name with its extension (never compiled to .js).
 * The first is the SQL baseline, which runs the rule files of sql/; the chain it replaced is in migrations/legacy/.
 * A database that chain built has its file names recorded, which knex would call a corrupt folder: its own check is
 * off, and src/db/connect.ts checks instead that every recorded name is a migration here or one of the old chain.
 */
export const migrations: Knex.MigratorConfig = {
  directory: fileURLToPath(new URL("./migrations", import.meta.url)),
  loadExtensions: [".ts"],
  extension: "ts",
  disableMigrationsListValidation: true,
};

/** The chain the SQL baseline replaced, kept to bring a database stopped part-way along it forward (`cli db upgrade-legacy`). */
export const legacyMigrations: Knex.MigratorConfig = {
  directory: fileURLToPath(new URL("./migrations/legacy", import.meta.url)),
  loadExtensions: [".ts"],
  extension: "ts",
  disableMigrationsListValidation: true,
};

export default async function knexConfig(): Promise<Knex.Config> {
  const url = process.env.DATABASE_URL;
  if (!url) {
    throw new Error("knex's CLI runs against a PostgreSQL server: set DATABASE_URL (on the embedded database, `npm run cli -- migrate` brings the schema up to date)");
  }
  return { client: "pg", connection: url, migrations };
}

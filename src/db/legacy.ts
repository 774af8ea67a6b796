import { readdirSync } from "node:fs";
import type { Knex } from "knex";
import { legacyMigrations } from "../../knexfile.js";
import { triggersRunAsOwner } from "./privileges.js";

// The migrations the SQL baseline replaced (migrations/legacy/, 20261122000001 to 20261207000037). A database
// they built to the end takes the baseline as it is; one they left part-way is refused until
// `cli db upgrade-legacy` has run the rest of them.

let cachedNames: string[] | null = null;

/** The old chain's file names, in order (the folder never changes while the code runs). */
export function legacyNames(): string[] {
  cachedNames ??= readdirSync(legacyMigrations.directory as string).filter((f) => f.endsWith(".ts")).sort();
  return cachedNames;
}

/**
 * Functions the old chain left attached to nothing: per-row checks replaced by statement-level ones, and what only
 * they called. The baseline drops them from a database the old chain built; no trigger, function or code runs them.
 */
export const deadFunctions = [
  "soquy_check_entry()", "soquy_check_entry_shape()", "soquy_check_postings()", "soquy_check_detail()",
  "soquy_check_with_their_entries()", "soquy_queue_entry_checks()", "soquy_check_open_period()",
  "soquy_check_receiving_window()", "soquy_check_disbursement_purpose()", "soquy_mark_verified()",
  "soquy_publish_number()", "soquy_publish_figures()", "soquy_entry_canonical_per_row(uuid)",
  "soquy_entry_is_new(uuid)", "soquy_field(text)",
] as const;

export const UPGRADE_COMMAND = "npm run --silent cli -- db upgrade-legacy";

/** The migration that replaced the old chain. */
export const BASELINE = "20261207000037_sql_baseline.ts";

/**
 * A set of recorded migrations as the baseline sees it: the whole old chain stands for the baseline (the schema it
 * built is the baseline's, less functions nothing ran), so a database built either way records the same.
 */
export function asBaseline(names: readonly string[]): string[] {
  const legacy = legacyNames();
  if (!legacy.every((n) => names.includes(n))) return [...names].sort();
  return [...new Set([...names.filter((n) => !legacy.includes(n)), BASELINE])].sort();
}

/** A database the old chain left part-way: the baseline cannot take it as it is. */
export class LegacySchema extends Error {
  override name = "LegacySchema";
  constructor(readonly last: string) {
    super(`this database's schema stopped at ${last}, part-way along the migrations the SQL baseline replaced: ` +
      `run \`${UPGRADE_COMMAND}\` as the schema's owner (DATABASE_OWNER_URL, or the embedded database with the server stopped) to bring it forward, then start again`);
  }
}

export interface LegacyState {
  /** The old chain's migrations this database has recorded, in order. */
  recorded: string[];
  /** All of them: the schema is the one the baseline builds, less the dead functions. */
  complete: boolean;
}

/** Which of the old chain's migrations the database has recorded (none on a fresh one). */
export async function legacyState(knex: Knex): Promise<LegacyState> {
  const { rows } = await knex.raw("select to_regclass('knex_migrations') is not null as present");
  if (!rows[0].present) return { recorded: [], complete: false };
  const legacy = legacyNames();
  const recorded = ((await knex("knex_migrations").pluck("name")) as string[]).filter((n) => legacy.includes(n)).sort();
  return { recorded, complete: recorded.length === legacy.length };
}

/** Refuses a database the old chain left part-way. */
export async function assertNotPartLegacy(knex: Knex): Promise<void> {
  const state = await legacyState(knex);
  if (state.recorded.length > 0 && !state.complete) throw new LegacySchema(state.recorded[state.recorded.length - 1]!);
}

export class NothingToUpgrade extends Error {
  override name = "NothingToUpgrade";
}

/**
 * Runs the rest of the old chain on a database it left part-way, as the chain's own runner did (its trigger functions
 * then run as the owner). Returns the migrations applied; the baseline and what follows are `migrate`'s.
 */
export async function upgradeLegacy(knex: Knex): Promise<string[]> {
  const state = await legacyState(knex);
  if (state.recorded.length === 0) {
    throw new NothingToUpgrade("this database has none of the old migrations recorded: `npm run --silent cli -- migrate` builds or updates its schema");
  }
  const [, applied] = (await knex.migrate.latest(legacyMigrations)) as [number, string[]];
  if (applied.length) await knex.raw(triggersRunAsOwner);
  return applied;
}

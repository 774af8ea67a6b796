import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, unlinkSync, writeSync } from "node:fs";
import path from "node:path";
import knexFactory, { type Knex } from "knex";
import pg from "pg";
import type { PGlite } from "@electric-sql/pglite";
import { migrations } from "../../knexfile.js";
import { processAlive } from "../processes.js";
import { ConnectionGate } from "./gate.js";
import { firstUsableHost, parseHostList } from "./hosts.js";
import { assertNotPartLegacy, legacyNames } from "./legacy.js";
import { triggersRunAsOwner } from "./privileges.js";

// One way in to the database for the server, the CLI and the tests: a real
// PostgreSQL when a URL is given, otherwise PGlite (embedded PostgreSQL) in a
// data folder, reached through knex's own pg client so both behave alike
// (bigint and numeric come back as strings, streams stream).

pg.types.setTypeParser(1082, (v: string) => v); // date stays YYYY-MM-DD, never a JS Date at midnight somewhere

export interface Database {
  knex: Knex;
  /**
   * Where statements and public totals are read (DATABASE_READ_URL, a standby): a pool of its own.
   * Unset: they are read from `knex`.
   */
  readKnex?: Knex;
  /** PGlite's one connection, held by a bank import while it posts (src/db/gate.ts). */
  gate?: ConnectionGate;
  kind: "postgres" | "pglite";
  where: string;
  /** Set once the schema is checked (context.ts openSoquy): whether this connection owns the schema and migrated it. */
  ownerRights?: boolean;
  close(): Promise<void>;
}

export interface OpenOptions {
  databaseUrl?: string | undefined;
  /** A standby to read statements and public totals from (with databaseUrl only). */
  readUrl?: string | undefined;
  dataDir?: string | undefined;
  /** An existing PGlite (tests clone a migrated template). */
  pglite?: PGlite;
  /** Who holds the embedded data folder; the lock file names them. */
  holder?: "server" | "cli";
  poolMax?: number;
}

export class DatabaseBusy extends Error {
  override name = "DatabaseBusy";
}

/** The service's role does not migrate: the owner must run the pending migrations first. */
export class MigrationsPending extends Error {
  override name = "MigrationsPending";
  constructor(readonly pending: string[]) {
    super(`${pending.length} migration(s) pending (${pending.join(", ")}) and DATABASE_URL's role does not own the schema: ` +
      "run `npm run --silent cli -- migrate` with DATABASE_OWNER_URL set to the owner, then `npm run --silent cli -- db grant --role <the service's role>`, then start again");
  }
}

/**
 * Each PostgreSQL session may keep up to 256 MB of temporary tables in memory (default 8 MB). A bank
 * import stages its statement in temporary tables (a few hundred MB for a million lines): with the
 * default, the session writes nearly all of those pages out and reads them back, seconds of a million-line
 * import (more than 256 MB gains nothing). The memory is taken only as temporary tables grow, and the setting
 * can only be made before a session's first temporary table.
 */
function withSessionSettings(conn: pg.Client, done: (error: Error | null, conn: pg.Client) => void): void {
  conn.query("set temp_buffers = '256MB'").then(() => done(null, conn), (error: Error) => done(error, conn));
}

export async function openDatabase(opts: OpenOptions): Promise<Database> {
  if (opts.databaseUrl) {
    const knex = serverKnex(opts.databaseUrl, opts.poolMax ?? 10);
    const readKnex = opts.readUrl ? serverKnex(opts.readUrl, opts.poolMax ?? 10) : undefined;
    try {
      await knex.raw("select 1");
      await readKnex?.raw("select 1");
    } catch (error) {
      await Promise.all([knex.destroy(), readKnex?.destroy()]);
      throw error;
    }
    return {
      knex, readKnex, kind: "postgres", where: redactUrl(opts.databaseUrl),
      close: async () => {
        await Promise.all([knex.destroy(), readKnex?.destroy()]);
      },
    };
  }
  let pglite = opts.pglite;
  let release = () => {};
  let where = "memory";
  // Loaded only when used: PGlite adds ~40 MB to a process that talks to PostgreSQL.
  const { durablePGlite } = await import("./durable.js");
  const { createPgConfig } = await import("@electric-sql/pglite/node-postgres");
  if (!pglite) {
    const dataDir = path.resolve(opts.dataDir ?? "data");
    mkdirSync(dataDir, { recursive: true }); // PGlite does not create parent folders
    release = takeLock(dataDir, opts.holder ?? "cli");
    try {
      pglite = durablePGlite(path.join(dataDir, "pgdata"));
      await pglite.waitReady;
    } catch (error) {
      release();
      throw error;
    }
    where = dataDir;
  }
  const owned = pglite;
  const knex = knexFactory({
    client: "pg",
    connection: createPgConfig(owned) as unknown as Knex.PgConnectionConfig,
    pool: { min: 0, max: 1 }, // PGlite is one connection; transactions queue
    // A wait for the connection is bounded: past it the request is answered busy (gate.ts), never left hanging.
    acquireConnectionTimeout: PGLITE_WAIT_MS,
  });
  const gate = new ConnectionGate();
  gate.install(knex);
  return {
    knex,
    gate,
    kind: "pglite",
    where,
    close: async () => {
      await knex.destroy();
      if (!opts.pglite) await owned.close(); // knex.destroy() does not close PGlite
      release();
    },
  };
}

/** The longest a request waits for PGlite's one connection before it is answered busy. */
const PGLITE_WAIT_MS = 30_000;

/** A pool on a PostgreSQL server; a URL with several hosts finds, for each new connection, the one to use (hosts.ts). */
function serverKnex(url: string, poolMax: number): Knex {
  const hosts = parseHostList(url);
  return knexFactory({
    client: "pg",
    // Several hosts (a primary and its standby): each new connection finds the one that takes writes.
    // knex keeps the host it was given for a second, then asks again for the next new connection.
    connection: hosts ? async () => {
      const found = { connectionString: await firstUsableHost(hosts), at: performance.now() };
      return { connectionString: found.connectionString, expirationChecker: () => performance.now() - found.at > 1000 };
    } : url,
    pool: { min: 0, max: poolMax, afterCreate: withSessionSettings },
    acquireConnectionTimeout: 60_000,
  });
}

/** A round trip to the database: throws when it does not answer. */
export async function databaseAnswers(knex: Knex): Promise<void> {
  await knex.raw("select 1");
}

/**
 * The migrations this code has that the database has not run. A database the old chain left part-way is refused
 * (LegacySchema: `cli db upgrade-legacy` brings it forward), as is a recorded name this code does not know.
 */
export async function pendingMigrations(knex: Knex): Promise<string[]> {
  await assertNotPartLegacy(knex);
  const [completed, pending] = (await knex.migrate.list(migrations)) as [{ name: string }[], { file: string }[]];
  assertKnown(completed.map((m) => m.name), pending.map((m) => m.file));
  return pending.map((m) => m.file);
}

export async function migrate(knex: Knex): Promise<string[]> {
  await pendingMigrations(knex);
  const [, applied] = (await knex.migrate.latest(migrations)) as [number, string[]];
  // Trigger functions a later migration added run as the owner too (see privileges.ts).
  if (applied.length) await knex.raw(triggersRunAsOwner);
  return applied;
}

/**
 * knex's own check that every recorded migration is still in the folder is off (knexfile.ts): the old chain's names
 * stay recorded on the databases it built. This is that check, with those names allowed.
 */
function assertKnown(completed: string[], pending: string[]): void {
  const known = new Set([...readdirSync(migrations.directory as string), ...legacyNames(), ...pending]);
  const missing = completed.filter((name) => !known.has(name));
  if (missing.length) throw new Error(`The migration directory is corrupt, the following files are missing: ${missing.join(", ")}`);
}

// PGlite does not lock its data folder and two processes would corrupt it.
function takeLock(dataDir: string, holder: string): () => void {
  const file = path.join(dataDir, "soquy.lock");
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(file, "wx");
      writeSync(fd, JSON.stringify({ pid: process.pid, holder, since: new Date().toISOString() }));
      closeSync(fd);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        try {
          unlinkSync(file);
        } catch {
          // already gone
        }
      };
      process.once("exit", release);
      return release;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const owner = readLock(file);
      if (owner && owner.pid !== process.pid && processAlive(owner.pid)) {
        throw new DatabaseBusy(
          `the embedded database in ${dataDir} is in use by the ${owner.holder} (pid ${owner.pid}, since ${owner.since}). ` +
            `Stop it first, or use the HTTP API while it runs, or set DATABASE_URL to a PostgreSQL server.`,
        );
      }
      unlinkSync(file); // stale: its process is gone
    }
  }
  throw new DatabaseBusy(`could not take the lock ${file}`);
}

function readLock(file: string): { pid: number; holder: string; since: string } | null {
  try {
    return existsSync(file) ? JSON.parse(readFileSync(file, "utf8")) : null;
  } catch {
    return null;
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/([^:@/]+):[^@/]*@/, "//$1:***@");
}

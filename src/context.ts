import { createHash, randomBytes } from "node:crypto";
import { type Database, migrate, openDatabase, type OpenOptions } from "./db/connect.js";
import { StatementQueries } from "./db/statements.js";
import { KnexLedgerStore, mapStoreError } from "./db/store.js";
import { Controls } from "./ledger/controls.js";
import { Ledger } from "./ledger/service.js";
import type { Role } from "./ledger/types.js";
import { GroupCommitter } from "./ledger/writer.js";

// Wires the pieces together: a database (PostgreSQL or PGlite), the schema
// brought up to date, the knex store and the ledger on top.
export interface Soquy {
  db: Database;
  store: KnexLedgerStore;
  ledger: Ledger;
  controls: Controls;
  statements: StatementQueries;
  close(): Promise<void>;
}

export async function openSoquy(opts: OpenOptions): Promise<Soquy> {
  const db = await openDatabase(opts);
  try {
    await migrate(db.knex);
  } catch (error) {
    await db.close();
    throw error;
  }
  return wire(db);
}

export function wire(db: Database): Soquy {
  const store = new KnexLedgerStore(db.knex);
  const ledger = new Ledger(store, new GroupCommitter(store, mapStoreError));
  return { db, store, ledger, controls: new Controls(store, ledger), statements: new StatementQueries(db.knex), close: () => db.close() };
}

export function optionsFromEnv(holder: "server" | "cli"): OpenOptions {
  return { databaseUrl: process.env.DATABASE_URL || undefined, dataDir: process.env.DATA_DIR || "data", holder };
}

/** A new bearer token: only its SHA-256 is stored, so it is shown once. */
export function newToken(): { token: string; hash: string } {
  const token = `sq_${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

export async function createToken(s: Soquy, committeeId: number, role: Role, name: string): Promise<string> {
  const { token, hash } = newToken();
  await s.store.createToken(committeeId, role, name, hash);
  return token;
}

import { createHash, randomBytes } from "node:crypto";
import { type Database, migrate, openDatabase, type OpenOptions } from "./db/connect.js";
import path from "node:path";
import { PublicQueries } from "./db/public.js";
import { StatementQueries } from "./db/statements.js";
import { Checkpoints } from "./public/checkpoints.js";
import { PublicService } from "./public/service.js";
import { Signer } from "./public/signing.js";
import { type ChainReport, verifyChain } from "./ledger/verify.js";
import { StatisticsKeeper } from "./db/statistics.js";
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
  publicQueries: PublicQueries;
  public: PublicService;
  /** Made on first use: the signing key is read (or created) only when needed. */
  checkpoints(): Checkpoints;
  signer(): Signer;
  /** The hash chain, the kept balances and public figures, and every signed checkpoint's chain head. */
  verify(committeeId: number): Promise<ChainReport>;
  /** Refreshes the planner's statistics as the ledger grows (started here, stopped by close). */
  statistics: StatisticsKeeper;
  close(): Promise<void>;
}

export interface WireOptions {
  /** Where the Ed25519 checkpoint key is kept; default SOQUY_SIGNING_KEY_FILE or DATA_DIR/signing-key.pem. */
  signingKeyFile?: string | undefined;
}

export async function openSoquy(opts: OpenOptions): Promise<Soquy> {
  const db = await openDatabase(opts);
  try {
    await migrate(db.knex);
  } catch (error) {
    await db.close();
    throw error;
  }
  return wire(db, { signingKeyFile: process.env.SOQUY_SIGNING_KEY_FILE || path.join(path.resolve(opts.dataDir ?? "data"), "signing-key.pem") });
}

export function wire(db: Database, opts: WireOptions = {}): Soquy {
  const store = new KnexLedgerStore(db.knex);
  const ledger = new Ledger(store, new GroupCommitter(store, mapStoreError));
  const statements = new StatementQueries(db.knex);
  const publicQueries = new PublicQueries(db.knex);
  const pub = new PublicService(store, publicQueries, statements);
  let signer: Signer | null = null;
  let checkpoints: Checkpoints | null = null;
  const statistics = new StatisticsKeeper(db.knex);
  statistics.start();
  const getCheckpoints = () => (checkpoints ??= new Checkpoints(pub, publicQueries, getSigner(), (id) => statements.head(id)));
  const getSigner = () => (signer ??= Signer.fromFile(opts.signingKeyFile
    || process.env.SOQUY_SIGNING_KEY_FILE || path.join(process.env.DATA_DIR || "data", "signing-key.pem")));
  return {
    db, store, ledger, controls: new Controls(store, ledger), statements, publicQueries, public: pub,
    signer: getSigner,
    checkpoints: getCheckpoints,
    verify: async (committeeId) => verifyChain(store, committeeId, await getCheckpoints().anchors(committeeId)),
    statistics,
    close: async () => {
      await statistics.stop();
      await db.close();
    },
  };
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

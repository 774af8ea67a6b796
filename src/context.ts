import { createHash, randomBytes } from "node:crypto";
import { readConfig } from "./config.js";
import { type Database, migrate, MigrationsPending, openDatabase, type OpenOptions, pendingMigrations } from "./db/connect.js";
import { holdsOwnerRights } from "./db/privileges.js";
import path from "node:path";
import { PublicQueries } from "./db/public.js";
import { StatementQueries } from "./db/statements.js";
import { Checkpoints } from "./public/checkpoints.js";
import { PublicService } from "./public/service.js";
import { StatementFiles } from "./public/statementfiles.js";
import { SaokeService } from "./public/saoke.js";
import type { Signer } from "./public/signing.js";
import { KeyRing } from "./public/keys.js";
import { type ChainReport, verifyChain } from "./ledger/verify.js";
import { StatisticsKeeper } from "./db/statistics.js";
import { KnexLedgerStore } from "./db/store.js";
import { storeError } from "./db/sqlstates.js";
import { Controls } from "./ledger/controls.js";
import { Ledger } from "./ledger/service.js";
import { assertTokenRole } from "./ledger/people.js";
import type { Principal, Role } from "./ledger/types.js";
import type { WriteMeta } from "./ledger/service.js";
import type { SignedCheckpoint } from "./public/checkpoints.js";
import { GroupCommitter } from "./ledger/writer.js";
import { Metrics } from "./metrics.js";
import { ImportJobs } from "./db/importjobs.js";
import { RateCounts } from "./db/ratelimits.js";

// Wires the pieces together: a database (PostgreSQL or PGlite), the schema
// brought up to date, the knex store and the ledger on top.
export interface Soquy {
  db: Database;
  store: KnexLedgerStore;
  ledger: Ledger;
  controls: Controls;
  statements: StatementQueries;
  publicQueries: PublicQueries;
  /**
   * What statements and public answers read: from DATABASE_READ_URL (a standby) when set, each cut at
   * the ledger position it names; otherwise the same as statements and publicQueries.
   */
  reads: { statements: StatementQueries; publicQueries: PublicQueries; standby: boolean };
  /** Public figures, statement facts and the public page (from `reads`); the self-check reads the primary. */
  public: PublicService;
  /** Public statements cut at a publication, made once and served from files. */
  statementFiles: StatementFiles;
  /** Bank imports started over HTTP, as jobs any process can report on. */
  importJobs: ImportJobs;
  /** Rate-limit counts in PostgreSQL, shared by every process (RATE_LIMIT_STORE=database). */
  rateCounts: RateCounts;
  /** Made on first use: the signing key is read (or created) only when needed. */
  checkpoints(): Checkpoints;
  signer(): Signer;
  /** The checkpoint keys: the service's, committees' own, and retired ones. */
  keys: KeyRing;
  /** Prometheus metrics of this process (served at /metrics). */
  metrics: Metrics;
  /**
   * Khóa sổ and sign: closes the books through a date and anchors the close with a signed checkpoint
   * (once, even on a replay). The key is loaded first, so a missing key refuses before anything is written.
   */
  closeAndSign(p: Principal, input: { through: string; note?: string | undefined }, meta: WriteMeta): Promise<{
    result: Awaited<ReturnType<Controls["closePeriod"]>>; close: { id: number; through: string }; checkpoint: SignedCheckpoint;
  }>;
  /** The hash chain, the kept balances and public figures, and every signed checkpoint's chain head. */
  verify(committeeId: number, opts?: { checkpoints?: string | undefined; progress?: (seq: number) => void }): Promise<ChainReport>;
  /** Refreshes the planner's statistics as the ledger grows (started here, stopped by close). */
  statistics: StatisticsKeeper;
  /** The public sao kê: decisions, search, downloads, and the publisher of new imports (started here, stopped by close). */
  saoke: SaokeService;
  close(): Promise<void>;
}

export interface WireOptions {
  /** Where the Ed25519 checkpoint key is kept; default SOQUY_SIGNING_KEY_FILE or DATA_DIR/signing-key.pem. */
  signingKeyFile?: string | undefined;
}

export async function openSoquy(opts: OpenOptions): Promise<Soquy> {
  const db = await openDatabase(opts);
  try {
    await migrateOrCheck(db);
  } catch (error) {
    await db.close();
    throw error;
  }
  return wire(db, { signingKeyFile: readConfig().signingKeyFile || path.join(path.resolve(opts.dataDir ?? "data"), "signing-key.pem") });
}

export function wire(db: Database, opts: WireOptions = {}): Soquy {
  const store = new KnexLedgerStore(db.knex);
  const metrics = new Metrics(db.knex);
  const committer = new GroupCommitter(store, (error) => storeError(error));
  committer.onBatch = (requests, seconds) => metrics.batch(requests, seconds);
  const ledger = new Ledger(store, committer);
  const statements = new StatementQueries(db.knex);
  const publicQueries = new PublicQueries(db.knex);
  const config = readConfig();
  // Made from the primary: a statement cut at a publication the standby has not replayed yet would miss rows. Each
  // is made once, so the read pool has little to take off it.
  const statementFiles = new StatementFiles(statements, config.publicStatementsBytes);
  const reads = db.readKnex
    ? { statements: new StatementQueries(db.readKnex), publicQueries: new PublicQueries(db.readKnex, db.knex), standby: true }
    : { statements, publicQueries, standby: false };
  const pub = new PublicService(store, reads.publicQueries, reads.statements, publicQueries, statementFiles);
  // Checkpoints sign what the primary holds, never a standby's possibly older view.
  const signing = db.readKnex ? new PublicService(store, publicQueries, statements, publicQueries, statementFiles) : pub;
  const importJobs = new ImportJobs(db.knex, { leaseMs: config.importJobLeaseMs, gate: db.gate, onFinished: (o, sec) => metrics.importFinished(o, sec) });
  metrics.watchImportJobs(importJobs);
  const rateCounts = new RateCounts(db.knex);
  const keys = new KeyRing({ defaultFile: signingKeyFile(opts), committeeDir: config.signingKeysDir, retired: config.retiredKeys, create: () => !readConfig().production });
  let checkpoints: Checkpoints | null = null;
  const statistics = new StatisticsKeeper(db.knex);
  statistics.start();
  const saoke = new SaokeService(db.knex, 3_000, config.publicCache.checkMs);
  saoke.start();
  const getCheckpoints = () => (checkpoints ??= new Checkpoints(signing, publicQueries, keys, (id) => statements.head(id)));
  const controls = new Controls(store, ledger);
  const closeAndSign: Soquy["closeAndSign"] = async (p, input, meta) => {
    const checkpoints = getCheckpoints();
    keys.signerFor(p.committeeCode); // a missing key refuses here, before the close is written
    const result = await controls.closePeriod(p, input, meta);
    const close = result.response as { id: number; through: string };
    const checkpoint = await checkpoints.create(await pub.committee(p.committeeCode), "period_close", p.tokenId, close);
    return { result, close, checkpoint };
  };
  return {
    db, store, ledger, controls, statements, publicQueries, reads, public: pub, statementFiles, importJobs, rateCounts, closeAndSign,
    signer: () => keys.defaultSigner(),
    keys,
    checkpoints: getCheckpoints,
    metrics,
    verify: async (committeeId, opts = {}) => {
      const started = performance.now();
      const report = await verifyWith(store, getCheckpoints(), committeeId, opts.checkpoints, opts.progress);
      metrics.verified(report.ok, (performance.now() - started) / 1000);
      return report;
    },
    statistics,
    saoke,
    close: async () => {
      await saoke.stop();
      await statistics.stop();
      await importJobs.stop();
      rateCounts.stop();
      statementFiles.close();
      await db.close();
    },
  };
}

/** The chain against the checkpoints the database holds and, when given, copies exported from it. */
async function verifyWith(store: KnexLedgerStore, checkpoints: Checkpoints, committeeId: number, exported: string | undefined,
  progress: ((seq: number) => void) | undefined): Promise<ChainReport> {
  const committee = (await store.listCommittees()).find((c) => c.id === committeeId);
  if (!committee) throw new Error(`no committee ${committeeId}`);
  const anchors = await checkpoints.anchors(committee);
  const opts = progress ? { progress } : {};
  if (exported === undefined) return verifyChain(store, committeeId, anchors, opts);
  const outside = await checkpoints.external(committee, exported);
  const report = await verifyChain(store, committeeId, [...anchors, ...outside.anchors], opts);
  if (report.ok && outside.missing) return { ...report, ok: false, reason: outside.missing };
  return report;
}

/** Where this process's checkpoint key is kept. */
export function signingKeyFile(opts: WireOptions = {}): string {
  const config = readConfig();
  return opts.signingKeyFile || config.signingKeyFile || path.join(path.resolve(config.dataDir), "signing-key.pem");
}

/**
 * The schema's owner (PGlite is always the superuser) brings it up to date; any other role (the
 * service's own on PostgreSQL) only checks that nothing is pending, and refuses to go on otherwise.
 */
async function migrateOrCheck(db: Database): Promise<void> {
  db.ownerRights = db.kind === "pglite" || (await holdsOwnerRights(db.knex));
  if (db.ownerRights) {
    await migrate(db.knex);
    return;
  }
  const pending = await pendingMigrations(db.knex);
  if (pending.length) throw new MigrationsPending(pending);
}

export function optionsFromEnv(holder: "server" | "cli"): OpenOptions {
  const config = readConfig();
  return { databaseUrl: config.databaseUrl, dataDir: config.dataDir, holder };
}

/** A new bearer token: only its SHA-256 is stored, so it is shown once. */
export function newToken(): { token: string; hash: string } {
  const token = `sq_${randomBytes(32).toString("base64url")}`;
  return { token, hash: hashToken(token) };
}

export function hashToken(token: string): string {
  return createHash("sha256").update(token, "utf8").digest("hex");
}

/** A new person of that name and role holding one new token (`cli token create`). */
export async function createToken(s: Soquy, committeeId: number, role: Role, name: string): Promise<string> {
  const { token, hash } = newToken();
  await s.store.createToken(committeeId, role, name, hash, null);
  return token;
}

/** A new token acting for the person p acts for, with a role that person may hold (see tokenRoles). */
export async function createTokenFor(s: Soquy, p: Principal, role: Role, name: string, createdByUser?: number): Promise<string> {
  assertTokenRole(p, role);
  const { token, hash } = newToken();
  await s.store.createToken(p.committeeId, role, name, hash, p.personId, createdByUser);
  return token;
}

import http from "node:http";
import { monitorEventLoopDelay, performance as perf, type EventLoopUtilization } from "node:perf_hooks";
import { pino } from "pino";
import { openSoquy } from "../src/context.js";
import type { LockedLedger } from "../src/ledger/store.js";
import { createApp, createServer } from "../src/http/app.js";

// The service as the bench runs it: the real app (createApp) on the real
// store, in its own process, on a database the bench created (no demo data).
// It listens on a free port of 127.0.0.1 and tells the parent which over IPC.
//
// Instrumentation, all from outside src/: knex's query events count and time
// every statement, and the store's withCommitteeBatch is wrapped to time each
// write transaction's phases (lock, plan, insert, commit with the deferred
// triggers). The cost is a few clock reads per query.

if (!process.send) throw new Error("bench/server.ts runs as a child of bench/run.ts (it needs an IPC channel)");
const send = process.send.bind(process);
// DATABASE_URL, or DATA_DIR alone for the embedded default (PGlite in that folder).
const databaseUrl = process.env.DATABASE_URL || undefined;
const dataDir = process.env.DATA_DIR || undefined;
if (!databaseUrl && !dataDir) throw new Error("DATABASE_URL or DATA_DIR is required");

const log = pino({ level: process.env.LOG_LEVEL ?? "warn" });
const s = await openSoquy({ databaseUrl, dataDir, holder: "server", poolMax: process.env.POOL_MAX ? Number(process.env.POOL_MAX) : undefined });


// ---- statement counts and times, as the app sees them (round trip + knex)
interface StatementStat { n: number; ms: number }
const statements = new Map<string, StatementStat>();
const started = new Map<string, { at: number; sql: string }>();
const shape = (sql: string) => sql.slice(0, 240).replace(/\s+/g, " ").replace(/\(\?(, ?\?)*\)(, ?\(\?(, ?\?)*\))*/g, "(…)").replace(/in \((\?, ?)*\?\)/g, "in (…)").slice(0, 90);
s.db.knex.on("query", (q: { __knexQueryUid?: string; sql: string }) => {
  if (q.__knexQueryUid) started.set(q.__knexQueryUid, { at: performance.now(), sql: shape(q.sql) });
  else {
    // BEGIN / COMMIT: counted; their time is in the transaction phases below
    const cur = statements.get(shape(q.sql)) ?? { n: 0, ms: 0 };
    cur.n++;
    statements.set(shape(q.sql), cur);
  }
});
const done = (_: unknown, q: { __knexQueryUid?: string; sql: string }) => {
  const st = q?.__knexQueryUid ? started.get(q.__knexQueryUid) : undefined;
  if (!st) return;
  started.delete(q.__knexQueryUid!);
  const cur = statements.get(st.sql) ?? { n: 0, ms: 0 };
  cur.n++;
  cur.ms += performance.now() - st.at;
  statements.set(st.sql, cur);
};
s.db.knex.on("query-response", done);
s.db.knex.on("query-error", done);

// ---- write transactions: size and phases
interface TxStat { n: number; lockMs: number; planMs: number; insertMs: number; commitMs: number; totalMs: number; entries: number }
const tx: TxStat = { n: 0, lockMs: 0, planMs: 0, insertMs: 0, commitMs: 0, totalMs: 0, entries: 0 };
const sizes = new Map<number, number>();
const original = s.store.withCommitteeBatch.bind(s.store);
s.store.withCommitteeBatch = async <T>(committeeId: number, work: (t: LockedLedger) => Promise<T>): Promise<T> => {
  const t0 = performance.now();
  let t1 = t0, t2 = t0, t3 = t0, entries = 0;
  const result = await original(committeeId, async (locked) => {
    t1 = performance.now();
    const insert = locked.insertEntries.bind(locked);
    locked.insertEntries = async (rows, responses) => {
      t2 = performance.now();
      entries = rows.length;
      await insert(rows, responses);
    };
    const r = await work(locked);
    t3 = performance.now();
    if (t2 === t0) t2 = t3;
    return r;
  });
  const t4 = performance.now();
  tx.n++;
  tx.lockMs += t1 - t0;
  tx.planMs += t2 - t1;
  tx.insertMs += t3 - t2;
  tx.commitMs += t4 - t3;
  tx.totalMs += t4 - t0;
  tx.entries += entries;
  sizes.set(entries, (sizes.get(entries) ?? 0) + 1);
  return result;
};

// ---- one request's life: arrival → submitted to the group committer → its batch committed → response sent
interface Life { n: number; inMs: number; waitMs: number; outMs: number }
const life: Life = { n: 0, inMs: 0, waitMs: 0, outMs: 0 };
const byKey = new Map<string, { arrived: number; submitted: number; committed: number }>();
const recordDonation = s.ledger.recordDonation.bind(s.ledger);
s.ledger.recordDonation = async (...args: Parameters<typeof recordDonation>) => {
  const t = byKey.get(args[3].idempotencyKey);
  if (t) t.submitted = performance.now();
  const r = await recordDonation(...args);
  if (t) t.committed = performance.now();
  return r;
};
const loopDelay = monitorEventLoopDelay({ resolution: 1 });
loopDelay.enable();
let elu0: EventLoopUtilization = perf.eventLoopUtilization();

const app = createApp(s, log);
const server = createServer(app);
// Before the app's own listener: the arrival time is taken first.
server.prependListener("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
  const t = { arrived: performance.now(), submitted: 0, committed: 0 };
  const key = req.headers["idempotency-key"];
  if (typeof key === "string") byKey.set(key, t);
  res.on("finish", () => {
    if (typeof key === "string") byKey.delete(key);
    if (t.committed > 0) {
      life.n++;
      life.inMs += t.submitted - t.arrived;
      life.waitMs += t.committed - t.submitted;
      life.outMs += performance.now() - t.committed;
    }
  });
});
server.listen(0, "127.0.0.1", () => {
  const addr = server.address();
  send({ type: "listening", port: typeof addr === "object" && addr ? addr.port : 0 });
});
server.keepAliveTimeout = 65_000;

function reset() {
  statements.clear();
  Object.assign(tx, { n: 0, lockMs: 0, planMs: 0, insertMs: 0, commitMs: 0, totalMs: 0, entries: 0 });
  sizes.clear();
  Object.assign(life, { n: 0, inMs: 0, waitMs: 0, outMs: 0 });
  loopDelay.reset();
  elu0 = perf.eventLoopUtilization();
}

process.on("message", (m: { type: string }) => {
  if (m.type === "reset") {
    reset();
    send({ type: "reset" });
  } else if (m.type === "stats") {
    send({
      type: "stats",
      statements: [...statements.entries()].map(([sql, v]) => ({ sql, ...v })).sort((a, b) => b.ms - a.ms),
      tx,
      sizes: [...sizes.entries()].sort((a, b) => a[0] - b[0]),
      cpu: process.cpuUsage(),
      life,
      loop: {
        utilization: perf.eventLoopUtilization(elu0).utilization,
        delayP50Ms: loopDelay.percentile(50) / 1e6, delayP99Ms: loopDelay.percentile(99) / 1e6, delayMaxMs: loopDelay.max / 1e6,
      },
      rssMb: Math.round(process.memoryUsage().rss / 1e6),
    });
  } else if (m.type === "analyze") {
    // A manual ANALYZE of the whole database, through the service's own connection (the only one PGlite has).
    const t0 = performance.now();
    void s.db.knex.raw("analyze").then(() => send({ type: "analyzed", ms: performance.now() - t0 }));
  } else if (m.type === "tables") {
    // What the planner knows of the largest tables: rows at the last ANALYZE (-1: never) against pages now.
    void s.db.knex.raw(`select c.relname as name, c.reltuples::bigint as reltuples, c.relpages as relpages,
        (pg_relation_size(c.oid) / current_setting('block_size')::int)::int as pages, s.last_analyze, s.analyze_count
      from pg_class c join pg_namespace n on n.oid = c.relnamespace
      left join pg_stat_user_tables s on s.relid = c.oid
      where n.nspname = current_schema() and c.relkind = 'r' order by pg_relation_size(c.oid) desc limit 8`)
      .then((r: { rows: unknown[] }) => send({ type: "tables", rows: r.rows }));
  } else if (m.type === "reads") {
    // Rows read so far: sequentially by table, through each index (bench/growth.ts, GROWTH_READS=1).
    void s.db.knex.raw(`select 'seq ' || relname as k, seq_tup_read as n from pg_stat_user_tables
      union all select relname || '.' || indexrelname, idx_tup_read from pg_stat_user_indexes`)
      .then((r: { rows: unknown[] }) => send({ type: "reads", rows: r.rows }));
  } else if (m.type === "stop") {
    server.closeAllConnections();
    server.close(() => {
      void s.close().then(() => process.exit(0)); // process.exit writes the --cpu-prof profile
    });
    setTimeout(() => process.exit(1), 5_000).unref();
  }
});
process.on("disconnect", () => process.exit(0)); // the parent is gone
process.on("SIGTERM", () => process.exit(0));

import { dbUrl, processTicks } from "./machine.js";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import http from "node:http";
import os from "node:os";
import pg from "pg";
import { createToken, hashToken, openSoquy, type Soquy } from "../src/context.js";
import { verifyChain } from "../src/ledger/verify.js";
import { type BaselineResult, type BaselineTarget, baselineBatched, baselineOnePerTx } from "./baseline.js";
import { Connection } from "./client.js";
import { DonationSource, donationBody } from "./data.js";
import { runStatementBench } from "./statements.js";
import { runBankImportBench } from "./bankimport.js";
import { embeddedBench } from "./embedded.js";
import { BenchService } from "./service.js";
import { runPublicReadBench } from "./publicread.js";
import { runGrowthBench } from "./growth.js";
import { runSaokeBench } from "./saoke.js";
import { runVerifyBench } from "./verify.js";

// npm run bench: the donation write path end to end, against a plain-SQL
// baseline, on a fresh PostgreSQL database that is dropped afterwards.
//
//   BENCH_DATABASE_URL  admin connection (default postgres://postgres@127.0.0.1:5432/postgres)
//   BENCH_SECONDS       measured seconds of HTTP load (default 20), after a 2 s warm-up
//   BENCH_CLIENTS       concurrent HTTP clients (default 32)
//   BENCH_BASELINE_SECONDS  seconds for each SQL baseline (default BENCH_SECONDS / 2, 3 to 10)
//   BENCH_QUIET_WAIT    seconds to wait for other work on the machine to stop first (default 90)
//   BENCH_AUTO_EXPLAIN=ms  log plans of statements slower than ms (auto_explain, nested in triggers too) and sum them
//   BENCH_AUTO_EXPLAIN_ANALYZE=0  … without per-node timing (its overhead inflates nested loops): durations only
//   BENCH_ANALYZE=0     do not ANALYZE after the warm-up (see the comment in main)
//   BENCH_PERF_MAP=1    the server writes a perf map (on-CPU profiles with `perf record -g -p <pid>`, JavaScript frames named)
//   BENCH_PROFILE=1     run the server with --cpu-prof into BENCH_PROFILE_DIR (default /tmp/prof; see bench/cpuprofile.ts)
//   BENCH_SKIP_BASELINE=1  only the service
//   BENCH_SERVERS=n     n service processes (clients spread over them; they serialise on the committee lock)
//   BENCH_HTTP_PROBE=1  also 5 s of requests refused by validation (422): the HTTP stack's ceiling without the database
//   BENCH_STATEMENTS=0  skip the statement figures at the end (bench/statements.ts: STATEMENT_ENTRIES,
//                       STATEMENT_PDF_ENTRIES, STATEMENT_PROFILE=1, … are described there)
//   BENCH_BANKIMPORT=0  skip the bank statement import (bench/bankimport.ts: a generated 1,000,000-line VCB
//                       statement beside psql \copy of the same file, then re-imported; BANKIMPORT_LINES, …)
//   BENCH_EMBEDDED=0    skip the embedded default's write rate, durable beside fsync off (bench/embedded.ts)
//   BENCH_PUBLICREAD=0  skip the public side under wrk beside a static file (bench/publicread.ts; needs wrk)
//   BENCH_SAOKE=0       skip the public sao kê: searches beside a reference lookup, the day's CSV (bench/saoke.ts:
//                       SAOKE_LINES, default 200,000; SAOKE_COMPARE=1 for the index choice)
//   BENCH_VERIFY=0      skip cli verify of a generated ledger beside COPY of its hashed columns into SHA-256 (bench/verify.ts:
//                       VERIFY_ENTRIES, default 1,000,000)
//   BENCH_GROWTH=postgres|pglite|both  only this: the service from an empty ledger, never ANALYZEd by the bench,
//                       in consecutive windows (bench/growth.ts: GROWTH_SECONDS, GROWTH_WINDOWS, GROWTH_DAYS)

const adminUrl = process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const seconds = Number(process.env.BENCH_SECONDS ?? 20);
const clients = Number(process.env.BENCH_CLIENTS ?? 32);
const warmupSeconds = 2;
const baselineSeconds = Number(process.env.BENCH_BASELINE_SECONDS ?? Math.min(10, Math.max(3, seconds / 2)));
const profile = process.env.BENCH_PROFILE === "1";
const profileDir = process.env.BENCH_PROFILE_DIR || "/tmp/prof";
const serverCount = Number(process.env.BENCH_SERVERS ?? 1);
const dbName = `soquy_bench_${process.pid}`;
const CAMPAIGN = "VI-NGHEO-2025";

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const ms = (n: number) => `${fmt(n, 1)} ms`;

function percentile(sorted: Float64Array | number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}


/** Stall time so far (µs) from Linux pressure stall information: some task waiting for CPU / for I/O. */
function pressure(): { cpu: number; io: number } | null {
  try {
    const some = (f: string) => Number(/some .*total=(\d+)/.exec(readFileSync(`/proc/pressure/${f}`, "utf8"))![1]);
    return { cpu: some("cpu"), io: some("io") };
  } catch {
    return null;
  }
}

/** Busy and total jiffies of the whole machine, from /proc/stat. */
function machineCpu(): { busy: number; total: number } | null {
  try {
    const line = readFileSync("/proc/stat", "utf8").split("\n")[0]!;
    const v = line.trim().split(/\s+/).slice(1).map(Number);
    const idle = (v[3] ?? 0) + (v[4] ?? 0);
    const total = v.reduce((a, b) => a + b, 0);
    return { busy: total - idle, total };
  } catch {
    return null;
  }
}

// ---------------------------------------------------------------- the child server

interface ServerStats {
  statements: { sql: string; n: number; ms: number }[];
  tx: { n: number; lockMs: number; planMs: number; insertMs: number; commitMs: number; totalMs: number; entries: number };
  sizes: [number, number][];
  cpu: { user: number; system: number };
  rssMb: number;
  life: { n: number; inMs: number; waitMs: number; outMs: number };
  loop: { utilization: number; delayP50Ms: number; delayP99Ms: number; delayMaxMs: number };
}

/** The service with this bench's profiling options. */
async function startServer(databaseUrl: string): Promise<BenchService> {
  const nodeArgs = ["--import", "tsx"];
  // BENCH_PERF_MAP=1: V8 writes /tmp/perf-<pid>.map, so `perf record -p <service pid>` names JavaScript frames.
  if (process.env.BENCH_PERF_MAP === "1") nodeArgs.unshift("--perf-basic-prof-only-functions");
  if (profile) {
    mkdirSync(profileDir, { recursive: true });
    nodeArgs.unshift("--cpu-prof", `--cpu-prof-dir=${profileDir}`);
  }
  return BenchService.start(nodeArgs, { DATABASE_URL: databaseUrl }, 60_000);
}

/** Sums the statistics of several service processes. */
function mergeStats(list: ServerStats[]): ServerStats {
  if (list.length === 1) return list[0]!;
  const statements = new Map<string, { sql: string; n: number; ms: number }>();
  const sizes = new Map<number, number>();
  const out: ServerStats = {
    statements: [], sizes: [],
    tx: { n: 0, lockMs: 0, planMs: 0, insertMs: 0, commitMs: 0, totalMs: 0, entries: 0 },
    cpu: { user: 0, system: 0 }, rssMb: 0, life: { n: 0, inMs: 0, waitMs: 0, outMs: 0 },
    loop: { utilization: 0, delayP50Ms: 0, delayP99Ms: 0, delayMaxMs: 0 },
  };
  for (const x of list) {
    for (const st of x.statements) {
      const cur = statements.get(st.sql) ?? { sql: st.sql, n: 0, ms: 0 };
      cur.n += st.n;
      cur.ms += st.ms;
      statements.set(st.sql, cur);
    }
    for (const [k, n] of x.sizes) sizes.set(k, (sizes.get(k) ?? 0) + n);
    for (const k of Object.keys(out.tx) as (keyof ServerStats["tx"])[]) out.tx[k] += x.tx[k];
    for (const k of Object.keys(out.life) as (keyof ServerStats["life"])[]) out.life[k] += x.life[k];
    out.cpu.user += x.cpu.user;
    out.cpu.system += x.cpu.system;
    out.rssMb += x.rssMb;
    out.loop.utilization += x.loop.utilization / list.length;
    out.loop.delayP50Ms = Math.max(out.loop.delayP50Ms, x.loop.delayP50Ms);
    out.loop.delayP99Ms = Math.max(out.loop.delayP99Ms, x.loop.delayP99Ms);
    out.loop.delayMaxMs = Math.max(out.loop.delayMaxMs, x.loop.delayMaxMs);
  }
  out.statements = [...statements.values()].sort((a, b) => b.ms - a.ms);
  out.sizes = [...sizes.entries()].sort((a, b) => a[0] - b[0]);
  return out;
}

async function waitForHealth(port: number): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const r = await request(port, "GET", "/health", null, {}, new http.Agent());
      if (r.status === 200) return;
    } catch {
      // not yet
    }
    if (Date.now() > deadline) throw new Error("/health did not answer 200 within 30 s");
    await new Promise((r) => setTimeout(r, 100));
  }
}

function request(port: number, method: string, path: string, body: string | null, headers: Record<string, string>, agent: http.Agent) {
  return new Promise<{ status: number; body: string }>((resolve, reject) => {
    const req = http.request({ host: "127.0.0.1", port, method, path, agent, headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
      res.on("error", reject);
    });
    req.on("error", reject);
    req.end(body ?? undefined);
  });
}

// ---------------------------------------------------------------- the HTTP load

interface LoadResult {
  ok: number; // every 201, warm-up included
  measured: number;
  seconds: number;
  latencies: Float64Array;
  errors: { status: number; body: string }[];
  errorCount: number;
  cpu: { machineBusy: number | null; loadgenCores: number };
  pressure: { cpu: number; io: number } | null; // share of the window some task stalled
  procs: [Map<number, { comm: string; ticks: number }>, Map<number, { comm: string; ticks: number }>];
  windowSeconds: number;
}

/**
 * `invalid`: the same requests without amountDong, refused with 422 by zod after
 * helmet, logging, body parsing and auth: the HTTP stack's own ceiling, no database.
 */
async function httpLoad(servers: BenchService[], token: string, mode: "donations" | "invalid" = "donations", measureSeconds = seconds,
  afterWarmup?: () => Promise<void>): Promise<LoadResult> {
  const expected = mode === "donations" ? 201 : 422;
  const source = new DonationSource(`s${process.pid}`, 1);
  const path = `/api/v1/campaigns/${CAMPAIGN}/donations`;
  const auth = `Bearer ${token}`;
  let phase: "warmup" | "measure" | "stop" = "warmup";
  let ok = 0, measured = 0, errorCount = 0, lastDone = 0, t0 = 0;
  const errors: { status: number; body: string }[] = [];
  const latencies: number[] = [];

  const connections: Connection[] = [];
  const loop = async (_: unknown, i: number) => {
    const server = servers[i % servers.length]!;
    const connection = new Connection(server.port);
    connections.push(connection);
    while (phase !== "stop") {
      const spec = source.next();
      const body = mode === "donations" ? donationBody(spec) : donationBody(spec).replace(/"amountDong":"\d+",/, "");
      const counted = phase === "measure";
      const started = performance.now();
      let res: { status: number; body: string };
      try {
        res = await connection.request("POST", path, {
          "Content-Type": "application/json",
          Authorization: auth,
          "Idempotency-Key": spec.key,
        }, body);
      } catch (error) {
        res = { status: 0, body: String(error) };
      }
      const done = performance.now();
      if (res.status === expected) ok++;
      else {
        errorCount++;
        if (errors.length < 10) errors.push(res);
      }
      if (counted) {
        latencies.push(done - started);
        measured++;
        lastDone = done;
      }
    }
  };
  const running = Array.from({ length: clients }, loop);
  await new Promise((r) => setTimeout(r, warmupSeconds * 1000));
  if (afterWarmup) await afterWarmup();
  await Promise.all(servers.map((server) => server.ask("reset", { type: "reset" })));
  const cpu0 = machineCpu();
  const procs0 = processTicks();
  const psi0 = pressure();
  const lg0 = process.cpuUsage();
  phase = "measure";
  t0 = performance.now();
  await new Promise((r) => setTimeout(r, measureSeconds * 1000));
  phase = "stop";
  const procs1 = processTicks();
  const psi1 = pressure();
  const cpu1 = machineCpu();
  const windowSeconds = (performance.now() - t0) / 1000;
  await Promise.all(running);
  const lg = process.cpuUsage(lg0);
  for (const c of connections) c.close();
  const secs = (lastDone - t0) / 1000;
  const sorted = Float64Array.from(latencies).sort();
  return {
    ok, measured, seconds: secs, latencies: sorted, errors, errorCount, procs: [procs0, procs1], windowSeconds,
    pressure: psi0 && psi1 ? { cpu: (psi1.cpu - psi0.cpu) / 1e6 / windowSeconds, io: (psi1.io - psi0.io) / 1e6 / windowSeconds } : null,
    cpu: {
      machineBusy: cpu0 && cpu1 ? ((cpu1.busy - cpu0.busy) / (cpu1.total - cpu0.total)) * os.cpus().length : null,
      loadgenCores: (lg.user + lg.system) / 1e6 / secs,
    },
  };
}

/** Who used the CPU during the window, in cores. */
function cpuShares(load: LoadResult, serverPids: Set<number>, ourBackends: Set<number>) {
  const [p0, p1] = load.procs;
  const secs = load.windowSeconds;
  const share = { service: 0, ourPg: 0, loadgen: 0, otherPg: 0, other: 0, otherTop: "" };
  const others = new Map<string, number>();
  for (const [pid, now] of p1) {
    const before = p0.get(pid);
    const ticks = now.ticks - (before && before.comm === now.comm ? before.ticks : 0);
    const cores = ticks / 100 / secs;
    if (serverPids.has(pid)) share.service += cores;
    else if (pid === process.pid) share.loadgen += cores;
    else if (ourBackends.has(pid)) share.ourPg += cores;
    else if (now.comm.startsWith("postgres")) share.otherPg += cores;
    else {
      share.other += cores;
      others.set(now.comm, (others.get(now.comm) ?? 0) + cores);
    }
  }
  // Processes that ended inside the window are not in p1: count them as other.
  const accounted = share.service + share.ourPg + share.loadgen + share.otherPg + share.other;
  if (load.cpu.machineBusy !== null && load.cpu.machineBusy > accounted) share.other += load.cpu.machineBusy - accounted;
  share.otherTop = [...others.entries()].sort((a, b) => b[1] - a[1]).filter(([, c]) => c >= 0.05).slice(0, 3)
    .map(([comm, c]) => `${comm} ${fmt(c, 2)}`).join(", ");
  return share;
}

// ---------------------------------------------------------------- main

const cleanups: (() => Promise<void>)[] = [];
async function cleanup(): Promise<void> {
  while (cleanups.length > 0) {
    try {
      await cleanups.pop()!();
    } catch (error) {
      console.error("cleanup:", error);
    }
  }
}
let interrupted = false;
for (const signal of ["SIGINT", "SIGTERM"] as const) {
  process.on(signal, () => {
    if (interrupted) process.exit(130);
    interrupted = true;
    console.error(`${signal}: cleaning up (dropping ${dbName})`);
    void cleanup().then(() => process.exit(130));
  });
}

/** The machine is shared: wait (up to BENCH_QUIET_WAIT s, default 90) until other work uses < 0.3 cores over 2 s. */
async function waitForQuiet(): Promise<void> {
  const limit = Date.now() + Number(process.env.BENCH_QUIET_WAIT ?? 90) * 1000;
  let said = false;
  for (;;) {
    const a = machineCpu();
    const pa = pressure();
    await new Promise((r) => setTimeout(r, 2000));
    const b = machineCpu();
    const pb = pressure();
    if (!a || !b) return;
    const busy = ((b.busy - a.busy) / (b.total - a.total)) * os.cpus().length;
    const io = pa && pb ? (pb.io - pa.io) / 2e6 : 0;
    if (busy < 0.3 && io < 0.05) return;
    const what = `${fmt(busy, 2)} cores busy, I/O stalls ${fmt(io * 100)}% of the time`;
    if (Date.now() > limit) {
      console.log(`the machine is still busy with other work (${what}): measuring anyway`);
      return;
    }
    if (!said) console.log(`waiting for a quiet machine (${what})…`);
    said = true;
  }
}

async function main(): Promise<void> {
  await waitForQuiet();
  if (process.env.BENCH_GROWTH) return runGrowthBench(process.env.BENCH_GROWTH, adminUrl);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  cleanups.push(() => admin.end());
  const serverVersion = (await admin.query("show server_version")).rows[0].server_version as string;
  const settings = (await admin.query(
    "select name, setting from pg_settings where name in ('fsync', 'synchronous_commit', 'shared_buffers', 'commit_delay', 'wal_sync_method')",
  )).rows.map((r) => `${r.name}=${r.setting}`).join(" ");
  await admin.query(`create database ${dbName}`);
  cleanups.push(async () => {
    await admin.query(`drop database if exists ${dbName} with (force)`);
  });
  const databaseUrl = dbUrl(adminUrl, dbName);
  let explainLog: { file: string; from: number } | null = null;
  if (process.env.BENCH_AUTO_EXPLAIN) {
    // Diagnostics: every statement (nested ones in triggers too) slower than this is logged with
    // its plan and trigger times by the server. Needs a superuser; the log is the server's own.
    const file = process.env.BENCH_PG_LOG || "/var/log/postgresql/postgresql-15-main.log";
    for (const [k, v] of [["session_preload_libraries", "auto_explain"], ["auto_explain.log_min_duration", `${Number(process.env.BENCH_AUTO_EXPLAIN)}ms`],
      ["auto_explain.log_analyze", process.env.BENCH_AUTO_EXPLAIN_ANALYZE === "0" ? "off" : "on"],
      ["auto_explain.log_nested_statements", "on"], ["auto_explain.log_triggers", process.env.BENCH_AUTO_EXPLAIN_ANALYZE === "0" ? "off" : "on"]]) {
      await admin.query(`alter database ${dbName} set ${k} = '${v}'`);
    }
    let from = 0;
    try {
      from = statSync(file).size;
    } catch {
      // no readable log
    }
    explainLog = { file, from };
  }
  console.log(`database ${dbName} on PostgreSQL ${serverVersion} (${settings}); ${os.cpus().length} cores`);

  // Setup through the real code: migrations, committee, treasurer token, campaign.
  const s: Soquy = await openSoquy({ databaseUrl, holder: "cli" });
  cleanups.push(() => s.close());
  const committee = await s.store.createCommittee("bench-service", "Ban Thường trực MTTQ phường Bench");
  const token = await createToken(s, committee.id, "treasurer", "bench treasurer");
  const admin1 = await createToken(s, committee.id, "admin", "bench admin");
  await s.ledger.createCampaign((await s.store.findPrincipal(hashToken(admin1)))!, {
    code: CAMPAIGN, name: "Quỹ Vì người nghèo 2025", kind: "for_the_poor", startsOn: "2025-01-01",
  }, { idempotencyKey: "bench-campaign", requestHash: "0".repeat(64) });

  // The service in its own process.
  const servers: BenchService[] = [];
  for (let i = 0; i < serverCount; i++) {
    const server = await startServer(databaseUrl);
    servers.push(server);
    cleanups.push(() => server.stop());
    await waitForHealth(server.port);
  }
  console.log(`service ${servers.map((x) => `pid ${x.child.pid} on 127.0.0.1:${x.port}`).join(", ")}${profile ? ` (profiling into ${profileDir})` : ""}; ` +
    `${clients} clients, ${warmupSeconds} s warm-up, ${seconds} s measured`);

  // A fresh database has no statistics: plans cached in the service's sessions while the tables
  // were empty (foreign-key checks included) can pick the wrong index and then scan more and more
  // rows per lookup as the ledger grows, until autovacuum's ANALYZE (within about a minute in
  // production) invalidates them. The bench measures the steady state: ANALYZE after the warm-up.
  // BENCH_ANALYZE=0 keeps the fresh-database behaviour.
  const analyze = process.env.BENCH_ANALYZE !== "0";
  const load = await httpLoad(servers, token, "donations", seconds, analyze ? async () => {
    const t0 = performance.now();
    await s.db.knex.raw("analyze");
    console.log(`  (ANALYZE after the warm-up: ${fmt(performance.now() - t0)} ms)`);
  } : undefined);
  const stats = mergeStats(await Promise.all(servers.map((x) => x.ask<ServerStats>("stats", { type: "stats" }))));
  const server = servers[0]!;
  let probe: { rate: number; cpuMs: number; p50: number } | null = null;
  if (process.env.BENCH_HTTP_PROBE === "1") {
    const cpu0 = (await server.ask<ServerStats>("stats", { type: "stats" })).cpu;
    const r = await httpLoad([server], token, "invalid", 5);
    const cpu1 = (await server.ask<ServerStats>("stats", { type: "stats" })).cpu;
    const total = r.ok + r.errorCount; // warm-up included in the CPU, so divide by every request
    probe = { rate: r.measured / r.seconds, cpuMs: ((cpu1.user + cpu1.system - cpu0.user - cpu0.system) / 1000) / total, p50: percentile(r.latencies, 50) };
    if (r.errorCount > 0) console.log(`  probe: ${r.errorCount} responses were not 422: ${r.errors[0]?.body.slice(0, 200)}`);
  }
  const ourBackends = new Set<number>((await admin.query("select pid from pg_stat_activity where datname = $1", [dbName])).rows.map((r) => Number(r.pid)));
  const share = cpuShares(load, new Set(servers.map((x) => x.child.pid ?? -1)), ourBackends);
  for (const x of servers) await x.stop();
  cleanups.splice(cleanups.length - servers.length, servers.length);

  const rate = load.measured / load.seconds;
  const lat = load.latencies;
  console.log(`\nservice: ${fmt(load.measured)} donations in ${fmt(load.seconds, 2)} s = ${fmt(rate)} entries/s; ` +
    `latency p50 ${ms(percentile(lat, 50))} p90 ${ms(percentile(lat, 90))} p99 ${ms(percentile(lat, 99))} max ${ms(lat[lat.length - 1] ?? NaN)}; ` +
    `${load.errorCount} errors`);
  for (const e of load.errors) console.log(`  error ${e.status}: ${e.body.slice(0, 300)}`);

  // What the server saw: write transactions (= batches), their phases, statements per batch.
  const tx = stats.tx;
  if (tx.n > 0) {
    const avg = (x: number) => ms(x / tx.n);
    console.log(`  batches: ${fmt(tx.n)} transactions, ${fmt(tx.entries / tx.n, 1)} entries each on average; ` +
      `per batch: wait for connection+BEGIN+lock ${avg(tx.lockMs)}, reads+plan ${avg(tx.planMs)}, ` +
      `INSERTs+COMMIT (one round trip: inserts, deferred checks, fsync) ${avg(tx.insertMs + tx.commitMs)}, total ${avg(tx.totalMs)}`);
    const buckets = [[1, 1], [2, 4], [5, 8], [9, 16], [17, 24], [25, 32], [33, 256]] as const;
    console.log(`  batch sizes: ${buckets.map(([a, b]) => {
      const n = stats.sizes.filter(([k]) => k >= a && k <= b).reduce((x, [, c]) => x + c, 0);
      return `${a === b ? a : `${a}-${b}`}: ${n}`;
    }).join(", ")}`);
    const l = stats.life;
    if (l.n > 0) {
      console.log(`  a request's life in the service (mean): arrival → submitted to the committer ${ms(l.inMs / l.n)}, ` +
        `→ its batch committed ${ms(l.waitMs / l.n)}, → response sent ${ms(l.outMs / l.n)}; ` +
        `event loop busy ${fmt(stats.loop.utilization * 100)}%, delay p50 ${ms(stats.loop.delayP50Ms)} p99 ${ms(stats.loop.delayP99Ms)} max ${ms(stats.loop.delayMaxMs)}`);
    }
    const totalStatements = stats.statements.reduce((x, st) => x + st.n, 0);
    console.log(`  other statements (through knex; each write batch also sends 4 of its own on its connection: BEGIN, the lock, ` +
      `its reads, its INSERTs with COMMIT): ${fmt(totalStatements)} in the window, ${fmt(totalStatements / tx.n, 1)} per batch; by time spent:`);
    for (const st of stats.statements.slice(0, 14)) {
      console.log(`    ${String(st.n).padStart(7)} × ${st.ms > 0 ? `${fmt(st.ms / st.n, 2)} ms` : "   (tx) "}  ${st.sql}`);
    }
  }
  console.log(`  CPU in cores (of ${os.cpus().length}) during the window: machine busy ${load.cpu.machineBusy === null ? "?" : fmt(load.cpu.machineBusy, 2)} = ` +
    `service ${fmt(share.service, 2)} + its PostgreSQL backends ${fmt(share.ourPg, 2)} + load generator ${fmt(share.loadgen, 2)} + ` +
    `other PostgreSQL ${fmt(share.otherPg, 2)} + other processes ${fmt(share.other, 2)}${share.otherTop ? ` (${share.otherTop})` : ""}; service RSS ${stats.rssMb} MB`);
  if (load.pressure) {
    console.log(`  stalls (Linux PSI) during the window: some task waited for CPU ${fmt(load.pressure.cpu * 100)}% and for I/O ${fmt(load.pressure.io * 100)}% of the time`);
  }
  if (share.other + share.otherPg > 0.25) {
    console.log(`  WARNING: other work used ${fmt(share.other + share.otherPg, 2)} cores during the window: the numbers are pessimistic; rerun on a quiet machine`);
  }

  if (probe) {
    console.log(`  HTTP stack alone (POST refused with 422 by validation, no database): ${fmt(probe.rate)} requests/s, ` +
      `p50 ${ms(probe.p50)}, service CPU ${fmt(probe.cpuMs, 2)} ms per request ` +
      `(donations: ${fmt(((stats.cpu.user + stats.cpu.system) / 1000) / load.ok, 2)} ms per request, whole run)`);
  }

  // The database agrees with the clients, and the chain verifies.
  const [{ entries, txs }] = (await s.db.knex.raw(
    "select count(*)::int as entries, count(distinct xmin::text)::int as txs from journal_entries where committee_id = ?", [committee.id],
  )).rows;
  const countOk = entries === load.ok;
  console.log(`  database: ${fmt(entries)} entries in ${fmt(txs)} transactions (${fmt(entries / txs, 1)} per transaction, warm-up included); ` +
    `201 responses ${fmt(load.ok)}: ${countOk ? "equal" : "MISMATCH"}`);
  const v0 = performance.now();
  const report = await verifyChain(s.store, committee.id);
  const verifySecs = (performance.now() - v0) / 1000;
  console.log(`  verifyChain: ok=${report.ok} checked ${fmt(report.checked)} head seq ${report.headSeq} in ${fmt(verifySecs, 2)} s` +
    (report.ok ? "" : ` — broken at ${report.firstBrokenSeq}: ${report.reason}`));

  // The plain-SQL baselines, on a second committee, service stopped.
  let oneTx: BaselineResult | null = null, batched: BaselineResult | null = null;
  if (process.env.BENCH_SKIP_BASELINE !== "1") {
    const c2 = await s.store.createCommittee("bench-sql", "Ban Thường trực MTTQ xã Baseline");
    const t2 = await createToken(s, c2.id, "admin", "bench sql");
    const p2 = (await s.store.findPrincipal(hashToken(t2)))!;
    await s.ledger.createCampaign(p2, { code: CAMPAIGN, name: "Quỹ Vì người nghèo 2025", kind: "for_the_poor", startsOn: "2025-01-01" },
      { idempotencyKey: "bench-campaign", requestHash: "0".repeat(64) });
    const campaign = (await s.store.findCampaign(c2.id, CAMPAIGN))!;
    const book = await s.db.knex("receipt_books").where({ committee_id: c2.id, series: "PT", code: "PT" }).first("id", "code");
    const target: BaselineTarget = { databaseUrl, committee: c2, campaign, recordedBy: p2.tokenId, ptBook: { id: Number(book.id), code: book.code } };

    oneTx = await baselineOnePerTx(target, new DonationSource(`a${process.pid}`, 2), clients, baselineSeconds);
    const la = oneTx.latenciesMs.sort((a, b) => a - b);
    console.log(`\nbaseline (a) 1 entry/tx, ${clients} connections: ${fmt(oneTx.entries)} in ${fmt(oneTx.seconds, 2)} s = ${fmt(oneTx.perSecond)} entries/s; ` +
      `latency p50 ${ms(percentile(la, 50))} p99 ${ms(percentile(la, 99))}`);

    batched = await baselineBatched(target, new DonationSource(`b${process.pid}`, 3), 256, baselineSeconds);
    const ph = batched.phases!;
    const per = (x: number) => `${ms(x / ph.tx)} (${fmt((x / batched!.entries) * 1000, 0)} µs/entry)`;
    console.log(`baseline (b) 256 entries/tx, 1 connection: ${fmt(batched.entries)} in ${fmt(batched.seconds, 2)} s = ${fmt(batched.perSecond)} entries/s; ` +
      `per transaction: lock+head+donors+hashing ${per(ph.planMs)}, multi-row inserts ${per(ph.insertMs)}, ` +
      `deferred triggers ${per(ph.triggersMs)}, COMMIT ${per(ph.commitMs)}`);
    const [{ n2 }] = (await s.db.knex.raw("select count(*)::int as n2 from journal_entries where committee_id = ?", [c2.id])).rows;
    if (n2 !== oneTx.entries + batched.entries) throw new Error(`baseline committee has ${n2} entries, expected ${oneTx.entries + batched.entries}`);
  }

  // Statements (bench/statements.ts): CSV and PDF of generated campaigns, on a database of their own.
  let statementLines: string[] = [];
  if (process.env.BENCH_STATEMENTS !== "0") {
    console.log("");
    try {
      statementLines = (await runStatementBench({ adminUrl })).lines;
    } catch (error) {
      console.error(error);
      statementLines = [`statements: FAILED (${error instanceof Error ? error.message : String(error)})`];
      process.exitCode = 1;
    }
  }

  // Bank statement import (bench/bankimport.ts), on a database of its own.
  let bankLines: string[] = [];
  if (process.env.BENCH_BANKIMPORT !== "0") {
    console.log("");
    try {
      const r = await runBankImportBench({ adminUrl });
      bankLines = [...r.lines, `bank import goal (< 60 s, < 300 MB, re-import adds 0): ${r.met ? "met" : "MISSED"}`];
    } catch (error) {
      console.error(error);
      bankLines = [`bank import: FAILED (${error instanceof Error ? error.message : String(error)})`];
      process.exitCode = 1;
    }
  }

  // The embedded default (bench/embedded.ts): durable writes beside PGlite's own fsync-off start-up.
  const embeddedLines: string[] = [];
  if (process.env.BENCH_EMBEDDED !== "0") {
    console.log("");
    const runs = await embeddedBench();
    const mean = (mode: string) => {
      const of = runs.filter((r) => r.mode === mode);
      return of.reduce((a, r) => a + r.perSecond, 0) / Math.max(1, of.length);
    };
    const worstP99 = Math.max(...runs.filter((r) => r.mode === "durable").map((r) => r.p99Ms));
    embeddedLines.push(`${"embedded (PGlite), durable, 32 callers:".padEnd(38)}${fmt(mean("durable")).padStart(6)} entries/s  p99 ≤ ${ms(worstP99)}  ` +
      `ratio ${fmt(mean("durable") / mean("fsync off"), 2)} to fsync off (${fmt(mean("fsync off"))}/s, same run)`);
  }

  // The public side in a news spike (bench/publicread.ts), on databases of its own.
  let publicReadLines: string[] = [];
  if (process.env.BENCH_PUBLICREAD !== "0") {
    console.log("");
    publicReadLines = await runPublicReadBench(adminUrl);
  }

  // The public sao kê (bench/saoke.ts), on a database of its own.
  let saokeLines: string[] = [];
  if (process.env.BENCH_SAOKE !== "0") {
    console.log("");
    try {
      const r = await runSaokeBench({ adminUrl });
      saokeLines = r.lines;
      if (!r.met) process.exitCode = 1;
    } catch (error) {
      console.error(error);
      saokeLines = [`saoke: FAILED (${error instanceof Error ? error.message : String(error)})`];
      process.exitCode = 1;
    }
  }

  // cli verify at an auditor's pace (bench/verify.ts), on a database of its own.
  let verifyLines: string[] = [];
  if (process.env.BENCH_VERIFY !== "0") {
    console.log("");
    try {
      const r = await runVerifyBench({ adminUrl });
      verifyLines = r.lines;
      if (!r.met) process.exitCode = 1;
    } catch (error) {
      console.error(error);
      verifyLines = [`verify: FAILED (${error instanceof Error ? error.message : String(error)})`];
      process.exitCode = 1;
    }
  }

  // The summary.
  const pad = (label: string) => label.padEnd(38);
  const lines = [
    `soquy bench (PostgreSQL ${serverVersion.split(" ")[0]}, ${os.cpus().length} cores)`,
    `${pad(`service${serverCount > 1 ? ` ×${serverCount} processes` : ""}  HTTP donations, ${clients} clients:`)}${fmt(rate).padStart(6)} entries/s  p50 ${ms(percentile(lat, 50))}  p90 ${ms(percentile(lat, 90))}  ` +
      `p99 ${ms(percentile(lat, 99))}  max ${ms(lat[lat.length - 1] ?? NaN)}  (${load.errorCount} errors)`,
  ];
  if (oneTx && batched) {
    lines.push(`${pad(`baseline SQL, 1 entry/tx, ${clients} conns:`)}${fmt(oneTx.perSecond).padStart(6)} entries/s   ratio ${fmt(rate / oneTx.perSecond, 2)}`);
    lines.push(`${pad("baseline SQL, 256 entries/tx:")}${fmt(batched.perSecond).padStart(6)} entries/s   ratio ${fmt(rate / batched.perSecond, 2)}`);
  }
  lines.push(`verify: ${fmt(report.checked)} entries ${report.ok ? "ok" : "BROKEN"} in ${fmt(verifySecs, 1)} s; ` +
    `database count ${countOk ? "=" : "≠"} 201 count (${fmt(entries)})`);
  lines.push(`machine during the HTTP window: other work used ${fmt(share.other + share.otherPg, 2)} cores` +
    (load.pressure ? `, CPU stalls ${fmt(load.pressure.cpu * 100)}% of the time` : "") +
    (share.other + share.otherPg > 0.25 ? " (NOT quiet: the numbers are pessimistic)" : " (quiet)"));
  const goal = rate >= 1500 && percentile(lat, 99) < 50;
  lines.push(`goal ≥ 1,500 entries/s and p99 < 50 ms: ${goal ? "met" : "MISSED"}`);
  lines.push(...statementLines, ...bankLines, ...embeddedLines, ...publicReadLines, ...saokeLines, ...verifyLines);
  console.log(`\n${lines.join("\n")}`);

  if (explainLog) {
    try {
      const text = readFileSync(explainLog.file, "utf8").slice(explainLog.from);
      const mine = text.split(/\n(?=\d{4}-\d{2}-\d{2} )/).filter((x) => x.includes(`@${dbName} LOG:  duration:`));
      const byQuery = new Map<string, { n: number; ms: number }>();
      for (const entry of mine) {
        const m = /duration: ([\d.]+) ms\s+plan:\s*\n\s*Query Text: ([^\n]{0,100})/.exec(entry);
        if (!m) continue;
        const cur = byQuery.get(m[2]!) ?? { n: 0, ms: 0 };
        cur.n++;
        cur.ms += Number(m[1]);
        byQuery.set(m[2]!, cur);
      }
      console.log(`\nauto_explain: ${mine.length} plans over ${process.env.BENCH_AUTO_EXPLAIN} ms in ${explainLog.file} (from byte ${explainLog.from}); slowest by total:`);
      for (const [q, v] of [...byQuery.entries()].sort((a, b) => b[1].ms - a[1].ms).slice(0, 20)) {
        console.log(`  ${String(v.n).padStart(6)} × ${fmt(v.ms / v.n, 1).padStart(6)} ms  ${q}`);
      }
    } catch (error) {
      console.log(`auto_explain: could not read ${explainLog.file}: ${String(error)}`);
    }
  }
  if (load.errorCount > 0 || !countOk || !report.ok) process.exitCode = 1;
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  await cleanup();
}

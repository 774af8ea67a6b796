import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";
import { createToken, hashToken, openSoquy } from "../src/context.js";
import { Connection } from "./client.js";
import { DonationSource, donationBody } from "./data.js";
import { dbUrl } from "./machine.js";
import { BenchService } from "./service.js";

// npm run bench with BENCH_GROWTH=postgres|pglite|both: does recording slow down as the ledger grows?
//
// The service starts on an empty ledger (a fresh database, or a fresh PGlite data folder for the
// embedded default) and nothing here runs ANALYZE before or between the measured windows: whatever
// keeps the plans healthy is the service's own doing. 32 clients (BENCH_CLIENTS) post donations
// without pause through GROWTH_WINDOWS (6) consecutive windows of GROWTH_SECONDS (10) s each; then,
// on PostgreSQL, a manual ANALYZE and one more window: the same service's rate with fresh statistics. The mix:
// cash and bank donations (each bank one with its own reference), donors who give more than once,
// all on GROWTH_DAYS (3) days. Goals: on PostgreSQL each window ≥ 0.9 × the window after ANALYZE
// and p99 < 50 ms; on PGlite the windows within 15 % of each other and p99 < 250 ms.
// Diagnostics: GROWTH_READS=1 prints the rows read per donation by index after each window;
// GROWTH_AUTO_EXPLAIN=ms (PostgreSQL) has the server log the plans of slower statements, nested ones included.

const CAMPAIGN = "VI-NGHEO-2025";
const clients = Number(process.env.BENCH_CLIENTS ?? 32);
const windowSeconds = Number(process.env.GROWTH_SECONDS ?? 10);
const windows = Number(process.env.GROWTH_WINDOWS ?? 6);
const days = Number(process.env.GROWTH_DAYS ?? 3);

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });

interface Window { rate: number; p50: number; p99: number; entries: number; errors: number }

/** The bench's service (bench/server.ts) in its own process, spoken to over IPC. */

/** A committee, a treasurer token and the campaign, made through the real code; returns the token. */
async function setUp(opts: { databaseUrl?: string; dataDir?: string }): Promise<string> {
  const s = await openSoquy({ ...opts, holder: "cli" });
  try {
    const committee = await s.store.createCommittee("bench-growth", "Ban Thường trực MTTQ phường Tăng trưởng");
    const token = await createToken(s, committee.id, "treasurer", "bench treasurer");
    const admin = await createToken(s, committee.id, "admin", "bench admin");
    await s.ledger.createCampaign((await s.store.findPrincipal(hashToken(admin)))!, {
      code: CAMPAIGN, name: "Quỹ Vì người nghèo 2025", kind: "for_the_poor", startsOn: "2025-01-01",
    }, { idempotencyKey: "bench-campaign", requestHash: "0".repeat(64) });
    return token;
  } finally {
    await s.close();
  }
}

function percentile(sorted: Float64Array, p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Clients post without pause from the first window to the last; each window counts the requests that
 * completed inside it. `between` runs after window `windows` (the clients go on meanwhile, uncounted).
 */
async function load(service: BenchService, token: string, between: (() => Promise<void>) | null,
  reads: ((donations: number) => Promise<string>) | null): Promise<Window[]> {
  const source = new DonationSource(`g${process.pid}`, 7, days);
  const url = `/api/v1/campaigns/${CAMPAIGN}/donations`;
  let current: { latencies: number[]; errors: number } | null = null;
  let stop = false;
  let total = 0;
  const firstErrors: string[] = [];
  const post = async (connection: Connection) => {
    const spec = source.next();
    const t0 = performance.now();
    let status = 0, body = "";
    try {
      ({ status, body } = await connection.request("POST", url, {
        "Content-Type": "application/json", Authorization: `Bearer ${token}`, "Idempotency-Key": spec.key,
      }, donationBody(spec)));
    } catch (error) {
      body = String(error);
    }
    const w = current;
    if (status === 201) total++;
    if (!w) return;
    if (status === 201) w.latencies.push(performance.now() - t0);
    else {
      w.errors++;
      if (firstErrors.length < 3) firstErrors.push(`${status}: ${body.slice(0, 200)}`);
    }
  };
  const connections = Array.from({ length: clients }, () => new Connection(service.port));
  // One request per client first: the connections are open when the first window starts.
  await Promise.all(connections.map(post));
  const running = connections.map(async (c) => {
    while (!stop) await post(c);
  });
  const out: Window[] = [];
  const measure = async (label: string) => {
    current = { latencies: [], errors: 0 };
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, windowSeconds * 1000));
    const w = current;
    current = null;
    const secs = (performance.now() - t0) / 1000;
    const sorted = Float64Array.from(w.latencies).sort();
    const win = { rate: sorted.length / secs, p50: percentile(sorted, 50), p99: percentile(sorted, 99), entries: total, errors: w.errors };
    out.push(win);
    console.log(`  ${label.padEnd(16)} ${fmt(win.rate).padStart(6)} donations/s  p50 ${fmt(win.p50, 1).padStart(6)} ms  ` +
      `p99 ${fmt(win.p99, 1).padStart(7)} ms  ledger ${fmt(win.entries).padStart(7)} entries${win.errors ? `  ${win.errors} ERRORS` : ""}`);
    if (reads) console.log(`      ${await reads(sorted.length)}`);
  };
  if (reads) await reads(0);
  for (let i = 1; i <= windows; i++) await measure(`window ${i}`);
  if (between) {
    await between();
    await measure("after ANALYZE");
  }
  stop = true;
  await Promise.all(running);
  for (const c of connections) c.close();
  for (const e of firstErrors) console.log(`  error ${e}`);
  return out;
}

/**
 * GROWTH_READS=1: after each window, the rows the service's statements read per donation recorded in
 * it, sequentially by table and through each index (pg_stat_user_tables, pg_stat_user_indexes, read by
 * the service itself): a lookup whose plan scans more as the ledger grows shows as an index or table
 * whose reads per donation grow window after window.
 */
function tableReads(counts: () => Promise<{ k: string; n: string | number }[]>): ((donations: number) => Promise<string>) | null {
  if (process.env.GROWTH_READS !== "1") return null;
  let before = new Map<string, number>();
  return async (donations) => {
    await new Promise((r) => setTimeout(r, 1100)); // backends report their counts at most once a second
    const now = new Map<string, number>((await counts()).map((r) => [r.k, Number(r.n)]));
    const per = [...now].map(([t, n]) => [t, (n - (before.get(t) ?? 0)) / Math.max(1, donations)] as const).sort((a, b) => b[1] - a[1]);
    before = now;
    return `rows read per donation: ${per.slice(0, 5).map(([t, n]) => `${t} ${fmt(n, 1)}`).join(", ")}`;
  };
}

async function planner(service: BenchService): Promise<void> {
  const { rows } = await service.ask<{ rows: { name: string; reltuples: string; relpages: number; pages: number; last_analyze: string | null; analyze_count: string | null }[] }>("tables", { type: "tables" });
  console.log(`  statistics of the largest tables (rows at the last ANALYZE, -1 = never; ANALYZE count):`);
  console.log(`    ${rows.map((r) => `${r.name} ${r.reltuples} (${r.pages} pages now, ${r.analyze_count ?? "?"}×)`).join(", ")}`);
}

async function run(kind: "postgres" | "pglite", adminUrl: string): Promise<string[]> {
  const cleanups: (() => Promise<void> | void)[] = [];
  try {
    let env: Record<string, string>;
    let where: string;
    if (kind === "postgres") {
      const admin = new pg.Client({ connectionString: adminUrl });
      await admin.connect();
      const name = `soquy_bench_growth_${process.pid}`;
      await admin.query(`create database ${name}`);
      cleanups.push(async () => {
        await admin.query(`drop database if exists ${name} with (force)`);
        await admin.end();
      });
      const settings = (await admin.query("select name, setting from pg_settings where name in ('autovacuum', 'fsync', 'server_version')"))
        .rows.map((r) => `${r.name}=${r.setting}`).join(" ");
      // GROWTH_AUTO_EXPLAIN=ms: the server logs the plan of every statement slower than that, those run inside
      // the write functions and triggers too (diagnostics; durations only, per-node timing would inflate them).
      if (process.env.GROWTH_AUTO_EXPLAIN) {
        for (const [k, v] of [["session_preload_libraries", "auto_explain"], ["auto_explain.log_min_duration", `${Number(process.env.GROWTH_AUTO_EXPLAIN)}ms`],
          ["auto_explain.log_nested_statements", "on"], ["auto_explain.log_analyze", process.env.GROWTH_AUTO_EXPLAIN_ANALYZE === "1" ? "on" : "off"]]) await admin.query(`alter database ${name} set ${k} = '${v}'`);
      }
      env = { DATABASE_URL: dbUrl(adminUrl, name) };
      where = `PostgreSQL, fresh database ${name} (${settings})`;
    } else {
      const dir = mkdtempSync(path.join(os.tmpdir(), "soquy-growth-"));
      cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
      env = { DATA_DIR: dir };
      where = `embedded PGlite, fresh data folder ${dir}`;
    }
    const token = await setUp(env.DATABASE_URL ? { databaseUrl: env.DATABASE_URL } : { dataDir: env.DATA_DIR! });
    const service = await BenchService.start(["--import", "tsx"], { DATABASE_URL: "", DATA_DIR: "", ...env }, 120_000);
    cleanups.push(() => service.stop());
    const reads = tableReads(async () => (await service.ask<{ rows: { k: string; n: string }[] }>("reads", { type: "reads" })).rows);
    console.log(`\ngrowth on ${where}: ${clients} clients, ${windows} windows of ${windowSeconds} s from an empty ledger, ` +
      `no ANALYZE by the bench${kind === "postgres" ? ", then a manual ANALYZE and one more window" : ""}; donations on ${days} days`);
    const result = await load(service, token, kind === "postgres" ? async () => {
      await planner(service);
      const { ms } = await service.ask<{ ms: number }>("analyzed", { type: "analyze" });
      console.log(`  (manual ANALYZE: ${fmt(ms)} ms)`);
    } : null, reads);
    if (kind === "pglite") await planner(service);
    const grown = result.slice(0, windows);
    const errors = result.some((w) => w.errors > 0);
    const lines: string[] = [];
    const label = kind === "postgres" ? "growth, PostgreSQL" : "growth, PGlite";
    lines.push(`${label}: windows ${grown.map((w) => fmt(w.rate)).join(" → ")} donations/s; p99 ${grown.map((w) => fmt(w.p99, 0)).join(", ")} ms`);
    if (kind === "postgres") {
      const fresh = result[windows]!;
      const ratios = grown.map((w) => w.rate / fresh.rate);
      lines.push(`${label}: after ANALYZE ${fmt(fresh.rate)} donations/s, p99 ${fmt(fresh.p99, 0)} ms; ratio of each window to it ${ratios.map((r) => fmt(r, 2)).join(", ")}`);
      const met = !errors && ratios.every((r) => r >= 0.9) && grown.every((w) => w.p99 < 50);
      lines.push(`${label} goal (each window ≥ 0.9 × after ANALYZE, p99 < 50 ms): ${met ? "met" : "MISSED"}`);
    } else {
      const rates = grown.map((w) => w.rate);
      const spread = Math.min(...rates) / Math.max(...rates);
      const met = !errors && spread >= 0.85 && grown.every((w) => w.p99 < 250);
      lines.push(`${label}: slowest window / fastest ${fmt(spread, 2)}; goal (≥ 0.85, p99 < 250 ms): ${met ? "met" : "MISSED"}`);
    }
    if (errors) process.exitCode = 1;
    return lines;
  } finally {
    while (cleanups.length > 0) await cleanups.pop()!();
  }
}

/** BENCH_GROWTH=postgres, pglite or both. */
export async function runGrowthBench(which: string, adminUrl: string): Promise<void> {
  const kinds = which === "pglite" ? ["pglite"] as const : which === "postgres" ? ["postgres"] as const : ["postgres", "pglite"] as const;
  const lines: string[] = [];
  for (const kind of kinds) lines.push(...await run(kind, adminUrl));
  console.log(`\n${lines.join("\n")}`);
}

import { createHash } from "node:crypto";
import os from "node:os";
import pg from "pg";
import { createToken, hashToken, openSoquy } from "../src/context.js";
import { dbUrl, processTicks } from "./machine.js";
import { DonationSource, donationBody } from "./data.js";

// The write path without HTTP: BENCH_CLIENTS concurrent callers of
// Ledger.recordDonation in this process (the group committer, the store, the
// database, exactly as the service runs them), for LEDGER_SECONDS. Beside
// `npm run bench` it tells how much of a request's cost is the ledger and
// its database, and how much is the HTTP stack in front of them.
// Then the critical path alone: batches of 1, 16, 64 and 256 donations submitted together and awaited, one
// batch at a time, so each batch's time is its planning in this process plus its round trips, inserts,
// checks and COMMIT in PostgreSQL, with nothing overlapping it: the fixed and per-entry cost of a batch.
//   node --import tsx bench/ledger.ts    (BENCH_DATABASE_URL, BENCH_CLIENTS=32, LEDGER_SECONDS=10, LEDGER_KEEP=1 keeps the database)

const adminUrl = process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const clients = Number(process.env.BENCH_CLIENTS ?? 32);
const seconds = Number(process.env.LEDGER_SECONDS ?? 10);
const dbName = `soquy_ledger_${process.pid}`;
const CAMPAIGN = "VI-NGHEO-2025";

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${dbName}`);
// LEDGER_LOG=1: the server logs every statement with its duration (log_min_duration_statement = 0);
// LEDGER_LOG=2: also every statement run inside functions and triggers (auto_explain, no per-node timing).
if (process.env.LEDGER_LOG) await admin.query(`alter database ${dbName} set log_min_duration_statement = 0`);
// LEDGER_FUNCTIONS=1: time every SQL function and trigger (track_functions) and print the table at the end.
if (process.env.LEDGER_FUNCTIONS === "1") await admin.query(`alter database ${dbName} set track_functions = 'all'`);
if (process.env.LEDGER_LOG === "2") {
  for (const [k, v] of [["session_preload_libraries", "auto_explain"], ["auto_explain.log_min_duration", "0"],
    ["auto_explain.log_nested_statements", "on"]]) await admin.query(`alter database ${dbName} set ${k} = '${v}'`);
}
try {
  const s = await openSoquy({ databaseUrl: dbUrl(adminUrl, dbName), holder: "cli" });
  try {
    const committee = await s.store.createCommittee("bench-ledger", "Ban Thường trực MTTQ phường Đo lường");
    const adminToken = await createToken(s, committee.id, "admin", "bench admin");
    const treasurer = (await s.store.findPrincipal(hashToken(await createToken(s, committee.id, "treasurer", "bench treasurer"))))!;
    await s.ledger.createCampaign((await s.store.findPrincipal(hashToken(adminToken)))!, {
      code: CAMPAIGN, name: "Quỹ Vì người nghèo 2025", kind: "for_the_poor", startsOn: "2025-01-01",
    }, { idempotencyKey: "bench-campaign", requestHash: "0".repeat(64) });
    const source = new DonationSource(`l${process.pid}`, 11);
    const record = () => {
      const d = source.next();
      const body = donationBody(d);
      return s.ledger.recordDonation(treasurer, CAMPAIGN, JSON.parse(body), {
        idempotencyKey: d.key, requestHash: createHash("sha256").update(body).digest("hex"),
      });
    };
    const run = async (ms: number) => {
      const latencies: number[] = [];
      const end = performance.now() + ms;
      const cpu0 = process.cpuUsage();
      const t0 = performance.now();
      await Promise.all(Array.from({ length: clients }, async () => {
        while (performance.now() < end) {
          const t = performance.now();
          await record();
          latencies.push(performance.now() - t);
        }
      }));
      const elapsed = (performance.now() - t0) / 1000;
      const cpu = process.cpuUsage(cpu0);
      return { latencies: latencies.sort((a, b) => a - b), elapsed, cpuMsPerEntry: (cpu.user + cpu.system) / 1000 / latencies.length };
    };
    await run(2000); // warm-up: plans, caches, the first donors
    await s.db.knex.raw("analyze");
    const r = await run(seconds * 1000);
    const p = (q: number) => r.latencies[Math.min(r.latencies.length - 1, Math.ceil(q * r.latencies.length) - 1)]!.toFixed(1);
    console.log(`ledger without HTTP, ${clients} callers, ${os.cpus().length} cores: ${r.latencies.length} donations in ${r.elapsed.toFixed(2)} s = ` +
      `${Math.round(r.latencies.length / r.elapsed)} entries/s; p50 ${p(0.5)} ms p99 ${p(0.99)} ms; this process ${r.cpuMsPerEntry.toFixed(3)} ms CPU per entry`);
    // The function table (LEDGER_FUNCTIONS=1) then counts the batches alone only.
    if (process.env.LEDGER_FUNCTIONS === "1") await s.db.knex.raw("select pg_stat_reset()");
    // CPU ticks (1/100 s) of this database's PostgreSQL backends.
    const pgTicks = () => [...processTicks().values()].filter((x) => x.comm === "postgres" && x.cmd.includes(dbName)).reduce((a, x) => a + x.ticks, 0);
    for (const size of (process.env.LEDGER_SIZES ?? "1,16,64,256").split(",").map(Number)) {
      const times: number[] = [];
      const pg0 = pgTicks();
      const cpu0 = process.cpuUsage();
      const end = performance.now() + Number(process.env.LEDGER_ALONE_MS ?? Math.min(4000, seconds * 400));
      while (performance.now() < end || times.length < 5) {
        const t = performance.now();
        await Promise.all(Array.from({ length: size }, record));
        times.push(performance.now() - t);
      }
      const pgMs = ((pgTicks() - pg0) * 10) / times.length;
      const cpu = process.cpuUsage(cpu0);
      const nodeMs = (cpu.user + cpu.system) / 1000 / times.length;
      times.sort((a, b) => a - b);
      const median = times[Math.floor(times.length / 2)]!;
      console.log(`  one batch of ${String(size).padStart(3)} alone: median ${median.toFixed(2)} ms over ${times.length} batches = ${(median * 1000 / size).toFixed(0)} µs per entry; ` +
        `CPU per batch: PostgreSQL ${pgMs.toFixed(2)} ms, this process ${nodeMs.toFixed(2)} ms`);
    }
    if (process.env.LEDGER_FUNCTIONS === "1") {
      await new Promise((r) => setTimeout(r, 1500)); // backends flush their statistics when idle
      const { rows } = await s.db.knex.raw(`select funcname, calls, total_time, self_time from pg_stat_user_functions order by total_time desc limit 25`);
      console.log("functions and triggers (the batches alone): calls, total ms, self ms, µs per call");
      for (const r of rows) {
        console.log(`  ${String(r.funcname).padEnd(36)} ${String(r.calls).padStart(8)} ${Number(r.total_time).toFixed(0).padStart(8)} ${Number(r.self_time).toFixed(0).padStart(8)} ${(Number(r.total_time) * 1000 / Number(r.calls)).toFixed(0).padStart(7)}`);
      }
    }
  } finally {
    await s.close();
  }
} finally {
  if (process.env.LEDGER_KEEP === "1") console.log(`kept database ${dbName}`);
  else await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}

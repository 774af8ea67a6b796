import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import { createToken, hashToken, wire } from "../src/context.js";
import { migrate, openDatabase } from "../src/db/connect.js";
import { DonationSource, donationBody } from "./data.js";

// The write path on the embedded default, durable (fsync on, every commit synced to the disk) beside
// PGlite's own start-up (fsync off: the baseline, what the embedded default was before it was made
// durable). 32 callers of Ledger.recordDonation in this process, as in bench/ledger.ts, on a fresh data
// folder each, the two alternating so that both see the same machine. Each row: entries/s, p99, and
// the commits (one per group-committed batch, counted by distinct transaction ids) they took.
//   node --import tsx bench/embedded.ts    (EMBEDDED_SECONDS=10, EMBEDDED_ROUNDS=2, BENCH_CLIENTS=32,
//   EMBEDDED_MODES="durable,fsync off")
// Run under `strace -f -c -e trace=fsync,fdatasync` to count the syncs as well.

const seconds = Number(process.env.EMBEDDED_SECONDS ?? 10);
const rounds = Number(process.env.EMBEDDED_ROUNDS ?? 2);
const clients = Number(process.env.BENCH_CLIENTS ?? 32);
const modes = (process.env.EMBEDDED_MODES ?? "durable,fsync off").split(",") as EmbeddedRun["mode"][];
const CAMPAIGN = "VI-NGHEO-2025";

export interface EmbeddedRun { mode: "durable" | "fsync off"; entries: number; perSecond: number; p99Ms: number; commits: number }

async function runOnce(mode: EmbeddedRun["mode"]): Promise<EmbeddedRun> {
  const dir = mkdtempSync(path.join(tmpdir(), "soquy-embedded-bench-"));
  const db = mode === "durable"
    ? await openDatabase({ dataDir: dir, holder: "cli" })
    : await openDatabase({ pglite: new PGlite(path.join(dir, "pgdata")) });
  await migrate(db.knex);
  const s = wire(db, { signingKeyFile: path.join(dir, "key.pem") });
  try {
    const committee = await s.store.createCommittee("bench-embedded", "Ban Thường trực MTTQ phường Đo lường");
    const admin = (await s.store.findPrincipal(hashToken(await createToken(s, committee.id, "admin", "bench admin"))))!;
    const treasurer = (await s.store.findPrincipal(hashToken(await createToken(s, committee.id, "treasurer", "bench treasurer"))))!;
    await s.ledger.createCampaign(admin, { code: CAMPAIGN, name: "Quỹ Vì người nghèo 2025", kind: "for_the_poor", startsOn: "2025-01-01" },
      { idempotencyKey: "bench-campaign", requestHash: "0".repeat(64) });
    const source = new DonationSource(`e${process.pid}`, 11);
    const latencies: number[] = [];
    const before = await commitCount(s.db.knex);
    const t0 = performance.now();
    const end = t0 + seconds * 1000;
    await Promise.all(Array.from({ length: clients }, async () => {
      while (performance.now() < end) {
        const d = source.next();
        const body = donationBody(d);
        const t = performance.now();
        await s.ledger.recordDonation(treasurer, CAMPAIGN, JSON.parse(body), { idempotencyKey: d.key, requestHash: createHash("sha256").update(body).digest("hex") });
        latencies.push(performance.now() - t);
      }
    }));
    const elapsed = (performance.now() - t0) / 1000;
    latencies.sort((a, b) => a - b);
    const commits = (await commitCount(s.db.knex)) - before;
    return { mode, entries: latencies.length, perSecond: latencies.length / elapsed, p99Ms: latencies[Math.ceil(0.99 * latencies.length) - 1] ?? 0, commits };
  } finally {
    await s.close(); // the statistics keeper too
    rmSync(dir, { recursive: true, force: true });
  }
}

async function commitCount(knex: import("knex").Knex): Promise<number> {
  return Number((await knex.raw("select count(distinct xmin::text) as n from journal_entries")).rows[0].n);
}

export async function embeddedBench(log: (line: string) => void = console.log): Promise<EmbeddedRun[]> {
  const runs: EmbeddedRun[] = [];
  for (let i = 0; i < rounds; i++) {
    for (const mode of modes) {
      const r = await runOnce(mode);
      runs.push(r);
      log(`embedded ${mode.padEnd(9)}: ${r.entries} donations in ${seconds} s = ${Math.round(r.perSecond)}/s, p99 ${r.p99Ms.toFixed(1)} ms, ` +
        `${r.commits} commits (${(r.entries / Math.max(1, r.commits)).toFixed(1)} entries a commit)`);
    }
  }
  return runs;
}

if (import.meta.url === `file://${process.argv[1]}`) await embeddedBench();

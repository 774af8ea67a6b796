import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { to as copyTo } from "pg-copy-streams";
import { createToken, hashToken, openSoquy } from "../src/context.js";
import { dbUrl } from "./machine.js";
import { generateLedger } from "./verifydata.js";

// `cli verify` at an auditor's pace, for `npm run bench` (also alone: node --import tsx bench/verify.ts): a ledger
// of VERIFY_ENTRIES entries (default 1,000,000) of every kind, written through the store's own write path and
// published (bench/verifydata.ts), then verified in a child process of its own (its peak RSS is verify's alone),
// beside a baseline in the same run: the columns the hash covers of the committee's journal_entries and postings
// copied out of PostgreSQL (COPY … TO STDOUT through pg-copy-streams, one connection, one table after the other)
// into one SHA-256 in one node process — reading the same rows once and hashing them. Each is run twice,
// alternately, and the faster of each is reported (the machine is shared). No ANALYZE is run by the bench.
//
//   BENCH_DATABASE_URL  admin connection (default postgres://postgres@127.0.0.1:5432/postgres)
//   VERIFY_ENTRIES      entries generated (default 1,000,000)
//   VERIFY_KEEP=1       keep the database (its name is printed); VERIFY_REUSE=<name> measures one a kept run made
//   VERIFY_OLD_SRC=<dir>  also verify once with the code in <dir> (another checkout's src/, e.g. the verify before this
//                       one: git archive <commit> src sql migrations knexfile.ts package.json | tar -x -C <dir>, and
//                       node_modules linked there), for a before/after in the same run
//
// The goal (issue #19 §4): verify within 4 × the baseline, peak RSS < 300 MB.

const thisFile = fileURLToPath(import.meta.url);
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const COMMITTEE = "bench-verify";

/** What a child reports. */
interface ChildResult {
  seconds: number;
  maxRssKb: number;
  rssStartKb: number;
  detail: string;
  ok: boolean;
}

export interface VerifyBenchResult {
  lines: string[];
  met: boolean;
}

export async function runVerifyBench(opts: { adminUrl?: string; entries?: number; log?: (line: string) => void } = {}): Promise<VerifyBenchResult> {
  const adminUrl = opts.adminUrl ?? (process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres");
  const log = opts.log ?? console.log;
  const n = opts.entries ?? Number(process.env.VERIFY_ENTRIES ?? 1_000_000);
  const reuse = process.env.VERIFY_REUSE;
  const name = reuse ?? `soquy_bench_verify_${process.pid}`;
  const url = dbUrl(adminUrl, name);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  let generation = "";
  try {
    if (!reuse) {
      await admin.query(`create database ${name}`);
      const s = await openSoquy({ databaseUrl: url, holder: "cli" });
      try {
        const committee = await s.store.createCommittee(COMMITTEE, "Ban Thường trực Ủy ban MTTQ phường Bench");
        const id = async (role: "treasurer" | "approver" | "admin", who: string) =>
          (await s.store.findPrincipal(hashToken(await createToken(s, committee.id, role, who))))!.tokenId;
        const people = {
          treasurer: await id("treasurer", "Thủ quỹ"), admin: await id("admin", "Quản trị"),
          approvers: [await id("approver", "Kiểm soát viên 1"), await id("approver", "Kiểm soát viên 2")] as [number, number],
        };
        log(`verify: generating ${fmt(n)} entries into ${name}…`);
        const g = await generateLedger(s, committee, n, people, log);
        generation = `generated in ${fmt(g.seconds + g.publishSeconds)} s (${fmt(g.seconds)} s written, ${fmt(g.publishSeconds)} s publishing ${fmt(g.published)})`;
        log(`  ${generation}`);
      } finally {
        await s.close();
      }
    }
    const runs: { verify: ChildResult[]; baseline: ChildResult[] } = { verify: [], baseline: [] };
    for (let round = 0; round < 2; round++) {
      for (const what of ["baseline", "verify"] as const) {
        const r = await runChild(what, url);
        runs[what].push(r);
        log(`  ${what} #${round + 1}: ${fmt(r.seconds, 2)} s, peak RSS ${fmt(r.maxRssKb / 1024)} MB (${r.detail})`);
      }
    }
    let old: ChildResult | null = null;
    if (process.env.VERIFY_OLD_SRC) {
      old = await runChild("old", url);
      log(`  verify with ${process.env.VERIFY_OLD_SRC}: ${fmt(old.seconds, 2)} s, peak RSS ${fmt(old.maxRssKb / 1024)} MB (${old.detail})`);
    }
    const best = (xs: ChildResult[]) => xs.reduce((a, b) => (b.seconds < a.seconds ? b : a));
    const v = best(runs.verify), b = best(runs.baseline);
    const ratio = v.seconds / b.seconds;
    const rss = Math.max(...runs.verify.map((r) => r.maxRssKb)) / 1024;
    const ok = runs.verify.every((r) => r.ok);
    const met = ok && ratio <= 4 && rss < 300;
    const counter = new pg.Client({ connectionString: url });
    await counter.connect();
    const entries = Number((await counter.query("select count(*) as n from journal_entries")).rows[0].n);
    await counter.end();
    const lines = [
      `${"verify (cli verify, PostgreSQL):".padEnd(38)}${fmt(entries)} entries ${ok ? "ok" : "BROKEN"} in ${fmt(v.seconds, 2)} s, peak RSS ${fmt(rss)} MB; ` +
        `baseline (COPY of the hashed columns of entries and postings into SHA-256, one process) ${fmt(b.seconds, 2)} s; ratio ${fmt(ratio, 2)}` +
        (generation ? `; ${generation}` : ""),
      `verify goal (≤ 4 × baseline, < 300 MB): ${met ? "met" : "MISSED"}`,
    ];
    if (old) lines.push(`${"verify before (VERIFY_OLD_SRC):".padEnd(38)}${fmt(old.seconds, 2)} s, peak RSS ${fmt(old.maxRssKb / 1024)} MB (${old.detail}); ×${fmt(old.seconds / v.seconds, 1)} the time`);
    if (!reuse && process.env.VERIFY_KEEP === "1") log(`  kept database ${name}`);
    return { lines, met };
  } finally {
    if (!reuse && process.env.VERIFY_KEEP !== "1") await admin.query(`drop database if exists ${name} with (force)`).catch(() => undefined);
    await admin.end();
  }
}

function runChild(what: "verify" | "baseline" | "old", url: string): Promise<ChildResult> {
  // A data folder of its own: verify reads the checkpoint keys, and a key made there must not land in the checkout.
  const dataDir = mkdtempSync(path.join(os.tmpdir(), "soquy-verify-bench-"));
  return new Promise<ChildResult>((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", thisFile, "child", what], {
      cwd: repoRoot, env: { ...process.env, VERIFY_CHILD_DB: url, DATA_DIR: dataDir }, stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString("utf8")));
    child.on("error", reject);
    child.on("exit", (code) => {
      if (code !== 0) return reject(new Error(`verify bench child ${what} exited with ${code}: ${out}`));
      resolve(JSON.parse(out.trim().split("\n").at(-1)!) as ChildResult);
    });
  }).finally(() => rmSync(dataDir, { recursive: true, force: true }));
}

async function childMain(what: "verify" | "baseline" | "old"): Promise<void> {
  const url = process.env.VERIFY_CHILD_DB!;
  const report = (r: Omit<ChildResult, "maxRssKb">) => console.log(JSON.stringify({ ...r, maxRssKb: process.resourceUsage().maxRSS }));
  if (what === "baseline") {
    const c = new pg.Client({ connectionString: url });
    await c.connect();
    const id = Number((await c.query("select id from committees where code = $1", [COMMITTEE])).rows[0].id);
    const rssStartKb = Math.round(process.memoryUsage().rss / 1024);
    const t0 = performance.now();
    const hash = createHash("sha256");
    let bytes = 0;
    for (const sql of [
      `select seq, id, entry_date, recorded_at, kind, campaign_id, description, recorded_by, idempotency_key, reversal_of, resolution_ref,
         prev_hash, hash from journal_entries where committee_id = ${id}`,
      `select p.entry_id, p.line, p.account_id, p.amount_dong from postings p where p.committee_id = ${id}`,
    ]) {
      const stream = c.query(copyTo(`copy (${sql}) to stdout`)) as unknown as Readable;
      for await (const chunk of stream as AsyncIterable<Buffer>) {
        hash.update(chunk);
        bytes += chunk.length;
      }
    }
    const digest = hash.digest("hex");
    const seconds = (performance.now() - t0) / 1000;
    await c.end();
    report({ seconds, rssStartKb, detail: `${fmt(bytes / 1e6)} MB, sha256 ${digest.slice(0, 12)}…`, ok: true });
    return;
  }
  const src = what === "old" ? path.resolve(process.env.VERIFY_OLD_SRC!, "src") : "../src";
  const { openDatabase } = (await import(`${src}/db/connect.ts`)) as typeof import("../src/db/connect.js");
  const { wire } = (await import(`${src}/context.ts`)) as typeof import("../src/context.js");
  const s = wire(await openDatabase({ databaseUrl: url }));
  try {
    const committee = (await s.store.findCommittee(COMMITTEE))!;
    const rssStartKb = Math.round(process.memoryUsage().rss / 1024);
    const t0 = performance.now();
    // What `cli verify` does for the committee: the chain against the checkpoints the database holds (none here).
    const r = await s.verify(committee.id);
    const seconds = (performance.now() - t0) / 1000;
    report({ seconds, rssStartKb, detail: r.ok ? `${fmt(r.checked)} entries ok, RSS after start-up ${fmt(rssStartKb / 1024)} MB` : `BROKEN at ${r.firstBrokenSeq}: ${r.reason}`, ok: r.ok });
  } finally {
    await s.close();
  }
}

if (process.argv[1] === thisFile) {
  try {
    if (process.argv[2] === "child") await childMain(process.argv[3] as "verify" | "baseline" | "old");
    else {
      const r = await runVerifyBench();
      console.log(`\nsoquy verify bench (${os.cpus().length} cores)\n${r.lines.join("\n")}`);
      if (!r.met) process.exitCode = 1;
    }
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  }
}

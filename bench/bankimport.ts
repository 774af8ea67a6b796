import { spawn } from "node:child_process";
import { createReadStream, createWriteStream, mkdtempSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { openSoquy } from "../src/context.js";
import { importEntriesToVerify, importStatement, importerToken } from "../src/db/bankimports.js";
import { verifyChain } from "../src/ledger/verify.js";
import { createToken, hashToken } from "../src/context.js";
import { measurePublicTotals } from "./public.js";
import { copyBaseline, runChild as runStatementChild, statementSelect } from "./statements.js";

// Bank statement import at the scale of the 2024 Yagi sao kê, for `npm run bench` (also alone:
// node --import tsx bench/bankimport.ts): a generated VCB-layout statement of BANKIMPORT_LINES lines
// (default 1,000,000; ten days, each day's last line printing the balance, one SMS fee a day)
// imported on a fresh PostgreSQL database, beside PostgreSQL's own `psql \copy` of the same file
// into a plain table in the same run; then the same file again, which must add 0 entries.
//
//   BENCH_DATABASE_URL   admin connection (default postgres://postgres@127.0.0.1:5432/postgres)
//   BANKIMPORT_LINES     lines of the generated statement (default 1,000,000)
//   BANKIMPORT_AFTER=0   skip what is measured on the imported ledger afterwards (each against its own goal):
//                        the campaign's CSV statement (all its lines) beside psql COPY of the same rows, the PDF of its
//                        first two days (200,000 lines at the default size) beside the same lines as text, public
//                        totals (after an approver verifies BANKIMPORT_VERIFIED entries, default 20,000, as
//                        POST /bank-imports/:id/verify does), and verify (the whole hash chain)
//   BANKIMPORT_KEEP=1    keep the database (its name is printed)
//   BANKIMPORT_FLOOR=0   skip the schema floor (the imported rows inserted again into trigger-less copies of their tables)
//   BANKIMPORT_EMBEDDED=1  instead: how long an import holds the embedded default's one connection
//                        (BANKIMPORT_LINES default 200,000 here), on a fresh durable PGlite folder, as a job the
//                        service runs (src/db/importjobs.ts); meanwhile a probe asks the database every second,
//                        as a request would, and is answered busy: how fast, and how its Retry-After compared
//                        with the time the import really still held the connection
//
// The import runs in a child process of its own, so its peak RSS is the import's alone.

const thisFile = fileURLToPath(import.meta.url);
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const OPENING = 10_847_182_843n;
const ACCOUNT = "0011009990001";
const CAMPAIGN = "YAGI-2024";
const COMMITTEE = "bench-bankimport";

const FAMILY = ["NGUYEN", "TRAN", "LE", "PHAM", "HOANG", "HUYNH", "PHAN", "VU", "VO", "DANG", "BUI", "DO", "HO", "NGO", "DUONG", "LY"];
const MIDDLE = ["VAN", "THI", "HUU", "DUC", "MINH", "NGOC", "THANH", "QUOC", "THU", "KIM"];
const GIVEN = ["AN", "BINH", "CUONG", "DUNG", "GIANG", "HA", "HIEU", "HUNG", "LAN", "LINH", "MAI", "NAM", "PHUONG", "QUYNH", "SON", "TAM", "TRANG", "TUAN", "VIET", "YEN"];
const WORDS = ["ung ho dong bao bi bao lu", "Ung ho dong bao mien Bac khac phuc bao so 3", "chung tay vuot qua bao lu", "quyen gop",
  "cuu tro thien tai", "gia dinh chuc ba con binh an", "UNG HO CAC TINH BI BAO LU", "chuyen tien"];
const AMOUNTS = [3000n, 10000n, 52222n, 5888n, 1000000n, 200000n, 500000n, 2000n, 5000n, 6000n, 12000n, 20000n, 50000n, 100000n, 300000n];

const dots = (n: bigint) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");

/**
 * A VCB-layout statement of n lines over ten days from firstDay (ISO; the Yagi sao kê's 1 September 2024 unless
 * a test needs its lines inside a campaign's receiving window around today); returns the closing balance.
 */
export async function generateVcb(file: string, n: number, firstDay = "2024-09-01"): Promise<bigint> {
  const out = createWriteStream(file);
  let seed = 42;
  const rnd = (m: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % m;
  };
  let balance = OPENING;
  let buf = "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails\r\n";
  const perDay = Math.ceil(n / 10);
  for (let i = 0; i < n; i++) {
    const day = Math.min(9, Math.floor(i / perDay));
    const [yyyy, mm, dom] = new Date(Date.parse(`${firstDay}T00:00:00Z`) + day * 86_400_000).toISOString().slice(0, 10).split("-");
    const date = `${dom}/${mm}/${yyyy}`;
    const lastOfDay = i === n - 1 || Math.floor((i + 1) / perDay) !== Math.floor(i / perDay);
    const f = rnd(16), m = rnd(10), g = rnd(20);
    const name = `${FAMILY[f]} ${MIDDLE[m]} ${GIVEN[g]}`;
    // A sender keeps one account: a donor known by account number is one donor however often they give.
    const senderAccount = 1000000000 + (f * 200 + m * 20 + g) * 104729;
    const doc = `${5000 + rnd(400)}.${10000 + rnd(90000)}`;
    const dd = `${dom}${mm}${yyyy!.slice(2)}`;
    let debit = "", credit = "", memo: string;
    if (i % perDay === perDay - 2) {
      const fee = 55000n;
      balance -= fee;
      debit = dots(fee);
      memo = `THU PHI DICH VU SMS CHU DONG NGAY ${date}. SDT: 0904000111. So tien 55000 VND`;
    } else {
      const amount = AMOUNTS[rnd(AMOUNTS.length)]!;
      balance += amount;
      credit = dots(amount);
      const w = WORDS[rnd(WORDS.length)];
      switch (rnd(4)) {
        case 0: memo = `MBVCB.${6900000000 + rnd(99999999)}.${name} ${w}.CT tu ${senderAccount} ${name} toi ${ACCOUNT} MAT TRAN TO QUOC`; break;
        case 1: memo = `${100000 + rnd(899999)}.${dd}.${rnd(240000)}.${rnd(10) === 0 ? "" : name + " "}${w}`; break;
        case 2: memo = `0200970405${dd}${rnd(999999999)}.${rnd(99999)}.${rnd(240000)}.Vietcombank:${ACCOUNT}:${name} ${w}`; break;
        default: memo = `CKSOTAIKHOAN ${100000000000000 + rnd(899999999)} ${name} chuyen tien tu Viettel Money 849${rnd(9999999)} ${ACCOUNT}`;
      }
    }
    buf += `${1 + Math.floor(i / 25)},${date},${doc},${debit},${credit},${lastOfDay ? dots(balance) : ""},${memo}\r\n`;
    if (buf.length > 1 << 16) {
      if (!out.write(buf)) await once(out, "drain");
      buf = "";
    }
  }
  out.end(buf);
  await once(out, "finish");
  return balance;
}

interface ChildResult {
  ms: number;
  maxRssKb: number;
  summary: Record<string, unknown>;
}

async function child(url: string, file: string, opening: string): Promise<void> {
  const s = await openSoquy({ databaseUrl: url, poolMax: 2 });
  try {
    const committee = (await s.store.findCommittee(COMMITTEE))!;
    const campaign = await s.ledger.campaign(committee.id, CAMPAIGN);
    const started = performance.now();
    const summary = await importStatement(s.db.knex, {
      committee, campaign, bankAccountNo: ACCOUNT, layout: "vcb", openingDong: opening === "" ? null : BigInt(opening),
      recordedBy: await importerToken(s.db.knex, committee.id), input: createReadStream(file, { highWaterMark: 1 << 16 }),
    });
    const result: ChildResult = { ms: performance.now() - started, maxRssKb: process.resourceUsage().maxRSS, summary: summary as unknown as Record<string, unknown> };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await s.close();
  }
}

function runChild(url: string, file: string, opening: bigint | null): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", thisFile, "child", url, file, opening?.toString() ?? ""], {
      cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"],
    });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`import child exited ${code}`))));
  });
}

function psqlCopy(url: string, file: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const p = spawn("psql", [url, "-v", "ON_ERROR_STOP=1", "-qc",
      `\\copy plain_statement from '${file}' with (format csv, header true)`], { stdio: ["ignore", "ignore", "inherit"] });
    p.on("exit", (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`psql exited ${code}`))));
  });
}

/**
 * The schema's own floor for the same rows: what the import wrote (entries, postings, donations, bank lines)
 * inserted again into copies of those tables with their indexes and checks but no triggers, WAL-logged like
 * the originals, in one transaction that is then rolled back. What the import costs above it is its own.
 */
async function schemaFloor(url: string): Promise<{ ms: number; tables: string }> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("begin");
    const parts: string[] = [];
    const t0 = performance.now();
    for (const table of ["journal_entries", "postings", "donations", "bank_lines"]) {
      await c.query(`create table floor_${table} (like ${table} including defaults including constraints including indexes)`);
      const t = performance.now();
      const r = await c.query(`insert into floor_${table} select * from ${table}`);
      parts.push(`${table} ${fmt(r.rowCount ?? 0)} rows ${fmt((performance.now() - t) / 1000, 1)} s`);
    }
    const ms = performance.now() - t0;
    await c.query("rollback");
    return { ms, tables: parts.join(", ") };
  } finally {
    await c.end();
  }
}

/**
 * The imported ledger afterwards, each figure against the goal of its own bench (bench/statements.ts,
 * bench/public.ts): the campaign's CSV statement, the PDF of two days of it, public totals, verify.
 * Run after VACUUM ANALYZE, which autovacuum does on its own after an insert this large: the statements
 * bench measures on vacuumed tables too, and a first reader would otherwise set every row's hint bits.
 */
async function afterImport(url: string, db: string, n: number, importId: number, log: (l: string) => void): Promise<{ lines: string[]; met: boolean }> {
  const s = await openSoquy({ databaseUrl: url });
  const lines: string[] = [];
  try {
    const committee = (await s.store.findCommittee(COMMITTEE))!;
    let t = performance.now();
    for (const table of ["journal_entries", "postings", "donations", "bank_lines", "donors"]) await s.db.knex.raw(`vacuum (analyze) ${table}`);
    log(`after the import: VACUUM ANALYZE ${fmt((performance.now() - t) / 1000, 1)} s`);

    // (a) The CSV statement of the whole campaign, beside COPY of its own SELECT. The auditor's
    // version: the import is not verified yet, and the public version counts verified entries only.
    const whole = { committee: COMMITTEE, campaign: CAMPAIGN, entries: n, audience: "auditor" as const };
    const csv = await runStatementChild("csv", url, db, whole, "/dev/null");
    const campaign = await s.ledger.campaign(committee.id, CAMPAIGN);
    const copyFile = path.join(os.tmpdir(), `soquy-bankimport-copy-${process.pid}.csv`);
    const copy = await copyBaseline(url, db, statementSelect(s.db.knex, campaign, csv), copyFile).finally(() => rmSync(copyFile, { force: true }));
    if (copy.rows !== csv.lines) throw new Error(`COPY gave ${copy.rows} rows, the statement ${csv.lines}: not the same rows`);
    const csvMet = csv.totalMs < 10_000 && csv.maxRssKb < 150 * 1024;
    lines.push(`after the import, statement CSV of the campaign, ${fmt(csv.lines)} lines: ${fmt(csv.totalMs / 1000, 1)} s, peak RSS ` +
      `${fmt(csv.maxRssKb / 1024)} MB (baseline COPY ${fmt(copy.ms / 1000, 1)} s, ratio ${fmt(csv.totalMs / copy.ms, 1)})   goal < 10 s, < 150 MB: ${csvMet ? "met" : "MISSED"}`);

    // (b) The PDF of the first two days (a fifth of the statement: the statements bench's 200,000 lines at the default size).
    const twoDays = { ...whole, from: "2024-09-01", to: "2024-09-02" };
    const pdfFile = path.join(os.tmpdir(), `soquy-bankimport-${process.pid}.pdf`);
    const pdf = await runStatementChild("pdf", url, db, twoDays, pdfFile).finally(() => rmSync(pdfFile, { force: true }));
    const textFile = path.join(os.tmpdir(), `soquy-bankimport-${process.pid}.txt`);
    const text = await runStatementChild("format", url, db, twoDays, textFile).finally(() => rmSync(textFile, { force: true }));
    if (text.digest !== pdf.digest) throw new Error("the text baseline read another statement than the PDF (digests differ)");
    const pdfMet = pdf.totalMs < 60_000 && pdf.maxRssKb < 300 * 1024;
    lines.push(`after the import, statement PDF of 2 days, ${fmt(pdf.lines)} lines: ${fmt(pdf.totalMs / 1000, 1)} s, peak RSS ${fmt(pdf.maxRssKb / 1024)} MB ` +
      `(baseline stream+format ${fmt(text.passMs / 1000, 1)} s, ratio ${fmt(pdf.totalMs / text.passMs, 1)})   goal < 60 s, < 300 MB: ${pdfMet ? "met" : "MISSED"}`);

    // (c) Public totals count verified entries: an approver verifies the import's first ones, as
    // POST /bank-imports/:id/verify does (the selection, then transactions of 1,000).
    const approver = (await s.store.findPrincipal(hashToken(await createToken(s, committee.id, "approver", "bench approver"))))!;
    const toVerify = Number(process.env.BANKIMPORT_VERIFIED ?? 20_000);
    t = performance.now();
    const { ids, waiting } = await importEntriesToVerify(s.db.knex, committee.id, importId, approver.tokenId, toVerify);
    const out = await s.controls.verifyMany(approver, ids);
    if (out.some((o) => !o.ok)) throw new Error(`verifying imported entries: ${JSON.stringify(out.find((o) => !o.ok))}`);
    const verifyMs = performance.now() - t;
    log(`after the import: an approver verified ${fmt(ids.length)} of the import's ${fmt(waiting)} entries in ${fmt(verifyMs / 1000, 1)} s ` +
      `(${fmt((verifyMs * 1000) / Math.max(1, ids.length))} µs an entry, with the selection; transactions of 1,000)`);
    const pub = await measurePublicTotals(s, url, COMMITTEE, CAMPAIGN, n, log);
    lines.push(`after the import, ${pub.line}`);

    // (d) verify: the whole chain, every entry's hash recomputed.
    t = performance.now();
    const chain = await verifyChain(s.store, committee.id);
    lines.push(`after the import, verify: ${chain.ok ? "ok" : `BROKEN ${chain.reason}`}, ${fmt(chain.checked)} entries in ${fmt((performance.now() - t) / 1000, 1)} s`);
    return { lines, met: csvMet && pdfMet && pub.met && chain.ok };
  } finally {
    await s.close();
  }
}

export async function runBankImportBench(o: { adminUrl?: string; lines?: number; log?: (l: string) => void } = {}): Promise<{ lines: string[]; met: boolean }> {
  const adminUrl = o.adminUrl ?? (process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres");
  const n = o.lines ?? Number(process.env.BANKIMPORT_LINES ?? 1_000_000);
  const log = o.log ?? ((l: string) => console.log(l));
  const db = `bankh_${process.pid}`;
  const url = adminUrl.replace(/\/[^/]*$/, `/${db}`);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`create database ${db}`);
  const dir = mkdtempSync(path.join(os.tmpdir(), "soquy-bankimport-"));
  const file = path.join(dir, "vcb.csv");
  try {
    const s = await openSoquy({ databaseUrl: url });
    try {
      const c = await s.store.createCommittee(COMMITTEE, "Ban Vận động cứu trợ (bench)");
      await s.store.createCampaign(c.id, {
        code: CAMPAIGN, name: "Ủng hộ đồng bào bị thiệt hại do bão số 3 (Yagi)", kind: "relief", fundCode: null, targetDong: null,
        startsOn: "2024-09-01", endsOn: null, launchDocument: null, receivingException: null, receivingExceptionUntil: null, distributionDays: 20,
      }, { key: "bench-campaign", requestHash: "0".repeat(64) }, (x) => x.code);
      await s.db.knex.raw("create table plain_statement (page_id int, tnx_date text, doc_no text, debit text, credit text, balance text, details text)");
    } finally {
      await s.close();
    }
    let t = performance.now();
    const closing = await generateVcb(file, n);
    log(`bank import: generated ${fmt(n)} VCB lines (${fmt(statSync(file).size / 1e6, 1)} MB) in ${fmt((performance.now() - t) / 1000, 1)} s`);
    const copyMs = await psqlCopy(url, file);
    const first = await runChild(url, file, OPENING);
    const again = await runChild(url, file, null);
    const lines = [
      `bank import ${fmt(n)} lines: ${fmt(first.ms / 1000, 1)} s (${fmt(n / (first.ms / 1000))} lines/s), peak RSS ${fmt(first.maxRssKb / 1024)} MB ` +
        `(goal < 60 s, < 300 MB) | psql \\copy baseline ${fmt(copyMs / 1000, 1)} s (x${fmt(first.ms / copyMs, 1)}) | ` +
        `recorded ${fmt(Number(first.summary.recorded))}, balance checks ${first.summary.balanceChecks}, closing ${first.summary.closingDong} (expected ${closing})`,
      `bank re-import: ${fmt(again.ms / 1000, 1)} s, peak RSS ${fmt(again.maxRssKb / 1024)} MB, recorded ${again.summary.recorded} (must be 0), already present ${fmt(Number(again.summary.alreadyPresent))}`,
    ];
    if (process.env.BANKIMPORT_FLOOR !== "0") {
      const floor = await schemaFloor(url);
      lines.push(`bank import schema floor (the same rows into copies of the tables, indexes and checks, no triggers): ` +
        `${fmt(floor.ms / 1000, 1)} s (import x${fmt(first.ms / floor.ms, 1)}): ${floor.tables}`);
    }
    for (const l of lines) log(l);
    let afterMet = true;
    if (process.env.BANKIMPORT_AFTER !== "0") {
      const after = await afterImport(url, db, n, Number(first.summary.id), log);
      for (const l of after.lines) log(l);
      lines.push(...after.lines);
      afterMet = after.met;
    }
    const met = first.ms < 60_000 && first.maxRssKb < 300 * 1024 && Number(again.summary.recorded) === 0 &&
      String(first.summary.closingDong) === closing.toString() && afterMet;
    return { lines, met };
  } finally {
    rmSync(dir, { recursive: true, force: true });
    if (process.env.BANKIMPORT_KEEP === "1") log(`bank import: kept database ${db}`);
    else await admin.query(`drop database if exists ${db} with (force)`);
    await admin.end();
  }
}

/** How long a bank import holds the embedded default's one connection, and what a request meanwhile is answered. */
export async function runEmbeddedHoldBench(o: { lines?: number; log?: (l: string) => void } = {}): Promise<{ lines: string[] }> {
  const n = o.lines ?? Number(process.env.BANKIMPORT_LINES ?? 200_000);
  const log = o.log ?? ((l: string) => console.log(l));
  const dir = mkdtempSync(path.join(os.tmpdir(), "soquy-embedded-import-"));
  const file = path.join(dir, "vcb.csv");
  const { openDatabase, migrate } = await import("../src/db/connect.js");
  const { wire } = await import("../src/context.js");
  const { randomUUID } = await import("node:crypto");
  const db = await openDatabase({ dataDir: path.join(dir, "data"), holder: "cli" });
  await migrate(db.knex);
  const s = wire(db, { signingKeyFile: path.join(dir, "key.pem") });
  try {
    const c = await s.store.createCommittee(COMMITTEE, "Ban Vận động cứu trợ (bench)");
    await s.store.createCampaign(c.id, {
      code: CAMPAIGN, name: "Ủng hộ đồng bào bị thiệt hại do bão số 3 (Yagi)", kind: "relief", fundCode: null, targetDong: null,
      startsOn: "2024-09-01", endsOn: null, launchDocument: null, receivingException: null, receivingExceptionUntil: null, distributionDays: 20,
    }, { key: "bench-campaign", requestHash: "0".repeat(64) }, (x) => x.code);
    const campaign = await s.ledger.campaign(c.id, CAMPAIGN);
    const recordedBy = await importerToken(s.db.knex, c.id);
    const closing = await generateVcb(file, n);
    const bytes = statSync(file).size;
    const gate = s.db.gate!;
    // Every second while the import holds the connection: a read as a request makes it, timed, with the Retry-After it gets.
    const probes: { ms: number; retryAfter: number; at: number }[] = [];
    let heldAt = 0, releasedAt = 0;
    const watcher = setInterval(() => {
      const now = performance.now();
      if (gate.held && heldAt === 0) heldAt = now;
      if (!gate.held && heldAt !== 0 && releasedAt === 0) releasedAt = now;
      if (!gate.held || now - (probes.at(-1)?.at ?? 0) < 1000) return;
      const t = performance.now();
      s.db.knex("committees").where({ id: c.id }).first().then(
        () => probes.push({ ms: performance.now() - t, retryAfter: -1, at: t }),
        (e: { retryAfterSeconds?: number }) => probes.push({ ms: performance.now() - t, retryAfter: e.retryAfterSeconds ?? -1, at: t }));
    }, 20);
    const started = performance.now();
    const summary = await s.importJobs.track({ id: randomUUID(), committeeId: c.id, startedBy: recordedBy, campaign: CAMPAIGN, bankAccount: ACCOUNT },
      (job) => job.importStatement({ committee: c, campaign, bankAccountNo: ACCOUNT, layout: "vcb", openingDong: OPENING, recordedBy,
        input: createReadStream(file, { highWaterMark: 1 << 16 }) }, bytes));
    const ended = performance.now();
    clearInterval(watcher);
    if (releasedAt === 0) releasedAt = ended;
    const held = (releasedAt - heldAt) / 1000;
    const busy = probes.filter((p) => p.retryAfter > 0);
    const sorted = busy.map((p) => p.ms).sort((a, b) => a - b);
    // The Retry-After given against what the import really still held, at each quarter of the hold.
    const quarters = [0.25, 0.5, 0.75].map((q) => {
      const p = busy.find((x) => x.at >= heldAt + q * (releasedAt - heldAt));
      return p ? `${q * 100}%: said ${p.retryAfter} s, was ${fmt((releasedAt - p.at) / 1000, 1)} s` : `${q * 100}%: no probe`;
    });
    const lines = [
      `embedded bank import ${fmt(n)} lines (${fmt(bytes / 1e6, 1)} MB): held PGlite's connection ${fmt(held, 1)} s ` +
        `(${fmt(n / held)} lines/s; the whole import with its job ${fmt((ended - started) / 1000, 1)} s), peak RSS ${fmt(process.resourceUsage().maxRSS / 1024)} MB, ` +
        `recorded ${fmt(summary.recorded)}, closing ${summary.closingDong} (expected ${closing})`,
      `embedded bank import: ${busy.length} of ${probes.length} probes answered busy meanwhile, in ${fmt(sorted[0] ?? 0, 1)}–${fmt(sorted.at(-1) ?? 0, 1)} ms ` +
        `(median ${fmt(sorted[Math.floor(sorted.length / 2)] ?? 0, 1)} ms); Retry-After at ${quarters.join(", ")}`,
    ];
    for (const l of lines) log(l);
    return { lines };
  } finally {
    await s.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] === thisFile) {
  if (process.env.BANKIMPORT_EMBEDDED === "1") {
    await runEmbeddedHoldBench();
  } else if (process.argv[2] === "child") {
    await child(process.argv[3]!, process.argv[4]!, process.argv[5] ?? "");
  } else {
    const r = await runBankImportBench();
    process.exitCode = r.met ? 0 : 1;
  }
}

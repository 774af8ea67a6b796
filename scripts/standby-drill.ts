import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";

// The standby drill: a primary and a synchronous standby (two PostgreSQL 15 clusters of this machine,
// made and dropped here), the service on a two-host DATABASE_URL with target_session_attrs=read-write,
// 16 concurrent writers, the primary killed with kill -9 mid-write, the standby promoted. What must
// hold: every acknowledged entry is present exactly once, the chain verifies, writing goes on.
// Meanwhile the service reads statements and public totals from the standby (DATABASE_READ_URL):
// each read must name the position it was cut at (X-Ledger-Position, the totals' position), and that
// position must be the primary's own chain at that sequence (same hash), at most a little behind it.
//   node --import tsx scripts/standby-drill.ts     (as root, with postgresql-common; ~1 min)
//   DRILL_WRITERS=16 DRILL_BEFORE_S=8 DRILL_AFTER_S=8 DRILL_PORTS=5441,5442 DRILL_NAME=soquy_drill (the clusters' names)

const VERSION = "15";
const [PRIMARY_PORT, STANDBY_PORT] = (process.env.DRILL_PORTS ?? "5441,5442").split(",").map(Number) as [number, number];
const NAME = process.env.DRILL_NAME ?? "soquy_drill";
const PRIMARY = `${NAME}_primary`;
const STANDBY = `${NAME}_standby`;
const WRITERS = Number(process.env.DRILL_WRITERS ?? 16);
const BEFORE_MS = Number(process.env.DRILL_BEFORE_S ?? 8) * 1000;
const AFTER_MS = Number(process.env.DRILL_AFTER_S ?? 8) * 1000;
const root = path.resolve(import.meta.dirname, "..");
const work = mkdtempSync(path.join(tmpdir(), "soquy-drill-"));
const log = (line: string) => console.log(`[${(performance.now() / 1000).toFixed(1).padStart(6)} s] ${line}`);

function sh(cmd: string, args: string[], asPostgres = false): string {
  const [c, a] = asPostgres ? ["runuser", ["-u", "postgres", "--", cmd, ...args]] : [cmd, args];
  return execFileSync(c, a, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function dropClusters(): void {
  for (const name of [PRIMARY, STANDBY]) {
    try {
      sh("pg_dropcluster", ["--stop", VERSION, name]);
    } catch {
      // not there
    }
  }
}

function conf(name: string, lines: string[]): void {
  writeFileSync(`/etc/postgresql/${VERSION}/${name}/conf.d/soquy-drill.conf`, `${lines.join("\n")}\n`);
}

async function makeClusters(): Promise<void> {
  dropClusters();
  sh("pg_createcluster", [VERSION, PRIMARY, "-p", String(PRIMARY_PORT), "--", "--auth-local=trust", "--auth-host=trust"]);
  conf(PRIMARY, ["listen_addresses = '127.0.0.1'", "wal_level = replica", "max_wal_senders = 5", "synchronous_commit = on",
    `synchronous_standby_names = '${STANDBY}'`, "fsync = on", "autovacuum = off"]);
  sh("pg_ctlcluster", [VERSION, PRIMARY, "start"]);
  // The standby: a base backup of the primary that streams from it under its own application name.
  sh("pg_createcluster", [VERSION, STANDBY, "-p", String(STANDBY_PORT), "--", "--auth-local=trust", "--auth-host=trust"]);
  // hot_standby_feedback: a long statement read on the standby is not cancelled by the primary's cleanup.
  conf(STANDBY, ["listen_addresses = '127.0.0.1'", "hot_standby = on", "hot_standby_feedback = on", "fsync = on", "autovacuum = off"]);
  const data = `/var/lib/postgresql/${VERSION}/${STANDBY}`;
  for (const entry of readdirSync(data)) rmSync(path.join(data, entry), { recursive: true, force: true }); // pg_basebackup fills it
  sh("pg_basebackup", ["-d", `host=127.0.0.1 port=${PRIMARY_PORT} user=postgres application_name=${STANDBY}`, "-D", data, "-R", "-X", "stream", "-c", "fast"], true);
  sh("pg_ctlcluster", [VERSION, STANDBY, "start"]);
  const admin = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${PRIMARY_PORT}/postgres` });
  await admin.connect();
  for (let i = 0; i < 100; i++) {
    const { rows } = await admin.query("select sync_state from pg_stat_replication where application_name = $1", [STANDBY]);
    if (rows[0]?.sync_state === "sync") break;
    await sleep(100);
  }
  const { rows } = await admin.query("select sync_state from pg_stat_replication where application_name = $1", [STANDBY]);
  if (rows[0]?.sync_state !== "sync") throw new Error(`the standby is not synchronous: ${JSON.stringify(rows)}`);
  await admin.query("create database soquy");
  await admin.end();
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function cli(url: string, args: string[]): string {
  return execFileSync(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], {
    cwd: root, encoding: "utf8", env: { ...process.env, DATABASE_URL: url, SOQUY_SIGNING_KEY_FILE: path.join(work, "key.pem") },
  }).trim();
}

async function startServer(url: string, readUrl: string, port: number): Promise<ChildProcess> {
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root, stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, DATABASE_URL: url, DATABASE_READ_URL: readUrl, PORT: String(port), NODE_ENV: "production", LOG_LEVEL: "error", RATE_LIMIT_PER_MINUTE: "0",
      SOQUY_SIGNING_KEY_FILE: path.join(work, "key.pem") },
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d));
  child.stderr!.on("data", (d: Buffer) => (out += d));
  for (let i = 0; i < 600 && !/listening on/.test(out); i++) await sleep(100);
  if (!/listening on/.test(out)) throw new Error(`the service did not start:\n${out}`);
  return child;
}

interface Ack { key: string; entryId: string; attempts: number }

async function main(): Promise<void> {
  log(`primary :${PRIMARY_PORT}, synchronous standby :${STANDBY_PORT} (PostgreSQL ${VERSION})`);
  await makeClusters();
  const url = `postgres://postgres@127.0.0.1:${PRIMARY_PORT},127.0.0.1:${STANDBY_PORT}/soquy?target_session_attrs=read-write`;
  cli(url, ["migrate"]);
  cli(url, ["committee", "create", "--code", "drill", "--name", "Ủy ban MTTQ phường Diễn tập"]);
  const token = cli(url, ["token", "create", "--committee", "drill", "--role", "treasurer", "--name", "Thủ quỹ diễn tập"]);
  const approver = cli(url, ["token", "create", "--committee", "drill", "--role", "approver", "--name", "Người duyệt diễn tập"]);
  const auditor = cli(url, ["token", "create", "--committee", "drill", "--role", "auditor", "--name", "Kiểm soát diễn tập"]);
  cli(url, ["key", "create", "--out", path.join(work, "key.pem")]);
  const port = 20_000 + (process.pid % 20_000);
  // Statements and public totals from the standby, by its own address: after the failover it is the primary.
  const server = await startServer(url, `postgres://postgres@127.0.0.1:${STANDBY_PORT}/soquy`, port);
  const base = `http://127.0.0.1:${port}/api/v1`;
  const post = (p: string, key: string, body: unknown) => fetch(`${base}${p}`, {
    method: "POST", body: JSON.stringify(body), signal: AbortSignal.timeout(10_000),
    headers: { Authorization: `Bearer ${token}`, "Idempotency-Key": key, "Content-Type": "application/json" },
  });
  const made = await post("/campaigns", "drill-campaign", { code: "DRILL", name: "Quỹ Vì người nghèo", kind: "for_the_poor", startsOn: "2024-01-01" });
  if (made.status !== 201) throw new Error(`campaign: ${made.status} ${await made.text()}`);
  log(`service on :${port}; ${WRITERS} writers for ${BEFORE_MS / 1000} s, then kill -9 the primary`);

  const acks: Ack[] = [];
  const failures = new Map<string, number>();
  let stop = false;
  let firstAfterKill: number | null = null;
  let killedAt = 0;
  const writer = async (w: number) => {
    for (let n = 0; !stop; n++) {
      const key = `drill-${w}-${n}`;
      const body = { receivedOn: "2024-03-01", amountDong: String(10_000 + w * 1000 + (n % 997)), method: "cash",
        donor: { name: `Người góp ${w}`, kind: "individual", publishName: true } };
      // The same key until it is answered: a retry after a lost answer must never post twice.
      for (let attempt = 1; ; attempt++) {
        try {
          const res = await post(`/campaigns/DRILL/donations`, key, body);
          if (res.status === 201 || res.status === 200) {
            acks.push({ key, entryId: ((await res.json()) as { id: string }).id, attempts: attempt });
            if (killedAt && firstAfterKill === null) firstAfterKill = performance.now();
            break;
          }
          failures.set(String(res.status), (failures.get(String(res.status)) ?? 0) + 1);
          await res.arrayBuffer();
        } catch (error) {
          const name = error instanceof Error ? error.name : "error";
          failures.set(name, (failures.get(name) ?? 0) + 1);
        }
        if (stop && attempt > 50) return;
        await sleep(100);
      }
    }
  };
  const writers = Array.from({ length: WRITERS }, (_, w) => writer(w));
  const reads = readWhileWriting(base, { approver, auditor }, acks, () => stop || killedAt > 0);
  await sleep(BEFORE_MS);
  const beforeKill = acks.length;
  const postmaster = Number(readFileSync(`/var/lib/postgresql/${VERSION}/${PRIMARY}/postmaster.pid`, "utf8").split("\n")[0]);
  process.kill(postmaster, "SIGKILL");
  killedAt = performance.now();
  log(`kill -9 ${postmaster} (the primary's postmaster) after ${beforeKill} acknowledged donations`);
  await sleep(1000);
  sh("pg_ctlcluster", [VERSION, STANDBY, "promote"]);
  log("standby promoted");
  await sleep(AFTER_MS);
  stop = true;
  await Promise.all(writers);
  const afterFailover = await readStatement(base, auditor);
  server.kill("SIGTERM");
  const readings = await reads;

  const promoted = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${STANDBY_PORT}/soquy` });
  await promoted.connect();
  const { rows } = await promoted.query(`select e.id::text from journal_entries e
    join committees c on c.id = e.committee_id and c.code = 'drill' where e.kind = 'donation'`);
  await promoted.end();
  const present = new Map<string, number>();
  for (const r of rows as { id: string }[]) present.set(r.id, (present.get(r.id) ?? 0) + 1);
  const missing = acks.filter((a) => !present.has(a.entryId));
  const doubled = [...present.values()].filter((n) => n > 1).length;
  const keys = new Set(acks.map((a) => a.key));
  const verify = cli(`postgres://postgres@127.0.0.1:${STANDBY_PORT}/soquy`, ["verify", "--committee", "drill"]);
  const retried = acks.filter((a) => a.attempts > 1).length;
  log(`acknowledged ${acks.length} (${beforeKill} before the kill, ${acks.length - beforeKill} after), ${keys.size} keys; ` +
    `entries on the promoted standby ${rows.length}; missing ${missing.length}; twice ${doubled}`);
  log(`writes resumed ${firstAfterKill === null ? "NEVER" : `${((firstAfterKill - killedAt) / 1000).toFixed(1)} s`} after the kill; ` +
    `${retried} donations needed retries; refused or failed attempts meanwhile: ${JSON.stringify(Object.fromEntries(failures))}`);
  log(`verify on the promoted standby: ${verify}`);
  const readsOk = readings.length > 0 && readings.every((r) => r.fromStandby && r.sameHashOnPrimary && r.totalsPosition !== null);
  for (const r of readings) {
    log(`read from the standby: statement cut at ${r.position.seq} (the primary's head ${r.primaryHead} when checked after the read, ${r.behind} later; ` +
      `hash ${r.sameHashOnPrimary ? "the primary's own" : "NOT THE PRIMARY'S"}), ${r.rows} rows in ${r.ms.toFixed(0)} ms; public totals at publication ` +
      `${r.totalsPosition?.publication ?? "?"} (sequence ${r.totalsPosition?.sequence ?? "?"}), ${r.totalsMs.toFixed(0)} ms`);
  }
  log(`after the failover, a statement from the promoted standby: ${afterFailover.status}, cut at ${afterFailover.position.seq}, X-Read-From ${afterFailover.readFrom}`);
  const ok = missing.length === 0 && doubled === 0 && keys.size === acks.length && rows.length === acks.length && /ok/.test(verify) && firstAfterKill !== null
    && readsOk && afterFailover.status === 200;
  log(ok ? "DRILL PASSED: every acknowledged entry present exactly once, the chain verifies, writing went on"
    : "DRILL FAILED");
  if (!ok) process.exitCode = 1;
}

interface Reading {
  position: { seq: number; hash: string };
  fromStandby: boolean;
  rows: number;
  ms: number;
  primaryHead: number;
  behind: number;
  sameHashOnPrimary: boolean;
  totalsPosition: { publication: number; sequence: number; hash: string | null } | null;
  totalsMs: number;
}

/** The auditor's statement of the drill's campaign as the service reads it, with the position it names. */
async function readStatement(base: string, auditor: string) {
  const t = performance.now();
  const res = await fetch(`${base}/campaigns/DRILL/statement.csv?audience=auditor`, { headers: { Authorization: `Bearer ${auditor}` }, signal: AbortSignal.timeout(30_000) });
  const text = await res.text();
  const [seq, hash] = (res.headers.get("x-ledger-position") ?? "0:").split(":");
  return { status: res.status, position: { seq: Number(seq), hash: hash ?? "" }, readFrom: res.headers.get("x-read-from"),
    rows: text.split("\r\n").filter((l) => l.startsWith("entry,")).length, ms: performance.now() - t };
}

/**
 * Until told to stop: every 2 s, verify the acknowledged donations not yet verified (publishing them), then
 * read the statement and the public totals from the service, which reads them from the standby, and check
 * the position each names against the primary's chain.
 */
async function readWhileWriting(base: string, tokens: { approver: string; auditor: string }, acks: Ack[], done: () => boolean): Promise<Reading[]> {
  const primary = new pg.Client({ connectionString: `postgres://postgres@127.0.0.1:${PRIMARY_PORT}/soquy` });
  primary.on("error", () => {}); // the primary is killed: this connection's end is expected
  await primary.connect();
  const readings: Reading[] = [];
  let verified = 0;
  try {
    while (!done()) {
      await sleep(2000);
      if (done()) break;
      const ids = acks.slice(verified, verified + 200).map((a) => a.entryId);
      if (ids.length > 0) {
        const v = await fetch(`${base}/entries/verify`, { method: "POST", body: JSON.stringify({ ids }), signal: AbortSignal.timeout(10_000),
          headers: { Authorization: `Bearer ${tokens.approver}`, "Content-Type": "application/json" } });
        if (v.status === 200) verified += ids.length;
      }
      const st = await readStatement(base, tokens.auditor);
      const t = performance.now();
      const totals = await fetch(`${base}/public/committees/drill/campaigns/DRILL/totals`, { signal: AbortSignal.timeout(10_000) });
      const totalsMs = performance.now() - t;
      const body = totals.status === 200 ? ((await totals.json()) as { position: Reading["totalsPosition"] }) : null;
      if (st.status !== 200 || done()) continue;
      const { rows } = await primary.query(`select (select max(seq) from journal_entries e join committees c on c.id = e.committee_id and c.code = 'drill') as head,
        (select hash from journal_entries e join committees c on c.id = e.committee_id and c.code = 'drill' where e.seq = $1) as hash`, [st.position.seq]);
      readings.push({
        position: st.position, fromStandby: st.readFrom === "standby", rows: st.rows, ms: st.ms, primaryHead: Number(rows[0].head),
        behind: Number(rows[0].head) - st.position.seq, sameHashOnPrimary: rows[0].hash === st.position.hash, totalsPosition: body?.position ?? null, totalsMs,
      });
    }
  } catch (error) {
    log(`reads stopped: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    await primary.end().catch(() => {});
  }
  return readings;
}

try {
  await main();
} catch (error) {
  console.error(error);
  process.exitCode = 1;
} finally {
  if (process.env.DRILL_KEEP !== "1") dropClusters();
  rmSync(work, { recursive: true, force: true });
}

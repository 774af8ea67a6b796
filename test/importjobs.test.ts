import { expect } from "chai";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { randomUUID } from "node:crypto";
import { pino } from "pino";
import request from "supertest";
import { generateVcb } from "../bench/bankimport.js";
import { wire, type Soquy } from "../src/context.js";
import { openDatabase } from "../src/db/connect.js";
import { UserStore } from "../src/db/users.js";
import { createApp } from "../src/http/app.js";
import { hashPassword } from "../src/web/passwords.js";
import { makeCommittee, meta, testSigningKeyFile, testSoquy, uniqueCode, type TestCommittee } from "./support/db.js";
import { testServer } from "./support/http.js";
import { startService, type ServiceProcess } from "./support/service.js";

// Bank imports as jobs kept in PostgreSQL: any process answers the progress poll, an import whose
// process dies is reported failed with nothing of it written, and on the embedded database (one
// connection, which the import holds while it posts) a request that arrives meanwhile is answered at
// once, busy with a Retry-After, instead of waiting for the import to end.

const ACCOUNT = "0011009990001";
const OPENING = "10847182843";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function relief(s: Soquy, tc: TestCommittee): Promise<string> {
  const code = uniqueCode("YAGI").toUpperCase();
  await s.ledger.createCampaign(tc.principals.treasurer, { code, name: "Ủng hộ đồng bào bị bão số 3", kind: "relief", startsOn: "2024-09-01" }, meta());
  return code;
}

/** Polls `read` until `done` holds of what it returns; at most `ms`. */
async function until<T>(read: () => Promise<T>, done: (x: T) => boolean, ms: number, what: string): Promise<T> {
  const end = Date.now() + ms;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await read();
    if (done(last)) return last;
    await sleep(100);
  }
  throw new Error(`${what}: not within ${ms / 1000} s; last ${JSON.stringify(last)}`);
}

let dir: string;
before(() => (dir = mkdtempSync(path.join(tmpdir(), "soquy-jobs-"))));
after(() => rmSync(dir, { recursive: true, force: true }));

describe("bank import jobs", function () {
  this.timeout(600_000);

  it("are read by another service on the same database: done with the import's summary, or failed with its reason and nothing written", async () => {
    const s = await testSoquy();
    const tc = await makeCommittee(s, "Ủy ban MTTQ phường Hai Tiến Trình (nhập)");
    const campaign = await relief(s, tc);
    // A second service with its own pool, as a second process is (on PGlite, the same database: one process holds it).
    const url = process.env.TEST_DATABASE_URL;
    const db = url ? await openDatabase({ databaseUrl: url, poolMax: 2 }) : s.db;
    const other = wire(db, { signingKeyFile: testSigningKeyFile });
    const appA = createApp(s, pino({ level: "silent" }));
    const appB = createApp(other, pino({ level: "silent" }));
    try {
      const file = path.join(dir, "small.csv");
      await generateVcb(file, 3000);
      const job = randomUUID();
      const auth = { Authorization: `Bearer ${tc.tokens.treasurer}` };
      const poll = () => request(appB).get(`/api/v1/bank-import-jobs/${job}`).set({ Authorization: `Bearer ${tc.tokens.auditor}` });
      const started = request(appA).post("/api/v1/bank-imports").set(auth).set("Content-Type", "text/csv")
        .query({ campaign, bankAccount: ACCOUNT, layout: "vcb", openingBalance: OPENING, job }).send(readFileSync(file));
      const res = await started;
      expect(res.status, JSON.stringify(res.body)).to.equal(201);
      expect(res.headers["x-import-job"]).to.equal(job);
      const done = await poll();
      expect(done.status, JSON.stringify(done.body)).to.equal(200);
      expect(done.body).to.deep.include({ id: job, state: "done", linesDone: 3000, linesTotal: 3000, importId: res.body.id, error: null });
      expect(done.body.summary).to.deep.equal(res.body);
      // Another committee's token does not see it.
      const stranger = await makeCommittee(s, "Ủy ban MTTQ phường Khác");
      expect((await request(appB).get(`/api/v1/bank-import-jobs/${job}`).set({ Authorization: `Bearer ${stranger.tokens.auditor}` })).status).to.equal(404);
      // The same job id twice is refused; a refused import is a failed job with its reason, nothing written.
      const again = await request(appA).post("/api/v1/bank-imports").set(auth).set("Content-Type", "text/csv")
        .query({ campaign, bankAccount: ACCOUNT, layout: "vcb", job }).send(readFileSync(file));
      expect(again.status).to.equal(422);
      expect(again.body.field).to.equal("job");
      const bad = randomUUID();
      const entries = async () => Number((await s.db.knex("journal_entries").where({ committee_id: tc.committee.id }).count("* as n").first())!.n);
      const before = await entries();
      const refused = await request(appA).post("/api/v1/bank-imports").set(auth).set("Content-Type", "text/csv")
        .query({ campaign, bankAccount: "0011009990002", layout: "vcb", openingBalance: "1", job: bad }).send(readFileSync(file));
      expect(refused.status).to.equal(422);
      const failed = (await request(appB).get(`/api/v1/bank-import-jobs/${bad}`).set({ Authorization: `Bearer ${tc.tokens.auditor}` })).body;
      expect(failed).to.deep.include({ state: "failed", importId: null, summary: null });
      expect(failed.error).to.deep.include({ code: "balance_assertion_failed", field: "file" });
      expect(await entries()).to.equal(before);
    } finally {
      await other.statistics.stop();
      await other.importJobs.stop();
      if (db !== s.db) await db.close();
    }
  });

  describe("in two service processes on one PostgreSQL", function () {
    let a: ServiceProcess | undefined;
    let b: ServiceProcess | undefined;
    before(async function () {
      if (!process.env.TEST_DATABASE_URL) this.skip(); // one process holds the embedded database's folder
      await testSoquy(); // migrated, and the role granted
      const env = { DATABASE_URL: process.env.TEST_DATABASE_URL!, IMPORT_JOB_LEASE_SECONDS: "2" };
      [a, b] = await Promise.all([startService(env), startService(env)]);
    });
    after(async () => {
      await a?.stop("SIGKILL");
      await b?.stop();
    });

    it("an import started on A is followed on B; A killed with kill -9 mid-import, B reports it failed, nothing of it written, the ledger verifies and takes writes", async () => {
      const s = await testSoquy();
      const tc = await makeCommittee(s, "Ủy ban MTTQ phường Tiến Trình Chết");
      const campaign = await relief(s, tc);
      // Entries before the import, so the chain that must still verify is not empty.
      for (const amount of ["100000", "250000"]) {
        await s.ledger.recordDonation(tc.principals.treasurer, campaign, { receivedOn: "2024-09-01", amountDong: amount, method: "cash",
          donor: { name: "Nguyễn Văn An", kind: "individual", publishName: true } }, meta());
      }
      const counts = async () => (await s.db.knex.raw(`select
          (select count(*) from journal_entries where committee_id = :c)::int as entries, (select count(*) from bank_lines where committee_id = :c)::int as lines,
          (select count(*) from bank_imports where committee_id = :c)::int as imports`, { c: tc.committee.id })).rows[0];
      const before = await counts();
      const file = path.join(dir, "large.csv");
      await generateVcb(file, 30_000);
      const job = randomUUID();
      const onA = fetch(`${a!.base}/api/v1/bank-imports?${new URLSearchParams({ campaign, bankAccount: ACCOUNT, layout: "vcb", openingBalance: OPENING, job })}`, {
        method: "POST", body: readFileSync(file), headers: { Authorization: `Bearer ${tc.tokens.treasurer}`, "Content-Type": "text/csv" },
      }).then((r) => r.status, (e: Error) => e.name);
      const onB = async () => {
        const r = await fetch(`${b!.base}/api/v1/bank-import-jobs/${job}`, { headers: { Authorization: `Bearer ${tc.tokens.auditor}` } });
        return r.status === 200 ? ((await r.json()) as { state: string; phase: string; linesDone: number; error: { code: string } | null }) : null;
      };
      // B sees A's import running, lines posted in its transaction (a page is 2,500 lines).
      const running = await until(onB, (j) => j !== null && j.state === "running" && j.linesDone >= 2000, 300_000, "B sees the import running");
      a!.child.kill("SIGKILL");
      expect(await onA).to.not.equal(201);
      await a!.stop();
      const failed = await until(onB, (j) => j !== null && j.state !== "running", 60_000, "B reports the import's end");
      expect(failed, JSON.stringify(failed)).to.deep.include({ state: "failed" });
      expect(failed!.error!.code).to.equal("import_interrupted");
      expect(running!.linesDone).to.be.greaterThan(0);
      // Nothing of it: no entry, line or import row; the chain verifies; the committee's lock is free for writes.
      expect(await counts()).to.deep.equal(before);
      const report = await s.verify(tc.committee.id);
      expect(report.ok, report.reason ?? "").to.equal(true);
      const write = await fetch(`${b!.base}/api/v1/campaigns/${campaign}/donations`, {
        method: "POST", headers: { Authorization: `Bearer ${tc.tokens.treasurer}`, "Idempotency-Key": randomUUID(), "Content-Type": "application/json" },
        body: JSON.stringify({ receivedOn: "2024-09-02", amountDong: "50000", method: "cash", donor: { name: "Trần Thị Bình", kind: "individual", publishName: true } }),
      });
      expect(write.status).to.equal(201);
      expect((await s.verify(tc.committee.id)).ok).to.equal(true);
    });
  });

  describe("on the embedded database, while an import holds the one connection", function () {
    let s: Soquy;
    let server: Server;
    let base: string;
    before(async () => ({ s, server, base } = await testServer()));
    after(() => new Promise<void>((resolve) => server.close(() => resolve())));

    it("a request that arrives meanwhile is answered at once: 503 busy with Retry-After (Vietnamese in the workspace), kept public pages and /health still 200", async () => {
      const tc = await makeCommittee(s, "Ủy ban MTTQ phường Bận Ghi Sổ");
      const campaign = await relief(s, tc);
      const users = new UserStore(s.db.knex);
      await users.create(tc.committee.id, { login: `${tc.committee.code}.auditor`, name: "Võ Thị Kim Loan", role: "auditor", passwordHash: await hashPassword("một mật khẩu đủ dài") });
      const signedIn = await fetch(`${base}/app/login`, { method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded" },
        body: new URLSearchParams({ login: `${tc.committee.code}.auditor`, password: "một mật khẩu đủ dài" }) });
      const cookie = signedIn.headers.get("set-cookie")!.split(";")[0]!;
      const page = `${base}/c/${tc.committee.code}`;
      expect((await fetch(page)).status).to.equal(200); // kept from now on

      const file = path.join(dir, "embedded.csv");
      // PostgreSQL posts 10,000 lines in well under the second between progress writes: a longer statement there.
      const lines = s.db.kind === "pglite" ? 10_000 : 100_000;
      await generateVcb(file, lines);
      let importAnswered = false;
      const importing = fetch(`${base}/api/v1/bank-imports?${new URLSearchParams({ campaign, bankAccount: ACCOUNT, layout: "vcb", openingBalance: OPENING })}`, {
        method: "POST", body: readFileSync(file), headers: { Authorization: `Bearer ${tc.tokens.treasurer}`, "Content-Type": "text/csv" },
      }).then(async (r) => {
        importAnswered = true;
        return { status: r.status, body: await r.json() };
      });
      // PGlite: the gate is held once the import has its lock; PostgreSQL: the import's job is running. An import
      // that ended first fails at once: nothing was asked while it ran.
      await until(async () => {
        if (importAnswered) throw new Error(`the import ended before the test saw it run: ${JSON.stringify(await importing)}`);
        return s.db.gate?.held ?? (await s.db.knex("bank_import_jobs").where({ committee_id: tc.committee.id, state: "running" }).first()) !== undefined;
      }, Boolean, 300_000, "the import holds the connection");

      const timed = async (url: string, init: RequestInit = {}) => {
        const t = performance.now();
        const r = await fetch(url, init);
        return { status: r.status, retryAfter: r.headers.get("retry-after"), text: await r.text(), ms: performance.now() - t, whileImporting: !importAnswered };
      };
      const api = await timed(`${base}/api/v1/campaigns/${campaign}`, { headers: { Authorization: `Bearer ${tc.tokens.auditor}` } });
      const workspace = await timed(`${base}/app/`, { headers: { Cookie: cookie } });
      const kept = await timed(page);
      const health = await timed(`${base}/health`);
      for (const r of [api, workspace, kept, health]) {
        expect(r.whileImporting, "answered while the import still ran").to.equal(true);
        expect(r.ms, "answered promptly (the import holds the connection far longer)").to.be.below(5000);
      }
      expect(kept.status).to.equal(200);
      expect(health.status).to.equal(200);
      if (s.db.kind === "pglite") {
        expect(api.status).to.equal(503);
        expect(JSON.parse(api.text)).to.include({ code: "database_busy" });
        expect(Number(api.retryAfter)).to.be.within(1, 600);
        expect(workspace.status).to.equal(503);
        expect(workspace.text).to.contain("Hệ thống đang ghi sổ một sao kê ngân hàng").and.to.contain(`sau khoảng ${workspace.retryAfter} giây`);
      } else {
        expect(api.status).to.equal(200);
        expect(workspace.status).to.equal(200);
      }
      const done = await importing;
      expect(done.status, JSON.stringify(done.body)).to.equal(201);
      expect(done.body).to.include({ linesRead: lines, recorded: lines });
      expect((await fetch(`${base}/api/v1/campaigns/${campaign}`, { headers: { Authorization: `Bearer ${tc.tokens.auditor}` } })).status).to.equal(200);
    });
  });
});

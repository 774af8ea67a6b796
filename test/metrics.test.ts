import { expect } from "chai";
import type { Express } from "express";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { pino } from "pino";
import request from "supertest";
import { wire } from "../src/context.js";
import { openDatabase } from "../src/db/connect.js";
import { BASELINE } from "../src/db/legacy.js";
import { legacyMigrations } from "../knexfile.js";
import { createApp } from "../src/http/app.js";
import { makeCommittee, type TestCommittee, testSigningKeyFile, uniqueCode } from "./support/db.js";
import { testApp } from "./support/http.js";

// What an operator watches: /metrics in Prometheus's text format, /ready for a load balancer, and a
// request id that follows a request through a proxy.

/** The value of one series in Prometheus text, or null when it is absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | null {
  const want = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  for (const line of text.split("\n")) {
    const m = /^([a-z_]+)(?:\{(.*)\})? (\S+)$/.exec(line);
    if (!m || m[1] !== name) continue;
    const have = (m[2] ?? "").split(",").filter(Boolean);
    if (want.every((w) => have.includes(w))) return Number(m[3]);
  }
  return null;
}

describe("operations endpoints", () => {
  let app: Express;
  let tc: TestCommittee;
  let s: Awaited<ReturnType<typeof testApp>>["s"];
  before(async () => {
    ({ app, s } = await testApp());
    tc = await makeCommittee(s);
  });
  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

  it("counts requests by route pattern and status, never by raw path", async () => {
    const before = sample((await request(app).get("/metrics")).text, "soquy_http_requests_total", { route: "/api/v1/campaigns/:code", status: "404" }) ?? 0;
    await request(app).get(`/api/v1/campaigns/${uniqueCode("X")}`).set(auth(tc.tokens.auditor)).expect(404);
    await request(app).get(`/api/v1/campaigns/${uniqueCode("Y")}`).set(auth(tc.tokens.auditor)).expect(404);
    await request(app).get(`/no/such/${uniqueCode("page")}`).expect(404);
    const res = await request(app).get("/metrics").expect(200);
    expect(res.headers["content-type"]).to.match(/^text\/plain/);
    expect(sample(res.text, "soquy_http_requests_total", { route: "/api/v1/campaigns/:code", status: "404" })).to.equal(before + 2);
    expect(res.text).to.not.match(/route="[^"]*(X|Y|page)-[0-9a-f]{10}/);
    expect(sample(res.text, "soquy_http_request_duration_seconds_count", { route: "/api/v1/campaigns/:code", status: "404" })).to.be.at.least(2);
  });

  it("reports write batches, the chain head of each committee and verify runs", async () => {
    const code = uniqueCode("M").toUpperCase();
    await request(app).post("/api/v1/campaigns").set(auth(tc.tokens.treasurer)).set("Idempotency-Key", uniqueCode("k"))
      .send({ code, name: "Quỹ Vì người nghèo", kind: "for_the_poor", startsOn: "2024-01-01" }).expect(201);
    const batches = sample((await request(app).get("/metrics")).text, "soquy_write_batch_entries_sum") ?? 0;
    for (let i = 0; i < 3; i++) {
      await request(app).post(`/api/v1/campaigns/${code}/donations`).set(auth(tc.tokens.treasurer)).set("Idempotency-Key", uniqueCode("k"))
        .send({ receivedOn: "2024-01-05", amountDong: "10000", method: "cash", donor: { name: "Nguyễn Văn Ánh", kind: "individual", publishName: true } })
        .expect(201);
    }
    await request(app).get("/api/v1/ledger/verify").set(auth(tc.tokens.auditor)).expect(200);
    const text = (await request(app).get("/metrics")).text;
    expect(sample(text, "soquy_write_batch_entries_sum")).to.be.at.least(batches + 3);
    const head = Number((await s.db.knex("journal_entries").where({ committee_id: tc.committee.id }).max("seq as m").first())!.m);
    expect(head).to.be.at.least(3);
    expect(sample(text, "soquy_chain_head_sequence", { committee: tc.committee.code })).to.equal(head);
    expect(sample(text, "soquy_verify_duration_seconds_count", { outcome: "ok" })).to.be.at.least(1);
    expect(sample(text, "soquy_db_pool_used")).to.not.equal(null);
  });

  it("reports bank import jobs: running here, unfinished in the deployment, and their durations by outcome", async () => {
    const code = uniqueCode("B").toUpperCase();
    await request(app).post("/api/v1/campaigns").set(auth(tc.tokens.treasurer)).set("Idempotency-Key", uniqueCode("k"))
      .send({ code, name: "Ủng hộ đồng bào bị bão", kind: "relief", startsOn: "2024-09-01" }).expect(201);
    const count = (text: string, outcome: string) => sample(text, "soquy_bank_import_job_seconds_count", { outcome }) ?? 0;
    const before = (await request(app).get("/metrics")).text;
    const csv = "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails\r\n1,01/09/2024,5213.90595,,6.000,6.000,HO XUAN DUNG chuyen tien\r\n";
    const post = (opening: string) => request(app).post("/api/v1/bank-imports").set(auth(tc.tokens.treasurer)).set("Content-Type", "text/csv")
      .query({ campaign: code, bankAccount: "0011009990009", layout: "vcb", openingBalance: opening }).send(csv);
    expect((await post("0")).status).to.equal(201);
    expect((await post("1")).status).to.equal(422); // a balance that does not add up: a failed job
    const after = (await request(app).get("/metrics")).text;
    expect(count(after, "done")).to.equal(count(before, "done") + 1);
    expect(count(after, "failed")).to.equal(count(before, "failed") + 1);
    expect(sample(after, "soquy_bank_import_jobs_running")).to.equal(0);
    expect(sample(after, "soquy_bank_import_jobs_unfinished")).to.not.equal(null);
  });

  it("keeps a caller's X-Request-Id (a UUID) and replaces one that could forge a log line", async () => {
    const id = "0193a1b2-c3d4-4e5f-8a9b-0c1d2e3f4a5b";
    const mine = await request(app).get("/health").set("X-Request-Id", id).expect(200);
    expect(mine.headers["x-request-id"]).to.equal(id);
    const forged = await request(app).get("/health").set("X-Request-Id", "x\" injected=1").expect(200);
    expect(forged.headers["x-request-id"]).to.match(/^[0-9a-f-]{36}$/);
  });

  it("audits a refused attempt whatever request id the caller sends (an id the audit log cannot hold dropped the row)", async () => {
    const res = await request(app).post("/api/v1/campaigns").set("Authorization", `Bearer ${tc.tokens.auditor}`)
      .set("Idempotency-Key", uniqueCode("k")).set("X-Request-Id", "lb-7f3a:42").send({}).expect(403);
    const requestId = res.headers["x-request-id"]!;
    await (app.locals.audit as { flush(): Promise<boolean> }).flush();
    const rows = await s.db.knex("audit_log").where({ request_id: requestId }).select("outcome", "code");
    expect(rows).to.have.length(1);
  });

  it("is ready when the database answers and is migrated", async () => {
    const res = await request(app).get("/ready").expect(200);
    expect(res.body).to.include({ status: "ready" });
  });

  it("is not ready while the migrations before the SQL baseline stopped part-way, and names the command that brings them forward", async () => {
    const db = await openDatabase({ pglite: new PGlite() });
    try {
      await db.knex.migrate.up(legacyMigrations);
      const bare = createApp(wire(db, { signingKeyFile: testSigningKeyFile }), pino({ level: "silent" }));
      const res = await request(bare).get("/ready").expect(503);
      expect(res.body.status).to.equal("migrations pending");
      expect(res.body.error).to.include("stopped at 20261122000001_ledger_schema.ts").and.include("db upgrade-legacy");
    } finally {
      await db.close();
    }
  });

  it("is not ready while migrations are pending, and names them", async () => {
    const url = process.env.TEST_DATABASE_OWNER_URL || process.env.TEST_DATABASE_URL; // creating a database takes the owner
    const scratch = `soquy_ready_${process.pid}`;
    let admin: pg.Client | null = null;
    if (url) {
      admin = new pg.Client({ connectionString: url });
      await admin.connect();
      await admin.query(`create database ${scratch}`);
    }
    const db = await openDatabase(url ? { databaseUrl: url.replace(/\/[^/?]+(\?|$)/, `/${scratch}$1`) } : { pglite: new PGlite() });
    try {
      const bare = createApp(wire(db, { signingKeyFile: testSigningKeyFile }), pino({ level: "silent" }));
      const res = await request(bare).get("/ready").expect(503);
      expect(res.body.status).to.equal("migrations pending");
      expect(res.body.pending).to.include(BASELINE);
    } finally {
      await db.close();
      if (admin) {
        await admin.query(`drop database if exists ${scratch} with (force)`);
        await admin.end();
      }
    }
  });
});

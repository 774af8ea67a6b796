import { randomUUID } from "node:crypto";
import type { AddressInfo } from "node:net";
import { connect } from "node:net";
import { expect } from "chai";
import express, { type Express } from "express";
import type { Knex } from "knex";
import { pino } from "pino";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { type AuditRow, AuditWriter, listAudit } from "../src/db/audit.js";
import { apiRoutes, createApp } from "../src/http/app.js";
import { auditMiddleware } from "../src/http/audit.js";
import { bearerAuth } from "../src/http/auth.js";
import { openApiDocument } from "../src/http/openapi.js";
import { errorHandler } from "../src/http/problems.js";
import { rateLimit } from "../src/http/ratelimit.js";
import { mount } from "../src/http/route.js";
import { auditRoutes } from "../src/http/routes/audit.js";
import { makeCommittee, testOwnerKnex, testSoquy, uniqueCode, type TestCommittee } from "./support/db.js";

// The audit log over real HTTP on the real database. The app is createApp's;
// until the audit pieces are wired into it, the same pieces are put in front
// of it here (audit middleware, GET /audit-log), so each request is audited
// exactly once either way.

const silent = pino({ level: "silent" });

interface Audited {
  app: Express;
  writer: AuditWriter;
}

function requestIds(): express.RequestHandler {
  return (_req, res, next) => {
    res.locals.requestId = randomUUID();
    res.setHeader("X-Request-Id", res.locals.requestId as string);
    next();
  };
}

function auditedApp(s: Soquy): Audited {
  const base = createApp(s, silent);
  const wired = base.locals.audit instanceof AuditWriter ? (base.locals.audit as AuditWriter) : null;
  const routesWired = apiRoutes(s).some((r) => r.path === "/audit-log");
  if (wired && routesWired) return { app: base, writer: wired };
  const writer = wired ?? new AuditWriter(s.db.knex, silent);
  const app = express();
  app.set("query parser", "simple");
  if (!wired) app.use(auditMiddleware(writer));
  if (!routesWired) {
    // GET /audit-log in front of createApp's router; only its requests stop here.
    const api = express.Router();
    if (wired) api.use("/audit-log", auditMiddleware(writer));
    api.use("/audit-log", requestIds(), bearerAuth(s.store));
    for (const r of auditRoutes(s)) mount(api, r);
    app.use("/api/v1", api);
  }
  app.use(base);
  app.use(errorHandler);
  return { app, writer };
}

/** A logger whose lines the test can read. */
function capturedLog() {
  const lines: { level: number; msg: string; [k: string]: unknown }[] = [];
  const log = pino({ level: "info" }, { write: (line: string) => void lines.push(JSON.parse(line)) });
  return { log, lines };
}

describe("audit log", () => {
  let s: Soquy;
  let app: Express;
  let writer: AuditWriter;
  let c: TestCommittee;
  let other: TestCommittee;
  let campaign: string;
  let keyN = 0;
  const key = () => `audit-${Date.now()}-${++keyN}`;
  const phone = "0912 345 678";
  const donorName = "Trần Thị Bí Mật";
  const queryName = "Lê Văn Truy Vấn";
  const badToken = "sq_notarealtoken_butlongenough_000000000000";
  const allRequestIds: string[] = [];

  const donation = (amountDong: unknown) => ({
    receivedOn: "2024-01-05", amountDong, method: "cash",
    donor: { name: donorName, kind: "individual", publishName: false, phone },
  });

  function post(path: string, token: string | null, body: unknown, idempotencyKey: string | null = key()) {
    const r = request(app).post(path);
    if (token) r.set("Authorization", `Bearer ${token}`);
    if (idempotencyKey) r.set("Idempotency-Key", idempotencyKey);
    return r.send(body as object);
  }
  const get = (path: string, token: string | null) => {
    const r = request(app).get(path);
    return token ? r.set("Authorization", `Bearer ${token}`) : r;
  };

  /** The audit rows of one response, after the writer has flushed. */
  async function rowsOf(res: { headers: Record<string, string> }) {
    const requestId = res.headers["x-request-id"];
    expect(requestId, "X-Request-Id").to.match(/^[0-9a-f-]{36}$/);
    allRequestIds.push(requestId!);
    expect(await writer.flush()).to.equal(true);
    return s.db.knex("audit_log").where({ request_id: requestId }).select("*");
  }

  async function oneRow(res: { headers: Record<string, string> }) {
    const rows = await rowsOf(res);
    expect(rows, "exactly one audit row").to.have.length(1);
    return rows[0];
  }

  before(async () => {
    s = await testSoquy();
    ({ app, writer } = auditedApp(s));
    c = await makeCommittee(s);
    other = await makeCommittee(s, "Ủy ban MTTQ xã khác");
    campaign = uniqueCode("AU").toUpperCase();
    await post("/api/v1/campaigns", c.tokens.treasurer, {
      code: campaign, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", startsOn: "2024-01-01",
    }).expect(201);
  });

  describe("what is written", () => {
    it("writes one row for a successful write, with the route pattern and no query string", async () => {
      const res = await post(`/api/v1/campaigns/${campaign}/donations?ghichu=${encodeURIComponent(queryName)}`, c.tokens.treasurer, donation("500000"))
        .expect(201);
      const row = await oneRow(res);
      expect(row).to.include({
        action: "POST /api/v1/campaigns/:code/donations",
        target: `/api/v1/campaigns/${campaign}/donations`,
        outcome: 201,
        code: null,
        role: "treasurer",
        request_id: res.headers["x-request-id"],
      });
      expect(Number(row.committee_id)).to.equal(c.committee.id);
      expect(Number(row.token_id)).to.equal(c.principals.treasurer.tokenId);
      expect(row.client).to.match(/127\.0\.0\.1|::1/);
      expect(Math.abs((row.at as Date).getTime() - Date.now())).to.be.below(60_000);
    });

    it("writes one row for a refusal without a token (401), with no committee", async () => {
      const res = await post(`/api/v1/campaigns/${campaign}/donations`, null, donation("500000")).expect(401);
      const row = await oneRow(res);
      expect(row).to.include({
        action: "POST /api/v1/campaigns/:code/donations", outcome: 401, code: "unauthorized",
        committee_id: null, token_id: null, role: null,
      });
    });

    it("writes one row for an unknown token (401), even on a read, and keeps not the token", async () => {
      const res = await get("/api/v1/campaigns", badToken).expect(401);
      const row = await oneRow(res);
      expect(row).to.include({ action: "GET /api/v1/campaigns", target: "/api/v1/campaigns", outcome: 401, code: "unauthorized", committee_id: null, token_id: null });
      expect(JSON.stringify(row)).not.to.contain(badToken);
    });

    it("writes one row for a role that may not write (403)", async () => {
      const res = await post(`/api/v1/campaigns/${campaign}/donations`, c.tokens.auditor, donation("500000")).expect(403);
      const row = await oneRow(res);
      expect(row).to.include({ action: "POST /api/v1/campaigns/:code/donations", outcome: 403, code: "forbidden", role: "auditor" });
      expect(Number(row.committee_id)).to.equal(c.committee.id);
      expect(Number(row.token_id)).to.equal(c.principals.auditor.tokenId);
    });

    it("writes one row for a conflict (409 campaign_code_taken)", async () => {
      const res = await post("/api/v1/campaigns", c.tokens.treasurer, {
        code: campaign, name: "Trùng mã", kind: "for_the_poor", startsOn: "2024-01-01",
      }).expect(409);
      const row = await oneRow(res);
      expect(row).to.include({ action: "POST /api/v1/campaigns", target: "/api/v1/campaigns", outcome: 409, code: "campaign_code_taken", role: "treasurer" });
      expect(Number(row.committee_id)).to.equal(c.committee.id);
    });

    it("writes one row for an invalid amount (422), from the error handler too", async () => {
      const res = await post(`/api/v1/campaigns/${campaign}/donations`, c.tokens.treasurer, donation("1000.5")).expect(422);
      const row = await oneRow(res);
      expect(row).to.include({ action: "POST /api/v1/campaigns/:code/donations", outcome: 422, code: "amount_not_whole_dong" });
      expect(Number(row.token_id)).to.equal(c.principals.treasurer.tokenId);
    });

    it("writes one row for a missing Idempotency-Key (400) and for a body over the limit (413)", async () => {
      const missing = await post(`/api/v1/campaigns/${campaign}/donations`, c.tokens.treasurer, donation("1000"), null).expect(400);
      expect(await oneRow(missing)).to.include({ outcome: 400, code: "idempotency_key_required", action: "POST /api/v1/campaigns/:code/donations" });
      const big = await post(`/api/v1/campaigns/${campaign}/donations`, c.tokens.treasurer, { ...donation("1000"), note: "x".repeat(100_000) }).expect(413);
      expect(await oneRow(big)).to.include({ outcome: 413, code: "payload_too_large", target: `/api/v1/campaigns/${campaign}/donations` });
    });

    it("writes nothing for a successful read, nor for an unknown route read", async () => {
      const ok = await get(`/api/v1/campaigns/${campaign}`, c.tokens.auditor).expect(200);
      expect(await rowsOf(ok)).to.have.length(0);
      const missing = await get("/api/v1/nothing-here", c.tokens.auditor).expect(404);
      expect(await rowsOf(missing)).to.have.length(0);
    });

    it("keeps no token, phone number or name from the request in any row", async () => {
      await writer.flush();
      const rows = await s.db.knex("audit_log").whereIn("request_id", allRequestIds).orWhere("committee_id", c.committee.id).select("*");
      expect(rows.length).to.be.greaterThan(8);
      const text = JSON.stringify(rows);
      for (const t of [...Object.values(c.tokens), badToken]) expect(text).not.to.contain(t);
      for (const secret of [phone, phone.replaceAll(" ", ""), donorName, queryName, encodeURIComponent(queryName), "ghichu"]) {
        expect(text).not.to.contain(secret);
      }
    });

    it("still writes the row of a write whose client hung up before the answer", async () => {
      const code = uniqueCode("AB").toUpperCase();
      await post("/api/v1/campaigns", c.tokens.treasurer, { code, name: "Bỏ dở", kind: "for_the_poor", startsOn: "2024-01-01" }).expect(201);
      let release = () => {};
      const server = app.listen(0, "127.0.0.1");
      await new Promise((ok) => server.once("listening", ok));
      try {
        const { port } = server.address() as AddressInfo;
        const body = JSON.stringify(donation("70000"));
        const idem = key();
        // Hold the ledger back a moment, so the hang-up comes before the answer.
        const held = new Promise<void>((ok) => (release = ok));
        const owner = await testOwnerKnex(); // the service's role may not lock a ledger table
        const locked = new Promise<void>((ok) => {
          void owner.transaction(async (trx) => {
            await trx.raw("lock table journal_entries in access exclusive mode");
            ok();
            await held;
          });
        });
        await locked;
        await new Promise<void>((ok) => {
          const socket = connect(port, "127.0.0.1", () => {
            socket.write(`POST /api/v1/campaigns/${code}/donations HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${c.tokens.treasurer}\r\n` +
              `Idempotency-Key: ${idem}\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
            socket.destroy(); // gone before any answer
            ok();
          });
        });
        await new Promise((ok) => setTimeout(ok, 300));
        release();
        let rows: { outcome: number; role: string }[] = [];
        for (let i = 0; i < 200 && rows.length === 0; i++) {
          await new Promise((ok) => setTimeout(ok, 25));
          await writer.flush();
          rows = await s.db.knex("audit_log").where({ target: `/api/v1/campaigns/${code}/donations` });
        }
        expect(rows.map((r) => [r.outcome, r.role])).to.deep.equal([[201, "treasurer"]]);
        const entries = await s.db.knex("journal_entries").where({ committee_id: c.committee.id, idempotency_key: idem });
        expect(entries).to.have.length(1);
      } finally {
        release();
        await new Promise((ok) => server.close(ok));
      }
    });

    it("cannot be updated, deleted or truncated (PostgreSQL refuses)", async () => {
      const res = await post(`/api/v1/campaigns/${campaign}/donations`, c.tokens.auditor, donation("1")).expect(403);
      const row = await oneRow(res);
      const refused = async (q: Promise<unknown>) => {
        try {
          await q;
        } catch (error) {
          return (error as Error).message;
        }
        return "accepted";
      };
      // As the owner: the service's role may not even try (privileges.test.ts); the rule holds for the owner too.
      const owner = await testOwnerKnex();
      expect(await refused(owner("audit_log").where({ id: row.id }).update({ outcome: 201 }))).to.match(/append-only/);
      expect(await refused(owner("audit_log").where({ id: row.id }).delete())).to.match(/append-only/);
      expect(await refused(owner.raw("truncate audit_log"))).to.match(/append-only/);
      const again = await s.db.knex("audit_log").where({ id: row.id }).first();
      expect(again.outcome).to.equal(403);
    });
  });

  describe("GET /api/v1/audit-log", () => {
    let mine: string[];
    let theirs: string;
    // The rows before the known set: PostgreSQL's own rows for the people the committee was made with.
    let start = 0;

    before(async () => {
      // A known set for the second committee's auditor to page through.
      const o = other;
      start = Number((await s.db.knex("audit_log").where({ committee_id: o.committee.id }).max<{ m: string | null }[]>("id as m").first())?.m ?? 0);
      const code = uniqueCode("AO").toUpperCase();
      const r1 = await post("/api/v1/campaigns", o.tokens.treasurer, { code, name: "Quà Tết 2025", kind: "tet_gifts", startsOn: "2024-01-01" }).expect(201);
      const r2 = await post(`/api/v1/campaigns/${code}/donations`, o.tokens.treasurer, donation("200000")).expect(201);
      const r3 = await post(`/api/v1/campaigns/${code}/donations`, o.tokens.auditor, donation("200000")).expect(403);
      const r4 = await post(`/api/v1/campaigns/${code}/donations`, o.tokens.treasurer, donation("-1")).expect(422);
      const r5 = await post("/api/v1/campaigns", o.tokens.admin, { code, name: "Trùng", kind: "tet_gifts", startsOn: "2024-01-01" }).expect(409);
      mine = [r1, r2, r3, r4, r5].map((r) => r.headers["x-request-id"]!);
      const t = await post(`/api/v1/campaigns/${campaign}/donations`, c.tokens.auditor, donation("1")).expect(403);
      theirs = t.headers["x-request-id"]!;
      await writer.flush();
    });

    const list = (query: string, token = other.tokens.auditor) =>
      get(`/api/v1/audit-log${query.includes("after=") ? query : `${query ? `${query}&` : "?"}after=${start}`}`, token);

    it("shows an auditor its own committee's rows only, in id order", async () => {
      const res = await list("?limit=1000").expect(200);
      const ids = res.body.items.map((i: { requestId: string }) => i.requestId);
      expect(ids).to.deep.equal(mine);
      expect(ids).not.to.contain(theirs);
      expect(res.body.next).to.equal(null);
      const first = res.body.items[0];
      expect(first).to.include({ action: "POST /api/v1/campaigns", outcome: 201, code: null, role: "treasurer", tokenId: other.principals.treasurer.tokenId });
      expect(first).not.to.have.property("committeeId");
      const mineToo = await list("?limit=1000", c.tokens.auditor).expect(200);
      expect(mineToo.body.items.map((i: { requestId: string }) => i.requestId)).to.contain(theirs).and.not.to.include.members(mine);
    });

    it("pages by id with after and next", async () => {
      const p1 = await list("?limit=2").expect(200);
      expect(p1.body.items).to.have.length(2);
      const p2 = await list(`?limit=2&after=${p1.body.next}`).expect(200);
      const p3 = await list(`?limit=2&after=${p2.body.next}`).expect(200);
      expect(p3.body.items).to.have.length(1);
      expect(p3.body.next).to.equal(null);
      const all = [...p1.body.items, ...p2.body.items, ...p3.body.items];
      expect(all.map((i: { requestId: string }) => i.requestId)).to.deep.equal(mine);
      const ids = all.map((i: { id: number }) => i.id);
      expect(ids).to.deep.equal([...ids].sort((a, b) => a - b));
    });

    it("filters by outcome, class of outcome, action, action prefix, token and time", async () => {
      const codes = async (q: string) => (await list(q).expect(200)).body.items.map((i: { outcome: number }) => i.outcome);
      expect(await codes("?outcome=403")).to.deep.equal([403]);
      expect(await codes("?outcome=4xx")).to.deep.equal([403, 422, 409]);
      expect(await codes("?outcome=2xx")).to.deep.equal([201, 201]);
      expect(await codes(`?action=${encodeURIComponent("POST /api/v1/campaigns/:code/donations")}`)).to.deep.equal([201, 403, 422]);
      expect(await codes(`?action=${encodeURIComponent("POST /api/v1/campaigns")}`)).to.deep.equal([201, 409]);
      expect(await codes(`?action=${encodeURIComponent("POST /api/v1/campaigns*")}`)).to.deep.equal([201, 201, 403, 422, 409]);
      expect(await codes(`?action=${encodeURIComponent("GET *")}`)).to.deep.equal([]);
      expect(await codes(`?token=${other.principals.admin.tokenId}`)).to.deep.equal([409]);
      const today = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" }).format(new Date());
      expect(await codes(`?from=${today}&to=${today}`)).to.have.length(5);
      expect(await codes("?to=2024-01-01")).to.deep.equal([]);
      expect(await codes(`?from=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`)).to.deep.equal([]);
      expect(await codes(`?from=${encodeURIComponent(new Date(Date.now() - 3_600_000).toISOString().replace("Z", "+00:00"))}`)).to.have.length(5);
    });

    it("refuses bad queries (422) with the field named", async () => {
      for (const q of ["?limit=0", "?limit=1001", "?outcome=abc", "?from=2024-02-30", "?from=yesterday", "?after=-1", "?colour=red"]) {
        const res = await list(q).expect(422);
        expect(res.body.code, q).to.be.oneOf(["validation_failed", "invalid_date"]);
      }
    });

    it("is refused to a treasurer (403), and the refusal is audited", async () => {
      const res = await list("", other.tokens.treasurer).expect(403);
      expect(res.body.code).to.equal("forbidden");
      expect(await oneRow(res)).to.include({ action: "GET /api/v1/audit-log", outcome: 403, code: "forbidden", role: "treasurer" });
      await list("", other.tokens.admin).expect(403);
      await get("/api/v1/audit-log", null).expect(401);
    });

    it("is described in the OpenAPI document with its response schema", () => {
      const doc = openApiDocument(auditRoutes(s), "test") as unknown as { paths: Record<string, { get: any }> };
      const op = doc.paths["/api/v1/audit-log"]!.get;
      expect(op.parameters.map((p: { name: string }) => p.name)).to.include.members(["after", "limit", "action", "outcome", "from", "to", "token"]);
      const schema = op.responses["200"].content["application/json"].schema;
      expect(schema.required).to.include.members(["items", "next"]);
      expect(schema.properties.items.items.required).to.include.members(["id", "at", "action", "target", "outcome", "code", "requestId"]);
    });
  });

  describe("the writer", () => {
    const row = (extra: Partial<AuditRow> = {}): AuditRow => ({
      at: new Date(), committeeId: null, tokenId: null, role: null, action: "TEST /writer", target: "/writer",
      outcome: 400, code: "malformed_request", requestId: randomUUID(), client: "192.0.2.1", ...extra,
    });
    const count = async (ids: string[]) => Number((await s.db.knex("audit_log").whereIn("request_id", ids).count("* as n").first())?.n);

    it("inserts in groups: 1,200 rows in 3 statements", async () => {
      const w = new AuditWriter(s.db.knex, silent, { flushMs: 10_000 });
      const rows = Array.from({ length: 1200 }, () => row());
      const ours = new Set(rows.map((r) => r.requestId));
      let inserts = 0;
      const onQuery = (q: { sql: string; bindings?: unknown[] }) => {
        if (/^insert into "?audit_log"?/.test(q.sql) && q.bindings?.some((b) => [...ours].some((id) => String(b).includes(id)))) inserts++;
      };
      s.db.knex.on("query", onQuery);
      try {
        for (const r of rows) w.write(r);
        expect(await w.flush()).to.equal(true);
        expect(w.size).to.equal(0);
        expect(await count(rows.map((r) => r.requestId))).to.equal(1200);
        expect(inserts).to.equal(3);
      } finally {
        s.db.knex.off("query", onQuery);
      }
    });

    it("flushes by itself after a short while", async () => {
      const w = new AuditWriter(s.db.knex, silent, { flushMs: 20 });
      const r = row();
      w.write(r);
      for (let i = 0; i < 100 && (await count([r.requestId])) === 0; i++) await new Promise((ok) => setTimeout(ok, 20));
      expect(await count([r.requestId])).to.equal(1);
    });

    it("keeps the rows when the database refuses, logs loudly, drops the oldest beyond the bound, then writes the rest", async () => {
      const { log, lines } = capturedLog();
      let down = true;
      const refused = () => Promise.reject(Object.assign(new Error("connection refused"), { code: "ECONNREFUSED" }));
      const flaky = Object.assign((table: string) => (down ? { insert: refused } : s.db.knex(table)), {
        raw: (sql: string, bindings: Knex.RawBinding[]) => (down ? refused() : s.db.knex.raw(sql, bindings)),
      }) as unknown as Knex;
      const w = new AuditWriter(flaky, log, { flushMs: 10_000, maxPending: 5 });
      const rows = Array.from({ length: 8 }, () => row());
      for (const r of rows.slice(0, 3)) w.write(r);
      expect(await w.flush()).to.equal(false);
      expect(w.size).to.equal(3);
      expect(lines.some((l) => l.level >= 50 && /AUDIT LOG INSERT FAILED/.test(l.msg))).to.equal(true);
      for (const r of rows.slice(3)) w.write(r);
      expect([w.size, w.droppedRows]).to.deep.equal([5, 3]);
      expect(lines.some((l) => l.level >= 50 && /BUFFER FULL/.test(l.msg) && l.dropped === 1)).to.equal(true);
      down = false;
      expect(await w.flush()).to.equal(true);
      expect(await count(rows.slice(0, 3).map((r) => r.requestId))).to.equal(0);
      expect(await count(rows.slice(3).map((r) => r.requestId))).to.equal(5);
      await w.close();
    });

    it("drops only a row the database itself refuses, and fits long text to the columns", async () => {
      const { log, lines } = capturedLog();
      const w = new AuditWriter(s.db.knex, log, { flushMs: 10_000 });
      const good = [row(), row({ action: `POST /${"a".repeat(400)}`, target: `/${"ă".repeat(900)}`, client: "x".repeat(300) })];
      const bad = row({ committeeId: 2_000_000_000 }); // no such committee
      w.write(good[0]!);
      w.write(bad);
      w.write(good[1]!);
      expect(await w.flush()).to.equal(true);
      expect(await count(good.map((r) => r.requestId))).to.equal(2);
      expect(await count([bad.requestId])).to.equal(0);
      expect([w.written, w.droppedRows]).to.deep.equal([2, 1]);
      expect(lines.some((l) => l.level >= 50 && /REFUSED by the database/.test(l.msg))).to.equal(true);
      const long = await s.db.knex("audit_log").where({ request_id: good[1]!.requestId }).first();
      expect([long.action.length, [...long.target].length, long.client.length]).to.deep.equal([200, 500, 100]);
    });

    it("flushes on close and refuses (loudly) to buffer afterwards", async () => {
      const { log, lines } = capturedLog();
      const w = new AuditWriter(s.db.knex, log, { flushMs: 10_000 });
      const r = row();
      w.write(r);
      await w.close();
      expect(await count([r.requestId])).to.equal(1);
      w.write(row());
      expect(w.size).to.equal(0);
      expect(lines.some((l) => l.level >= 50 && /after the audit writer was closed/.test(l.msg))).to.equal(true);
    });

    it("reads pages with listAudit directly", async () => {
      const all = await listAudit(s.db.knex, other.committee.id, { limit: 1000, outcome: "4xx" });
      expect(all.slice(0, 3).map((p) => p.outcome)).to.deep.equal([403, 422, 409]);
      expect(all.every((p) => p.outcome >= 400 && p.outcome < 500 && p.committeeId === other.committee.id)).to.equal(true);
      const page = await listAudit(s.db.knex, other.committee.id, { limit: 2, outcome: "4xx" });
      const next = await listAudit(s.db.knex, other.committee.id, { afterId: page[1]!.id, outcome: "4xx" });
      expect([...page, ...next]).to.deep.equal(all);
    });
  });

  describe("rate limiting requests without a token", () => {
    it("answers 429 with Retry-After once the burst is spent, audits the first refusal, and lets a token through", async () => {
      const w = new AuditWriter(s.db.knex, silent);
      const limited = express();
      limited.use(requestIds());
      limited.use(auditMiddleware(w));
      limited.use(rateLimit({ perMinute: 6, burst: 3 }));
      limited.use(createApp(s, silent));
      const statuses: number[] = [];
      let refused: request.Response | undefined;
      for (let i = 0; i < 10 && !refused; i++) {
        const res = await request(limited).get("/health");
        statuses.push(res.status);
        if (res.status === 429) refused = res;
      }
      expect(statuses).to.deep.equal([200, 200, 200, 429]);
      expect(refused!.headers["content-type"]).to.match(/application\/problem\+json/);
      expect(refused!.body.code).to.equal("rate_limited");
      expect(Number(refused!.headers["retry-after"])).to.be.within(1, 10);
      const again = await request(limited).get("/health").expect(429);
      await request(limited).get("/api/v1/campaigns").set("Authorization", `Bearer ${c.tokens.auditor}`).expect(200);
      await request(limited).get("/health").expect(429);
      await w.flush();
      const rows = await s.db.knex("audit_log").whereIn("request_id", [refused!.headers["x-request-id"]!, again.headers["x-request-id"]!]);
      expect(rows).to.have.length(1);
      expect(rows[0]).to.include({ action: "GET /health", outcome: 429, code: "rate_limited", committee_id: null, request_id: refused!.headers["x-request-id"] });
    });

    // A tiny app with a clock the test moves, keyed by a header so clients can be told apart.
    function clocked(opts: { perMinute: number; burst: number; maxClients?: number }) {
      let t = 1_000_000;
      const limiter = rateLimit({ ...opts, now: () => t, key: (req) => req.get("x-client") ?? "none" });
      const tiny = express();
      tiny.use(limiter);
      tiny.get("/", (req, res) => void res.status(req.get("authorization") === "Bearer good" ? 200 : req.get("authorization") ? 401 : 200).json({}));
      // Only the API checks bearer tokens, so only there does a token count as credentials.
      tiny.get("/api/probe", (req, res) => void res.status(req.get("authorization") === "Bearer good" ? 200 : req.get("authorization") ? 401 : 200).json({}));
      return { tiny, limiter, advance: (ms: number) => void (t += ms) };
    }

    it("refills at the configured rate and forgets idle clients", async () => {
      const { tiny, limiter, advance } = clocked({ perMinute: 60, burst: 2 });
      const hit = (client: string) => request(tiny).get("/").set("X-Client", client).then((r) => r.status);
      expect([await hit("a"), await hit("a"), await hit("a")]).to.deep.equal([200, 200, 429]);
      advance(1000);
      expect([await hit("a"), await hit("a")]).to.deep.equal([200, 429]);
      await hit("b");
      expect(limiter.size).to.equal(2);
      advance(10_000); // both refilled: as good as unknown
      await hit("c");
      expect(limiter.size).to.equal(1);
    });

    it("never tracks more than maxClients", async () => {
      const { tiny, limiter } = clocked({ perMinute: 60, burst: 2, maxClients: 3 });
      for (const client of ["a", "b", "c", "d", "e"]) await request(tiny).get("/").set("X-Client", client).expect(200);
      expect(limiter.size).to.equal(3);
    });

    it("does not limit requests with a token, but does once that address's tokens keep being refused", async () => {
      const { tiny } = clocked({ perMinute: 60, burst: 2 });
      const hit = (auth?: string, path = "/api/probe") => {
        const r = request(tiny).get(path).set("X-Client", "z");
        return (auth ? r.set("Authorization", auth) : r).then((x) => x.status);
      };
      for (let i = 0; i < 5; i++) expect(await hit("Bearer good")).to.equal(200);
      expect([await hit("Bearer bad1"), await hit("Bearer bad2"), await hit("Bearer bad3")]).to.deep.equal([401, 401, 429]);
      expect(await hit()).to.equal(429);
      // Outside the API a header buys nothing: counted like any anonymous request.
      const other = clocked({ perMinute: 60, burst: 2 }).tiny;
      const page = () => request(other).get("/").set("X-Client", "y").set("Authorization", "Bearer good").then((x) => x.status);
      expect([await page(), await page(), await page()]).to.deep.equal([200, 200, 429]);
    });

    it("takes its rate from RATE_LIMIT_PER_MINUTE, and 0 turns it off", async () => {
      const saved = process.env.RATE_LIMIT_PER_MINUTE;
      try {
        process.env.RATE_LIMIT_PER_MINUTE = "0";
        const off = express().use(rateLimit()).get("/", (_req, res) => void res.json({}));
        for (let i = 0; i < 20; i++) await request(off).get("/").expect(200);
        process.env.RATE_LIMIT_PER_MINUTE = "2"; // burst 1
        const two = express().use(rateLimit()).get("/", (_req, res) => void res.json({}));
        await request(two).get("/").expect(200);
        await request(two).get("/").expect(429);
      } finally {
        if (saved === undefined) delete process.env.RATE_LIMIT_PER_MINUTE;
        else process.env.RATE_LIMIT_PER_MINUTE = saved;
      }
    });
  });
});

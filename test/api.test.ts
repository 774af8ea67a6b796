import { expect } from "chai";
import type { Express } from "express";
import helmet from "helmet";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { makeCommittee, uniqueCode, type TestCommittee } from "./support/db.js";
import { createServer } from "../src/http/app.js";
import { testApp } from "./support/http.js";

let app: Express;
let s: Soquy;
let c: TestCommittee;
let keyN = 0;
const key = () => `api-${Date.now()}-${++keyN}`;

function post(path: string, token: string, body: unknown, idempotencyKey: string | null = key()) {
  const r = request(app).post(path).set("Authorization", `Bearer ${token}`);
  if (idempotencyKey) r.set("Idempotency-Key", idempotencyKey);
  return r.send(body as object);
}
const get = (path: string, token: string) => request(app).get(path).set("Authorization", `Bearer ${token}`);

const cash = (amountDong: unknown, extra: object = {}) => ({
  receivedOn: "2024-01-05", amountDong, method: "cash",
  donor: { name: "Nguyễn Văn Ánh", kind: "individual", publishName: true }, ...extra,
});

async function entryCount(): Promise<number> {
  const row = await s.db.knex("journal_entries").where({ committee_id: c.committee.id }).count("* as n").first();
  return Number(row?.n);
}

async function newCampaign(extra: object = {}) {
  const code = uniqueCode("C").toUpperCase();
  const res = await post("/api/v1/campaigns", c.tokens.treasurer, {
    code, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", targetDong: "21000000", startsOn: "2024-01-01", ...extra,
  });
  expect(res.status, JSON.stringify(res.body)).to.equal(201);
  return code;
}

describe("HTTP API", () => {
  before(async () => {
    ({ app, s } = await testApp());
    c = await makeCommittee(s);
  });

  describe("service endpoints", () => {
    it("answers /health with the database kind", async () => {
      const res = await request(app).get("/health").expect(200);
      expect(res.body.status).to.equal("ok");
      expect(res.body.database).to.equal(process.env.TEST_DATABASE_URL ? "postgres" : "pglite");
    });

    it("serves through createServer with requests and responses born with the app's prototypes", async () => {
      const server = createServer(app);
      const born: boolean[] = [];
      server.prependListener("request", (req, res) => {
        born.push(Object.getPrototypeOf(req) === app.request && Object.getPrototypeOf(res) === app.response);
      });
      try {
        const health = await request(server).get("/health").expect(200);
        expect(health.body.status).to.equal("ok");
        expect(health.headers["x-content-type-options"]).to.equal("nosniff");
        const campaign = await newCampaign();
        const res = await request(server).post(`/api/v1/campaigns/${campaign}/donations`)
          .set("Authorization", `Bearer ${c.tokens.treasurer}`).set("Idempotency-Key", key()).send(cash("500000"));
        expect(res.status, JSON.stringify(res.body)).to.equal(201);
        expect(res.body.postings.map((p: { amountDong: string }) => p.amountDong)).to.deep.equal(["500000", "-500000"]);
        expect(born).to.deep.equal([true, true]);
      } finally {
        if (server.listening) server.close();
      }
    });

    it("sets helmet's security headers on every response, as helmet itself sets them", async () => {
      const expected = new Map<string, string>();
      helmet()({} as never, {
        setHeader: (name: string, value: unknown) => void expected.set(name.toLowerCase(), String(value)),
        removeHeader: () => undefined,
      } as never, () => undefined);
      expect(expected.size).to.be.greaterThan(10);
      const campaign = await newCampaign();
      const responses = [
        await request(app).get("/health").expect(200),
        await post(`/api/v1/campaigns/${campaign}/donations`, c.tokens.treasurer, cash("1000")).expect(201),
        await post(`/api/v1/campaigns/${campaign}/donations`, c.tokens.treasurer, cash("-1")).expect(422),
        await request(app).get("/no/such/page").expect(404),
      ];
      for (const res of responses) {
        for (const [name, value] of expected) expect(res.headers[name], `${res.status} ${name}`).to.equal(value);
        expect(res.headers["x-powered-by"]).to.equal(undefined);
      }
    });

    it("answers a write with JSON and its length, without an ETag (reads keep theirs)", async () => {
      const campaign = await newCampaign();
      const res = await post(`/api/v1/campaigns/${campaign}/donations`, c.tokens.treasurer, cash("2000")).expect(201);
      expect(res.headers["content-type"]).to.equal("application/json; charset=utf-8");
      expect(Number(res.headers["content-length"])).to.equal(Buffer.byteLength(res.text));
      expect(res.headers.etag).to.equal(undefined);
      expect(res.headers.location).to.equal(`/api/v1/entries/${res.body.id}`);
      const read = await get(`/api/v1/entries/${res.body.id}`, c.tokens.treasurer).expect(200);
      expect(read.headers.etag).to.be.a("string");
      expect(read.body.id).to.equal(res.body.id);
    });

    it("serves an OpenAPI 3.1 document generated from the zod schemas", async () => {
      const res = await request(app).get("/api/openapi.json").expect(200);
      expect(res.body.openapi).to.equal("3.1.0");
      const donation = res.body.paths["/api/v1/campaigns/{code}/donations"].post;
      expect(donation.requestBody.content["application/json"].schema.required).to.include.members(["receivedOn", "amountDong", "method", "donor"]);
      expect(donation.requestBody.content["application/json"].schema.additionalProperties).to.equal(false);
      expect(donation.parameters.map((p: { name: string }) => p.name)).to.include("Idempotency-Key");
      expect(Object.keys(res.body.paths)).to.include.members(["/api/v1/trial-balance", "/api/v1/entries/{id}/reverse", "/api/v1/accounts/{code}/balance"]);
    });

    it("serves a docs page whose assets load", async () => {
      const page = await request(app).get("/api/docs").expect(200);
      expect(page.text).to.contain("swagger-ui-bundle.js");
      await request(app).get("/api/docs/assets/swagger-ui-bundle.js").expect(200);
      await request(app).get("/api/docs/init.js").expect(200);
    });

    it("answers unknown routes with problem+json 404", async () => {
      const res = await request(app).get("/api/v1/nope").expect(404);
      expect(res.headers["content-type"]).to.match(/application\/problem\+json/);
      expect(res.body.code).to.equal("not_found");
    });
  });

  describe("authentication and roles", () => {
    it("refuses a request without a token (401)", async () => {
      const res = await request(app).get("/api/v1/campaigns").expect(401);
      expect(res.body.code).to.equal("unauthorized");
    });

    it("refuses an unknown token (401)", async () => {
      const res = await get("/api/v1/campaigns", "sq_notarealtokenatall_000000000").expect(401);
      expect(res.body.code).to.equal("unauthorized");
    });

    it("refuses a write by a role that may not write (403) and writes nothing", async () => {
      const code = await newCampaign();
      const before = await entryCount();
      for (const role of ["auditor", "approver", "admin"] as const) {
        const res = await post(`/api/v1/campaigns/${code}/donations`, c.tokens[role], cash("10000"));
        expect(res.status).to.equal(403);
        expect(res.body.code).to.equal("forbidden");
      }
      expect(await entryCount()).to.equal(before);
    });

    it("lets a token see only its own committee's books", async () => {
      const code = await newCampaign();
      const other = await makeCommittee(s, "Ủy ban MTTQ xã khác");
      const res = await get(`/api/v1/campaigns/${code}`, other.tokens.auditor).expect(404);
      expect(res.body.code).to.equal("campaign_not_found");
      const write = await post(`/api/v1/campaigns/${code}/donations`, other.tokens.treasurer, cash("10000"));
      expect(write.status).to.equal(404);
    });

    it("lets an admin create a token that then works, and no other role", async () => {
      const res = await request(app).post("/api/v1/tokens").set("Authorization", `Bearer ${c.tokens.admin}`)
        .send({ role: "auditor", name: "Kiểm toán viên" }).expect(201);
      expect(res.body.token).to.match(/^sq_/);
      await get("/api/v1/accounts", res.body.token).expect(200);
      await request(app).post("/api/v1/tokens").set("Authorization", `Bearer ${c.tokens.treasurer}`)
        .send({ role: "admin", name: "x" }).expect(403);
      const stored = await s.db.knex("api_tokens").where({ committee_id: c.committee.id }).select("token_hash");
      expect(stored.map((r) => r.token_hash)).not.to.include(res.body.token);
    });
  });

  describe("donations", () => {
    let code: string;
    before(async () => {
      code = await newCampaign();
    });

    it("records a cash donation with a receipt number, sequence and hash", async () => {
      const res = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash("1250000")).expect(201);
      expect(res.body.receiptNumber).to.match(/^PT-2024-\d{6}$/);
      expect(res.body.hash).to.match(/^[0-9a-f]{64}$/);
      expect(res.body.sequence).to.be.a("number");
      expect(res.body.postings.map((p: { amountDong: string }) => p.amountDong)).to.deep.equal(["1250000", "-1250000"]);
      expect(res.body.donation.donor.name).to.equal("Nguyễn Văn Ánh");
      const again = await get(`/api/v1/entries/${res.body.id}`, c.tokens.auditor).expect(200);
      expect(again.body.hash).to.equal(res.body.hash);
      expect(again.body.reversedBy).to.equal(null);
    });

    it("accepts an integer amount and returns it as a string of digits", async () => {
      const res = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash(52222)).expect(201);
      expect(res.body.postings[0].amountDong).to.equal("52222");
    });

    it("records an in-kind donation at value with its quantities", async () => {
      const res = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, {
        receivedOn: "2024-01-10", amountDong: "3000000", method: "in_kind",
        donor: { name: "Công ty TNHH Lúa Vàng", kind: "business", publishName: true },
        items: [{ description: "Gạo ST25", quantity: "200", unit: "kg", unitValueDong: "15000", valuationBasis: "giá hóa đơn" }],
      }).expect(201);
      expect(res.body.receiptNumber).to.equal(null);
      expect(res.body.donation.items[0]).to.include({ quantity: "200.000", unit: "kg", valueDong: "3000000" });
      const campaign = await get(`/api/v1/campaigns/${code}`, c.tokens.auditor).expect(200);
      expect(campaign.body.totals.inKind.received).to.deep.equal([{ unit: "kg", quantity: "200.000", valueDong: "3000000" }]);
    });

    it("refuses items whose value does not match the amount", async () => {
      const res = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, {
        receivedOn: "2024-01-10", amountDong: "3000001", method: "in_kind",
        donor: { name: "Công ty TNHH Lúa Vàng", kind: "business", publishName: true },
        items: [{ description: "Gạo", quantity: "200", unit: "kg", unitValueDong: "15000", valuationBasis: "giá hóa đơn" }],
      }).expect(422);
      expect(res.body).to.include({ code: "items_value_mismatch", field: "amountDong" });
    });

    it("refuses a bank reference already recorded for the same account (409)", async () => {
      const body = {
        receivedOn: "2024-01-06", amountDong: "10000", method: "bank", bankAccount: "0011009990001", bankReference: `FT${Date.now()}`,
        donor: { name: "LY THI YEN", kind: "individual", publishName: false },
      };
      await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, body).expect(201);
      const res = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, body).expect(409);
      expect(res.body).to.include({ code: "bank_reference_duplicate", field: "bankReference" });
      await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, { ...body, bankAccount: "999988887777" }).expect(201);
    });

    const invalid: [string, unknown, number, string, string][] = [
      ["a zero amount", cash("0"), 422, "amount_must_be_positive", "amountDong"],
      ["a negative amount", cash("-5000"), 422, "amount_must_be_positive", "amountDong"],
      ["a fractional amount", cash("1000.5"), 422, "amount_not_whole_dong", "amountDong"],
      ["a fractional number", cash(1000.5), 422, "amount_not_whole_dong", "amountDong"],
      ["an absurd amount", cash("1000000000000001"), 422, "amount_too_large", "amountDong"],
      ["a 25-digit amount", cash("1".repeat(25)), 422, "amount_too_large", "amountDong"],
      ["an amount with letters", cash("12abc"), 422, "amount_not_a_number", "amountDong"],
      ["an amount with thousand dots", cash("1.000.000"), 422, "amount_not_a_number", "amountDong"],
      ["a boolean amount", cash(true), 422, "validation_failed", "amountDong"],
      ["an impossible date", cash("10000", { receivedOn: "2024-02-30" }), 422, "invalid_date", "receivedOn"],
      ["a malformed date", cash("10000", { receivedOn: "05/01/2024" }), 422, "validation_failed", "receivedOn"],
      ["a future date", cash("10000", { receivedOn: "2199-01-01" }), 422, "invalid_date", "receivedOn"],
      ["an unknown field", cash("10000", { amount: 5 }), 422, "validation_failed", "amount"],
      ["an unknown donor field", cash("10000", { donor: { name: "A", kind: "individual", publishName: true, email: "a@b" } }), 422, "validation_failed", "donor.email"],
      ["a wrong method", cash("10000", { method: "crypto" }), 422, "validation_failed", "method"],
      ["a missing donor", { receivedOn: "2024-01-05", amountDong: "10000", method: "cash" }, 422, "validation_failed", "donor"],
      ["a nameless named donor", cash("10000", { donor: { kind: "individual", publishName: true } }), 422, "validation_failed", "donor.name"],
      ["a NUL in a name", cash("10000", { donor: { name: "A\u0000B", kind: "individual", publishName: true } }), 422, "validation_failed", "donor.name"],
      ["an RTL override in a name", cash("10000", { donor: { name: "A\u202eB", kind: "individual", publishName: true } }), 422, "validation_failed", "donor.name"],
      ["a 10 KB name", cash("10000", { donor: { name: "Ă".repeat(10_000), kind: "individual", publishName: true } }), 422, "validation_failed", "donor.name"],
      ["a bank reference on cash", cash("10000", { bankReference: "FT1" }), 422, "validation_failed", "bankReference"],
      ["items on a cash donation", cash("10000", { items: [{ description: "Gạo", quantity: 1, unit: "kg", unitValueDong: 10000, valuationBasis: "x" }] }), 422, "items_not_allowed", "items"],
      ["in kind without items", cash("10000", { method: "in_kind" }), 422, "items_required", "items"],
    ];
    for (const [what, body, status, code_, field] of invalid) {
      it(`refuses ${what} with ${code_} naming ${field}, writing nothing`, async () => {
        const before = await entryCount();
        const res = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, body);
        expect(res.status, JSON.stringify(res.body)).to.equal(status);
        expect(res.headers["content-type"]).to.match(/application\/problem\+json/);
        expect(res.body.code).to.equal(code_);
        expect(res.body.field).to.equal(field);
        expect(JSON.stringify(res.body)).not.to.match(/at .*\.ts|select |insert /i);
        expect(await entryCount()).to.equal(before);
      });
    }

    it("refuses a write without an Idempotency-Key (400)", async () => {
      const res = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash("10000"), null).expect(400);
      expect(res.body).to.include({ code: "idempotency_key_required", field: "Idempotency-Key" });
    });

    it("refuses malformed JSON (400) and a body over the limit (413)", async () => {
      const bad = await request(app).post(`/api/v1/campaigns/${code}/donations`).set("Authorization", `Bearer ${c.tokens.treasurer}`)
        .set("Idempotency-Key", key()).set("Content-Type", "application/json").send("{\"amountDong\": ").expect(400);
      expect(bad.body.code).to.equal("malformed_request");
      const big = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash("10000", { note: "x".repeat(100_000) })).expect(413);
      expect(big.body.code).to.equal("payload_too_large");
    });

    it("reads JSON bodies as body-parser did: BOM, charsets, +json types, strict, size", async () => {
      const url = `/api/v1/campaigns/${code}/donations`;
      const send = (contentType: string, body: string) => request(app).post(url).set("Authorization", `Bearer ${c.tokens.treasurer}`)
        .set("Idempotency-Key", key()).set("Content-Type", contentType).send(body);
      const json = JSON.stringify(cash("1500"));
      await send("application/json", `\ufeff${json}`).expect(201);
      await send("application/json; charset=UTF-8", json).expect(201);
      await send("application/json;charset=\"utf-8\"", json).expect(201);
      await send("application/vnd.soquy+json", json).expect(201);
      for (const body of ["\"1500\"", "  42", "null", "{\"receivedOn\": "]) {
        const res = await send("application/json", body).expect(400);
        expect(res.body.code, body).to.equal("malformed_request");
      }
      const latin = await send("application/json; charset=iso-8859-1", json).expect(400);
      expect(latin.body.code).to.equal("malformed_request");
      const empty = await send("application/json", "").expect(422); // {} then the schema's refusal
      expect(empty.body.code).to.equal("validation_failed");
      const atLimit = JSON.stringify(cash("1600", { note: "x".repeat(64 * 1024 - Buffer.byteLength(JSON.stringify(cash("1600", { note: "" })))) }));
      expect(Buffer.byteLength(atLimit)).to.equal(64 * 1024);
      const over = await send("application/json", `${atLimit} `).expect(413);
      expect(over.body.code).to.equal("payload_too_large");
      const limitOk = await send("application/json", atLimit);
      expect(limitOk.status, JSON.stringify(limitOk.body)).to.not.equal(413);
    });

    it("answers an unknown campaign with 404 campaign_not_found", async () => {
      const res = await post("/api/v1/campaigns/NOPE/donations", c.tokens.treasurer, cash("10000")).expect(404);
      expect(res.body.code).to.equal("campaign_not_found");
    });
  });

  describe("idempotency", () => {
    let code: string;
    before(async () => {
      code = await newCampaign();
    });

    it("returns the original result for a retry with the same key and body", async () => {
      const k = key();
      const first = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash("3000"), k).expect(201);
      const before = await entryCount();
      const retry = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash("3000"), k).expect(201);
      expect(retry.headers["idempotent-replayed"]).to.equal("true");
      expect(retry.body).to.deep.equal(first.body);
      expect(await entryCount()).to.equal(before);
    });

    it("refuses the same key with a different body (409 idempotency_key_reused)", async () => {
      const k = key();
      await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash("3000"), k).expect(201);
      const res = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash("3001"), k).expect(409);
      expect(res.body.code).to.equal("idempotency_key_reused");
    });

    it("turns 12 concurrent retries of one request into exactly one entry", async () => {
      const k = key();
      const before = await entryCount();
      const results = await Promise.all(Array.from({ length: 12 }, () =>
        post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash("5888"), k)));
      expect(results.map((r) => r.status)).to.deep.equal(Array(12).fill(201));
      expect(new Set(results.map((r) => r.body.id)).size).to.equal(1);
      expect(results.filter((r) => r.headers["idempotent-replayed"] === "true")).to.have.length(11);
      expect(await entryCount()).to.equal(before + 1);
    });

    it("replays campaign creation too", async () => {
      const k = key();
      const body = { code: uniqueCode("K").toUpperCase(), name: "Tết 2025", kind: "tet_gifts", startsOn: "2024-12-01" };
      const a = await post("/api/v1/campaigns", c.tokens.treasurer, body, k).expect(201);
      const b = await post("/api/v1/campaigns", c.tokens.treasurer, body, k).expect(201);
      expect(b.body).to.deep.equal(a.body);
      await post("/api/v1/campaigns", c.tokens.treasurer, body).expect(409);
    });
  });

  describe("disbursements, general entries and reversals", () => {
    let code: string;
    before(async () => {
      code = await newCampaign({ kind: "tet_gifts", targetDong: undefined });
      await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash("1000000")).expect(201);
    });

    const gift = (amountDong: string, extra: object = {}) => ({
      paidOn: "2024-02-01", amountDong, method: "cash", purpose: "gift_package", quantity: 1, unit: "suất",
      beneficiary: { name: "Trần Thị Bé", category: "poor", area: "Khu phố 3" }, ...extra,
    });

    it("pays a gift package with a payment voucher", async () => {
      const res = await post(`/api/v1/campaigns/${code}/disbursements`, c.tokens.treasurer, gift("400000")).expect(201);
      expect(res.body.receiptNumber).to.match(/^PC-2024-\d{6}$/);
      expect(res.body.disbursement).to.deep.include({ purpose: "gift_package", quantity: "1.000", unit: "suất" });
    });

    it("refuses to pay more cash than the campaign holds (409) and writes nothing", async () => {
      const before = await entryCount();
      const res = await post(`/api/v1/campaigns/${code}/disbursements`, c.tokens.treasurer, gift("600001")).expect(409);
      expect(res.body).to.include({ code: "insufficient_campaign_balance", field: "amountDong" });
      expect(await entryCount()).to.equal(before);
    });

    it("refuses to pay by bank what the campaign holds only in cash", async () => {
      const res = await post(`/api/v1/campaigns/${code}/disbursements`, c.tokens.treasurer, gift("1000", { method: "bank" })).expect(409);
      expect(res.body.code).to.equal("insufficient_campaign_balance");
    });

    it("shows the campaign's totals", async () => {
      const res = await get(`/api/v1/campaigns/${code}`, c.tokens.auditor).expect(200);
      expect(res.body.totals).to.deep.include({
        receivedDong: "1000000", disbursedDong: "400000", balanceDong: "600000", disbursements: 1, households: 1,
      });
      expect(res.body.totals.inKind.disbursed).to.deep.equal([{ unit: "suất", quantity: "1.000", valueDong: "400000" }]);
    });

    it("records a bank fee as a general entry and refuses an unbalanced one", async () => {
      await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, {
        receivedOn: "2024-01-07", amountDong: "500000", method: "bank", bankReference: `REF-${key()}`,
        donor: { name: "Ẩn danh", kind: "anonymous", publishName: false },
      }).expect(201);
      const fee = await post("/api/v1/entries", c.tokens.treasurer, {
        entryDate: "2024-01-31", description: "Phí SMS Banking tháng 1",
        postings: [{ account: `6111.${code}`, amountDong: "11000" }, { account: `1121.${code}`, amountDong: "-11000" }],
      }).expect(201);
      expect(fee.body.campaign).to.equal(code);
      const before = await entryCount();
      const res = await post("/api/v1/entries", c.tokens.treasurer, {
        entryDate: "2024-01-31", description: "Sai", postings: [{ account: `6111.${code}`, amountDong: "11000" }, { account: `1121.${code}`, amountDong: "-10000" }],
      }).expect(422);
      expect(res.body).to.include({ code: "unbalanced_entry", field: "postings" });
      const unknown = await post("/api/v1/entries", c.tokens.treasurer, {
        entryDate: "2024-01-31", description: "Sai", postings: [{ account: `6111.${code}`, amountDong: "1" }, { account: "9999", amountDong: "-1" }],
      }).expect(422);
      expect(unknown.body).to.include({ code: "account_not_found", field: "postings[1].account" });
      const one = await post("/api/v1/entries", c.tokens.treasurer, {
        entryDate: "2024-01-31", description: "Sai", postings: [{ account: `6111.${code}`, amountDong: "1" }],
      }).expect(422);
      expect(one.body.field).to.equal("postings");
      expect(await entryCount()).to.equal(before);
    });

    it("reverses an entry once, and never a reversal", async () => {
      const d = await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash("20000")).expect(201);
      const r = await post(`/api/v1/entries/${d.body.id}/reverse`, c.tokens.treasurer, { reason: "Ghi trùng", entryDate: "2024-01-20" }).expect(201);
      expect(r.body.kind).to.equal("reversal");
      expect(r.body.reversalOf).to.equal(d.body.id);
      expect(r.body.postings.map((p: { amountDong: string }) => p.amountDong)).to.deep.equal(["-20000", "20000"]);
      const twice = await post(`/api/v1/entries/${d.body.id}/reverse`, c.tokens.treasurer, { reason: "Lần nữa" }).expect(409);
      expect(twice.body.code).to.equal("entry_already_reversed");
      const ofReversal = await post(`/api/v1/entries/${r.body.id}/reverse`, c.tokens.treasurer, { reason: "x" }).expect(409);
      expect(ofReversal.body.code).to.equal("cannot_reverse_a_reversal");
      const original = await get(`/api/v1/entries/${d.body.id}`, c.tokens.auditor).expect(200);
      expect(original.body.reversedBy).to.equal(r.body.id);
      await post("/api/v1/entries/00000000-0000-0000-0000-000000000000/reverse", c.tokens.treasurer, { reason: "x" }).expect(404);
    });
  });

  describe("reading the books", () => {
    let code: string;
    before(async () => {
      code = await newCampaign();
      for (const [day, amount] of [["2024-01-05", "8000000"], ["2024-02-05", "3000"], ["2024-03-05", "10000"]] as const) {
        await post(`/api/v1/campaigns/${code}/donations`, c.tokens.treasurer, cash(amount, { receivedOn: day })).expect(201);
      }
    });

    it("floors the target progress so it never overstates", async () => {
      const res = await get(`/api/v1/campaigns/${code}`, c.tokens.auditor).expect(200);
      expect(res.body.totals.receivedDong).to.equal("8013000");
      expect(res.body.totals.targetDong).to.equal("21000000");
      expect(res.body.totals.progressPercent).to.equal(38); // 38.15…
    });

    it("pages entries by sequence and filters by campaign and date", async () => {
      const page1 = await get(`/api/v1/entries?campaign=${code}&limit=2`, c.tokens.auditor).expect(200);
      expect(page1.body.items).to.have.length(2);
      const page2 = await get(`/api/v1/entries?campaign=${code}&limit=2&after=${page1.body.next}`, c.tokens.auditor).expect(200);
      expect(page2.body.items).to.have.length(1);
      expect(page2.body.next).to.equal(null);
      const seqs = [...page1.body.items, ...page2.body.items].map((e: { sequence: number }) => e.sequence);
      expect(seqs).to.deep.equal([...seqs].sort((a, b) => a - b));
      const feb = await get(`/api/v1/entries?campaign=${code}&from=2024-02-01&to=2024-02-29`, c.tokens.auditor).expect(200);
      expect(feb.body.items.map((e: { entryDate: string }) => e.entryDate)).to.deep.equal(["2024-02-05"]);
      const bad = await get(`/api/v1/entries?limit=5000`, c.tokens.auditor).expect(422);
      expect(bad.body.field).to.equal("query.limit");
    });

    it("gives an account's balance as of a date", async () => {
      const now = await get(`/api/v1/accounts/1111.${code}/balance`, c.tokens.auditor).expect(200);
      expect(now.body.balanceDong).to.equal("8013000");
      const jan = await get(`/api/v1/accounts/1111.${code}/balance?asOf=2024-01-31`, c.tokens.auditor).expect(200);
      expect(jan.body).to.include({ balanceDong: "8000000", asOf: "2024-01-31", campaign: code });
      await get(`/api/v1/accounts/0000/balance`, c.tokens.auditor).expect(404);
    });

    it("keeps the trial balance at zero, now and as of any date", async () => {
      for (const q of ["", "?asOf=2024-01-31", "?asOf=2024-02-15"]) {
        const res = await get(`/api/v1/trial-balance${q}`, c.tokens.auditor).expect(200);
        expect(res.body.totalDong).to.equal("0");
        const sum = res.body.accounts.reduce((acc: bigint, a: { balanceDong: string }) => acc + BigInt(a.balanceDong), 0n);
        expect(sum).to.equal(0n);
      }
    });

    it("verifies the chain for an auditor", async () => {
      const res = await get("/api/v1/ledger/verify", c.tokens.auditor).expect(200);
      expect(res.body.ok).to.equal(true);
      expect(res.body.checked).to.equal(await entryCount());
      await get("/api/v1/ledger/verify", c.tokens.treasurer).expect(403);
    });
  });
});

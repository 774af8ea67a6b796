import { expect } from "chai";
import type { Express } from "express";
import { randomUUID } from "node:crypto";
import { Readable } from "node:stream";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { apiRoutes } from "../src/http/app.js";
import type { RouteSpec } from "../src/http/route.js";
import { roles, type Role } from "../src/ledger/types.js";
import { importStatement } from "../src/db/bankimports.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee } from "./support/db.js";
import { testAppUnlimited } from "./support/http.js";

// The authorisation matrix: every route of apiRoutes × every role and no
// token, against the answer we intend (written here by hand from the README,
// not read back from the route declarations). A route added to apiRoutes
// without a row here fails the first test. Allowed calls carry bodies good
// enough to reach the handler and succeed; denied calls must write nothing.
// Then isolation: a token of committee A, pointed at committee B's campaign,
// entries, accounts and closes, gets 404 (or sees only A's own books) and
// B's rows do not change.

let app: Express;
let s: Soquy;

/** What a call needs: path parameters, query and body. */
interface Req {
  params?: Record<string, string>;
  query?: Record<string, string>;
  body?: unknown;
}

/** A committee with a campaign, money in cash and bank, and a period close. */
interface Fixture {
  c: TestCommittee;
  campaign: string;
  /** The campaign's bank account code, e.g. 1121.CODE. */
  bankAccount: string;
  periodId: number;
  /** A cash payment to a household (it has a phiếu chi). */
  payment: string;
  /** A fresh, unreversed, unverified donation recorded by the treasurer. */
  freshEntry(): Promise<string>;
  /** Strings that only this committee's books contain (campaign name, donor, hashes…). */
  secrets(): string[];
}

interface Row {
  /** Roles that may call it. */
  allowed: readonly Role[];
  /** Answers without a token too. */
  public?: true;
  /**
   * Open data: answers about any committee named in the path, to anyone
   * (verified public figures, Nghị định 93/2021 Điều 14), so A's token reading
   * B's public figures is not a leak. Writes are still checked.
   */
  openData?: true;
  /** What an allowed call with this row's request answers. */
  ok: number;
  /** What committee A's token answers when the request names committee B's things. */
  foreign: number;
  req(f: Fixture): Req | Promise<Req>;
}

let closeDay = 0;
let targets = 0; // each change of a campaign sets another target, so that each is a change
/** Each close is later than the one before (2001-01-01, 2001-01-02, …), long before any entry. */
const nextCloseDate = () => new Date(Date.UTC(2001, 0, 1 + closeDay++)).toISOString().slice(0, 10);

const cashDonation = (amountDong: string, donor = "Nguyễn Văn An") => ({
  receivedOn: "2024-01-05", amountDong, method: "cash" as const, donor: { name: donor, kind: "individual" as const, publishName: true },
});

const campaignBody = () => ({
  code: uniqueCode("AZ").toUpperCase(), name: "Quà Tết cho hộ nghèo 2025", kind: "tet_gifts", startsOn: "2024-12-01",
});

// A small VCB statement, and one import of it per fixture into that committee's own bank account.
const statementCsv = "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails\r\n1,10/01/2024,5213.90595,,10.000,10.000,MBVCB.1.NGUYEN VAN AN ung ho\r\n";
const bankAccountOf = (f: Fixture) => `99${String(f.c.committee.id).padStart(8, "0")}`;
const imports = new Map<Fixture, Promise<number>>();
let freshAccounts = 0;
/** A new import of the small statement, into a bank account of its own. */
async function freshImportOf(f: Fixture): Promise<number> {
  const campaign = await s.ledger.campaign(f.c.committee.id, f.campaign);
  const r = await importStatement(s.db.knex, {
    committee: f.c.committee, campaign, bankAccountNo: `98${String(f.c.committee.id).padStart(8, "0")}${++freshAccounts}`, layout: "vcb", openingDong: 0n,
    recordedBy: f.c.principals.treasurer.tokenId, input: Readable.from([Buffer.from(statementCsv)]),
  });
  return r.id;
}

function bankImportOf(f: Fixture): Promise<number> {
  if (!imports.has(f)) {
    imports.set(f, (async () => {
      const campaign = await s.ledger.campaign(f.c.committee.id, f.campaign);
      const r = await importStatement(s.db.knex, {
        committee: f.c.committee, campaign, bankAccountNo: bankAccountOf(f), layout: "vcb", openingDong: 0n,
        recordedBy: f.c.principals.treasurer.tokenId, input: Readable.from([Buffer.from(statementCsv)]),
      });
      return r.id;
    })());
  }
  return imports.get(f)!;
}

// One import run as a job (as the API runs it) per fixture: its job id.
const jobs = new Map<Fixture, Promise<string>>();
function bankJobOf(f: Fixture): Promise<string> {
  if (!jobs.has(f)) {
    jobs.set(f, (async () => {
      const id = randomUUID();
      const campaign = await s.ledger.campaign(f.c.committee.id, f.campaign);
      await s.importJobs.track({ id, committeeId: f.c.committee.id, startedBy: f.c.principals.treasurer.tokenId, campaign: f.campaign, bankAccount: `97${bankAccountOf(f).slice(2)}` },
        (job) => job.importStatement({ committee: f.c.committee, campaign, bankAccountNo: `97${bankAccountOf(f).slice(2)}`, layout: "vcb", openingDong: 0n,
          recordedBy: f.c.principals.treasurer.tokenId, input: Readable.from([Buffer.from(statementCsv)]) }, statementCsv.length));
      return id;
    })());
  }
  return jobs.get(f)!;
}

// THE matrix. Keys are "METHOD path" exactly as apiRoutes declares them.
const all = roles;
const matrix: Record<string, Row> = {
  "POST /campaigns": { allowed: ["treasurer", "admin"], ok: 201, foreign: 201, req: () => ({ body: campaignBody() }) },
  "GET /campaigns": { allowed: all, ok: 200, foreign: 200, req: () => ({}) },
  "GET /campaigns/:code": { allowed: all, ok: 200, foreign: 404, req: (f) => ({ params: { code: f.campaign } }) },
  "PATCH /campaigns/:code": {
    allowed: ["treasurer", "admin"], ok: 200, foreign: 404, req: (f) => ({ params: { code: f.campaign }, body: { targetDong: String(50_000_000 + ++targets) } }),
  },
  "POST /campaigns/:code/donations": {
    allowed: ["treasurer"], ok: 201, foreign: 404,
    req: (f) => ({ params: { code: f.campaign }, body: cashDonation("100000") }),
  },
  "POST /campaigns/:code/disbursements": {
    allowed: ["treasurer"], ok: 201, foreign: 404,
    req: (f) => ({
      params: { code: f.campaign },
      body: {
        paidOn: "2024-01-20", amountDong: "500000", method: "cash", purpose: "gift_package", quantity: 1, unit: "suất",
        beneficiary: { name: "Trần Thị Bình", category: "poor", area: "Khu phố 3" },
      },
    }),
  },
  "GET /campaigns/:code/statement.csv": {
    allowed: all, public: true, ok: 200, foreign: 404,
    req: (f) => ({ params: { code: f.campaign }, query: { committee: f.c.committee.code } }),
  },
  "GET /campaigns/:code/statement.pdf": {
    allowed: all, public: true, ok: 200, foreign: 404,
    req: (f) => ({ params: { code: f.campaign }, query: { committee: f.c.committee.code } }),
  },
  "POST /entries/:id/verify": { allowed: ["approver"], ok: 200, foreign: 404, req: async (f) => ({ params: { id: await f.freshEntry() }, body: {} }) },
  "POST /entries/verify": {
    // Ids of another committee are refused one by one (ok: false), never verified.
    allowed: ["approver"], ok: 200, foreign: 200, req: async (f) => ({ body: { ids: [await f.freshEntry()] } }),
  },
  "POST /periods": { allowed: ["approver"], ok: 201, foreign: 201, req: () => ({ body: { through: nextCloseDate(), note: "Khóa sổ thử" } }) },
  "GET /periods": { allowed: all, ok: 200, foreign: 200, req: () => ({}) },
  "GET /periods/:id/check": { allowed: all, ok: 200, foreign: 404, req: (f) => ({ params: { id: String(f.periodId) } }) },
  "POST /campaigns/:code/pledges": {
    allowed: ["treasurer"], ok: 201, foreign: 404,
    req: (f) => ({
      params: { code: f.campaign },
      body: { pledgedOn: "2024-01-03", amountDong: "2000000", pledger: { name: "Công ty TNHH Minh Phát", kind: "business", publishName: true } },
    }),
  },
  "GET /campaigns/:code/pledges": { allowed: all, ok: 200, foreign: 404, req: (f) => ({ params: { code: f.campaign } }) },
  "POST /entries": {
    // B's account codes do not exist in A's chart: account_not_found.
    allowed: ["treasurer"], ok: 201, foreign: 422,
    req: (f) => ({
      body: {
        entryDate: "2024-01-31", description: "Phí chuyển khoản tháng 1",
        postings: [{ account: "6421", amountDong: "11000" }, { account: f.bankAccount, amountDong: "-11000" }],
      },
    }),
  },
  "POST /entries/:id/reverse": {
    allowed: ["treasurer"], ok: 201, foreign: 404,
    req: async (f) => ({ params: { id: await f.freshEntry() }, body: { reason: "Ghi nhầm số tiền", entryDate: "2024-02-01" } }),
  },
  "GET /entries": { allowed: all, ok: 200, foreign: 404, req: (f) => ({ query: { campaign: f.campaign } }) },
  "GET /entries/:id": { allowed: all, ok: 200, foreign: 404, req: async (f) => ({ params: { id: await f.freshEntry() } }) },
  "GET /accounts": { allowed: all, ok: 200, foreign: 200, req: () => ({}) },
  "GET /accounts/:code/balance": { allowed: all, ok: 200, foreign: 404, req: (f) => ({ params: { code: f.bankAccount }, query: { asOf: "2024-12-31" } }) },
  "GET /trial-balance": { allowed: all, ok: 200, foreign: 200, req: () => ({}) },
  "GET /ledger/verify": { allowed: ["auditor", "approver", "admin"], ok: 200, foreign: 200, req: () => ({}) },
  "POST /tokens": { allowed: ["admin"], ok: 201, foreign: 201, req: () => ({ body: { role: "auditor", name: "Kiểm tra viên" } }) },
  "GET /people": { allowed: ["auditor", "approver", "admin"], ok: 200, foreign: 200, req: () => ({}) },
  // Shows only the caller's committee's rows; B's rows carry none of B's secrets anyway (paths, codes).
  "GET /audit-log": { allowed: ["auditor"], ok: 200, foreign: 200, req: () => ({ query: { limit: "50" } }) },
  "GET /public/committees/:committee/campaigns": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200, req: (f) => ({ params: { committee: f.c.committee.code } }),
  },
  "GET /public/committees/:committee/totals": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200,
    req: (f) => ({ params: { committee: f.c.committee.code }, query: { from: "2024-01-01", to: "2024-06-30" } }),
  },
  "GET /public/committees/:committee/campaigns/:code/totals": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200, req: (f) => ({ params: { committee: f.c.committee.code, code: f.campaign } }),
  },
  "GET /public/committees/:committee/campaigns/:code/press": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200,
    req: (f) => ({ params: { committee: f.c.committee.code, code: f.campaign }, query: { lang: "en" } }),
  },
  "POST /public/committees/:committee/campaigns/:code/press/check": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200,
    req: (f) => ({ params: { committee: f.c.committee.code, code: f.campaign }, body: { figure: "received", value: "0" } }),
  },
  "GET /public/receipts/:receiptNumber": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200,
    req: (f) => ({ params: { receiptNumber: "PT-2024-000001" }, query: { committee: f.c.committee.code } }),
  },
  "GET /public/donations": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200,
    req: (f) => ({ query: { committee: f.c.committee.code, amountDong: "90000000", date: "2024-01-05" } }),
  },
  "GET /public/committees/:committee/checkpoints": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200, req: (f) => ({ params: { committee: f.c.committee.code } }),
  },
  "GET /public/committees/:committee/checkpoints/:id": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200,
    req: async (f) => {
      const committee = await s.public.committee(f.c.committee.code);
      const c = await s.checkpoints().create(committee, "on_demand", f.c.principals.approver.tokenId);
      return { params: { committee: f.c.committee.code, id: String(c.id) } };
    },
  },
  // A's approver signs A's checkpoint: nothing of B's is read or written.
  "POST /checkpoints": { allowed: ["approver"], ok: 201, foreign: 201, req: () => ({ body: {} }) },
  "POST /bank-imports": {
    // B's campaign code does not exist in A's committee: campaign_not_found.
    allowed: ["treasurer"], ok: 201, foreign: 404,
    req: (f) => ({ query: { campaign: f.campaign, bankAccount: bankAccountOf(f), layout: "vcb", openingBalance: "0" }, body: statementCsv }),
  },
  "GET /bank-imports": { allowed: all, ok: 200, foreign: 200, req: () => ({}) },
  "GET /areas": { allowed: all, ok: 200, foreign: 200, req: () => ({}) },
  // Added to A's own list: B's list is untouched.
  "POST /areas": { allowed: ["treasurer"], ok: 201, foreign: 201, req: () => ({ body: { name: `Ấp ${uniqueCode("a").replace(/\d/g, (d) => "abcdefghij"[Number(d)]!)}` } }) },
  "GET /bank-imports/:id": { allowed: all, ok: 200, foreign: 404, req: async (f) => ({ params: { id: String(await bankImportOf(f)) } }) },
  // B's job is not found from A's committee.
  "GET /bank-import-jobs/:job": { allowed: all, ok: 200, foreign: 404, req: async (f) => ({ params: { job: await bankJobOf(f) } }) },
  // A fresh import each call (an import is reversed once); B's import is not found in A's committee.
  "POST /bank-imports/:id/reverse": {
    allowed: ["treasurer"], ok: 201, foreign: 404, req: async (f) => ({ params: { id: String(await freshImportOf(f)) }, body: { reason: "Nhập nhầm cuộc vận động" } }),
  },
  // B's import is not found in A's committee: nothing of B's is verified.
  "POST /bank-imports/:id/verify": {
    allowed: ["approver"], ok: 200, foreign: 404, req: async (f) => ({ params: { id: String(await bankImportOf(f)) }, body: { limit: 10 } }),
  },
  "POST /bank-accounts/:account/layout": {
    // Saved on A's own account of that number: B's account is untouched.
    allowed: ["treasurer"], ok: 201, foreign: 201,
    req: (f) => ({
      params: { account: `98${bankAccountOf(f).slice(2)}` },
      body: { name: "mybank", columns: { date: "Ngay", memo: "Noi dung", debit: "No", credit: "Co" }, dateFormat: "dd/mm/yyyy", thousands: "." },
    }),
  },
  "GET /bank-accounts/:account/reconciliation": {
    allowed: all, ok: 200, foreign: 404, req: async (f) => (await bankImportOf(f), { params: { account: bankAccountOf(f) } }),
  },
  "GET /bank-accounts/:account/reconciliation.csv": {
    allowed: all, ok: 200, foreign: 404, req: async (f) => (await bankImportOf(f), { params: { account: bankAccountOf(f) } }),
  },
  // Letters only after QĐ: ten random hex digits in a row read as a phone number, which a public field refuses.
  // A's approver decides for A's campaign of that code: B's campaign is not found in A's committee.
  "POST /campaigns/:code/sao-ke": {
    allowed: ["approver"], ok: 201, foreign: 404, req: (f) => ({ params: { code: f.campaign }, body: { publish: true, resolutionRef: `QĐ ${uniqueCode("sk").replace(/[0-9]/g, (d) => "ghijklmnop"[Number(d)]!)}` } }),
  },
  "GET /campaigns/:code/sao-ke": { allowed: all, ok: 200, foreign: 404, req: (f) => ({ params: { code: f.campaign } }) },
  // A published bank statement is open data (the committee's decision to publish it).
  "GET /public/committees/:committee/campaigns/:code/sao-ke": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200,
    req: async (f) => (await publishedSaoke(f), { params: { committee: f.c.committee.code, code: f.campaign }, query: { from: "2024-01-01", to: "2024-12-31" } }),
  },
  "GET /public/committees/:committee/campaigns/:code/sao-ke/days": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200,
    req: async (f) => (await publishedSaoke(f), { params: { committee: f.c.committee.code, code: f.campaign } }),
  },
  // The committee's printed forms: internal documents for every role of the committee, never public; B's entry or campaign is not found.
  "GET /entries/:id/payment-voucher.pdf": { allowed: all, ok: 200, foreign: 404, req: (f) => ({ params: { id: f.payment } }) },
  "GET /entries/:id/confirmation.pdf": { allowed: all, ok: 200, foreign: 404, req: async (f) => ({ params: { id: await f.freshEntry() } }) },
  "GET /campaigns/:code/sign-list.pdf": { allowed: all, ok: 200, foreign: 404, req: (f) => ({ params: { code: f.campaign }, query: { date: "2024-01-20" } }) },
  "GET /public/committees/:committee/campaigns/:code/sao-ke.csv": {
    allowed: all, public: true, openData: true, ok: 200, foreign: 200,
    req: async (f) => (await publishedSaoke(f), { params: { committee: f.c.committee.code, code: f.campaign } }),
  },
};

/** The fixture's campaign's bank statement imported and published (the committee's decision, once). */
async function publishedSaoke(f: Fixture): Promise<void> {
  await bankImportOf(f);
  await s.saoke.decide(f.c.principals.approver, f.campaign, { publish: true, resolutionRef: "Quyết định số 1/QĐ" });
  await s.saoke.settle();
}

// The route list, read without a database: the declarations only close over s.
const noDatabase = new Proxy({}, {
  get: (_t, key) => {
    throw new Error(`apiRoutes read s.${String(key)} while declaring routes; authz.test.ts lists routes without a database`);
  },
}) as Soquy;
const declared: RouteSpec<any, any, any>[] = apiRoutes(noDatabase);
const keyOf = (r: { method: string; path: string }) => `${r.method.toUpperCase()} ${r.path}`;

function send(route: RouteSpec<any, any, any>, r: Req, token: string | null) {
  const path = `/api/v1${route.path.replace(/:([A-Za-z]+)/g, (_m, name: string) => {
    const v = r.params?.[name];
    if (v === undefined) throw new Error(`${keyOf(route)}: its row gives no value for :${name}`);
    return encodeURIComponent(v);
  })}`;
  const call = route.method === "post" ? request(app).post(path) : route.method === "patch" ? request(app).patch(path) : request(app).get(path);
  if (token) call.set("Authorization", `Bearer ${token}`);
  if (r.query) call.query(r.query);
  if (route.idempotent) call.set("Idempotency-Key", `authz-${uniqueCode("k")}`);
  if (route.method === "post" && typeof r.body === "string") return call.set("Content-Type", "text/csv").send(r.body);
  return route.method !== "get" ? call.send((r.body ?? {}) as object) : call;
}

/** Every row a committee's tokens could have written. */
async function snapshot(committeeId: number) {
  const r = await s.db.knex.raw(
    `select (select count(*) from journal_entries where committee_id = :c)::int as entries,
            (select count(*) from pledges where committee_id = :c)::int as pledges,
            (select count(*) from campaigns where committee_id = :c)::int as campaigns,
            (select count(*) from api_tokens where committee_id = :c)::int as tokens,
            (select count(*) from period_closes where committee_id = :c)::int as closes,
            (select count(*) from entry_verifications where committee_id = :c)::int as verifications,
            (select count(*) from idempotency_keys where committee_id = :c)::int as idempotency,
            (select count(*) from campaign_changes where committee_id = :c)::int as campaign_changes`,
    { c: committeeId },
  );
  return r.rows[0] as Record<string, number>;
}

async function fixture(name: string): Promise<Fixture> {
  const secret = `BIMAT${uniqueCode("x").slice(2)}`;
  const c = await makeCommittee(s, name);
  const campaign = uniqueCode("AZ").toUpperCase();
  await s.ledger.createCampaign(c.principals.treasurer, {
    code: campaign, name: `Quỹ Vì người nghèo ${secret}`, kind: "for_the_poor", startsOn: "2024-01-01",
    receivingException: "Quỹ thường xuyên trong năm",
  }, meta("authz"));
  const hashes: string[] = [];
  const cash = await s.ledger.recordDonation(c.principals.treasurer, campaign, cashDonation("90000000", `Nhà hảo tâm ${secret}`), meta("authz"));
  const bank = await s.ledger.recordDonation(c.principals.treasurer, campaign, {
    receivedOn: "2024-01-06", amountDong: "30000000", method: "bank", bankAccount: "0071000123456", bankReference: `FT${secret}`,
    donor: { name: `Công ty ${secret}`, kind: "business", publishName: true },
  }, meta("authz"));
  const payment = await s.ledger.recordDisbursement(c.principals.treasurer, campaign, {
    paidOn: "2024-01-20", amountDong: "500000", method: "cash", purpose: "gift_package", quantity: 1, unit: "suất",
    beneficiary: { name: `Hộ ${secret}`, category: "poor", area: "Khu phố 3" },
  }, meta("authz"));
  hashes.push(cash.entry.hash, bank.entry.hash, payment.entry.hash);
  const close = await s.controls.closePeriod(c.principals.approver, { through: "2000-01-31", note: `Khóa sổ ${secret}` }, meta("authz"));
  let n = 0;
  return {
    c, campaign, bankAccount: `1121.${campaign}`, periodId: (close.response as { id: number }).id, payment: payment.entry.id,
    async freshEntry() {
      const r = await s.ledger.recordDonation(c.principals.treasurer, campaign, cashDonation(String(1000 + ++n), `Nhà hảo tâm ${secret}`), meta("authz"));
      hashes.push(r.entry.hash);
      return r.entry.id;
    },
    secrets: () => [secret, c.committee.code, ...hashes],
  };
}

function expectProblem(res: request.Response, status: number, code: string) {
  expect(res.status, `${res.status} ${JSON.stringify(res.body)}`).to.equal(status);
  expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
  expect(res.body.code).to.equal(code);
}

describe("authorisation matrix", () => {
  let a: Fixture;
  let b: Fixture;
  const routeByKey = new Map(declared.map((r) => [keyOf(r), r]));

  before(async () => {
    // The matrix makes some sixty anonymous and bad-token calls from one address; the rate
    // limiter (tested in audit.test.ts) would answer the later ones 429. Off for this app only.
    ({ app, s } = await testAppUnlimited());
    a = await fixture("Ủy ban MTTQ phường A");
    b = await fixture("Ủy ban MTTQ xã B");
  });

  it("has exactly one row for every route of apiRoutes, and no row for a route that does not exist", () => {
    const keys = declared.map(keyOf);
    expect(new Set(keys).size, "apiRoutes declares a route twice").to.equal(keys.length);
    const missing = keys.filter((k) => !(k in matrix));
    expect(missing, "routes with no row in the authorisation matrix (add one)").to.deep.equal([]);
    const stale = Object.keys(matrix).filter((k) => !routeByKey.has(k));
    expect(stale, "rows for routes that apiRoutes no longer declares").to.deep.equal([]);
  });

  it("lists the same routes when built on the real database", () => {
    expect(apiRoutes(s).map(keyOf)).to.deep.equal(declared.map(keyOf));
  });

  for (const route of declared) {
    const key = keyOf(route);
    describe(key, () => {
      const row = matrix[key];
      for (const who of [...roles, "no token"] as const) {
        const allowed = row ? (who === "no token" ? row.public === true : row.allowed.includes(who)) : false;
        const expected = !row ? "(no row)" : allowed ? `allowed (${row.ok})` : who === "no token" ? "401" : "403";
        it(`${who} → ${expected}`, async function () {
          if (!row) this.skip();
          const r = await row.req(a);
          const before = await snapshot(a.c.committee.id);
          const res = await send(route, r, who === "no token" ? null : a.c.tokens[who]);
          expect(res.status, `${key} as ${who}: ${res.status} ${JSON.stringify(res.body)}`).to.be.below(500);
          if (allowed) {
            expect(res.status, `${key} as ${who}: ${JSON.stringify(res.body)}`).to.equal(row.ok);
            return;
          }
          if (who === "no token") expectProblem(res, 401, "unauthorized");
          else expectProblem(res, 403, "forbidden");
          expect(await snapshot(a.c.committee.id), "a refused call wrote nothing").to.deep.equal(before);
        });
      }

      it("refuses an unknown token (401) even where no token is needed", async function () {
        if (!row) this.skip();
        const res = await send(route, await row.req(a), "sq_thisTokenWasNeverIssued_0000000000000000000");
        expectProblem(res, 401, "unauthorized");
      });

      it("never lets committee A's token read or write committee B's books", async function () {
        if (!row) this.skip();
        const role = row.allowed[0]!;
        const r = await row.req(b);
        const [beforeA, beforeB] = [await snapshot(a.c.committee.id), await snapshot(b.c.committee.id)];
        const res = await send(route, r, a.c.tokens[role]);
        expect(res.status, `${key} as A's ${role} on B: ${JSON.stringify(res.body)}`).to.equal(row.foreign);
        if (row.foreign === 404) expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
        const text = res.text ?? (Buffer.isBuffer(res.body) ? res.body.toString("latin1") : JSON.stringify(res.body));
        if (!row.openData) for (const secret of b.secrets()) expect(text, `B's ${secret} leaked to A`).not.to.contain(secret);
        expect(await snapshot(b.c.committee.id), "B's books did not change").to.deep.equal(beforeB);
        if (res.status >= 400) expect(await snapshot(a.c.committee.id), "nor did A's").to.deep.equal(beforeA);
        if (key === "POST /entries/verify") {
          expect(res.body.items.map((i: { ok: boolean; code: string }) => [i.ok, i.code])).to.deep.equal([[false, "entry_not_found"]]);
        }
      });
    });
  }

  it("keeps Idempotency-Keys apart per committee: B's key never replays into, nor blocks, A's write", async () => {
    const key = `shared-${uniqueCode("k")}`;
    const body = cashDonation("123000");
    const inB = await request(app).post(`/api/v1/campaigns/${b.campaign}/donations`).set("Authorization", `Bearer ${b.c.tokens.treasurer}`)
      .set("Idempotency-Key", key).send(body);
    expect(inB.status).to.equal(201);
    const inA = await request(app).post(`/api/v1/campaigns/${a.campaign}/donations`).set("Authorization", `Bearer ${a.c.tokens.treasurer}`)
      .set("Idempotency-Key", key).send(body);
    expect(inA.status, JSON.stringify(inA.body)).to.equal(201);
    expect(inA.headers["idempotent-replayed"]).to.equal(undefined);
    expect(inA.body.committee).to.equal(a.c.committee.code);
    expect(inA.body.id).not.to.equal(inB.body.id);
  });

  describe("public statements", () => {
    it("answer without a token when the committee is named, and not when it is not", async () => {
      for (const ext of ["csv", "pdf"]) {
        const ok = await request(app).get(`/api/v1/campaigns/${a.campaign}/statement.${ext}`).query({ committee: a.c.committee.code });
        expect(ok.status).to.equal(200);
        expect(ok.headers["x-statement-audience"]).to.equal("public");
        const nameless = await request(app).get(`/api/v1/campaigns/${a.campaign}/statement.${ext}`);
        expect(nameless.status).to.equal(422);
        const unknown = await request(app).get(`/api/v1/campaigns/${a.campaign}/statement.${ext}`).query({ committee: "no-such-committee" });
        expect(unknown.status).to.equal(404);
      }
    });

    it("give the auditor's version, unverified entries included, only to auditor and approver tokens", async () => {
      const path = `/api/v1/campaigns/${a.campaign}/statement.csv`;
      for (const who of [...roles, "no token"] as const) {
        const full = who === "auditor" || who === "approver";
        const call = request(app).get(path).query({ committee: a.c.committee.code, audience: "auditor" });
        if (who !== "no token") call.set("Authorization", `Bearer ${a.c.tokens[who]}`);
        const res = await call.expect(200);
        expect(res.headers["x-statement-audience"], who).to.equal(full ? "auditor" : "public");
        expect(res.headers["x-statement-verified-only"], who).to.equal(full ? "false" : "true");
        // Asking for the unverified entries outright: refused to everyone else.
        const unverified = request(app).get(path).query({ committee: a.c.committee.code, audience: "auditor", verified: "false" });
        if (who !== "no token") unverified.set("Authorization", `Bearer ${a.c.tokens[who]}`);
        expect((await unverified).status, who).to.equal(full ? 200 : 403);
      }
    });

    it("follow the token's committee, not ?committee=, when a token is sent", async () => {
      const res = await request(app).get(`/api/v1/campaigns/${b.campaign}/statement.csv`)
        .query({ committee: b.c.committee.code }).set("Authorization", `Bearer ${a.c.tokens.auditor}`);
      expectProblem(res, 404, "campaign_not_found");
    });
  });

  describe("service endpoints", () => {
    for (const path of ["/health", "/api/openapi.json", "/api/docs"]) {
      it(`${path} answers without a token`, async () => {
        const res = await request(app).get(path);
        expect(res.status).to.equal(200);
      });
    }

    it("refuses a malformed Authorization header (401) rather than treating it as no token", async () => {
      for (const header of ["Basic dXNlcjpwYXNz", "Bearer", "Bearer short", `Bearer ${a.c.tokens.admin} extra`]) {
        const res = await request(app).get(`/api/v1/campaigns/${a.campaign}/statement.csv`).query({ committee: a.c.committee.code })
          .set("Authorization", header);
        expectProblem(res, 401, "unauthorized");
      }
    });
  });
});

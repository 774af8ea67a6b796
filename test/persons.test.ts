import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Express } from "express";
import request from "supertest";
import { createToken, hashToken, type Soquy } from "../src/context.js";
import { UserStore } from "../src/db/users.js";
import { hashPassword } from "../src/web/passwords.js";
import { makeCommittee, uniqueCode, type TestCommittee, testOwnerKnex } from "./support/db.js";
import { testApp } from "./support/http.js";

// Maker-checker between people, not tokens: a person's second token is still
// that person, and an admin never checks anything (issue 18 §1).
let app: Express;
let s: Soquy;
let n = 0;
const PASSWORD = "mật-khẩu-thử-người-2024";

function as(token: string) {
  return {
    post: (path: string, body: object, key: string | null = `per-${Date.now()}-${++n}`) => {
      const r = request(app).post(path).set("Authorization", `Bearer ${token}`);
      if (key) r.set("Idempotency-Key", key);
      return r.send(body);
    },
  };
}

async function campaign(c: TestCommittee): Promise<string> {
  const code = uniqueCode("P").toUpperCase();
  await as(c.tokens.treasurer).post("/api/v1/campaigns", {
    code, name: "Quỹ Vì người nghèo", kind: "for_the_poor", startsOn: "2024-01-01", receivingException: "Quỹ thường xuyên",
  }).expect(201);
  await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code}/donations`, {
    receivedOn: "2024-01-05", amountDong: "5000000", method: "cash", donor: { name: "Nguyễn Văn An", kind: "individual", publishName: true },
  }).expect(201);
  return code;
}

/** A cross-campaign move: it needs two approvals. */
async function crossCampaignMove(c: TestCommittee, from: string, to: string): Promise<string> {
  const move = await as(c.tokens.treasurer).post("/api/v1/entries", {
    entryDate: "2024-02-01", description: "Điều chuyển sang quỹ khác", resolutionRef: "Biên bản họp số 7/BB-MTTQ",
    postings: [
      { account: `1111.${to}`, amountDong: "1000" }, { account: `4611.${to}`, amountDong: "-1000" },
      { account: `4611.${from}`, amountDong: "1000" }, { account: `1111.${from}`, amountDong: "-1000" },
    ],
  }).expect(201);
  expect(move.body.requiredApprovals).to.equal(2);
  return move.body.id;
}

async function verifications(entryId: string): Promise<number> {
  const row = await s.db.knex("entry_verifications").where({ entry_id: entryId }).count<{ n: string }[]>("* as n").first();
  return Number(row!.n);
}

async function isVerified(entryId: string): Promise<boolean> {
  return (await s.db.knex("entry_verified").where({ entry_id: entryId }).first()) !== undefined;
}

/** Signs a workspace user in over HTTP and returns the agent and a page's CSRF token. */
async function signIn(login: string): Promise<{ agent: ReturnType<typeof request.agent>; csrf: () => Promise<string> }> {
  const agent = request.agent(app);
  await agent.post("/app/login").type("form").send({ login, password: PASSWORD }).expect(303);
  const csrf = async () => /name="_csrf" value="([^"]+)"/.exec((await agent.get("/app/tokens").expect(200)).text)![1]!;
  return { agent, csrf };
}

describe("people: maker and checker are two different people", () => {
  let c: TestCommittee;
  let users: UserStore;
  before(async () => {
    ({ app, s } = await testApp());
    users = new UserStore(s.db.knex);
    c = await makeCommittee(s);
  });

  it("refuses an approver's second verification made with a token they made at /app/tokens", async () => {
    const login = `${c.committee.code}.duyet`;
    await users.create(c.committee.id, { login, name: "Trần Thị Duyệt", role: "approver", passwordHash: await hashPassword(PASSWORD) });
    const { agent, csrf } = await signIn(login);
    const made = await agent.post("/app/tokens").type("form").send({ _csrf: await csrf(), name: "Máy thứ hai", role: "approver" }).expect(201);
    const second = /data-testid="new-token">([^<]+)</.exec(made.text)![1]!;
    const [a, b] = [await campaign(c), await campaign(c)];
    const id = await crossCampaignMove(c, a, b);
    await agent.post("/app/queue").type("form").send({ _csrf: await csrf(), ids: id }).expect(200);
    expect(await verifications(id)).to.equal(1);
    const again = await as(second).post(`/api/v1/entries/${id}/verify`, {}, null);
    expect(again.status).to.equal(409);
    expect(again.body.code).to.equal("already_verified");
    expect(await verifications(id)).to.equal(1);
    expect(await isVerified(id)).to.equal(false);
  });

  it("refuses an admin an approver token, so the admin cannot record and check a disbursement", async () => {
    const code = await campaign(c);
    const treasurer = await request(app).post("/api/v1/tokens").set("Authorization", `Bearer ${c.tokens.admin}`)
      .send({ role: "treasurer", name: "Tích hợp kế toán" }).expect(201);
    const approver = await request(app).post("/api/v1/tokens").set("Authorization", `Bearer ${c.tokens.admin}`)
      .send({ role: "approver", name: "Người duyệt ma" });
    const paid = await as(treasurer.body.token).post(`/api/v1/campaigns/${code}/disbursements`, {
      paidOn: "2024-02-01", amountDong: "400000", method: "cash", purpose: "relief_cash",
      beneficiary: { name: "Hộ bịa ra", category: "poor", area: "Khu phố 9" },
    }).expect(201);
    const checked = approver.body.token ? await as(approver.body.token).post(`/api/v1/entries/${paid.body.id}/verify`, {}, null) : null;
    expect(approver.status).to.equal(403);
    expect(approver.body.code).to.equal("token_role_not_allowed");
    expect(checked).to.equal(null);
    expect(await verifications(paid.body.id)).to.equal(0);
  });

  it("lets an admin's integration tokens act as the admin, and no admin token verify or close", async () => {
    const code = await campaign(c);
    const made = await request(app).post("/api/v1/tokens").set("Authorization", `Bearer ${c.tokens.admin}`)
      .send({ role: "auditor", name: "Báo cáo" }).expect(201);
    const [auditorToken, admin] = await Promise.all([s.store.findPrincipal(hashToken(made.body.token)), s.store.findPrincipal(hashToken(c.tokens.admin))]);
    expect(auditorToken!.personId).to.equal(admin!.personId);
    // A token an admin made as an approver before people existed still acts as the admin: refused.
    const legacy = await legacyToken(admin!.personId, "approver");
    const d = await s.db.knex("journal_entries").join("campaigns as k", "k.id", "journal_entries.campaign_id")
      .where("k.code", code).first("journal_entries.id");
    const refused = await as(legacy).post(`/api/v1/entries/${d.id}/verify`, {}, null);
    expect(refused.status).to.equal(403);
    expect(refused.body.code).to.equal("forbidden");
    const bulk = await as(legacy).post("/api/v1/entries/verify", { ids: [d.id] }, null);
    expect(bulk.status).to.equal(403);
    const close = await as(legacy).post("/api/v1/periods", { through: "2024-01-31" });
    expect(close.status).to.equal(403);
    const imported = await as(legacy).post("/api/v1/bank-imports/1/verify", {}, null);
    expect(imported.status).to.equal(403);
    expect(imported.body.code).to.equal("forbidden");
    expect(await verifications(d.id)).to.equal(0);
    await request(app).get("/api/v1/ledger/verify").set("Authorization", `Bearer ${c.tokens.admin}`).expect(200);
  });

  it("refuses in PostgreSQL a second verification by the same person and an approver token for a non-approver", async () => {
    const code = await campaign(c);
    const approver = (await s.store.findPrincipal(hashToken(c.tokens.approver)))!;
    const sameTwice = await legacyToken(approver.personId, "approver");
    const other = (await s.store.findPrincipal(hashToken(sameTwice)))!;
    const [a, b] = [code, await campaign(c)];
    const id = await crossCampaignMove(c, a, b);
    const insert = (by: number) => s.db.knex("entry_verifications").insert({ entry_id: id, committee_id: c.committee.id, verified_by: by })
      .then(() => null, (e: { code: string }) => e.code);
    expect(await insert(approver.tokenId)).to.equal(null);
    expect(await insert(other.tokenId)).to.equal("SQ011");
    expect(await verifications(id)).to.equal(1);
    // The recorder's own person, through another token, cannot check it either.
    const recorder = (await s.store.findPrincipal(hashToken(c.tokens.treasurer)))!;
    const own = await s.ledger.recordDonation({ ...approver, role: "treasurer" }, code, {
      receivedOn: "2024-01-06", amountDong: "1000", method: "cash", donor: { name: "Nguyễn Văn An", kind: "individual", publishName: true },
    }, { idempotencyKey: `own-${n++}`, requestHash: "a".repeat(64) });
    const selfCheck = await s.db.knex("entry_verifications").insert({ entry_id: own.entry.id, committee_id: c.committee.id, verified_by: other.tokenId })
      .then(() => null, (e: { code: string }) => e.code);
    expect(selfCheck).to.equal("SQ011");
    const adminApprover = await s.db.knex("api_tokens").insert({
      committee_id: c.committee.id, role: "approver", name: "x", token_hash: "b".repeat(64), person_id: recorder.personId,
    }).then(() => null, (e: { code: string }) => e.code);
    expect(adminApprover).to.equal("SQ011");
  });

  it("refuses two tokens of one person verifying one entry at once, on two connections [PostgreSQL]", async function () {
    if (!process.env.TEST_DATABASE_URL) this.skip();
    const [a, b] = [await campaign(c), await campaign(c)];
    const id = await crossCampaignMove(c, a, b);
    const approver = (await s.store.findPrincipal(hashToken(c.tokens.approver)))!;
    const hash = hashToken(`sq_second_${uniqueCode("t")}`);
    const second = await s.store.createToken(c.committee.id, "approver", "Máy thứ hai", hash, approver.personId);
    const row = (by: number) => ({ entry_id: id, committee_id: c.committee.id, verified_by: by });
    const first = await s.db.knex.transaction();
    try {
      await first("entry_verifications").insert(row(approver.tokenId));
      // The second insert's trigger cannot see the first (not committed): the unique (entry, person) index waits for it.
      const racing = s.db.knex("entry_verifications").insert(row(second)).then(() => null, (e: { code: string }) => e.code);
      await new Promise((r) => setTimeout(r, 200));
      await first.commit();
      expect(await racing).to.equal("23505");
    } finally {
      if (!first.isCompleted()) await first.rollback();
    }
    expect(await verifications(id)).to.equal(1);
  });

  it("records every person made and disabled in the audit log", async () => {
    const before = await auditCount(c.committee.id);
    const login = `${c.committee.code}.thu2`;
    const u = await users.create(c.committee.id, { login, name: "Phạm Thị Mai", role: "treasurer", passwordHash: await hashPassword(PASSWORD) });
    await createToken(s, c.committee.id, "auditor", "Kiểm tra viên ngoài");
    await users.disable(c.committee.id, u.id);
    // Only the people's rows: the HTTP audit of earlier requests is written in groups and may land meanwhile.
    const rows = await s.db.knex("audit_log").where({ committee_id: c.committee.id }).where("id", ">", before).whereLike("action", "person %")
      .orderBy("id").select("action", "target");
    expect(rows.map((r) => r.action)).to.deep.equal(["person created", "person created", "person disabled"]);
    expect(rows[0].target).to.contain("treasurer");
  });

  it("lists the committee's people in the auditor's PDF statement (not the public one), and keeps the CSV's shape", async () => {
    const code = await campaign(c);
    const pdfText = async (url: string, token?: string) => {
      const r = request(app).get(url);
      if (token) r.set("Authorization", `Bearer ${token}`);
      const res = await r.buffer(true).parse(binary).expect(200);
      const dir = mkdtempSync(path.join(tmpdir(), "soquy-people-"));
      try {
        writeFileSync(path.join(dir, "s.pdf"), res.body as Buffer);
        return execFileSync("pdftotext", ["-layout", path.join(dir, "s.pdf"), "-"]).toString("utf8");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    };
    const auditor = await pdfText(`/api/v1/campaigns/${code}/statement.pdf?audience=auditor`, c.tokens.auditor);
    expect(auditor).to.contain("NGƯỜI CÓ QUYỀN GHI SỔ, DUYỆT HOẶC QUẢN TRỊ");
    const people = await s.db.knex("people").where({ committee_id: c.committee.id }).orderBy("id").select("id", "name");
    for (const p of people) expect(auditor).to.match(new RegExp(`\\b${p.id}\\s+${p.name.replace(/[()]/g, ".")}`));
    expect(auditor).to.contain("Người duyệt").and.contain("Quản trị viên");
    const pages = Number(/Sổ này có (\d+) trang/.exec(auditor)![1]);
    expect(auditor).to.contain(`Trang ${pages}/${pages}`);
    const pub = await pdfText(`/api/v1/campaigns/${code}/statement.pdf?committee=${c.committee.code}`);
    expect(pub).not.to.contain("NGƯỜI CÓ QUYỀN");
    const csv = await request(app).get(`/api/v1/campaigns/${code}/statement.csv?audience=auditor`).set("Authorization", `Bearer ${c.tokens.auditor}`).expect(200);
    expect(csv.text).not.to.contain("Trần Thị Duyệt");
    const listed = await request(app).get("/api/v1/people").set("Authorization", `Bearer ${c.tokens.auditor}`).expect(200);
    expect(listed.body.items.map((p: { id: number; name: string }) => [p.id, p.name])).to.deep.equal(people.map((p) => [Number(p.id), p.name]));
    expect(listed.body.items.find((p: { name: string }) => p.name === "Phạm Thị Mai").disabledAt).to.be.a("string");
  });
});

function binary(res: request.Response, cb: (err: Error | null, body: Buffer) => void): void {
  const chunks: Buffer[] = [];
  res.on("data", (d: Buffer) => chunks.push(d));
  res.on("end", () => cb(null, Buffer.concat(chunks)));
}

async function auditCount(committeeId: number): Promise<number> {
  const row = await s.db.knex("audit_log").where({ committee_id: committeeId }).max<{ m: string | null }[]>("id as m").first();
  return Number(row?.m ?? 0);
}

/** A token of the given person inserted directly, as a token made before people existed would be. */
async function legacyToken(personId: number, role: string): Promise<string> {
  const person = await s.db.knex("people").where({ id: personId }).first();
  const token = `sq_legacy_${uniqueCode("t")}_${++n}`;
  const owner = await testOwnerKnex(); // a legacy row goes in behind the rules' back, as only the owner can
  await owner.raw("alter table api_tokens disable trigger api_tokens_person_rules");
  try {
    await owner("api_tokens").insert({ committee_id: person.committee_id, role, name: "legacy", token_hash: hashToken(token), person_id: personId });
  } finally {
    await owner.raw("alter table api_tokens enable trigger api_tokens_person_rules");
  }
  return token;
}

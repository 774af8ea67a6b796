import { expect } from "chai";
import type { Express } from "express";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee, testOwnerKnex } from "./support/db.js";
import { testAppUnlimited } from "./support/http.js";

// A disbursement's area (khu phố, thôn, ấp) is chosen from the committee's own
// list: free text there went out verbatim on the public page, totals and
// statements ("Nhà bà Đỗ Thị X, sđt 0987654321"). Areas recorded before the
// list existed show publicly as "Khác" unless the list holds them.

describe("areas: the committee's own list", () => {
  let app: Express;
  let s: Soquy;
  let c: TestCommittee;
  const code = uniqueCode("AREA").toUpperCase();
  let n = 0;
  const post = (token: string, p: string, body: object) =>
    request(app).post(`/api/v1${p}`).set("Authorization", `Bearer ${token}`).set("Idempotency-Key", `area-${code}-${++n}`).send(body);
  const pay = (area: string, name = "Hộ bà Đỗ Thị Hoa") => ({
    paidOn: "2024-03-05", amountDong: "1000000", method: "cash" as const, purpose: "livelihood" as const, beneficiary: { name, category: "poor" as const, area },
  });

  before(async () => {
    ({ app, s } = await testAppUnlimited());
    c = await makeCommittee(s);
    await post(c.tokens.treasurer, "/campaigns", { code, name: "Quỹ Vì người nghèo 2024", kind: "for_the_poor", startsOn: "2024-01-01" }).expect(201);
    await post(c.tokens.treasurer, `/campaigns/${code}/donations`, {
      receivedOn: "2024-03-01", amountDong: "10000000", method: "cash", donor: { name: "Công ty Minh Phát", kind: "organisation", publishName: true },
    }).expect(201);
  });

  it("are added by a treasurer and listed to every role; the same name twice is the one listed", async () => {
    const added = await post(c.tokens.treasurer, "/areas", { name: "  Ấp   Mới Lập " });
    expect(added.status, JSON.stringify(added.body)).to.equal(201);
    expect(added.body.name).to.equal("Ấp Mới Lập");
    const again = await post(c.tokens.treasurer, "/areas", { name: "ap moi LAP" });
    expect(again.status).to.equal(200);
    expect(again.body).to.deep.equal(added.body);
    for (const role of ["treasurer", "approver", "auditor", "admin"] as const) {
      const list = await request(app).get("/api/v1/areas").set("Authorization", `Bearer ${c.tokens[role]}`).expect(200);
      expect(list.body.items.map((a: { name: string }) => a.name)).to.include("Ấp Mới Lập").and.include("Khu phố 1");
    }
    expect((await post(c.tokens.approver, "/areas", { name: "Ấp Khác" })).status).to.equal(403);
    expect((await request(app).get("/api/v1/areas")).status).to.equal(401);
  });

  it("refuse a name that is not fit to publish or not a name", async () => {
    for (const name of ["Nhà bà Hoa 0912 345 678", "Tổ 4 hoa@example.vn", "", "   ", "x".repeat(101), "Khu phố\u00071"]) {
      const res = await post(c.tokens.treasurer, "/areas", { name });
      expect(res.status, name).to.equal(422);
      expect(res.body.field).to.equal("name");
    }
  });

  it("refuse a disbursement whose area is not in the list, naming the field, and write nothing", async () => {
    const before = (await s.store.listEntries(c.committee.id, { limit: 100 })).length;
    const res = await post(c.tokens.treasurer, `/campaigns/${code}/disbursements`, pay("Nhà bà Đỗ Thị X, sđt 0987654321"));
    expect(res.status).to.equal(422);
    expect(res.body).to.include({ code: "area_not_listed", field: "beneficiary.area" });
    expect(res.body.detail).to.contain("list").and.not.contain("0987654321");
    expect((await s.store.listEntries(c.committee.id, { limit: 100 })).length).to.equal(before);
    // Case, diacritics and spacing aside, a listed area is taken in the list's spelling.
    const ok = await post(c.tokens.treasurer, `/campaigns/${code}/disbursements`, pay("khu  pho 2"));
    expect(ok.status, JSON.stringify(ok.body)).to.equal(201);
    expect(ok.body.disbursement?.beneficiary?.area ?? ok.body.beneficiary?.area ?? (await s.store.listEntries(c.committee.id, { limit: 100 })).at(-1)!.disbursement!.area)
      .to.equal("Khu phố 2");
  });

  it("are enforced by PostgreSQL too: a disbursement row naming an unlisted area is refused", async () => {
    const row = await s.db.knex.raw(`select convalidated from pg_constraint where conname = 'disbursements_area_listed'`);
    expect(row.rows).to.deep.equal([{ convalidated: false }]); // NOT VALID: rows from before the list keep their text
    await s.ledger.recordDisbursement(c.principals.treasurer, code, pay("Khu phố 3", "Hộ bà Võ Thị Lan"), meta());
    let error: unknown = null;
    try {
      await s.db.knex.transaction(async (trx) => {
        const [e] = await trx("disbursements").where({ committee_id: c.committee.id }).select("*");
        // A copy of a row under another area: the foreign key refuses it before any other rule.
        await trx.raw("set constraints all immediate");
        await trx("disbursements").insert({ ...e, entry_id: "00000000-0000-4000-8000-000000000001", area: "Nhà bà X 0987654321" });
      });
    } catch (e) {
      error = e;
    }
    expect(String(error).slice(-300)).to.contain("disbursements_area_listed");
  });

  it("show an area recorded before the list existed as “Khác” on every public output, unless the list holds it", async () => {
    const t = c.principals.treasurer;
    await s.store.addArea(c.committee.id, "Tổ 9 cũ", null);
    const old = await s.ledger.recordDisbursement(t, code, pay("Tổ 9 cũ", "Hộ ông Lê Văn Cũ"), meta());
    // As if it had been recorded before the list: the area leaves the list (behind the triggers' back).
    await (await testOwnerKnex()).transaction(async (trx) => {
      await trx.raw("set local session_replication_role = replica");
      await trx("areas").where({ committee_id: c.committee.id, name: "Tổ 9 cũ" }).delete();
    });
    const entries = (await s.store.listEntries(c.committee.id, { limit: 100 })).filter((e) => e.kind === "disbursement").map((e) => e.id);
    const v = await request(app).post("/api/v1/entries/verify").set("Authorization", `Bearer ${c.tokens.approver}`).send({ ids: entries });
    expect(v.status, JSON.stringify(v.body)).to.equal(200);
    const totals = await request(app).get(`/api/v1/public/committees/${c.committee.code}/campaigns/${code}/totals`).expect(200);
    expect(totals.body.disbursedByArea).to.deep.include({ key: "Khác", amountDong: "1000000", count: 1 });
    expect(totals.body.disbursedByArea.map((b: { key: string }) => b.key)).not.to.include("Tổ 9 cũ");
    const csv = (await request(app).get(`/api/v1/campaigns/${code}/statement.csv`).query({ committee: c.committee.code, at: totals.body.position.publication })).text;
    expect(csv).to.contain("H.Ô.L.V.C. (Khác)").and.not.contain("Tổ 9 cũ");
    const page = (await request(app).get(`/c/${c.committee.code}`)).text;
    expect(page).to.contain("Khác").and.not.contain("Tổ 9 cũ");
    expect(old.entry.id).to.be.a("string");

    // Listed again later: the live figures show it; what was cut at the earlier publication keeps its bytes.
    await post(c.tokens.treasurer, "/areas", { name: "Tổ 9 cũ" }).expect(201);
    const at = totals.body.position.publication;
    const live = await request(app).get(`/api/v1/public/committees/${c.committee.code}/campaigns/${code}/totals`).expect(200);
    expect(live.body.disbursedByArea).to.deep.include({ key: "Tổ 9 cũ", amountDong: "1000000", count: 1 });
    const pinned = await request(app).get(`/api/v1/public/committees/${c.committee.code}/campaigns/${code}/totals`).query({ at }).expect(200);
    expect(pinned.body.disbursedByArea).to.deep.equal(totals.body.disbursedByArea);
    const again = (await request(app).get(`/api/v1/campaigns/${code}/statement.csv`).query({ committee: c.committee.code, at })).text;
    expect(again).to.equal(csv);
  });
});

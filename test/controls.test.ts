import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { Express } from "express";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { createToken } from "../src/context.js";
import { makeCommittee, testOwnerKnex, uniqueCode, type TestCommittee } from "./support/db.js";
import { testApp } from "./support/http.js";

// Issue: no single person can make money appear, vanish or move to another
// purpose without a second person and a permanent trace.
let app: Express;
let s: Soquy;
let n = 0;

function as(token: string) {
  return {
    post: (path: string, body: object, key: string | null = `ctl-${Date.now()}-${++n}`) => {
      const r = request(app).post(path).set("Authorization", `Bearer ${token}`);
      if (key) r.set("Idempotency-Key", key);
      return r.send(body);
    },
    get: (path: string) => request(app).get(path).set("Authorization", `Bearer ${token}`),
  };
}

async function campaign(c: TestCommittee, extra: object = {}): Promise<string> {
  const code = uniqueCode("K").toUpperCase();
  await as(c.tokens.treasurer).post("/api/v1/campaigns", {
    code, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", startsOn: "2024-01-01", targetDong: "21000000",
    receivingException: "Quỹ thường xuyên trong năm", ...extra,
  }).expect(201);
  return code;
}

const cash = (receivedOn: string, amountDong: string) => ({
  receivedOn, amountDong, method: "cash" as const, donor: { name: "Nguyễn Văn An", kind: "individual" as const, publishName: true },
});

describe("controls", () => {
  before(async () => {
    ({ app, s } = await testApp());
  });

  describe("maker-checker verification", () => {
    let c: TestCommittee;
    let code: string;
    before(async () => {
      c = await makeCommittee(s);
      code = await campaign(c);
    });

    it("leaves a new entry unverified until an approver verifies it", async () => {
      const d = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code}/donations`, cash("2024-01-05", "5000000")).expect(201);
      const before = await as(c.tokens.auditor).get(`/api/v1/entries/${d.body.id}`).expect(200);
      expect(before.body).to.include({ verified: false });
      const v = await as(c.tokens.approver).post(`/api/v1/entries/${d.body.id}/verify`, {}, null).expect(200);
      expect(v.body).to.include({ ok: true, approvals: 1, requiredApprovals: 1, verified: true });
      const after = await as(c.tokens.auditor).get(`/api/v1/entries/${d.body.id}`).expect(200);
      expect(after.body.verified).to.equal(true);
      expect(after.body.verifications).to.have.length(1);
      expect(after.body.verifications[0].name).to.equal("approver test");
      expect(after.body.hash).to.equal(d.body.hash); // verification never touches the entry
    });

    it("never lets the recorder verify their own entry, nor a non-approver, nor twice", async () => {
      const approverAsRecorder = await createToken(s, c.committee.id, "approver", "Phó chủ tịch");
      // An entry recorded by token X can't be verified by X: simulate with the Ledger directly.
      const p = (await s.store.findPrincipal((await import("../src/context.js")).hashToken(approverAsRecorder)))!;
      const own = await s.ledger.recordDonation({ ...p, role: "treasurer" }, code, cash("2024-01-06", "1000"), { idempotencyKey: `own-${n++}`, requestHash: "a".repeat(64) });
      const self = await as(approverAsRecorder).post(`/api/v1/entries/${own.entry.id}/verify`, {}, null).expect(403);
      expect(self.body.code).to.equal("self_verification_forbidden");
      await as(c.tokens.treasurer).post(`/api/v1/entries/${own.entry.id}/verify`, {}, null).expect(403);
      await as(c.tokens.auditor).post(`/api/v1/entries/${own.entry.id}/verify`, {}, null).expect(403);
      await as(c.tokens.approver).post(`/api/v1/entries/${own.entry.id}/verify`, {}, null).expect(200);
      const twice = await as(c.tokens.approver).post(`/api/v1/entries/${own.entry.id}/verify`, {}, null).expect(409);
      expect(twice.body.code).to.equal("already_verified");
    });

    it("refuses a self-verification in SQL too", async () => {
      const d = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code}/donations`, cash("2024-01-07", "2000")).expect(201);
      const error = await s.db.knex("entry_verifications")
        .insert({ entry_id: d.body.id, committee_id: c.committee.id, verified_by: c.principals.treasurer.tokenId })
        .then(() => null, (e: { code: string }) => e);
      expect(error?.code).to.equal("SQ011");
      const update = await (await testOwnerKnex()).raw("update entry_verifications set verified_at = now() where committee_id = ?", [c.committee.id])
        .then(() => null, (e: { code: string }) => e);
      expect(update?.code).to.equal("SQ010");
    });

    it("verifies in bulk, saying why each refused id was refused", async () => {
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code}/donations`, cash("2024-01-08", String(1000 + i))).expect(201)).body.id);
      const res = await as(c.tokens.approver).post("/api/v1/entries/verify", { ids: [...ids, "00000000-0000-0000-0000-000000000000", ids[0]] }, null).expect(200);
      expect(res.body.items).to.have.length(4);
      expect(res.body.items.filter((o: { ok: boolean }) => o.ok)).to.have.length(3);
      expect(res.body.items.find((o: { ok: boolean }) => !o.ok).code).to.equal("entry_not_found");
      const queue = await as(c.tokens.approver).get("/api/v1/entries?verified=false").expect(200);
      expect(queue.body.items.map((e: { id: string }) => e.id)).not.to.include.members(ids);
    });

    it("needs a resolution and two different approvers to move money between campaigns", async () => {
      const other = await campaign(c);
      const noRef = await as(c.tokens.treasurer).post("/api/v1/entries", {
        entryDate: "2024-02-01", description: "Điều chuyển sang quỹ khác",
        postings: [{ account: `1111.${other}`, amountDong: "1000" }, { account: `1111.${code}`, amountDong: "-1000" }],
      }).expect(422);
      expect(noRef.body).to.include({ code: "resolution_required", field: "resolutionRef" });
      const move = await as(c.tokens.treasurer).post("/api/v1/entries", {
        entryDate: "2024-02-01", description: "Điều chuyển sang quỹ khác", resolutionRef: "Biên bản họp Ban Thường trực số 12/BB-MTTQ",
        postings: [
          { account: `1111.${other}`, amountDong: "1000" }, { account: `4611.${other}`, amountDong: "-1000" },
          { account: `4611.${code}`, amountDong: "1000" }, { account: `1111.${code}`, amountDong: "-1000" },
        ],
      }).expect(201);
      expect(move.body).to.include({ requiredApprovals: 2, resolutionRef: "Biên bản họp Ban Thường trực số 12/BB-MTTQ" });
      const first = await as(c.tokens.approver).post(`/api/v1/entries/${move.body.id}/verify`, {}, null).expect(200);
      expect(first.body).to.include({ approvals: 1, verified: false });
      const inVerified = async () => (await as(c.tokens.auditor).get(`/api/v1/accounts/1111.${other}/balance?verified=true`).expect(200)).body.balanceDong;
      expect(await inVerified()).to.equal("0");
      const second = await createToken(s, c.committee.id, "approver", "Ủy viên Thường trực");
      const done = await as(second).post(`/api/v1/entries/${move.body.id}/verify`, {}, null).expect(200);
      expect(done.body).to.include({ approvals: 2, verified: true });
      expect(await inVerified()).to.equal("1000");
    });

    it("gives verified-only totals and statements", async () => {
      const code2 = await campaign(c);
      const a = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code2}/donations`, cash("2024-03-01", "300000")).expect(201);
      await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code2}/donations`, cash("2024-03-02", "50000")).expect(201);
      await as(c.tokens.approver).post(`/api/v1/entries/${a.body.id}/verify`, {}, null).expect(200);
      const all = await as(c.tokens.auditor).get(`/api/v1/campaigns/${code2}`).expect(200);
      const verified = await as(c.tokens.auditor).get(`/api/v1/campaigns/${code2}?verified=true`).expect(200);
      expect(all.body.totals.receivedDong).to.equal("350000");
      expect(verified.body.totals.receivedDong).to.equal("300000");
      expect(verified.body.verifiedOnly).to.equal(true);
      const csv = await as(c.tokens.auditor).get(`/api/v1/campaigns/${code2}/statement.csv?audience=auditor&verified=true`).expect(200);
      const rows = csv.text.trim().split("\r\n");
      expect(rows.filter((r) => r.startsWith("entry,"))).to.have.length(1);
      expect(rows.at(-1)).to.contain(",300000,0,300000,");
      const full = await as(c.tokens.auditor).get(`/api/v1/campaigns/${code2}/statement.csv?audience=auditor`).expect(200);
      const verifiedColumn = full.text.trim().split("\r\n").filter((r) => r.startsWith("entry,")).map((r) => r.split(",").at(-2));
      expect(verifiedColumn).to.deep.equal(["true", "false"]);
    });
  });

  describe("period close (khóa sổ)", () => {
    let c: TestCommittee;
    let code: string;
    before(async () => {
      c = await makeCommittee(s);
      code = await campaign(c);
    });

    it("refuses to close while entries up to the date are unverified, naming them", async () => {
      const d = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code}/donations`, cash("2024-06-10", "8000000")).expect(201);
      const res = await as(c.tokens.approver).post("/api/v1/periods", { through: "2024-06-30" }).expect(409);
      expect(res.body.code).to.equal("unverified_entries");
      expect(res.body.detail).to.contain(String(d.body.sequence));
      await as(c.tokens.treasurer).post("/api/v1/periods", { through: "2024-06-30" }).expect(403);
    });

    it("closes with every balance and the chain head, then refuses entries dated in the closed period", async () => {
      const queue = await as(c.tokens.approver).get("/api/v1/entries?verified=false").expect(200);
      await as(c.tokens.approver).post("/api/v1/entries/verify", { ids: queue.body.items.map((e: { id: string }) => e.id) }, null).expect(200);
      const close = await as(c.tokens.approver).post("/api/v1/periods", { through: "2024-06-30", note: "Sơ kết 6 tháng đầu năm 2024" }).expect(201);
      expect(close.body.balances[`1111.${code}`]).to.equal("8000000");
      expect(close.body.headHash).to.match(/^[0-9a-f]{64}$/);
      const late = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code}/donations`, cash("2024-06-30", "1000")).expect(409);
      expect(late.body).to.include({ code: "period_closed", field: "entryDate" });
      await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code}/donations`, cash("2024-07-01", "1000")).expect(201);
      const again = await as(c.tokens.approver).post("/api/v1/periods", { through: "2024-05-31" }).expect(409);
      expect(again.body.code).to.equal("period_already_closed");
      const list = await as(c.tokens.auditor).get("/api/v1/periods").expect(200);
      expect(list.body.items).to.have.length(1);
      const check = await as(c.tokens.auditor).get(`/api/v1/periods/${close.body.id}/check`).expect(200);
      expect(check.body).to.include({ ok: true, headMatches: true });
      expect(check.body.differences).to.deep.equal([]);
    });

    it("makes a correction a reversal dated in the open period", async () => {
      const entries = await as(c.tokens.auditor).get("/api/v1/entries?to=2024-06-30").expect(200);
      const id = entries.body.items[0].id;
      const closed = await as(c.tokens.treasurer).post(`/api/v1/entries/${id}/reverse`, { reason: "Ghi sai", entryDate: "2024-06-15" }).expect(409);
      expect(closed.body.code).to.equal("period_closed");
      const ok = await as(c.tokens.treasurer).post(`/api/v1/entries/${id}/reverse`, { reason: "Ghi sai", entryDate: "2024-07-02" }).expect(201);
      expect(ok.body.reversalOf).to.equal(id);
    });

    it("is enforced by PostgreSQL too, and a forged close is caught by the re-check", async () => {
      const owner = await testOwnerKnex(); // the rule holds for the owner; the service's role may not even try
      const error = await owner.raw("update period_closes set balances = '{}' where committee_id = ?", [c.committee.id])
        .then(() => null, (e: { code: string }) => e);
      expect(error?.code).to.equal("SQ010");
      const [row] = (await s.db.knex("period_closes").where({ committee_id: c.committee.id }).select("id"));
      await (await testOwnerKnex()).transaction(async (trx) => {
        await trx.raw("set local session_replication_role = replica");
        await trx.raw(`update period_closes set balances = jsonb_set(balances, '{"1111.${code}"}', '"9000000"') where id = ?`, [row.id]);
      });
      const check = await as(c.tokens.auditor).get(`/api/v1/periods/${row.id}/check`).expect(200);
      expect(check.body.ok).to.equal(false);
      expect(check.body.differences).to.deep.equal([{ account: `1111.${code}`, storedDong: "9000000", ledgerDong: "8000000" }]);
    });
  });

  describe("earmarks and receiving windows (Nghị định 93/2021)", () => {
    let c: TestCommittee;
    before(async () => {
      c = await makeCommittee(s);
    });

    it("lets a campaign pay only its own purposes", async () => {
      const tet = await campaign(c, { kind: "tet_gifts", startsOn: "2024-01-01", endsOn: "2024-02-09", receivingException: undefined });
      await as(c.tokens.treasurer).post(`/api/v1/campaigns/${tet}/donations`, cash("2024-01-10", "5000000")).expect(201);
      const house = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${tet}/disbursements`, {
        paidOn: "2024-02-01", amountDong: "1000000", method: "cash", purpose: "house_repair",
        beneficiary: { name: "Lê Văn Bảy", category: "poor", area: "Khu phố 2" },
      }).expect(422);
      expect(house.body).to.include({ code: "purpose_not_allowed_for_campaign", field: "purpose" });
      await as(c.tokens.treasurer).post(`/api/v1/campaigns/${tet}/disbursements`, {
        paidOn: "2024-02-01", amountDong: "400000", method: "cash", purpose: "gift_package", quantity: 1, unit: "suất",
        beneficiary: { name: "Lê Văn Bảy", category: "poor", area: "Khu phố 2" },
      }).expect(201);
    });

    it("refuses donations after the end date or 90 days, unless the campaign records why", async () => {
      const tet = await campaign(c, { kind: "tet_gifts", startsOn: "2024-01-01", endsOn: "2024-02-09", receivingException: undefined });
      const after = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${tet}/donations`, cash("2024-02-10", "1000")).expect(422);
      expect(after.body).to.include({ code: "donation_outside_receiving_window", field: "receivedOn" });
      const long = await campaign(c, { kind: "relief", startsOn: "2024-01-01", endsOn: undefined, receivingException: undefined });
      await as(c.tokens.treasurer).post(`/api/v1/campaigns/${long}/donations`, cash("2024-03-31", "1000")).expect(201);
      const day91 = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${long}/donations`, cash("2024-04-01", "1000")).expect(422);
      expect(day91.body.code).to.equal("donation_outside_receiving_window");
      const excepted = await campaign(c, { kind: "relief", startsOn: "2024-01-01", receivingException: "Bão số 3: UBND tỉnh gia hạn tiếp nhận (Công văn 123/UBND)" });
      await as(c.tokens.treasurer).post(`/api/v1/campaigns/${excepted}/donations`, cash("2024-06-01", "1000")).expect(201);
      const shown = await as(c.tokens.auditor).get(`/api/v1/campaigns/${tet}`).expect(200);
      expect(shown.body).to.include({ receivingCloses: "2024-02-09", distributionDeadline: "2024-02-29" });
    });

    it("flags disbursements after the distribution deadline in the totals", async () => {
      const tet = await campaign(c, { kind: "tet_gifts", startsOn: "2024-01-01", endsOn: "2024-01-31", receivingException: undefined, distributionDays: 10 });
      await as(c.tokens.treasurer).post(`/api/v1/campaigns/${tet}/donations`, cash("2024-01-10", "1000000")).expect(201);
      for (const paidOn of ["2024-02-10", "2024-02-11"]) {
        await as(c.tokens.treasurer).post(`/api/v1/campaigns/${tet}/disbursements`, {
          paidOn, amountDong: "300000", method: "cash", purpose: "gift_package", quantity: 1, unit: "suất",
          beneficiary: { name: `Hộ ${paidOn}`, category: "near_poor", area: "Khu phố 1" },
        }).expect(201);
      }
      const res = await as(c.tokens.auditor).get(`/api/v1/campaigns/${tet}`).expect(200);
      expect(res.body.totals.lateDisbursements).to.deep.equal({ deadline: "2024-02-10", count: 1, amountDong: "300000" });
    });

    it("refuses a wrong purpose and a late donation in SQL too", async () => {
      const tet = await campaign(c, { kind: "tet_gifts", startsOn: "2024-01-01", endsOn: "2024-02-09", receivingException: undefined });
      const tetRow = await s.db.knex("campaigns").where({ committee_id: c.committee.id, code: tet }).first("id");
      await as(c.tokens.treasurer).post(`/api/v1/campaigns/${tet}/donations`, cash("2024-01-10", "500000")).expect(201);
      const paid = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${tet}/disbursements`, {
        paidOn: "2024-02-01", amountDong: "400000", method: "cash", purpose: "gift_package", quantity: 1, unit: "suất",
        beneficiary: { name: "Võ Thị Mười", category: "poor", area: "Khu phố 4" },
      }).expect(201);
      // A detail row written behind the app's back, for an entry of its own transaction (a copy of a real one):
      // the rules are the first checks it meets, when its statement ends.
      const refused = (table: string, entryId: string, change: Record<string, unknown>) => s.db.knex.transaction(async (trx) => {
        const entry = await trx("journal_entries").where({ id: entryId }).first();
        const head = await trx("journal_entries").where({ committee_id: c.committee.id }).max("seq as seq").first();
        const copy = { ...entry, id: randomUUID(), seq: Number(head?.seq) + 1 };
        await trx("journal_entries").insert(copy);
        const detail = await trx(table).where({ entry_id: entryId }).first();
        await trx(table).insert({ ...detail, entry_id: copy.id, ...change });
      }).then(() => null, (e: { code: string }) => e);
      expect((await refused("disbursements", paid.body.id, { purpose: "house_repair" }))?.code).to.equal("SQ012");
      const excepted = await campaign(c, { kind: "relief", startsOn: "2024-01-01", receivingException: "Gia hạn tiếp nhận" });
      const june = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${excepted}/donations`, cash("2024-06-01", "1000")).expect(201);
      expect((await refused("donations", june.body.id, { campaign_id: tetRow.id }))?.code).to.equal("SQ013");
      // The control: the same copy within the rules gets as far as the commit, which refuses it (no postings).
      expect((await refused("donations", june.body.id, {}))?.code).to.equal("SQ014");
    });
  });

  describe("pledges", () => {
    it("keeps pledges apart from money and shows the gap", async () => {
      const c = await makeCommittee(s);
      const code = await campaign(c);
      await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code}/donations`, cash("2024-01-05", "494000000")).expect(201);
      const p = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code}/pledges`, {
        pledgedOn: "2024-01-02", amountDong: "1105000000", pledger: { name: "Các doanh nghiệp tại đêm hội", kind: "business", publishName: true },
      }).expect(201);
      expect(p.body.amountDong).to.equal("1105000000");
      const res = await as(c.tokens.auditor).get(`/api/v1/campaigns/${code}`).expect(200);
      expect(res.body.totals).to.include({ receivedDong: "494000000", pledgedDong: "1105000000", pledgeGapDong: "611000000", pledges: 1 });
      expect(res.body.totals.balanceDong).to.equal("494000000");
      const list = await as(c.tokens.auditor).get(`/api/v1/campaigns/${code}/pledges`).expect(200);
      expect(list.body.items).to.have.length(1);
      const bad = await as(c.tokens.treasurer).post(`/api/v1/campaigns/${code}/pledges`, {
        pledgedOn: "2024-01-02", amountDong: "0", pledger: { name: "X", kind: "business", publishName: true },
      }).expect(422);
      expect(bad.body.field).to.equal("amountDong");
    });
  });
});

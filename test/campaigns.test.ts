import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { Express } from "express";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { makeCommittee, testOwnerKnex, uniqueCode, type TestCommittee } from "./support/db.js";
import { testApp } from "./support/http.js";

// A campaign's receiving window (Nghị định 93/2021) and what may still change of a campaign once it is used.
// A recorded exception extends the window to its own last day (or the end date), never before the launch; the
// API says when receiving really closes; the name and launch date are frozen once anything is published after
// the campaign was set up, the kind and launch date once entries are recorded; PostgreSQL keeps each rule too.

let app: Express;
let s: Soquy;
let n = 0;

function as(token: string) {
  const key = () => `cmp-${Date.now()}-${++n}`;
  return {
    post: (path: string, body: object) => request(app).post(path).set("Authorization", `Bearer ${token}`).set("Idempotency-Key", key()).send(body),
    patch: (path: string, body: object) => request(app).patch(path).set("Authorization", `Bearer ${token}`).set("Idempotency-Key", key()).send(body),
    get: (path: string) => request(app).get(path).set("Authorization", `Bearer ${token}`),
  };
}

const cash = (receivedOn: string) => ({
  receivedOn, amountDong: "100000", method: "cash" as const, donor: { name: "Nguyễn Văn An", kind: "individual" as const, publishName: true },
});

describe("campaigns: receiving windows and changes", () => {
  let c: TestCommittee;
  before(async () => {
    ({ app, s } = await testApp());
    c = await makeCommittee(s);
  });

  async function campaign(extra: object): Promise<string> {
    const code = uniqueCode("W").toUpperCase();
    await as(c.tokens.treasurer).post("/api/v1/campaigns", {
      code, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", startsOn: "2024-01-01", ...extra,
    }).expect(201);
    return code;
  }
  const donate = (code: string, date: string) => as(c.tokens.treasurer).post(`/api/v1/campaigns/${code}/donations`, cash(date));

  describe("an exception extends the window, never switches it off", () => {
    it("closes at the end date when the exception gives no last day: no September money, nothing before the launch", async () => {
      const code = await campaign({ endsOn: "2024-06-30", receivingException: "Quỹ thường xuyên trong năm" });
      const shown = await as(c.tokens.auditor).get(`/api/v1/campaigns/${code}`).expect(200);
      expect(shown.body).to.include({ receivingCloses: "2024-06-30", distributionDeadline: "2024-07-20", receivingExceptionUntil: null });
      await donate(code, "2024-06-30").expect(201);
      const september = await donate(code, "2024-09-10").expect(422);
      expect(september.body).to.include({ code: "donation_outside_receiving_window", field: "receivedOn" });
      expect(september.body.detail).to.contain("2024-06-30");
      const early = await donate(code, "2023-12-31").expect(422);
      expect(early.body).to.include({ code: "donation_outside_receiving_window", field: "receivedOn" });
    });

    it("closes at the exception's own last day, beyond the end date and the 90 days", async () => {
      const code = await campaign({ endsOn: "2024-03-31", receivingException: "UBND tỉnh gia hạn tiếp nhận (Công văn 123/UBND)", receivingExceptionUntil: "2024-09-15" });
      const shown = await as(c.tokens.auditor).get(`/api/v1/campaigns/${code}`).expect(200);
      expect(shown.body).to.include({ receivingCloses: "2024-09-15", distributionDeadline: "2024-10-05", receivingExceptionUntil: "2024-09-15" });
      await donate(code, "2024-09-15").expect(201);
      expect((await donate(code, "2024-09-16").expect(422)).body.code).to.equal("donation_outside_receiving_window");
    });

    it("never shortens the window: a last day before the usual close leaves the usual close", async () => {
      const code = await campaign({ endsOn: "2024-03-31", receivingException: "Gia hạn", receivingExceptionUntil: "2024-02-01" });
      expect((await as(c.tokens.auditor).get(`/api/v1/campaigns/${code}`).expect(200)).body.receivingCloses).to.equal("2024-03-31");
      await donate(code, "2024-03-15").expect(201);
    });

    it("has no closing date only for an exception with neither end date nor last day, and still opens at the launch", async () => {
      const code = await campaign({ receivingException: "Quỹ thường xuyên trong năm" });
      const shown = await as(c.tokens.auditor).get(`/api/v1/campaigns/${code}`).expect(200);
      expect(shown.body).to.include({ receivingCloses: null, distributionDeadline: null });
      expect(shown.body.totals.lateDisbursements).to.deep.equal({ deadline: null, count: 0, amountDong: "0" });
      await donate(code, "2025-11-30").expect(201);
      expect((await donate(code, "2023-12-01").expect(422)).body.code).to.equal("donation_outside_receiving_window");
    });

    it("keeps the usual window without an exception: the end date or 90 days, whichever comes first", async () => {
      const code = await campaign({ endsOn: "2024-12-31" });
      expect((await as(c.tokens.auditor).get(`/api/v1/campaigns/${code}`).expect(200)).body.receivingCloses).to.equal("2024-03-31");
      await donate(code, "2024-03-31").expect(201);
      await donate(code, "2024-04-01").expect(422);
    });

    it("refuses a last day without an exception, or before the launch, naming the field", async () => {
      const code = uniqueCode("W").toUpperCase();
      const base = { code, name: "Quỹ", kind: "relief", startsOn: "2024-01-01" };
      const alone = await as(c.tokens.treasurer).post("/api/v1/campaigns", { ...base, receivingExceptionUntil: "2024-09-01" }).expect(422);
      expect(alone.body).to.include({ code: "validation_failed", field: "receivingExceptionUntil" });
      const before = await as(c.tokens.treasurer).post("/api/v1/campaigns", { ...base, receivingException: "Gia hạn", receivingExceptionUntil: "2023-09-01" }).expect(422);
      expect(before.body).to.include({ code: "invalid_date", field: "receivingExceptionUntil" });
    });

    it("is PostgreSQL's rule too: a donation row dated after the exception's last day, or before the launch, is refused", async () => {
      const code = await campaign({ endsOn: "2024-03-31", receivingException: "Gia hạn", receivingExceptionUntil: "2024-05-31" });
      const ok = await donate(code, "2024-05-31").expect(201);
      const copy = (date: string) => s.db.knex.transaction(async (trx) => {
        const entry = await trx("journal_entries").where({ id: ok.body.id }).first();
        const head = await trx("journal_entries").where({ committee_id: c.committee.id }).max("seq as seq").first();
        const id = randomUUID();
        await trx("journal_entries").insert({ ...entry, id, seq: Number(head?.seq) + 1, entry_date: date });
        const detail = await trx("donations").where({ entry_id: ok.body.id }).first();
        await trx("donations").insert({ ...detail, entry_id: id, bank_reference: null });
      }).then(() => null, (e: { code: string }) => e.code);
      expect(await copy("2024-06-01")).to.equal("SQ013");
      expect(await copy("2023-12-31")).to.equal("SQ013");
      // The control: within the window the copy gets as far as the commit, which refuses it (no postings).
      expect(await copy("2024-04-15")).to.equal("SQ014");
    });
  });

  describe("changing a campaign", () => {
    it("extends the window with an exception added later, and keeps each change, before and after", async () => {
      const code = await campaign({ endsOn: "2024-06-30" });
      await donate(code, "2024-07-05").expect(422);
      const changed = await as(c.tokens.treasurer).patch(`/api/v1/campaigns/${code}`, {
        receivingException: "UBND phường cho phép nhận tiếp đến hết tháng 7", receivingExceptionUntil: "2024-07-31", targetDong: "50000000",
      }).expect(200);
      expect(changed.body).to.include({ receivingCloses: "2024-07-31", targetDong: "50000000" });
      await donate(code, "2024-07-05").expect(201);
      // Withdrawing the exception withdraws its last day too.
      const back = await as(c.tokens.treasurer).patch(`/api/v1/campaigns/${code}`, { receivingException: null }).expect(200);
      expect(back.body).to.include({ receivingException: null, receivingExceptionUntil: null, receivingCloses: "2024-03-31" });
      const id = (await s.db.knex("campaigns").where({ committee_id: c.committee.id, code }).first("id")).id;
      const kept = await s.db.knex("campaign_changes").where({ campaign_id: id }).orderBy("id").select("before", "after");
      expect(kept).to.have.length(2);
      expect(kept[0].before).to.include({ receiving_exception: null, target_dong: null });
      expect(kept[0].after).to.include({ receiving_exception_until: "2024-07-31", target_dong: 50000000 });
      const write = await s.db.knex("campaign_changes").where({ campaign_id: id }).del().then(() => null, (e: { code: string }) => e.code);
      expect(write, "its history is append-only").to.be.oneOf(["SQ010", "42501"]);
    });

    it("freezes the kind and launch date once entries are recorded, and the name once something is published", async () => {
      const code = await campaign({ receivingException: "Quỹ thường xuyên" });
      const renamed = await as(c.tokens.treasurer).patch(`/api/v1/campaigns/${code}`, { name: "Quỹ “Vì người nghèo” phường 2 năm 2024", kind: "relief", startsOn: "2024-01-02" }).expect(200);
      expect(renamed.body).to.include({ name: "Quỹ “Vì người nghèo” phường 2 năm 2024", kind: "relief", startsOn: "2024-01-02" });
      const d = await donate(code, "2024-02-01").expect(201);
      const kind = await as(c.tokens.treasurer).patch(`/api/v1/campaigns/${code}`, { kind: "for_the_poor" }).expect(409);
      expect(kind.body).to.include({ code: "campaign_frozen", field: "kind" });
      expect((await as(c.tokens.treasurer).patch(`/api/v1/campaigns/${code}`, { startsOn: "2024-01-01" }).expect(409)).body.field).to.equal("startsOn");
      await as(c.tokens.treasurer).patch(`/api/v1/campaigns/${code}`, { name: "Quỹ “Vì người nghèo” năm 2024" }).expect(200);
      await request(app).post(`/api/v1/entries/${d.body.id}/verify`).set("Authorization", `Bearer ${c.tokens.approver}`).send({}).expect(200);
      const name = await as(c.tokens.treasurer).patch(`/api/v1/campaigns/${code}`, { name: "Tên khác" }).expect(409);
      expect(name.body).to.include({ code: "campaign_frozen", field: "name" });
      // What is left to change still changes; the code is not a field at all.
      await as(c.tokens.treasurer).patch(`/api/v1/campaigns/${code}`, { endsOn: "2024-12-31", launchDocument: "Kế hoạch số 12/KH-MTTQ" }).expect(200);
      expect((await as(c.tokens.treasurer).patch(`/api/v1/campaigns/${code}`, { code: "OTHER" }).expect(422)).body.code).to.equal("validation_failed");
      const refusedBy = async (change: Record<string, unknown>) => (await testOwnerKnex())("campaigns")
        .where({ committee_id: c.committee.id, code }).update(change).then(() => null, (e: { code: string }) => e.code);
      expect(await refusedBy({ name: "Tên khác" }), "PostgreSQL refuses the published name too").to.equal("SQ017");
      expect(await refusedBy({ kind: "for_the_poor" })).to.equal("SQ017");
    });

    it("is for the treasurer and the admin, and says which campaign is missing", async () => {
      const code = await campaign({});
      await as(c.tokens.approver).patch(`/api/v1/campaigns/${code}`, { targetDong: "1000" }).expect(403);
      await as(c.tokens.admin).patch(`/api/v1/campaigns/${code}`, { targetDong: "1000" }).expect(200);
      expect((await as(c.tokens.treasurer).patch("/api/v1/campaigns/NOPE-1", { targetDong: "1000" }).expect(404)).body.code).to.equal("campaign_not_found");
    });
  });
});

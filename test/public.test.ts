import { spawnSync } from "node:child_process";
import { createHash, createPublicKey, verify } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import { parse } from "csv-parse/sync";
import type { Express } from "express";
import { pino } from "pino";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import type { Principal } from "../src/ledger/types.js";
import { createApp } from "../src/http/app.js";
import { canonicalJson } from "../src/public/signing.js";
import type { TestCommittee } from "./support/db.js";
import { makeCommittee, meta, testOwnerKnex, testSigningKeyFile, uniqueCode } from "./support/db.js";
import { testAppUnlimited } from "./support/http.js";

// Verified figures for the press and the public, end to end over HTTP on the
// real database: only verified entries count, a permalink gives the same
// figures later, press wording never overstates, the donor self-check leaks
// nothing, and a signed checkpoint vouches for a downloaded statement that a
// standalone CLI checks offline.

let app: Express;
let s: Soquy;
let c: TestCommittee;
const VNN = uniqueCode("VNN").toUpperCase();
const TET = uniqueCode("TET").toUpperCase();
const ids: Record<string, string> = {};

const cash = (date: string, amount: number, name: string, publishName = true, phone?: string) => ({
  receivedOn: date, amountDong: String(amount), method: "cash" as const,
  donor: { name, kind: "individual" as const, publishName, ...(phone ? { phone } : {}) },
});
const gift = (date: string, amount: number, quantity: number, name: string, category: "poor" | "near_poor" | "policy_family", area: string) => ({
  paidOn: date, amountDong: String(amount), method: "cash" as const, purpose: "gift_package" as const, quantity: String(quantity), unit: "suất",
  beneficiary: { name, category, area },
});

async function verifyAll(list: string[]) {
  const res = await request(app).post("/api/v1/entries/verify").set("Authorization", `Bearer ${c.tokens.approver}`).send({ ids: list });
  expect(res.status, JSON.stringify(res.body)).to.equal(200);
  for (const o of res.body.items) expect(o.ok, JSON.stringify(o)).to.equal(true);
}

const totalsPath = (code: string) => `/api/v1/public/committees/${c.committee.code}/campaigns/${code}/totals`;

/** Another approver of a committee, beside the one makeCommittee gives it. */
async function secondApprover(x: TestCommittee): Promise<Principal> {
  const { createToken, hashToken } = await import("../src/context.js");
  return (await s.store.findPrincipal(hashToken(await createToken(s, x.committee.id, "approver", "Người duyệt thứ hai"))))!;
}

/** Two services of their own on the test PostgreSQL, each with its own pool: calls on them really run at once. */
async function onTwoConnections(url: string, work: (a: Soquy, b: Soquy) => Promise<void>): Promise<void> {
  const { openDatabase } = await import("../src/db/connect.js");
  const { wire } = await import("../src/context.js");
  const a = wire(await openDatabase({ databaseUrl: url }));
  const b = wire(await openDatabase({ databaseUrl: url }));
  try {
    await work(a, b);
  } finally {
    await a.close();
    await b.close();
  }
}

describe("public figures", () => {
  before(async () => {
    ({ app, s } = await testAppUnlimited());
    c = await makeCommittee(s, "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường");
    const t = c.principals.treasurer;
    await s.ledger.createCampaign(t, {
      code: VNN, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", targetDong: "21000000", startsOn: "2024-01-01",
    }, meta());
    await s.ledger.createCampaign(t, { code: TET, name: "Quà Tết Giáp Thìn 2024", kind: "tet_gifts", startsOn: "2024-01-01" }, meta());
    const rec = async (name: string, code: string, body: ReturnType<typeof cash>) => {
      ids[name] = (await s.ledger.recordDonation(t, code, body, meta())).entry.id;
    };
    // 8.000.000 for the poor, one of them given twice by mistake and reversed.
    await rec("v1", VNN, cash("2024-01-08", 5_000_000, "Nguyễn Văn Tâm", true, "0912 345 678"));
    await rec("v2", VNN, cash("2024-01-15", 2_000_000, "Trần Thị Mỹ Dung", false));
    await rec("v3", VNN, cash("2024-02-20", 1_000_000, "Lê Hoàng Nam"));
    await rec("dup", VNN, cash("2024-02-20", 1_000_000, "Lê Hoàng Nam"));
    ids.rev = (await s.ledger.reverse(t, ids.dup!, { reason: "Ghi trùng", entryDate: "2024-02-21" }, meta())).entry.id;
    // Tết: 214.700.000 in, 607 packages out to three households in two khu phố.
    await rec("t1", TET, cash("2024-01-05", 200_000_000, "Công ty TNHH Phát Đạt"));
    await rec("t2", TET, cash("2024-01-06", 14_700_000, "Ban điều hành Khu phố 1"));
    const pay = async (name: string, body: ReturnType<typeof gift>) => {
      ids[name] = (await s.ledger.recordDisbursement(t, TET, body, meta())).entry.id;
    };
    await pay("g1", gift("2024-02-01", 106_000_000, 300, "Hội người cao tuổi khu phố 1", "poor", "Khu phố 1"));
    await pay("g2", gift("2024-02-02", 106_000_000, 300, "Hội người cao tuổi khu phố 2", "near_poor", "Khu phố 2"));
    await pay("g3", gift("2024-02-03", 2_700_000, 7, "Gia đình chính sách khu phố 2", "policy_family", "Khu phố 2"));
  });

  it("count nothing before an approver verifies, and only verified entries after", async () => {
    const none = await request(app).get(totalsPath(VNN)).expect(200);
    expect(none.body.receivedDong).to.equal("0");
    expect(none.body.position.publication).to.equal(0);
    await verifyAll([ids.v1!]);
    const one = await request(app).get(totalsPath(VNN)).expect(200);
    expect(one.body).to.include({ receivedDong: "5000000", verifiedOnly: true, progressPercent: 23, targetDong: "21000000" });
    expect(one.body.receivedByMethod.cash).to.equal("5000000");
    expect(one.body.donors).to.equal(1);
    expect(one.body.position.publication).to.equal(1);
    ids.permalink1 = one.body.permalink;
  });

  it("refuse to publish a reversal before the entry it reverses, in TypeScript and in SQL", async () => {
    const res = await request(app).post("/api/v1/entries/verify").set("Authorization", `Bearer ${c.tokens.approver}`).send({ ids: [ids.rev] });
    expect(res.body.items[0]).to.include({ ok: false, code: "reversal_before_original" });
    const sql = s.db.knex("entry_verifications").insert({ entry_id: ids.rev, committee_id: c.committee.id, verified_by: c.principals.approver.tokenId });
    await rejects(sql, /reversal reverses/);
    // Both in one call: the original is published first, so it is accepted.
    await verifyAll([ids.rev!, ids.dup!, ids.v2!, ids.v3!, ids.t1!, ids.t2!, ids.g1!, ids.g2!, ids.g3!]);
  });

  it("give the published figures: 8.000.000 of 21.000.000 (38 %), 607 packages worth 214.700.000", async () => {
    const v = (await request(app).get(totalsPath(VNN)).expect(200)).body;
    expect(v).to.include({ receivedDong: "8000000", progressPercent: 38, donations: 3, donors: 3, balanceDong: "8000000" });
    const t = (await request(app).get(totalsPath(TET)).expect(200)).body;
    expect(t).to.include({ receivedDong: "214700000", disbursedDong: "214700000", balanceDong: "0", households: 3, disbursements: 3 });
    expect(t.inKind.disbursed).to.deep.equal([{ unit: "suất", quantity: "607", valueDong: "214700000", count: 3 }]);
    expect(t.disbursedByArea).to.deep.equal([
      { key: "Khu phố 2", amountDong: "108700000", count: 2 }, { key: "Khu phố 1", amountDong: "106000000", count: 1 },
    ]);
    expect(t.disbursedByCategory.map((x: { key: string }) => x.key)).to.have.members(["poor", "near_poor", "policy_family"]);
    expect(t.statement.digest).to.match(/^[0-9a-f]{64}$/);
  });

  it("keep sums that equal a recomputation from the ledger, at every publication", async () => {
    const head = await s.publicQueries.currentPublication(c.committee.id);
    for (const vseq of [1, Math.floor(head.vseq / 2), head.vseq]) {
      const scope = { campaignIds: null, from: null, to: null };
      const recomputed = await s.publicQueries.recomputed(c.committee.id, scope, vseq, false);
      const kept = vseq === head.vseq ? (await s.publicQueries.live(c.committee.id, scope)).rows : null;
      if (kept) expect(sorted(kept)).to.deep.equal(sorted(recomputed));
      const pinned = await s.publicQueries.at(c.committee.id, scope, (await s.publicQueries.publication(c.committee.id, { vseq }))!);
      expect(sorted(pinned.rows), `publication ${vseq}`).to.deep.equal(sorted(recomputed));
    }
  });

  it("answer a permalink with the same figures later, whatever was verified since", async () => {
    const later = await request(app).get(ids.permalink1!).expect(200);
    expect(later.body).to.include({ receivedDong: "5000000", progressPercent: 23 });
    expect(later.body.position.publication).to.equal(1);
    expect(later.body.permalink).to.equal(ids.permalink1);
    // asOf: the figures as published by a time (before anything: nothing).
    const before = await request(app).get(totalsPath(VNN)).query({ asOf: "2000-01-01" }).expect(200);
    expect(before.body.receivedDong).to.equal("0");
    const bad = await request(app).get(totalsPath(VNN)).query({ asOf: "yesterday" });
    expect(bad.status).to.equal(422);
    expect(bad.body.field).to.equal("asOf");
    const missing = await request(app).get(totalsPath(VNN)).query({ at: "999999" });
    expect(missing.status).to.equal(404);
  });

  it("are checked by verify: kept sums altered behind the triggers' back are caught", async () => {
    const { verifyChain } = await import("../src/ledger/verify.js");
    expect((await verifyChain(s.store, c.committee.id)).ok).to.equal(true);
    const owner = await testOwnerKnex(); // turning triggers off takes the owner
    const tamper = (delta: number) => owner.transaction(async (trx) => {
      await trx.raw("set local session_replication_role = replica");
      await trx.raw(`update public_figures set amount_dong = amount_dong + ${delta} where committee_id = ? and metric = 'income'
        and entry_date = (select min(entry_date) from public_figures where committee_id = ? and metric = 'income')`, [c.committee.id, c.committee.id]);
    });
    await tamper(-1_000_000);
    try {
      const r = await verifyChain(s.store, c.committee.id);
      expect(r.ok).to.equal(false);
      expect(r.reason).to.match(/public figures differ from the published entries: .* income/);
    } finally {
      await tamper(1_000_000);
    }
    expect((await verifyChain(s.store, c.committee.id)).ok).to.equal(true);
  });

  it("are written by the ledger only: PostgreSQL refuses direct writes to the kept sums", async () => {
    const owner = await testOwnerKnex(); // even the owner; the service's role may not even try
    await rejects(owner.raw("update public_figures set amount_dong = amount_dong + 1"), /kept by the ledger/);
    await rejects(owner("public_heads").where({ committee_id: c.committee.id }).del(), /kept by the ledger/);
    await rejects(owner.raw("delete from public_snapshots"), /append-only/);
  });

  // Publication numbers are taken by the approvals' trigger (migration 0028); a row put into entry_verified
  // any other way must still continue the committee's numbers with the chain head as it is.
  it("refuse a publication written directly: out of turn, at a chain point before the last, dated ahead, or not verified", async () => {
    const owner = await testOwnerKnex(); // the service's role may not insert into entry_verified at all; the checks hold for the owner
    const x = await makeCommittee(s, "Ủy ban MTTQ xã thử số công bố");
    const code = uniqueCode("PUB").toUpperCase();
    await s.ledger.createCampaign(x.principals.treasurer, { code, name: "Quỹ thử", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
    const record = async (n: number) => (await s.ledger.recordDonation(x.principals.treasurer, code, cash("2024-01-09", n, `Người ${n}`), meta())).entry.id;
    const first = await record(10_000);
    const second = await record(20_000);
    await s.controls.verify(x.principals.approver, [first]);
    const [ph] = await s.db.knex("public_heads").where({ committee_id: x.committee.id }).select("vseq", "head_seq", "head_hash");
    expect(Number(ph.vseq)).to.equal(1);
    const [head] = await s.db.knex("journal_entries").where({ committee_id: x.committee.id }).orderBy("seq", "desc").limit(1).select("seq", "hash");
    const row = (vseq: number, headSeq: number, headHash: string) => owner("entry_verified").insert({
      entry_id: second, committee_id: x.committee.id, verified_at: new Date(), vseq, published_at: new Date(), head_seq: headSeq, head_hash: headHash,
    });
    await rejects(row(3, Number(head.seq), head.hash), /numbered by the ledger itself: publication numbers 3 to 3 do not continue from 1/);
    await rejects(row(2, Number(head.seq) - 1, ph.head_hash), /numbered by the ledger itself: a publication records a point of the chain, and not one before/);
    await rejects(row(2, Number(head.seq), "0".repeat(64)), /a publication records a point of the chain/);
    const later = owner("entry_verified").insert({ entry_id: second, committee_id: x.committee.id, verified_at: new Date(), vseq: 2,
      published_at: new Date(Date.now() + 86_400_000), head_seq: Number(head.seq), head_hash: head.hash });
    await rejects(later, /a publication is dated between the one before it and now/);
    const unverified = owner("entry_verified").insert({ entry_id: second, committee_id: x.committee.id, verified_at: new Date(), vseq: 2,
      published_at: new Date(), head_seq: Number(head.seq), head_hash: head.hash });
    await rejects(unverified, /published only once its approvals are in/);
    const published = await s.db.knex("entry_verified").where({ committee_id: x.committee.id }).count("* as n").first();
    expect(Number(published?.n)).to.equal(1);
    const [outcome] = await s.controls.verify(x.principals.approver, [second]);
    expect(outcome).to.include({ ok: true, verified: true });
    expect(Number((await s.db.knex("entry_verified").where({ entry_id: second }).first("vseq")).vseq)).to.equal(2);
    expect(await s.store.publicFiguresMismatch(x.committee.id)).to.equal(null);
  });

  it("give committee totals for a period: opening + received − disbursed − other = closing", async () => {
    const res = await request(app).get(`/api/v1/public/committees/${c.committee.code}/totals`).query({ from: "2024-02-01", to: "2024-06-30" }).expect(200);
    const b = res.body;
    expect(b.openingDong).to.equal(String(5_000_000 + 2_000_000 + 214_700_000));
    expect(BigInt(b.openingDong) + BigInt(b.receivedDong) - BigInt(b.disbursedDong) - BigInt(b.otherOutDong)).to.equal(BigInt(b.closingDong));
    expect(b.closingDong).to.equal("8000000");
    expect(b.donors).to.equal(null); // distinct counts are over a campaign's whole life only
    const list = await request(app).get(`/api/v1/public/committees/${c.committee.code}/campaigns`).expect(200);
    expect(list.body.items.map((i: { campaign: { code: string } }) => i.campaign.code)).to.have.members([VNN, TET]);
    expect(list.body.overall.receivedDong).to.equal(String(8_000_000 + 214_700_000));
  });

  it("keep received = Σ by method and disbursed = Σ by purpose with general entries, and count anonymous donors one by one", async () => {
    const x = await makeCommittee(s, "Ủy ban MTTQ xã thử bút toán chung");
    const code = uniqueCode("GEN").toUpperCase();
    const t = x.principals.treasurer;
    await s.ledger.createCampaign(t, { code, name: "Quỹ thử", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      ids.push((await s.ledger.recordDonation(t, code, { receivedOn: "2024-01-05", amountDong: String(n * 100_000), method: "cash",
        donor: { kind: "anonymous", publishName: false } }, meta())).entry.id);
    }
    // Interest the bank paid into the campaign's account, and a bank fee charged to the campaign's expense.
    ids.push((await s.ledger.recordGeneral(t, { entryDate: "2024-01-31", description: "Lãi tiền gửi tháng 1",
      postings: [{ account: `1121.${code}`, amountDong: "5000" }, { account: `5111.${code}`, amountDong: "-5000" }] }, meta())).entry.id);
    ids.push((await s.ledger.recordGeneral(t, { entryDate: "2024-01-31", description: "Phí quản lý tài khoản",
      postings: [{ account: `6111.${code}`, amountDong: "2000" }, { account: `1121.${code}`, amountDong: "-2000" }] }, meta())).entry.id);
    await s.controls.verify(x.principals.approver, ids);
    const b = (await request(app).get(`/api/v1/public/committees/${x.committee.code}/campaigns/${code}/totals`).expect(200)).body;
    expect(b.receivedDong).to.equal("605000");
    expect(b.receivedByMethod).to.deep.equal({ cash: "600000", bank: "0", inKind: "0", other: "5000" });
    expect(b.disbursedDong).to.equal("2000");
    expect(b.disbursedByPurpose).to.deep.equal([{ key: "other", amountDong: "2000", count: 0 }]);
    expect(b).to.include({ donations: 3, donors: 3 });
    const { verifyChain } = await import("../src/ledger/verify.js");
    expect((await verifyChain(s.store, x.committee.id)).ok).to.equal(true);
  });

  it("word a period with its opening balance: what remains, not the change", async () => {
    const res = await request(app).get(`${totalsPath(TET).replace(/totals$/, "press")}`).query({ from: "2024-02-01", to: "2024-02-29" }).expect(200);
    const position = res.body.sentences.find((x: { id: string }) => x.id === "position");
    expect(position.text).to.equal("Từ ngày 01/02/2024 đến ngày 29/02/2024: Số dư đầu kỳ trên 214 triệu đồng, thu 0 đồng, đã chi trên 214 triệu đồng, còn 0 đồng.");
    expect(position.exact).to.include({ openingDong: "214700000", closingDong: "0" });
    expect(res.body.sentences.map((x: { id: string }) => x.id)).not.to.include("progress");
    const en = await request(app).get(`${totalsPath(VNN).replace(/totals$/, "press")}`).query({ from: "2024-02-01", lang: "en" }).expect(200);
    expect(en.body.sentences[0].text).to.equal("Since 2024-02-01, the “Quỹ “Vì người nghèo” năm 2024” campaign raised 1 million đồng.");
    expect(en.body.sentences.find((x: { id: string }) => x.id === "position").text).to.equal(
      "Since 2024-02-01: opening balance 7 million đồng, received 1 million đồng, disbursed 0 đồng, 8 million đồng remaining.");
  });

  // Migration 0028 publishes a batch in one statement: figures summed per key, each party's count walked in
  // publication order. The kept sums must be what the entries add up to, day by day, as row by row.
  it("publish a batch of approvals in one statement: numbers in ledger order, kept sums equal to a recomputation", async () => {
    const x = await makeCommittee(s, "Ủy ban MTTQ xã thử duyệt một lượt");
    const code = uniqueCode("BATCH").toUpperCase();
    const t = x.principals.treasurer;
    await s.ledger.createCampaign(t, { code, name: "Quà Tết thử", kind: "tet_gifts", startsOn: "2024-01-01" }, meta());
    const donate = async (body: Parameters<Soquy["ledger"]["recordDonation"]>[2]) => (await s.ledger.recordDonation(t, code, body, meta())).entry.id;
    const batch: string[] = [];
    batch.push(await donate(cash("2024-01-05", 100_000, "Phạm Thị Hoa")));
    batch.push(await donate(cash("2024-01-06", 200_000, "Phạm Thị Hoa")));
    batch.push(await donate({ receivedOn: "2024-01-06", amountDong: "50000", method: "cash", donor: { kind: "anonymous", publishName: false } }));
    // A donor who is counted and, by the reversal of their only gift, no longer counted, within the same batch.
    const once = await donate(cash("2024-01-07", 70_000, "Võ Văn Kiệt"));
    batch.push(once, (await s.ledger.reverse(t, once, { reason: "Nhập nhầm", entryDate: "2024-01-08" }, meta())).entry.id);
    for (const day of ["2024-01-09", "2024-01-10"]) {
      batch.push((await s.ledger.recordDisbursement(t, code, gift(day, 100_000, 1, "Hộ bà Nguyễn Thị Lài", "poor", "Ấp 3"), meta())).entry.id);
    }
    const outcomes = await s.controls.verify(x.principals.approver, [...batch].reverse());
    expect(outcomes.every((o) => o.ok && o.verified), JSON.stringify(outcomes)).to.equal(true);

    const rows = await s.db.knex("entry_verified as v").join("journal_entries as e", "e.id", "v.entry_id")
      .where("v.committee_id", x.committee.id).orderBy("v.vseq").select("e.seq", "v.vseq", "v.head_seq");
    expect(rows.map((r) => [Number(r.seq), Number(r.vseq)])).to.deep.equal(rows.map((_, i) => [i + 1, i + 1]));
    const [head] = await s.db.knex("public_heads").where({ committee_id: x.committee.id }).select("vseq", "head_seq");
    expect([Number(head.vseq), Number(head.head_seq)]).to.deep.equal([batch.length, batch.length]);

    const scope = { campaignIds: null, from: null, to: null };
    const kept = (await s.publicQueries.live(x.committee.id, scope)).rows;
    expect(sorted(kept)).to.deep.equal(sorted(await s.publicQueries.recomputed(x.committee.id, scope, batch.length, false)));
    // The distinct counts move on the day of the entry that counts a party first, or last: Kiệt on the 7th, off on the 8th.
    const moves = await s.db.knex("public_figures").where({ committee_id: x.committee.id }).whereIn("metric", ["donors", "households"])
      .whereNot("n", 0).orderBy(["entry_date", "metric"]).select("metric", "n", s.db.knex.raw("to_char(entry_date, 'MM-DD') as day"));
    expect(moves.map((m) => `${m.day} ${m.metric} ${m.n}`)).to.deep.equal(
      ["01-05 donors 1", "01-06 donors 1", "01-07 donors 1", "01-08 donors -1", "01-09 households 1"]);
    const b = (await request(app).get(`/api/v1/public/committees/${x.committee.code}/campaigns/${code}/totals`).expect(200)).body;
    expect(b).to.include({ receivedDong: "350000", disbursedDong: "200000", donors: 2, households: 1, disbursements: 2 });
    expect(await s.store.publicFiguresMismatch(x.committee.id)).to.equal(null);
  });

  // An approval of an entry already published used to take a publication number of its own (migration 0020).
  it("takes no publication number for a second approval of an entry already published", async () => {
    const x = await makeCommittee(s, "Ủy ban MTTQ xã thử duyệt hai lần");
    const code = uniqueCode("TWICE").toUpperCase();
    await s.ledger.createCampaign(x.principals.treasurer, { code, name: "Quỹ thử", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
    const second = await secondApprover(x);
    const first = (await s.ledger.recordDonation(x.principals.treasurer, code, cash("2024-01-09", 10_000, "Người một"), meta())).entry.id;
    const next = (await s.ledger.recordDonation(x.principals.treasurer, code, cash("2024-01-09", 20_000, "Người hai"), meta())).entry.id;
    await s.controls.verify(x.principals.approver, [first]);
    const [again] = await s.controls.verify(second, [first]);
    expect(again).to.include({ ok: true, approvals: 2, verified: true });
    await s.controls.verify(second, [next]);
    const rows = await s.db.knex("entry_verified").where({ committee_id: x.committee.id }).orderBy("vseq").select("entry_id", "vseq");
    expect(rows.map((r) => [r.entry_id, Number(r.vseq)])).to.deep.equal([[first, 1], [next, 2]]);
    const [head] = await s.db.knex("public_heads").where({ committee_id: x.committee.id }).select("vseq");
    expect(Number(head.vseq)).to.equal(2);
  });

  it("number publications in the order their chain heads rise, with two approvers at once on two connections [PostgreSQL]", async function () {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) this.skip();
    const x = await makeCommittee(s, "Ủy ban MTTQ xã thử hai người duyệt");
    const code = uniqueCode("TWO").toUpperCase();
    await s.ledger.createCampaign(x.principals.treasurer, { code, name: "Quỹ thử", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
    const second = await secondApprover(x);
    await onTwoConnections(url!, async (a, b) => {
      const ids: string[] = [];
      // Entries keep arriving while two approvers verify in small batches on two connections.
      const writing = (async () => {
        for (let i = 0; i < 60; i++) {
          ids.push((await s.ledger.recordDonation(x.principals.treasurer, code, cash("2024-01-09", 10_000 + i, `Người ${i}`), meta())).entry.id);
        }
      })();
      const verifying = (async () => {
        for (let round = 0; round < 30; round++) {
          const batch = ids.slice(round * 2, round * 2 + 2);
          if (batch.length === 0) await new Promise((r) => setTimeout(r, 5));
          await Promise.all([a.controls.verify(x.principals.approver, batch.slice(0, 1)), b.controls.verify(second, batch.slice(1))]);
        }
      })();
      await Promise.all([writing, verifying]);
      await s.controls.verify(x.principals.approver, ids);
      const rows = await s.db.knex("entry_verified as v").join("journal_entries as e", "e.id", "v.entry_id")
        .where("v.committee_id", x.committee.id).orderBy("v.vseq").select("v.vseq", "v.head_seq", "e.seq");
      expect(rows.map((r) => Number(r.vseq))).to.deep.equal(rows.map((_, i) => i + 1));
      for (let i = 0; i < rows.length; i++) {
        expect(Number(rows[i].seq), `publication ${rows[i].vseq}`).to.be.at.most(Number(rows[i].head_seq));
        if (i > 0) expect(Number(rows[i].head_seq)).to.be.at.least(Number(rows[i - 1].head_seq));
      }
      expect((await s.verify(x.committee.id)).ok).to.equal(true);
    });
  });

  it("answers one approver's same call sent twice at once, and two approvers of one entry at once, exactly [PostgreSQL]", async function () {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) this.skip();
    const x = await makeCommittee(s, "Ủy ban MTTQ xã thử gửi lại");
    const code = uniqueCode("RTY").toUpperCase();
    const other = uniqueCode("RTZ").toUpperCase();
    for (const c of [code, other]) {
      await s.ledger.createCampaign(x.principals.treasurer, { code: c, name: `Quỹ thử ${c}`, kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
    }
    const second = await secondApprover(x);
    await onTwoConnections(url!, async (a, b) => {
      // A retry racing its original: before, both read "not yet verified" and the second INSERT failed on the key (a 500).
      for (let round = 0; round < 8; round++) {
        const ids: string[] = [];
        for (let i = 0; i < 5; i++) {
          ids.push((await s.ledger.recordDonation(x.principals.treasurer, code, cash("2024-01-09", 20_000 + round * 10 + i, `Người ${i}`), meta())).entry.id);
        }
        const [one, two] = await Promise.all([a.controls.verify(x.principals.approver, ids), b.controls.verify(x.principals.approver, ids)]);
        for (let i = 0; i < ids.length; i++) {
          const codes = [one[i]!, two[i]!].map((o) => o.code ?? "ok").sort();
          expect(codes, `round ${round}, entry ${i}`).to.deep.equal(["already_verified", "ok"]);
          expect([one[i]!, two[i]!].find((o) => o.ok)).to.include({ approvals: 1, verified: true });
        }
      }
      // Two approvers of an entry between campaigns at once: the one that comes second says it completed the entry.
      for (let round = 0; round < 5; round++) {
        const move = await s.ledger.recordGeneral(x.principals.treasurer, {
          entryDate: "2024-01-10", description: "Điều chuyển sang quỹ khác", resolutionRef: `NQ ${round}/NQ-MTTQ`,
          postings: [{ account: `1111.${other}`, amountDong: "1000" }, { account: `1111.${code}`, amountDong: "-1000" }],
        }, meta());
        const id = move.entry.id;
        const [one, two] = await Promise.all([a.controls.verify(x.principals.approver, [id]), b.controls.verify(second, [id])]);
        const seen = [one[0]!, two[0]!].map((o) => [o.ok, o.approvals, o.verified]).sort((p, q) => Number(p[1]) - Number(q[1]));
        expect(seen, `round ${round}`).to.deep.equal([[true, 1, false], [true, 2, true]]);
        const published = await s.db.knex("entry_verified").where({ entry_id: id }).count<{ count: string }[]>("* as count");
        expect(Number(published[0]!.count)).to.equal(1);
      }
      expect((await s.verify(x.committee.id)).ok).to.equal(true);
    });
  });

  describe("press wording", () => {
    it("reads like local news and never overstates, each sentence with its exact figures and permalink", async () => {
      const vi = (await request(app).get(`${totalsPath(VNN).replace(/totals$/, "press")}`).expect(200)).body;
      const progress = vi.sentences.find((x: { id: string }) => x.id === "progress");
      expect(progress.text).to.equal("Quỹ “Vì người nghèo” năm 2024 vận động được 8.000.000/21.000.000 đồng (đạt 38%).");
      expect(progress.exact).to.deep.equal({ receivedDong: "8000000", targetDong: "21000000", percentFloored: "38" });
      expect(progress.permalink).to.match(/\/totals\?at=\d+$/);
      const tet = (await request(app).get(`${totalsPath(TET).replace(/totals$/, "press")}`).expect(200)).body;
      const units = tet.sentences.find((x: { id: string }) => x.id === "units:suất");
      expect(units.text).to.equal("Đã trao 607 phần quà trị giá trên 214 triệu đồng.");
      expect(units.exact).to.deep.equal({ quantity: "607", unit: "suất", valueDong: "214700000" });
      const en = (await request(app).get(`${totalsPath(TET).replace(/totals$/, "press")}`).query({ lang: "en" }).expect(200)).body;
      expect(en.sentences.find((x: { id: string }) => x.id === "units:suất").text).to.equal("607 gift packages worth over 214 million đồng were handed out.");
    });

    it("checks a claimed figure, and flags a headline that is not the sum of its parts (590 vs 910)", async () => {
      const check = (body: object) => request(app).post(`${totalsPath(TET).replace(/totals$/, "press/check")}`).send(body);
      // "trên X" means at least X (the press convention for rounded figures): 608 is not supported.
      const over = await check({ figure: "units", unit: "suất", value: "608", valueDong: "214000000", qualifier: "trên" });
      expect(over.body).to.include({ supported: false, exact: "607" });
      const ok = await check({ figure: "units", unit: "suất", value: "600", valueDong: "214000000", qualifier: "trên" });
      expect(ok.body).to.include({ supported: true, valueSupported: true, exactValueDong: "214700000" });
      const overstated = await check({ figure: "disbursed", value: "215000000", qualifier: "trên" });
      expect(overstated.body).to.include({ supported: false, exact: "214700000" });
      const headline = await check({ figure: "units", unit: "suất", value: "590", parts: [{ value: 250 }, { value: 260 }, { value: 250 }, { value: 150 }] });
      expect(headline.body).to.include({ supported: false, partsSum: "910", partsAddUp: false });
      expect(headline.body.flag).to.contain("590").and.contain("910");
      const noUnit = await check({ figure: "units", value: "5" });
      expect(noUnit.status).to.equal(422);
      expect(noUnit.body.field).to.equal("unit");
    });
  });

  describe("donor self-check", () => {
    it("finds a receipt, with the name only where the donor agreed, and never a phone number", async () => {
      const entry = await request(app).get(`/api/v1/entries/${ids.v1}`).set("Authorization", `Bearer ${c.tokens.auditor}`).expect(200);
      const receipt = entry.body.receiptNumber as string;
      const res = await request(app).get(`/api/v1/public/receipts/${receipt}`).query({ committee: c.committee.code }).expect(200);
      expect(res.body.donation).to.include({ amountDong: "5000000", donor: "Nguyễn Văn Tâm", verified: true, receiptNumber: receipt });
      expect(res.body.donation.campaign.code).to.equal(VNN);
      expect(res.text).not.to.contain("0912").and.not.to.contain("345 678");
      const hidden = (await request(app).get(`/api/v1/entries/${ids.v2}`).set("Authorization", `Bearer ${c.tokens.auditor}`)).body.receiptNumber;
      const h = await request(app).get(`/api/v1/public/receipts/${hidden}`).query({ committee: c.committee.code }).expect(200);
      expect(h.body.donation.donor).to.equal("Nhà hảo tâm");
      expect(h.text).not.to.contain("Dung");
      const none = await request(app).get("/api/v1/public/receipts/PT-2024-999999").query({ committee: c.committee.code });
      expect(none.status).to.equal(404);
      const bad = await request(app).get("/api/v1/public/receipts/PT-1").query({ committee: c.committee.code });
      expect(bad.status).to.equal(422);
    });

    it("searches by exact amount and date, a name narrowing only among published names", async () => {
      const q = { committee: c.committee.code, amountDong: "2000000", date: "2024-01-15" };
      const found = await request(app).get("/api/v1/public/donations").query(q).expect(200);
      expect(found.body.count).to.equal(1);
      expect(found.body.items[0]).to.include({ donor: "Nhà hảo tâm", verified: true });
      // The hidden donor's own name must not confirm them.
      const named = await request(app).get("/api/v1/public/donations").query({ ...q, name: "Dung" }).expect(200);
      expect(named.body.count).to.equal(0);
      const reversed = await request(app).get("/api/v1/public/donations").query({ ...q, amountDong: "1000000", date: "2024-02-20" }).expect(200);
      expect(reversed.body.items.map((i: { reversed: boolean }) => i.reversed).sort()).to.deep.equal([false, true]);
      const vague = await request(app).get("/api/v1/public/donations").query({ committee: c.committee.code, date: "2024-01-15" });
      expect(vague.status).to.equal(422);
      const shortRef = await request(app).get("/api/v1/public/donations").query({ committee: c.committee.code, bankReference: "FT1" });
      expect(shortRef.status).to.equal(422);
    });

    it("refuses a question that matches more than five donations", async () => {
      for (let i = 0; i < 6; i++) await s.ledger.recordDonation(c.principals.treasurer, VNN, cash("2024-03-01", 10_000, `Người ${i}`), meta());
      const res = await request(app).get("/api/v1/public/donations").query({ committee: c.committee.code, amountDong: "10000", date: "2024-03-01" });
      expect(res.status).to.equal(422);
      expect(res.body.code).to.equal("query_too_broad");
    });

    it("is rate-limited per client address against enumeration, on the page too, whatever header is sent", async () => {
      const limited = createApp(s, pino({ level: "silent" }));
      const statuses: number[] = [];
      for (let i = 0; i < 20; i++) {
        statuses.push((await request(limited).get("/api/v1/public/receipts/PT-2024-000001").query({ committee: c.committee.code })).status);
      }
      expect(statuses.slice(0, 15).every((x) => x !== 429), statuses.join(",")).to.equal(true);
      expect(statuses.slice(15)).to.include(429);
      // An Authorization header proves nothing on the page (only the API checks tokens): still limited.
      const page = createApp(s, pino({ level: "silent" }));
      const onPage: number[] = [];
      for (let i = 0; i < 20; i++) {
        onPage.push((await request(page).get(`/c/${c.committee.code}/check`).query({ receipt: "PT-2024-000001" })
          .set("Authorization", "Bearer made-up-0123456789")).status);
      }
      expect(onPage.slice(15), onPage.join(",")).to.include(429);
    });
  });

  describe("donor self-check of a donation not yet verified", () => {
    // Its own app without the self-check limit: this suite asks many questions from one address.
    let open: Express;
    let receipt: string;
    const ref = "FT24070WAIT01";
    const donations: string[] = [];

    before(async () => {
      const limit = process.env.SELF_CHECK_PER_MINUTE;
      process.env.SELF_CHECK_PER_MINUTE = "0";
      try {
        open = createApp(s, pino({ level: "silent" }));
      } finally {
        if (limit === undefined) delete process.env.SELF_CHECK_PER_MINUTE;
        else process.env.SELF_CHECK_PER_MINUTE = limit;
      }
      const t = c.principals.treasurer;
      const byCash = await s.ledger.recordDonation(t, VNN, cash("2024-03-09", 4_321_000, "Võ Thị Chờ Duyệt", true, "0913 222 333"), meta());
      receipt = byCash.entry.receiptNumber!;
      const byBank = await s.ledger.recordDonation(t, VNN, {
        receivedOn: "2024-03-10", amountDong: "6543000", method: "bank", bankReference: ref, bankAccount: "0011009990002",
        donor: { name: "Đinh Văn Đang Đợi", kind: "individual", publishName: true },
      }, meta());
      donations.push(byCash.entry.id, byBank.entry.id);
    });

    const secrets = ["4321000", "4.321.000", "4,321,000", "6543000", "6.543.000", "6,543,000", "Chờ Duyệt", "Đang Đợi", "Nhà hảo tâm", "0913"];
    const expectAwaiting = (item: Record<string, unknown>, text: string, lang: "vi" | "en") => {
      for (const x of secrets) expect(text, x).not.to.contain(x);
      expect(item).to.include({ status: "awaiting_verification", verified: false, amountDong: null, donor: null, publication: null });
      expect(item.statusText).to.equal(lang === "vi" ? "Đã ghi nhận, đang chờ kiểm duyệt" : "Recorded, awaiting verification");
    };

    it("answers recorded, awaiting verification, without the amount or the name (JSON and page)", async () => {
      const byRef = await request(open).get("/api/v1/public/donations").query({ committee: c.committee.code, bankReference: ref }).expect(200);
      expect(byRef.body.count).to.equal(1);
      expectAwaiting(byRef.body.items[0], byRef.text, "vi");
      const en = await request(open).get("/api/v1/public/donations").query({ committee: c.committee.code, bankReference: ref, lang: "en" }).expect(200);
      expectAwaiting(en.body.items[0], en.text, "en");
      const byReceipt = await request(open).get(`/api/v1/public/receipts/${receipt}`).query({ committee: c.committee.code }).expect(200);
      expectAwaiting(byReceipt.body.donation, byReceipt.text, "vi");
      expect(byReceipt.body.donation.receiptNumber).to.equal(receipt);
      const byAmount = await request(open).get("/api/v1/public/donations")
        .query({ committee: c.committee.code, amountDong: "4321000", date: "2024-03-09" }).expect(200);
      expectAwaiting(byAmount.body.items[0], byAmount.text, "vi");

      const page = await request(open).get(`/c/${c.committee.code}/check`).query({ receipt }).expect(200);
      const result = /data-testid="check-result">([\s\S]*?)<\/div>/.exec(page.text)![1]!;
      expect(result).to.contain("Đã ghi nhận, đang chờ kiểm duyệt").and.contain(receipt);
      for (const x of secrets) expect(result, x).not.to.contain(x);
      const pageEn = await request(open).get(`/c/${c.committee.code}/check`).query({ bankReference: ref, lang: "en" }).expect(200);
      const resultEn = /data-testid="check-result">([\s\S]*?)<\/div>/.exec(pageEn.text)![1]!;
      expect(resultEn).to.contain("Recorded, awaiting verification");
      for (const x of secrets) expect(resultEn, x).not.to.contain(x);
    });

    it("answers with the amount and the published name once verified", async () => {
      await verifyAll(donations);
      const byRef = await request(open).get("/api/v1/public/donations").query({ committee: c.committee.code, bankReference: ref }).expect(200);
      expect(byRef.body.items[0]).to.include({ status: "verified", verified: true, amountDong: "6543000", donor: "Đinh Văn Đang Đợi" });
      const byReceipt = await request(open).get(`/api/v1/public/receipts/${receipt}`).query({ committee: c.committee.code }).expect(200);
      expect(byReceipt.body.donation).to.include({ status: "verified", amountDong: "4321000", donor: "Võ Thị Chờ Duyệt" });
      expect(byReceipt.text).not.to.contain("0913");
      const page = await request(open).get(`/c/${c.committee.code}/check`).query({ receipt }).expect(200);
      expect(page.text).to.contain("4.321.000 đồng").and.contain("Võ Thị Chờ Duyệt").and.contain("đã kiểm duyệt");
    });

    it("is rate-limited for requests that carry a token too, valid or not", async () => {
      for (const [who, token, answer] of [["auditor", c.tokens.auditor, 200], ["treasurer", c.tokens.treasurer, 200], ["a made-up token", "sq_wrongwrongwrongwrong", 401]] as const) {
        const limited = createApp(s, pino({ level: "silent" })); // a bucket of its own
        const statuses: number[] = [];
        for (let i = 0; i < 20; i++) {
          statuses.push((await request(limited).get("/api/v1/public/donations").query({ committee: c.committee.code, bankReference: ref })
            .set("Authorization", `Bearer ${token}`)).status);
        }
        expect(statuses.slice(0, 5).every((x) => x === answer), `${who}: ${statuses.join(",")}`).to.equal(true);
        expect(statuses.slice(15), `${who}: ${statuses.join(",")}`).to.include(429);
      }
      const receipts: number[] = [];
      const other = createApp(s, pino({ level: "silent" }));
      for (let i = 0; i < 20; i++) {
        receipts.push((await request(other).get(`/api/v1/public/receipts/${receipt}`).query({ committee: c.committee.code })
          .set("Authorization", `Bearer ${c.tokens.approver}`)).status);
      }
      expect(receipts.slice(15), receipts.join(",")).to.include(429);
    });
  });

  describe("signed checkpoints", () => {
    let checkpoint: { id: number; payload: any; signature: string; keyId: string };
    let keyInfo: { keyId: string; publicKey: string; publicKeyPem: string };

    it("are signed on demand by an approver with the key served at /.well-known/soquy-key", async () => {
      const refused = await request(app).post("/api/v1/checkpoints").set("Authorization", `Bearer ${c.tokens.treasurer}`).send({});
      expect(refused.status).to.equal(403);
      const res = await request(app).post("/api/v1/checkpoints").set("Authorization", `Bearer ${c.tokens.approver}`).send({}).expect(201);
      checkpoint = res.body;
      keyInfo = (await request(app).get("/.well-known/soquy-key").expect(200)).body;
      expect(checkpoint.keyId).to.equal(keyInfo.keyId);
      const ok = verify(null, Buffer.from(canonicalJson(checkpoint.payload)), createPublicKey(keyInfo.publicKeyPem), Buffer.from(checkpoint.signature, "base64"));
      expect(ok).to.equal(true);
      const head = await s.statements.head(c.committee.id);
      expect(checkpoint.payload.ledger).to.deep.equal({ sequence: head.seq, hash: head.hash });
      const tet = checkpoint.payload.campaigns.find((x: { code: string }) => x.code === TET);
      expect(tet).to.include({ receivedDong: "214700000", disbursedDong: "214700000", balanceDong: "0" });
      // The key is outside the database: the private key file is not in any table.
      const pem = readFileSync(testSigningKeyFile, "utf8");
      const dump = JSON.stringify(await s.db.knex("checkpoints").select("*"));
      expect(dump).not.to.contain(pem.split("\n")[1]);
      const list = await request(app).get(`/api/v1/public/committees/${c.committee.code}/checkpoints`).expect(200);
      expect(list.body.items[0].id).to.equal(checkpoint.id);
    });

    it("vouch for the public statement cut at their publication, checked offline by the CLI", async () => {
      const tet = checkpoint.payload.campaigns.find((x: { code: string }) => x.code === TET);
      const totals = (await request(app).get(totalsPath(TET)).query({ at: checkpoint.payload.publication.number }).expect(200)).body;
      const csv = await request(app).get(totals.statement.csv).buffer(true).parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => cb(null, Buffer.concat(chunks)));
      }).expect(200);
      const bytes = csv.body as Buffer;
      expect(createHash("sha256").update(bytes).digest("hex")).to.equal(tet.statement.digest).and.equal(csv.headers["x-statement-digest"]);
      const rows = parse(bytes, { bom: true, columns: true }) as Record<string, string>[];
      expect(rows.at(-1)!.balance_dong).to.equal(tet.balanceDong);

      const dir = mkdtempSync(path.join(tmpdir(), "soquy-check-"));
      const files = { csv: path.join(dir, "tet.csv"), ckpt: path.join(dir, "checkpoint.json"), key: path.join(dir, "key.json"), bad: path.join(dir, "bad.csv") };
      const file = (await request(app).get(`/api/v1/public/committees/${c.committee.code}/checkpoints/${checkpoint.id}`).expect(200)).body;
      writeFileSync(files.csv, bytes);
      writeFileSync(files.ckpt, JSON.stringify(file, null, 2));
      writeFileSync(files.key, JSON.stringify(keyInfo));
      const cli = (...args: string[]) => spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "check-statement", ...args],
        { encoding: "utf8", env: { ...process.env, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", DATA_DIR: dir } });
      const keyless = cli(files.csv, files.ckpt);
      expect(keyless.status, "a key carried in the checkpoint file itself is never trusted").to.equal(2);
      expect(keyless.stderr).to.contain("--key is required");
      const good = cli(files.csv, files.ckpt, "--key", files.key);
      expect(good.status, good.stdout + good.stderr).to.equal(0);
      expect(good.stdout).to.contain("MATCH").and.contain(TET);

      // One amount changed in the file: caught by the digest and by the arithmetic.
      const text = bytes.toString("utf8").replace(",106000000,", ",100000000,");
      expect(text).not.to.equal(bytes.toString("utf8"));
      writeFileSync(files.bad, text);
      const bad = cli(files.bad, files.ckpt, "--key", files.key);
      expect(bad.status).to.equal(1);
      expect(bad.stdout).to.contain("FAIL").and.contain("NO MATCH");

      // A checkpoint whose figures were edited no longer carries a valid signature.
      const forged = JSON.parse(JSON.stringify(file));
      forged.payload.campaigns.find((x: { code: string }) => x.code === TET).balanceDong = "1";
      writeFileSync(files.ckpt, JSON.stringify(forged));
      const f = cli(files.csv, files.ckpt, "--key", files.key);
      expect(f.status).to.equal(1);
      expect(f.stdout).to.match(/FAIL +the checkpoint's signature does not match/);
      rmSync(dir, { recursive: true, force: true });
    });

    it("list the committee's people from format 2 on (ids, roles, dates, no names), and a format 1 checkpoint still checks", async () => {
      expect(checkpoint.payload.format).to.equal("soquy-checkpoint/2");
      const people = await s.db.knex("people").where({ committee_id: c.committee.id }).orderBy("id").select("id", "role", "name");
      expect(checkpoint.payload.people.map((p: { id: number; role: string }) => [p.id, p.role])).to.deep.equal(people.map((p) => [Number(p.id), p.role]));
      for (const p of checkpoint.payload.people) expect(Object.keys(p).sort()).to.deep.equal(["createdAt", "disabledAt", "id", "role"]);
      for (const p of people) expect(JSON.stringify(checkpoint.payload)).not.to.contain(p.name);
      // A checkpoint signed before format 2 (no people) keeps its bytes and is still checked by the CLI.
      const old = { ...checkpoint.payload, format: "soquy-checkpoint/1" };
      delete old.people;
      const file = { payload: old, signature: s.signer().sign(canonicalJson(old)), keyId: checkpoint.keyId };
      const tet = old.campaigns.find((x: { code: string }) => x.code === TET);
      const totals = (await request(app).get(totalsPath(TET)).query({ at: old.publication.number }).expect(200)).body;
      const csv = await request(app).get(totals.statement.csv).buffer(true).parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => cb(null, Buffer.concat(chunks)));
      }).expect(200);
      expect(createHash("sha256").update(csv.body as Buffer).digest("hex")).to.equal(tet.statement.digest);
      const dir = mkdtempSync(path.join(tmpdir(), "soquy-check-"));
      try {
        const files = { csv: path.join(dir, "tet.csv"), ckpt: path.join(dir, "checkpoint.json"), key: path.join(dir, "key.json") };
        writeFileSync(files.csv, csv.body as Buffer);
        writeFileSync(files.ckpt, JSON.stringify(file));
        writeFileSync(files.key, JSON.stringify(keyInfo));
        const r = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "check-statement", files.csv, files.ckpt, "--key", files.key],
          { encoding: "utf8", env: { ...process.env, DATABASE_URL: "postgres://nobody@127.0.0.1:1/none", DATA_DIR: dir } });
        expect(r.status, r.stdout + r.stderr).to.equal(0);
        expect(r.stdout).to.contain("MATCH");
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    it("anchor verify: removing the newest entries, or editing a checkpoint, is caught", async () => {
      const x = await makeCommittee(s, "Ủy ban MTTQ xã thử xóa bút toán");
      const code = uniqueCode("DEL").toUpperCase();
      await s.ledger.createCampaign(x.principals.treasurer, { code, name: "Thử", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
      for (const n of [1, 2, 3]) await s.ledger.recordDonation(x.principals.treasurer, code, cash("2024-01-10", n * 100_000, `Người ${n}`), meta());
      const committee = await s.public.committee(x.committee.code);
      const ckpt = await s.checkpoints().create(committee, "on_demand", x.principals.approver.tokenId);
      expect(ckpt.payload.ledger.sequence).to.equal(3);
      expect((await s.verify(x.committee.id)).ok).to.equal(true);
      // A superuser drops the newest entry, every row of it: the chain that is left is whole.
      const last = (await s.store.listEntries(x.committee.id, { afterSeq: 2, limit: 1 }))[0]!;
      await (await testOwnerKnex()).transaction(async (trx) => {
        await trx.raw("set local session_replication_role = replica");
        for (const t of ["postings", "donations", "vouchers", "idempotency_keys"]) await trx(t).where({ entry_id: last.id }).del();
        await trx("journal_entries").where({ id: last.id }).del();
      });
      const { verifyChain } = await import("../src/ledger/verify.js");
      expect((await verifyChain(s.store, x.committee.id)).reason, "the chain alone cannot see it").not.to.match(/removed/);
      const r = await s.verify(x.committee.id);
      expect(r).to.include({ ok: false, firstBrokenSeq: 3 });
      expect(r.reason).to.equal(`checkpoint #${ckpt.id} signed sequence 3, but the ledger ends at 2: entries were removed`);
      // Editing the stored checkpoint to match breaks its signature instead.
      const head = await s.statements.head(x.committee.id);
      await (await testOwnerKnex()).transaction(async (trx) => {
        await trx.raw("set local session_replication_role = replica");
        const row = await trx("checkpoints").where({ id: ckpt.id }).first();
        const payload = JSON.parse(row.payload);
        payload.ledger = { sequence: 2, hash: head.hash };
        await trx("checkpoints").where({ id: ckpt.id }).update({ payload: canonicalJson(payload) });
      });
      expect((await s.verify(x.committee.id)).reason).to.equal(`checkpoint #${ckpt.id}: its signature does not match its contents`);
    });

    it("are signed at each period close", async () => {
      const other = await makeCommittee(s, "Ủy ban MTTQ xã thử khóa sổ");
      const res = await request(app).post("/api/v1/periods").set("Authorization", `Bearer ${other.tokens.approver}`)
        .set("Idempotency-Key", uniqueCode("close")).send({ through: "2001-06-30" }).expect(201);
      const list = await request(app).get(`/api/v1/public/committees/${other.committee.code}/checkpoints`).expect(200);
      expect(list.body.items).to.have.length(1);
      expect(list.body.items[0].payload).to.include({ reason: "period_close", periodThrough: "2001-06-30" });
      expect(res.body.id).to.be.a("number");
    });
  });
});

function sorted<T extends { campaignId: number; metric: string; key: string }>(rows: T[]): T[] {
  return rows.filter((r: any) => r.amountDong !== 0n || r.n !== 0n || r.quantity !== "0")
    .sort((a, b) => `${a.campaignId}|${a.metric}|${a.key}`.localeCompare(`${b.campaignId}|${b.metric}|${b.key}`));
}

async function rejects(p: PromiseLike<unknown>, pattern: RegExp): Promise<void> {
  try {
    await p;
  } catch (error) {
    expect(String((error as Error).message)).to.match(pattern);
    return;
  }
  expect.fail(`expected a refusal matching ${pattern}`);
}

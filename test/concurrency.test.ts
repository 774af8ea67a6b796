import { expect } from "chai";
import { openDatabase } from "../src/db/connect.js";
import { type Soquy, wire } from "../src/context.js";
import { LedgerError } from "../src/ledger/codes.js";
import type { DisbursementInput, DonationInput, WriteMeta } from "../src/ledger/service.js";
import type { Campaign, Principal } from "../src/ledger/types.js";
import { verifyChain } from "../src/ledger/verify.js";
import type { WriteResult } from "../src/ledger/writer.js";
import { ledgerFixture, makeCommittee, meta, testSoquy, type LedgerFixture } from "./support/db.js";

// Real concurrency through the Ledger: many requests in flight at once
// (Promise.all), on one committee, checked afterwards against the database.

const DAY = "2025-03-10";
const YEAR = 2025;

type Fixture = LedgerFixture;

function fixture(code = "VNN"): Promise<Fixture> {
  return ledgerFixture(code, "2024-01-01", "Quỹ thường xuyên, nhận ủng hộ quanh năm");
}

function donation(f: Fixture, input: Partial<DonationInput> & Pick<DonationInput, "amountDong">, m: WriteMeta = meta(), s: Soquy = f.s): Promise<WriteResult> {
  return s.ledger.recordDonation(f.p, f.c.code, {
    receivedOn: DAY,
    method: "cash",
    donor: { name: "Nguyễn Văn An", kind: "individual", publishName: true },
    ...input,
  }, m);
}

function disbursement(f: Fixture, i: number, input: Partial<DisbursementInput> & Pick<DisbursementInput, "amountDong">, s: Soquy = f.s): Promise<WriteResult> {
  return s.ledger.recordDisbursement(f.p, f.c.code, {
    paidOn: DAY,
    method: "cash",
    beneficiary: { name: `Hộ gia đình số ${i}`, category: "poor", area: "Tổ 5, phường An Hòa" },
    purpose: "gift_package",
    quantity: "1",
    unit: "suất",
    ...input,
  }, meta());
}

function codeOf(outcome: PromiseSettledResult<WriteResult>): string {
  if (outcome.status === "fulfilled") return "ok";
  const e = outcome.reason as { code?: string; message?: string };
  return e instanceof LedgerError ? e.code : `db:${e.code ?? e.message}`;
}

async function sequences(f: Fixture): Promise<number[]> {
  const { rows } = await f.s.db.knex.raw("select seq from journal_entries where committee_id = ? order by seq", [f.committeeId]);
  return rows.map((r: { seq: string }) => Number(r.seq));
}

async function voucherNumbers(f: Fixture, series: "PT" | "PC", year = YEAR): Promise<{ number: number; voucher_no: string; entry_id: string }[]> {
  const { rows } = await f.s.db.knex.raw(
    `select v.number, v.voucher_no, v.entry_id from vouchers v join receipt_books b on b.id = v.book_id
      where v.committee_id = ? and b.series = ? and v.year = ? order by v.number`,
    [f.committeeId, series, year],
  );
  return rows;
}

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const oneTo = (n: number) => Array.from({ length: n }, (_, i) => i + 1);
const voucherNo = (series: string, n: number, year = YEAR) => `${series}-${year}-${String(n).padStart(6, "0")}`;

/** The cash account's balance after each entry, in chain order. */
async function runningCash(f: Fixture): Promise<bigint[]> {
  const { rows } = await f.s.db.knex.raw(
    `select e.seq, coalesce(sum(p.amount_dong), 0)::text as delta from journal_entries e
       left join postings p on p.entry_id = e.id and p.account_id = ?
      where e.committee_id = ? group by e.seq order by e.seq`,
    [f.c.accounts.cash.id, f.committeeId],
  );
  let held = 0n;
  return rows.map((r: { delta: string }) => (held += BigInt(r.delta)));
}

async function cashHeld(f: Fixture): Promise<bigint> {
  const { rows } = await f.s.db.knex.raw("select balance_dong from account_balances where account_id = ?", [f.c.accounts.cash.id]);
  return rows[0] ? BigInt(rows[0].balance_dong) : 0n;
}

describe("concurrent writers through the Ledger", function () {
  this.timeout(60_000);

  it("20 concurrent disbursements from a campaign that can pay only some: exactly those succeed, gap-free", async () => {
    const f = await fixture();
    await donation(f, { amountDong: "1000000" });
    const outcomes = await Promise.allSettled(oneTo(20).map((i) => disbursement(f, i, { amountDong: "150000" })));
    const codes = outcomes.map(codeOf);
    expect(codes.filter((c) => c === "ok")).to.have.length(6); // 6 × 150 000 ≤ 1 000 000 < 7 × 150 000
    expect(codes.filter((c) => c !== "ok")).to.deep.equal(Array(14).fill("insufficient_campaign_balance"));
    expect(await cashHeld(f)).to.equal(100_000n);
    const running = await runningCash(f);
    expect(running.at(-1)).to.equal(100_000n);
    for (const held of running) expect(held >= 0n, `balance ${held} never goes below 0`).to.equal(true);
    expect(await sequences(f)).to.deep.equal(oneTo(7));
    const paid = outcomes.flatMap((o) => (o.status === "fulfilled" ? [o.value.entry] : []));
    const pc = await voucherNumbers(f, "PC");
    expect(pc.map((v) => v.number)).to.deep.equal(oneTo(6));
    expect(pc.map((v) => v.voucher_no)).to.deep.equal(oneTo(6).map((n) => voucherNo("PC", n)));
    expect(new Set(pc.map((v) => v.entry_id))).to.deep.equal(new Set(paid.map((e) => e.id)));
    expect(paid.map((e) => e.receiptNumber).sort()).to.deep.equal(pc.map((v) => v.voucher_no));
    expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 7, headSeq: 7 });
  });

  it("donations and disbursements racing each other: cash never below 0 in chain order, gap-free", async () => {
    const f = await fixture();
    const jobs = [
      ...oneTo(30).map((i) => () => donation(f, { amountDong: "100000", donor: { name: `Nhà hảo tâm ${i}`, kind: "individual", publishName: true } })),
      ...oneTo(30).map((i) => () => disbursement(f, i, { amountDong: "150000" })),
    ];
    // A fixed interleaving (no Math.random: the run must repeat).
    const order = jobs.map((_, i) => i).sort((a, b) => ((a * 37) % 61) - ((b * 37) % 61));
    const outcomes = await Promise.allSettled(order.map((i) => jobs[i]!()));
    const byJob = new Map(order.map((job, k) => [job, codeOf(outcomes[k]!)]));
    const donations = oneTo(30).map((i) => byJob.get(i - 1));
    const payments = oneTo(30).map((i) => byJob.get(29 + i)!);
    expect(donations.every((c) => c === "ok")).to.equal(true);
    expect(payments.filter((c) => c !== "ok").every((c) => c === "insufficient_campaign_balance")).to.equal(true);
    const paid = payments.filter((c) => c === "ok").length;
    expect(paid).to.be.within(1, 20);
    const running = await runningCash(f);
    for (const held of running) expect(held >= 0n, `balance ${held} never goes below 0`).to.equal(true);
    expect(running.at(-1)).to.equal(3_000_000n - 150_000n * BigInt(paid));
    expect(await cashHeld(f)).to.equal(running.at(-1));
    expect(await sequences(f)).to.deep.equal(oneTo(30 + paid));
    expect((await voucherNumbers(f, "PT")).map((v) => v.number)).to.deep.equal(oneTo(30));
    expect((await voucherNumbers(f, "PC")).map((v) => v.number)).to.deep.equal(oneTo(paid));
    expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 30 + paid });
  });

  it("5 concurrent reversals of one entry: exactly one is recorded", async () => {
    const f = await fixture();
    const gift = await donation(f, { amountDong: "300000" });
    await donation(f, { amountDong: "1000000" });
    const outcomes = await Promise.allSettled(oneTo(5).map((i) =>
      f.s.ledger.reverse(f.p, gift.entry.id, { reason: `Ghi nhầm, lần ${i}`, entryDate: DAY }, meta())));
    expect(outcomes.map(codeOf).sort()).to.deep.equal(["entry_already_reversed", "entry_already_reversed", "entry_already_reversed", "entry_already_reversed", "ok"]);
    expect(await cashHeld(f)).to.equal(1_000_000n);
    expect(await sequences(f)).to.deep.equal(oneTo(3));
    expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 3 });
  });

  it("200 concurrent cash donations over two years: sequences and PT numbers gap-free, each used once", async () => {
    const f = await fixture();
    const dates = ["2024-12-31", "2025-01-02"];
    const results = await Promise.all(oneTo(200).map((i) =>
      donation(f, { amountDong: String(1000 * i), receivedOn: dates[i % 2]!, donor: { name: `Nhà hảo tâm ${i}`, kind: "individual", publishName: true } })));
    expect(results.every((r) => !r.replayed)).to.equal(true);
    expect(new Set(results.map((r) => r.entry.id)).size).to.equal(200);
    expect(results.map((r) => r.entry.sequence).sort((a, b) => a - b)).to.deep.equal(oneTo(200));
    expect(await sequences(f)).to.deep.equal(oneTo(200));
    for (const year of [2024, 2025]) {
      const pt = await voucherNumbers(f, "PT", year);
      expect(pt.map((v) => v.number)).to.deep.equal(oneTo(100));
      expect(pt.map((v) => v.voucher_no)).to.deep.equal(oneTo(100).map((n) => voucherNo("PT", n, year)));
      const mine = results.filter((r) => r.entry.entryDate.startsWith(String(year)));
      expect(mine.map((r) => r.entry.receiptNumber).sort()).to.deep.equal(pt.map((v) => v.voucher_no));
      expect(new Set(pt.map((v) => v.entry_id)).size).to.equal(100);
    }
    // Receipt numbers follow the chain within each year.
    for (const year of ["2024", "2025"]) {
      const inChain = results.filter((r) => r.entry.entryDate.startsWith(year)).sort((a, b) => a.entry.sequence - b.entry.sequence);
      expect(inChain.map((r) => r.entry.receiptNumber)).to.deep.equal(oneTo(100).map((n) => voucherNo("PT", n, Number(year))));
    }
    expect(await cashHeld(f)).to.equal(BigInt(1000 * 200 * 201 / 2));
    expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 200 });
  });

  it("10 concurrent submits with one Idempotency-Key and request hash make one entry; another hash is refused", async () => {
    const f = await fixture();
    const m = meta("double");
    const results = await Promise.all(oneTo(10).map(() => donation(f, { amountDong: "300000" }, m)));
    const ids = new Set(results.map((r) => r.entry.id));
    expect(ids.size).to.equal(1);
    expect(results.filter((r) => !r.replayed)).to.have.length(1);
    expect(results.filter((r) => r.replayed)).to.have.length(9);
    for (const r of results) expect(r.entry).to.deep.equal(results.find((x) => !x.replayed)!.entry);
    const reused = await donation(f, { amountDong: "300000" }, { idempotencyKey: m.idempotencyKey, requestHash: meta().requestHash })
      .then(() => null, (e: unknown) => e);
    expect(reused).to.be.instanceOf(LedgerError);
    expect((reused as LedgerError).code).to.equal("idempotency_key_reused");
    const { rows } = await f.s.db.knex.raw("select count(*)::int as n from journal_entries where committee_id = ? and idempotency_key = ?", [f.committeeId, m.idempotencyKey]);
    expect(rows[0].n).to.equal(1);
    expect(await sequences(f)).to.deep.equal([1]);
    expect((await voucherNumbers(f, "PT")).map((v) => v.number)).to.deep.equal([1]);
    expect(await cashHeld(f)).to.equal(300_000n);
  });

  it("one Idempotency-Key sent concurrently with two different request hashes: one entry, the other hash is refused", async () => {
    const f = await fixture();
    const key = meta("race").idempotencyKey;
    const hashes = [meta().requestHash, meta().requestHash];
    const outcomes = await Promise.allSettled(oneTo(10).map((i) =>
      donation(f, { amountDong: String(100000 * ((i % 2) + 1)) }, { idempotencyKey: key, requestHash: hashes[i % 2]! })));
    const { rows } = await f.s.db.knex.raw("select request_hash, entry_id from idempotency_keys where committee_id = ? and key = ?", [f.committeeId, key]);
    expect(rows).to.have.length(1);
    const winner = rows[0] as { request_hash: string; entry_id: string };
    outcomes.forEach((o, j) => {
      const i = j + 1;
      if (hashes[i % 2] === winner.request_hash) {
        expect(o.status, `request ${i}`).to.equal("fulfilled");
        expect((o as PromiseFulfilledResult<WriteResult>).value.entry.id).to.equal(winner.entry_id);
      } else {
        expect(codeOf(o), `request ${i}`).to.equal("idempotency_key_reused");
      }
    });
    expect(await sequences(f)).to.deep.equal([1]);
  });

  it("a batch with bad requests does not sink the good ones sent with it", async () => {
    const f = await fixture();
    await donation(f, { amountDong: "1000000" });
    await donation(f, { method: "bank", amountDong: "500000", bankAccount: "0071000123456", bankReference: "FT-DUP-1" });
    // The first request goes alone; the rest queue behind it and commit as one batch.
    const requests: [string, () => Promise<WriteResult>][] = [
      ["ok", () => donation(f, { amountDong: "10000" })],
      ["ok", () => donation(f, { amountDong: "20000" })],
      ["bank_reference_duplicate", () => donation(f, { method: "bank", amountDong: "1", bankAccount: "0071000123456", bankReference: "FT-DUP-1" })],
      ["ok", () => disbursement(f, 1, { amountDong: "400000" })],
      ["insufficient_campaign_balance", () => disbursement(f, 2, { amountDong: "5000000" })],
      // Passes every check in the Ledger (the HTTP layer would refuse it), refused by PostgreSQL
      // (text cannot hold NUL): the whole batch's transaction fails and each request is retried alone.
      ["refused", () => donation(f, { amountDong: "30000", description: "Ủng hộ\u0000" })],
      ["ok", () => donation(f, { method: "bank", amountDong: "40000", bankAccount: "0071000123456", bankReference: "FT-NEW-1" })],
      ["ok", () => disbursement(f, 3, { amountDong: "300000" })],
      ["insufficient_campaign_balance", () => disbursement(f, 4, { amountDong: "2000000" })],
      ["ok", () => donation(f, { amountDong: "50000" })],
    ];
    const outcomes = await Promise.allSettled(requests.map(([, run]) => run()));
    const codes = outcomes.map(codeOf);
    requests.forEach(([expected], i) => {
      if (expected === "refused") {
        expect(codes[i], `request ${i}`).to.not.equal("ok");
        expect(codes[i]).to.match(/^db:/);
      } else {
        expect(codes[i], `request ${i}`).to.equal(expected);
      }
    });
    // Two same-reference transfers in one batch: one is recorded, the other is the duplicate.
    const twins = await Promise.allSettled([
      donation(f, { amountDong: "60000" }),
      donation(f, { method: "bank", amountDong: "70000", bankAccount: "0071000123456", bankReference: "FT-TWIN" }),
      donation(f, { method: "bank", amountDong: "70000", bankAccount: "0071000123456", bankReference: "FT-TWIN" }),
    ]);
    expect(twins.map(codeOf).sort()).to.deep.equal(["bank_reference_duplicate", "ok", "ok"]);
    const okCount = codes.filter((c) => c === "ok").length + 2;
    expect(await sequences(f)).to.deep.equal(oneTo(2 + okCount));
    expect((await voucherNumbers(f, "PT")).map((v) => v.number)).to.deep.equal(oneTo(5));
    expect((await voucherNumbers(f, "PC")).map((v) => v.number)).to.deep.equal(oneTo(2));
    expect(await cashHeld(f)).to.equal(1_000_000n + 10_000n + 20_000n - 400_000n - 300_000n + 50_000n + 60_000n);
    expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 2 + okCount });
  });

  it("two server processes (two Ledgers, two pools) writing to one committee make one gap-free chain [PostgreSQL]", async function () {
    const url = process.env.TEST_DATABASE_URL;
    if (!url) this.skip();
    const f = await fixture();
    const a = wire(await openDatabase({ databaseUrl: url }));
    const b = wire(await openDatabase({ databaseUrl: url }));
    try {
      const servers = [a, b];
      // Donations from both, in staggered waves so that many batches of the two interleave.
      const gifts = await Promise.all(oneTo(60).map(async (i) => {
        await delay((i % 6) * 4);
        return donation(f, { amountDong: "50000", donor: { name: `Nhà hảo tâm ${i}`, kind: "individual", publishName: true } }, meta(), servers[i % 2]!);
      }));
      expect(new Set(gifts.map((g) => g.entry.id)).size).to.equal(60);
      expect(await sequences(f)).to.deep.equal(oneTo(60));
      expect((await voucherNumbers(f, "PT")).map((v) => v.number)).to.deep.equal(oneTo(60));
      // 3 000 000 in cash; 20 payments of 200 000 race across both processes: exactly 15 fit.
      const payments = await Promise.allSettled(oneTo(20).map(async (i) => {
        await delay((i % 4) * 3);
        return disbursement(f, i, { amountDong: "200000" }, servers[i % 2]!);
      }));
      const codes = payments.map(codeOf);
      expect(codes.filter((c) => c === "ok")).to.have.length(15);
      expect(codes.filter((c) => c !== "ok")).to.deep.equal(Array(5).fill("insufficient_campaign_balance"));
      expect(await cashHeld(f)).to.equal(0n);
      for (const held of await runningCash(f)) expect(held >= 0n).to.equal(true);
      // One key, both processes, at once: one entry.
      const m = meta("two-servers");
      const doubles = await Promise.all(oneTo(10).map((i) => donation(f, { amountDong: "70000" }, m, servers[i % 2]!)));
      expect(new Set(doubles.map((d) => d.entry.id)).size).to.equal(1);
      expect(doubles.filter((d) => !d.replayed)).to.have.length(1);
      // One bank transfer recorded by both processes at once: once.
      const transfers = await Promise.allSettled(servers.map((s) =>
        donation(f, { method: "bank", amountDong: "80000", bankAccount: "0071000123456", bankReference: "FT-BOTH-1" }, meta(), s)));
      expect(transfers.map(codeOf).sort()).to.deep.equal(["bank_reference_duplicate", "ok"]);
      expect(await sequences(f)).to.deep.equal(oneTo(77));
      expect((await voucherNumbers(f, "PT")).map((v) => v.number)).to.deep.equal(oneTo(61));
      expect((await voucherNumbers(f, "PC")).map((v) => v.number)).to.deep.equal(oneTo(15));
      for (const s of [f.s, a, b]) {
        expect(await verifyChain(s.store, f.committeeId)).to.include({ ok: true, checked: 77, headSeq: 77 });
      }
    } finally {
      await a.close();
      await b.close();
    }
  });
});

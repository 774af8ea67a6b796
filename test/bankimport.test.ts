import { expect } from "chai";
import { createReadStream, readFileSync } from "node:fs";
import { Readable } from "node:stream";
import { importStatement, type ImportSummary } from "../src/db/bankimports.js";
import { LedgerError } from "../src/ledger/codes.js";
import { verifyChain } from "../src/ledger/verify.js";
import { makeCommittee, meta, testOwnerKnex, testSoquy, uniqueCode, type TestCommittee } from "./support/db.js";
import type { Soquy } from "../src/context.js";
import type { Campaign } from "../src/ledger/types.js";
import { sampleFacts, sampleFile } from "./support/bank.js";

// Bank statements in: the three sample layouts from real 2024 statements
// imported on a real database, re-imported, overlapped, tampered with and
// malformed; every answer checked against the ledger's own rows.

interface Books {
  s: Soquy;
  tc: TestCommittee;
  campaign: Campaign;
}

async function books(): Promise<Books> {
  const s = await testSoquy();
  const tc = await makeCommittee(s, "Ban Vận động cứu trợ (thử)");
  const code = uniqueCode("YAGI").toUpperCase();
  await s.ledger.createCampaign(tc.principals.treasurer, { code, name: "Ủng hộ đồng bào bị bão số 3", kind: "relief", startsOn: "2024-09-01" }, meta());
  return { s, tc, campaign: await s.ledger.campaign(tc.committee.id, code) };
}

function run(b: Books, input: AsyncIterable<Buffer | string>, o: { layout: string; account: string; opening?: bigint | null }): Promise<ImportSummary> {
  return importStatement(b.s.db.knex, {
    committee: b.tc.committee, campaign: b.campaign, bankAccountNo: o.account, layout: o.layout, openingDong: o.opening ?? null,
    recordedBy: b.tc.principals.treasurer.tokenId, input,
  });
}

const text = (s: string) => Readable.from([Buffer.from(s, "utf8")]);

async function counts(b: Books) {
  const { rows } = await b.s.db.knex.raw(`select
      (select count(*) from journal_entries where committee_id = :c)::int as entries,
      (select count(*) from bank_lines where committee_id = :c)::int as lines,
      (select count(*) from bank_imports where committee_id = :c)::int as imports,
      (select count(*) from donors where committee_id = :c)::int as donors`, { c: b.tc.committee.id });
  return rows[0] as { entries: number; lines: number; imports: number; donors: number };
}

async function refused(p: Promise<unknown>): Promise<LedgerError> {
  try {
    await p;
  } catch (error) {
    if (error instanceof LedgerError) return error;
    throw error;
  }
  throw new Error("the import was not refused");
}

function csvLines(name: string): { header: string; records: string[] } {
  // Records as the file has them (quoted memos over several lines stay one record).
  const raw = readFileSync(sampleFile(name), "utf8");
  const out: string[] = [];
  let cur = "";
  let quotes = 0;
  for (const line of raw.split("\n")) {
    cur = cur === "" ? line : `${cur}\n${line}`;
    quotes += (line.match(/"/g) ?? []).length;
    if (quotes % 2 === 0) {
      if (cur !== "") out.push(cur);
      cur = "";
      quotes = 0;
    }
  }
  return { header: out[0]!, records: out.slice(1) };
}

describe("bank statement import", () => {
  for (const name of ["vcb", "agribank", "vietinbank"] as const) {
    it(`imports the ${name} sample with every balance assertion passing, and a re-import adds nothing`, async () => {
      const b = await books();
      const f = sampleFacts[name];
      const first = await run(b, createReadStream(sampleFile(name)), { layout: name, account: f.account, opening: f.opening });
      expect(first).to.include({ linesRead: f.lines, balanceChecks: f.checks, fees: f.fees, alreadyPresent: 0, matched: 0, toClassify: 0 });
      expect(first.recorded).to.equal(f.lines);
      expect(first.closingDong).to.equal(f.closing.toString());
      const after = await counts(b);
      expect(after.entries).to.equal(f.lines);
      expect(after.lines).to.equal(f.lines);
      const report = await verifyChain(b.s.store, b.tc.committee.id);
      expect(report, report.reason ?? "").to.include({ ok: true, checked: f.lines });
      // The campaign's bank account holds what the statement moved: closing − opening.
      const [bal] = await b.s.store.balancesAsOf(b.tc.committee.id, null, b.campaign.accounts.bank.id);
      expect(bal!.balanceDong).to.equal(f.closing - f.opening);

      const again = await run(b, createReadStream(sampleFile(name)), { layout: name, account: f.account, opening: f.opening });
      expect(again).to.include({ linesRead: f.lines, recorded: 0, alreadyPresent: f.lines, balanceChecks: f.checks, fees: 0 });
      expect((await counts(b)).entries).to.equal(f.lines);
      expect((await verifyChain(b.s.store, b.tc.committee.id)).ok).to.equal(true);
    });
  }

  it("lists a debit that is not a bank fee for a treasurer to classify, with no entry, and each recorded line names its entry", async () => {
    const b = await books();
    const header = "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails";
    const file = [header,
      "1,01/09/2024,5001.10001,,500.000,,MBVCB.6900235838.NGUYEN VAN AN ung ho dong bao.CT tu 7089080942 NGUYEN VAN AN toi 0011009990001",
      "1,01/09/2024,5001.10002,200.000,,,CHUYEN TIEN HO TRO XA TAN PHU",
      "1,01/09/2024,9915.62925,5.500,,1.000.294.500,THU PHI DICH VU SMS CHU DONG THANG 08/2024",
      "1,02/09/2024,5001.10003,,100.000,1.000.394.500,CT nhanh 247 den: LE THI MAI ung ho"].join("\n") + "\n";
    const o = { layout: "vcb", account: "0011009990001", opening: 1_000_000_000n };
    const first = await run(b, text(file), o);
    expect(first).to.include({ linesRead: 4, recorded: 3, donations: 2, fees: 1, toClassify: 1, alreadyPresent: 0, balanceChecks: 2 });
    const lines = await b.s.db.knex("bank_lines as l").leftJoin("journal_entries as e", "e.id", "l.entry_id")
      .where({ "l.committee_id": b.tc.committee.id }).orderBy("l.line_no")
      .select("l.line_no", "l.kind", "l.import_id", "l.matched", "e.idempotency_key", b.s.db.knex.raw("encode(l.line_key, 'hex') as key"));
    expect(lines.map((l) => [l.line_no, l.kind, l.matched])).to.deep.equal([[2, "donation", false], [3, "to_classify", false], [4, "fee", false], [5, "donation", false]]);
    for (const l of lines) {
      expect(Number(l.import_id)).to.equal(first.id);
      expect(l.idempotency_key).to.equal(l.kind === "to_classify" ? null : `bank-line:${l.key}`);
    }
    const again = await run(b, text(file), o);
    expect(again).to.include({ linesRead: 4, recorded: 0, alreadyPresent: 4, toClassify: 0 });
    expect(await counts(b)).to.include({ entries: 3, lines: 4, imports: 2 });
  });

  it("keeps an import's row as it was once committed: only the import's own transaction fills in what it found", async () => {
    const b = await books();
    const f = sampleFacts.vcb;
    const done = await run(b, createReadStream(sampleFile("vcb")), { layout: "vcb", account: f.account, opening: f.opening });
    const sqlState = async (p: Promise<unknown>) => p.then(() => "ok", (e: { code?: string }) => e.code ?? String(e));
    const c = b.tc.committee.id;
    // As the owner: the service's role may not DELETE at all (privileges.test.ts), the rule holds for the owner too.
    const owner = await testOwnerKnex();
    expect(await sqlState(owner.raw("update bank_imports set recorded = recorded + 1 where committee_id = ?", [c]))).to.equal("SQ010");
    expect(await sqlState(owner.raw("delete from bank_imports where committee_id = ?", [c]))).to.equal("SQ010");
    // A row this transaction wrote (even in a savepoint) may be completed; the committed one still may not.
    let seen: { own: string; updated: number; committed: string } | null = null;
    await b.s.db.knex.transaction(async (trx) => {
      const copy = `insert into bank_imports (committee_id, bank_account_id, campaign_id, layout, recorded_by, file_sha256, lines_read, recorded,
          already_present, matched, fees, to_classify, balance_checks, started_at, finished_at)
        select committee_id, bank_account_id, campaign_id, layout, recorded_by, file_sha256, 0, 0, 0, 0, 0, 0, 0, started_at, finished_at
        from bank_imports where id = ? returning id`;
      const mine = (await trx.raw(copy, [done.id])).rows[0].id;
      const inSavepoint = await trx.transaction(async (sp) => (await sp.raw(copy, [done.id])).rows[0].id);
      const own = await sqlState(trx.raw("update bank_imports set recorded = 7 where id in (?, ?)", [mine, inSavepoint]));
      const { rows } = await trx.raw("select count(*)::int as n from bank_imports where id in (?, ?) and recorded = 7", [mine, inSavepoint]);
      const committed = await sqlState(trx.transaction((sp) => sp.raw("update bank_imports set recorded = 7 where id = ?", [done.id])));
      seen = { own, updated: rows[0].n, committed };
      throw new Error("roll back");
    }).catch((e: Error) => {
      if (e.message !== "roll back") throw e;
    });
    expect(seen).to.deep.equal({ own: "ok", updated: 2, committed: "SQ010" });
    expect(await counts(b)).to.include({ imports: 1 });
    const [row] = await b.s.db.knex("bank_imports").where({ committee_id: c });
    expect(row).to.include({ recorded: f.lines, lines_read: f.lines, balance_checks: f.checks });
  });

  it("keeps donor names from the memo shapes, the raw memo, and 'không rõ' where the memo names no one", async () => {
    const b = await books();
    await run(b, createReadStream(sampleFile("vcb")), { layout: "vcb", account: sampleFacts.vcb.account, opening: sampleFacts.vcb.opening });
    const rows = (await b.s.db.knex("donations").where({ committee_id: b.tc.committee.id }).select("donor_name", "donor_kind", "note", "bank_account", "bank_reference"));
    const byMemo = new Map(rows.map((r) => [r.note as string, r]));
    const mbvcb = byMemo.get("MBVCB.6900235838.DANG QUANG LAN ung ho dong bao bi bao lu.CT tu 7089080942 DANG QUANG LAN toi 0011009990001 MAT TRAN TO QUOC PHUONG THU");
    expect(mbvcb).to.include({ donor_name: "DANG QUANG LAN", donor_kind: "individual", bank_account: "0011009990001", bank_reference: null });
    expect(byMemo.get("CKSOTAIKHOAN 773999824558984 LY THI GIANG chuyen tien tu Viettel Money 84931948167 0011009990001")).to.include({ donor_name: "LY THI GIANG" });
    expect(byMemo.get("362224.010924.94383.ung ho dong bao bi bao lu FT24255987477473")).to.include({ donor_name: "không rõ", donor_kind: "anonymous" });
    const fee = await b.s.db.knex("journal_entries as e").join("bank_lines as l", "l.entry_id", "e.id")
      .where({ "e.committee_id": b.tc.committee.id, "l.kind": "fee" }).first("e.kind", "e.description", "l.amount_dong");
    expect(fee).to.include({ kind: "general", amount_dong: "55000" });
    expect(fee.description).to.match(/^Phí ngân hàng số 9915\.62925 ngày 09\/09\/2024/);
  });

  it("adds only the new lines of a second statement that overlaps the first, its opening taken from what is recorded", async () => {
    const b = await books();
    const { header, records } = csvLines("vcb");
    const day = (r: string) => r.split(",")[1]!;
    const firstPart = records.filter((r) => day(r) <= "06/09/2024");
    const secondPart = records.filter((r) => day(r) >= "05/09/2024");
    const f = sampleFacts.vcb;
    const a = await run(b, text([header, ...firstPart].join("\n") + "\n"), { layout: "vcb", account: f.account, opening: f.opening });
    expect(a.recorded).to.equal(firstPart.length);
    const second = await run(b, text([header, ...secondPart].join("\n") + "\n"), { layout: "vcb", account: f.account });
    const overlap = secondPart.filter((r) => day(r) <= "06/09/2024").length;
    expect(second).to.include({ linesRead: secondPart.length, alreadyPresent: overlap, recorded: secondPart.length - overlap });
    expect(second.balanceChecks).to.equal(6);
    expect(second.closingDong).to.equal(f.closing.toString());
    expect((await counts(b)).entries).to.equal(records.length);
    expect((await verifyChain(b.s.store, b.tc.committee.id)).ok).to.equal(true);
  });

  it("refuses a tampered balance naming the line and the difference, and writes nothing", async () => {
    const b = await books();
    const { header, records } = csvLines("agribank");
    const tampered = [...records];
    tampered[499] = tampered[499]!.replace(/"([\d,]+)",(\r?)$/, (_m, bal: string, cr: string) => `"${(BigInt(bal.replaceAll(",", "")) + 1000n).toLocaleString("en-US")}",${cr}`);
    expect(tampered[499]).not.to.equal(records[499]);
    const before = await counts(b);
    const e = await refused(run(b, text([header, ...tampered].join("\n")), { layout: "agribank", account: sampleFacts.agribank.account, opening: sampleFacts.agribank.opening }));
    expect(e.code).to.equal("balance_assertion_failed");
    expect(e.message).to.match(/^line 501: /).and.to.contain("difference +1000 đồng");
    expect(await counts(b)).to.deep.equal(before);
    expect((await b.s.db.knex("bank_accounts").where({ committee_id: b.tc.committee.id }).first("opening_date"))?.opening_date ?? null).to.equal(null);
  });

  it("refuses a problem at the end of a long statement after pages were already posted, and writes nothing", async () => {
    // 6,000 lines are three chunks: the first two are posted (inside the transaction) before the last line is read.
    const b = await books();
    const n = 6_000;
    const lines = Array.from({ length: n }, (_, i) => `1,02/09/2024,5078.${i},,10.000,,NGUYEN VAN AN ung ho lan ${i}`);
    const header = "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails";
    const withLast = (last: string) => [header, ...lines, last].join("\n");
    const account = "0011009990001";
    const closing = 10_000n * BigInt(n + 1);
    const dots = (v: bigint) => v.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    const malformed = await refused(run(b, text(withLast("1,31/02/2024,5078.x,,10.000,,ung ho")), { layout: "vcb", account, opening: 0n }));
    expect(malformed.code).to.equal("bank_file_malformed");
    expect(malformed.message).to.match(new RegExp(`^line ${n + 2}: "31/02/2024" is not a date`));
    expect(await counts(b)).to.include({ entries: 0, lines: 0, imports: 0, donors: 0 });
    const tampered = await refused(run(b, text(withLast(`1,02/09/2024,5078.x,,10.000,${dots(closing + 1n)},ung ho`)), { layout: "vcb", account, opening: 0n }));
    expect(tampered.code).to.equal("balance_assertion_failed");
    expect(tampered.message).to.match(new RegExp(`^line ${n + 2}: `)).and.to.contain("difference +1 đồng");
    expect(await counts(b)).to.include({ entries: 0, lines: 0, imports: 0, donors: 0 });
    const ok = await run(b, text(withLast(`1,02/09/2024,5078.x,,10.000,${dots(closing)},ung ho`)), { layout: "vcb", account, opening: 0n });
    expect(ok).to.include({ linesRead: n + 1, recorded: n + 1, balanceChecks: 1, closingDong: closing.toString() });
    expect(await counts(b)).to.include({ entries: n + 1, lines: n + 1, imports: 1 });
    expect((await verifyChain(b.s.store, b.tc.committee.id)).ok).to.equal(true);
  });

  it("refuses a wrong opening balance at the first printed balance", async () => {
    const b = await books();
    const e = await refused(run(b, createReadStream(sampleFile("vcb")), { layout: "vcb", account: sampleFacts.vcb.account }));
    expect(e.code).to.equal("balance_assertion_failed");
    expect(e.message).to.match(/^line 30: /).and.to.contain(`difference +${sampleFacts.vcb.opening} đồng`);
    expect((await counts(b)).entries).to.equal(0);
  });

  it("refuses malformed files with the line number and the reason", async () => {
    const b = await books();
    const { header, records } = csvLines("vcb");
    const account = sampleFacts.vcb.account;
    const cases: [string, string, RegExp][] = [
      ["vcb", [header, records[1], records[0]!.replace(",6.000,", ",6.0000,"), ...records.slice(2)].join("\n"), /^line 3: "6.0000" in column Credit is not an amount/],
      ["vcb", [header, records[0], records[1]!.replace("01/09/2024", "31/09/2024")].join("\n"), /^line 3: "31\/09\/2024" is not a date/],
      ["vcb", [header, records[0], records[1]!.replace(",,6.000,", ",6.000,6.000,")].join("\n"), /^line 3: both Debit and Credit have an amount/],
      ["vcb", [header, records[0], `${records[1]},extra`].join("\n"), /^line 3: not CSV of the vcb layout/],
      ["vcb", readFileSync(sampleFile("agribank"), "utf8"), /^line 1: the header is "PageId,Date,Time/],
      ["agribank", readFileSync(sampleFile("vcb"), "utf8"), /^line 1: the header is "PageId,TNXDate/],
      ["vcb", [header, records[40], records[0]].join("\n"), /^line 3: the date 2024-09-01 is before 2024-09-02/],
      ["vcb", "", /^line 1: the file is empty/],
    ];
    for (const [layout, body, reason] of cases) {
      const e = await refused(run(b, text(body), { layout, account, opening: 0n }));
      expect(e.code, e.message).to.equal("bank_file_malformed");
      expect(e.message).to.match(reason);
    }
    const unknown = await refused(run(b, text("a,b\n"), { layout: "sacombank", account }));
    expect(unknown.code).to.equal("bank_layout_unknown");
    expect((await counts(b)).entries).to.equal(0);
  });

  it("refuses a fee the campaign's bank account cannot pay yet, naming the rule, and writes nothing", async () => {
    const b = await books();
    const file = "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails\n" +
      "1,02/09/2024,9915.1,55.000,,,THU PHI DICH VU SMS THANG 08/2024\n1,02/09/2024,5078.2,,10.000,,ung ho\n";
    const e = await refused(run(b, text(file), { layout: "vcb", account: "0011009990001", opening: 100000n }));
    expect(e.code).to.equal("insufficient_campaign_balance");
    expect(await counts(b)).to.include({ entries: 0, lines: 0, imports: 0 });
  });

  it("refuses a transfer outside the receiving window, or a line in a closed period, naming the line, and writes nothing", async () => {
    const header = "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails";
    const account = "0011009990001";
    // 90 days from 1 September close the window on 30 November; line 4 is dated 15 December.
    const late = [header, "1,02/09/2024,5078.1,,10.000,,ung ho", "1,03/09/2024,5078.2,,20.000,,ung ho", "1,15/12/2024,5078.3,,30.000,,ung ho"].join("\n");
    const b = await books();
    const streamed = await refused(run(b, text(late), { layout: "vcb", account, opening: 0n }));
    expect(streamed.code).to.equal("donation_outside_receiving_window");
    expect(streamed.message).to.match(/^line 4: a transfer dated 2024-12-15 is outside campaign .+ receiving window \(2024-09-01 to 2024-11-30\)/);
    expect(await counts(b)).to.include({ entries: 0, lines: 0, imports: 0 });
    // The same when a hand-recorded transfer could match (every line is staged and matched first).
    await b.s.ledger.recordDonation(b.tc.principals.treasurer, b.campaign.code, {
      receivedOn: "2024-09-03", amountDong: "20000", method: "bank", bankAccount: account, donor: { name: "Người gửi", kind: "individual", publishName: false },
    }, meta());
    const matched = await refused(run(b, text(late), { layout: "vcb", account, opening: 0n }));
    expect(matched.message).to.match(/^line 4: a transfer dated 2024-12-15/);
    expect(await counts(b)).to.include({ entries: 1, lines: 0, imports: 0 });

    const c = await books();
    await c.s.controls.closePeriod(c.tc.principals.approver, { through: "2024-09-02" }, meta());
    const closed = await refused(run(c, text(late), { layout: "vcb", account, opening: 0n }));
    expect(closed.code).to.equal("period_closed");
    expect(closed.message).to.match(/^line 2: dated 2024-09-02, but the books are closed through 2024-09-02/);
    expect(await counts(c)).to.include({ entries: 0, lines: 0, imports: 0 });
  });

  it("keeps memos with tabs, backslashes, line breaks and \\N exactly as the bank printed them (COPY's escapes on PostgreSQL)", async () => {
    const b = await books();
    const memos = ["NGUYEN VAN AN\tung ho\\bao lu", "\\N", "TRAN THI BINH\nung ho\r\nlan 2", "LE VAN C \\t \\n ung ho", "Phạm Thị Ánh ủng hộ \"bão\" số 3"];
    const quoted = (m: string) => `"${m.replaceAll('"', '""')}"`;
    const file = ["PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails",
      ...memos.map((m, i) => `1,02/09/2024,5078.${i},,10.000,,${quoted(m)}`)].join("\r\n");
    const s = await run(b, text(file), { layout: "vcb", account: "0011009990001", opening: 0n });
    expect(s.recorded).to.equal(memos.length);
    const lines = await b.s.db.knex("bank_lines as l").join("donations as d", "d.entry_id", "l.entry_id")
      .where({ "l.committee_id": b.tc.committee.id }).orderBy("l.line_no").select("l.memo", "d.note", "d.donor_name");
    expect(lines.map((l) => l.memo)).to.deep.equal(memos);
    expect(lines.map((l) => l.note)).to.deep.equal(memos);
    expect(lines[0].donor_name).to.equal("NGUYEN VAN AN");
    expect((await verifyChain(b.s.store, b.tc.committee.id)).ok).to.equal(true);
  });

  it("tells identical lines of one day apart by their ordinal, and records each once", async () => {
    const b = await books();
    const header = "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails";
    const line = "1,02/09/2024,5078.13332,,10.000,,ung ho dong bao bi bao lu";
    const file = [header, line, line, "1,02/09/2024,5078.13332,,10.000,30.000,ung ho dong bao bi bao lu", line.replace("02/09", "03/09")].join("\n");
    const first = await run(b, text(file), { layout: "vcb", account: "0011009990001", opening: 0n });
    expect(first).to.include({ recorded: 4, balanceChecks: 1 });
    const keys = await b.s.db.knex("bank_lines").where({ committee_id: b.tc.committee.id }).pluck("line_key");
    expect(new Set(keys.map((k: Uint8Array) => Buffer.from(k).toString("hex"))).size).to.equal(4);
    const again = await run(b, text(file), { layout: "vcb", account: "0011009990001" });
    expect(again).to.include({ recorded: 0, alreadyPresent: 4 });
  });

  it("matches hand-recorded transfers one to one instead of recording them twice", async () => {
    const b = await books();
    const p = b.tc.principals.treasurer;
    const f = sampleFacts.vcb;
    // Three transfers a treasurer typed in from the bank's SMS before the statement came, and one the bank never received.
    const hand = [
      { receivedOn: "2024-09-01", amountDong: "6000", name: "Đặng Quang Lân", ref: undefined }, // MBVCB.…DANG QUANG LAN (line 3)
      { receivedOn: "2024-09-03", amountDong: "5000000", name: "Đỗ Kim Bình", ref: undefined }, // 02/09 DO KIM BINH 5.000.000, a day off
      { receivedOn: "2024-09-09", amountDong: "5000", name: "Người gửi", ref: "5218.22067" }, // by reference
      { receivedOn: "2024-09-02", amountDong: "777000", name: "Trần Văn Không Có", ref: undefined },
    ];
    const ids: string[] = [];
    for (const h of hand) {
      const r = await b.s.ledger.recordDonation(p, b.campaign.code, {
        receivedOn: h.receivedOn, amountDong: h.amountDong, method: "bank", bankAccount: f.account, bankReference: h.ref,
        donor: { name: h.name, kind: "individual", publishName: false },
      }, meta());
      ids.push(r.entry.id);
    }
    const s = await run(b, createReadStream(sampleFile("vcb")), { layout: "vcb", account: f.account, opening: f.opening });
    expect(s).to.include({ matched: 3, recorded: f.lines - 3, linesRead: f.lines });
    const matched = await b.s.db.knex("bank_lines").where({ committee_id: b.tc.committee.id, matched: true }).orderBy("line_no").select("entry_id", "line_no");
    expect(matched.map((m) => m.entry_id).sort()).to.deep.equal(ids.slice(0, 3).sort());
    expect((await counts(b)).entries).to.equal(f.lines - 3 + hand.length);
    expect((await verifyChain(b.s.store, b.tc.committee.id)).ok).to.equal(true);
    const again = await run(b, createReadStream(sampleFile("vcb")), { layout: "vcb", account: f.account });
    expect(again).to.include({ recorded: 0, matched: 0, alreadyPresent: f.lines });
  });
});

import { expect } from "chai";
import { Readable } from "node:stream";
import { importStatement, type ImportSummary } from "../src/db/bankimports.js";
import request from "supertest";
import { canonicalEntry } from "../src/ledger/canonical.js";
import { bankDonorIdentity, DONORS_COUNTED, senderAccount } from "../src/ledger/donors.js";
import { verifyChain } from "../src/ledger/verify.js";
import { makeCommittee, meta, testSoquy, uniqueCode, type TestCommittee, testOwnerKnex } from "./support/db.js";
import { testApp } from "./support/http.js";
import type { Knex } from "knex";
import { KnexLedgerStore } from "../src/db/store.js";
import type { Soquy } from "../src/context.js";
import type { Campaign } from "../src/ledger/types.js";

// Who a bank line's donor is. A real statement prints the same sender in
// several spellings (upper case, title case, with or without diacritics,
// doubled spaces); an import of it must verify, and "distinct donors" must
// count senders honestly: by the sender's account number when the memo
// carries one, otherwise by the name as printed on the line, never by a
// case-folded name.

const ACCOUNT = "0011009990001";

interface Books {
  s: Soquy;
  tc: TestCommittee;
  campaign: Campaign;
}

async function books(code = uniqueCode("YAGI").toUpperCase()): Promise<Books> {
  const s = await testSoquy();
  const tc = await makeCommittee(s, "Ban Vận động cứu trợ (thử)");
  await s.ledger.createCampaign(tc.principals.treasurer, { code, name: "Ủng hộ đồng bào bị bão số 3", kind: "relief", startsOn: "2024-09-01" }, meta());
  return { s, tc, campaign: await s.ledger.campaign(tc.committee.id, code) };
}

function run(b: Books, csv: string): Promise<ImportSummary> {
  return importStatement(b.s.db.knex, {
    committee: b.tc.committee, campaign: b.campaign, bankAccountNo: ACCOUNT, layout: "vcb", openingDong: 0n,
    recordedBy: b.tc.principals.treasurer.tokenId, input: Readable.from([Buffer.from(csv, "utf8")]),
  });
}

const PEOPLE: [string, string][] = [
  ["NGUYỄN THỊ HUYỀN", "NGUYEN THI HUYEN"], ["TRẦN VĂN ĐỨC", "TRAN VAN DUC"], ["LÊ THỊ KIM OANH", "LE THI KIM OANH"],
  ["PHẠM QUỐC BẢO", "PHAM QUOC BAO"], ["ĐỖ MINH TÂM", "DO MINH TAM"], ["VŨ NGỌC ÁNH", "VU NGOC ANH"],
];

/** The spellings a bank prints one name in: upper case, title case, lower case, with diacritics, doubled spaces. */
function spellings(withMarks: string, plain: string): string[] {
  const title = (s: string) => s.toLowerCase().replace(/(^|\s)(\p{L})/gu, (_m, a: string, c: string) => a + c.toUpperCase());
  return [plain, title(plain), withMarks, title(withMarks), plain.replace(/ /g, "  "), title(plain).replace(/ /, "   "), plain.toLowerCase()];
}

interface Generated {
  csv: string;
  lines: number;
  /** Distinct senders by the honest rule: account number when the memo has one, else the name as printed. */
  donors: number;
}

/**
 * A VCB statement of n credit lines over ten days: one line in three carries the sender's account number
 * ("CT tu <account> <name> toi …"; each person keeps one account), the others only a name ("CT nhanh 247 den:").
 */
export function generate(n: number): Generated {
  let seed = 7;
  const rnd = (m: number) => {
    seed = (seed * 1103515245 + 12345) & 0x7fffffff;
    return seed % m;
  };
  const rows = ["PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails"];
  const keys = new Set<string>();
  const perDay = Math.ceil(n / 10);
  for (let i = 0; i < n; i++) {
    const day = String(1 + Math.floor(i / perDay)).padStart(2, "0");
    const person = rnd(PEOPLE.length * 40);
    const [marks, plain] = PEOPLE[person % PEOPLE.length]!;
    const forms = spellings(marks, plain);
    const printed = forms[rnd(forms.length)]!;
    const amount = (1 + rnd(500)) * 1000;
    const doc = `${5000 + (i % 4000)}.${10000 + i}`;
    let memo: string;
    if (i % 3 === 0) {
      const account = String(7000000000 + person);
      memo = `MBVCB.${6900000000 + i}.ung ho.CT tu ${account} ${printed} toi ${ACCOUNT} MAT TRAN TO QUOC`;
      keys.add(`account:${account}`);
    } else {
      memo = `"CT nhanh 247 den: ${printed}\nung ho dong bao ${i}"`;
      keys.add(`name:${printed.replace(/\s+/g, " ").trim()}`);
    }
    rows.push(`${1 + Math.floor(i / 25)},${day}/09/2024,${doc},,${String(amount).replace(/\B(?=(\d{3})+(?!\d))/g, ".")},,${memo}`);
  }
  return { csv: rows.join("\r\n") + "\r\n", lines: n, donors: keys.size };
}

describe("bank import: who the donors are", () => {
  it("takes the sender's account from the memo only where the bank's shape puts it, else the name as printed", () => {
    expect(senderAccount("MBVCB.6900235838.DANG QUANG LAN ung ho.CT tu 7089080942 DANG QUANG LAN toi 0011009990001")).to.equal("7089080942");
    expect(senderAccount("mbvcb.1.ct TU 123456789 Le Van A toi 0011009990001")).to.equal("123456789");
    // The receiving account, a transaction number, a phone number: not the sender's account.
    for (const memo of ["0200970405010924.1.2.Vietcombank:0011009990001:NGO DUC AN Ung ho", "154980.010924.218221.HO XUAN DUNG chuyen tien",
      "CKSOTAIKHOAN 773999824558984 LY THI GIANG chuyen tien tu Viettel Money 84931948167", "CT nhanh 247 den: LE THI MAI ung ho"]) {
      expect(senderAccount(memo), memo).to.equal(null);
    }
    const byName = (name: string) => bankDonorIdentity(name, "individual", "CT nhanh 247 den: " + name).key;
    expect(byName("NGUYEN THI HUYEN")).to.not.equal(byName("Nguyen Thi Huyen"));
    expect(bankDonorIdentity("NGUYEN THI HUYEN", "individual", "x.CT tu 7089080942 NGUYEN THI HUYEN toi 1").key)
      .to.equal(bankDonorIdentity("Nguyen Thi Huyen", "individual", "y.CT tu 7089080942 Nguyen Thi Huyen toi 1").key);
  });

  it("imports a statement whose names recur in other spellings, verifies, and counts its donors honestly", async () => {
    const b = await books();
    const csv = [
      "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails",
      "1,01/09/2024,5001.10001,,500.000,,MBVCB.6900235838.ung ho.CT tu 7089080942 NGUYEN THI HUYEN toi 0011009990001",
      "1,01/09/2024,5001.10002,,200.000,,MBVCB.6900235839.ung ho.CT tu 7089080942 Nguyen Thi Huyen toi 0011009990001",
      "1,02/09/2024,5001.10003,,100.000,,CT nhanh 247 den: NGUYEN THI HUYEN ung ho",
      "1,02/09/2024,5001.10004,,100.000,,CT nhanh 247 den: Nguyen Thi Huyen",
      "1,03/09/2024,5001.10005,,300.000,,CT nhanh 247 den: Nguyen Thi Huyen",
      "1,03/09/2024,5001.10006,,300.000,,CT nhanh 247 den: Nguyễn Thị Huyền",
    ].join("\n") + "\n";
    const first = await run(b, csv);
    expect(first).to.include({ linesRead: 6, recorded: 6, donations: 6 });
    const report = await verifyChain(b.s.store, b.tc.committee.id);
    expect(report, report.reason ?? "").to.include({ ok: true, checked: 6 });
    // One account (two spellings), and three names as printed (the folded name would have made them one).
    const donors = await b.s.db.knex("donors").where({ committee_id: b.tc.committee.id }).pluck("name");
    expect([...donors].sort()).to.deep.equal(["NGUYEN THI HUYEN", "NGUYEN THI HUYEN", "Nguyen Thi Huyen", "Nguyễn Thị Huyền"]);
    // Every donation keeps the name its own line printed.
    const names = await b.s.db.knex("donations").where({ committee_id: b.tc.committee.id }).pluck("donor_name");
    expect([...names].sort()).to.deep.equal(["NGUYEN THI HUYEN", "NGUYEN THI HUYEN", "Nguyen Thi Huyen", "Nguyen Thi Huyen", "Nguyen Thi Huyen", "Nguyễn Thị Huyền"]);
    // A donation pointed at another donor is caught, even one of the very name it printed: the sender's
    // account, not the name, is who gave it.
    const c = b.tc.committee.id;
    const trx = await (await testOwnerKnex()).transaction();
    try {
      await trx.raw("set local session_replication_role = replica");
      const byAccount = await trx("donations").where({ committee_id: c }).whereLike("note", "%CT tu 7089080942 Nguyen Thi Huyen%").first("entry_id");
      const byName = await trx("donors").where({ committee_id: c, name: "Nguyen Thi Huyen" }).first("id");
      await trx("donations").where({ entry_id: byAccount.entry_id }).update({ donor_id: byName.id });
      const tampered = await verifyChain(new KnexLedgerStore(trx as unknown as Knex), c);
      expect(tampered).to.include({ ok: false, reason: "its donation row does not match the entry (committee, campaign or donor)" });
    } finally {
      await trx.rollback();
    }
    // The public page says what that count is, beside it, in both languages.
    const { app } = await testApp();
    for (const lang of ["vi", "en"] as const) {
      const page = await request(app).get(`/c/${b.tc.committee.code}?lang=${lang}`).expect(200);
      expect(page.text).to.include(DONORS_COUNTED[lang].replace(/'/g, "&#39;"));
    }
  });

  // 50,000 lines (import, verify, re-import, verify) take ~35–50 s on PostgreSQL and over a minute on PGlite
  // (one connection, WebAssembly), which runs 10,000 unless BANKIMPORT_TEST_LINES says otherwise: the same
  // generator and checks.
  const n = Number(process.env.BANKIMPORT_TEST_LINES ?? (process.env.TEST_DATABASE_URL ? 50_000 : 10_000));
  it(`imports a generated statement of ${n.toLocaleString("en-US")} lines with names in many spellings: verify is ok, a re-import adds nothing`, async function () {
    this.timeout(600_000);
    const b = await books();
    const g = generate(n);
    const first = await run(b, g.csv);
    expect(first).to.include({ linesRead: n, recorded: n, donations: n, alreadyPresent: 0 });
    // verify as `cli verify` runs it (the chain, its links and the committee's signed checkpoints).
    const report = await b.s.verify(b.tc.committee.id);
    expect(report, report.reason ?? "").to.include({ ok: true, checked: n });
    const [{ donors }] = (await b.s.db.knex.raw("select count(*)::int as donors from donors where committee_id = ?", [b.tc.committee.id])).rows;
    expect(donors).to.equal(g.donors);
    const again = await run(b, g.csv);
    expect(again).to.include({ linesRead: n, recorded: 0, alreadyPresent: n });
    const [{ entries }] = (await b.s.db.knex.raw("select count(*)::int as entries from journal_entries where committee_id = ?", [b.tc.committee.id])).rows;
    expect(entries).to.equal(n);
    expect((await b.s.verify(b.tc.committee.id)).ok).to.equal(true);
  });

  it("makes an imported line's entry exactly as the API makes the same donation: canonical text byte for byte, and the same rows", async () => {
    const code = uniqueCode("YAGI").toUpperCase();
    const imported = await books(code);
    const typed = await books(code); // another committee, its campaign of the same code
    const lines = [
      { doc: "5001.10001", date: "2024-09-01", amount: "500000", name: "Nguyen Thi Huyen",
        memo: "MBVCB.6900235838.ung ho.CT tu 7089080942 Nguyen Thi Huyen toi 0011009990001 MAT TRAN TO QUOC" },
      { doc: "5001.10002", date: "2024-09-02", amount: "200000", name: "NGUYỄN THỊ HUYỀN", memo: "CT nhanh 247 den: NGUYỄN THỊ HUYỀN ung ho" },
    ];
    const csv = ["PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails",
      ...lines.map((l) => `1,${l.date.slice(8)}/09/2024,${l.doc},,${Number(l.amount).toLocaleString("de-DE")},,${l.memo}`)].join("\n") + "\n";
    await run(imported, csv);
    for (const l of lines) {
      const dmy = `${l.date.slice(8)}/09/2024`;
      await typed.s.ledger.recordDonation(typed.tc.principals.treasurer, code, {
        receivedOn: l.date, amountDong: l.amount, method: "bank", donor: { name: l.name, kind: "individual", publishName: false },
        bankAccount: ACCOUNT, note: l.memo, description: `Nhận chuyển khoản số ${l.doc} ngày ${dmy} vào tài khoản ${ACCOUNT} của ${l.name}`,
      }, meta());
    }
    const entries = (b: Books) => b.s.store.listEntries(b.tc.committee.id, { limit: 10 });
    const [a, t] = [await entries(imported), await entries(typed)];
    expect(a).to.have.length(2);
    expect(t).to.have.length(2);
    for (let i = 0; i < 2; i++) {
      // What only the chain gives (its place, when, by whom, the request's key) taken from the imported entry.
      const e = a[i]!, x = { ...t[i]!, id: a[i]!.id, committeeCode: e.committeeCode, recordedAt: e.recordedAt, recordedBy: e.recordedBy, idempotencyKey: e.idempotencyKey };
      expect(canonicalEntry(x)).to.equal(canonicalEntry(e));
    }
    // The rows as stored, without ids and what only the chain gives.
    const rows = async (b: Books) => {
      const k = b.s.db.knex;
      const c = b.tc.committee.id;
      return {
        entries: await k("journal_entries as e").join("campaigns as p", "p.id", "e.campaign_id").where("e.committee_id", c).orderBy("e.seq")
          .select("e.seq", "e.entry_date", "e.kind", "e.description", "p.code", "e.reversal_of", "e.resolution_ref", "e.required_approvals"),
        postings: await k("postings as p").join("accounts as a", "a.id", "p.account_id").join("journal_entries as e", "e.id", "p.entry_id")
          .where("p.committee_id", c).orderBy(["e.seq", "p.line"]).select("e.seq", "p.line", "a.code", "p.amount_dong"),
        donations: await k("donations as d").join("journal_entries as e", "e.id", "d.entry_id").join("donors as r", "r.id", "d.donor_id")
          .where("d.committee_id", c).orderBy("e.seq")
          .select("e.seq", "d.method", "d.donor_name", "d.donor_kind", "d.publish_name", "d.bank_account", "d.bank_reference", "d.note", "r.name", "r.kind"),
      };
    };
    expect(await rows(typed)).to.deep.equal(await rows(imported));
    expect((await verifyChain(imported.s.store, imported.tc.committee.id)).ok).to.equal(true);
    expect((await verifyChain(typed.s.store, typed.tc.committee.id)).ok).to.equal(true);
  });

  it("verifies a donor typed in twice in other letter case and spacing, counted as one donor (the treasurer's own spelling)", async () => {
    const b = await books();
    const t = b.tc.principals.treasurer;
    for (const name of ["Nguyễn Thị Huyền", "NGUYỄN THỊ  HUYỀN"]) {
      await b.s.ledger.recordDonation(t, b.campaign.code, {
        receivedOn: "2024-09-02", amountDong: "100000", method: "cash", donor: { name, kind: "individual", publishName: false },
      }, meta());
    }
    const report = await verifyChain(b.s.store, b.tc.committee.id);
    expect(report, report.reason ?? "").to.include({ ok: true, checked: 2 });
    expect(await b.s.db.knex("donors").where({ committee_id: b.tc.committee.id }).pluck("name")).to.deep.equal(["Nguyễn Thị Huyền"]);
  });
});

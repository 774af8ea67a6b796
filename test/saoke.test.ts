import { createHash, randomUUID } from "node:crypto";
import { expect } from "chai";
import type { Express } from "express";
import { parse } from "csv-parse/sync";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee } from "./support/db.js";
import { testAppUnlimited } from "./support/http.js";
import { generateStatement, type GeneratedStatement } from "./support/saoke.js";

// The public sao kê (issue 25) through the real HTTP API on the test database: the committee's
// decision, what is published (masked), the search without diacritics or case, paging, totals, the
// CSV downloads and their digests, the day-by-day reconciliation, freshness after an import and
// after a withdrawal, and every bad input as a 4xx in the caller's language.

const DAYS = ["2024-09-10", "2024-09-11", "2024-09-12"];

interface Fixture {
  tc: TestCommittee;
  code: string;
  st: GeneratedStatement;
  importId: number;
  base: string;
}

describe("public sao kê", function () {
  this.timeout(300_000);
  let app: Express;
  let s: Soquy;
  let f: Fixture;

  const as = (tc: TestCommittee, role: keyof TestCommittee["tokens"]) => ({ Authorization: `Bearer ${tc.tokens[role]}` });
  const decide = (x: Fixture, publish: boolean, ref = "Quyết định số 12/QĐ-MTTQ ngày 10/9/2024", role: keyof TestCommittee["tokens"] = "approver") =>
    request(app).post(`/api/v1/campaigns/${x.code}/sao-ke`).set(as(x.tc, role)).send({ publish, resolutionRef: ref });
  const search = (x: Fixture, q: Record<string, string>, headers: Record<string, string> = {}) => request(app).get(x.base).query(q).set(headers);

  async function fixture(lines: number, name = "Ban Vận động cứu trợ (sao kê)"): Promise<Fixture> {
    const tc = await makeCommittee(s, name);
    const code = uniqueCode("YAGI").toUpperCase();
    await s.ledger.createCampaign(tc.principals.treasurer, { code, name: "Ủng hộ đồng bào bị bão số 3 (Yagi)", kind: "relief", startsOn: "2024-09-01" }, meta());
    const st = generateStatement(lines, DAYS);
    const res = await request(app).post("/api/v1/bank-imports").set(as(tc, "treasurer")).set("Content-Type", "text/csv")
      .query({ campaign: code, bankAccount: st.account, layout: "vcb", openingBalance: st.openingDong.toString() }).send(st.csv);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    return { tc, code, st, importId: res.body.id, base: `/api/v1/public/committees/${tc.committee.code}/campaigns/${code}/sao-ke` };
  }

  before(async () => {
    ({ app, s } = await testAppUnlimited());
    f = await fixture(60);
  });

  it("is off by default: the public side answers 404 saying why, in the caller's language", async () => {
    const vi = await search(f, { q: "nguyen van a" });
    expect(vi.status).to.equal(404);
    expect(vi.body).to.include({ code: "saoke_not_published", field: "code" });
    expect(vi.body.detail).to.match(/chưa quyết định công khai sao kê/);
    const en = await search(f, { q: "nguyen van a" }, { "Accept-Language": "en-US,en;q=0.9" });
    expect(en.body.detail).to.match(/has not decided to publish/);
    expect((await search(f, { q: "nguyen van a", lang: "en" })).body.detail).to.match(/has not decided/);
    expect((await request(app).get(`${f.base}.csv`)).status).to.equal(404);
    expect((await request(app).get(`${f.base}/days`)).status).to.equal(404);
  });

  it("is the decision of an approver, recorded once and in the audit log; a treasurer or an admin may not", async () => {
    expect((await decide(f, true, "QĐ 12", "treasurer")).status).to.equal(403);
    expect((await decide(f, true, "QĐ 12", "admin")).status).to.equal(403);
    const bad = await decide(f, true, "QĐ 12, liên hệ 0912 345 678");
    expect(bad.status).to.equal(422);
    expect(bad.body.field).to.equal("resolutionRef");
    const first = await decide(f, true);
    expect(first.status, JSON.stringify(first.body)).to.equal(201);
    expect(first.body).to.include({ publish: true, resolutionRef: "Quyết định số 12/QĐ-MTTQ ngày 10/9/2024" });
    const again = await decide(f, true);
    expect(again.status).to.equal(200);
    expect(again.body.decidedAt).to.equal(first.body.decidedAt);
    const history = await request(app).get(`/api/v1/campaigns/${f.code}/sao-ke`).set(as(f.tc, "auditor"));
    expect(history.body.published).to.equal(true);
    expect(history.body.decisions).to.have.length(1);
    await (app.locals.audit as { flush(): Promise<boolean> }).flush();
    const audit = await request(app).get("/api/v1/audit-log").set(as(f.tc, "auditor")).query({ action: "POST /api/v1/campaigns/:code/sao-ke" });
    expect(audit.body.items.map((x: { outcome: number }) => x.outcome).sort()).to.deep.equal([200, 201, 403, 403, 422]);
    await s.saoke.settle();
  });

  it("publishes every line as the bank printed it, with phones, e-mails and account numbers masked and names as printed", async () => {
    const res = await search(f, { from: DAYS[0]!, to: DAYS[0]!, limit: "100" });
    expect(res.status, JSON.stringify(res.body)).to.equal(200);
    const first = f.st.days[0]!;
    expect(res.body.items).to.have.length(first.credits + first.debits);
    expect(res.body.matched).to.deep.include({ complete: true, count: first.credits + first.debits, creditDong: first.creditsDong.toString(), debitDong: first.debitsDong.toString() });
    const memos = res.body.items.map((x: { memo: string }) => x.memo);
    expect(memos[0]).to.equal("MBVCB.*******838.NGUYEN VAN A ung ho.CT tu *******942 NGUYEN VAN A toi **********046 MAT TRAN TO QUOC");
    expect(memos[1]).to.equal("Nguyễn Văn A chuyển khoản ủng hộ đồng bào lũ lụt, SĐT *******678");
    expect(memos[2]).to.equal("IBFT NGUYEN VAN AN ung ho 1.000.000 dong, lien he ***@***");
    expect(memos[4]).to.equal("Lê Thị Kim Oanh ủng hộ, STK ***********123, đt *******321");
    const text = JSON.stringify(res.body);
    for (const secret of ["7089080942", "912345678", "931948167", "an.nguyen@", "19034567890123", "987654321", "0071009990046", "6900235838"]) {
      expect(text.replace(/\D/g, "")).not.to.include(secret.replace(/\D/g, "") === secret ? secret : "x");
      expect(text).not.to.include(secret);
    }
    const one = res.body.items[0];
    expect(one).to.deep.include({ date: DAYS[0], reference: "5001.00001", creditDong: "500000", debitDong: null, bankAccount: "**********046", verified: false, lineNo: 2 });
    const last = res.body.items[res.body.items.length - 1];
    expect(last.balanceDong).to.equal(first.closingDong.toString());
    const toClassify = res.body.items.find((x: { memo: string }) => x.memo.startsWith("CHUYEN TIEN HO TRO"));
    expect(toClassify.verified).to.equal(null);
  });

  it("finds words without diacritics or case, whole words in order, a reference, and an amount written the Vietnamese way", async () => {
    const memos = async (q: Record<string, string>) => (await search(f, q)).body.items.map((x: { memo: string }) => x.memo);
    const a = await memos({ q: "nguyen van a" });
    expect(a).to.have.length(2);
    expect(a[0]).to.match(/^MBVCB/);
    expect(a[1]).to.match(/^Nguyễn Văn A chuyển khoản/);
    expect(await memos({ q: "NGUYỄN VĂN A" })).to.deep.equal(a);
    expect(await memos({ q: "  Nguyen   Van   A " })).to.deep.equal(a);
    expect(await memos({ q: "nguyen van an" })).to.deep.equal(["IBFT NGUYEN VAN AN ung ho 1.000.000 dong, lien he ***@***"]);
    expect(await memos({ q: "kim oanh" })).to.include("Lê Thị Kim Oanh ủng hộ, STK ***********123, đt *******321");
    expect(await memos({ q: "oanh kim" })).to.deep.equal([]);
    expect(await memos({ q: "5001.00003" })).to.deep.equal(["IBFT NGUYEN VAN AN ung ho 1.000.000 dong, lien he ***@***"]);
    // A masked number cannot be searched for: nothing tells whether it was there.
    expect(await memos({ q: "0912345678" })).to.deep.equal([]);
    expect(await memos({ q: "7089080942" })).to.deep.equal([]);
    const byAmount = await search(f, { q: "52.222" });
    expect(byAmount.body.items.every((x: { creditDong: string }) => x.creditDong === "52222")).to.equal(true);
    const all52 = f.st.lines.filter((l) => l.amountDong === 52_222n);
    expect(byAmount.body.matched).to.deep.include({ complete: true, count: all52.length, creditDong: (52_222n * BigInt(all52.length)).toString() });
    expect((await search(f, { amount: "52222" })).body.matched.count).to.equal(all52.length);
    const range = await search(f, { min: "1.000.000", max: "20.000.000" });
    const big = f.st.lines.filter((l) => l.amountDong >= 1_000_000n);
    expect(range.body.matched.count).to.equal(big.length);
  });

  it("pages in the bank's order by a cursor of its own search; the pages add up to the totals", async () => {
    const seen: string[] = [];
    let after: string | null = null;
    let totals = null;
    for (let i = 0; i < 20; i++) {
      const res: request.Response = await search(f, { q: "ung ho", limit: "7", ...(after ? { after } : {}) });
      expect(res.status, JSON.stringify(res.body)).to.equal(200);
      totals ??= res.body.matched;
      for (const x of res.body.items) seen.push(`${x.date}.${String(x.importId).padStart(9, "0")}.${String(x.lineNo).padStart(9, "0")}`);
      after = res.body.next;
      if (!after) break;
    }
    expect(after).to.equal(null);
    expect(seen).to.deep.equal([...seen].sort());
    expect(new Set(seen).size).to.equal(seen.length);
    expect(seen.length).to.equal(totals.count);
  });

  it("refuses every bad search with a 4xx naming the field, in the caller's language, never a 5xx", async () => {
    const cursor = (await search(f, { q: "ung ho", limit: "1" })).body.next as string;
    const cases: [Record<string, string>, number, string][] = [
      [{}, 422, "q"], [{ q: "" }, 422, "q"], [{ q: "a" }, 422, "q"], [{ q: "x".repeat(500) }, 422, "q"], [{ q: "!!" }, 422, "q"],
      [{ min: "500.000", max: "1.000" }, 422, "min"], [{ from: "2014-01-01", to: "2024-01-01" }, 422, "to"], [{ from: "2024-09-12", to: "2024-09-10" }, 422, "from"],
      [{ q: "tran thi", after: cursor }, 422, "after"], [{ q: "ung ho", after: "bm90IGEgY3Vyc29y" }, 422, "after"], [{ q: "ung ho", after: "%%%" }, 422, "after"],
      [{ amount: "12,5" }, 422, "amount"], [{ from: "2024-02-30" }, 422, "from"], [{ q: "ung ho", limit: "1000" }, 422, "limit"],
      [{ amount: "500000", min: "1" }, 422, "min"],
    ];
    for (const [q, status, field] of cases) {
      const details: string[] = [];
      for (const lang of ["vi", "en"] as const) {
        const res = await search(f, { ...q, lang });
        expect(res.status, `${JSON.stringify(q)} ${JSON.stringify(res.body)}`).to.equal(status);
        expect(res.body.field, JSON.stringify(q)).to.equal(field);
        details.push(res.body.detail);
      }
      expect(details[0], JSON.stringify(q)).to.match(/[ăâđêôơưạảấầẩậắằặẹẻẽếềểễệịọỏốồổộớờởợụủứừửữựỳỵỷỹ]/);
      expect(details[1], JSON.stringify(q)).to.match(/^[A-Z][a-z]|^[a-z]+: [a-z]/);
      expect(details[1]).not.to.equal(details[0]);
    }
    const other = await request(app).get(`/api/v1/public/committees/${f.tc.committee.code}/campaigns/NOPE/sao-ke`).query({ q: "ung ho" });
    expect(other.status).to.equal(404);
    expect(other.body.code).to.equal("campaign_not_found");
  });

  it("downloads the whole sao kê and each day as CSV with its digest; credits and day-end balances equal the bank's", async () => {
    const bytes = async (p: string, headers: Record<string, string> = {}) => request(app).get(p).set(headers).buffer(true)
      .parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => cb(null, Buffer.concat(chunks)));
      });
    const whole = await bytes(`${f.base}.csv`);
    expect(whole.status).to.equal(200);
    const body = whole.body as Buffer;
    expect(body.subarray(0, 3).toString("hex")).to.equal("efbbbf");
    expect(whole.headers["x-saoke-digest"]).to.equal(createHash("sha256").update(body).digest("hex"));
    expect(whole.headers["x-saoke-imports"]).to.equal(String(f.importId));
    expect(Number(whole.headers["content-length"])).to.equal(body.length);
    const rows = parse(body.toString("utf8").slice(1), { columns: true }) as Record<string, string>[];
    expect(Object.keys(rows[0]!)).to.deep.equal(["date", "time", "bank_account", "reference", "memo", "credit_dong", "debit_dong", "balance_dong", "import_id", "line_no"]);
    expect(rows).to.have.length(f.st.lines.length);
    const credits = rows.reduce((a, r) => a + BigInt(r.credit_dong || "0"), 0n);
    expect(credits).to.equal(f.st.days.reduce((a, d) => a + d.creditsDong, 0n));
    for (const d of f.st.days) {
      const day = await bytes(`${f.base}.csv?day=${d.date}`);
      expect(day.status).to.equal(200);
      const b = day.body as Buffer;
      expect(day.headers["x-saoke-digest"]).to.equal(createHash("sha256").update(b).digest("hex"));
      const dr = parse(b.toString("utf8").slice(1), { columns: true }) as Record<string, string>[];
      expect(dr.every((r) => r.date === d.date)).to.equal(true);
      expect(dr.reduce((a, r) => a + BigInt(r.credit_dong || "0"), 0n)).to.equal(d.creditsDong);
      expect(dr[dr.length - 1]!.balance_dong).to.equal(d.closingDong.toString());
      const again = await bytes(`${f.base}.csv?day=${d.date}`, { "If-None-Match": `"${day.headers["x-saoke-digest"]}"` });
      expect(again.status).to.equal(304);
    }
    expect((await request(app).get(`${f.base}.csv?day=2024-09-30`)).status).to.equal(404);
    const badDay = await request(app).get(`${f.base}.csv?day=30/09/2024`);
    expect(badDay.status).to.equal(422);
    expect(badDay.body.field).to.equal("day");
  });

  it("reconciles day by day with the verified ledger, every difference explained", async () => {
    const before = await request(app).get(`${f.base}/days`);
    expect(before.status, JSON.stringify(before.body)).to.equal(200);
    expect(before.body.days.map((d: { date: string }) => d.date)).to.deep.equal(DAYS);
    for (const [i, d] of before.body.days.entries()) {
      const bank = f.st.days[i]!;
      expect(d).to.deep.include({ creditsDong: bank.creditsDong.toString(), debitsDong: bank.debitsDong.toString(), closingDong: bank.closingDong.toString(),
        printedClosingDong: bank.closingDong.toString(), ledgerDong: "0" });
      expect(BigInt(d.openingDong) + bank.creditsDong - bank.debitsDong).to.equal(bank.closingDong);
      // Nothing verified yet: the donations and the fee await verification, the transfer out is still to classify.
      expect(d.explained).to.deep.include({ toClassifyDong: bank.toClassifyDong.toString(), awaitingVerificationDong: (bank.creditsDong - bank.feesDong).toString(), elsewhereDong: "0" });
      expect(d.file.sha256).to.match(/^[0-9a-f]{64}$/);
    }
    expect(before.body.imports.map((x: { id: number }) => x.id)).to.deep.equal([f.importId]);
    const verified = await request(app).post(`/api/v1/bank-imports/${f.importId}/verify`).set(as(f.tc, "approver")).send({});
    expect(verified.status, JSON.stringify(verified.body)).to.equal(200);
    const after = await request(app).get(`${f.base}/days`);
    for (const [i, d] of after.body.days.entries()) {
      const bank = f.st.days[i]!;
      expect(d.ledgerDong).to.equal((bank.creditsDong - bank.feesDong).toString());
      expect(d.differenceDong).to.equal((-bank.toClassifyDong).toString());
      expect(d.explained).to.deep.include({ awaitingVerificationDong: "0", elsewhereDong: "0" });
    }
    const one = await search(f, { q: "5001.00001" });
    expect(one.body.items[0].verified).to.equal(true);
  });

  it("shows a new import with no step by anyone, and a withdrawal at once", async () => {
    const x = await fixture(20, "Ban Vận động (tươi)");
    expect((await decide(x, true)).status).to.equal(201);
    await s.saoke.settle();
    const count = async () => (await search(x, { from: DAYS[0]!, to: DAYS[2]! })).body.matched?.count;
    const before = await count();
    const more = generateStatement(12, ["2024-09-13"], x.st.days[2]!.closingDong, 7);
    const res = await request(app).post("/api/v1/bank-imports").set(as(x.tc, "treasurer")).set("Content-Type", "text/csv")
      .query({ campaign: x.code, bankAccount: more.account, layout: "vcb" }).send(more.csv);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    // No one asks for it: the service publishes the import by itself (polled here, never timed).
    let seen = 0;
    for (let i = 0; i < 300 && seen === 0; i++) {
      seen = (await search(x, { from: "2024-09-13", to: "2024-09-13" })).body.matched?.count ?? 0;
      if (seen === 0) await new Promise((r) => setTimeout(r, 100));
    }
    expect(seen).to.equal(more.lines.length);
    expect(await count()).to.equal(before);
    expect((await decide(x, false, "Quyết định số 13/QĐ-MTTQ (rút)")).status).to.equal(201);
    const gone = await search(x, { q: "ung ho" });
    expect(gone.status).to.equal(404);
    expect(gone.body.code).to.equal("saoke_not_published");
    expect((await request(app).get(`${x.base}.csv`)).status).to.equal(404);
    expect((await decide(x, true, "Quyết định số 14/QĐ-MTTQ")).status).to.equal(201);
    expect((await search(x, { q: "ung ho" })).status).to.equal(200);
  });

  it("takes a reversed import's lines out, shows the same statement imported again once, and lets nobody else remove a line", async () => {
    const x = await fixture(20, "Ban Vận động (nhập lại)");
    const other = await fixture(8, "Ban Vận động (bên cạnh)");
    expect((await decide(x, true)).status).to.equal(201);
    expect((await decide(other, true)).status).to.equal(201);
    await s.saoke.settle();
    const csvRows = async (y: Fixture) => {
      const r = await request(app).get(`${y.base}.csv`).buffer(true).parse((res, cb) => {
        const chunks: Buffer[] = [];
        res.on("data", (d: Buffer) => chunks.push(d));
        res.on("end", () => cb(null, Buffer.concat(chunks)));
      });
      expect(r.status).to.equal(200);
      const body = r.body as Buffer;
      expect(r.headers["x-saoke-digest"]).to.equal(createHash("sha256").update(body).digest("hex"));
      return parse(body.toString("utf8").slice(1), { columns: true }) as Record<string, string>[];
    };
    expect(await csvRows(x)).to.have.length(x.st.lines.length);
    const published = () => s.db.knex("saoke_lines").where({ campaign_id: s.db.knex("campaigns").where({ code: x.code, committee_id: x.tc.committee.id }).select("id") });

    // Someone with the service's own credentials removes a published line of an import that stands: refused.
    const attack = await s.db.knex.raw("delete from saoke_lines where ctid in (select ctid from saoke_lines where import_id = ? limit 1)", [x.importId])
      .then(() => null, (e: { code?: string }) => e);
    expect(attack, "a published line removed while its import stands").not.to.equal(null);
    expect(["SQ021", "42501"]).to.include(attack!.code);
    expect(Number((await published().clone().count("* as n").first())!.n)).to.equal(x.st.lines.length);

    const reversed = await request(app).post(`/api/v1/bank-imports/${x.importId}/reverse`).set(as(x.tc, "treasurer"))
      .set("Idempotency-Key", randomUUID()).send({ reason: "Nhập nhầm, nhập lại" });
    expect(reversed.status, JSON.stringify(reversed.body)).to.equal(201);
    await s.saoke.settle();
    expect(await csvRows(x)).to.have.length(0);
    expect((await request(app).get(`${x.base}/days`)).body.days).to.deep.equal([]);

    const again = await request(app).post("/api/v1/bank-imports").set(as(x.tc, "treasurer")).set("Content-Type", "text/csv")
      .query({ campaign: x.code, bankAccount: x.st.account, layout: "vcb", openingBalance: x.st.openingDong.toString() }).send(x.st.csv);
    expect(again.status, JSON.stringify(again.body)).to.equal(201);
    await s.saoke.settle();
    const rows = await csvRows(x);
    expect(rows).to.have.length(x.st.lines.length);
    expect(new Set(rows.map((r) => r.import_id))).to.deep.equal(new Set([String(again.body.id)]));
    const days = (await request(app).get(`${x.base}/days`)).body.days as { date: string; creditsDong: string }[];
    expect(days.map((d) => [d.date, d.creditsDong])).to.deep.equal(x.st.days.map((d) => [d.date, d.creditsDong.toString()]));
    expect((await search(x, { from: DAYS[0]!, to: DAYS[2]! })).body.matched.count).to.equal(x.st.lines.length);
    // The campaign beside it was published all along.
    expect(await csvRows(other)).to.have.length(other.st.lines.length);
  });

  it("bounds a vague search: words too many lines hold are refused saying why, amounts alone list without totals", async () => {
    const x = await fixture(2_600, "Ban Vận động (nhiều dòng)");
    expect((await decide(x, true)).status).to.equal(201);
    await s.saoke.settle();
    // "046" ends the committee's masked account number, in about half of the memos.
    for (const [lang, text] of [["vi", /Có hơn 1\.000 dòng chứa các từ này/], ["en", /More than 1,000 lines hold these words/]] as const) {
      const vague = await search(x, { q: "046", lang });
      expect(vague.status, JSON.stringify(vague.body)).to.equal(422);
      expect(vague.body).to.include({ code: "query_too_broad", field: "q" });
      expect(vague.body.detail).to.match(text);
    }
    const res = await search(x, { min: "1", lang: "en" });
    expect(res.status).to.equal(200);
    expect(res.body.items).to.have.length(50);
    expect(res.body.matched).to.deep.include({ complete: false, count: null, creditDong: null });
    expect(res.body.matched.note).to.match(/More than 1,000 lines match/);
    expect(res.body.next).to.be.a("string");
    const byDay = await search(x, { from: DAYS[0]!, to: DAYS[2]! });
    expect(byDay.body.matched).to.deep.include({ complete: true, count: x.st.lines.length });
    // Narrowed by a date, the same words are listed and totalled.
    const narrowed = await search(x, { q: "046", from: DAYS[0]!, to: DAYS[0]! });
    expect(narrowed.status, JSON.stringify(narrowed.body)).to.equal(200);
    expect(narrowed.body.matched.complete).to.equal(true);
  });
});

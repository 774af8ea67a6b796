import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { parse } from "csv-parse/sync";
import type { Express } from "express";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { csvColumns } from "../src/statements/csv.js";
import { amountInWords } from "../reports/words.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee } from "./support/db.js";
import { testApp } from "./support/http.js";

let app: Express;
let s: Soquy;
let c: TestCommittee;
let code: string;
let n = 0;

const post = (path: string, body: object) =>
  request(app).post(path).set("Authorization", `Bearer ${c.tokens.treasurer}`).set("Idempotency-Key", `st-${Date.now()}-${++n}`).send(body);

function getCsv(path: string, token?: string) {
  const r = request(app).get(path).buffer(true).parse((res, cb) => {
    const chunks: Buffer[] = [];
    res.on("data", (d: Buffer) => chunks.push(d));
    res.on("end", () => cb(null, Buffer.concat(chunks)));
  });
  return token ? r.set("Authorization", `Bearer ${token}`) : r;
}

type Row = Record<(typeof csvColumns)[number], string>;
const rowsOf = (body: Buffer): Row[] => parse(body, { bom: true, columns: true, relax_quotes: false }) as Row[];

describe("campaign statements (CSV)", () => {
  let reversedId: string;

  before(async () => {
    ({ app, s } = await testApp());
    c = await makeCommittee(s, "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường");
    code = uniqueCode("TET").toUpperCase();
    await post("/api/v1/campaigns", { code, name: "Quà Tết Giáp Thìn 2024", kind: "tet_gifts", startsOn: "2023-12-15", targetDong: "300000000" }).expect(201);
    const donation = (receivedOn: string, amountDong: string, donor: object, extra: object = {}) =>
      post(`/api/v1/campaigns/${code}/donations`, { receivedOn, amountDong, method: "cash", donor, ...extra }).expect(201);
    await donation("2023-12-20", "5000000", { name: "Nguyễn Thị Thu Hà", kind: "individual", publishName: true });
    await donation("2024-01-05", "2000000", { name: "Trần Văn Bí Mật", kind: "individual", publishName: false, phone: "0987654321" },
      { description: "Nhận ủng hộ của Trần Văn Bí Mật, SĐT 0987 654 321, STK 0011009990001" });
    await donation("2024-01-06", "1000000", { name: "=HYPERLINK(\"http://x\")", kind: "business", publishName: true });
    await post(`/api/v1/campaigns/${code}/donations`, {
      receivedOn: "2024-01-08", amountDong: "52222", method: "bank", bankReference: "FT24008123", bankAccount: "0011009990001",
      donor: { name: "LY THI YEN", kind: "individual", publishName: false },
    }).expect(201);
    await post(`/api/v1/campaigns/${code}/donations`, {
      receivedOn: "2024-01-10", amountDong: "3000000", method: "in_kind", donor: { name: "Công ty TNHH Lúa Vàng", kind: "business", publishName: true },
      items: [{ description: "Gạo", quantity: "200", unit: "kg", unitValueDong: "15000", valuationBasis: "giá hóa đơn" }],
    }).expect(201);
    const dup = await donation("2024-01-11", "300000", { name: "Lê Văn Tư", kind: "individual", publishName: true });
    reversedId = dup.body.id;
    await post(`/api/v1/entries/${reversedId}/reverse`, { reason: "Ghi trùng", entryDate: "2024-01-12" }).expect(201);
    for (let i = 0; i < 3; i++) {
      await post(`/api/v1/campaigns/${code}/disbursements`, {
        paidOn: "2024-02-01", amountDong: "350000", method: "cash", purpose: "gift_package", quantity: 1, unit: "suất",
        beneficiary: { name: `Phạm Thị Hồng ${i}`, category: i === 0 ? "poor" : "near_poor", area: `Khu phố ${i + 1}` },
      }).expect(201);
    }
    await post(`/api/v1/campaigns/${code}/disbursements`, {
      paidOn: "2024-02-02", amountDong: "3000000", method: "in_kind", purpose: "gift_package", quantity: 200, unit: "kg",
      beneficiary: { name: "Đặng Văn Ơn", category: "hardship", area: "Khu phố 6" },
    }).expect(201);
    // Verified, so that the public version (verified entries only) shows every line too.
    const ids = await s.db.knex("journal_entries").where({ committee_id: c.committee.id }).orderBy("seq").pluck("id");
    await s.controls.verify(c.principals.approver, ids);
  });

  it("is UTF-8 with a BOM, CRLF, stable English columns, and a digest over exactly its bytes", async () => {
    const res = await getCsv(`/api/v1/campaigns/${code}/statement.csv?audience=auditor`, c.tokens.auditor).expect(200);
    const body = res.body as Buffer;
    expect(res.headers["content-type"]).to.equal("text/csv; charset=utf-8");
    expect([...body.subarray(0, 3)]).to.deep.equal([0xef, 0xbb, 0xbf]);
    expect(body.toString("utf8")).to.contain("\r\n");
    expect(body.toString("utf8").split("\r\n")[0]).to.equal(`\uFEFF${csvColumns.join(",")}`);
    const digest = createHash("sha256").update(body).digest("hex");
    expect(res.headers["x-statement-digest"]).to.equal(digest);
    expect(res.headers["digest"]).to.equal(`sha-256=${Buffer.from(digest, "hex").toString("base64")}`);
    expect(res.headers["x-statement-audience"]).to.equal("auditor");
  });

  it("reconciles: opening + in − out = closing, row by row, and matches the ledger", async () => {
    const res = await getCsv(`/api/v1/campaigns/${code}/statement.csv?audience=auditor`, c.tokens.auditor).expect(200);
    const rows = rowsOf(res.body);
    expect(rows[0]!.row_type).to.equal("opening");
    expect(rows.at(-1)!.row_type).to.equal("closing");
    const entries = rows.filter((r) => r.row_type === "entry");
    expect(entries).to.have.length(11); // 6 donations, 1 reversal, 4 disbursements
    let balance = BigInt(rows[0]!.balance_dong);
    let inSum = 0n;
    let outSum = 0n;
    for (const r of entries) {
      balance += BigInt(r.in_dong) - BigInt(r.out_dong);
      inSum += BigInt(r.in_dong);
      outSum += BigInt(r.out_dong);
      expect(BigInt(r.balance_dong)).to.equal(balance);
      expect(r.entry_hash).to.match(/^[0-9a-f]{64}$/);
    }
    const closing = rows.at(-1)!;
    expect(BigInt(closing.in_dong)).to.equal(inSum);
    expect(BigInt(closing.out_dong)).to.equal(outSum);
    expect(BigInt(closing.balance_dong)).to.equal(balance);
    const campaign = await request(app).get(`/api/v1/campaigns/${code}`).set("Authorization", `Bearer ${c.tokens.auditor}`).expect(200);
    expect(closing.balance_dong).to.equal(campaign.body.totals.balanceDong);
    expect(entries.map((r) => Number(r.sequence))).to.deep.equal(entries.map((r) => Number(r.sequence)).sort((a, b) => a - b));
    expect(closing.entry_hash).to.equal(String(res.headers["x-ledger-position"]).split(":")[1]);
  });

  it("shows vouchers, quantities and the reversal as its own line", async () => {
    const rows = rowsOf((await getCsv(`/api/v1/campaigns/${code}/statement.csv?audience=auditor`, c.tokens.auditor).expect(200)).body);
    expect(rows.filter((r) => r.voucher_no.startsWith("PT-2023-") || r.voucher_no.startsWith("PT-2024-"))).to.have.length(4);
    expect(rows.filter((r) => r.voucher_no.startsWith("PC-2024-"))).to.have.length(3);
    const rice = rows.find((r) => r.kind === "donation" && r.unit === "kg")!;
    expect(rice).to.include({ quantity: "200", in_dong: "3000000" });
    const reversal = rows.find((r) => r.kind === "reversal")!;
    expect(reversal).to.include({ out_dong: "300000", counterparty: "Lê Văn Tư" });
    expect(reversal.description).to.contain("Ghi trùng");
  });

  it("defuses spreadsheet formulas and quotes per RFC 4180", async () => {
    const res = await getCsv(`/api/v1/campaigns/${code}/statement.csv?audience=auditor`, c.tokens.auditor).expect(200);
    const row = rowsOf(res.body).find((r) => r.counterparty.includes("HYPERLINK"))!;
    expect(row.counterparty).to.equal("'=HYPERLINK(\"http://x\")");
    expect(res.body.toString("utf8")).to.contain("\"'=HYPERLINK(\"\"http://x\"\")\"");
  });

  it("gives the public no private name, phone or account number, and initials for households", async () => {
    const res = await getCsv(`/api/v1/campaigns/${code}/statement.csv?committee=${c.committee.code}`).expect(200);
    expect(res.headers["x-statement-audience"]).to.equal("public");
    const text = (res.body as Buffer).toString("utf8");
    for (const secret of ["Trần Văn Bí Mật", "0987654321", "0987 654 321", "0011009990001", "LY THI YEN", "Phạm Thị Hồng", "Đặng Văn Ơn"]) {
      expect(text, secret).not.to.contain(secret);
    }
    const rows = rowsOf(res.body);
    expect(rows.find((r) => r.description.includes("SĐT"))!.description).to.equal("Nhận ủng hộ của Nhà hảo tâm, SĐT *******321, STK **********001");
    expect(rows.map((r) => r.counterparty)).to.include.members(["Nguyễn Thị Thu Hà", "Nhà hảo tâm", "Đ.V.Ơ. (Khu phố 6)"]);
  });

  it("gives a treasurer's request for the auditor's version the public one; needs a committee without a token", async () => {
    const res = await getCsv(`/api/v1/campaigns/${code}/statement.csv?audience=auditor`, c.tokens.treasurer).expect(200);
    expect(res.headers["x-statement-audience"]).to.equal("public");
    const anon = await request(app).get(`/api/v1/campaigns/${code}/statement.csv`).expect(422);
    expect(anon.body.field).to.equal("query.committee");
    await request(app).get(`/api/v1/campaigns/${code}/statement.csv?committee=nope-nope`).expect(404);
    await request(app).get(`/api/v1/campaigns/${code}/statement.csv`).set("Authorization", "Bearer sq_wrongwrongwrongwrong").expect(401);
  });

  it("is byte-identical at the same ledger position, and generating it changes nothing", async () => {
    const head = () => s.db.knex("journal_entries").where({ committee_id: c.committee.id }).orderBy("seq", "desc").first("seq", "hash");
    const before = await head();
    const a = await getCsv(`/api/v1/campaigns/${code}/statement.csv?audience=auditor`, c.tokens.auditor).expect(200);
    const b = await getCsv(`/api/v1/campaigns/${code}/statement.csv?audience=auditor`, c.tokens.auditor).expect(200);
    expect(Buffer.compare(a.body, b.body)).to.equal(0);
    expect(a.headers["x-statement-digest"]).to.equal(b.headers["x-statement-digest"]);
    expect(await head()).to.deep.equal(before);
  });

  it("cuts a period: opening balance at from, closing at to", async () => {
    const all = rowsOf((await getCsv(`/api/v1/campaigns/${code}/statement.csv?audience=auditor`, c.tokens.auditor)).body);
    const jan = rowsOf((await getCsv(`/api/v1/campaigns/${code}/statement.csv?audience=auditor&from=2024-01-01&to=2024-01-31`, c.tokens.auditor).expect(200)).body);
    expect(jan[0]).to.include({ row_type: "opening", document_date: "2024-01-01", balance_dong: "5000000" });
    const janEntries = jan.filter((r) => r.row_type === "entry");
    expect(janEntries.every((r) => r.document_date >= "2024-01-01" && r.document_date <= "2024-01-31")).to.equal(true);
    const lastJan = all.filter((r) => r.row_type === "entry" && r.document_date <= "2024-01-31").at(-1)!;
    expect(jan.at(-1)!.balance_dong).to.equal(lastJan.balance_dong);
    const bad = await request(app).get(`/api/v1/campaigns/${code}/statement.csv?from=2024-02-01&to=2024-01-01&committee=${c.committee.code}`).expect(422);
    expect(bad.body.code).to.equal("invalid_date");
  });
});

// A journalist who trims a statement link to its committee must not publish
// unverified numbers: without a token, or with audience=public whoever asks,
// a statement (CSV and PDF) carries verified entries only and its balances
// count only them. Only auditor and approver tokens may ask for the full view.
describe("public statements are verified-only", () => {
  let v: TestCommittee;
  let vcode: string;
  const verified: string[] = [];
  const unverified: string[] = [];
  const auth = (token: string) => ({ Authorization: `Bearer ${token}` });
  const csvPath = () => `/api/v1/campaigns/${vcode}/statement.csv`;

  before(async () => {
    if (!app) ({ app, s } = await testApp());
    v = await makeCommittee(s, "Ủy ban MTTQ Việt Nam thị trấn Gò Quao");
    vcode = uniqueCode("VO").toUpperCase();
    const t = v.principals.treasurer;
    await s.ledger.createCampaign(t, { code: vcode, name: "Quỹ “Vì người nghèo” 2024", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
    const give = async (list: string[], date: string, amount: string, name: string) => {
      const r = await s.ledger.recordDonation(t, vcode, { receivedOn: date, amountDong: amount, method: "cash", donor: { name, kind: "individual", publishName: true } }, meta());
      list.push(r.entry.id);
    };
    const pay = async (list: string[], date: string, amount: string, name: string) => {
      const r = await s.ledger.recordDisbursement(t, vcode, {
        paidOn: date, amountDong: amount, method: "cash", purpose: "gift_package", quantity: "1", unit: "suất",
        beneficiary: { name, category: "poor", area: "Khu phố 1" },
      }, meta());
      list.push(r.entry.id);
    };
    await give(verified, "2024-01-10", "5000000", "Nguyễn Thị Đã Duyệt");
    await give(unverified, "2024-01-11", "777000", "Trần Văn Chưa Duyệt");
    await pay(verified, "2024-01-20", "1200000", "Phạm Thị Một");
    await pay(unverified, "2024-01-21", "333000", "Phạm Thị Hai");
    await s.controls.verify(v.principals.approver, verified);
  });

  /** The statement holds exactly the verified entries, all marked verified, with verified balances. */
  function expectVerifiedOnly(res: request.Response, who: string) {
    const rows = rowsOf(res.body);
    expect(rows.at(-1), who).to.include({ row_type: "closing", in_dong: "5000000", out_dong: "1200000", balance_dong: "3800000" });
    const entries = rows.filter((r) => r.row_type === "entry");
    expect(entries.map((r) => r.entry_id).sort(), who).to.deep.equal([...verified].sort());
    expect(entries.every((r) => r.verified === "true"), who).to.equal(true);
    const text = (res.body as Buffer).toString("utf8");
    expect(text, who).not.to.contain("Trần Văn Chưa Duyệt");
    expect(res.headers["x-statement-audience"], who).to.equal("public");
    expect(res.headers["x-statement-verified-only"], who).to.equal("true");
  }

  it("gives no token the verified entries only, balances included", async () => {
    const res = await getCsv(`${csvPath()}?committee=${v.committee.code}`).expect(200);
    expectVerifiedOnly(res, "no token");
  });

  it("gives audience=public the verified entries only, even to an auditor token", async () => {
    const anon = await getCsv(`${csvPath()}?committee=${v.committee.code}&audience=public`).expect(200);
    expectVerifiedOnly(anon, "no token, audience=public");
    const res = await getCsv(`${csvPath()}?audience=public`, v.tokens.auditor).expect(200);
    expectVerifiedOnly(res, "auditor, audience=public");
    expect(res.headers["x-statement-digest"]).to.equal(anon.headers["x-statement-digest"]);
  });

  it("gives auditor and approver tokens the unverified entries when they ask for the full view", async () => {
    for (const who of ["auditor", "approver"] as const) {
      const res = await getCsv(`${csvPath()}?audience=auditor`, v.tokens[who]).expect(200);
      expect(res.headers["x-statement-audience"], who).to.equal("auditor");
      expect(res.headers["x-statement-verified-only"], who).to.equal("false");
      const rows = rowsOf(res.body);
      const entries = rows.filter((r) => r.row_type === "entry");
      expect(entries.map((r) => r.entry_id).sort(), who).to.deep.equal([...verified, ...unverified].sort());
      expect(entries.filter((r) => r.verified === "false").map((r) => r.entry_id).sort(), who).to.deep.equal([...unverified].sort());
      expect(rows.at(-1), who).to.include({ in_dong: "5777000", out_dong: "1533000", balance_dong: "4244000" });
      // …and the verified view when they ask for it.
      const only = await getCsv(`${csvPath()}?audience=auditor&verified=true`, v.tokens[who]).expect(200);
      expect(only.headers["x-statement-verified-only"], who).to.equal("true");
      expect(rowsOf(only.body).at(-1)!.balance_dong, who).to.equal("3800000");
    }
  });

  it("gives treasurer and admin tokens the public verified view, and refuses them the unverified one", async () => {
    for (const who of ["treasurer", "admin"] as const) {
      const res = await getCsv(`${csvPath()}?audience=auditor`, v.tokens[who]).expect(200);
      expectVerifiedOnly(res, `${who}, audience=auditor`);
      const refused = await request(app).get(`${csvPath()}?audience=auditor&verified=false`).set(auth(v.tokens[who]));
      expect(refused.status, who).to.equal(403);
      expect(refused.body.field, who).to.equal("query.verified");
    }
    const anon = await request(app).get(`${csvPath()}?committee=${v.committee.code}&verified=false`);
    expect(anon.status).to.equal(403);
    expect(anon.body.code).to.equal("forbidden");
  });

  it("gives no token a PDF of the verified entries only, its closing balance in words included", async () => {
    const res = await getCsv(`/api/v1/campaigns/${vcode}/statement.pdf?committee=${v.committee.code}`).expect(200);
    expect(res.headers["content-type"]).to.equal("application/pdf");
    const dir = mkdtempSync(path.join(tmpdir(), "soquy-verified-pdf-"));
    try {
      const file = path.join(dir, "public.pdf");
      writeFileSync(file, res.body as Buffer);
      const text = execFileSync("pdftotext", ["-layout", file, "-"]).toString("utf8");
      expect(text).to.contain("Nguyễn Thị Đã Duyệt").and.contain("5.000.000").and.contain("1.200.000").and.contain("3.800.000");
      for (const absent of ["Trần Văn Chưa Duyệt", "777.000", "333.000", "4.244.000", "5.777.000", "1.533.000", "Chưa xác minh"]) {
        expect(text, absent).not.to.contain(absent);
      }
      expect(text.replace(/\s+/g, " ")).to.contain(`Bằng chữ: ${amountInWords(3_800_000n)}`);
      expect(res.headers["x-statement-verified-only"]).to.equal("true");
      // A Digest header names the bytes sent: a PDF rendered as it streams has none to name (never the CSV's).
      const sent = `sha-256=${createHash("sha256").update(res.body as Buffer).digest("base64")}`;
      expect(res.headers["digest"] ?? sent).to.equal(sent);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

import { expect } from "chai";
import { PassThrough } from "node:stream";
import type { Express } from "express";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { prepareStatement } from "../src/statements/builder.js";
import { csvClosing, csvHeader, csvLine, csvOpening } from "../src/statements/csv.js";
import { makeCommittee, type TestCommittee } from "./support/db.js";
import { testApp } from "./support/http.js";

// The CSV pass lets PostgreSQL write most cells and the running balance (src/db/statements.ts);
// src/statements/csv.ts says what the bytes must be. Here the two meet on awkward data: the file must be
// exactly the header, the opening, csvLine of every line the PDF pass reads, and the closing.
describe("campaign statement CSV: the cells PostgreSQL writes are src/statements/csv.ts's", () => {
  let app: Express;
  let s: Soquy;
  let c: TestCommittee;
  const code = "CSVSQL";
  let n = 0;
  const post = async (path: string, body: object, token?: string) => {
    const res = await request(app).post(path).set("Authorization", `Bearer ${token ?? c.tokens.treasurer}`)
      .set("Idempotency-Key", `csvsql-${Date.now()}-${++n}`).send(body);
    expect(res.status, `${path}: ${JSON.stringify(res.body)}`).to.equal(201);
    return res.body as { id: string };
  };

  before(async () => {
    ({ app, s } = await testApp());
    c = await makeCommittee(s, "Ủy ban MTTQ \"Phường 2\", thị xã Kiến Tường");
    await post("/api/v1/campaigns", { code, name: "Quỹ, \"thử\" =biên", kind: "relief", startsOn: "2024-01-01" });
    const donation = (receivedOn: string, amountDong: string, donor: object, extra: object = {}) =>
      post(`/api/v1/campaigns/${code}/donations`, { receivedOn, amountDong, method: "cash", donor, ...extra });
    const first = await donation("2024-01-02", "5000000", { name: "Nguyễn Thị Thu Hà", kind: "individual", publishName: true });
    await donation("2024-01-03", "2000000", { name: "Trần Văn Bí Mật", kind: "individual", publishName: false, phone: "0987654321" },
      { description: "Trần Văn Bí Mật ủng hộ, SĐT 0987 654 321; lại Trần Văn Bí Mật" });
    await donation("2024-01-04", "1000000", { name: "=HYPERLINK(\"http://x\")", kind: "business", publishName: true });
    await donation("2024-01-05", "777", { kind: "anonymous", publishName: false }, { description: "-trừ\tmột, hai" });
    await donation("2024-01-06", "888", { name: "Lê \"Quote\" Văn", kind: "individual", publishName: true }, { description: "@all \"x\"\r\ny" });
    const goods = await post(`/api/v1/campaigns/${code}/donations`, {
      receivedOn: "2024-02-02", amountDong: "300000", method: "in_kind", donor: { name: "Hộ Bà Tư", kind: "individual", publishName: false },
      items: [{ description: "Mì", quantity: "10", unit: "thùng, \"hộp\"", unitValueDong: "20000", valuationBasis: "giá" },
        { description: "Mì nữa", quantity: "5", unit: "thùng, \"hộp\"", unitValueDong: "20000", valuationBasis: "giá" }],
    });
    await post(`/api/v1/campaigns/${code}/donations`, {
      receivedOn: "2024-02-03", amountDong: "40000", method: "in_kind", donor: { name: "Chị Năm", kind: "individual", publishName: true },
      items: [{ description: "Nước", quantity: "4", unit: "=chai", unitValueDong: "10000", valuationBasis: "giá" }],
    });
    const paid = await post(`/api/v1/campaigns/${code}/disbursements`, {
      paidOn: "2024-02-10", amountDong: "350000", method: "cash", purpose: "gift_package", quantity: 1, unit: "suất",
      beneficiary: { name: "ông  đỗ   văn   ỷ", category: "near_poor", area: "=Khu 3, ấp \"2\"" },
    });
    // Money moved between the campaign's cash and bank: entries with two asset rows, merged into one line.
    await post("/api/v1/entries", {
      entryDate: "2024-03-05", description: "Nộp tiền mặt vào ngân hàng",
      postings: [{ account: `1121.${code}`, amountDong: "1000000" }, { account: `1111.${code}`, amountDong: "-1000000" }],
    });
    await post("/api/v1/entries", {
      entryDate: "2024-03-06", description: "Phí SMS, rút 50 & nộp 20",
      postings: [{ account: `6111.${code}`, amountDong: "11000" }, { account: `1121.${code}`, amountDong: "-61000" }, { account: `1111.${code}`, amountDong: "50000" }],
    });
    for (const id of [first.id, goods.id, paid.id]) await post(`/api/v1/entries/${id}/reverse`, { reason: "=Sai, ghi lại", entryDate: "2024-03-10" });
    // Verified, so that the public statement (verified entries only) carries every line too.
    const ids = await s.db.knex("journal_entries").where({ committee_id: c.committee.id }).orderBy("seq").pluck("id");
    await s.controls.verify(c.principals.approver, ids);
  });

  for (const audience of ["public", "auditor"] as const) {
    it(`${audience}: header, opening, csvLine of each line, closing, byte for byte`, async () => {
      const campaign = await s.ledger.campaign(c.committee.id, code);
      const st = await prepareStatement(s.statements, c.committee, campaign, { audience });
      try {
        const sink = new PassThrough();
        const chunks: Buffer[] = [];
        sink.on("data", (d: Buffer) => chunks.push(d));
        await st.writeCsv(sink);
        const lines = [];
        for await (const l of st.lines()) lines.push(l);
        expect(lines).to.have.length(st.totals.lines).and.to.have.length(13);
        expect(lines.filter((l) => l.inDong > 0n && l.outDong > 0n)).to.have.length(2); // the merged moves
        const expected = csvHeader() + csvOpening(st.header) + lines.map(csvLine).join("") + csvClosing(st.header, st.totals);
        expect(Buffer.concat(chunks).toString("utf8")).to.equal(expected);
      } finally {
        st.dispose();
      }
    });
  }
});

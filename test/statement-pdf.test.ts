import { expect } from "chai";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Express } from "express";
import request from "supertest";
import { amountInWords } from "../reports/words.js";
import { makeCommittee, uniqueCode, type TestCommittee } from "./support/db.js";
import { testApp } from "./support/http.js";

// The PDF served by the API, read back with poppler's pdftotext: same
// figures and digest as the CSV of the same request.
const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on("data", (d: Buffer) => chunks.push(d));
  res.on("end", () => cb(null, Buffer.concat(chunks)));
};

describe("campaign statements (PDF over HTTP)", () => {
  let app: Express;
  let c: TestCommittee;
  let code: string;
  let dir: string;
  let n = 0;
  const post = (p: string, body: object) =>
    request(app).post(p).set("Authorization", `Bearer ${c.tokens.treasurer}`).set("Idempotency-Key", `pdf-${Date.now()}-${++n}`).send(body);

  before(async () => {
    const t = await testApp();
    app = t.app;
    dir = mkdtempSync(path.join(tmpdir(), "soquy-pdf-http-"));
    c = await makeCommittee(t.s, "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường");
    code = uniqueCode("VNN").toUpperCase();
    await post("/api/v1/campaigns", { code, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", startsOn: "2024-01-01", targetDong: "21000000" }).expect(201);
    for (const [day, amount, name] of [["2024-01-15", "5000000", "Nguyễn Thị Thu Hà"], ["2024-03-02", "3000000", "Đỗ Văn Ỷ"]] as const) {
      await post(`/api/v1/campaigns/${code}/donations`, {
        receivedOn: day, amountDong: amount, method: "cash", donor: { name, kind: "individual", publishName: true },
      }).expect(201);
    }
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("reads back in Vietnamese with the CSV's digest, the position and the closing balance in words", async () => {
    const pdf = await request(app).get(`/api/v1/campaigns/${code}/statement.pdf?audience=auditor`)
      .set("Authorization", `Bearer ${c.tokens.auditor}`).buffer(true).parse(binary).expect(200);
    expect(pdf.headers["content-type"]).to.equal("application/pdf");
    const csv = await request(app).get(`/api/v1/campaigns/${code}/statement.csv?audience=auditor`)
      .set("Authorization", `Bearer ${c.tokens.auditor}`).buffer(true).parse(binary).expect(200);
    expect(pdf.headers["x-statement-digest"]).to.equal(csv.headers["x-statement-digest"]);
    const file = path.join(dir, "statement.pdf");
    writeFileSync(file, pdf.body as Buffer);
    const text = execFileSync("pdftotext", ["-layout", file, "-"]).toString("utf8");
    expect(text).to.contain("Quỹ “Vì người nghèo” năm 2024");
    expect(text).to.contain("Từ ngày 01/01/2024 đến ngày 02/3/2024");
    expect(text).to.contain("Nguyễn Thị Thu Hà");
    expect(text).to.contain("Đỗ Văn Ỷ");
    expect(text).to.contain("8.000.000");
    expect(text.replace(/\s+/g, " ")).to.contain(`Bằng chữ: ${amountInWords(8_000_000n)}`);
    expect(text.replace(/\s+/g, "")).to.contain(String(pdf.headers["x-statement-digest"]));
    const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync("pdfinfo", [file]).toString())![1]);
    for (let p = 1; p <= pages; p++) expect(text).to.contain(`Trang ${p}/${pages}`);
    expect(readFileSync(file).subarray(0, 5).toString()).to.equal("%PDF-");
  });

  it("hides private donors in the public PDF", async () => {
    const hidden = await post(`/api/v1/campaigns/${code}/donations`, {
      receivedOn: "2024-03-05", amountDong: "10000", method: "cash", donor: { name: "Trần Văn Kín Đáo", kind: "individual", publishName: false },
    }).expect(201);
    // The public PDF shows verified entries only.
    await request(app).post(`/api/v1/entries/${hidden.body.id}/verify`).set("Authorization", `Bearer ${c.tokens.approver}`).send({}).expect(200);
    const pdf = await request(app).get(`/api/v1/campaigns/${code}/statement.pdf?committee=${c.committee.code}`).buffer(true).parse(binary).expect(200);
    const file = path.join(dir, "public.pdf");
    writeFileSync(file, pdf.body as Buffer);
    const text = execFileSync("pdftotext", ["-layout", file, "-"]).toString("utf8");
    expect(text).not.to.contain("Kín Đáo");
    expect(text).to.contain("Nhà hảo tâm");
  });
});

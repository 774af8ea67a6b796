import { expect } from "chai";
import http from "node:http";
import type { Server } from "node:http";
import type { Soquy } from "../src/context.js";
import { makeCommittee, meta, type TestCommittee, uniqueCode } from "./support/db.js";
import { testServer } from "./support/http.js";

// A statement upload is read to a temporary file before the import takes the committee's lock and a
// database connection: a slow client holds neither (on the embedded default, PGlite's one connection
// would otherwise stall every request), and one that stops sending is answered 408 and let go.

const HEADER = "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails\r\n";
const LINE = "1,01/09/2024,5213.90595,,6.000,,154980.010924.218221.HO XUAN DUNG chuyen tien\r\n";

/** A POST whose body is sent in two parts, `pauseMs` apart; the answer's status and body. */
function slowUpload(base: string, path: string, token: string, pauseMs: number, finish = true): Promise<{ status: number; body: string; firstPartAt: number }> {
  return new Promise((resolve, reject) => {
    const url = new URL(path, base);
    const req = http.request(url, { method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": "text/csv" } }, (res) => {
      let body = "";
      res.on("data", (d: Buffer) => (body += d));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body, firstPartAt }));
    });
    req.on("error", reject);
    req.write(HEADER);
    const firstPartAt = Date.now();
    setTimeout(() => {
      if (!finish) return;
      req.end(LINE);
    }, pauseMs);
  });
}

describe("statement uploads", function () {
  let s: Soquy;
  let server: Server;
  let base: string;
  let tc: TestCommittee;
  const campaign = uniqueCode("UP").toUpperCase();
  before(async () => {
    ({ s, server, base } = await testServer());
    tc = await makeCommittee(s, "Ủy ban MTTQ phường Tải Chậm");
    await s.ledger.createCampaign(tc.principals.treasurer, { code: campaign, name: "Ủng hộ đồng bào bị bão", kind: "relief", startsOn: "2024-09-01" }, meta());
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  it("a slow upload holds up nobody: other requests are answered while its bytes trickle in", async () => {
    const path = `/api/v1/bank-imports?campaign=${campaign}&bankAccount=0011009990001&layout=vcb&openingBalance=0`;
    const upload = slowUpload(base, path, tc.tokens.treasurer, 3000);
    await new Promise((r) => setTimeout(r, 300));
    const started = Date.now();
    const other = await fetch(`${base}/api/v1/campaigns/${campaign}`, { headers: { Authorization: `Bearer ${tc.tokens.auditor}` } });
    expect(other.status).to.equal(200);
    expect(Date.now() - started, "answered while the upload waits").to.be.below(2000);
    const done = await upload;
    expect(done.status, done.body).to.equal(201);
    expect(JSON.parse(done.body)).to.include({ linesRead: 1, recorded: 1 });
  });

  it("an upload that stops sending is answered 408 and nothing is written", async () => {
    const before = process.env.UPLOAD_IDLE_SECONDS;
    process.env.UPLOAD_IDLE_SECONDS = "1";
    try {
      const path = `/api/v1/bank-imports?campaign=${campaign}&bankAccount=0011009990002&layout=vcb&openingBalance=0`;
      const r = await slowUpload(base, path, tc.tokens.treasurer, 0, false);
      expect(r.status).to.equal(408);
      expect(JSON.parse(r.body).code).to.equal("upload_timeout");
      expect(Date.now() - r.firstPartAt).to.be.within(900, 5000);
      const lines = await s.db.knex("bank_lines").where({ committee_id: tc.committee.id }).count("* as n").first();
      expect(Number((lines as { n: string }).n)).to.equal(1); // the first test's line only
    } finally {
      if (before === undefined) delete process.env.UPLOAD_IDLE_SECONDS;
      else process.env.UPLOAD_IDLE_SECONDS = before;
    }
  });
});

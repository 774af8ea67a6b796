import { expect } from "chai";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Express } from "express";
import { pino } from "pino";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { createApp } from "../src/http/app.js";
import { StatementFiles, statementKey, type StatementRequest } from "../src/public/statementfiles.js";
import { makeCommittee, meta, type TestCommittee, testSoquy, uniqueCode } from "./support/db.js";

// A public statement cut at a publication is made once and then served from its file: the page's
// facts and every download share that one making, a spike of downloads reads the file, and a kept
// download asks nothing of the database.

const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on("data", (c: Buffer) => chunks.push(c));
  res.on("end", () => cb(null, Buffer.concat(chunks)));
};

/** Work the service does in the background on its own clock (publishers, sweeps, statistics), not for a request. */
const BACKGROUND = /saoke_|rate_limit|bank_import_jobs|verify_jobs|soquy_refresh_statistics|pg_stat|pg_class/;

/** The number of queries the database is asked for requests while `work` runs. */
async function queriesDuring(s: Soquy, work: () => Promise<unknown>): Promise<number> {
  let n = 0;
  const count = (q: { sql?: string }) => void (BACKGROUND.test(q.sql ?? "") || n++);
  s.db.knex.on("query", count);
  try {
    await work();
  } finally {
    s.db.knex.removeListener("query", count);
  }
  return n;
}

describe("public statements served from the file their publication made", () => {
  let s: Soquy;
  let tc: TestCommittee;
  let app: Express;
  const code = uniqueCode("FILE").toUpperCase();
  let day = 0;

  async function publish(amount: string): Promise<number> {
    const id = (await s.ledger.recordDonation(tc.principals.treasurer, code, { receivedOn: `2024-03-${String(1 + (day++ % 28)).padStart(2, "0")}`,
      amountDong: amount, method: "cash", donor: { name: "Nhà hảo tâm", kind: "anonymous", publishName: false } }, meta())).entry.id;
    await s.controls.verify(tc.principals.approver, [id]);
    return (await s.publicQueries.currentPublication(tc.committee.id)).vseq;
  }
  const csvPath = (at: number, extra = "") => `/api/v1/campaigns/${code}/statement.csv?committee=${tc.committee.code}&audience=public&at=${at}${extra}`;
  const get = (p: string) => request(app).get(p).buffer(true).parse(binary);

  before(async () => {
    s = await testSoquy();
    tc = await makeCommittee(s, "Ủy ban MTTQ phường Tệp Kê");
    await s.ledger.createCampaign(tc.principals.treasurer, { code, name: "Quỹ Vì người nghèo", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
    app = createApp(s, pino({ level: "silent" }));
  });

  it("a second download is the same bytes, immutable, and asks the database nothing", async () => {
    const at = await publish("100000");
    const first = await get(csvPath(at)).expect(200);
    const body = first.body as Buffer;
    expect(createHash("sha256").update(body).digest("hex")).to.equal(first.headers["x-statement-digest"]);
    expect(first.headers["cache-control"]).to.equal("public, max-age=31536000, immutable");
    expect(first.headers["content-length"]).to.equal(String(body.length));
    let again!: request.Response;
    const asked = await queriesDuring(s, async () => void (again = await get(csvPath(at)).expect(200)));
    expect(asked).to.equal(0);
    expect(Buffer.compare(again.body as Buffer, body)).to.equal(0);
    expect(again.headers.etag).to.equal(first.headers.etag);
    // It is cut at the publication's chain head (a verification adds no entry, so that is the head now).
    const checkpointAt = await s.statements.head(tc.committee.id);
    expect(first.headers["x-ledger-position"]).to.equal(`${checkpointAt.seq}:${checkpointAt.hash}`);
  });

  it("answers 304 to a matching If-None-Match, and a publication makes a new file with new bytes", async () => {
    const at = await publish("250000");
    const first = await get(csvPath(at)).expect(200);
    await request(app).get(csvPath(at)).set("If-None-Match", first.headers.etag!).expect(304);
    const next = await publish("300000");
    const second = await get(csvPath(next)).expect(200);
    expect(second.headers.etag).to.not.equal(first.headers.etag);
    expect((second.body as Buffer).toString("utf8")).to.include("300");
    // The earlier permalink keeps its bytes.
    const old = await get(csvPath(at)).expect(200);
    expect(Buffer.compare(old.body as Buffer, first.body as Buffer)).to.equal(0);
  });

  it("the public page's facts and the download share one making: the download after the page asks nothing", async () => {
    const at = await publish("410000");
    const totals = await request(app).get(`/api/v1/public/committees/${tc.committee.code}/campaigns/${code}/totals`).expect(200);
    expect(totals.body.position.publication).to.equal(at);
    const link = totals.body.statement.csv as string;
    let res!: request.Response;
    const asked = await queriesDuring(s, async () => void (res = await get(link).expect(200)));
    expect(asked).to.equal(0);
    expect(res.headers["x-statement-digest"]).to.equal(totals.body.statement.digest);
  });

  it("twenty concurrent downloads of a new publication get the same bytes, made once", async () => {
    const at = await publish("530000");
    const before = s.statementFiles.makings;
    const answers = await Promise.all(Array.from({ length: 20 }, () => get(`${csvPath(at)}&from=2024-01-01`).expect(200)));
    expect(s.statementFiles.makings - before).to.equal(1);
    const bytes = answers[0]!.body as Buffer;
    for (const a of answers) expect(Buffer.compare(a.body as Buffer, bytes)).to.equal(0);
  });

  it("the PDF is kept too, and tokens and cuts without a publication are never served from a kept file", async () => {
    const at = await publish("640000");
    const pdfPath = csvPath(at).replace("statement.csv", "statement.pdf");
    const pdf = await get(pdfPath).expect(200).expect("Content-Type", "application/pdf");
    expect((pdf.body as Buffer).subarray(0, 5).toString()).to.equal("%PDF-");
    const asked = await queriesDuring(s, () => get(pdfPath).expect(200));
    expect(asked).to.equal(0);
    const live = await get(`/api/v1/campaigns/${code}/statement.csv?committee=${tc.committee.code}`).expect(200);
    expect(live.headers["cache-control"]).to.equal("no-store");
    const token = await request(app).get(`/api/v1/campaigns/${code}/statement.csv?audience=public&at=${at}`)
      .set("Authorization", `Bearer ${tc.tokens.auditor}`).expect(200);
    expect(token.headers["cache-control"]).to.equal("no-store");
  });

  it("an unknown publication is a 404, not a kept failure", async () => {
    const res = await request(app).get(csvPath(999_999)).expect(404);
    expect(res.body.code).to.equal("not_found");
    await request(app).get(csvPath(999_999)).expect(404);
  });
});

describe("the statement files' folder", () => {
  let s: Soquy;
  let root: string;
  before(async () => {
    s = await testSoquy();
    root = mkdtempSync(path.join(tmpdir(), "soquy-files-test-"));
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("keeps within its bound, dropping the file read least recently, and makes it again with the same bytes", async () => {
    const tc = await makeCommittee(s, "Ủy ban MTTQ xã Giới Hạn");
    const code = uniqueCode("BOUND").toUpperCase();
    await s.ledger.createCampaign(tc.principals.treasurer, { code, name: "Quỹ Tết", kind: "tet_gifts", startsOn: "2024-01-01" }, meta());
    const cuts: StatementRequest[] = [];
    for (const amount of ["100000", "200000", "300000"]) {
      const id = (await s.ledger.recordDonation(tc.principals.treasurer, code, { receivedOn: "2024-02-01", amountDong: amount, method: "cash",
        donor: { name: "Nhà hảo tâm", kind: "anonymous", publishName: false } }, meta())).entry.id;
      await s.controls.verify(tc.principals.approver, [id]);
      const p = await s.publicQueries.currentPublication(tc.committee.id);
      cuts.push({ committee: tc.committee, campaign: await s.ledger.campaign(tc.committee.id, code), publication: { vseq: p.vseq, headSeq: p.headSeq, headHash: p.headHash! } });
    }
    const files = new StatementFiles(s.statements, 1, root); // one byte: only the newest file stays
    try {
      const key = (i: number) => statementKey(tc.committee.code, code, cuts[i]!.publication.vseq, undefined, undefined, "csv");
      const first = await files.get(key(0), "csv", cuts[0]!);
      await files.get(key(1), "csv", cuts[1]!);
      expect(existsSync(first.file)).to.equal(false);
      expect(await files.find(key(0))).to.equal(null);
      const again = await files.get(key(0), "csv", cuts[0]!);
      expect(again.facts.sha256).to.equal(first.facts.sha256);
      expect(existsSync(again.file)).to.equal(true);
    } finally {
      files.close();
    }
  });

  it("keeps statements narrowed to dates apart: however many ranges are asked for, the permalinks stay", async () => {
    const tc = await makeCommittee(s, "Ủy ban MTTQ xã Nhiều Khoảng");
    const code = uniqueCode("RANGE").toUpperCase();
    await s.ledger.createCampaign(tc.principals.treasurer, { code, name: "Quỹ Tết", kind: "tet_gifts", startsOn: "2024-01-01" }, meta());
    const id = (await s.ledger.recordDonation(tc.principals.treasurer, code, { receivedOn: "2024-02-01", amountDong: "100000", method: "cash",
      donor: { name: "Nhà hảo tâm", kind: "anonymous", publishName: false } }, meta())).entry.id;
    await s.controls.verify(tc.principals.approver, [id]);
    const p = await s.publicQueries.currentPublication(tc.committee.id);
    const cut: StatementRequest = { committee: tc.committee, campaign: await s.ledger.campaign(tc.committee.id, code), publication: { vseq: p.vseq, headSeq: p.headSeq, headHash: p.headHash! } };
    const files = new StatementFiles(s.statements, 10 * 1024 * 1024, root, 2); // two ranged files at the most
    try {
      const whole = statementKey(tc.committee.code, code, p.vseq, undefined, undefined, "csv");
      await files.get(whole, "csv", cut);
      const ranged: string[] = [];
      for (const day of ["2024-01-01", "2024-01-02", "2024-01-03", "2024-01-04"]) {
        const key = statementKey(tc.committee.code, code, p.vseq, day, undefined, "csv");
        ranged.push(key);
        await files.get(key, "csv", { ...cut, from: day });
      }
      expect(await files.find(whole), "the permalink").not.to.equal(null);
      expect((await Promise.all(ranged.map((k) => files.find(k)))).map((f) => f !== null)).to.deep.equal([false, false, true, true]);
    } finally {
      files.close();
    }
  });

  it("is removed at close, and a folder left by a process that is gone is removed at the next start", () => {
    const dead = path.join(root, "soquy-public-statements-999999999-dead");
    mkdirSync(dead);
    const files = new StatementFiles(s.statements, 1024, root);
    expect(existsSync(dead)).to.equal(false);
    const mine = readdirSync(root).filter((n) => n.startsWith(`soquy-public-statements-${process.pid}-`));
    expect(mine).to.have.length(1);
    files.close();
    expect(readdirSync(root).filter((n) => n.startsWith(`soquy-public-statements-${process.pid}-`))).to.have.length(0);
  });
});

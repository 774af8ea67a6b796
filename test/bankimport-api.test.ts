import { expect } from "chai";
import { execFile, spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import type { Express } from "express";
import { parse } from "csv-parse/sync";
import request from "supertest";
import { generateVcb } from "../bench/bankimport.js";
import { openSoquy, type Soquy } from "../src/context.js";
import { verifyChain } from "../src/ledger/verify.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee } from "./support/db.js";
import { testApp } from "./support/http.js";
import { sampleFacts, samples } from "./support/bank.js";

// Bank statements through the real HTTP API and the real CLI process: the
// samples posted as the bank exported them, the imports listed, a bank
// account reconciled (JSON and CSV, parsed back), and a large import killed
// with SIGKILL mid-way then run again.

describe("bank statements over HTTP", () => {
  let app: Express;
  let s: Soquy;
  let tc: TestCommittee;
  let campaign: string;
  const auth = (role: keyof TestCommittee["tokens"]) => ({ Authorization: `Bearer ${tc.tokens[role]}` });

  before(async () => {
    ({ app, s } = await testApp());
    tc = await makeCommittee(s, "Ban Vận động cứu trợ (HTTP)");
    campaign = uniqueCode("YAGI").toUpperCase();
    await s.ledger.createCampaign(tc.principals.treasurer, { code: campaign, name: "Ủng hộ đồng bào bị bão số 3", kind: "relief", startsOn: "2024-09-01" }, meta());
  });

  const post = (file: string, query: Record<string, string>) => request(app).post("/api/v1/bank-imports").set(auth("treasurer"))
    .set("Content-Type", "text/csv").query({ campaign, ...query }).send(readFileSync(file));

  it("imports a sample posted as CSV and answers with its summary; the list and the import read it back", async () => {
    const f = sampleFacts.agribank;
    const res = await post(`${samples}/bank-agribank-sample.csv`, { bankAccount: f.account, layout: "agribank", openingBalance: f.opening.toString() });
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ linesRead: 1000, recorded: 1000, donations: 1000, alreadyPresent: 0, balanceChecks: 1000, closingDong: f.closing.toString() });
    const one = await request(app).get(`/api/v1/bank-imports/${res.body.id}`).set(auth("auditor"));
    expect(one.status).to.equal(200);
    expect(one.body).to.deep.equal(res.body);
    const again = await post(`${samples}/bank-agribank-sample.csv`, { bankAccount: f.account, layout: "agribank" });
    expect(again.status).to.equal(201);
    expect(again.body).to.include({ recorded: 0, alreadyPresent: 1000, balanceChecks: 1000 });
    const list = await request(app).get("/api/v1/bank-imports").set(auth("approver"));
    expect(list.body.items.map((i: { id: number }) => i.id)).to.deep.equal([again.body.id, res.body.id]);
  });

  it("lets an approver verify an import's entries in bulk, oldest first, then counts them in the public totals", async () => {
    const x = await makeCommittee(s, "Ban Vận động cứu trợ (duyệt sao kê)");
    const code = uniqueCode("YAGI").toUpperCase();
    await s.ledger.createCampaign(x.principals.treasurer, { code, name: "Ủng hộ đồng bào bị bão số 3", kind: "relief", startsOn: "2024-09-01" }, meta());
    const f = sampleFacts.vietinbank;
    const imported = await request(app).post("/api/v1/bank-imports").set({ Authorization: `Bearer ${x.tokens.treasurer}` }).set("Content-Type", "text/csv")
      .query({ campaign: code, bankAccount: f.account, layout: "vietinbank", openingBalance: "0" }).send(readFileSync(`${samples}/bank-vietinbank-sample.csv`));
    expect(imported.status, JSON.stringify(imported.body)).to.equal(201);
    const recorded = imported.body.recorded as number;
    const verify = (role: "approver" | "treasurer", body: object) => request(app).post(`/api/v1/bank-imports/${imported.body.id}/verify`)
      .set({ Authorization: `Bearer ${x.tokens[role]}` }).send(body);
    expect((await verify("treasurer", {})).status).to.equal(403);
    expect((await verify("approver", { limit: 0 })).status).to.equal(422);

    const first = await verify("approver", { limit: 300 });
    expect(first.status, JSON.stringify(first.body)).to.equal(200);
    expect(first.body).to.deep.include({ approved: 300, verified: 300, refused: 0, waiting: recorded - 300 });
    // The oldest first: the 300 verified are the import's first 300 entries in the ledger.
    const seqs = await s.db.knex("bank_lines as b").join("journal_entries as e", "e.id", "b.entry_id").leftJoin("entry_verified as v", "v.entry_id", "e.id")
      .where("b.import_id", imported.body.id).orderBy("e.seq").select("e.seq", s.db.knex.raw("v.entry_id is not null as published"));
    expect(seqs.map((r) => r.published)).to.deep.equal(seqs.map((_, i) => i < 300));
    const rest = await verify("approver", {});
    expect(rest.body).to.deep.include({ approved: recorded - 300, verified: recorded - 300, refused: 0, waiting: 0 });
    expect((await verify("approver", {})).body).to.deep.include({ approved: 0, verified: 0, waiting: 0 });

    const totals = await request(app).get(`/api/v1/public/committees/${x.committee.code}/campaigns/${code}/totals`).expect(200);
    expect(totals.body).to.include({ receivedDong: f.closing.toString(), donations: recorded });
    expect(await s.store.publicFiguresMismatch(x.committee.id)).to.equal(null);
    expect((await request(app).post("/api/v1/bank-imports/999999/verify").set({ Authorization: `Bearer ${x.tokens.approver}` }).send({})).status).to.equal(404);
  });

  it("refuses a malformed file with 422, the line number and the reason, writing nothing", async () => {
    const body = readFileSync(`${samples}/bank-vcb-sample.csv`, "utf8").replace("2,01/09/2024,5161.57950,,50.000,10.847.907.731", "2,01/09/2024,5161.57950,,50.000,10.847.907.730");
    const before = await s.db.knex("journal_entries").where({ committee_id: tc.committee.id }).count("* as n").first();
    const res = await request(app).post("/api/v1/bank-imports").set(auth("treasurer")).set("Content-Type", "text/csv")
      .query({ campaign, bankAccount: sampleFacts.vcb.account, layout: "vcb", openingBalance: sampleFacts.vcb.opening.toString() }).send(body);
    expect(res.status).to.equal(422);
    expect(res.headers["content-type"]).to.match(/^application\/problem\+json/);
    expect(res.body).to.include({ code: "balance_assertion_failed", field: "file" });
    expect(res.body.detail).to.match(/^line 30: .*difference -1 đồng/);
    const after = await s.db.knex("journal_entries").where({ committee_id: tc.committee.id }).count("* as n").first();
    expect(after).to.deep.equal(before);
    const json = await request(app).post("/api/v1/bank-imports").set(auth("treasurer"))
      .query({ campaign, bankAccount: sampleFacts.vcb.account, layout: "vcb" }).send({ not: "a statement" });
    expect(json.status).to.equal(400);
  });

  it("reconciles a bank account: hand-recorded transfers matched exactly, the rest only in the ledger, balances side by side", async () => {
    const f = sampleFacts.vcb;
    const hand = [
      { receivedOn: "2024-09-01", amountDong: "6000", name: "Đặng Quang Lân" },
      { receivedOn: "2024-09-02", amountDong: "5000000", name: "Đỗ Kim Bình" },
      { receivedOn: "2024-09-05", amountDong: "123456", name: "Nguyễn Văn Chưa Về" },
    ];
    const ids: string[] = [];
    for (const h of hand) {
      const r = await s.ledger.recordDonation(tc.principals.treasurer, campaign, {
        receivedOn: h.receivedOn, amountDong: h.amountDong, method: "bank", bankAccount: f.account,
        donor: { name: h.name, kind: "individual", publishName: false },
      }, meta());
      ids.push(r.entry.id);
    }
    const imp = await post(`${samples}/bank-vcb-sample.csv`, { bankAccount: f.account, layout: "vcb", openingBalance: f.opening.toString() });
    expect(imp.status, JSON.stringify(imp.body)).to.equal(201);
    expect(imp.body).to.include({ matched: 2, recorded: f.lines - 2, fees: 1 });
    const rec = await request(app).get(`/api/v1/bank-accounts/${f.account}/reconciliation`).set(auth("auditor"));
    expect(rec.status, JSON.stringify(rec.body)).to.equal(200);
    expect(rec.body.matched.map((m: { entryId: string }) => m.entryId).sort()).to.deep.equal(ids.slice(0, 2).sort());
    expect(rec.body.onlyInLedger.map((m: { entryId: string }) => m.entryId)).to.deep.equal([ids[2]]);
    expect(rec.body.onlyInBank).to.deep.equal([]);
    expect(rec.body.bankBalanceDong).to.equal(f.closing.toString());
    expect(BigInt(rec.body.ledgerBalanceDong)).to.equal(f.closing + 123456n);
    expect(rec.body.differenceDong).to.equal("-123456");
    expect(rec.body.recordedByImport).to.equal(f.lines - 2);
    const csv = await request(app).get(`/api/v1/bank-accounts/${f.account}/reconciliation.csv`).query({ to: "2024-09-10" }).set(auth("auditor"))
      .buffer(true).parse((res, cb) => {
        let d = "";
        res.on("data", (c: Buffer) => (d += c.toString("utf8")));
        res.on("end", () => cb(null, d));
      });
    expect(csv.status).to.equal(200);
    const rows = parse(csv.body as string, { bom: true, columns: true }) as Record<string, string>[];
    expect(rows.filter((r) => r.status === "matched").length).to.equal(2);
    expect(rows.find((r) => r.status === "bank_balance")!.amount_dong).to.equal(f.closing.toString());
    expect(rows.filter((r) => r.status === "only_in_ledger").map((r) => r.amount_dong)).to.deep.equal(["123456"]);
    // A window that ends before the import: the bank balance is the statement's balance that day.
    const early = await request(app).get(`/api/v1/bank-accounts/${f.account}/reconciliation`).query({ to: "2024-09-01" }).set(auth("auditor"));
    expect(early.body.bankBalanceDong).to.equal("10847907731");
    // The public statement of the campaign (verified entries only, so the import is verified first):
    // memo phone and account numbers masked, unconsented names not shown.
    expect((await request(app).post(`/api/v1/bank-imports/${imp.body.id}/verify`).set(auth("approver")).send({})).status).to.equal(200);
    const pub = await request(app).get(`/api/v1/campaigns/${campaign}/statement.csv`).query({ committee: tc.committee.code });
    expect(pub.status).to.equal(200);
    expect(pub.text).not.to.contain("0904000111").and.not.to.contain("0011009990001").and.not.to.contain("DANG QUANG LAN");
    expect(pub.text).to.contain("*******111").and.to.contain("Nhà hảo tâm");
    const missing = await request(app).get("/api/v1/bank-accounts/9999999999/reconciliation").set(auth("auditor"));
    expect(missing.status).to.equal(404);
  });

  it("imports the same statement as .xlsx (dates as date cells, amounts as numbers) with the same result as its CSV", async () => {
    const { default: ExcelJS } = await import("exceljs");
    const rows = parse(readFileSync(`${samples}/bank-agribank-sample.csv`), { bom: true }) as string[][];
    const wb = new ExcelJS.Workbook();
    const ws = wb.addWorksheet("Sao kê");
    ws.addRow(rows[0]);
    for (const r of rows.slice(1)) {
      const [d, m, y] = r[1]!.split("/").map(Number);
      const amount = (x: string) => (x === "" ? null : Number(x.replaceAll(",", "")));
      ws.addRow([Number(r[0]), new Date(Date.UTC(y!, m! - 1, d!)), r[2], r[3], r[4], r[5], amount(r[6]!), amount(r[7]!), amount(r[8]!), r[9]]);
    }
    ws.getColumn(2).numFmt = "dd/mm/yyyy";
    const xlsx = Buffer.from(await wb.xlsx.writeBuffer());
    const acct = "880011223344";
    const f = sampleFacts.agribank;
    const res = await request(app).post("/api/v1/bank-imports").set(auth("treasurer"))
      .set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
      .query({ campaign, bankAccount: acct, layout: "agribank", openingBalance: f.opening.toString() }).send(xlsx);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ linesRead: 1000, recorded: 1000, balanceChecks: 1000, closingDong: f.closing.toString(), firstDate: "2024-09-09" });
    const broken = await request(app).post("/api/v1/bank-imports").set(auth("treasurer"))
      .set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
      .query({ campaign, bankAccount: acct, layout: "agribank" }).send(Buffer.from("not a zip file at all"));
    expect(broken.status).to.equal(422);
    expect(broken.body.detail).to.match(/^line 1: not an .xlsx workbook/);
  });

  it("imports with a generic layout saved for the bank account", async () => {
    const acct = "700012345678";
    const saved = await request(app).post(`/api/v1/bank-accounts/${acct}/layout`).set(auth("treasurer")).set("Idempotency-Key", uniqueCode("k"))
      .send({ name: "sacombank", columns: { date: "Ngày GD", doc: "Số CT", memo: "Nội dung", debit: "Ghi nợ", credit: "Ghi có", balance: "Số dư" }, dateFormat: "yyyy-mm-dd", thousands: "," });
    expect(saved.status, JSON.stringify(saved.body)).to.equal(201);
    const file = "Số CT,Ngày GD,Nội dung,Ghi nợ,Ghi có,Số dư\n" +
      "FT1,2024-09-03,\"IBFT NGUYEN VAN AN ung ho, chuc binh an\",,\"1,000,000\",\"1,000,000\"\n" +
      "FT2,2024-09-03,Phi quan ly tai khoan,\"11,000\",,\"989,000\"\n";
    const res = await request(app).post("/api/v1/bank-imports").set(auth("treasurer")).set("Content-Type", "text/csv")
      .query({ campaign, bankAccount: acct, layout: "sacombank", openingBalance: "0" }).send(file);
    expect(res.status, JSON.stringify(res.body)).to.equal(201);
    expect(res.body).to.include({ linesRead: 2, donations: 1, fees: 1, balanceChecks: 2 });
    const donor = await s.db.knex("donations").where({ committee_id: tc.committee.id, bank_account: acct }).first("donor_name");
    expect(donor.donor_name).to.equal("NGUYEN VAN AN");
    const wrong = await request(app).post("/api/v1/bank-imports").set(auth("treasurer")).set("Content-Type", "text/csv")
      .query({ campaign, bankAccount: acct, layout: "sacombank", openingBalance: "0" }).send("Ngày,Nội dung\n2024-09-03,x\n");
    expect(wrong.status).to.equal(422);
    expect(wrong.body.detail).to.match(/^line 1: the header has no column "Ngày GD"/);
  });
});

describe("import-bank in the CLI", function () {
  const run = promisify(execFile);
  const root = path.resolve(import.meta.dirname, "..");
  const pgUrl = process.env.TEST_DATABASE_URL;
  let dataDir: string;
  const env = () => ({ ...process.env, DATA_DIR: dataDir, DATABASE_URL: pgUrl ?? "" });

  before(() => {
    dataDir = mkdtempSync(path.join(tmpdir(), "soquy-bankcli-"));
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  async function cli(...args: string[]) {
    try {
      const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { cwd: root, env: env() });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  async function withBooks<T>(work: (s: Soquy) => Promise<T>): Promise<T> {
    const s = await openSoquy(pgUrl ? { databaseUrl: pgUrl } : { dataDir, holder: "server" });
    try {
      return await work(s);
    } finally {
      await s.close();
    }
  }

  async function setUp(): Promise<{ committee: string; campaign: string }> {
    const committee = uniqueCode("bank");
    const campaign = uniqueCode("YAGI").toUpperCase();
    await withBooks(async (s) => {
      const c = await s.store.createCommittee(committee, "Ban Vận động cứu trợ (CLI)");
      const tc = await makeCommittee(s);
      void tc;
      await s.store.createCampaign(c.id, {
        code: campaign, name: "Ủng hộ đồng bào bị bão số 3", kind: "relief", fundCode: null, targetDong: null, startsOn: "2024-09-01",
        endsOn: null, launchDocument: null, receivingException: null, receivingExceptionUntil: null, distributionDays: 20,
      }, { key: uniqueCode("k"), requestHash: "0".repeat(64) }, (x) => x.code);
    });
    return { committee, campaign };
  }

  it("imports a sample and prints the summary; a refused file exits 2 with the line and reason", async () => {
    const { committee, campaign } = await setUp();
    const f = sampleFacts.vcb;
    const ok = await cli("import-bank", "--committee", committee, "--campaign", campaign, "--bank-account", f.account, "--layout", "vcb",
      "--file", `${samples}/bank-vcb-sample.csv`, "--opening-balance", f.opening.toString());
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(/lines read +2001\n/).and.to.match(/recorded +2001 \(2000 donations, 1 bank fees\)/).and.to.match(/balance checks +10 passed/);
    const bad = await cli("import-bank", "--committee", committee, "--campaign", campaign, "--bank-account", f.account, "--layout", "agribank",
      "--file", `${samples}/bank-vcb-sample.csv`);
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.match(/bank_file_malformed: line 1: the header is/);
    const rec = await cli("reconcile", "--committee", committee, "--bank-account", f.account);
    expect(rec.code, rec.stderr).to.equal(0);
    expect(rec.stdout).to.contain(`bank balance   ${f.closing}`).and.to.contain("recorded by import 2001");
  });

  it("survives kill -9 in the middle of a large import: the re-run records every line exactly once and the chain verifies", async function () {
    this.timeout(600_000);
    const { committee, campaign } = await setUp();
    const file = path.join(dataDir, "large.csv");
    const lines = 15_000;
    const closing = await generateVcb(file, lines);
    const args = ["--import", "tsx", "src/cli.ts", "import-bank", "--committee", committee, "--campaign", campaign, "--bank-account",
      "0011009990001", "--layout", "vcb", "--file", file, "--opening-balance", "10847182843"];
    // Killed once the file is read and its entries and lines written, inside the transaction (posting goes along with reading).
    const child = spawn(process.execPath, args, { cwd: root, env: { ...env(), SOQUY_IMPORT_TIMING: "1" }, stdio: ["ignore", "pipe", "pipe"] });
    let err = "";
    await new Promise<void>((resolve, reject) => {
      child.stderr.on("data", (d: Buffer) => {
        err += d.toString();
        if (/import phase read, post and write lines/.test(err)) child.kill("SIGKILL");
      });
      child.on("exit", (_code, signal) => (signal === "SIGKILL" ? resolve() : reject(new Error(`the import ended before it was killed: ${err}`))));
    });
    const counted = () => withBooks(async (s) => {
      const c = (await s.store.findCommittee(committee))!;
      const { rows } = await s.db.knex.raw(`select (select count(*) from journal_entries where committee_id = ?)::int as entries,
        (select count(*) from bank_lines where committee_id = ?)::int as lines`, [c.id, c.id]);
      return { ...rows[0], report: await verifyChain(s.store, c.id) } as { entries: number; lines: number; report: { ok: boolean } };
    });
    const killed = await counted();
    expect(killed).to.include({ entries: 0, lines: 0 });
    const rerun = await cli(...args.slice(3));
    expect(rerun.code, rerun.stderr).to.equal(0);
    expect(rerun.stdout).to.match(new RegExp(`recorded +${lines} `)).and.to.contain(`/ ${closing} đồng`);
    const after = await counted();
    expect(after).to.include({ entries: lines, lines });
    expect(after.report.ok).to.equal(true);
  });
});

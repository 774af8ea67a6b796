import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { type Soquy, wire } from "../src/context.js";
import { BackupError, backupTo, restoreFrom } from "../src/db/backup.js";
import { migrate, openDatabase } from "../src/db/connect.js";
import { triggersRunAsOwner } from "../src/db/privileges.js";
import { legacyMigrations, migrations } from "../knexfile.js";
import { prepareStatement } from "../src/statements/builder.js";
import { makeCommittee, meta, type TestCommittee, testSigningKeyFile, testSoquy, uniqueCode } from "./support/db.js";

// Moving house: a ward's books leave the embedded default (PGlite, PostgreSQL 18) for a PostgreSQL 15
// server, or come back, through soquy's own backup. pg_dump 15 cannot read PostgreSQL 18, so the
// backup is rows as PostgreSQL's own JSON, and the restore must bring back a ledger that verifies and
// statements whose bytes still match their signed checkpoints.
const serverUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** An empty, migrated database of the other kind than the suite's: a PostgreSQL server or PGlite. */
async function otherDatabase(): Promise<{ s: Soquy; drop(): Promise<void> }> {
  if (process.env.TEST_DATABASE_URL) {
    const db = await openDatabase({ pglite: new PGlite() });
    await migrate(db.knex);
    return { s: wire(db, { signingKeyFile: testSigningKeyFile }), drop: () => db.close() };
  }
  const name = `soquy_restore_${process.pid}_${Date.now()}`;
  const admin = new pg.Client({ connectionString: serverUrl });
  await admin.connect();
  await admin.query(`create database ${name}`);
  const db = await openDatabase({ databaseUrl: serverUrl.replace(/\/[^/?]+(\?|$)/, `/${name}$1`) });
  await migrate(db.knex);
  return {
    s: wire(db, { signingKeyFile: testSigningKeyFile }),
    drop: async () => {
      await db.close();
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

async function statementDigest(s: Soquy, committeeCode: string, campaignCode: string, vseq: number): Promise<string> {
  const committee = (await s.store.findCommittee(committeeCode))!;
  const campaign = await s.ledger.campaign(committee.id, campaignCode);
  const p = (await s.publicQueries.publication(committee.id, { vseq }))!;
  const st = await prepareStatement(s.statements, committee, campaign, { audience: "public", publication: { vseq: p.vseq, headSeq: p.headSeq, headHash: p.headHash! } });
  st.dispose();
  return st.digest;
}

describe("backup and restore across PostgreSQL versions", function () {
  let s: Soquy;
  let tc: TestCommittee;
  let dir: string;
  const code = uniqueCode("MOVE").toUpperCase();
  let checkpoint: Awaited<ReturnType<ReturnType<Soquy["checkpoints"]>["create"]>>;

  before(async () => {
    s = await testSoquy();
    dir = mkdtempSync(path.join(tmpdir(), "soquy-backup-"));
    tc = await makeCommittee(s, "Ủy ban MTTQ phường Chuyển Nhà");
    const t = tc.principals.treasurer;
    await s.ledger.createCampaign(t, { code, name: "Quỹ Vì người nghèo 2024", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
    const ids: string[] = [];
    for (const [n, amount] of ["3000", "52222", "1000000", "5888"].entries()) {
      ids.push((await s.ledger.recordDonation(t, code, { receivedOn: `2024-01-0${n + 2}`, amountDong: amount, method: "cash",
        donor: { name: `Nguyễn Thị Hoà ${n}`, kind: "individual", publishName: n % 2 === 0, phone: "0912345678" } }, meta())).entry.id);
    }
    await s.controls.verify(tc.principals.approver, ids.slice(0, 3));
    checkpoint = await s.checkpoints().create(tc.committee, "on_demand", null);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("moves the books to the other kind of database: the chain verifies and every signed statement keeps its digest", async () => {
    const file = path.join(dir, "books.soquy.gz");
    const made = await backupTo(s.db.knex, file);
    expect(made.rows).to.be.greaterThan(20);
    const other = await otherDatabase();
    try {
      const r = await restoreFrom(other.s.db.knex, file);
      const purposes = Number((await s.db.knex("campaign_purposes").count("* as n").first() as { n: string }).n);
      expect(r.rows).to.equal(made.rows - purposes);
      expect(r.kept).to.deep.equal(["campaign_purposes"]);
      const moved = (await other.s.store.findCommittee(tc.committee.code))!;
      const report = await other.s.verify(moved.id);
      expect(report, report.reason ?? "").to.include({ ok: true, checked: 4 });
      const signed = checkpoint.payload.campaigns.find((c) => c.code === code)!.statement!;
      expect(await statementDigest(other.s, tc.committee.code, code, checkpoint.payload.publication.number)).to.equal(signed.digest);
      // Identity columns go on after the restored rows: the moved books take new entries.
      const [again] = await other.s.db.knex("api_tokens").where({ committee_id: moved.id }).select("id");
      expect(Number(again.id)).to.be.greaterThan(0);
      const next = await other.s.store.createCommittee(uniqueCode("c"), "Ủy ban sau khi chuyển");
      expect(next.id).to.be.greaterThan(moved.id);
      // Into a database that now holds books: refused, nothing written.
      const before = await other.s.db.knex("journal_entries").count("* as n").first();
      let refused: unknown;
      await restoreFrom(other.s.db.knex, file).catch((e) => (refused = e));
      expect(refused).to.be.instanceOf(BackupError);
      expect((refused as Error).message).to.match(/empty database/);
      expect(await other.s.db.knex("journal_entries").count("* as n").first()).to.deep.equal(before);
    } finally {
      await other.drop();
    }
  });

  it("restores books a database of the migrations before the SQL baseline kept into one the baseline built", async () => {
    const old = await openDatabase({ pglite: new PGlite() });
    await old.knex.migrate.latest(legacyMigrations); // as that soquy left it: no baseline recorded
    await old.knex.raw(triggersRunAsOwner);
    // A backup restores into the schema that made it: the baseline alone (which the old chain's schema is), then forward.
    const fresh = await openDatabase({ pglite: new PGlite() });
    await fresh.knex.migrate.up(migrations);
    const before = wire(old, { signingKeyFile: testSigningKeyFile });
    let after: ReturnType<typeof wire> | null = null;
    try {
      const kept = await makeCommittee(before, "Ủy ban MTTQ xã Trước");
      const t = kept.principals.treasurer;
      await before.ledger.createCampaign(t, { code: "OLD", name: "Quỹ cũ", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
      await before.ledger.recordDonation(t, "OLD", { receivedOn: "2024-01-02", amountDong: "25000", method: "cash",
        donor: { name: "Lê Văn Cũ", kind: "individual", publishName: true } }, meta());
      const file = path.join(dir, "before-baseline.soquy.gz");
      await backupTo(old.knex, file);
      await restoreFrom(fresh.knex, file);
      await migrate(fresh.knex);
      after = wire(fresh, { signingKeyFile: testSigningKeyFile });
      const moved = (await after.store.findCommittee(kept.committee.code))!;
      const report = await after.verify(moved.id);
      expect(report, report.reason ?? "").to.include({ ok: true, checked: 1 });
    } finally {
      await before.close();
      if (after) await after.close();
      else await fresh.close();
    }
  });

  it("refuses to overwrite a file, and refuses a damaged or foreign file with a clear error, writing nothing", async () => {
    const file = path.join(dir, "twice.gz");
    await backupTo(s.db.knex, file);
    let error: unknown = await backupTo(s.db.knex, file).catch((e) => e);
    expect(error).to.be.instanceOf(BackupError);
    expect((error as Error).message).to.match(/never overwrites/);

    const cut = path.join(dir, "cut.gz");
    const bytes = readFileSync(file);
    writeFileSync(cut, bytes.subarray(0, Math.floor(bytes.length * 0.6)));
    const foreign = path.join(dir, "foreign.gz");
    writeFileSync(foreign, "PageId,TNXDate\n1,01/09/2024\n");
    const other = await otherDatabase();
    try {
      for (const bad of [cut, foreign, path.join(dir, "missing.gz")]) {
        error = await restoreFrom(other.s.db.knex, bad).then(() => null, (e) => e);
        expect(error, bad).to.be.instanceOf(Error);
        expect((error as Error).message.split("\n")).to.have.length(1);
        expect((await other.s.db.knex("committees").count("* as n").first() as { n: string }).n).to.equal("0");
      }
    } finally {
      await other.drop();
    }
  });
});

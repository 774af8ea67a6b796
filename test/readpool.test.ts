import { expect } from "chai";
import { pino } from "pino";
import request from "supertest";
import { ConfigError, readConfig } from "../src/config.js";
import { wire, type Soquy } from "../src/context.js";
import { openDatabase, type Database } from "../src/db/connect.js";
import { createApp } from "../src/http/app.js";
import { makeCommittee, meta, testSigningKeyFile, testSoquy, uniqueCode } from "./support/db.js";
import { testAppUnlimited } from "./support/http.js";

// DATABASE_READ_URL: statements and public totals read from a second pool (a standby in production;
// here the same database under another application name, so the test sees which pool answered), each
// answer carrying the ledger position it was cut at. A real standby is scripts/standby-drill.ts's.

describe("reads from DATABASE_READ_URL", function () {
  this.timeout(120_000);

  it("is refused without DATABASE_URL: a standby is read beside a PostgreSQL primary", () => {
    expect(() => readConfig({ DATABASE_READ_URL: "postgres://u@standby/soquy" })).to.throw(ConfigError, /DATABASE_READ_URL=.*without DATABASE_URL/);
    expect(readConfig({ DATABASE_URL: "postgres://u@primary/soquy", DATABASE_READ_URL: "postgres://u@standby/soquy" }).databaseReadUrl)
      .to.equal("postgres://u@standby/soquy");
  });

  describe("on PostgreSQL", function () {
    let db: Database;
    let s: Soquy;
    const name = `soquy_read_${process.pid}`;
    before(async function () {
      const url = process.env.TEST_DATABASE_URL;
      if (!url) this.skip(); // the embedded database has no standby
      await testSoquy(); // migrated
      db = await openDatabase({ databaseUrl: url, readUrl: `${url}${url!.includes("?") ? "&" : "?"}application_name=${name}`, poolMax: 3 });
      s = wire(db, { signingKeyFile: testSigningKeyFile });
    });
    after(async () => {
      await s?.statistics.stop();
      await db?.close();
    });

    it("serves statements and public totals from the read pool, each with the publication and chain head it was cut at", async () => {
      const tc = await makeCommittee(s, "Ủy ban MTTQ phường Đọc Dự Phòng");
      const code = uniqueCode("VNN").toUpperCase();
      await s.ledger.createCampaign(tc.principals.treasurer, { code, name: "Quỹ Vì người nghèo", kind: "for_the_poor", startsOn: "2024-01-01",
        receivingException: "Quỹ thường xuyên" }, meta());
      const ids: string[] = [];
      for (const amount of ["1000000", "2500000", "700000"]) {
        const r = await s.ledger.recordDonation(tc.principals.treasurer, code, { receivedOn: "2024-03-01", amountDong: amount, method: "cash",
          donor: { name: "Nguyễn Văn An", kind: "individual", publishName: true } }, meta());
        ids.push(r.entry.id);
      }
      await s.controls.verify(tc.principals.approver, ids.slice(0, 2));
      const app = createApp(s, pino({ level: "silent" }));
      const readers = async () => Number((await s.db.knex.raw("select count(*)::int as n from pg_stat_activity where application_name = ?", [name])).rows[0].n);
      const head = (await s.db.knex("journal_entries").where({ committee_id: tc.committee.id }).orderBy("seq", "desc").first("seq", "hash"));

      const csv = await request(app).get(`/api/v1/campaigns/${code}/statement.csv`).query({ committee: tc.committee.code });
      expect(csv.status).to.equal(200);
      expect(csv.headers["x-read-from"]).to.equal("standby");
      expect(csv.headers["x-ledger-position"]).to.equal(`${head.seq}:${head.hash}`);
      expect(await readers(), "the read pool's connections").to.be.greaterThan(0);

      const totals = await request(app).get(`/api/v1/public/committees/${tc.committee.code}/campaigns/${code}/totals`);
      expect(totals.status).to.equal(200);
      const publication = await s.publicQueries.currentPublication(tc.committee.id);
      expect(totals.body.position).to.deep.include({ publication: publication.vseq, sequence: publication.headSeq, hash: publication.headHash });
      expect(totals.body.receivedDong).to.equal("3500000");

      // The same statement cut at that publication, from the read pool and from a service without one: the same bytes.
      const at = { committee: tc.committee.code, at: String(publication.vseq) };
      const fromRead = await request(app).get(`/api/v1/campaigns/${code}/statement.csv`).query(at);
      const { app: primaryOnly } = await testAppUnlimited();
      const fromPrimary = await request(primaryOnly).get(`/api/v1/campaigns/${code}/statement.csv`).query(at);
      expect(fromPrimary.headers["x-read-from"]).to.equal("primary");
      expect(fromRead.headers["x-statement-digest"]).to.equal(fromPrimary.headers["x-statement-digest"]);
      expect(fromRead.headers["x-ledger-position"]).to.equal(`${publication.headSeq}:${publication.headHash}`);
    });
  });
});

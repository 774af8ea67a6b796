import { expect } from "chai";
import { PGlite } from "@electric-sql/pglite";
import pg from "pg";
import { type Database, migrate, openDatabase } from "../src/db/connect.js";
import { type Soquy, wire } from "../src/context.js";
import type { Campaign, Principal } from "../src/ledger/types.js";
import { makeCommittee, meta, testSigningKeyFile } from "./support/db.js";

// The service keeps the planner's statistics fresh by itself as the ledger grows: PGlite has no
// autovacuum and a server may run with it off, and plans made on an empty ledger then stay (writes
// fell 4× over the first 20,000 entries). Each test starts from a database nobody has ANALYZEd:
// an in-memory PGlite, or a database of its own on the TEST_DATABASE_URL server.

const LEDGER_TABLES = ["journal_entries", "postings", "donations", "idempotency_keys"];

async function freshDatabase(): Promise<{ db: Database; drop: () => Promise<void> }> {
  // The owner makes the database and migrates it; this test is about what the service does on it.
  const url = process.env.TEST_DATABASE_OWNER_URL || process.env.TEST_DATABASE_URL;
  if (!url) return { db: await openDatabase({ pglite: new PGlite() }), drop: async () => {} };
  const name = `${new URL(url).pathname.slice(1)}_stats_${process.pid}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  await admin.query(`drop database if exists ${name} with (force)`);
  await admin.query(`create database ${name}`);
  const u = new URL(url);
  u.pathname = `/${name}`;
  const db = await openDatabase({ databaseUrl: u.toString() });
  return {
    db,
    drop: async () => {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

/** Rows at the last ANALYZE by table (-1: never analyzed), as the planner sees them. */
async function reltuples(s: Soquy, tables: string[]): Promise<Record<string, number>> {
  const { rows } = await s.db.knex.raw("select relname, reltuples::float8 as n from pg_class where relname = any(?) and relkind = 'r' and relnamespace = current_schema()::regnamespace", [tables]);
  return Object.fromEntries(rows.map((r: { relname: string; n: number }) => [r.relname, Number(r.n)]));
}

async function donations(s: Soquy, p: Principal, c: Campaign, n: number): Promise<void> {
  for (let done = 0; done < n; done += 100) {
    await Promise.all(Array.from({ length: 100 }, (_, i) => {
      const k = done + i;
      const bank = k % 3 !== 0;
      return s.ledger.recordDonation(p, c.code, {
        receivedOn: `2025-03-0${1 + (k % 3)}`, amountDong: String(10_000 + k), method: bank ? "bank" : "cash",
        donor: { name: `Người ủng hộ số ${k % 40}`, kind: "individual", publishName: true },
        ...(bank ? { bankAccount: "0011009990001", bankReference: `FT25STATS${String(k).padStart(6, "0")}` } : {}),
      }, meta("stats"));
    }));
  }
}

async function waitFor<T>(what: string, probe: () => Promise<T | null>, ms: number): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const got = await probe();
    if (got !== null) return got;
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms / 1000} s`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

describe("statistics: the service refreshes them as the ledger grows", function () {
  this.timeout(180_000);
  let s: Soquy;
  let drop: () => Promise<void>;

  beforeEach(async () => {
    const fresh = await freshDatabase();
    drop = fresh.drop;
    await migrate(fresh.db.knex);
    s = wire(fresh.db, { signingKeyFile: testSigningKeyFile });
  });
  afterEach(async () => {
    await s.close();
    await drop();
  });

  it("after 1,500 donations on a fresh database, the ledger tables have statistics nobody but the service took", async () => {
    const before = await reltuples(s, LEDGER_TABLES);
    for (const t of LEDGER_TABLES) expect(before[t], `${t} before`).to.equal(-1);
    const tc = await makeCommittee(s);
    const p = tc.principals.treasurer;
    await s.ledger.createCampaign(p, { code: "VNN", name: "Quỹ Vì người nghèo 2025", kind: "for_the_poor", startsOn: "2025-01-01" }, meta());
    const c = await s.ledger.campaign(tc.committee.id, "VNN");
    await donations(s, p, c, 1_500);
    const { rows: [{ n }] } = await s.db.knex.raw("select count(*)::int as n from journal_entries");
    // The service checks every few seconds; nothing here runs ANALYZE.
    const after = await waitFor("the ledger tables analyzed by the service", async () => {
      const now = await reltuples(s, LEDGER_TABLES);
      return LEDGER_TABLES.every((t) => now[t]! > 0) ? now : null;
    }, 15_000);
    // Taken after the ledger had grown past its first few hundred entries: a plan made now sees a ledger, not an empty table.
    expect(after.journal_entries).to.be.greaterThan(n / 4);
    expect(after.postings).to.be.greaterThan(n / 2);
  });

  it("refreshes through a function that works for a role that does not own the tables, and only what has grown", async () => {
    const role = `soquy_stats_${process.pid}`;
    await s.statistics.stop(); // this test calls the function itself
    const tc = await makeCommittee(s);
    const p = tc.principals.treasurer;
    await s.ledger.createCampaign(p, { code: "VNN", name: "Quỹ Vì người nghèo 2025", kind: "for_the_poor", startsOn: "2025-01-01" }, meta());
    await donations(s, p, await s.ledger.campaign(tc.committee.id, "VNN"), 1_500);
    await s.db.knex.raw(`create role ${role} nologin`);
    try {
      await s.db.knex.transaction(async (trx) => {
        await trx.raw(`set local role ${role}`);
        // ANALYZE of a table one does not own is skipped (a warning, nothing done) ...
        await trx.raw("analyze journal_entries");
        const { rows: [{ n }] } = await trx.raw("select reltuples::float8 as n from pg_class where oid = 'journal_entries'::regclass");
        expect(Number(n)).to.equal(-1);
        // ... the function ANALYZEs as its owner whoever calls it, a table a call, until nothing has grown.
        const analyzed: string[] = [];
        for (let i = 0; i < 50; i++) {
          const { rows: [{ table }] } = await trx.raw("select soquy_refresh_statistics() as \"table\"");
          if (table === null) break;
          analyzed.push(table);
        }
        expect(analyzed).to.include.members(["journal_entries", "postings", "donations", "idempotency_keys"]);
        expect(new Set(analyzed).size).to.equal(analyzed.length);
      });
      const now = await reltuples(s, ["journal_entries"]);
      expect(now.journal_entries).to.be.greaterThan(0);
    } finally {
      await s.db.knex.raw(`drop role if exists ${role}`);
    }
  });
});

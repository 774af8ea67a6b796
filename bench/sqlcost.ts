import os from "node:os";
import pg from "pg";
import { createToken, hashToken, openSoquy } from "../src/context.js";
import { type BaselineTarget, baselineBatched, explainBatch } from "./baseline.js";
import { DonationSource } from "./data.js";

// Where PostgreSQL's time goes for a donation, measured apart from the service:
// the hand-batched SQL baseline (b) at several batch sizes, then with the
// ledger's own triggers disabled, then with every trigger (foreign keys too)
// disabled. Disabling is done only here, on a scratch database that is dropped.
//   node --import tsx bench/sqlcost.ts        (SQLCOST_SECONDS per variant, default 4)

const adminUrl = process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres";
const seconds = Number(process.env.SQLCOST_SECONDS ?? 4);
const dbName = `soquy_sqlcost_${process.pid}`;
const tables = ["journal_entries", "postings", "donations", "vouchers", "idempotency_keys", "donors"];

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`create database ${dbName}`);
const u = new URL(adminUrl);
u.pathname = `/${dbName}`;
const databaseUrl = u.toString();
let n = 0;
try {
  const s = await openSoquy({ databaseUrl, holder: "cli" });
  try {
    const committee = await s.store.createCommittee("bench-sqlcost", "Ban Thường trực MTTQ xã Đo lường");
    const token = await createToken(s, committee.id, "admin", "sqlcost");
    const p = (await s.store.findPrincipal(hashToken(token)))!;
    await s.ledger.createCampaign(p, { code: "VI-NGHEO-2025", name: "Quỹ Vì người nghèo 2025", kind: "for_the_poor", startsOn: "2025-01-01" },
      { idempotencyKey: "c", requestHash: "0".repeat(64) });
    const campaign = (await s.store.findCampaign(committee.id, "VI-NGHEO-2025"))!;
    const book = await s.db.knex("receipt_books").where({ committee_id: committee.id, code: "PT" }).first("id", "code");
    const target: BaselineTarget = { databaseUrl, committee, campaign, recordedBy: p.tokenId, ptBook: { id: Number(book.id), code: book.code } };
    const source = new DonationSource(`q${process.pid}`, 7);
    // Warm the chain and the caches a little first.
    await baselineBatched(target, source, 64, 1);
    await s.db.knex.raw("analyze"); // plans made on empty tables pick wrong indexes (see bench/run.ts)

    console.log(`PostgreSQL cost of a donation (1 connection, multi-row inserts), ${os.cpus().length} cores, ${seconds} s per line; µs per entry:`);
    console.log("variant                                  batch  entries/s   lock+head+donors+JS  inserts  deferred trg  COMMIT");
    const run = async (label: string, batch: number, mode: "values" | "unnest" = "values") => {
      const r = await baselineBatched(target, source, batch, seconds, mode);
      const ph = r.phases!;
      const us = (x: number) => fmt((x / r.entries) * 1000).padStart(7);
      console.log(`${label.padEnd(40)} ${String(batch).padStart(5)}  ${fmt(r.perSecond).padStart(9)}   ${us(ph.planMs).padStart(19)}  ${us(ph.insertMs)}  ${us(ph.triggersMs).padStart(12)}  ${us(ph.commitMs)}`);
    };
    for (const b of [16, 32, 256]) await run("all triggers on (as in production)", b);
    for (const b of [16, 32, 256]) await run("same, inserts as unnest(arrays), prepared", b, "unnest");

    // One batch of 32 under EXPLAIN ANALYZE (rolled back): where the insert time goes.
    const x = await explainBatch(target, source, 32);
    console.log(`\none batch of ${x.entries} under EXPLAIN ANALYZE (timing on, so a little slower), then rolled back; µs per entry:`);
    for (const st of x.statements) {
      const trg = st.triggers.reduce((a, t) => a + t.ms, 0);
      console.log(`  insert ${st.table.padEnd(16)} ${String(st.rows).padStart(4)} rows  ${fmt((st.ms * 1000) / x.entries).padStart(5)} µs, of which triggers ${fmt((trg * 1000) / x.entries)} µs:` +
        st.triggers.map((t) => ` ${t.name} ${fmt((t.ms * 1000) / x.entries)}`).join(","));
    }
    console.log(`  deferred triggers at commit (set constraints all immediate): ${fmt((x.deferredMs * 1000) / x.entries)} µs; ` +
      `alone: soquy_entry_canonical ${fmt((x.canonicalMs * 1000) / x.entries)} µs\n`);
    for (const t of tables) await s.db.knex.raw(`alter table ${t} disable trigger user`);
    for (const b of [16, 256]) await run("ledger triggers off, foreign keys on", b);
    for (const t of tables) await s.db.knex.raw(`alter table ${t} disable trigger all`);
    for (const b of [16, 256]) await run("all triggers off (no FK checks either)", b);
    for (const t of tables) await s.db.knex.raw(`alter table ${t} enable trigger all`);
    n = 1;
  } finally {
    await s.close();
  }
} finally {
  await admin.query(`drop database if exists ${dbName} with (force)`);
  await admin.end();
}
if (n !== 1) process.exitCode = 1;

function fmt(x: number): string {
  return x.toLocaleString("en-US", { maximumFractionDigits: 0 });
}

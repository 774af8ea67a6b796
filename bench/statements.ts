import { measurePublicTotals } from "./public.js";
import { measureStatementSpike } from "./statementspike.js";
import { spawn } from "node:child_process";
import { dbUrl, processTicks } from "./machine.js";
import { closeSync, createWriteStream, mkdirSync, mkdtempSync, openSync, readdirSync, readFileSync, readSync, rmSync, statSync } from "node:fs";
import { once } from "node:events";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { Knex } from "knex";
import pg from "pg";
import { createToken, hashToken, openSoquy, type Soquy } from "../src/context.js";
import { StatementQueries } from "../src/db/statements.js";
import type { Campaign } from "../src/ledger/types.js";

// Statement figures for `npm run bench` (also runnable alone: node --import tsx bench/statements.ts):
// the CSV statement of a campaign with STATEMENT_ENTRIES entries and the PDF of one with
// STATEMENT_PDF_ENTRIES entries (the size of the 2024 Yagi sao kê), each beside a baseline
// measured in the same run, on a fresh PostgreSQL database that is dropped afterwards.
//
//   BENCH_DATABASE_URL     admin connection (default postgres://postgres@127.0.0.1:5432/postgres)
//   STATEMENT_ENTRIES      entries of the CSV campaign (default 1,000,000)
//   STATEMENT_PDF_ENTRIES  entries of the PDF campaign (default 200,000)
//   STATEMENT_AUDIENCE     public (default: the published statement, with masking, verified entries only) or auditor
//   STATEMENT_PROFILE=1    run the measured children with --cpu-prof into /tmp/prof-statements/<what>
//                          and print bench/cpuprofile.ts's summary of each
//   STATEMENT_NODE_ARGS    extra node options for the measured children, e.g. "--max-old-space-size=128"
//   STATEMENT_DB=<name>    generate into a database of that name instead of soquy_bench_statements_<pid>
//   STATEMENT_KEEP=1       keep the database (its name is printed); STATEMENT_REUSE=<name> measures
//                          an existing one made by a kept run (no generation, not dropped)
//   STATEMENT_VERBOSE=1    print the time of each generating statement
//
// Each measurement runs in a child process of its own (this file with `child <what>`), so its
// peak RSS (process.resourceUsage().maxRSS) is that process's alone (start-up included: node,
// tsx and the modules loaded are most of it; the RSS after start-up is printed too):
//   csv     prepareStatement (rows streamed from the database through the CSV writer into the
//           temporary file, hashed, reconciled) + writeCsv() to /dev/null: what GET statement.csv costs;
//   pdf     prepareStatement + renderStatementPdf into a file: what GET statement.pdf costs;
//   format  baseline for the PDF: the same statement lines (st.lines(), one more pass over the
//           database cursor) formatted as plain text lines with reports/format.ts, no pdfkit;
// and the baseline for the CSV is PostgreSQL itself: COPY (the statement's own SELECT, taken from
// src/db/statements.ts with the same bindings) TO STDOUT WITH CSV, through psql into a file.
//
// The data is generated in SQL (generate_series), not through the ledger: its triggers (hash
// chain, balance, voucher and detail checks) make a million entries through the service take
// hours. See generateCampaign for what the generated rows are and are not.

const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const thisFile = fileURLToPath(import.meta.url);

const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const secs = (ms: number) => `${fmt(ms / 1000, 1)} s`;
const mb = (kb: number) => Math.round(kb / 1024);


export interface StatementBenchOptions {
  adminUrl?: string;
  entries?: number;
  pdfEntries?: number;
  log?: (line: string) => void;
}

export interface StatementBenchResult {
  /** The two summary lines (CSV, PDF). */
  lines: string[];
  met: boolean;
}

export interface Target {
  committee: string; // code
  campaign: string; // code
  entries: number;
  /** A part of the campaign's statement only (ISO dates); the whole by default. */
  from?: string;
  to?: string;
  /** The version to make; by default STATEMENT_AUDIENCE's (public unless it says auditor). */
  audience?: "auditor" | "public";
}

/** What a child reports (times in ms, memory in KB). */
export interface ChildResult {
  what: "csv" | "pdf" | "format";
  lines: number;
  prepareMs: number;
  passMs: number; // csv: copying csv() out; pdf: renderStatementPdf; format: the lines() pass
  totalMs: number; // what the measurement counts: csv and pdf prepare + pass, format the pass alone
  bytes: number;
  digest: string;
  verifiedOnly: boolean; // the public version counts verified entries only
  position: { seq: number; hash: string };
  from: string;
  to: string;
  openingDong: string;
  rssStartKb: number; // after imports and connecting: node + tsx + the app's modules
  maxRssKb: number;
  peakHeapTotalKb: number; // V8 heap reserved
  peakHeapUsedKb: number;
  peakExternalKb: number; // Buffers and ArrayBuffers outside the heap
}

// ---------------------------------------------------------------- generated campaigns

const CSV_TARGET = { committee: "bench-statements", committeeName: "Ban Thường trực Ủy ban MTTQ Việt Nam tỉnh Bench",
  campaign: "LU-LUT-2025", campaignName: "Ủng hộ đồng bào miền Trung khắc phục hậu quả lũ lụt năm 2025", startsOn: "2025-10-01" };
const PDF_TARGET = { committee: "bench-yagi", committeeName: "Ban Vận động cứu trợ Trung ương (bench)",
  campaign: "YAGI-2024", campaignName: "Ủng hộ đồng bào bị thiệt hại do bão số 3 (Yagi)", startsOn: "2024-09-07" };

const sqlArray = (xs: readonly string[]) => `array[${xs.map((x) => `'${x.replaceAll("'", "''")}'`).join(",")}]::text[]`;
const FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"];
const MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Hoài"];
const GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Khoa", "Lan", "Linh", "Long", "Mai", "Nam",
  "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Uyên", "Việt", "Xuân", "Yến"];
const BUSINESS = ["Công ty TNHH Thương mại Hòa Bình", "Công ty CP Xây dựng Sông Hồng", "Hộ kinh doanh Tạp hóa Minh Tâm",
  "Công ty TNHH Dược phẩm An Khang", "Ngân hàng TMCP Đông Á — Chi nhánh Hải Châu", "Hợp tác xã Nông nghiệp Tân Phú",
  "Trường THCS Lê Quý Đôn", "Hội Doanh nhân trẻ Thanh Hóa"];
// Bank transfer memos as people type them (no diacritics, commas, quotes, phone numbers that the
// public statement masks, card references that it does not).
const MEMOS = ["MTTQVN ung ho dong bao bi anh huong bao so 3", "UNG HO BAO LU MIEN BAC", "ung ho lu lut, tu thien",
  "Ung ho dong bao mien Bac khac phuc bao Yagi", "CT ung ho ba con vung lu \"chung tay\"", "chuyen tien ung ho dong bao vung lu",
  "IBFT ung ho bao so 3", "Gia dinh ung ho, chuc ba con binh an"];
const AMOUNTS = [3000, 10000, 52222, 5888, 1000000, 200000, 500000, 68000, 88888, 150000, 2000000, 36500, 1234567, 7777,
  100000, 300000, 25000, 5000000, 99999, 12345];
const ITEMS = ["Mì tôm (thùng 30 gói)", "Nước uống đóng chai 500 ml (thùng 24 chai)", "Gạo tẻ", "Áo phao cứu sinh"];
const ITEM_UNITS = ["thùng", "thùng", "kg", "chiếc"];
const ITEM_VALUES = [105000, 96000, 18500, 165000];
const DONORS = 40_000;

/**
 * n donation entries of one campaign, written in SQL in one transaction.
 *
 * The transaction runs with session_replication_role = replica, which turns every ordinary
 * trigger off: the ledger's checks (balanced postings, hash chain, voucher gaps, details only with
 * their entry, receiving window, account_balances kept and guarded) and the foreign keys, which
 * are triggers too. Unique indexes and CHECK constraints still hold. The rows are made valid by
 * construction instead: two postings per entry summing to zero (asset + / income −), seq gap-free
 * from the committee's head, entry dates inside the receiving window (starts_on … +89 days),
 * recorded_at increasing with seq, cash receipts numbered gap-free per year in the PT book,
 * bank references unique, donor rows for every donation, one entry item for each in-kind gift
 * whose value is the amount, verifications by an approver who is not the recorder, and
 * account_balances set to the sum of the postings (the guard that normally forbids writing it is
 * one of the triggers that are off).
 *
 * NOT valid: the hash chain. prev_hash is the previous entry's hash, but each hash is
 * sha256(committee code, seq), not of the entry's canonical text, so verifyChain refuses this
 * ledger. Statements do not verify hashes (they print them), so the figures are unaffected.
 */
async function generateCampaign(
  databaseUrl: string, committee: { id: number; code: string }, campaign: Campaign, n: number, recordedBy: number, approver: number,
): Promise<string> {
  const a = campaign.accounts;
  const c = new pg.Client({ connectionString: databaseUrl });
  c.on("error", () => {}); // a broken connection fails the running query, which is reported
  await c.connect();
  const steps: string[] = [];
  let last = performance.now();
  const step = async (label: string, sql: string, params: unknown[] = []) => {
    const r = await c.query(sql, params);
    const now = performance.now();
    steps.push(`${label} ${fmt((now - last) / 1000, 1)}`);
    last = now;
    return r;
  };
  try {
    // A session of its own: temp_buffers can only be set before its first temporary table.
    await c.query("set temp_buffers = '1GB'");
    await c.query("set work_mem = '256MB'");
    await c.query("set wal_compression = on"); // fewer bytes of full-page images to write
    await c.query("begin");
    await c.query("set local session_replication_role = replica");
    const ptBook = Number((await c.query("select id from receipt_books where committee_id = $1 and series = 'PT' and code = 'PT'", [committee.id])).rows[0].id);
    const headRow = (await c.query("select seq, hash from journal_entries where committee_id = $1 order by seq desc limit 1", [committee.id])).rows[0];
    const head = headRow ? Number(headRow.seq) : 0;
    const headHash: string = headRow ? headRow.hash : "0".repeat(64);

    // Donors: one anonymous row, the rest individuals with a phone (so identities are unique) and
    // one business in twenty.
    await c.query(`insert into donors (committee_id, identity_key, name, kind, phone)
      values ($1, 'anonymous|nhà hảo tâm ẩn danh|', 'Nhà hảo tâm ẩn danh', 'anonymous', null)`, [committee.id]);
    await step("donors", `
      insert into donors (committee_id, identity_key, name, kind, phone)
      select $1, kind || '|' || lower(name) || '|' || phone, name, kind, phone from (
        select i,
          case when i % 20 = 0 then 'business' else 'individual' end as kind,
          case when i % 20 = 0 then (${sqlArray(BUSINESS)})[1 + (i / 20) % ${BUSINESS.length}]
               else (${sqlArray(FAMILY)})[1 + (i * 7) % ${FAMILY.length}] || ' ' || (${sqlArray(MIDDLE)})[1 + (i * 13 / 7) % ${MIDDLE.length}]
                 || ' ' || (${sqlArray(GIVEN)})[1 + (i * 31 / 3) % ${GIVEN.length}] end as name,
          '09' || lpad(((i::bigint * 7919) % 100000000)::text, 8, '0') as phone
        from generate_series(1, $2::int) i
      ) x order by i`, [committee.id, DONORS]);
    // Numbered 0 … DONORS (0 = anonymous): ids are not contiguous when two committees are generated at once.
    await c.query(`create temp table donor_pool on commit drop as
      select (row_number() over (order by (kind <> 'anonymous'), id) - 1)::int as k, id, name, kind, phone from donors where committee_id = $1`,
    [committee.id]);

    // One row per entry with everything decided: four pseudo-random 32-bit numbers from md5,
    // the donor, the amount, the description, the (not content-derived) hashes.
    const hash = (seq: string) => `encode(sha256(convert_to('${committee.code}:' || (${seq}), 'UTF8')), 'hex')`;
    await step("gen", `
      create temp table gen on commit drop as
      select m.*, d.id as donor_id, d.name as donor_name, d.kind as donor_kind,
        case
          when method = 'in_kind' then qty * (array[${ITEM_VALUES.join(",")}]::bigint[])[item]
          when d.kind = 'business' and r3 % 5 = 0 then (1 + r4 % 500) * 1000000
          when r3 % 3 = 0 then (array[${AMOUNTS.join(",")}]::bigint[])[1 + r4 % ${AMOUNTS.length}]
          when r3 % 3 = 1 then (1 + r4 % 2000) * 1000
          else 1000 + r4 % 9999000
        end as amount,
        case
          when method = 'bank' and r4 % 10 < 3 then
            (${sqlArray(MEMOS)})[1 + r2 % ${MEMOS.length}]
            || case when r1 % 2 = 0 then ' - ' || d.name else '' end
            || case when r4 % 3 = 0 then ' - ' || coalesce(d.phone, '0912345678') when r4 % 3 = 1 then ' MBVCB.' || (r2 % 10000000)::text else '' end
          when method = 'in_kind' then 'Nhận ủng hộ hiện vật của ' || d.name || ': ' || (${sqlArray(ITEMS)})[item]
          else 'Nhận ủng hộ ' || case method when 'cash' then 'tiền mặt' else 'chuyển khoản' end || ' của ' || d.name
        end as description,
        case when seq = $1::bigint + 1 then $7::text else ${hash("seq - 1")} end as prev_hash,
        ${hash("seq")} as hash
      from (
        select g, gen_random_uuid() as id, $1::bigint + g as seq,
          ($2::date + least(89, greatest(0, ((g - 1) * 90 / $3::int)::int - (r1 % 3)::int))) as entry_date,
          ($2::date::timestamp at time zone 'Asia/Ho_Chi_Minh') + ((g - 1) * (90 * 86400.0 / $3::int)) * interval '1 second' as recorded_at,
          method, r1, r2, r3, r4,
          case when r2 % 100 < 9 then 0 else 1 + r2 % $4::int end as donor_k,
          (r3 % 100 < 55) as publish_name,
          case when method = 'in_kind' then 1 + r4 % 200 end as qty,
          case when method = 'in_kind' then (r3 % ${ITEMS.length})::int + 1 end as item
        from (
          select g, r1, r2, r3, r4,
            case when r1 % 100 < 62 then 'bank' when r1 % 100 < 99 then 'cash' else 'in_kind' end as method
          from (
            select g, ('x' || substr(h, 1, 8))::bit(32)::bigint as r1, ('x' || substr(h, 9, 8))::bit(32)::bigint as r2,
              ('x' || substr(h, 17, 8))::bit(32)::bigint as r3, ('x' || substr(h, 25, 8))::bit(32)::bigint as r4
            from (select g, md5($5::text || ':' || g) as h from generate_series(1, $6::int) g) h
          ) r
        ) r
      ) m join donor_pool d on d.k = m.donor_k`,
    [head, campaign.startsOn, n, DONORS, committee.code, n, headHash]);

    // The tables, in seq order (gen's physical order), as the ledger would have written them.
    await step("journal_entries", `
      insert into journal_entries (id, committee_id, seq, entry_date, recorded_at, kind, description, campaign_id, recorded_by,
        idempotency_key, prev_hash, hash)
      select id, $1, seq, entry_date, recorded_at, 'donation', description, $2, $3, 'gen-' || g, prev_hash, hash
      from gen order by seq`, [committee.id, campaign.id, recordedBy]);
    await step("postings", `
      insert into postings (entry_id, committee_id, line, account_id, amount_dong)
      select id, $1, l.line, case l.line when 1 then (case method when 'cash' then $2::bigint when 'bank' then $3::bigint else $4::bigint end) else $5::bigint end,
        case l.line when 1 then amount else -amount end
      from gen cross join (values (1), (2)) l(line) order by seq, l.line`,
    [committee.id, a.cash.id, a.bank.id, a.goods.id, a.income.id]);
    await step("donations", `
      insert into donations (entry_id, committee_id, campaign_id, method, donor_id, donor_name, donor_kind, publish_name, bank_account, bank_reference, note)
      select id, $1, $2, method, donor_id, donor_name, donor_kind, donor_kind <> 'anonymous' and publish_name,
        case when method = 'bank' then '0011009990001' end,
        case when method = 'bank' then 'FT' || to_char(entry_date, 'YYMMDD') || lpad(g::text, 9, '0') end, null
      from gen order by seq`, [committee.id, campaign.id]);
    // Receipts numbered gap-free per year in the PT book, continuing its last number.
    await step("vouchers", `
      insert into vouchers (committee_id, book_id, year, number, voucher_no, entry_id)
      select $1, $2, year, number, 'PT-' || year || '-' || lpad(number::text, 6, '0'), id from (
        select id, seq, extract(year from entry_date)::int as year,
          coalesce((select max(number) from vouchers v where v.book_id = $2 and v.year = extract(year from entry_date)::int), 0)
            + row_number() over (partition by extract(year from entry_date)::int order by seq) as number
        from gen where method = 'cash'
      ) x order by seq`, [committee.id, ptBook]);
    await step("entry_items", `
      insert into entry_items (entry_id, committee_id, line, description, quantity, unit, unit_value_dong, value_dong, valuation_basis)
      select id, $1, 1, (${sqlArray(ITEMS)})[item], qty, (${sqlArray(ITEM_UNITS)})[item], (array[${ITEM_VALUES.join(",")}]::bigint[])[item], amount,
        'Giá thị trường tại thời điểm nhận'
      from gen where method = 'in_kind' order by seq`, [committee.id]);
    // Four entries in five verified by the approver; the last days' entries not yet.
    await step("verifications", `
      insert into entry_verifications (entry_id, committee_id, verified_by, verified_at)
      select id, $1, $2, recorded_at + interval '1 day' from gen where r1 % 5 <> 0 and g < $3::int * 0.97 order by seq`,
    [committee.id, approver, n]);
    // Published in sequence order: publication numbers 1…, each at the entry's own head.
    await step("verified", `
      insert into entry_verified (entry_id, committee_id, verified_at, vseq, published_at, head_seq, head_hash)
      select id, $1, recorded_at + interval '1 day', row_number() over (order by seq), recorded_at + interval '1 day', seq, hash
      from gen where r1 % 5 <> 0 and g < $2::int * 0.97 order by seq`, [committee.id, n]);
    // The kept public sums, as the publication triggers (off here) would have added them one by one:
    // the same SQL definition of an entry's contribution, summed set-wise.
    await step("public figures", `
      insert into public_figures (committee_id, campaign_id, entry_date, metric, key, amount_dong, quantity, n)
      select f.committee_id, f.campaign_id, f.entry_date, f.metric, f.key, sum(f.amount_dong), sum(f.quantity), sum(f.n)
      from entry_verified ev cross join lateral soquy_entry_figures(ev.entry_id) f where ev.committee_id = $1
      group by f.committee_id, f.campaign_id, f.entry_date, f.metric, f.key`, [committee.id]);
    await step("public reach", `
      insert into public_reach (committee_id, campaign_id, kind, party_id, n)
      select $1, r.campaign_id, r.kind, r.party_id, sum(r.n) from entry_verified ev cross join lateral soquy_entry_reach(ev.entry_id) r
      where ev.committee_id = $1 group by r.campaign_id, r.kind, r.party_id`, [committee.id]);
    await step("public distinct", `
      insert into public_figures (committee_id, campaign_id, entry_date, metric, key, n)
      select $1, r.campaign_id, $2::date, case r.kind when 'donor' then 'donors' else 'households' end, '', count(*)
      from public_reach r where r.committee_id = $1 and r.n > 0 group by r.campaign_id, r.kind
      on conflict (campaign_id, entry_date, metric, key) do update set n = public_figures.n + excluded.n`, [committee.id, campaign.startsOn]);
    await step("public head", `
      insert into public_heads (committee_id, vseq, published_at, head_seq, head_hash)
      select $1, vseq, published_at, head_seq, head_hash from entry_verified where committee_id = $1 order by vseq desc limit 1`, [committee.id]);
    await step("balances", `
      insert into account_balances (account_id, committee_id, balance_dong)
      select account_id, min(committee_id), sum(amount_dong) from postings where account_id = any($1::bigint[]) group by account_id
      on conflict (account_id) do update set balance_dong = excluded.balance_dong`,
    [[a.cash.id, a.bank.id, a.goods.id, a.income.id]]);
    // What the triggers would have checked, where it is cheap: entries balanced, seq gap-free, the chain linked.
    const [check] = (await step("check", `
      select (select count(*) from gen)::int as entries,
        (select count(*) from (select p.entry_id from postings p join gen on gen.id = p.entry_id
           group by p.entry_id having sum(amount_dong) <> 0 or count(*) <> 2) x)::int as unbalanced,
        (select max(seq) - min(seq) + 1 - count(*) from journal_entries where committee_id = $1)::int as seq_gaps,
        (select count(*) from gen g1 join gen g2 on g2.seq = g1.seq + 1 where g2.prev_hash <> g1.hash)::int as unlinked`,
    [committee.id])).rows;
    if (check.entries !== n || check.unbalanced !== 0 || check.seq_gaps !== 0 || check.unlinked !== 0) {
      throw new Error(`generated rows are not valid: ${JSON.stringify(check)}`);
    }
    await step("commit", "commit");
  } catch (error) {
    await c.query("rollback").catch(() => {});
    throw error;
  } finally {
    await c.end();
  }
  return steps.join(", ");
}

// ---------------------------------------------------------------- what else the machine did

export interface Load { measured: number; ourPg: number; other: number; otherTop: string }

/**
 * Cores used during a measurement by the measured process, by PostgreSQL for this database
 * (its backends and their parallel workers) and by everything else (other databases' backends
 * included), from /proc sampled every 250 ms (a process that exits loses its last interval).
 * Other work above a quarter of a core makes the figures pessimistic.
 */
function watchLoad(dbName: string, measuredPid: number | undefined): () => Load {
  const t0 = performance.now();
  let prev = processTicks();
  const used = { measured: 0, ourPg: 0, other: 0 };
  const others = new Map<string, number>();
  const tick = () => {
    const now = processTicks();
    const ours = new Set<number>();
    for (const [pid, p] of now) if (p.comm === "postgres" && p.cmd.includes(` ${dbName} `)) ours.add(pid);
    for (const [pid, p] of now) {
      const d = p.ticks - (prev.get(pid)?.ticks ?? p.ticks);
      if (d <= 0) continue;
      const leader = /parallel worker for PID (\d+)/.exec(p.cmd);
      if (pid === measuredPid) used.measured += d;
      else if (ours.has(pid) || (leader && ours.has(Number(leader[1])))) used.ourPg += d;
      else if (pid !== process.pid) {
        used.other += d;
        const name = p.comm === "postgres" ? "postgres (other databases)" : p.comm;
        others.set(name, (others.get(name) ?? 0) + d);
      }
    }
    prev = now;
  };
  const timer = setInterval(tick, 250);
  return () => {
    clearInterval(timer);
    tick();
    const ticks = 100 * ((performance.now() - t0) / 1000); // USER_HZ ticks in the window
    const top = [...others.entries()].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([k, v]) => `${k} ${fmt(v / ticks, 2)}`).join(", ");
    return { measured: used.measured / ticks, ourPg: used.ourPg / ticks, other: used.other / ticks, otherTop: top };
  };
}

// ---------------------------------------------------------------- the children

function childMain(what: "csv" | "pdf" | "format"): Promise<void> {
  return (async () => {
    const { openDatabase } = await import("../src/db/connect.js");
    const { wire } = await import("../src/context.js");
    const { prepareStatement } = await import("../src/statements/builder.js");
    // Only what the measurement needs (pdfkit and its fonts alone are ~20 MB of RSS).
    const { renderStatementPdf } = what === "pdf" ? await import("../reports/pdf.js") : { renderStatementPdf: null };
    const { formatDateVi, formatDecimalVi, formatDong } = await import("../reports/format.js");
    const env = (name: string) => {
      const v = process.env[name];
      if (!v) throw new Error(`${name} is not set`);
      return v;
    };
    const s = wire(await openDatabase({ databaseUrl: env("STATEMENT_CHILD_DB"), poolMax: 2 }));
    try {
      const committee = (await s.store.findCommittee(env("STATEMENT_CHILD_COMMITTEE")))!;
      const campaign = await s.ledger.campaign(committee.id, env("STATEMENT_CHILD_CAMPAIGN"));
      const audience = process.env.STATEMENT_AUDIENCE === "auditor" ? "auditor" : "public";
      const out = env("STATEMENT_CHILD_OUT");
      const rssStartKb = Math.round(process.memoryUsage().rss / 1024);
      // Where the memory is: the V8 heap (live objects plus what the collector has not given back)
      // or outside it (Buffers, zlib), sampled every 100 ms.
      const peak = { heapTotal: 0, heapUsed: 0, external: 0 };
      const sample = () => {
        const m = process.memoryUsage();
        peak.heapTotal = Math.max(peak.heapTotal, m.heapTotal);
        peak.heapUsed = Math.max(peak.heapUsed, m.heapUsed);
        peak.external = Math.max(peak.external, m.external + m.arrayBuffers);
      };
      const sampler = setInterval(sample, 100);

      const t0 = performance.now();
      const st = await prepareStatement(s.statements, committee, campaign,
        { audience, from: process.env.STATEMENT_CHILD_FROM || undefined, to: process.env.STATEMENT_CHILD_TO || undefined });
      const t1 = performance.now();
      let bytes = 0;
      try {
        if (what === "csv") {
          await st.writeCsv(createWriteStream(out));
          bytes = st.csvBytes;
        } else if (what === "pdf") {
          const file = createWriteStream(out);
          await renderStatementPdf!({
            header: st.header, totals: st.totals, summary: st.summary, digest: st.digest, lines: st.lines(), lineCount: st.totals.lines,
          }, file);
          if (!file.writableFinished) await once(file, "finish");
          bytes = statSync(out).size;
        } else {
          // Baseline for the PDF: the same lines, streamed once more from the cursor, as text.
          const file = createWriteStream(out);
          let buf = "";
          for await (const l of st.lines()) {
            buf += `${formatDateVi(l.recordedDate)}\t${formatDateVi(l.documentDate)}\t${l.voucherNo ?? ""}\t${l.description} – ${l.counterparty}\t` +
              `${l.quantity === null ? "" : `${formatDecimalVi(l.quantity)} ${l.unit ?? ""}`}\t${formatDong(l.inDong)}\t${formatDong(l.outDong)}\t` +
              `${formatDong(l.balanceDong)}\t${l.verified ? "đã kiểm" : ""}\t${l.seq} ${l.hash.slice(0, 8)}\n`;
            if (buf.length >= 65536) {
              bytes += Buffer.byteLength(buf);
              if (!file.write(buf)) await once(file, "drain");
              buf = "";
            }
          }
          bytes += Buffer.byteLength(buf);
          file.end(buf);
          await once(file, "finish");
        }
      } finally {
        st.dispose();
      }
      const t2 = performance.now();
      clearInterval(sampler);
      sample();
      const result: ChildResult = {
        what, lines: st.totals.lines, prepareMs: t1 - t0, passMs: t2 - t1, totalMs: what === "format" ? t2 - t1 : t2 - t0, bytes,
        digest: st.digest, verifiedOnly: st.header.verifiedOnly, position: st.header.position, from: st.header.from, to: st.header.to, openingDong: st.header.openingDong.toString(),
        rssStartKb, maxRssKb: process.resourceUsage().maxRSS,
        peakHeapTotalKb: Math.round(peak.heapTotal / 1024), peakHeapUsedKb: Math.round(peak.heapUsed / 1024),
        peakExternalKb: Math.round(peak.external / 1024),
      };
      process.stdout.write(`\nSTATEMENT_RESULT ${JSON.stringify(result)}\n`);
    } finally {
      await s.close();
    }
  })();
}

const profileDir = "/tmp/prof-statements";

/** Runs one measurement in a child process of its own; resolves with what it reports. */
export function runChild(what: ChildResult["what"], databaseUrl: string, dbName: string, t: Target, out: string): Promise<ChildResult & { load: Load }> {
  const profile = process.env.STATEMENT_PROFILE === "1";
  const nodeArgs = ["--import", "tsx", ...(process.env.STATEMENT_NODE_ARGS ?? "").split(/\s+/).filter(Boolean)];
  if (profile) {
    const dir = path.join(profileDir, what);
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    nodeArgs.unshift("--cpu-prof", `--cpu-prof-dir=${dir}`);
  }
  const child = spawn(process.execPath, [...nodeArgs, thisFile, "child", what], {
    cwd: repoRoot,
    env: {
      ...process.env, NODE_ENV: "production", STATEMENT_CHILD_DB: databaseUrl, STATEMENT_CHILD_COMMITTEE: t.committee,
      STATEMENT_CHILD_CAMPAIGN: t.campaign, STATEMENT_CHILD_OUT: out, STATEMENT_CHILD_FROM: t.from ?? "", STATEMENT_CHILD_TO: t.to ?? "",
      ...(t.audience ? { STATEMENT_AUDIENCE: t.audience } : {}),
    },
    stdio: ["ignore", "pipe", "inherit"],
  });
  const stopWatch = watchLoad(dbName, child.pid);
  let stdout = "";
  child.stdout.setEncoding("utf8").on("data", (c: string) => {
    stdout += c;
  });
  const limitMs = Number(process.env.STATEMENT_CHILD_TIMEOUT ?? 600) * 1000;
  return new Promise<ChildResult & { load: Load }>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`statement child ${what} (pid ${child.pid}) took more than ${limitMs / 1000} s: killed`));
    }, limitMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      stopWatch();
      reject(e);
    });
    child.on("exit", (code, signal) => {
      clearTimeout(timer);
      const load = stopWatch();
      const m = /STATEMENT_RESULT (.*)\n/.exec(stdout);
      if (code !== 0 || !m) {
        reject(new Error(`statement child ${what} exited with ${signal ?? code}${m ? "" : " without a result"}: ${stdout.slice(-500)}`));
        return;
      }
      resolve({ ...(JSON.parse(m[1]!) as ChildResult), load });
    });
  });
}

/** psql running COPY (the statement's SELECT) TO STDOUT WITH CSV into a file. */
export function copyBaseline(databaseUrl: string, dbName: string, select: string, out: string): Promise<{ ms: number; rows: number; load: Load }> {
  const fd = openSync(out, "w");
  const t0 = performance.now();
  const child = spawn("psql", ["-X", "-q", "-v", "ON_ERROR_STOP=1", "-d", databaseUrl, "-c", `copy (${select}) to stdout with (format csv)`], {
    stdio: ["ignore", fd, "inherit"],
  });
  const stopWatch = watchLoad(dbName, child.pid);
  return new Promise((resolve, reject) => {
    child.on("error", (e) => {
      closeSync(fd);
      stopWatch();
      reject(e);
    });
    child.on("exit", (code) => {
      const ms = performance.now() - t0;
      const load = stopWatch();
      closeSync(fd);
      if (code !== 0) {
        reject(new Error(`psql COPY exited with ${code}`));
        return;
      }
      // Rows: no generated text holds a line break, so lines are rows.
      const size = statSync(out).size;
      resolve({ ms, rows: size === 0 ? 0 : countLines(out), load });
    });
  });
}

function countLines(file: string): number {
  const fd = openSync(file, "r");
  const buf = Buffer.alloc(1 << 20);
  let n = 0;
  try {
    for (;;) {
      const got = readSync(fd, buf, 0, buf.length, null);
      if (got === 0) break;
      for (let i = 0; i < got; i++) if (buf[i] === 10) n++;
    }
  } finally {
    closeSync(fd);
  }
  return n;
}

/** Entries of a generated campaign an approver verified (each is one line of the public statement). */
async function verifiedEntries(s: Soquy, campaign: Campaign): Promise<number> {
  const row = await s.db.knex("entry_verified as ev").join("journal_entries as e", "e.id", "ev.entry_id")
    .where("e.campaign_id", campaign.id).count("* as n").first();
  return Number(row?.n ?? 0);
}

/** The statement's SELECT (the CSV pass's) as src/db/statements.ts builds it, with its bindings inlined by knex. */
export function statementSelect(knex: Knex, campaign: Campaign, r: ChildResult): string {
  const q = new StatementQueries(knex).csvRowsSql(campaign, r.position.seq, r.from, r.to, r.verifiedOnly, BigInt(r.openingDong));
  return knex.raw(q.sql, q.bindings).toQuery();
}

function summariseProfile(what: string, log: (line: string) => void): Promise<void> {
  const dir = path.join(profileDir, what);
  let files: string[] = [];
  try {
    files = readdirSync(dir).filter((f) => f.endsWith(".cpuprofile"));
  } catch {
    // none
  }
  if (files.length === 0) return Promise.resolve();
  log(`\n--- CPU profile of the ${what} child (${dir}) ---`);
  const child = spawn(process.execPath, ["--import", "tsx", "bench/cpuprofile.ts", dir], { cwd: repoRoot, stdio: ["ignore", "inherit", "inherit"] });
  return once(child, "exit").then(() => undefined);
}

// ---------------------------------------------------------------- the measurement

export async function runStatementBench(opts: StatementBenchOptions = {}): Promise<StatementBenchResult> {
  const log = opts.log ?? ((line: string) => console.log(line));
  const adminUrl = opts.adminUrl ?? (process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres");
  const entries = opts.entries ?? Number(process.env.STATEMENT_ENTRIES ?? 1_000_000);
  const pdfEntries = opts.pdfEntries ?? Number(process.env.STATEMENT_PDF_ENTRIES ?? 200_000);
  const reuse = process.env.STATEMENT_REUSE;
  const keep = process.env.STATEMENT_KEEP === "1" || Boolean(reuse);
  const dbName = reuse || process.env.STATEMENT_DB || `soquy_bench_statements_${process.pid}`;
  const databaseUrl = dbUrl(adminUrl, dbName);
  const tmp = mkdtempSync(path.join(os.tmpdir(), "soquy-bench-statements-"));
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  let s: Soquy | null = null;
  try {
    if (!reuse) await admin.query(`create database ${dbName}`);
    s = await openSoquy({ databaseUrl, holder: "cli" });
    const csvT: Target = { committee: CSV_TARGET.committee, campaign: CSV_TARGET.campaign, entries };
    const pdfT: Target = { committee: PDF_TARGET.committee, campaign: PDF_TARGET.campaign, entries: pdfEntries };
    if (!reuse) {
      // Committees, tokens and campaigns through the real code; then the entries in SQL, both
      // campaigns at once (one connection each).
      const t0 = performance.now();
      const jobs: (() => Promise<string>)[] = [];
      for (const [spec, n] of [[CSV_TARGET, entries], [PDF_TARGET, pdfEntries]] as const) {
        const committee = await s.store.createCommittee(spec.committee, spec.committeeName);
        const treasurer = (await s.store.findPrincipal(hashToken(await createToken(s, committee.id, "treasurer", "bench treasurer"))))!;
        const approver = (await s.store.findPrincipal(hashToken(await createToken(s, committee.id, "approver", "bench approver"))))!;
        const adminP = (await s.store.findPrincipal(hashToken(await createToken(s, committee.id, "admin", "bench admin"))))!;
        await s.ledger.createCampaign(adminP, { code: spec.campaign, name: spec.campaignName, kind: "relief", startsOn: spec.startsOn },
          { idempotencyKey: `bench-${spec.campaign}`, requestHash: "0".repeat(64) });
        const campaign = await s.ledger.campaign(committee.id, spec.campaign);
        jobs.push(async () => `${spec.campaign}: ${await generateCampaign(databaseUrl, committee, campaign, n, treasurer.tokenId, approver.tokenId)}`);
      }
      const settled = await Promise.allSettled(jobs.map((job) => job())); // never drop the database under a running job
      const failed = settled.find((x) => x.status === "rejected");
      if (failed) throw failed.reason;
      const steps = settled.map((x) => (x as PromiseFulfilledResult<string>).value);
      const t1 = performance.now();
      // VACUUM as well as ANALYZE: it sets the hint bits a first reader would otherwise set (and
      // write) on every freshly inserted row, which would be charged to whichever measurement runs first.
      for (const table of ["journal_entries", "postings", "donations", "vouchers", "entry_items", "entry_verifications", "entry_verified",
        "donors", "account_balances", "public_figures", "public_reach", "public_heads"]) {
        await s.db.knex.raw(`vacuum (analyze) ${table}`);
      }
      const size = (await s.db.knex.raw("select pg_size_pretty(pg_database_size(current_database())) as size")).rows[0].size;
      log(`statements: generated ${fmt(entries)} + ${fmt(pdfEntries)} donation entries in SQL in ${secs(t1 - t0)}, VACUUM ANALYZE ${secs(performance.now() - t1)}; ` +
        `database ${dbName}, ${size}`);
      if (process.env.STATEMENT_VERBOSE === "1") for (const x of steps) log(`  seconds per step, ${x}`);
    }
    const loadNote = (l: Load) => `cores used: measured process ${fmt(l.measured, 2)}, its PostgreSQL ${fmt(l.ourPg, 2)}, other work ${fmt(l.other, 2)}` +
      (l.other > 0.25 ? ` (${l.otherTop}: NOT quiet, pessimistic)` : "");
    const busy: string[] = [];

    // (a) the CSV statement, (c) PostgreSQL's own COPY of the same rows.
    const csv = await runChild("csv", databaseUrl, dbName, csvT, "/dev/null");
    const csvCampaign = await s.ledger.campaign((await s.store.findCommittee(csvT.committee))!.id, csvT.campaign);
    const csvLines = csv.verifiedOnly ? await verifiedEntries(s, csvCampaign) : entries;
    if (csv.lines !== csvLines) throw new Error(`the CSV statement has ${csv.lines} lines, expected ${csvLines}`);
    const copyFile = path.join(tmp, "copy.csv");
    const copy = await copyBaseline(databaseUrl, dbName, statementSelect(s.db.knex, csvCampaign, csv), copyFile);
    const copyBytes = statSync(copyFile).size;
    rmSync(copyFile, { force: true });
    if (copy.rows !== csv.lines) throw new Error(`COPY gave ${copy.rows} rows, the statement ${csv.lines}: not the same rows`);
    log(`  CSV: prepareStatement ${secs(csv.prepareMs)} (query, lines, CSV, SHA-256, temporary file, reconciliation) + writeCsv() to /dev/null ` +
      `${secs(csv.passMs)}; ${fmt(csv.bytes / 1e6, 0)} MB; ${loadNote(csv.load)}`);
    log(`       memory: RSS after start-up (node, tsx, modules, connected) ${mb(csv.rssStartKb)} MB, peak ${mb(csv.maxRssKb)} MB; ` +
      `V8 heap peak ${mb(csv.peakHeapUsedKb)} MB used of ${mb(csv.peakHeapTotalKb)} MB, Buffers peak ${mb(csv.peakExternalKb)} MB`);
    log(`       baseline: psql COPY (the statement's SELECT) TO STDOUT WITH CSV: ${fmt(copy.rows)} rows, ${fmt(copyBytes / 1e6, 0)} MB ` +
      `in ${secs(copy.ms)}; ${loadNote(copy.load)}`);

    // (b) the PDF statement, (d) the same lines streamed and formatted as text, no pdfkit.
    const pdfFile = path.join(tmp, "statement.pdf");
    const pdf = await runChild("pdf", databaseUrl, dbName, pdfT, pdfFile);
    rmSync(pdfFile, { force: true });
    const pdfCampaign = await s.ledger.campaign((await s.store.findCommittee(pdfT.committee))!.id, pdfT.campaign);
    const pdfLines = pdf.verifiedOnly ? await verifiedEntries(s, pdfCampaign) : pdfEntries;
    if (pdf.lines !== pdfLines) throw new Error(`the PDF statement has ${pdf.lines} lines, expected ${pdfLines}`);
    const textFile = path.join(tmp, "statement.txt");
    const text = await runChild("format", databaseUrl, dbName, pdfT, textFile);
    rmSync(textFile, { force: true });
    if (text.digest !== pdf.digest) throw new Error("the baseline read another statement than the PDF (digests differ)");
    log(`  PDF: prepareStatement ${secs(pdf.prepareMs)} + renderStatementPdf ${secs(pdf.passMs)} ` +
      `(${fmt(pdf.passMs / text.passMs, 1)} × the text pass); ${fmt(pdf.bytes / 1e6, 0)} MB; ${loadNote(pdf.load)}`);
    log(`       memory: RSS after start-up ${mb(pdf.rssStartKb)} MB, peak ${mb(pdf.maxRssKb)} MB; ` +
      `V8 heap peak ${mb(pdf.peakHeapUsedKb)} MB used of ${mb(pdf.peakHeapTotalKb)} MB, Buffers peak ${mb(pdf.peakExternalKb)} MB`);
    log(`       baseline: st.lines() formatted as text lines ${secs(text.passMs)} (after its own untimed prepareStatement ` +
      `${secs(text.prepareMs)}), peak RSS ${mb(text.maxRssKb)} MB; ${loadNote(text.load)}`);
    for (const [what, l] of [["CSV", csv.load], ["COPY", copy.load], ["PDF", pdf.load], ["text", text.load]] as const) {
      if (l.other > 0.25) busy.push(what);
    }

    // Public totals on the 1M-entry committee (bench/public.ts); the public statement's digest the
    // totals carry is built first, so its one-off build does not share the CPU with the measurement.
    const warm = await s.public.campaignTotals(csvT.committee, csvT.campaign, {});
    const tw = performance.now();
    await s.public.statementFacts(warm, 30 * 60_000);
    log(`  public statement at publication ${warm.publication.vseq} built for the totals' digest in ${secs(performance.now() - tw)}`);
    const pub = await measurePublicTotals(s, databaseUrl, csvT.committee, csvT.campaign, entries, log);
    const spike = await measureStatementSpike(s, pdfT.committee, pdfT.campaign, log);

    const csvMet = csv.totalMs < 10_000 && mb(csv.maxRssKb) < 150;
    const pdfMet = pdf.totalMs < 60_000 && mb(pdf.maxRssKb) < 300;
    const lines = [
      `statement CSV, ${fmt(entries)} entries (${fmt(csv.lines)} lines${csv.verifiedOnly ? ", verified only" : ""}): ${secs(csv.totalMs)}, peak RSS ${mb(csv.maxRssKb)} MB  ` +
        `(baseline COPY: ${secs(copy.ms)}, ratio ${fmt(csv.totalMs / copy.ms, 1)})   goal < 10 s, < 150 MB: ${csvMet ? "met" : "MISSED"}`,
      `statement PDF, ${fmt(pdfEntries)} entries (${fmt(pdf.lines)} lines${pdf.verifiedOnly ? ", verified only" : ""}): ${secs(pdf.totalMs)}, peak RSS ${mb(pdf.maxRssKb)} MB  ` +
        `(baseline stream+format: ${secs(text.passMs)}, ratio ${fmt(pdf.totalMs / text.passMs, 1)}) goal < 60 s, < 300 MB: ${pdfMet ? "met" : "MISSED"}`,
    ];
    lines.push(pub.line, spike.line);
    if (busy.length > 0) lines.push(`  (other work used more than a quarter of a core during: ${busy.join(", ")}: those figures are pessimistic)`);
    if (process.env.STATEMENT_PROFILE === "1") {
      for (const what of ["csv", "pdf", "format"]) await summariseProfile(what, log);
    }
    return { lines, met: csvMet && pdfMet && pub.met && spike.met };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
    if (s) await s.close().catch(() => {});
    if (keep) log(`  (database ${dbName} kept: STATEMENT_REUSE=${dbName} measures it again; drop it when done)`);
    else await admin.query(`drop database if exists ${dbName} with (force)`).catch((e) => log(`could not drop ${dbName}: ${String(e)}`));
    await admin.end().catch(() => {});
  }
}

// ---------------------------------------------------------------- alone

const runAsThisFile = Boolean(process.argv[1]) && path.resolve(process.argv[1]!) === thisFile;
// Only as this file: bench/bankimport.ts imports it, and its own children are called "child" too.
if (runAsThisFile && process.argv[2] === "child") {
  const what = process.argv[3];
  if (what !== "csv" && what !== "pdf" && what !== "format") throw new Error(`unknown child ${what}`);
  await childMain(what);
} else if (runAsThisFile) {
  try {
    const r = await runStatementBench();
    console.log(`\n${r.lines.join("\n")}`);
  } catch (error) {
    console.error(error);
    process.exitCode = 1;
  }
}

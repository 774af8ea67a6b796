import { spawn } from "node:child_process";
import { createWriteStream } from "node:fs";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { createToken, hashToken, openSoquy } from "../src/context.js";
import { dbUrl } from "./machine.js";
import { Connection } from "./client.js";
import { BenchService } from "./service.js";

// The public sao kê (issue 25) at the scale of a relief campaign, for `npm run bench` (also alone:
// node --import tsx bench/saoke.ts): a published statement of SAOKE_LINES generated bank lines
// (default 200,000; the goals are stated for 1,000,000) over ten days with Vietnamese-shaped memos,
// on a fresh PostgreSQL database that is dropped afterwards.
//
//   BENCH_DATABASE_URL  admin connection (default postgres://postgres@127.0.0.1:5432/postgres)
//   SAOKE_LINES         bank lines of the statement (default 200,000)
//   SAOKE_SECONDS       measured seconds of each load (default 10, after 2 s of warm-up)
//   SAOKE_CLIENTS       concurrent searchers (default 32)
//   SAOKE_COMPARE=1     also the index choice: the same name searches in SQL against words-only GIN,
//                       pg_trgm (and unaccent) on a copy of the folded memos, beside the pairs index
//   SAOKE_KEEP=1        keep the database (its name is printed); SAOKE_REUSE=<name> measures a kept one again
//                       (no generation, no publishing, not dropped)
//
// The bank lines are generated in SQL (as bench/statements.ts generates entries): one import's
// bank_lines rows, written with session_replication_role = replica (their entries are not made: the
// ledger's triggers would take hours for a million), each credit naming an entry id of its own. What
// is measured then runs as the service runs it:
//   publish   the publisher copying the import into its public form (masking, words, the check of
//             every row against its bank line), then the day figures and every file's digest;
//   search    32 searchers through HTTP (the service in a process of its own, answers not kept:
//             PUBLIC_CACHE_MB=0), each request a search by a name fragment, an amount or a date
//             range, beside the same searchers looking up one bank reference through the same
//             endpoint (an indexed lookup: the baseline). Goal: search p99 ≤ 5 × lookup p99, < 100 ms;
//   csv       the day's CSV (a tenth of the lines) written by the service's own code in a child
//             process of its own, so its peak RSS is the download's alone. Goal: < 200 MB.

const thisFile = fileURLToPath(import.meta.url);
const repoRoot = fileURLToPath(new URL("..", import.meta.url));
const fmt = (n: number, digits = 0) => n.toLocaleString("en-US", { minimumFractionDigits: digits, maximumFractionDigits: digits });
const COMMITTEE = "bench-saoke";
const CAMPAIGN = "YAGI-2024";
const ACCOUNT = "0011009990046";
const DAYS = 10;

const FAMILY = ["NGUYEN", "TRAN", "LE", "PHAM", "HOANG", "HUYNH", "PHAN", "VU", "VO", "DANG", "BUI", "DO", "HO", "NGO", "DUONG", "LY"];
const FAMILY_VI = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"];
const MIDDLE = ["VAN", "THI", "HUU", "DUC", "MINH", "NGOC", "THANH", "QUOC", "THU", "KIM"];
const MIDDLE_VI = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Kim"];
const GIVEN = ["AN", "BINH", "CUONG", "DUNG", "GIANG", "HA", "HIEU", "HUNG", "LAN", "LINH", "MAI", "NAM", "PHUONG", "QUYNH", "SON", "TAM", "TRANG", "TUAN", "VIET", "YEN"];
const GIVEN_VI = ["An", "Bình", "Cường", "Dũng", "Giang", "Hà", "Hiếu", "Hùng", "Lan", "Linh", "Mai", "Nam", "Phương", "Quỳnh", "Sơn", "Tâm", "Trang", "Tuấn", "Việt", "Yến"];
const TEXTS = ["ung ho dong bao bi bao lu", "Ung ho dong bao mien Bac khac phuc bao so 3", "chung tay vuot qua bao lu", "quyen gop",
  "cuu tro thien tai", "gia dinh chuc ba con binh an", "UNG HO CAC TINH BI BAO LU", "chuyen tien"];
const TEXTS_VI = ["ủng hộ đồng bào bị bão lũ", "Ủng hộ đồng bào miền Bắc khắc phục bão số 3", "chung tay vượt qua bão lũ", "quyên góp"];
const AMOUNTS = [3000, 10000, 52222, 5888, 1000000, 200000, 500000, 2000, 5000, 6000, 12000, 20000, 50000, 100000, 300000];

const sqlArray = (xs: readonly (string | number)[]) => `array[${xs.map((x) => (typeof x === "number" ? String(x) : `'${x.replaceAll("'", "''")}'`)).join(",")}]`;

function percentile(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]! : NaN;
}

/** One import of n bank lines over ten days, written in SQL; its id. */
async function generate(url: string, committeeId: number, campaignId: number, recordedBy: number, n: number): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query("set work_mem = '256MB'");
    await c.query("begin");
    await c.query("set local session_replication_role = replica");
    const account = (await c.query(`insert into bank_accounts (committee_id, account_no, opening_balance_dong, opening_date)
      values ($1, $2, 10847182843, '2024-09-01') returning id`, [committeeId, ACCOUNT])).rows[0].id;
    const imp = (await c.query(`insert into bank_imports (committee_id, bank_account_id, campaign_id, layout, recorded_by, file_sha256, lines_read, recorded,
        already_present, matched, fees, to_classify, balance_checks, opening_balance_dong, closing_balance_dong, first_date, last_date, started_at, finished_at)
      values ($1, $2, $3, 'vcb', $4, repeat('ab', 32), $5, $5, 0, 0, $6, 0, $6, 10847182843, null, '2024-09-01', $7::date, now(), now()) returning id`,
    [committeeId, account, campaignId, recordedBy, n, DAYS, `2024-09-${String(DAYS).padStart(2, "0")}`])).rows[0].id;
    const perDay = Math.ceil(n / DAYS);
    // Four pseudo-random 32-bit numbers a line from md5; the day; whether it is the day's fee or a transfer out to classify.
    await c.query(`create temp table gen on commit drop as
      select g, least(${DAYS - 1}, (g - 1) / ${perDay}) as day, r1, r2, r3, r4,
        case when (g - 1) % ${perDay} = ${perDay} - 2 then 'fee' when g % 50000 = 0 then 'to_classify' else 'donation' end as kind
      from (select g, ('x' || substr(h, 1, 8))::bit(32)::bigint as r1, ('x' || substr(h, 9, 8))::bit(32)::bigint as r2,
          ('x' || substr(h, 17, 8))::bit(32)::bigint as r3, ('x' || substr(h, 25, 8))::bit(32)::bigint as r4
        from (select g, md5('saoke:' || g) as h from generate_series(1, $1::int) g) x) y`, [n]);
    const name = `(${sqlArray(FAMILY)})[1 + r1 % 16] || ' ' || (${sqlArray(MIDDLE)})[1 + r2 % 10] || ' ' || (${sqlArray(GIVEN)})[1 + r3 % 20]`;
    const nameVi = `(${sqlArray(FAMILY_VI)})[1 + r1 % 16] || ' ' || (${sqlArray(MIDDLE_VI)})[1 + r2 % 10] || ' ' || (${sqlArray(GIVEN_VI)})[1 + r3 % 20]`;
    const dd = "to_char(date '2024-09-01' + day, 'DDMMYY')";
    await c.query(`create temp table lines on commit drop as
      select g, day, kind, case when kind = 'donation' then 'C' else 'D' end as direction,
        case when kind = 'fee' then 55000 when kind = 'to_classify' then 10000000
          when r4 % 3 = 0 then (${sqlArray(AMOUNTS)})[1 + r2 % ${AMOUNTS.length}] when r4 % 3 = 1 then (1 + r2 % 2000) * 1000 else 1000 + r2 % 9999000 end::bigint as amount,
        (5000 + r1 % 400) || '.' || (10000 + r4 % 90000) as doc,
        case when kind = 'fee' then 'THU PHI DICH VU SMS CHU DONG NGAY ' || to_char(date '2024-09-01' + day, 'DD/MM/YYYY') || '. SDT: 0904000111'
          when kind = 'to_classify' then 'CHUYEN TIEN HO TRO CAC HO BI THIET HAI DOT ' || g / 50000
          else case r4 % 4
            when 0 then 'MBVCB.' || (6900000000 + r1 % 99999999) || '.' || ${name} || ' ' || (${sqlArray(TEXTS)})[1 + r2 % 8] || '.CT tu '
              || (1000000000 + r3 % 899999999) || ' ' || ${name} || ' toi ${ACCOUNT} MAT TRAN TO QUOC'
            when 1 then (100000 + r1 % 899999) || '.' || ${dd} || '.' || r2 % 240000 || '.' || ${name} || ' ' || (${sqlArray(TEXTS)})[1 + r3 % 8]
            when 2 then ${nameVi} || ' ' || (${sqlArray(TEXTS_VI)})[1 + r2 % 4] || ', SĐT 09' || lpad((r3 % 100000000)::text, 8, '0')
            else 'CKSOTAIKHOAN ' || (100000000000000 + r1 % 899999999) || ' ' || ${name} || ' chuyen tien tu Viettel Money 849' || lpad((r3 % 10000000)::text, 7, '0') || ' ${ACCOUNT}'
          end end as memo
      from gen`);
    await c.query(`insert into bank_lines (committee_id, bank_account_id, line_key, import_id, line_no, entry_date, time_of_day, doc_ref, direction, amount_dong,
        memo, donor_name, kind, balance_dong, entry_id, matched)
      select $1, $2, sha256(convert_to('saoke-line:' || g, 'UTF8')), $3, g + 1, date '2024-09-01' + day, null, doc, direction, amount, memo, null, kind,
        case when lead(day) over (order by g) is distinct from day
          then 10847182843 + sum(case when direction = 'C' then amount else -amount end) over (order by g) end,
        case when kind = 'to_classify' then null else gen_random_uuid() end, false
      from lines order by g`, [committeeId, account, imp]);
    await c.query("commit");
    await c.query("analyze bank_lines");
    return Number(imp);
  } finally {
    await c.end();
  }
}

// ---- the load ----------------------------------------------------------------------------------

interface Load { latencies: Map<string, number[]>; errors: number; firstError: string | null; requests: number }

/** `clients` keep-alive connections asking paths from `next` for `seconds` after a 2 s warm-up; latencies by kind. */
async function load(port: number, clients: number, seconds: number, next: () => { kind: string; path: string }): Promise<Load> {
  let phase: "warmup" | "measure" | "stop" = "warmup";
  const out: Load = { latencies: new Map(), errors: 0, firstError: null, requests: 0 };
  const run = async () => {
    const conn = new Connection(port);
    try {
      while (phase !== "stop") {
        const q = next();
        const t = performance.now();
        const res = await conn.request("GET", q.path, { Accept: "application/json" }, null);
        const ms = performance.now() - t;
        if (phase !== "measure") continue;
        out.requests++;
        if (res.status !== 200) {
          out.errors++;
          out.firstError ??= `${res.status} ${q.path} ${res.body.slice(0, 200)}`;
          continue;
        }
        const list = out.latencies.get(q.kind) ?? [];
        list.push(ms);
        out.latencies.set(q.kind, list);
      }
    } finally {
      conn.close();
    }
  };
  const running = Array.from({ length: clients }, run);
  await new Promise((r) => setTimeout(r, 2000));
  phase = "measure";
  await new Promise((r) => setTimeout(r, seconds * 1000));
  phase = "stop";
  await Promise.all(running);
  return out;
}

const all = (l: Load) => [...l.latencies.values()].flat().sort((a, b) => a - b);
const ms = (x: number) => `${fmt(x, 1)} ms`;

// ---- the day's CSV in a process of its own ----------------------------------------------------

interface CsvChild { ms: number; bytes: number; lines: number; digestOk: boolean; rssStartKb: number; maxRssKb: number }

async function csvChild(url: string, day: string): Promise<void> {
  const s = await openSoquy({ databaseUrl: url, poolMax: 2 });
  try {
    const rssStartKb = Math.round(process.memoryUsage.rss() / 1024);
    const v = await s.saoke.view(COMMITTEE, CAMPAIGN, "en");
    const t = performance.now();
    const csv = await s.saoke.csv(v, day === "all" ? undefined : day, "en");
    let digestOk = true;
    // The bytes go through a file kept by digest, as a download does; writing them throws when they do not match it.
    await csv.write(createWriteStream("/dev/null")).catch(() => (digestOk = false));
    const result: CsvChild = { ms: performance.now() - t, bytes: csv.file.bytes, lines: csv.file.lines, digestOk, rssStartKb, maxRssKb: process.resourceUsage().maxRSS };
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await s.close();
  }
}

function runCsvChild(url: string, day: string): Promise<CsvChild> {
  return new Promise((resolve, reject) => {
    const p = spawn(process.execPath, ["--import", "tsx", thisFile, "child-csv", url, day], { cwd: repoRoot, stdio: ["ignore", "pipe", "inherit"] });
    let out = "";
    p.stdout.on("data", (d) => (out += d));
    p.on("exit", (code) => (code === 0 ? resolve(JSON.parse(out.trim().split("\n").pop()!)) : reject(new Error(`csv child exited ${code}`))));
  });
}

// ---- the index choice -------------------------------------------------------------------------

/** The same name searches in SQL, one at a time, against other indexes on a copy of the folded memos. */
async function compareIndexes(url: string, campaignId: number, names: string[], log: (l: string) => void): Promise<string[]> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  const lines: string[] = [];
  try {
    await c.query("create extension if not exists pg_trgm");
    await c.query("create extension if not exists unaccent");
    let t = performance.now();
    await c.query(`create table saoke_probe as select entry_date, import_id, line_no, ' ' || lower(regexp_replace(unaccent(memo), '[^[:alnum:]]+', ' ', 'g')) || ' ' as folded
      from saoke_lines where campaign_id = $1`, [campaignId]);
    log(`saoke compare: folded copy (unaccent) ${fmt((performance.now() - t) / 1000, 1)} s`);
    const build = async (label: string, sql: string) => {
      const t0 = performance.now();
      await c.query(sql);
      return `${label} built in ${fmt((performance.now() - t0) / 1000, 1)} s`;
    };
    const built = [
      await build("words-only GIN", "create index saoke_probe_words on saoke_probe using gin (to_tsvector('simple', folded))"),
      await build("pg_trgm GIN", "create index saoke_probe_trgm on saoke_probe using gin (folded gin_trgm_ops)"),
    ];
    await c.query("vacuum analyze saoke_probe");
    const size = async (index: string) => Number((await c.query("select pg_relation_size($1::regclass) as b", [index])).rows[0].b) / 1048576;
    const methods: [string, (q: string) => [string, unknown[]]][] = [
      ["pairs GIN (soquy's)", (q) => {
        const w = q.split(" ");
        const tsq = w.length === 1 ? `'${w[0]}'` : w.slice(1).map((x, i) => `'${w[i]}_${x}'`).join(" <-> ");
        return ["saoke_lines s where s.campaign_id = $1 and s.words @@ $2::tsquery", [campaignId, tsq]];
      }],
      ["words-only GIN", (q) => ["saoke_probe s where to_tsvector('simple', s.folded) @@ phraseto_tsquery('simple', $1)", [q]]],
      ["pg_trgm GIN", (q) => ["saoke_probe s where s.folded like $1", [`% ${q} %`]]],
    ];
    const sizes = [await size("saoke_lines_words"), await size("saoke_probe_words"), await size("saoke_probe_trgm")];
    for (const [i, [label, where]] of methods.entries()) {
      const times: number[] = [];
      for (const q of names) {
        const [sql, args] = where(q);
        const t1 = performance.now();
        await c.query(`select count(*) from (select 1 from ${sql} limit 5001) x`, args);
        await c.query(`select s.entry_date, s.import_id, s.line_no from ${sql} order by s.entry_date, s.import_id, s.line_no limit 51`, args);
        times.push(performance.now() - t1);
      }
      times.sort((a, b) => a - b);
      lines.push(`saoke index choice, ${label}: ${names.length} name searches one at a time, count + first page mean ${ms(times.reduce((a, b) => a + b, 0) / times.length)} ` +
        `p99 ${ms(percentile(times, 99))}; index ${fmt(sizes[i]!)} MB`);
    }
    lines.push(`saoke index choice: ${built.join(", ")} (the pairs index is built as the publisher copies)`);
    await c.query("drop table saoke_probe");
  } finally {
    await c.end();
  }
  return lines;
}

// ---- the bench --------------------------------------------------------------------------------

export async function runSaokeBench(o: { adminUrl?: string; log?: (l: string) => void } = {}): Promise<{ lines: string[]; met: boolean }> {
  const adminUrl = o.adminUrl ?? (process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres");
  let n = Number(process.env.SAOKE_LINES ?? 200_000);
  const seconds = Number(process.env.SAOKE_SECONDS ?? 10);
  const clients = Number(process.env.SAOKE_CLIENTS ?? 32);
  const log = o.log ?? ((l: string) => console.log(l));
  const reuse = process.env.SAOKE_REUSE || null;
  const db = reuse ?? `soquy_bench_saoke_${process.pid}`;
  const url = dbUrl(adminUrl, db);
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  if (!reuse) await admin.query(`create database ${db}`);
  const lines: string[] = [];
  let met = true;
  try {
    const s = await openSoquy({ databaseUrl: url });
    let campaignId: number;
    let importId: number;
    if (reuse) {
      campaignId = Number((await s.db.knex.raw("select id from campaigns where code = ?", [CAMPAIGN])).rows[0].id);
      n = (await s.db.knex.raw("select count(*)::int as n from saoke_lines where campaign_id = ?", [campaignId])).rows[0].n;
      await s.close();
    } else try {
      const c = await s.store.createCommittee(COMMITTEE, "Ban Vận động cứu trợ (bench sao kê)");
      await s.store.createCampaign(c.id, {
        code: CAMPAIGN, name: "Ủng hộ đồng bào bị thiệt hại do bão số 3 (Yagi)", kind: "relief", fundCode: null, targetDong: null,
        startsOn: "2024-09-01", endsOn: null, launchDocument: null, receivingException: null, receivingExceptionUntil: null, distributionDays: 20,
      }, { key: "bench-campaign", requestHash: "0".repeat(64) }, (x) => x.code);
      campaignId = (await s.ledger.campaign(c.id, CAMPAIGN)).id;
      const treasurer = (await s.store.findPrincipal(hashToken(await createToken(s, c.id, "treasurer", "bench treasurer"))))!;
      const approver = (await s.store.findPrincipal(hashToken(await createToken(s, c.id, "approver", "bench approver"))))!;
      let t = performance.now();
      importId = await generate(url, c.id, campaignId, treasurer.tokenId, n);
      log(`saoke: generated ${fmt(n)} bank lines in SQL in ${fmt((performance.now() - t) / 1000, 1)} s`);
      await s.saoke.stop(); // no timer: the decision starts the publisher, and the bench waits for it
      t = performance.now();
      await s.saoke.decide(approver, CAMPAIGN, { publish: true, resolutionRef: "Quyết định số 12/QĐ-BVĐ ngày 12/9/2024" });
      await s.saoke.settle();
      const publishMs = performance.now() - t;
      const [{ count }] = (await s.db.knex.raw("select count(*)::int as count from saoke_lines where campaign_id = ?", [campaignId])).rows;
      const [{ through }] = (await s.db.knex.raw("select through_import as through from saoke_files where campaign_id = ? and scope = 'all'", [campaignId])).rows;
      if (count !== n || Number(through) !== importId) throw new Error(`the publisher showed ${count} lines through import ${through}, not ${n} through ${importId}`);
      lines.push(`saoke publish: ${fmt(n)} lines copied (masked, words, checked) with day figures and digests in ${fmt(publishMs / 1000, 1)} s (${fmt(n / (publishMs / 1000))} lines/s)`);
      t = performance.now();
      await s.db.knex.raw("vacuum analyze saoke_lines");
      log(`saoke: VACUUM ANALYZE saoke_lines ${fmt((performance.now() - t) / 1000, 1)} s`);
    } finally {
      await s.close();
    }

    // What to ask: references and amounts from the published lines, names from the memos' names, days.
    const pgc = new pg.Client({ connectionString: url });
    await pgc.connect();
    const refs = (await pgc.query("select reference from saoke_lines tablesample bernoulli (1) repeatable (46) where campaign_id = $1 limit 2000", [campaignId])).rows.map((r) => r.reference as string);
    const amounts = (await pgc.query("select amount_dong from saoke_lines tablesample bernoulli (1) repeatable (47) where campaign_id = $1 limit 1000", [campaignId])).rows.map((r) => BigInt(r.amount_dong));
    await pgc.end();
    let seed = 46;
    const rnd = (m: number) => {
      seed = (seed * 1103515245 + 12345) & 0x7fffffff;
      return (seed >>> 8) % m;
    };
    const base = `/api/v1/public/committees/${COMMITTEE}/campaigns/${CAMPAIGN}/sao-ke`;
    const q = (params: Record<string, string>) => `${base}?${new URLSearchParams(params).toString()}`;
    const dots = (x: bigint) => x.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ".");
    const day = (d: number) => `2024-09-${String(d + 1).padStart(2, "0")}`;
    // A sender's name as a donor types it to find their own transfer: with diacritics, or without in lower case.
    // (Two words of a common name, "văn an", are in ~5,000 of a million lines: more than a search lists, refused.)
    const names = Array.from({ length: 400 }, (_, i) => {
      const f = rnd(16), m = rnd(10), g = rnd(20);
      return i % 2 ? `${FAMILY_VI[f]} ${MIDDLE_VI[m]} ${GIVEN_VI[g]}` : `${FAMILY[f]} ${MIDDLE[m]} ${GIVEN[g]}`.toLowerCase();
    });
    const searches = [
      () => ({ kind: "name", path: q({ q: names[rnd(names.length)]! }) }),
      () => ({ kind: "amount", path: q({ q: dots(amounts[rnd(amounts.length)]!) }) }),
      () => {
        const d = rnd(DAYS), span = rnd(3);
        return { kind: "dates", path: q({ from: day(Math.max(0, d - span)), to: day(d) }) };
      },
    ];
    let turn = 0;
    const service = await BenchService.start(["--import", "tsx"], { DATABASE_URL: url, RATE_LIMIT_PER_MINUTE: "0", PUBLIC_CACHE_MB: "0" }, 60_000);
    try {
      const lookup = await load(service.port, clients, seconds, () => ({ kind: "reference", path: q({ q: refs[rnd(refs.length)]! }) }));
      const search = await load(service.port, clients, seconds, () => searches[turn++ % searches.length]!());
      const l = all(lookup), s2 = all(search);
      const lookupP99 = percentile(l, 99), searchP99 = percentile(s2, 99);
      const ratio = searchP99 / lookupP99;
      const byKind = [...search.latencies].map(([k, v]) => `${k} p99 ${ms(percentile(v.sort((a, b) => a - b), 99))}`).join(", ");
      lines.push(`saoke search, ${clients} searchers, ${fmt(n)} lines: ${fmt(s2.length / seconds)} searches/s, p50 ${ms(percentile(s2, 50))}, p99 ${ms(searchP99)} (${byKind}); ` +
        `errors ${search.errors}${search.firstError ? ` (${search.firstError})` : ""}`);
      lines.push(`saoke baseline, one bank reference through the same endpoint: ${fmt(l.length / seconds)} lookups/s, p50 ${ms(percentile(l, 50))}, p99 ${ms(lookupP99)}; ` +
        `errors ${lookup.errors}${lookup.firstError ? ` (${lookup.firstError})` : ""}`);
      const searchMet = ratio <= 5 && searchP99 < 100 && search.errors === 0 && lookup.errors === 0;
      lines.push(`saoke search goal (p99 ≤ 5 × lookup p99 and < 100 ms): ratio ${fmt(ratio, 2)}, ${ms(searchP99)}: ${searchMet ? "met" : "MISSED"}`);
      met &&= searchMet;
    } finally {
      await service.stop();
    }

    const dayCsv = await runCsvChild(url, "2024-09-05");
    const csvMet = dayCsv.maxRssKb < 200 * 1024 && dayCsv.digestOk;
    lines.push(`saoke day CSV, ${fmt(dayCsv.lines)} lines (${fmt(dayCsv.bytes / 1048576, 1)} MB): ${fmt(dayCsv.ms / 1000, 2)} s, peak RSS ${fmt(dayCsv.maxRssKb / 1024)} MB ` +
      `(${fmt(dayCsv.rssStartKb / 1024)} MB after start-up), bytes ${dayCsv.digestOk ? "match" : "DO NOT MATCH"} their digest   goal < 200 MB: ${csvMet ? "met" : "MISSED"}`);
    met &&= csvMet;
    const whole = await runCsvChild(url, "all");
    lines.push(`saoke whole CSV, ${fmt(whole.lines)} lines (${fmt(whole.bytes / 1048576, 1)} MB): ${fmt(whole.ms / 1000, 2)} s, peak RSS ${fmt(whole.maxRssKb / 1024)} MB, ` +
      `bytes ${whole.digestOk ? "match" : "DO NOT MATCH"} their digest`);
    met &&= whole.digestOk;

    if (process.env.SAOKE_COMPARE === "1") {
      const sample = Array.from({ length: 200 }, () => `${FAMILY[rnd(16)]} ${MIDDLE[rnd(10)]} ${GIVEN[rnd(20)]}`.toLowerCase());
      lines.push(...await compareIndexes(url, campaignId, sample, log));
    }
    return { lines, met };
  } finally {
    if (process.env.SAOKE_KEEP === "1" || reuse) log(`saoke: kept database ${db}`);
    else await admin.query(`drop database if exists ${db} with (force)`);
    await admin.end();
  }
}

if (process.argv[1] === thisFile) {
  if (process.argv[2] === "child-csv") {
    await csvChild(process.argv[3]!, process.argv[4]!);
  } else {
    const r = await runSaokeBench();
    console.log(`\n${r.lines.join("\n")}`);
    if (!r.met) process.exitCode = 1;
  }
}

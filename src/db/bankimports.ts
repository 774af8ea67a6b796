import { createHash, randomBytes } from "node:crypto";
import { readConfig } from "../config.js";
import type { Knex } from "knex";
import { assert } from "../ledger/assert.js";
import { fail, LedgerError } from "../ledger/codes.js";
import { IMPORT_KEY_PREFIX } from "../ledger/donors.js";
import { receivingWindow } from "../ledger/earmarks.js";
import { bankLineDraft, bankLineKey, sealEntry, type Seal } from "../ledger/entries.js";
import type { Account, Campaign, CommittedEntry } from "../ledger/types.js";
import { genericLayout, genericLayoutSchema, isBuiltIn, builtInLayouts, type Layout } from "../imports/layouts.js";
import { createPerson } from "./users.js";
import { abortedTransaction, storeError } from "./sqlstates.js";
import { matchTransfers, MATCH_WINDOW_DAYS, type BankSide, type LedgerSide } from "../imports/match.js";
import { readStatementBatches, type FileFormat, type ReadSummary, type StatementLine } from "../imports/statement.js";
import { canCopy, queueRows, queueStatements, type BulkValue, type QueuedRows } from "./bulk.js";
import { addDays } from "../ledger/earmarks.js";
import { chainHead, toAccount } from "./store.js";

// Importing a bank statement into the ledger, as one transaction under the
// committee's write lock: the lines are streamed into a temporary staging
// table in chunks (COPY on PostgreSQL, multi-row INSERTs on PGlite; bounded
// memory), checked (layout, balance assertions, closed periods, receiving
// window), compared with the lines already recorded for the bank account (by
// identity), and posted in pages: for each page this process makes every
// entry as the API makes its own (src/ledger/entries.ts: draft, then canonical
// text and chain hash), hands the page to PostgreSQL as rows of a temporary
// table (pageRow), and one INSERT … SELECT per
// ledger table writes it (PostgreSQL then checks the page's entries, chain and
// hashes recomputed, as it would at commit). When a
// hand-recorded transfer could match a line, every line is staged first and
// matched before posting; otherwise each chunk is posted as soon as it is
// read, and PostgreSQL writes one page while this process computes the next
// and reads the file on. A statement that starts after the last day recorded
// for its account (the usual case: nothing in it can be there already) is not
// staged at all: each chunk's lines are copied into bank_lines right behind
// their entries (a million-line import ~15 % faster than staging them and
// inserting them all at the end). Statements are queued without waiting for the ones
// before, so PostgreSQL is rarely left waiting for this process. A refusal or
// a crash (even kill -9) at any point leaves nothing behind: run it again.

// Pages of 2,500 entries: twice as many raise a million-line import's peak memory by about a fifth
// (more garbage between V8's major collections) for no measurable gain in time.
const POST_PAGE = 2_500;
const ANALYZE_AFTER = 5_000;
const PAGE_TABLES = ["bank_page_a", "bank_page_b"] as const;
const COMPUTE_SLICE = 500;
export { IMPORT_KEY_PREFIX };

export interface ImportRequest {
  committee: { id: number; code: string };
  campaign: Campaign;
  bankAccountNo: string;
  layout: string;
  /** The bank balance before the statement's first day; by default what is recorded for the account. */
  openingDong: bigint | null;
  recordedBy: number;
  input: AsyncIterable<Buffer | string>;
  /** csv (the default) or xlsx (the first worksheet). */
  format?: FileFormat;
  onProgress?: (p: { phase: "reading" | "posting"; done: number; total: number | null }) => void;
  /** Called once the import holds the committee's lock (and its connection) inside its transaction. */
  onLocked?: () => void;
  /**
   * Called with the summary inside the import's transaction, before it commits: what it writes commits
   * with the import or not at all (the import's job marked done). A throw rolls the whole import back.
   */
  finish?: (trx: Knex.Transaction, summary: ImportSummary) => Promise<void>;
}

export interface ImportSummary {
  id: number;
  bankAccount: string;
  campaign: string;
  layout: string;
  fileSha256: string;
  linesRead: number;
  recorded: number;
  donations: number;
  alreadyPresent: number;
  matched: number;
  fees: number;
  toClassify: number;
  balanceChecks: number;
  openingDong: string | null;
  closingDong: string | null;
  firstDate: string | null;
  lastDate: string | null;
  startedAt: string;
  finishedAt: string;
  /**
   * Lines of this statement already recorded by imports into another campaign (and not released), by import, when
   * there are any: they were not recorded again. If that import went to the wrong campaign, reversing it releases them.
   */
  elsewhere?: { importId: number; campaign: string; lines: number }[];
}

const accountPattern = /^[0-9A-Za-z][0-9A-Za-z.-]{2,39}$/;

/**
 * SQL: the bank line `l` (an alias of bank_lines) is the bank's, not released by the reversal of its import
 * (migration 0042). Released lines stay, so that what was recorded stays readable; they no longer count.
 */
export const unreleased = (l: string) => `not exists (select 1 from bank_line_releases rl where rl.committee_id = ${l}.committee_id
  and rl.bank_account_id = ${l}.bank_account_id and rl.entry_date = ${l}.entry_date and rl.line_key = ${l}.line_key and rl.generation = ${l}.generation)`;

/** An opening balance in whole đồng: it may be 0, or negative (an overdrawn account). */
export function parseOpeningDong(value: unknown, field = "openingBalance"): bigint {
  const t = typeof value === "number" && Number.isSafeInteger(value) ? String(value) : typeof value === "string" ? value.trim() : "";
  if (!/^-?[0-9]{1,16}$/.test(t)) fail("validation_failed", `${field} is whole đồng, digits only (e.g. 10847182843)`, field);
  return BigInt(t);
}

export function checkAccountNo(no: string, field = "bankAccount"): string {
  const t = no.trim();
  if (!accountPattern.test(t)) fail("validation_failed", `${field} is a bank account number: 3 to 40 letters, digits, "." or "-"`, field);
  return t;
}

export async function importStatement(knex: Knex, r: ImportRequest): Promise<ImportSummary> {
  const accountNo = checkAccountNo(r.bankAccountNo);
  const startedAt = new Date().toISOString();
  const feeAccount = await knex("accounts").where({ committee_id: r.committee.id, code: "6421" }).first();
  assert(feeAccount, "every committee has its bank fee account 6421");
  const timing = readConfig().importTiming;
  let mark = performance.now();
  const phase = (name: string) => {
    if (!timing) return;
    const now = performance.now();
    process.stderr.write(`import phase ${name}: ${((now - mark) / 1000).toFixed(2)} s (rss ${Math.round(process.memoryUsage.rss() / 1048576)} MB)\n`);
    mark = now;
  };
  const result = await knex.transaction(async (trx) => {
    return importIn(trx);
  }).catch((error: unknown) => {
    // The app checks first; what PostgreSQL still refuses is named, not a 500. A fee or debit before the transfers that
    // cover it is left to the balance rule: said here in the import's own words.
    const refused = storeError(error);
    if (refused?.code === "insufficient_campaign_balance") {
      fail(refused.code, `campaign ${r.campaign.code}'s bank account would go below zero (a bank fee or debit before the transfers that cover it); nothing was imported`, "file");
    }
    throw refused ?? error;
  });
  phase("commit (deferred checks)");
  return result;

  async function importIn(trx: Knex.Transaction): Promise<ImportSummary> {
    const locked = await trx.raw("select id from committees where id = ? for no key update", [r.committee.id]);
    if (locked.rows.length !== 1) fail("committee_not_found", `no committee ${r.committee.id}`);
    r.onLocked?.();
    const account = await bankAccount(trx, r.committee.id, accountNo);
    const layout = resolveLayout(r.layout, account.layout);
    const sha = createHash("sha256");
    const hashed = (async function* () {
      for await (const chunk of r.input) {
        sha.update(chunk);
        yield chunk;
      }
    })();

    // The import's row first: its lines name it. What it reports is filled in at the end (migration 0027).
    const [started] = await trx("bank_imports").insert({
      committee_id: r.committee.id, bank_account_id: account.id, campaign_id: r.campaign.id, layout: layout.name, recorded_by: r.recordedBy,
      file_sha256: "0".repeat(64), lines_read: 0, recorded: 0, already_present: 0, matched: 0, fees: 0, to_classify: 0, balance_checks: 0,
      started_at: startedAt, finished_at: startedAt,
    }).returning("id");
    const importId = Number(started.id);

    // 1. Read, check and stage every line, in chunks of POST_PAGE lines. When no hand-recorded
    // transfer could match a line (the usual bulk import), each chunk is also posted as soon as it
    // is read, so PostgreSQL writes one chunk while this process reads the next; and when the
    // statement starts after the last day recorded for the account (nothing in it can be there
    // already), its lines go straight into bank_lines behind their entries, not staged at all.
    // Otherwise every line is staged first, matched, and then posted.
    const copy = await canCopy(trx);
    await createWorkTables(trx);
    const recordedThrough = ((await trx.raw("select max(entry_date) as d from bank_lines where committee_id = ? and bank_account_id = ?",
      [r.committee.id, account.id])).rows[0].d ?? null) as string | null;
    const summary: ReadSummary = { lines: 0, balanceChecks: 0, openingDong: null, closingDong: null, firstDate: null, lastDate: null };
    let openingGiven = r.openingDong !== null;
    let streaming = false;
    let direct = false; // streaming, and every line new: no staging
    const tally = { present: 0, fees: 0, donations: 0, to_classify: 0 }; // of the lines written directly (none present)
    const opening = async (firstDate: string): Promise<bigint> => {
      streaming = !(await mayMatchHandRecorded(trx, r, accountNo, firstDate));
      // Lines are in date order (the reader refuses others), so the first decides for all.
      direct = streaming && (recordedThrough === null || firstDate > recordedThrough);
      if (r.openingDong !== null) return r.openingDong;
      if (account.openingDate === null) return 0n;
      if (firstDate < account.openingDate) {
        fail("validation_failed", `this statement starts on ${firstDate}, before the first statement recorded for account ${accountNo} (${account.openingDate}): give its opening balance`, "openingBalance",
          { problem: "opening_needed", date: firstDate, first: account.openingDate, account: accountNo });
      }
      openingGiven = true;
      const [row] = (await trx.raw(`select coalesce(sum(case when direction = 'C' then amount_dong else -amount_dong end), 0) as s
        from bank_lines l where committee_id = ? and bank_account_id = ? and entry_date < ? and ${unreleased("l")}`, [r.committee.id, account.id, firstDate])).rows;
      return account.openingDong! + BigInt(row.s);
    };
    let toPost: number | null = null; // known once every line is staged and matched
    const poster = await openPoster(trx, r, accountNo, toAccount(feeAccount), copy, (done) => {
      if (toPost !== null) r.onProgress?.({ phase: "posting", done, total: toPost });
    });
    let chunk: StatementLine[] = [];
    // Chunks in flight: the latest is staged while the one before it is posted; at most two.
    let latest: Promise<void> = Promise.resolve();
    let before: Promise<void> = Promise.resolve();
    const flush = async (lines: StatementLine[]) => {
      await before;
      if (lines.length === 0) return;
      const previous = latest;
      before = latest;
      latest = (async () => {
        if (direct) {
          await previous; // pages and lines go in line order
          await writeDirect(lines);
          return;
        }
        const { present, staged } = await stageChunk(trx, r.committee.id, account.id, lines, copy, recordedThrough);
        await previous; // pages go in line order
        // A chunk staged in the background may fail after its pages were queued: its failure is the cause
        // to report, not the pages' "transaction aborted".
        if (streaming) {
          await poster.postLines(lines.filter((l): l is StatementLine & PostableLine => l.kind !== "to_classify" && !present.has(l.lineNo)))
            .catch(async (error: unknown) => {
              await staged;
              throw error;
            });
        }
        await staged;
      })();
      latest.catch(() => {}); // awaited at the next flush but one, or below
    };
    /** A chunk of new lines: its donations and fees posted, then every line into bank_lines behind them. */
    const writeDirect = async (lines: StatementLine[]) => {
      const postable = lines.filter((l): l is StatementLine & PostableLine => l.kind !== "to_classify");
      const ids = await poster.postLines(postable, false); // the lines are written with their entries below: no bank_posted
      const entryOf = new Map<number, string>();
      postable.forEach((l, i) => entryOf.set(l.lineNo, ids[i]!));
      for (const l of lines) {
        if (l.kind === "fee") tally.fees++;
        else if (l.kind === "donation") tally.donations++;
        else tally.to_classify++;
      }
      await poster.writeAfter("bank_lines", bankLineColumns,
        lines.map((l) => [r.committee.id, account.id, importId, ...lineValues(l), entryOf.get(l.lineNo) ?? null, false]));
    };
    let lastReported = 0;
    try {
      for await (const lines of readStatementBatches(hashed, { bankAccount: accountNo, layout, opening }, summary, r.format ?? "csv")) {
        for (const l of lines) chunk.push(l);
        while (chunk.length >= POST_PAGE) {
          await flush(chunk.slice(0, POST_PAGE));
          chunk = chunk.slice(POST_PAGE);
        }
        if (summary.lines - lastReported >= 2_000) {
          lastReported = summary.lines;
          r.onProgress?.({ phase: "reading", done: summary.lines, total: null });
        }
      }
      await flush(chunk);
      await latest;
      await poster.settled();
    } catch (error) {
      // Nothing is left running on the connection when the transaction rolls back, and the cause is
      // reported, not a statement that failed after it because the transaction was aborted.
      await Promise.allSettled([before, latest, poster.settled()]);
      throw poster.failure(error);
    }
    r.onProgress?.({ phase: "reading", done: summary.lines, total: summary.lines });
    phase(direct ? "read, post and write lines" : streaming ? "read, stage and post" : "read and stage");
    if (!direct) await trx.raw("analyze bank_staging");

    // 2. Hand-recorded transfers that lines match, then the rest of the lines posted.
    const matched = !streaming && summary.lines > 0 ? await matchHandRecorded(trx, r, account.id, accountNo, summary) : 0;
    phase("matched");
    // What the lines are: recorded before, fees, donations (not matched), to classify; the new fees and donations are posted.
    const [counts] = direct ? [tally] : (await trx.raw(`select
        count(*) filter (where p.line_no is not null)::int as present,
        count(*) filter (where p.line_no is null and s.kind = 'fee')::int as fees,
        count(*) filter (where p.line_no is null and s.kind = 'donation' and m.line_no is null)::int as donations,
        count(*) filter (where p.line_no is null and s.kind = 'to_classify')::int as to_classify
      from bank_staging s left join bank_present p on p.line_no = s.line_no left join bank_matched m on m.line_no = s.line_no`)).rows;
    toPost = counts.donations + counts.fees;
    if (!streaming) await poster.postStaged();
    const posted = await poster.finish();
    r.onProgress?.({ phase: "posting", done: posted, total: posted });
    phase("post entries");
    // What runs next (the bank lines' checks, any deferred check left) and what is asked after the import
    // (statements, totals) is planned with the tables' sizes when they were last analysed: after a large
    // import into a young ledger those plans would be seq scans. Fresh statistics (ANALYZE counts this
    // transaction's own rows) keep them index lookups.
    if (posted >= ANALYZE_AFTER) await trx.raw("select soquy_analyze_ledger()");

    phase("analyze");
    // 5. The import and its lines.
    assert(posted === toPost, "every new donation and fee line was posted");
    const finishedAt = new Date().toISOString();
    const [imp] = await trx("bank_imports").where({ id: importId }).update({
      file_sha256: sha.digest("hex"), lines_read: summary.lines, recorded: posted, already_present: counts.present, matched,
      fees: counts.fees, to_classify: counts.to_classify, balance_checks: summary.balanceChecks,
      opening_balance_dong: summary.openingDong?.toString() ?? null, closing_balance_dong: summary.closingDong?.toString() ?? null,
      first_date: summary.firstDate, last_date: summary.lastDate, finished_at: finishedAt,
    }).returning("*");
    // A line not present is new, or every earlier recording of it was released: it is then recorded as the next
    // generation. Lines after the last day recorded for the account cannot have been recorded: no probe for them.
    if (!direct) await trx.raw(`insert into bank_lines (committee_id, bank_account_id, line_key, import_id, line_no, entry_date, time_of_day, doc_ref,
        direction, amount_dong, memo, donor_name, kind, balance_dong, entry_id, matched, generation)
      select :c, :a, s.line_key, :i, s.line_no, s.entry_date, s.time_of_day, s.doc_ref, s.direction, s.amount_dong, s.memo, s.donor_name,
        s.kind, s.balance_dong, coalesce(m.entry_id, e.entry_id), m.line_no is not null,
        case when s.entry_date > :through then 0 else coalesce((select max(b.generation) + 1 from bank_lines b where b.committee_id = :c
          and b.bank_account_id = :a and b.entry_date = s.entry_date and b.line_key = s.line_key), 0) end
      from bank_staging s left join bank_matched m on m.line_no = s.line_no left join bank_posted e on e.line_no = s.line_no
      where not exists (select 1 from bank_present p where p.line_no = s.line_no)
      order by s.line_no`, { c: r.committee.id, a: account.id, i: importId, through: recordedThrough ?? "0001-01-01" });
    // The first statement whose opening is known anchors the account's bank balance.
    if (account.openingDate === null && summary.firstDate !== null && (openingGiven || summary.balanceChecks > 0)) {
      await trx("bank_accounts").where({ id: account.id }).update({ opening_balance_dong: summary.openingDong!.toString(), opening_date: summary.firstDate });
    }
    phase("bank lines");
    const elsewhere = counts.present === 0 ? [] : (await trx.raw(`select p.import_id, c.code, count(*)::int as lines
        from bank_present p join bank_imports i on i.id = p.import_id join campaigns c on c.id = i.campaign_id
        where i.campaign_id <> ? group by p.import_id, c.code order by p.import_id`, [r.campaign.id])).rows
      .map((x: { import_id: string; code: string; lines: number }) => ({ importId: Number(x.import_id), campaign: x.code, lines: x.lines }));
    const made = toSummary(imp, accountNo, r.campaign.code, counts.donations);
    const result = elsewhere.length ? { ...made, elsewhere } : made;
    await r.finish?.(trx, result);
    return result;
  }
}

interface BankAccountRow {
  id: number;
  openingDong: bigint | null;
  openingDate: string | null;
  layout: unknown;
}

async function bankAccount(trx: Knex.Transaction, committeeId: number, accountNo: string): Promise<BankAccountRow> {
  await trx.raw(`insert into bank_accounts (committee_id, account_no) values (?, ?) on conflict (committee_id, account_no) do nothing`,
    [committeeId, accountNo]);
  const row = await trx("bank_accounts").where({ committee_id: committeeId, account_no: accountNo }).first();
  return {
    id: Number(row.id), openingDong: row.opening_balance_dong === null ? null : BigInt(row.opening_balance_dong),
    openingDate: row.opening_date, layout: row.layout,
  };
}

/** A built-in layout by name, or the generic layout saved on the bank account under that name. */
export function resolveLayout(name: string, saved: unknown): Layout {
  if (isBuiltIn(name)) return builtInLayouts[name];
  const s = saved as { name?: string } | null;
  if (s && s.name === name) {
    const { name: _name, ...rest } = s;
    const parsed = genericLayoutSchema.safeParse(rest);
    assert(parsed.success, "a saved layout was validated when saved");
    return genericLayout(name, parsed.data);
  }
  fail("bank_layout_unknown", `no layout ${name}: use vcb, agribank, vietinbank or the layout saved for this bank account`, "layout");
}

/** The temporary tables of one import, dropped at its commit or rollback. */
async function createWorkTables(trx: Knex.Transaction): Promise<void> {
  await trx.raw(`create temp table bank_staging (
      line_no int not null, line_key bytea not null, entry_date date not null, time_of_day text, doc_ref text not null,
      direction text not null, amount_dong bigint not null, memo text not null, donor_name text, kind text not null,
      balance_dong bigint
    ) on commit drop`);
  await trx.raw("create unique index on bank_staging (line_no)");
  // What is not posted: lines recorded before, and hand-recorded transfers lines match.
  await trx.raw("create temp table bank_present (line_no int primary key, import_id bigint not null) on commit drop");
  await trx.raw("create temp table bank_matched (line_no int primary key, entry_id uuid not null) on commit drop");
  await trx.raw("create temp table bank_posted (line_no int not null, entry_id uuid not null) on commit drop");
  // Two page tables, taken in turn: a page is copied into one while the page before is written from the other.
  for (const table of PAGE_TABLES) {
    await trx.raw(`create temp table ${table} (line_no int not null, id uuid not null, seq bigint not null, entry_date date not null,
      recorded_at timestamptz(3) not null, kind text not null, description text not null, idempotency_key text not null,
      prev_hash text not null, hash text not null, amount_dong bigint not null, debit_account bigint not null, credit_account bigint not null,
      donor_key text, donor_name text, donor_kind text,
      note text) on commit drop`);
  }
}

/** A staged chunk: the lines the bank account has recorded before, and the staging itself (done when it resolves). */
interface StagedChunk {
  present: Set<number>;
  staged: Promise<void>;
}

/**
 * Stages a chunk of lines and notes which of them the bank account has recorded before (by identity).
 * Lines dated after the account's last recorded day (`recordedThrough`; the lines are in date order, and
 * only this import, under the committee's lock, could add more) cannot have been recorded: then nothing
 * is asked of PostgreSQL, the chunk is known to be new at once, and its COPY goes on in the background,
 * queued behind the pages before it, so that its entries are computed while PostgreSQL still writes the
 * page before instead of after a round trip that waits for it.
 */
async function stageChunk(trx: Knex.Transaction, committeeId: number, accountId: number, lines: StatementLine[], copy: boolean,
  recordedThrough: string | null): Promise<StagedChunk> {
  const staged = copyToStaging(trx, lines, copy);
  const first = lines[0]!, last = lines[lines.length - 1]!;
  if (recordedThrough === null || first.date > recordedThrough) {
    staged.catch(() => {}); // awaited by the caller
    return { present: new Set(), staged };
  }
  await staged;
  // One index probe a line (LIMIT keeps it a probe whatever the tables' sizes look like to the planner).
  const { rows } = await trx.raw(`insert into bank_present (line_no, import_id) select s.line_no, b.import_id from bank_staging s
      cross join lateral (select b.import_id from bank_lines b where b.committee_id = ? and b.bank_account_id = ? and b.entry_date = s.entry_date
        and b.line_key = s.line_key and ${unreleased("b")} limit 1) b
      where s.line_no between ? and ?
      returning line_no`, [committeeId, accountId, first.lineNo, last.lineNo]);
  return { present: new Set((rows as { line_no: number }[]).map((x) => x.line_no)), staged };
}

function copyToStaging(trx: Knex.Transaction, lines: StatementLine[], copy: boolean): Promise<void> {
  return queueRows(trx, "bank_staging", stagingColumns, lines.map(lineValues), copy).done;
}

/** A line as read, in the order of stagingColumns (bank_lines' own columns for it, after its committee, account and import). */
const lineValues = (l: StatementLine): BulkValue[] =>
  [l.lineNo, `\\x${l.key}`, l.date, l.time, l.docRef, l.direction, l.amountDong, l.memo, l.donorName, l.kind, l.balanceDong];
const stagingColumns = ["line_no", "line_key", "entry_date", "time_of_day", "doc_ref", "direction", "amount_dong", "memo", "donor_name", "kind", "balance_dong"];
const bankLineColumns = ["committee_id", "bank_account_id", "import_id", ...stagingColumns, "entry_id", "matched"];

/**
 * Bank donations of the account (or of the campaign, with no account named) recorded by hand, not yet
 * matched to a bank line and not reversed: a condition on donations d joined to journal_entries e
 * (bindings: committee, account number, campaign).
 */
const handRecorded = `d.committee_id = ? and d.method = 'bank' and (d.bank_account = ? or (d.bank_account is null and d.campaign_id = ?))
        and (e.idempotency_key is null or e.idempotency_key not like '${IMPORT_KEY_PREFIX}%')
        and not exists (select 1 from bank_lines b where b.entry_id = e.id)
        and not exists (select 1 from journal_entries x where x.reversal_of = e.id)`;

/** Whether a hand-recorded transfer could match a line of a statement that starts on firstDate. */
async function mayMatchHandRecorded(trx: Knex.Transaction, r: ImportRequest, accountNo: string, firstDate: string): Promise<boolean> {
  const { rows } = await trx.raw(`select exists (select 1 from donations d join journal_entries e on e.id = d.entry_id
      where ${handRecorded} and e.entry_date >= ?) as any`,
    [r.committee.id, accountNo, r.campaign.id, addDays(firstDate, -MATCH_WINDOW_DAYS)]);
  return rows[0].any === true;
}

async function matchHandRecorded(trx: Knex.Transaction, r: ImportRequest, _accountId: number, accountNo: string, s: ReadSummary): Promise<number> {
  const from = addDays(s.firstDate!, -MATCH_WINDOW_DAYS), to = addDays(s.lastDate!, MATCH_WINDOW_DAYS);
  const candidates = (await trx.raw(`select e.id, e.entry_date, d.bank_reference, d.donor_name, p.amount_dong
      from donations d join journal_entries e on e.id = d.entry_id join postings p on p.entry_id = e.id and p.amount_dong > 0
      where ${handRecorded} and e.entry_date between ? and ?`,
  [r.committee.id, accountNo, r.campaign.id, from, to])).rows as { id: string; entry_date: string; bank_reference: string | null; donor_name: string; amount_dong: string }[];
  if (candidates.length === 0) return 0;
  const amounts = [...new Set(candidates.map((c) => c.amount_dong))];
  const lines = (await trx.raw(`select encode(line_key, 'hex') as line_key, entry_date, amount_dong, doc_ref, memo, donor_name from bank_staging s
      where not exists (select 1 from bank_present p where p.line_no = s.line_no)
        and direction = 'C' and amount_dong in (select a from json_to_recordset(?::json) as x(a bigint))`,
  [JSON.stringify(amounts.map((a) => ({ a })))])).rows as { line_key: string; entry_date: string; amount_dong: string; doc_ref: string; memo: string; donor_name: string | null }[];
  const bank: BankSide[] = lines.map((l) => ({
    key: l.line_key, date: l.entry_date, amountDong: BigInt(l.amount_dong), docRef: l.doc_ref, memo: l.memo, donorName: l.donor_name,
  }));
  const ledger: LedgerSide[] = candidates.map((c) => ({
    entryId: c.id, date: c.entry_date, amountDong: BigInt(c.amount_dong), bankReference: c.bank_reference, donorName: c.donor_name,
  }));
  const matches = matchTransfers(bank, ledger);
  if (matches.length === 0) return 0;
  await trx.raw(`insert into bank_matched (line_no, entry_id) select s.line_no, x.e from json_to_recordset(?::json) as x(k text, e uuid)
      join bank_staging s on s.line_key = decode(x.k, 'hex')`,
    [JSON.stringify(matches.map((m) => ({ k: m.key, e: m.entryId })))]);
  return matches.length;
}

/** A line to post, as read (streaming) or as fetched back from bank_staging. */
type PostableLine = Pick<StatementLine, "lineNo" | "key" | "date" | "docRef" | "amountDong" | "memo" | "donorName"> & { kind: "donation" | "fee" };

interface StagedRow {
  line_no: number;
  line_key: string;
  entry_date: string;
  doc_ref: string;
  amount_dong: string;
  memo: string;
  donor_name: string | null;
  kind: "donation" | "fee";
}

const fromStaging = (x: StagedRow): PostableLine => ({
  lineNo: x.line_no, key: x.line_key, date: x.entry_date, docRef: x.doc_ref, amountDong: BigInt(x.amount_dong), memo: x.memo,
  donorName: x.donor_name, kind: x.kind,
});

const entryColumns = ["line_no", "id", "seq", "entry_date", "recorded_at", "kind", "description", "idempotency_key", "prev_hash", "hash",
  "amount_dong", "debit_account", "credit_account", "donor_key", "donor_name", "donor_kind", "note"];

interface Poster {
  /** Posts the staged lines (new donations and fees, not matched), in pages; the last pages may still be writing. */
  postStaged(): Promise<void>;
  /**
   * Posts these lines (new donations and fees, in line order), in pages; the last pages may still be writing. Their entries' ids, in order.
   * keepPosted false: the caller writes the lines' entry ids itself, so bank_posted need not keep them.
   */
  postLines(lines: PostableLine[], keepPosted?: boolean): Promise<string[]>;
  /** Rows into a table behind the pages posted so far (queued, not waited for: finish and settled wait). */
  writeAfter(table: string, columns: string[], rows: BulkValue[][]): Promise<void>;
  /** Waits for the last page; how many entries were posted. Throws the first failure of any page. */
  finish(): Promise<number>;
  /** Waits for every page sent so far; throws the first failure of any. */
  settled(): Promise<void>;
  /** What to report for an error of the import: a page's failure when the error only says the transaction was aborted. */
  failure(error: unknown): unknown;
}

/**
 * Posts lines in pages of at most POST_PAGE entries, the chain carried from page to page. Each page's
 * entries are made by the ledger core (bankLineDraft, sealEntry) and copied into a page table; INSERT … SELECT
 * statements then write them to the ledger (donors first), and bank_posted keeps which entry records
 * which line (unless the caller writes the lines with their entries itself). Statements are queued on the connection without waiting for the ones before, so that
 * PostgreSQL always has the next one: while it writes a page, this process computes the next one and
 * reads the file on. Lines the ledger may not take are refused with their line number: a date in a
 * closed period, a transfer outside the campaign's receiving window.
 */
async function openPoster(trx: Knex.Transaction, r: ImportRequest, accountNo: string, fee: Account, copy: boolean,
  progress: (posted: number) => void): Promise<Poster> {
  const c = r.campaign;
  const closed = ((await trx("period_closes").where({ committee_id: r.committee.id }).max("through_date as d").first())?.d ?? null) as string | null;
  const window = receivingWindow(c);
  let head = await chainHead(trx, r.committee.id);
  let posted = 0;
  let nextAnalyze = ANALYZE_AFTER;
  let writing: Promise<void> = Promise.resolve();
  const spent = { compute: 0, wait: 0, send: 0, analyze: 0 };
  // The next page of staged lines after a line; the bound is repeated inside the anti-joins so that a merge
  // join starts there instead of at the first line recorded before (a long overlap would make it quadratic).
  const fetch = (from: number) => trx.raw(`select line_no, encode(line_key, 'hex') as line_key, entry_date, doc_ref, amount_dong, memo, donor_name, kind
      from bank_staging s where s.kind <> 'to_classify' and s.line_no > :from
        and not exists (select 1 from bank_present p where p.line_no = s.line_no and p.line_no > :from)
        and not exists (select 1 from bank_matched m where m.line_no = s.line_no and m.line_no > :from)
      order by line_no limit :n`, { from, n: POST_PAGE })
    .then((x: { rows: StagedRow[] }) => x.rows.map(fromStaging));
  const refuse = (row: PostableLine) => {
    if (closed !== null && row.date <= closed) {
      fail("period_closed", `line ${row.lineNo}: dated ${row.date}, but the books are closed through ${closed}; nothing was imported`, "file",
        { line: row.lineNo, date: row.date, closed });
    }
    if (row.kind === "donation" && (row.date < window.opens || (window.closes !== null && row.date > window.closes))) {
      fail("donation_outside_receiving_window",
        `line ${row.lineNo}: a transfer dated ${row.date} is outside campaign ${c.code}'s receiving window (${window.opens} to ${window.closes ?? "no end"}); nothing was imported`,
        "file", { line: row.lineNo, date: row.date, campaign: c.code, opens: window.opens, closes: window.closes ?? "" });
    }
  };
  const timed = async <T>(key: keyof typeof spent, p: Promise<T>): Promise<T> => {
    const t = performance.now();
    try {
      return await p;
    } finally {
      spent[key] += performance.now() - t;
    }
  };

  let turn = 0;
  // The first failure of a page's statements: those queued after it fail only because the transaction is aborted.
  let failure: { error: unknown } | null = null;
  const cause = (error: unknown) => (aborted(error) && failure ? failure.error : error);
  // A function, so that the compiler does not take what it saw before an await for what is there after it.
  const throwIfFailed = () => {
    if (failure) throw failure.error;
  };

  /** One page into a page table and on into the ledger, its statements queued behind those before. */
  async function page(rows: PostableLine[], keepPosted: boolean): Promise<string[]> {
    throwIfFailed();
    const recordedAt = new Date().toISOString();
    const entries: BulkValue[][] = [];
    const ids: string[] = [];
    // In slices, so that a reply from PostgreSQL is answered at once (the next statement is sent only
    // then): a page computed in one go would leave it idle for the ~80 ms it takes.
    for (let i = 0; i < rows.length; i += COMPUTE_SLICE) {
      if (i > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      const t = performance.now();
      for (const row of rows.slice(i, i + COMPUTE_SLICE)) {
        refuse(row);
        const seal: Seal = { committeeId: r.committee.id, committeeCode: r.committee.code, recordedBy: r.recordedBy, recordedAt,
          idempotencyKey: bankLineKey(row), voucherNo: null };
        const e = sealEntry(bankLineDraft(row, c, accountNo, fee), seal, head);
        head = { seq: e.seq, hash: e.hash };
        entries.push(pageRow(row.lineNo, e, r, accountNo));
        ids.push(e.id);
      }
      spent.compute += performance.now() - t;
    }
    const table = PAGE_TABLES[turn++ % PAGE_TABLES.length]!;
    const sent = performance.now();
    // The page's statements are queued once its COPY is in. Queued at once behind the COPY instead,
    // they leave PostgreSQL idle a fifth of the time, and posting takes that much longer.
    try {
      await queueRows(trx, table, entryColumns, entries, copy).done;
    } catch (error) {
      throw cause(error);
    }
    spent.send += performance.now() - sent;
    const written = writePage(trx, table, r, accountNo, copy, keepPosted);
    await written.queued;
    writing = written.done;
    writing.catch((error: unknown) => {
      if (!aborted(error)) failure ??= { error };
    });
    posted += entries.length;
    progress(posted);
    // Each row's checks run with plans made for the tables' sizes when last analysed; in a young
    // ledger those would scan tables this import keeps growing. Re-analyse as they grow fourfold.
    if (posted >= nextAnalyze) {
      await settled();
      await timed("analyze", trx.raw("select soquy_analyze_ledger()"));
      nextAnalyze = posted * 4;
    }
    return ids;
  }

  async function writeAfter(table: string, columns: string[], rows: BulkValue[][]): Promise<void> {
    throwIfFailed();
    // On PGlite queued means done (queueRows, queueStatements): the pages before are in already.
    const rowsIn = queueRows(trx, table, columns, rows, copy);
    const done = rowsIn.done.catch((error: unknown) => {
      if (!aborted(error)) failure ??= { error };
    });
    await rowsIn.queued;
    const before = writing.catch(() => {});
    writing = Promise.all([before, done]).then(() => {});
  }

  async function settled(): Promise<void> {
    await timed("wait", writing.catch(() => {}));
    if (failure) throw failure.error;
  }

  async function postStaged(): Promise<void> {
    // The next page is asked for before this one is written, so that it is back (and computed) while this one is.
    let rows = await timed("send", fetch(0));
    while (rows.length > 0) {
      const next = rows.length < POST_PAGE ? Promise.resolve([]) : fetch(rows[rows.length - 1]!.lineNo);
      next.catch(() => {}); // awaited below
      await page(rows, true);
      rows = await timed("send", next);
    }
  }

  async function postLines(lines: PostableLine[], keepPosted = true): Promise<string[]> {
    const ids: string[] = [];
    for (let i = 0; i < lines.length; i += POST_PAGE) ids.push(...(await page(lines.slice(i, i + POST_PAGE), keepPosted)));
    return ids;
  }

  async function finish(): Promise<number> {
    await settled();
    if (readConfig().importTiming) {
      const sec = (ms: number) => (ms / 1000).toFixed(2);
      process.stderr.write(`import posting: computing entries ${sec(spent.compute)} s, sending pages ${sec(spent.send)} s, waiting for PostgreSQL ${sec(spent.wait)} s, analyze ${sec(spent.analyze)} s\n`);
    }
    return posted;
  }

  return { postStaged, postLines, writeAfter, finish, settled, failure: cause };
}

/** An error that only says an earlier statement of the transaction failed. */
const aborted = abortedTransaction;

/**
 * A page table's page into the ledger: donors, entries in chain order, their postings and donations. On
 * PostgreSQL the statements go as one simple query, so that it runs them back to back instead of waiting
 * for this process between them; their values are ids and the validated account number, spelled inline.
 */
function writePage(trx: Knex.Transaction, table: string, r: ImportRequest, accountNo: string, copy: boolean,
  keepPosted: boolean): QueuedRows {
  const c = r.campaign;
  const id = (n: number) => {
    assert(Number.isSafeInteger(n) && n > 0, "ids are positive integers");
    return String(n);
  };
  assert(accountPattern.test(accountNo), "the account number was validated");
  const committee = id(r.committee.id), campaign = id(c.id);
  const statements = [
    `insert into donors (committee_id, identity_key, name, kind, phone)
      select distinct on (donor_key) ${committee}, donor_key, donor_name, donor_kind, null from ${table} where donor_key is not null
      order by donor_key, seq
      on conflict (committee_id, identity_key) do nothing`,
    `insert into journal_entries (id, committee_id, seq, entry_date, recorded_at, kind, description, campaign_id, recorded_by,
        idempotency_key, reversal_of, resolution_ref, required_approvals, prev_hash, hash)
      select id, ${committee}, seq, entry_date, recorded_at, kind, description, ${campaign}, ${id(r.recordedBy)}, idempotency_key, null, null, 1, prev_hash, hash
      from ${table} order by seq`,
    // Line 1 is the entry's debit, line 2 its credit (pageRow).
    `insert into postings (entry_id, committee_id, line, account_id, amount_dong)
      select x.id, ${committee}, l.line,
        case when l.line = 1 then x.debit_account else x.credit_account end,
        case when l.line = 1 then x.amount_dong else -x.amount_dong end
      from ${table} x cross join (values (1::smallint), (2::smallint)) as l(line)
      order by x.seq, l.line`,
    `insert into donations (entry_id, committee_id, campaign_id, method, donor_id, donor_name, donor_kind, publish_name,
        bank_account, bank_reference, note)
      select x.id, ${committee}, ${campaign}, 'bank', d.id, x.donor_name, x.donor_kind, false, '${accountNo}', null, x.note
      from ${table} x join donors d on d.committee_id = ${committee} and d.identity_key = x.donor_key
      where x.kind = 'donation'
      order by x.seq`,
    // Which entry records which line, for the staged lines' final insert into bank_lines.
    ...(keepPosted ? [`insert into bank_posted (line_no, entry_id) select line_no, id from ${table}`] : []),
    `truncate ${table}`, // empty for its next page
    // The commit check of the page's entries, now instead of at commit: PostgreSQL does it while this
    // process computes the next page, instead of after the last one while this process waits.
    "set constraints pending_entry_checks_run immediate",
    "set constraints pending_entry_checks_run deferred",
  ];
  return queueStatements(trx, statements, copy);
}

/**
 * An entry as a row of a page table: what writePage's statements write for it. They spell in SQL what is the
 * same for every entry of an import (committee, campaign, recorder, a bank donation's method and account, not
 * published by name): an entry that differs there is refused here rather than written otherwise than made.
 */
function pageRow(lineNo: number, e: CommittedEntry, r: ImportRequest, accountNo: string): BulkValue[] {
  const [debit, credit] = e.postings;
  const d = e.donation;
  assert(e.postings.length === 2 && credit!.amountDong === -debit!.amountDong, "an imported entry is one debit and its credit");
  assert(e.campaign?.id === r.campaign.id && e.recordedBy === r.recordedBy && e.committeeId === r.committee.id && e.requiredApprovals === 1
    && e.reversalOf === null && e.resolutionRef === null && e.voucherNo === null && e.items.length === 0 && e.disbursement === null,
  "an imported entry is the import's campaign's, recorded by its recorder, with no voucher, goods or household");
  assert(d === null ? e.kind === "general" && e.donorIdentity === null
    : e.kind === "donation" && d.method === "bank" && !d.publishName && d.bankAccount === accountNo && d.bankReference === null
      && e.donorIdentity !== null && e.donorIdentity.name === d.donorName && e.donorIdentity.kind === d.donorKind,
  "an imported donation is a bank transfer into the statement's account, not published by name, its donor named as the donation names them");
  return [lineNo, e.id, e.seq, e.entryDate, e.recordedAt, e.kind, e.description, e.idempotencyKey, e.prevHash, e.hash,
    debit!.amountDong, debit!.account.id, credit!.account.id, e.donorIdentity?.key ?? null, d?.donorName ?? null, d?.donorKind ?? null, d?.note ?? null];
}

export function toSummary(row: Record<string, any>, accountNo: string, campaign: string, donations: number | null = null): ImportSummary {
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
  return {
    id: Number(row.id), bankAccount: accountNo, campaign, layout: row.layout, fileSha256: row.file_sha256,
    linesRead: Number(row.lines_read), recorded: Number(row.recorded), donations: donations ?? Number(row.recorded) - Number(row.fees),
    alreadyPresent: Number(row.already_present), matched: Number(row.matched), fees: Number(row.fees), toClassify: Number(row.to_classify),
    balanceChecks: Number(row.balance_checks), openingDong: row.opening_balance_dong === null ? null : String(row.opening_balance_dong),
    closingDong: row.closing_balance_dong === null ? null : String(row.closing_balance_dong), firstDate: row.first_date, lastDate: row.last_date,
    startedAt: iso(row.started_at), finishedAt: iso(row.finished_at),
  };
}

/** A committee's imports, newest first, each with its bank account and campaign, and whether it was reversed. */
export async function listImports(knex: Knex, committeeId: number, limit: number): Promise<{ summary: ImportSummary; reversed: boolean }[]> {
  const rows = await knex("bank_imports as i").join("bank_accounts as a", "a.id", "i.bank_account_id")
    .join("campaigns as c", "c.id", "i.campaign_id")
    .leftJoin("bank_import_reversals as r", (j) => j.on("r.committee_id", "i.committee_id").andOn("r.import_id", "i.id"))
    .where("i.committee_id", committeeId).orderBy("i.id", "desc").limit(limit)
    .select("i.*", "a.account_no", "c.code as campaign_code", "r.id as reversal_id");
  return rows.map((r) => ({ summary: toSummary(r, r.account_no, r.campaign_code), reversed: r.reversal_id !== null }));
}

/** One import of the committee, or null. */
export async function readImport(knex: Knex, committeeId: number, importId: number): Promise<ImportSummary | null> {
  const r = await knex("bank_imports as i").join("bank_accounts as a", "a.id", "i.bank_account_id")
    .join("campaigns as c", "c.id", "i.campaign_id").where({ "i.committee_id": committeeId, "i.id": importId })
    .first("i.*", "a.account_no", "c.code as campaign_code");
  return r ? toSummary(r, r.account_no, r.campaign_code) : null;
}

/** The committee's bank accounts, by number, with the generic layout saved for each (null: none). */
export async function bankAccounts(knex: Knex, committeeId: number): Promise<{ accountNo: string; layout: unknown }[]> {
  const rows = await knex("bank_accounts").where({ committee_id: committeeId }).orderBy("account_no").select("account_no", "layout");
  return rows.map((a) => ({ accountNo: a.account_no as string, layout: a.layout as unknown }));
}

/** Saves a generic layout for a bank account (made if the committee has no statement of it yet). */
export async function saveLayout(knex: Knex, committeeId: number, accountNo: string, layout: unknown): Promise<void> {
  await knex.raw(`insert into bank_accounts (committee_id, account_no, layout) values (?, ?, ?::jsonb)
    on conflict (committee_id, account_no) do update set layout = excluded.layout`, [committeeId, accountNo, JSON.stringify(layout)]);
}

/** A treasurer token (a person of its own) that cannot sign in, recording what the CLI imports (recorded_by needs a token of the committee). */
export async function importerToken(knex: Knex, committeeId: number): Promise<number> {
  const name = "Nhập sao kê ngân hàng (dòng lệnh)";
  const found = await knex("api_tokens").where({ committee_id: committeeId, name, role: "treasurer" }).whereNotNull("revoked_at").first("id");
  if (found) return Number(found.id);
  return knex.transaction(async (trx) => {
    const person = await createPerson(trx, committeeId, name, "treasurer");
    const [row] = await trx("api_tokens").insert({
      committee_id: committeeId, name, role: "treasurer", token_hash: randomBytes(32).toString("hex"), revoked_at: new Date(), person_id: person,
    }).returning("id");
    return Number(row.id);
  });
}

/** At most this many of an import's entries are verified by one call: ~0.2 ms each, a few seconds a call. */
export const MAX_IMPORT_VERIFY = 50_000;

/**
 * The entries an import recorded or matched that wait for this approver (a person), oldest first, and how many
 * wait in all: not yet verified, not already approved by them, not recorded by them with any of their tokens
 * (those are someone else's to verify). The import's account and days bound the lines read (bank_lines' key), not only its id.
 */
export async function importEntriesToVerify(knex: Knex, committeeId: number, importId: number, approverPerson: number, limit: number):
  Promise<{ ids: string[]; waiting: number }> {
  assert(Number.isSafeInteger(limit) && limit >= 1 && limit <= MAX_IMPORT_VERIFY, "the limit was validated");
  const imp = await knex("bank_imports").where({ committee_id: committeeId, id: importId })
    .first("bank_account_id", knex.raw("to_char(first_date, 'YYYY-MM-DD') as first_date"), knex.raw("to_char(last_date, 'YYYY-MM-DD') as last_date"));
  if (!imp) fail("bank_import_not_found", `no bank statement import ${importId}`, "id");
  if (imp.first_date === null) return { ids: [], waiting: 0 };
  const waitingSql = `from bank_lines b join journal_entries e on e.id = b.entry_id
    where b.committee_id = :committee and b.bank_account_id = :account and b.entry_date between :first and :last and b.import_id = :import
      and not exists (select 1 from entry_verified v where v.entry_id = e.id)
      and not exists (select 1 from entry_verifications x join api_tokens xt on xt.id = x.verified_by
        where x.entry_id = e.id and coalesce(x.person_id, xt.person_id) = :approver)
      and not exists (select 1 from api_tokens r where r.id = e.recorded_by and r.person_id = :approver)`;
  const binds = { committee: committeeId, account: imp.bank_account_id, first: imp.first_date, last: imp.last_date, import: importId, approver: approverPerson };
  // One statement, so that the ids and the count come from one snapshot (the count is taken before the limit).
  const { rows } = await knex.raw(`select e.id, (count(*) over ())::int as waiting ${waitingSql} order by e.seq limit :limit`, { ...binds, limit });
  return { ids: rows.map((r: { id: string }) => r.id), waiting: rows[0]?.waiting ?? 0 };
}

export { LedgerError };

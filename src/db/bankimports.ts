import { createHash, randomBytes } from "node:crypto";
import type { Knex } from "knex";
import { assert } from "../ledger/assert.js";
import { canonicalEntry, chainHash } from "../ledger/canonical.js";
import { fail, LedgerError } from "../ledger/codes.js";
import { receivingCloses } from "../ledger/earmarks.js";
import type { Account, Campaign, CommittedEntry } from "../ledger/types.js";
import { genericLayout, genericLayoutSchema, isBuiltIn, builtInLayouts, type Layout } from "../imports/layouts.js";
import { UNKNOWN_DONOR } from "../imports/memo.js";
import { matchTransfers, MATCH_WINDOW_DAYS, type BankSide, type LedgerSide } from "../imports/match.js";
import { readStatementBatches, type FileFormat, type ReadSummary, type StatementLine } from "../imports/statement.js";
import { addDays } from "../ledger/earmarks.js";
import { chainHead } from "./store.js";

// Importing a bank statement into the ledger, as one transaction under the
// committee's write lock: the lines are streamed into a temporary staging
// table (in pieces, bounded memory), checked (layout, balance assertions,
// receiving window, closed periods), compared with the lines already
// recorded for the bank account (by identity), matched to hand-recorded
// transfers, and the rest posted in pages of entries whose hash chain is
// computed here and recomputed by PostgreSQL at commit. A refusal or a crash
// (even kill -9) at any point leaves nothing behind: run it again.

const STAGE_ROWS = 2_000;
const POST_PAGE = 5_000;
const DONOR_CACHE = 100_000;
const ANALYZE_AFTER = 5_000;
export const IMPORT_KEY_PREFIX = "bank-line:";

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
}

const accountPattern = /^[0-9A-Za-z][0-9A-Za-z.-]{2,39}$/;

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
  const timing = process.env.SOQUY_IMPORT_TIMING === "1";
  let mark = performance.now();
  const phase = (name: string) => {
    if (!timing) return;
    const now = performance.now();
    process.stderr.write(`import phase ${name}: ${((now - mark) / 1000).toFixed(2)} s\n`);
    mark = now;
  };
  const result = await knex.transaction(async (trx) => {
    return importIn(trx);
  }).catch((error: unknown) => {
    // The app checks first; what PostgreSQL still refuses is named, not a 500.
    const e = error as { code?: string; message?: string };
    if (e?.code === "SQ005") {
      fail("insufficient_campaign_balance", `campaign ${r.campaign.code}'s bank account would go below zero (a bank fee or debit before the transfers that cover it); nothing was imported`, "file");
    }
    throw error;
  });
  phase("commit (deferred checks)");
  return result;

  async function importIn(trx: Knex.Transaction): Promise<ImportSummary> {
    const locked = await trx.raw("select id from committees where id = ? for no key update", [r.committee.id]);
    if (locked.rows.length !== 1) fail("committee_not_found", `no committee ${r.committee.id}`);
    const account = await bankAccount(trx, r.committee.id, accountNo);
    const layout = resolveLayout(r.layout, account.layout);
    const sha = createHash("sha256");
    const hashed = (async function* () {
      for await (const chunk of r.input) {
        sha.update(chunk);
        yield chunk;
      }
    })();

    // 1. Read, check and stage every line.
    await trx.raw(`create temp table bank_staging (
      line_no int not null, line_key text not null, entry_date date not null, time_of_day text, doc_ref text not null,
      direction text not null, amount_dong bigint not null, memo text not null, donor_name text, kind text not null,
      balance_dong bigint, present boolean not null default false, entry_id uuid, matched boolean not null default false
    ) on commit drop`);
    const summary: ReadSummary = { lines: 0, balanceChecks: 0, openingDong: null, closingDong: null, firstDate: null, lastDate: null };
    let openingGiven = r.openingDong !== null;
    const opening = async (firstDate: string): Promise<bigint> => {
      if (r.openingDong !== null) return r.openingDong;
      if (account.openingDate === null) return 0n;
      if (firstDate < account.openingDate) {
        fail("validation_failed", `this statement starts on ${firstDate}, before the first statement recorded for account ${accountNo} (${account.openingDate}): give its opening balance`, "openingBalance");
      }
      openingGiven = true;
      const [row] = (await trx.raw(`select coalesce(sum(case when direction = 'C' then amount_dong else -amount_dong end), 0) as s
        from bank_lines where committee_id = ? and bank_account_id = ? and entry_date < ?`, [r.committee.id, account.id, firstDate])).rows;
      return account.openingDong! + BigInt(row.s);
    };
    let page: StatementLine[] = [];
    // One insert in flight while the next page is parsed: the parser and PostgreSQL work at once.
    let inflight: Promise<void> = Promise.resolve();
    for await (const lines of readStatementBatches(hashed, { bankAccount: accountNo, layout, opening }, summary, r.format ?? "csv")) {
      for (const line of lines) page.push(line);
      if (page.length >= STAGE_ROWS) {
        await inflight;
        inflight = stage(trx, page);
        inflight.catch(() => {}); // awaited before the next page or at the end; not unhandled meanwhile
        page = [];
        r.onProgress?.({ phase: "reading", done: summary.lines, total: null });
      }
    }
    await inflight;
    await stage(trx, page);
    r.onProgress?.({ phase: "reading", done: summary.lines, total: summary.lines });
    phase("read and stage");
    await trx.raw("create index on bank_staging (line_no)");
    await trx.raw("analyze bank_staging");

    // 2. Lines recorded before (by identity), then hand-recorded transfers they match.
    await trx.raw(`update bank_staging s set present = true from bank_lines b
      where b.committee_id = ? and b.bank_account_id = ? and b.line_key = s.line_key`, [r.committee.id, account.id]);
    const matched = summary.lines > 0 ? await matchHandRecorded(trx, r, account.id, accountNo, summary) : 0;

    phase("present and matched");
    // 3. What the new lines may not be: before a closed period, outside the receiving window.
    await refuseUnpostable(trx, r.committee.id, r.campaign);

    // 4. Post the new donations and fees in pages, the chain carried from page to page.
    await trx.raw(`update bank_staging set entry_id = gen_random_uuid() where not present and entry_id is null and kind <> 'to_classify'`);
    const [{ n: toPost }] = (await trx.raw(`select count(*)::int as n from bank_staging where not present and not matched and kind <> 'to_classify'`)).rows;
    phase("checks");
    const posted = await postEntries(trx, r, accountNo, toAccount(feeAccount), toPost);
    phase("post entries");
    // The deferred checks run at commit, once per entry, with plans made for the tables' sizes when they
    // were last analysed: after a large import into a young ledger those are seq scans, and the commit
    // turns quadratic. Fresh statistics (ANALYZE counts this transaction's own rows) keep them index lookups.
    if (posted >= ANALYZE_AFTER) await trx.raw("analyze journal_entries, postings, donations, donors");

    phase("analyze");
    // 5. The import and its lines.
    const [counts] = (await trx.raw(`select
        count(*) filter (where present)::int as present,
        count(*) filter (where not present and kind = 'fee')::int as fees,
        count(*) filter (where not present and kind = 'donation' and not matched)::int as donations,
        count(*) filter (where not present and kind = 'to_classify')::int as to_classify
      from bank_staging`)).rows;
    assert(counts.donations + counts.fees === posted, "every new donation and fee line was posted");
    const finishedAt = new Date().toISOString();
    const [imp] = await trx("bank_imports").insert({
      committee_id: r.committee.id, bank_account_id: account.id, campaign_id: r.campaign.id, layout: layout.name, recorded_by: r.recordedBy,
      file_sha256: sha.digest("hex"), lines_read: summary.lines, recorded: posted, already_present: counts.present, matched,
      fees: counts.fees, to_classify: counts.to_classify, balance_checks: summary.balanceChecks,
      opening_balance_dong: summary.openingDong?.toString() ?? null, closing_balance_dong: summary.closingDong?.toString() ?? null,
      first_date: summary.firstDate, last_date: summary.lastDate, started_at: startedAt, finished_at: finishedAt,
    }).returning("*");
    await trx.raw(`insert into bank_lines (committee_id, bank_account_id, line_key, import_id, line_no, entry_date, time_of_day, doc_ref,
        direction, amount_dong, memo, donor_name, kind, balance_dong, entry_id, matched)
      select ?, ?, line_key, ?, line_no, entry_date, time_of_day, doc_ref, direction, amount_dong, memo, donor_name, kind, balance_dong,
        entry_id, matched
      from bank_staging where not present order by line_no`, [r.committee.id, account.id, imp.id]);
    // The first statement whose opening is known anchors the account's bank balance.
    if (account.openingDate === null && summary.firstDate !== null && (openingGiven || summary.balanceChecks > 0)) {
      await trx("bank_accounts").where({ id: account.id }).update({ opening_balance_dong: summary.openingDong!.toString(), opening_date: summary.firstDate });
    }
    phase("bank lines");
    return toSummary(imp, accountNo, r.campaign.code, counts.donations);
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

async function stage(trx: Knex.Transaction, lines: StatementLine[]): Promise<void> {
  if (lines.length === 0) return;
  const rows = lines.map((l) => ({
    n: l.lineNo, k: l.key, d: l.date, t: l.time, r: l.docRef, dir: l.direction, a: l.amountDong.toString(), m: l.memo, dn: l.donorName,
    kind: l.kind, b: l.balanceDong?.toString() ?? null,
  }));
  await trx.raw(`insert into bank_staging (line_no, line_key, entry_date, time_of_day, doc_ref, direction, amount_dong, memo, donor_name, kind, balance_dong)
    select n, k, d, t, r, dir, a, m, dn, kind, b from json_to_recordset(?::json)
      as x(n int, k text, d date, t text, r text, dir text, a bigint, m text, dn text, kind text, b bigint)`, [JSON.stringify(rows)]);
}

async function matchHandRecorded(trx: Knex.Transaction, r: ImportRequest, _accountId: number, accountNo: string, s: ReadSummary): Promise<number> {
  const from = addDays(s.firstDate!, -MATCH_WINDOW_DAYS), to = addDays(s.lastDate!, MATCH_WINDOW_DAYS);
  const candidates = (await trx.raw(`select e.id, e.entry_date, d.bank_reference, d.donor_name, p.amount_dong
      from donations d join journal_entries e on e.id = d.entry_id
      join postings p on p.entry_id = e.id and p.amount_dong > 0
      where d.committee_id = ? and d.method = 'bank' and (d.bank_account = ? or (d.bank_account is null and d.campaign_id = ?))
        and e.entry_date between ? and ?
        and (e.idempotency_key is null or e.idempotency_key not like 'bank-line:%')
        and not exists (select 1 from bank_lines b where b.entry_id = e.id)
        and not exists (select 1 from journal_entries x where x.reversal_of = e.id)`,
  [r.committee.id, accountNo, r.campaign.id, from, to])).rows as { id: string; entry_date: string; bank_reference: string | null; donor_name: string; amount_dong: string }[];
  if (candidates.length === 0) return 0;
  const amounts = [...new Set(candidates.map((c) => c.amount_dong))];
  const lines = (await trx.raw(`select line_key, entry_date, amount_dong, doc_ref, memo, donor_name from bank_staging
      where not present and direction = 'C' and amount_dong in (select a from json_to_recordset(?::json) as x(a bigint))`,
  [JSON.stringify(amounts.map((a) => ({ a })))])).rows as { line_key: string; entry_date: string; amount_dong: string; doc_ref: string; memo: string; donor_name: string | null }[];
  const bank: BankSide[] = lines.map((l) => ({
    key: l.line_key, date: l.entry_date, amountDong: BigInt(l.amount_dong), docRef: l.doc_ref, memo: l.memo, donorName: l.donor_name,
  }));
  const ledger: LedgerSide[] = candidates.map((c) => ({
    entryId: c.id, date: c.entry_date, amountDong: BigInt(c.amount_dong), bankReference: c.bank_reference, donorName: c.donor_name,
  }));
  const matches = matchTransfers(bank, ledger);
  if (matches.length === 0) return 0;
  await trx.raw(`update bank_staging s set entry_id = x.e, matched = true from json_to_recordset(?::json) as x(k text, e uuid) where s.line_key = x.k`,
    [JSON.stringify(matches.map((m) => ({ k: m.key, e: m.entryId })))]);
  return matches.length;
}

async function refuseUnpostable(trx: Knex.Transaction, committeeId: number, c: Campaign): Promise<void> {
  const closed = (await trx("period_closes").where({ committee_id: committeeId }).max("through_date as d").first())?.d as string | null;
  if (closed) {
    const [row] = (await trx.raw(`select line_no, entry_date from bank_staging where not present and not matched and kind <> 'to_classify'
      and entry_date <= ? order by line_no limit 1`, [closed])).rows;
    if (row) fail("period_closed", `line ${row.line_no}: dated ${row.entry_date}, but the books are closed through ${closed}; nothing was imported`, "file");
  }
  if (c.receivingException === null) {
    const closes = receivingCloses(c);
    const [row] = (await trx.raw(`select line_no, entry_date from bank_staging where not present and not matched and kind = 'donation'
      and (entry_date < ? or entry_date > ?) order by line_no limit 1`, [c.startsOn, closes])).rows;
    if (row) {
      fail("donation_outside_receiving_window",
        `line ${row.line_no}: a transfer dated ${row.entry_date} is outside campaign ${c.code}'s receiving window (${c.startsOn} to ${closes}); nothing was imported`, "file");
    }
  }
}

interface StagedRow {
  line_no: number;
  line_key: string;
  entry_date: string;
  doc_ref: string;
  direction: "C" | "D";
  amount_dong: string;
  memo: string;
  donor_name: string | null;
  kind: "donation" | "fee";
  entry_id: string;
}

async function postEntries(trx: Knex.Transaction, r: ImportRequest, accountNo: string, fee: Account, total: number): Promise<number> {
  let head = await chainHead(trx, r.committee.id);
  const donorIds = new Map<string, number>();
  let after = 0;
  let posted = 0;
  let nextAnalyze = ANALYZE_AFTER;
  for (;;) {
    const rows = (await trx.raw(`select line_no, line_key, entry_date, doc_ref, direction, amount_dong, memo, donor_name, kind, entry_id
      from bank_staging where not present and not matched and kind <> 'to_classify' and line_no > ? order by line_no limit ?`,
    [after, POST_PAGE])).rows as StagedRow[];
    if (rows.length === 0) break;
    after = rows[rows.length - 1]!.line_no;
    const recordedAt = new Date().toISOString();
    const entries: CommittedEntry[] = rows.map((row) => {
      const e = draftFor(row, r, accountNo, fee, head, recordedAt);
      head = { seq: e.seq, hash: e.hash };
      return e;
    });
    await insertPage(trx, r.committee.id, entries, donorIds);
    posted += entries.length;
    // Each row's checks run with plans made for the tables' sizes when last analysed; in a young
    // ledger those would scan tables this import keeps growing. Re-analyse as they grow fourfold.
    if (posted >= nextAnalyze) {
      await trx.raw("analyze journal_entries, postings, donations, donors");
      nextAnalyze = posted * 4;
    }
    if (donorIds.size > DONOR_CACHE) donorIds.clear();
    r.onProgress?.({ phase: "posting", done: posted, total });
  }
  return posted;
}

const dmy = (iso: string) => `${iso.slice(8, 10)}/${iso.slice(5, 7)}/${iso.slice(0, 4)}`;
const clip = (s: string, n: number) => ([...s].length <= n ? s : [...s].slice(0, n - 1).join("") + "…");

function draftFor(row: StagedRow, r: ImportRequest, accountNo: string, fee: Account, head: { seq: number; hash: string },
  recordedAt: string): CommittedEntry {
  const amount = BigInt(row.amount_dong);
  const c = r.campaign;
  const doc = row.doc_ref ? ` số ${row.doc_ref}` : "";
  const common = {
    id: row.entry_id, entryDate: row.entry_date, campaign: { id: c.id, code: c.code }, reversalOf: null, resolutionRef: null,
    requiredApprovals: 1 as const, voucherSeries: null, items: [], disbursement: null, beneficiaryIdentity: null,
    committeeId: r.committee.id, committeeCode: r.committee.code, seq: head.seq + 1, recordedAt, recordedBy: r.recordedBy,
    idempotencyKey: `${IMPORT_KEY_PREFIX}${row.line_key}`, voucherNo: null,
  };
  let unhashed: Omit<CommittedEntry, "hash" | "prevHash">;
  if (row.kind === "donation") {
    const name = row.donor_name ?? UNKNOWN_DONOR;
    const kind = name === UNKNOWN_DONOR ? "anonymous" : "individual";
    unhashed = {
      ...common, kind: "donation",
      description: clip(`Nhận chuyển khoản${doc} ngày ${dmy(row.entry_date)} vào tài khoản ${accountNo} của ${name}`, 2000),
      postings: [{ account: c.accounts.bank, amountDong: amount, line: 1 }, { account: c.accounts.income, amountDong: -amount, line: 2 }],
      donation: {
        method: "bank", donorName: name, donorKind: kind, publishName: false, bankAccount: accountNo, bankReference: null,
        note: clip(row.memo, 2000) || null,
      },
      donorIdentity: { key: `${kind}|${name.normalize("NFC").trim().toLocaleLowerCase("vi").replace(/\s+/g, " ")}|`, name, kind },
    };
  } else {
    unhashed = {
      ...common, kind: "general",
      description: clip(`Phí ngân hàng${doc} ngày ${dmy(row.entry_date)}, tài khoản ${accountNo}: ${row.memo.replace(/\s+/g, " ")}`, 2000),
      postings: [{ account: fee, amountDong: amount, line: 1 }, { account: c.accounts.bank, amountDong: -amount, line: 2 }],
      donation: null, donorIdentity: null,
    };
  }
  return { ...unhashed, prevHash: head.hash, hash: chainHash(head.hash, canonicalEntry(unhashed)) };
}

async function insertPage(trx: Knex.Transaction, committeeId: number, entries: CommittedEntry[], donorIds: Map<string, number>): Promise<void> {
  const missing = [...new Map(entries.flatMap((e) => (e.donorIdentity && !donorIds.has(e.donorIdentity.key) ? [[e.donorIdentity.key, e.donorIdentity]] : []))).values()];
  if (missing.length > 0) {
    const json = JSON.stringify(missing.map((d) => ({ k: d.key, n: d.name, kind: d.kind })));
    await trx.raw(`insert into donors (committee_id, identity_key, name, kind, phone)
      select ?, k, n, kind, null from json_to_recordset(?::json) as x(k text, n text, kind text)
      on conflict (committee_id, identity_key) do nothing`, [committeeId, json]);
    const found = (await trx.raw(`select id, identity_key from donors where committee_id = ?
      and identity_key in (select k from json_to_recordset(?::json) as x(k text))`, [committeeId, json])).rows;
    for (const f of found) donorIds.set(f.identity_key, Number(f.id));
  }
  await trx.raw(`insert into journal_entries (id, committee_id, seq, entry_date, recorded_at, kind, description, campaign_id, recorded_by,
      idempotency_key, reversal_of, resolution_ref, required_approvals, prev_hash, hash)
    select id, ?, seq, d, ts, kind, description, campaign_id, rb, ik, null, null, 1, prev_hash, hash
    from json_to_recordset(?::json) as x(id uuid, seq bigint, d date, ts timestamptz(3), kind text, description text, campaign_id bigint,
      rb bigint, ik text, prev_hash text, hash text)
    order by seq`, [committeeId, JSON.stringify(entries.map((e) => ({
    id: e.id, seq: e.seq, d: e.entryDate, ts: e.recordedAt, kind: e.kind, description: e.description, campaign_id: e.campaign?.id ?? null,
    rb: e.recordedBy, ik: e.idempotencyKey, prev_hash: e.prevHash, hash: e.hash,
  })))]);
  await trx.raw(`insert into postings (entry_id, committee_id, line, account_id, amount_dong)
    select e, ?, line, a, amount from json_to_recordset(?::json) as x(e uuid, line smallint, a bigint, amount bigint)`,
  [committeeId, JSON.stringify(entries.flatMap((e) => e.postings.map((p, i) => ({ e: e.id, line: i + 1, a: p.account.id, amount: p.amountDong.toString() }))))]);
  const donations = entries.filter((e) => e.donation);
  if (donations.length > 0) {
    await trx.raw(`insert into donations (entry_id, committee_id, campaign_id, method, donor_id, donor_name, donor_kind, publish_name,
        bank_account, bank_reference, note)
      select e, ?, c, 'bank', donor, name, kind, false, acct, null, note
      from json_to_recordset(?::json) as x(e uuid, c bigint, donor bigint, name text, kind text, acct text, note text)`,
    [committeeId, JSON.stringify(donations.map((e) => {
      const donor = donorIds.get(e.donorIdentity!.key);
      assert(donor !== undefined, "every imported donation has its donor row");
      return { e: e.id, c: e.campaign!.id, donor, name: e.donation!.donorName, kind: e.donation!.donorKind, acct: e.donation!.bankAccount, note: e.donation!.note };
    }))]);
  }
}

function toAccount(r: Record<string, unknown>): Account {
  return {
    id: Number(r.id), code: r.code as string, name: r.name as string, type: r.type as Account["type"],
    role: r.role as Account["role"], campaignId: r.campaign_id === null ? null : Number(r.campaign_id),
  };
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

/** A treasurer token that cannot sign in, recording what the CLI imports (recorded_by needs a token of the committee). */
export async function importerToken(knex: Knex, committeeId: number): Promise<number> {
  const name = "Nhập sao kê ngân hàng (dòng lệnh)";
  const found = await knex("api_tokens").where({ committee_id: committeeId, name, role: "treasurer" }).whereNotNull("revoked_at").first("id");
  if (found) return Number(found.id);
  const [row] = await knex("api_tokens").insert({
    committee_id: committeeId, name, role: "treasurer", token_hash: randomBytes(32).toString("hex"), revoked_at: new Date(),
  }).returning("id");
  return Number(row.id);
}

export { LedgerError };

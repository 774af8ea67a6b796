import type { Knex } from "knex";
import Cursor from "pg-cursor";
import type { Search } from "../ledger/saoke.js";
import { updatableColumns } from "./privileges.js";

// The public sao kê's queries (migration 0046). The published lines of a campaign are those of its
// imports up to the last one its files include (saoke_files 'all'.through_import): lines of a later
// import are still being copied and are not shown yet. Every public query is bounded: by the words'
// index, the amount index or the bank order with a LIMIT.

export interface SaokeState {
  committee: { id: number; code: string; name: string };
  campaign: { id: number; code: string; name: string; startsOn: string; endsOn: string | null };
  /** The decision in force, if any was ever made. */
  decision: { id: number; publish: boolean; resolutionRef: string; decidedAt: string; by: string } | null;
  /** Lines of imports up to this one are shown (0: none yet). */
  throughImport: number;
  all: SaokeFile | null;
}

export interface SaokeFile {
  scope: string;
  throughImport: number;
  imports: number[];
  lines: number;
  bytes: number;
  sha256: string;
  creditsDong: bigint;
  debitsDong: bigint;
  updatedAt: string;
}

export interface PublishedLine {
  date: string;
  time: string | null;
  importId: string;
  lineNo: number;
  bankAccount: string;
  reference: string;
  memo: string;
  direction: "C" | "D";
  amountDong: string;
  balanceDong: string | null;
  kind: "donation" | "fee" | "to_classify";
  verified: boolean | null;
}

export interface MatchRow {
  date: string;
  importId: number;
  lineNo: number;
  direction: "C" | "D";
  amountDong: bigint;
}

export interface PendingImport {
  id: number;
  committeeId: number;
  campaignId: number;
  bankAccountId: number;
  /** Null for an import that read no line. */
  firstDate: string | null;
  lastDate: string | null;
}

/** A bank line as the import wrote it (what is copied, before the masking). */
export interface BankLineRow {
  entry_date: string;
  line_key: Buffer;
  import_id: string;
  line_no: number;
  time_of_day: string | null;
  doc_ref: string;
  direction: "C" | "D";
  amount_dong: string;
  memo: string;
  kind: "donation" | "fee" | "to_classify";
  balance_dong: string | null;
  entry_id: string | null;
}

export interface SaokeLineRow {
  campaignId: number;
  committeeId: number;
  bankAccountId: number;
  line: BankLineRow;
  reference: string;
  memo: string;
  words: string;
}

export interface DayRow {
  date: string;
  bankAccountId: number;
  accountNo: string;
  credits: number;
  creditsDong: bigint;
  debits: number;
  debitsDong: bigint;
  toClassify: number;
  toClassifyDong: bigint;
  fees: number;
  feesDong: bigint;
  otherDong: bigint;
  openingDong: bigint | null;
  closingDong: bigint | null;
  printedClosingDong: bigint | null;
}

const big = (v: unknown) => BigInt(String(v ?? 0));
const bigOrNull = (v: unknown) => (v === null || v === undefined ? null : BigInt(String(v)));
const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));

function toFile(r: Record<string, any>): SaokeFile {
  return {
    scope: r.scope, throughImport: Number(r.through_import), imports: (r.imports as (string | number)[]).map(Number), lines: Number(r.lines),
    bytes: Number(r.bytes), sha256: r.sha256, creditsDong: big(r.credits_dong), debitsDong: big(r.debits_dong), updatedAt: iso(r.updated_at),
  };
}

/** The filters of a search, as SQL over saoke_lines s (named bindings). */
function filters(campaignId: number, through: number, q: Search): { sql: string; binds: Record<string, unknown> } {
  const where = ["s.campaign_id = :campaign", "s.import_id <= :through"];
  const binds: Record<string, unknown> = { campaign: campaignId, through };
  if (q.tsquery !== null) {
    where.push("s.words @@ cast(:words as tsquery)");
    binds.words = q.tsquery;
  }
  if (q.amountDong !== null) {
    where.push("s.amount_dong = :amount");
    binds.amount = q.amountDong.toString();
  }
  if (q.minDong !== null) {
    where.push("s.amount_dong >= :min");
    binds.min = q.minDong.toString();
  }
  if (q.maxDong !== null) {
    where.push("s.amount_dong <= :max");
    binds.max = q.maxDong.toString();
  }
  if (q.from !== null) {
    where.push("s.entry_date >= :from");
    binds.from = q.from;
  }
  if (q.to !== null) {
    where.push("s.entry_date <= :to");
    binds.to = q.to;
  }
  return { sql: where.join(" and "), binds };
}

const LINE_COLUMNS = `to_char(s.entry_date, 'YYYY-MM-DD') as date, s.time_of_day as time, s.import_id, s.line_no, a.account_no,
  s.reference, s.memo, s.direction, s.amount_dong, s.balance_dong, s.kind`;

export class SaokeQueries {
  constructor(readonly knex: Knex) {}

  /** A committee's campaign with its sao kê decision and what is shown of it; null when either is unknown. */
  async state(committeeCode: string, campaignCode: string): Promise<SaokeState | null> {
    const { rows } = await this.knex.raw(`select cm.id as committee_id, cm.code as committee_code, cm.name as committee_name,
        c.id, c.code, c.name, to_char(c.starts_on, 'YYYY-MM-DD') as starts_on, to_char(c.ends_on, 'YYYY-MM-DD') as ends_on,
        d.id as decision_id, d.publish, d.resolution_ref, d.decided_at, pe.name as decided_by,
        f.scope, f.through_import, f.imports, f.lines, f.bytes, f.sha256, f.credits_dong, f.debits_dong, f.updated_at
      from committees cm join campaigns c on c.committee_id = cm.id
        left join saoke_published p on p.campaign_id = c.id
        left join saoke_decisions d on d.id = p.decision_id
        left join people pe on pe.id = d.person_id
        left join saoke_files f on f.campaign_id = c.id and f.scope = 'all'
      where cm.code = ? and c.code = ?`, [committeeCode, campaignCode]);
    const r = rows[0];
    if (!r) return null;
    return {
      committee: { id: Number(r.committee_id), code: r.committee_code, name: r.committee_name },
      campaign: { id: Number(r.id), code: r.code, name: r.name, startsOn: r.starts_on, endsOn: r.ends_on },
      decision: r.decision_id === null ? null : {
        id: Number(r.decision_id), publish: r.publish, resolutionRef: r.resolution_ref, decidedAt: iso(r.decided_at), by: r.decided_by,
      },
      throughImport: r.through_import === null ? 0 : Number(r.through_import),
      all: r.scope === null ? null : toFile(r),
    };
  }

  /** The codes of a committee's campaigns whose sao kê is published now. */
  async publishedCampaigns(committeeId: number): Promise<Set<string>> {
    const { rows } = await this.knex.raw(`select c.code from saoke_published p join campaigns c on c.id = p.campaign_id
      where p.committee_id = ? and p.published`, [committeeId]);
    return new Set(rows.map((r: { code: string }) => r.code));
  }

  async decisions(campaignId: number): Promise<{ id: number; publish: boolean; resolutionRef: string; decidedAt: string; by: string }[]> {
    const { rows } = await this.knex.raw(`select d.id, d.publish, d.resolution_ref, d.decided_at, p.name from saoke_decisions d
      join people p on p.id = d.person_id where d.campaign_id = ? order by d.id desc limit 100`, [campaignId]);
    return rows.map((r: Record<string, any>) => ({ id: Number(r.id), publish: r.publish, resolutionRef: r.resolution_ref, decidedAt: iso(r.decided_at), by: r.name }));
  }

  async insertDecision(d: { committeeId: number; campaignId: number; publish: boolean; resolutionRef: string; tokenId: number; personId: number }): Promise<number> {
    const [row] = await this.knex("saoke_decisions").insert({
      committee_id: d.committeeId, campaign_id: d.campaignId, publish: d.publish, resolution_ref: d.resolutionRef, decided_by: d.tokenId, person_id: d.personId,
    }).returning("id");
    return Number(row.id);
  }

  // ---- copying imports -----------------------------------------------------------------------

  /** Imports of published campaigns not shown yet, oldest first. */
  async pendingImports(): Promise<PendingImport[]> {
    const { rows } = await this.knex.raw(`select i.id, i.committee_id, i.campaign_id, i.bank_account_id,
        to_char(i.first_date, 'YYYY-MM-DD') as first_date, to_char(i.last_date, 'YYYY-MM-DD') as last_date
      from saoke_published p join bank_imports i on i.campaign_id = p.campaign_id and i.committee_id = p.committee_id
        left join saoke_files f on f.campaign_id = p.campaign_id and f.scope = 'all'
      where p.published and i.id > coalesce(f.through_import, 0)
      order by i.campaign_id, i.id limit 1000`);
    return rows.map((r: Record<string, any>) => ({
      id: Number(r.id), committeeId: Number(r.committee_id), campaignId: Number(r.campaign_id), bankAccountId: Number(r.bank_account_id),
      firstDate: r.first_date, lastDate: r.last_date,
    }));
  }

  /** The next lines an import wrote, in the bank lines' key order after (date, key). */
  async importLines(imp: PendingImport, after: { date: string; key: Buffer } | null, n: number): Promise<BankLineRow[]> {
    // entry_date comes back as YYYY-MM-DD (connect.ts), and stays the column: ORDER BY an alias of to_char() would sort the range.
    const { rows } = await this.knex.raw(`select entry_date, line_key, import_id, line_no, time_of_day, doc_ref,
        direction, amount_dong, memo, kind, balance_dong, entry_id
      from bank_lines b where committee_id = :committee and bank_account_id = :account and entry_date between :first and :last and import_id = :import
        and not exists (select 1 from bank_line_releases r where r.committee_id = b.committee_id and r.bank_account_id = b.bank_account_id
          and r.entry_date = b.entry_date and r.line_key = b.line_key and r.generation = b.generation)
        ${after ? "and (entry_date, line_key) > (:date, :key)" : ""}
      order by entry_date, line_key limit :n`, {
      committee: imp.committeeId, account: imp.bankAccountId, first: imp.firstDate, last: imp.lastDate, import: imp.id, n,
      ...(after ? { date: after.date, key: after.key } : {}),
    });
    return rows;
  }

  /** The newest reversal of a bank import (0: none yet). */
  async lastReversal(): Promise<number> {
    const row = await this.knex("bank_import_reversals").max("id as id").first();
    return Number(row?.id ?? 0);
  }

  /**
   * Takes out the published lines whose bank lines reversals after `afterReversal` released (sql/saoke.sql:
   * soquy_withdraw_released_saoke_lines); the campaigns whose sao kê changed, with their committee and the last
   * import they show.
   */
  async withdrawReleased(afterReversal: number): Promise<{ campaignId: number; committeeId: number; through: number }[]> {
    const { rows } = await this.knex.raw("select soquy_withdraw_released_saoke_lines(?) as changed", [afterReversal]);
    const ids = (rows[0].changed as (string | number)[]).map(Number);
    if (ids.length === 0) return [];
    const shown = await this.knex("campaigns as c").leftJoin("saoke_files as f", (j) => j.on("f.campaign_id", "c.id").andOnVal("f.scope", "all"))
      .whereIn("c.id", ids).select("c.id", "c.committee_id", "f.through_import");
    return shown.map((r: Record<string, any>) => ({ campaignId: Number(r.id), committeeId: Number(r.committee_id), through: Number(r.through_import ?? 0) }));
  }

  /** Published lines in, once each (a copy interrupted and made again adds nothing twice). */
  async insertLines(lines: SaokeLineRow[]): Promise<void> {
    if (lines.length === 0) return;
    const json = JSON.stringify(lines.map((x) => ({
      campaign_id: x.campaignId, committee_id: x.committeeId, bank_account_id: x.bankAccountId, entry_date: x.line.entry_date,
      import_id: x.line.import_id, line_no: x.line.line_no, line_key: `\\x${x.line.line_key.toString("hex")}`, time_of_day: x.line.time_of_day,
      direction: x.line.direction, amount_dong: x.line.amount_dong, balance_dong: x.line.balance_dong, kind: x.line.kind, entry_id: x.line.entry_id,
      reference: x.reference, memo: x.memo, words: x.words,
    })));
    await this.knex.raw(`insert into saoke_lines (campaign_id, entry_date, import_id, line_no, committee_id, bank_account_id, line_key, time_of_day,
        direction, amount_dong, balance_dong, kind, entry_id, reference, memo, words)
      select campaign_id, entry_date, import_id, line_no, committee_id, bank_account_id, line_key::bytea, time_of_day, direction, amount_dong,
        balance_dong, kind, entry_id, reference, memo, words::tsvector
      from json_to_recordset(?::json) as x(campaign_id bigint, entry_date date, import_id bigint, line_no int, committee_id bigint,
        bank_account_id bigint, line_key text, time_of_day text, direction text, amount_dong bigint, balance_dong bigint, kind text, entry_id uuid,
        reference text, memo text, words text)
      on conflict do nothing`, [json]);
  }

  /** What the bank says per day and account of a campaign's published lines, with the account's balances. */
  async bankDays(campaignId: number, through: number): Promise<DayRow[]> {
    const { rows } = await this.knex.raw(`with lines as (
        select s.entry_date, s.bank_account_id,
          count(*) filter (where s.direction = 'C')::int as credits, coalesce(sum(s.amount_dong) filter (where s.direction = 'C'), 0) as credits_dong,
          count(*) filter (where s.direction = 'D')::int as debits, coalesce(sum(s.amount_dong) filter (where s.direction = 'D'), 0) as debits_dong,
          count(*) filter (where s.kind = 'to_classify')::int as to_classify, coalesce(sum(s.amount_dong) filter (where s.kind = 'to_classify'), 0) as to_classify_dong,
          count(*) filter (where s.kind = 'fee')::int as fees, coalesce(sum(s.amount_dong) filter (where s.kind = 'fee'), 0) as fees_dong
        from saoke_lines s where s.campaign_id = :campaign and s.import_id <= :through group by s.entry_date, s.bank_account_id
      ), accounts as (select distinct bank_account_id from lines),
      account_days as (
        select b.bank_account_id, b.entry_date, sum(case when b.direction = 'C' then b.amount_dong else -b.amount_dong end) as net
        from accounts x join bank_accounts a on a.id = x.bank_account_id
          join bank_lines b on b.committee_id = a.committee_id and b.bank_account_id = a.id
        group by b.bank_account_id, b.entry_date
      ), balances as (
        select d.bank_account_id, d.entry_date, d.net,
          case when a.opening_date is not null and d.entry_date >= a.opening_date then a.opening_balance_dong
            + sum(d.net) filter (where d.entry_date >= a.opening_date) over (partition by d.bank_account_id order by d.entry_date) end as closing
        from account_days d join bank_accounts a on a.id = d.bank_account_id
      )
      select to_char(l.entry_date, 'YYYY-MM-DD') as date, l.bank_account_id, a.account_no, l.credits, l.credits_dong, l.debits, l.debits_dong,
        l.to_classify, l.to_classify_dong, l.fees, l.fees_dong, bl.net - (l.credits_dong - l.debits_dong) as other_dong,
        bl.closing - bl.net as opening_dong, bl.closing as closing_dong, pr.balance_dong as printed
      from lines l join bank_accounts a on a.id = l.bank_account_id
        join balances bl on bl.bank_account_id = l.bank_account_id and bl.entry_date = l.entry_date
        -- the balance printed on the day's last line (the bank order's last), if it printed one
        cross join lateral (select s.balance_dong from saoke_lines s
          where s.campaign_id = :campaign and s.entry_date = l.entry_date and s.import_id <= :through and s.bank_account_id = l.bank_account_id
          order by s.import_id desc, s.line_no desc limit 1) pr
      order by l.entry_date, a.account_no`, { campaign: campaignId, through });
    return rows.map((r: Record<string, any>) => ({
      date: r.date, bankAccountId: Number(r.bank_account_id), accountNo: r.account_no, credits: r.credits, creditsDong: big(r.credits_dong),
      debits: r.debits, debitsDong: big(r.debits_dong), toClassify: r.to_classify, toClassifyDong: big(r.to_classify_dong), fees: r.fees,
      feesDong: big(r.fees_dong), otherDong: big(r.other_dong), openingDong: bigOrNull(r.opening_dong), closingDong: bigOrNull(r.closing_dong),
      printedClosingDong: bigOrNull(r.printed),
    }));
  }

  /** The days and files of a campaign as of an import, written at once (never behind what another process wrote). */
  async writeDaysAndFiles(committeeId: number, campaignId: number, days: DayRow[], files: Omit<SaokeFile, "updatedAt">[]): Promise<void> {
    await this.knex.transaction(async (trx) => {
      // One process at a time per campaign: the figures of two rounds never interleave.
      await trx.raw("select pg_advisory_xact_lock(46, ?::int)", [campaignId]);
      const current = await trx("saoke_files").where({ campaign_id: campaignId, scope: "all" }).first("through_import");
      const through = files.find((f) => f.scope === "all")!.throughImport;
      if (current && Number(current.through_import) > through) return; // another process showed a later import
      for (let i = 0; i < days.length; i += 1000) {
        const rows = days.slice(i, i + 1000).map((d) => ({
          campaign_id: campaignId, entry_date: d.date, bank_account_id: d.bankAccountId, committee_id: committeeId, credits: d.credits,
          credits_dong: d.creditsDong.toString(), debits: d.debits, debits_dong: d.debitsDong.toString(), to_classify: d.toClassify,
          to_classify_dong: d.toClassifyDong.toString(), fees: d.fees, fees_dong: d.feesDong.toString(), other_dong: d.otherDong.toString(),
          opening_dong: d.openingDong?.toString() ?? null, closing_dong: d.closingDong?.toString() ?? null,
          printed_closing_dong: d.printedClosingDong?.toString() ?? null,
        }));
        await trx("saoke_days").insert(rows).onConflict(["campaign_id", "entry_date", "bank_account_id"]).merge(updatableColumns.saoke_days as string[]);
      }
      const now = new Date().toISOString();
      // The day files first, the whole one last: its through_import is what the public side goes by.
      const ordered = [...files.filter((f) => f.scope !== "all"), ...files.filter((f) => f.scope === "all")];
      for (let i = 0; i < ordered.length; i += 500) {
        const rows = ordered.slice(i, i + 500).map((f) => ({
          campaign_id: campaignId, scope: f.scope, committee_id: committeeId, through_import: f.throughImport, imports: f.imports, lines: f.lines,
          bytes: f.bytes, sha256: f.sha256, credits_dong: f.creditsDong.toString(), debits_dong: f.debitsDong.toString(), updated_at: now,
        }));
        await trx("saoke_files").insert(rows).onConflict(["campaign_id", "scope"]).merge(updatableColumns.saoke_files as string[]);
      }
    });
  }

  // ---- reading what is published -------------------------------------------------------------

  async files(campaignId: number): Promise<SaokeFile[]> {
    const rows = await this.knex("saoke_files").where({ campaign_id: campaignId }).orderBy("scope");
    return rows.map(toFile);
  }

  async file(campaignId: number, scope: string): Promise<SaokeFile | null> {
    const row = await this.knex("saoke_files").where({ campaign_id: campaignId, scope }).first();
    return row ? toFile(row) : null;
  }

  async days(campaignId: number): Promise<DayRow[]> {
    const { rows } = await this.knex.raw(`select to_char(d.entry_date, 'YYYY-MM-DD') as date, d.*, a.account_no from saoke_days d
      join bank_accounts a on a.id = d.bank_account_id where d.campaign_id = ? order by d.entry_date, a.account_no`, [campaignId]);
    return rows.map((r: Record<string, any>) => ({
      date: r.date, bankAccountId: Number(r.bank_account_id), accountNo: r.account_no, credits: r.credits, creditsDong: big(r.credits_dong),
      debits: r.debits, debitsDong: big(r.debits_dong), toClassify: r.to_classify, toClassifyDong: big(r.to_classify_dong), fees: r.fees,
      feesDong: big(r.fees_dong), otherDong: big(r.other_dong), openingDong: bigOrNull(r.opening_dong), closingDong: bigOrNull(r.closing_dong),
      printedClosingDong: bigOrNull(r.printed_closing_dong),
    }));
  }

  /** The imports a campaign's published lines came from. */
  async imports(ids: number[]): Promise<{ id: number; fileSha256: string; layout: string; accountNo: string; firstDate: string | null; lastDate: string | null; finishedAt: string }[]> {
    if (ids.length === 0) return [];
    const { rows } = await this.knex.raw(`select i.id, i.file_sha256, i.layout, a.account_no, to_char(i.first_date, 'YYYY-MM-DD') as first_date,
        to_char(i.last_date, 'YYYY-MM-DD') as last_date, i.finished_at
      from bank_imports i join bank_accounts a on a.id = i.bank_account_id where i.id = any(?::bigint[]) order by i.id`, [ids]);
    return rows.map((r: Record<string, any>) => ({
      id: Number(r.id), fileSha256: r.file_sha256, layout: r.layout, accountNo: r.account_no, firstDate: r.first_date, lastDate: r.last_date,
      finishedAt: iso(r.finished_at),
    }));
  }

  /** The ledger's verified movement of the campaign's bank account per day (the public figures). */
  async ledgerDays(campaignId: number): Promise<Map<string, bigint>> {
    const { rows } = await this.knex.raw(`select to_char(entry_date, 'YYYY-MM-DD') as date, amount_dong from public_figures
      where campaign_id = ? and metric = 'asset' and key = 'bank'`, [campaignId]);
    return new Map(rows.map((r: { date: string; amount_dong: string }) => [r.date, BigInt(r.amount_dong)]));
  }

  /** Per day, the net of published lines whose ledger entry is not verified yet. */
  async awaitingDays(campaignId: number, through: number): Promise<Map<string, bigint>> {
    const { rows } = await this.knex.raw(`select to_char(s.entry_date, 'YYYY-MM-DD') as date,
        sum(case when s.direction = 'C' then s.amount_dong else -s.amount_dong end) as net
      from saoke_lines s where s.campaign_id = ? and s.import_id <= ? and s.entry_id is not null
        and not exists (select 1 from entry_verified v where v.entry_id = s.entry_id)
      group by s.entry_date`, [campaignId, through]);
    return new Map(rows.map((r: { date: string; net: string }) => [r.date, BigInt(r.net)]));
  }

  /** The committee's current publication number (what the verified figures are at). */
  async publication(committeeId: number): Promise<number> {
    const { rows } = await this.knex.raw("select coalesce((select vseq from public_heads where committee_id = ?), 0) as v", [committeeId]);
    return Number(rows[0].v);
  }

  // ---- searching -----------------------------------------------------------------------------

  /**
   * The keys, direction and amount of the lines a search matches, at most cap + 1 of them, in no order:
   * the work of a search is bounded by the lines it reads, whatever the words' lists hold.
   */
  async matches(campaignId: number, through: number, q: Search, cap: number): Promise<MatchRow[]> {
    const f = filters(campaignId, through, q);
    const { rows } = await this.knex.raw(`select s.entry_date as date, s.import_id, s.line_no, s.direction, s.amount_dong
      from saoke_lines s where ${f.sql} limit :cap`, { ...f.binds, cap: cap + 1 });
    return rows.map((r: Record<string, any>) => ({ date: r.date, importId: Number(r.import_id), lineNo: r.line_no, direction: r.direction, amountDong: BigInt(r.amount_dong) }));
  }

  /** These lines of a campaign, in the bank's order. */
  async linesAt(campaignId: number, keys: { date: string; importId: number; lineNo: number }[]): Promise<PublishedLine[]> {
    if (keys.length === 0) return [];
    const { rows } = await this.knex.raw(`select ${LINE_COLUMNS}, case when s.entry_id is null then null else v.entry_id is not null end as verified
      from unnest(?::date[], ?::bigint[], ?::int[]) as k(d, i, l)
        join saoke_lines s on s.campaign_id = ? and s.entry_date = k.d and s.import_id = k.i and s.line_no = k.l
        join bank_accounts a on a.id = s.bank_account_id left join entry_verified v on v.entry_id = s.entry_id
      order by s.entry_date, s.import_id, s.line_no`,
    [keys.map((k) => k.date), keys.map((k) => k.importId), keys.map((k) => k.lineNo), campaignId]);
    return rows.map(toLine);
  }

  /** Sums over whole days from the kept day figures (a search by dates alone). */
  async dayTotals(campaignId: number, from: string | null, to: string | null): Promise<{ count: number; creditsDong: bigint; debitsDong: bigint }> {
    const { rows } = await this.knex.raw(`select coalesce(sum(credits + debits), 0)::int as n, coalesce(sum(credits_dong), 0) as credits,
        coalesce(sum(debits_dong), 0) as debits from saoke_days where campaign_id = ? and entry_date between ? and ?`,
    [campaignId, from ?? "0001-01-01", to ?? "9999-12-31"]);
    return { count: rows[0].n, creditsDong: big(rows[0].credits), debitsDong: big(rows[0].debits) };
  }

  /** A page of matching lines in bank order, after the cursor; one more than asked, to know whether another page follows. */
  async page(campaignId: number, through: number, q: Search): Promise<PublishedLine[]> {
    const f = filters(campaignId, through, q);
    const after = q.after ? "and (s.entry_date, s.import_id, s.line_no) > (:ad, :ai, :al)" : "";
    const { rows } = await this.knex.raw(`select ${LINE_COLUMNS}, case when s.entry_id is null then null else v.entry_id is not null end as verified
      from saoke_lines s join bank_accounts a on a.id = s.bank_account_id left join entry_verified v on v.entry_id = s.entry_id
      where ${f.sql} ${after}
      order by s.entry_date, s.import_id, s.line_no limit :n`,
    { ...f.binds, n: q.limit + 1, ...(q.after ? { ad: q.after.date, ai: q.after.importId, al: q.after.lineNo } : {}) });
    return rows.map(toLine);
  }

  /**
   * A campaign's published lines in bank order (one day, or all), up to an import, in batches from a
   * cursor: a file of a million lines is never held whole.
   */
  lines(campaignId: number, through: number, day: string | null, batch = 2_000): AsyncIterable<PublishedLine[]> {
    const sql = `select ${LINE_COLUMNS}, null as verified from saoke_lines s join bank_accounts a on a.id = s.bank_account_id
      where s.campaign_id = ? and s.import_id <= ? ${day ? "and s.entry_date = ?" : ""}
      order by s.entry_date, s.import_id, s.line_no`;
    return batches(this.knex, sql, day ? [campaignId, through, day] : [campaignId, through], batch, toLine);
  }
}

function toLine(r: Record<string, any>): PublishedLine {
  return {
    date: r.date, time: r.time, importId: String(r.import_id), lineNo: Number(r.line_no), bankAccount: r.account_no, reference: r.reference,
    memo: r.memo, direction: r.direction, amountDong: String(r.amount_dong), balanceDong: r.balance_dong === null ? null : String(r.balance_dong),
    kind: r.kind, verified: r.verified,
  };
}

/** Rows of a query in batches from a server-side cursor (pg-cursor, as the statements read theirs). */
async function* batches<T>(knex: Knex, sql: string, bindings: Knex.RawBinding[], size: number, map: (r: Record<string, any>) => T): AsyncIterable<T[]> {
  const native = knex.raw(sql, bindings).toSQL().toNative();
  const client = knex.client;
  const connection = await client.acquireConnection();
  let cursor: Cursor<Record<string, any>> | null = null;
  let next: Promise<Record<string, any>[]> | null = null;
  try {
    cursor = connection.query(new Cursor<Record<string, any>>(native.sql, native.bindings)) as Cursor<Record<string, any>>;
    next = cursor.read(size);
    for (;;) {
      const rows = await next;
      if (rows.length === 0) break;
      next = cursor.read(size); // the next batch is made while this one is worked on
      yield rows.map(map);
    }
  } finally {
    next?.catch(() => {});
    try {
      if (cursor) await cursor.close();
    } finally {
      await client.releaseConnection(connection);
    }
  }
}

import { listPeople, type PersonRow } from "./users.js";
import type { Knex } from "knex";
import Cursor from "pg-cursor";
import type { Campaign } from "../ledger/types.js";
import { chainHead } from "./store.js";
import { wordVariants } from "./settings.js";
import type { WordVariants } from "../ledger/wording.js";
import { PUBLIC_DONOR, PrivateNames, STATEMENT_V1, STATEMENT_V2, initials, type StatementFormat } from "../ledger/mask.js";

// The queries behind a campaign statement. Everything is pinned to a ledger
// position (seq ≤ head) so the same request gives the same rows later.
//
// The rows stream from a cursor in batches, each asked for
// before the previous one is worked on, so PostgreSQL and Node work at the
// same time and a million rows cost hundreds of round trips, not ten thousand.

export interface StatementRowRaw {
  id: string;
  seq: string;
  entry_date: string;
  recorded_date: string;
  kind: "donation" | "disbursement" | "general" | "reversal";
  description: string;
  hash: string;
  voucher_no: string | null;
  donor_name: string | null;
  publish_name: boolean | null;
  method: "cash" | "bank" | "in_kind" | null;
  beneficiary_name: string | null;
  area: string | null;
  category: string | null;
  purpose: string | null;
  quantity: string | null;
  unit: string | null;
  in_dong: string;
  out_dong: string;
  verified: boolean;
}

/** An entry between campaigns, as the statement of one of them sees it. */
export interface TransferRow {
  seq: number;
  resolutionRef: string;
  inDong: bigint;
  outDong: bigint;
  campaigns: { code: string; name: string }[];
}

/**
 * A row of the CSV pass, as an array (no object per row, and few fields: each
 * costs the pg driver time). PostgreSQL writes the cells that need no masking
 * (the rules of src/statements/csv.ts csvLine, spelled in SQL below) and the running
 * balance; the builder the rest. Indexes in CsvCol.
 */
export type StatementCsvRow = [
  csvHead: string, // "entry,seq,id,document date,recorded date,voucher,kind," (the same on every row of an entry)
  description: string,
  donorName: string | null,
  beneficiaryName: string | null,
  area: string | null,
  amounts: string, // "in,out,balance" of the posting, the balance after it
  csvTail: string, // ",quantity," (the unit is the builder's: masked for the public from format v2)
  rowClass: string, // "YYYY-MM kind method donor? publish?", e.g. "2024-09 donation cash true false" ("-" for null)
  category: string | null,
  purpose: string | null,
  quantity: string | null,
  unit: string | null,
  csvEnd: string, // ",verified,hash"
];

export const CsvCol = {
  csvHead: 0, description: 1, donorName: 2, beneficiaryName: 3, area: 4, amounts: 5, csvTail: 6, rowClass: 7,
  category: 8, purpose: 9, quantity: 10, unit: 11, csvEnd: 12,
} as const;

/**
 * Rows asked of the cursor at a time. The CSV pass: about a megabyte, a few hundred round trips for a
 * million rows. The lines for the PDF are objects handed on one by one to a slow renderer: big batches
 * there only outlive young-generation collections (2,000 rows took the text baseline of the 200,000-line
 * PDF from ~130 to ~185 MB of RSS) and save nothing.
 */
const CSV_BATCH_ROWS = 2000;
const LINE_BATCH_ROWS = 100;

/** Name sets kept (committee and ledger position): a checkpoint and the statements after it ask for the same one. */
const NAME_SETS = 8;

export class StatementQueries {
  private readonly nameSets = new Map<string, Promise<PrivateNames>>();

  constructor(private readonly knex: Knex) {}

  /**
   * The names of a committee not agreed to be published, up to a ledger position: donors who did
   * not agree, and every household (the public sees a household's initials). Bound by the position,
   * so a statement cut there masks the same names for good. One grouped pass over each table:
   * a million-line campaign has far fewer distinct names than lines.
   */
  privateNames(committeeId: number, headSeq: number): Promise<PrivateNames> {
    const key = `${committeeId}|${headSeq}`;
    let job = this.nameSets.get(key);
    if (!job) {
      if (this.nameSets.size >= NAME_SETS) this.nameSets.delete(this.nameSets.keys().next().value!);
      job = this.loadPrivateNames(committeeId, headSeq);
      this.nameSets.set(key, job);
      job.catch(() => this.nameSets.delete(key));
    }
    return job;
  }

  private async loadPrivateNames(committeeId: number, headSeq: number): Promise<PrivateNames> {
    // Names of one word never mask anything: left out in SQL already.
    const twoWords = "~ '[^[:space:]][[:space:]]+[^[:space:]]'";
    const rows = await this.knex.raw(`
      select d.donor_name as name, false as household from donations d join journal_entries e on e.id = d.entry_id
        where d.committee_id = ? and not d.publish_name and e.seq <= ? and d.donor_name ${twoWords} group by d.donor_name
      union all
      select b.beneficiary_name, true from disbursements b join journal_entries e on e.id = b.entry_id
        where b.committee_id = ? and e.seq <= ? and b.beneficiary_name ${twoWords} group by b.beneficiary_name`,
    [committeeId, headSeq, committeeId, headSeq]);
    const names = new PrivateNames();
    for (const r of rows.rows as { name: string; household: boolean }[]) names.add(r.name, r.household ? initials(r.name) : PUBLIC_DONOR);
    return names;
  }

  /** The areas the committee's disbursements named up to a ledger position (households are few beside donations). */
  async areasUsed(committeeId: number, headSeq: number): Promise<string[]> {
    const rows = await this.knex("disbursements as b").join("journal_entries as e", "e.id", "b.entry_id")
      .where("b.committee_id", committeeId).where("e.seq", "<=", headSeq).distinct("b.area");
    return rows.map((r) => r.area as string);
  }

  /**
   * The committee's areas listed when a publication was made (undefined: now): what an area showed
   * as at a publication stays what it shows.
   */
  async listedAreas(committeeId: number, vseq: number | undefined): Promise<Set<string>> {
    const q = this.knex("areas").where({ committee_id: committeeId });
    if (vseq !== undefined) {
      q.where("created_at", "<=", this.knex("entry_verified").where({ committee_id: committeeId, vseq }).select("published_at"));
    }
    return new Set((await q.select("name")).map((r) => r.name as string));
  }

  /** The format of a statement cut at a publication (undefined: not cut at one, the current format). */
  async statementFormat(committeeId: number, vseq: number | undefined): Promise<StatementFormat> {
    if (vseq === undefined) return STATEMENT_V2;
    const row = await this.knex("statement_formats").where({ committee_id: committeeId }).first("v1_through_vseq");
    return row && vseq <= Number(row.v1_through_vseq) ? STATEMENT_V1 : STATEMENT_V2;
  }

  head(committeeId: number): Promise<{ seq: number; hash: string }> {
    return chainHead(this.knex, committeeId);
  }

  /** The committee's people, for the auditor's statement. */
  people(committeeId: number): Promise<PersonRow[]> {
    return listPeople(this.knex, committeeId);
  }

  /** The campaign's first and last document dates up to the position. */
  async dateRange(c: Campaign, headSeq: number): Promise<{ first: string | null; last: string | null }> {
    const row = await this.knex("journal_entries").where({ campaign_id: c.id }).where("seq", "<=", headSeq)
      .min("entry_date as first").max("entry_date as last").first();
    return { first: row?.first ?? null, last: row?.last ?? null };
  }

  /**
   * Σ of the campaign's asset postings on entries dated before `before` or up to `through`.
   * Without parallel workers: the builder runs the closing sum beside the rows' query, on the
   * core that query leaves free, and workers would only take CPU from it.
   */
  async assetSum(c: Campaign, headSeq: number, bound: { before: string } | { through: string }, verifiedOnly: boolean, vseqMax?: number): Promise<bigint> {
    const s = await this.assetTotals(c, headSeq, bound, verifiedOnly, vseqMax);
    return s.cash + s.bank + s.goods;
  }

  /**
   * The campaign's cash, bank and goods through a day: the closing balance split by asset, each the sum of its own
   * account's postings on the same entries as the statement's lines (and their total the independent check of the
   * statement's closing).
   */
  assetSplit(c: Campaign, headSeq: number, through: string, verifiedOnly: boolean, vseqMax?: number): Promise<AssetSplit> {
    return this.assetTotals(c, headSeq, { through }, verifiedOnly, vseqMax);
  }

  /** The sums by asset account of one pass over the campaign's asset postings (assetSum, assetSplit). */
  private assetTotals(c: Campaign, headSeq: number, bound: { before: string } | { through: string }, verifiedOnly: boolean,
    vseqMax: number | undefined): Promise<AssetSplit> {
    return this.knex.transaction(async (trx) => {
      await trx.raw("set local max_parallel_workers_per_gather = 0");
      // The committee (implied by the accounts) lets PostgreSQL find the entries before a date by its
      // (committee_id, entry_date) index: the opening of a whole campaign costs milliseconds, not a join of every posting.
      const q = trx("postings as p").join("journal_entries as e", "e.id", "p.entry_id")
        .whereIn("p.account_id", assetIds(c)).where("e.committee_id", c.committeeId).where("e.seq", "<=", headSeq);
      if (verifiedOnly) q.join("entry_verified as ev", "ev.entry_id", "e.id");
      if (verifiedOnly && vseqMax !== undefined) q.where("ev.vseq", "<=", vseqMax);
      if ("before" in bound) q.where("e.entry_date", "<", bound.before);
      else q.where("e.entry_date", "<=", bound.through);
      const rows = await q.groupBy("p.account_id").select("p.account_id", trx.raw("sum(p.amount_dong) as total"));
      const of = (id: number) => BigInt(rows.find((r) => Number(r.account_id) === id)?.total ?? 0);
      return { cash: of(c.accounts.cash.id), bank: of(c.accounts.bank.id), goods: of(c.accounts.goods.id) };
    });
  }

  /**
   * The campaign's entries between campaigns in a period: those that post to its cash, bank or goods and to another
   * campaign's accounts. Each carries a resolution (SQ009; a reversal keeps its original's), so the partial index of
   * entries with one finds them without reading the campaign's postings. in/out are the campaign's own, as its lines.
   */
  async transfers(c: Campaign, headSeq: number, from: string, to: string, verifiedOnly: boolean, vseqMax?: number): Promise<TransferRow[]> {
    const [cash, bank, goods] = assetIds(c);
    const own = "p.account_id in (?, ?, ?)";
    const rows = await this.knex.raw(`
      select e.seq, e.resolution_ref,
        coalesce(sum(greatest(p.amount_dong, 0)) filter (where ${own}), 0)::text as in_dong,
        coalesce(sum(greatest(-p.amount_dong, 0)) filter (where ${own}), 0)::text as out_dong,
        jsonb_agg(distinct jsonb_build_object('code', o.code, 'name', o.name)) filter (where o.id is not null) as others
      from journal_entries e
      join postings p on p.entry_id = e.id
      join accounts a on a.id = p.account_id
      left join campaigns o on o.id = a.campaign_id and o.id <> ?
      ${verifiedOnly ? "join entry_verified ev on ev.entry_id = e.id" : ""}
      where e.committee_id = ? and e.resolution_ref is not null and e.seq <= ? and e.entry_date between ? and ?
        ${verifiedOnly && vseqMax !== undefined ? `and ev.vseq <= ${Math.trunc(vseqMax)}` : ""}
      group by e.id, e.seq, e.resolution_ref
      having bool_or(${own}) and bool_or(o.id is not null)
      order by e.seq`,
    [cash, bank, goods, cash, bank, goods, c.id, c.committeeId, headSeq, from, to, cash, bank, goods]);
    return (rows.rows as { seq: string; resolution_ref: string; in_dong: string; out_dong: string; others: { code: string; name: string }[] }[])
      .map((r) => ({
        seq: Number(r.seq), resolutionRef: r.resolution_ref, inDong: BigInt(r.in_dong), outDong: BigInt(r.out_dong),
        campaigns: [...r.others].sort((a, b) => (a.code < b.code ? -1 : a.code > b.code ? 1 : 0)),
      }));
  }

  /** How the committee writes amounts in words (its setting). */
  wordVariants(committeeId: number): Promise<WordVariants> {
    return wordVariants(this.knex, committeeId);
  }

  /**
   * One row per posting on the campaign's cash, bank or goods, in sequence
   * (then line) order, in batches; the builder merges an entry's rows.
   */
  rows(c: Campaign, headSeq: number, from: string, to: string, verifiedOnly: boolean, vseqMax?: number): AsyncIterable<StatementRowRaw[]> {
    const q = statementSelect(rawColumns, [], c, headSeq, from, to, verifiedOnly, vseqMax);
    return this.batches<StatementRowRaw>(q.sql, q.bindings, false, LINE_BATCH_ROWS);
  }

  /** The same rows as rows(), shaped for the CSV pass, the balance running from openingDong. */
  csvRows(
    c: Campaign, headSeq: number, from: string, to: string, verifiedOnly: boolean, openingDong: bigint, vseqMax?: number,
  ): AsyncIterable<StatementCsvRow[]> {
    const q = this.csvRowsSql(c, headSeq, from, to, verifiedOnly, openingDong, vseqMax);
    return this.batches<StatementCsvRow>(q.sql, q.bindings, true, CSV_BATCH_ROWS);
  }

  /** csvRows()'s SELECT with its bindings (knex placeholders): what bench/statements.ts gives COPY as its baseline. */
  csvRowsSql(
    c: Campaign, headSeq: number, from: string, to: string, verifiedOnly: boolean, openingDong: bigint, vseqMax?: number,
  ): { sql: string; bindings: Knex.RawBinding[] } {
    return statementSelect(csvColumns, [openingDong.toString()], c, headSeq, from, to, verifiedOnly, vseqMax);
  }

  private async *batches<Row>(sql: string, bindings: Knex.RawBinding[], arrays: boolean, size: number): AsyncIterable<Row[]> {
    const native = this.knex.raw(sql, bindings).toSQL().toNative();
    const client = this.knex.client;
    const connection = await client.acquireConnection();
    let cursor: Cursor<Row> | null = null;
    let next: Promise<Row[]> | null = null;
    try {
      cursor = connection.query(new Cursor<Row>(native.sql, native.bindings, arrays ? { rowMode: "array" } : {})) as Cursor<Row>;
      next = cursor.read(size);
      for (;;) {
        const rows = await next;
        if (rows.length === 0) break;
        next = cursor.read(size); // PostgreSQL makes the next batch while this one is worked on
        yield rows;
      }
    } finally {
      next?.catch(() => {}); // a read still under way when the consumer stopped early
      try {
        if (cursor) await cursor.close();
      } finally {
        await client.releaseConnection(connection);
      }
    }
  }
}

function assetIds(c: Campaign): [number, number, number] {
  return [c.accounts.cash.id, c.accounts.bank.id, c.accounts.goods.id];
}

// The rows are joined and sorted in an inner query that carries stored values
// only; the outer query formats them as they stream out of the sort (a
// subquery with ORDER BY is not flattened into its parent, and its order
// serves the outer ORDER BY and window without sorting again), so the sort
// moves fewer bytes and the formatting overlaps the builder's work.
// Cut at a publication (vseqMax), an entry counts as verified only if it was published by then.
const baseColumns = (vseqMax?: number) => `e.seq, p.line, e.id, e.entry_date, e.recorded_at, e.kind, e.description, e.hash, v.voucher_no,
  d.donor_name, d.publish_name, coalesce(d.method, b.method) as method,
  b.beneficiary_name, b.area, b.category, b.purpose,
  coalesce(b.quantity, i.quantity) as quantity, coalesce(b.unit, i.unit) as unit,
  p.amount_dong, (ev.entry_id is not null${vseqMax !== undefined ? ` and ev.vseq <= ${Math.trunc(vseqMax)}` : ""}) as verified`;

const rawColumns = `s.id, s.seq, s.entry_date,
  to_char(s.recorded_at at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD') as recorded_date,
  s.kind, s.description, s.hash, s.voucher_no, s.donor_name, s.publish_name, s.method,
  s.beneficiary_name, s.area, s.category, s.purpose, s.quantity, s.unit,
  greatest(s.amount_dong, 0) as in_dong, greatest(-s.amount_dong, 0) as out_dong, s.verified`;

/** src/statements/csv.ts csvText(): null → "", a formula defused with a leading apostrophe, quoted if it holds " , CR or LF. */
function csvText(x: string): string {
  const apostrophe = `case when left(${x}, 1) in ('=', '+', '-', '@', chr(9), chr(13)) then '''' else '' end`;
  const quoted = `strpos(${x}, '"') > 0 or strpos(${x}, ',') > 0 or strpos(${x}, chr(13)) > 0 or strpos(${x}, chr(10)) > 0`;
  return `case when ${x} is null then '' when ${quoted} then '"' || ${apostrophe} || replace(${x}, '"', '""') || '"' else ${apostrophe} || ${x} end`;
}

/** src/statements/csv.ts plainQuantity(): "607.000" → "607", "10.500" → "10.5" (numeric text has one dot and no exponent). */
function plainQuantity(q: string): string {
  return `case when ${q} is null then '' when strpos(${q}::text, '.') > 0 then rtrim(rtrim(${q}::text, '0'), '.') else ${q}::text end`;
}

// The running balance: the opening (the first binding) plus the postings so far, exact (numeric).
const csvColumns = `'entry,' || s.seq || ',' || s.id || ',' || to_char(s.entry_date, 'YYYY-MM-DD') || ','
    || to_char(s.recorded_at at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD') || ',' || ${csvText("s.voucher_no")} || ',' || s.kind || ',' as csv_head,
  s.description, s.donor_name, s.beneficiary_name, s.area,
  greatest(s.amount_dong, 0) || ',' || greatest(-s.amount_dong, 0) || ','
    || (?::numeric + sum(s.amount_dong) over (order by s.seq, s.line rows between unbounded preceding and current row)) as amounts,
  ',' || ${plainQuantity("s.quantity")} || ',' as csv_tail,
  to_char(s.entry_date, 'YYYY-MM') || ' ' || s.kind || ' ' || coalesce(s.method, '-') || ' ' || (s.donor_name is not null)::text
    || ' ' || coalesce(s.publish_name::text, '-') as row_class,
  s.category, s.purpose, s.quantity, s.unit, ',' || s.verified::text || ',' || s.hash as csv_end`;

/**
 * Driving from the postings (not a lateral per entry) let the query run in
 * less than half the time on a 1M-entry campaign.
 */
function statementSelect(
  columns: string, columnBindings: Knex.RawBinding[], c: Campaign, headSeq: number, from: string, to: string, verifiedOnly: boolean,
  vseqMax?: number,
): { sql: string; bindings: Knex.RawBinding[] } {
  const [cash, bank, goods] = assetIds(c);
  const sql = `
    select ${columns} from (
      select ${baseColumns(vseqMax)}
      from postings p
      join journal_entries e on e.id = p.entry_id
      left join vouchers v on v.entry_id = e.id
      left join entry_verified ev on ev.entry_id = e.id
      -- a reversal shows the donor or household of the entry it reverses
      left join donations d on d.entry_id = coalesce(e.reversal_of, e.id)
      left join disbursements b on b.entry_id = coalesce(e.reversal_of, e.id)
      left join (
        select entry_id,
          case when count(distinct unit) = 1 then sum(quantity) end as quantity,
          case when count(distinct unit) = 1 then min(unit) end as unit
        from entry_items where committee_id = ? group by entry_id
      ) i on i.entry_id = d.entry_id
      where p.account_id in (?, ?, ?) and e.seq <= ? and e.entry_date between ? and ?
        ${verifiedOnly ? "and ev.entry_id is not null" : ""}
        ${verifiedOnly && vseqMax !== undefined ? `and ev.vseq <= ${Math.trunc(vseqMax)}` : ""}
      order by e.seq, p.line
    ) s
    order by s.seq, s.line`;
  return { sql, bindings: [...columnBindings, c.committeeId, cash, bank, goods, headSeq, from, to] };
}

/** The campaign's cash (its cash box, 1111.<code>), bank deposits (1121.<code>) and goods at value (1561.<code>). */
export interface AssetSplit {
  cash: bigint;
  bank: bigint;
  goods: bigint;
}

import { Socket } from "node:net";
import type { Readable } from "node:stream";
import type { Knex } from "knex";
import { to as copyTo } from "pg-copy-streams";
import { assert } from "../ledger/assert.js";
import type { EntryLinks } from "../ledger/store.js";
import type { Account, CommittedEntry } from "../ledger/types.js";

// A committee's chain read once, in sequence order, for verify: three queries, each reading its tables' rows of
// the committee once, in sequence order — the entries with the rows that are one per entry (voucher, donation,
// disbursement, and the donor and household rows they name), the postings, the goods — merged here by sequence into the same CommittedEntry values the ledger's other reads give.
//
// On a PostgreSQL pool the three are COPY … TO STDOUT on three connections, each in a read-only REPEATABLE READ
// transaction on one exported snapshot: the server reads and sends while this process hashes, and each stream
// is read only as fast as it is checked, so memory stays flat whatever the ledger's size. Elsewhere — PGlite (its
// one connection, which a long transaction would hold, keeping every other request out; it has no COPY TO
// STDOUT), or inside a caller's transaction (what the tamper tests verify through) — the same three queries run a
// page of sequences at a time. Every column is selected as text, so both readers give the same strings.

/** Entries a page, for the paged reader. */
const PAGE = 5_000;

type Row = (string | null)[];
type Visit = (e: CommittedEntry, links: EntryLinks) => void;

// Dates and times spelled out as the ledger writes them (recorded_at keeps milliseconds): the same text whatever the
// session's DateStyle or time zone. Accounts, campaigns and voucher books are few: read once (Lookups), not per row.
const ENTRIES = `select e.seq, e.id, to_char(e.entry_date, 'YYYY-MM-DD'), to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'), e.kind,
    e.description, e.campaign_id, e.reversal_of, e.resolution_ref, e.required_approvals::text, e.committee_id,
    e.recorded_by, e.idempotency_key, e.prev_hash, e.hash,
    v.voucher_no, v.committee_id, v.year::text, v.number::text, v.book_id,
    d.method, d.donor_name, d.donor_kind, d.publish_name::text, d.bank_account, d.bank_reference, d.note, d.committee_id,
    d.campaign_id, r.identity_key, r.name, r.kind, r.phone, r.committee_id,
    x.method, x.beneficiary_name, x.category, x.area, x.purpose, x.quantity, x.unit, x.note, x.committee_id, x.campaign_id,
    bf.committee_id, bf.name, bf.category, bf.area
  from journal_entries e
  left join vouchers v on v.entry_id = e.id
  left join donations d on d.entry_id = e.id
  left join donors r on r.id = d.donor_id
  left join disbursements x on x.entry_id = e.id
  left join beneficiaries bf on bf.id = x.beneficiary_id
  where e.committee_id = $1`;
// Columns that are never null in a row that is there (voucher_no, method) say whether the row is.
const E = {
  seq: 0, id: 1, date: 2, recordedAt: 3, kind: 4, description: 5, campaignId: 6, reversalOf: 7, resolutionRef: 8, approvals: 9,
  committeeId: 10, recordedBy: 11, idempotencyKey: 12, prevHash: 13, hash: 14,
  voucherNo: 15, vCommittee: 16, vYear: 17, vNumber: 18, vBook: 19,
  dMethod: 20, donorName: 21, donorKind: 22, publishName: 23, bankAccount: 24, bankReference: 25, dNote: 26, dCommittee: 27,
  dCampaign: 28, donorKey: 29, donorRowName: 30, donorRowKind: 31, donorPhone: 32, donorCommittee: 33,
  xMethod: 34, beneficiaryName: 35, category: 36, area: 37, purpose: 38, xQuantity: 39, xUnit: 40, xNote: 41, xCommittee: 42,
  xCampaign: 43, bfCommittee: 44, bfName: 45, bfCategory: 46, bfArea: 47,
} as const;

// Child rows are found through their entry, never by their own committee_id: a row moved to another committee
// still shows with its entry, where verify sees the move.
// Each entry's rows found by its key (the OFFSET 0 keeps the planner from turning that into a join of whole tables:
// for a page it would read every posting of the ledger).
const POSTINGS = `select e.seq, p.line::text, p.amount_dong, p.committee_id, p.account_id
  from journal_entries e
  cross join lateral (select p.line, p.amount_dong, p.committee_id, p.account_id from postings p where p.entry_id = e.id offset 0) p
  where e.committee_id = $1`;

const ITEMS = `select e.seq, i.line::text, i.description, i.quantity, i.unit, i.unit_value_dong, i.value_dong, i.valuation_basis, i.committee_id
  from journal_entries e
  cross join lateral (select i.* from entry_items i where i.entry_id = e.id offset 0) i
  where e.committee_id = $1`;

// Every committee's: a row may point at another committee's account, campaign or book, which verify must see.
const LOOKUPS = [
  "select id, code, name, type, role, campaign_id, committee_id from accounts",
  "select id, code, committee_id from campaigns",
  "select id, series, code, committee_id from receipt_books",
] as const;

/** The accounts, campaigns and voucher books, by id. */
interface Lookups {
  accounts: Map<string, { account: Account; committeeId: number }>;
  campaigns: Map<string, { code: string; committeeId: number }>;
  books: Map<string, { committeeId: number; series: string; code: string }>;
}

function lookups([accounts, campaigns, books]: Record<string, any>[][]): Lookups {
  return {
    accounts: new Map(accounts!.map((a) => [String(a.id), {
      account: { id: Number(a.id), code: a.code, name: a.name, type: a.type, role: a.role, campaignId: a.campaign_id === null ? null : Number(a.campaign_id) },
      committeeId: Number(a.committee_id),
    }])),
    campaigns: new Map(campaigns!.map((c) => [String(c.id), { code: c.code, committeeId: Number(c.committee_id) }])),
    books: new Map(books!.map((b) => [String(b.id), { committeeId: Number(b.committee_id), series: b.series, code: b.code }])),
  };
}

const ORDER = [" order by e.seq", " order by e.seq, p.line", " order by e.seq, i.line"] as const;

/** The part of a pg client used here. */
interface Conn {
  query(q: unknown, values?: unknown[]): unknown;
  connection?: { stream?: unknown };
}

interface ClientOf {
  acquireConnection(): Promise<Conn>;
  releaseConnection(c: Conn): Promise<void>;
}

export type ChainReader = "copy" | "paged";

/** Walks the chain; `reader` picks how (by default COPY streams on a PostgreSQL pool, pages otherwise). */
export async function walkCommitteeChain(db: Knex | Knex.Transaction, committeeId: number, visit: Visit, reader?: ChainReader): Promise<void> {
  assert(Number.isSafeInteger(committeeId), "a committee id is an integer");
  const committee = await db("committees").where({ id: committeeId }).first("code");
  if (!committee) return;
  const how = reader ?? (!db.isTransaction && poolSize(db) >= COPY_CONNECTIONS && (await onServer(db)) ? "copy" : "paged");
  assert(how === "paged" || !db.isTransaction, "COPY streams read on connections of their own, outside any transaction");
  if (how === "paged") return pagedWalk(db, committeeId, committee.code, visit);
  return copyWalk(db as Knex, committeeId, committee.code, visit);
}

/** The COPY reader's connections, and one more for what runs beside it (verify's check of the public figures). */
const COPY_CONNECTIONS = 4;

/** How many connections db's pool may open: a smaller pool than the COPY reader takes would wait on itself. */
function poolSize(db: Knex): number {
  return (db.client as unknown as { pool?: { max?: number } }).pool?.max ?? 0;
}

/** Whether db reaches a PostgreSQL server (not PGlite's in-process connection). */
export async function onServer(db: Knex | Knex.Transaction): Promise<boolean> {
  const client = db.client as unknown as ClientOf;
  const conn = await client.acquireConnection(); // in a transaction, the transaction's own
  try {
    return conn.connection?.stream instanceof Socket;
  } finally {
    if (!db.isTransaction) await client.releaseConnection(conn);
  }
}

// ---------------------------------------------------------------- the COPY reader

async function copyWalk(knex: Knex, committeeId: number, code: string, visit: Visit): Promise<void> {
  const client = knex.client as unknown as ClientOf;
  const conns: Conn[] = [];
  const q = (c: Conn, sql: string) => c.query(sql) as Promise<{ rows: Record<string, any>[] }>;
  const queries = [ENTRIES, POSTINGS, ITEMS].map((sql, k) => `${sql}${ORDER[k]}`);
  // Until every stream is read to its end and committed: a connection left in a transaction or a COPY is not reused.
  let healthy = false;
  try {
    for (let k = 0; k < queries.length; k++) conns.push(await client.acquireConnection());
    const [first, ...rest] = conns as [Conn, ...Conn[]];
    await q(first, "begin isolation level repeatable read read only");
    const { rows: [snap] } = await q(first, "select pg_export_snapshot() as id");
    for (const c of rest) {
      await q(c, "begin isolation level repeatable read read only");
      await q(c, `set transaction snapshot '${snap!.id}'`);
    }
    // Plans that give rows in sequence order as they go (the committee's entries by their (committee_id, seq) index,
    // each entry's rows found by its key), not hash joins sorted at the end: those send nothing until the sort of
    // the whole ledger is done (seconds for a million entries, spilled to disk), while this process waits. No JIT:
    // compiling these plans costs more than it saves.
    for (const c of conns) await q(c, "set local enable_hashjoin = off; set local enable_mergejoin = off; set local enable_sort = off; set local jit = off");
    const read: Record<string, any>[][] = [];
    for (const sql of LOOKUPS) read.push((await q(first, sql)).rows);
    const found = lookups(read);
    // The id is a checked integer: spelled inline (COPY takes no parameters).
    const streams = queries.map((sql, k) =>
      conns[k]!.query(copyTo(`copy (${sql.replace("$1", String(committeeId))}) to stdout`)) as unknown as Readable);
    const rows = streams.map((s) => new CopyRows(s));
    await new Merge(code, found, copyText, visit).run(rows[0]!, rows[1]!, rows[2]!);
    for (const c of conns) await q(c, "commit");
    healthy = true;
  } finally {
    // A COPY left half read cannot be ended cleanly: its connection is closed, and the pool makes another.
    for (const c of conns) {
      if (!healthy) {
        // Marked as knex marks a connection that ended, so that the pool makes a new one instead of handing it out.
        (c as unknown as { __knex__disposed: string }).__knex__disposed = "a COPY was left part-way";
        (c as unknown as { end(): void }).end();
      }
      await client.releaseConnection(c);
    }
  }
}

/** COPY's text format, a line a row: tab-separated fields (decoded by copyText when read). */
class CopyRows implements Rows {
  private rows: Row[] = [];
  private i = 0;
  /** The bytes after a chunk's last line end: the start of a row (and maybe of a character) the next chunk ends. */
  private rest: Buffer | null = null;
  private ended = false;
  private readonly chunks: AsyncIterator<Buffer>;

  constructor(stream: Readable) {
    // An error is read through the iterator; one on a stream never read yet (another stream failed first, and the
    // clean-up ends its connection) must not reach the process as an unhandled 'error'.
    stream.on("error", () => undefined);
    this.chunks = stream[Symbol.asyncIterator]();
  }

  peek(): Row | null | undefined {
    if (this.i < this.rows.length) return this.rows[this.i]!;
    return this.ended ? null : undefined;
  }

  take(): void {
    this.i++;
  }

  async fill(): Promise<void> {
    this.rows = [];
    this.i = 0;
    while (this.rows.length === 0 && !this.ended) {
      const next = await this.chunks.next();
      if (next.done) {
        assert(this.rest === null, "COPY ends with a whole row");
        this.ended = true;
        return;
      }
      const chunk = this.rest ? Buffer.concat([this.rest, next.value as Buffer]) : (next.value as Buffer);
      // A row ends at a newline byte, which never occurs inside a UTF-8 character: whole rows decode alone.
      const end = chunk.lastIndexOf(10);
      this.rest = end + 1 < chunk.length ? chunk.subarray(end + 1) : null;
      if (end < 0) continue;
      const lines = chunk.toString("utf8", 0, end).split("\n");
      for (const line of lines) this.rows.push(line.split("\t"));
    }
  }
}

const ESCAPES: Record<string, string> = { b: "\b", f: "\f", n: "\n", r: "\r", t: "\t", v: "\v" };

/** A field of COPY's text format: \N is null; a backslash escapes the next character (\n, \t … as in C). */
function copyText(f: string | null): string | null {
  if (f === "\\N") return null;
  if (f === null || f.indexOf("\\") < 0) return f;
  return f.replace(/\\(.)/g, (_, c: string) => ESCAPES[c] ?? c);
}

// ---------------------------------------------------------------- the paged reader

async function pagedWalk(db: Knex | Knex.Transaction, committeeId: number, code: string, visit: Visit): Promise<void> {
  const client = db.client as unknown as ClientOf;
  // Each query on the connection when it runs: in a transaction, the transaction's; otherwise taken and given back,
  // so that on PGlite other requests go in between pages.
  const query = async (sql: string, values: unknown[], rowMode?: "array"): Promise<any[]> => {
    const conn = await client.acquireConnection();
    try {
      return ((await conn.query({ text: sql, values, rowMode })) as { rows: any[] }).rows;
    } finally {
      if (!db.isTransaction) await client.releaseConnection(conn);
    }
  };
  // The walk ends at the head seen before the accounts, campaigns and books are read: pages go in between other
  // requests, and an entry recorded meanwhile may name a campaign or book those reads did not see, while every entry
  // up to this head was committed after what it names, so before those reads began.
  const [head] = await query("select coalesce(max(seq), 0) from journal_entries where committee_id = $1", [committeeId], "array") as Row[];
  const last = Number(head![0]);
  const found: Record<string, any>[][] = [];
  for (const sql of LOOKUPS) found.push(await query(sql, []));
  const merge = new Merge(code, lookups(found), (f) => f, visit);
  let after = 0;
  while (after < last) {
    // The page's last sequence first (from the index alone), so that every query of the page reads that range only:
    // with a LIMIT instead, the planner joins every entry after the page before it sorts and cuts.
    const [end] = await query(`select seq from journal_entries where committee_id = $1 and seq > $2 order by seq offset ${PAGE - 1} limit 1`,
      [committeeId, after], "array") as Row[];
    const upTo = end && Number(end[0]) < last ? end[0]! : String(last);
    const entries: Row[] = await query(`${ENTRIES} and e.seq > $2 and e.seq <= $3${ORDER[0]}`, [committeeId, after, upTo], "array");
    if (entries.length === 0) return;
    const pageEnd = entries[entries.length - 1]![E.seq]!;
    const range = [committeeId, after, pageEnd];
    const postings: Row[] = await query(`${POSTINGS} and e.seq > $2 and e.seq <= $3${ORDER[1]}`, range, "array");
    const items: Row[] = await query(`${ITEMS} and e.seq > $2 and e.seq <= $3${ORDER[2]}`, range, "array");
    await merge.run(new PageRows(entries), new PageRows(postings), new PageRows(items));
    after = Number(pageEnd);
  }
}

class PageRows implements Rows {
  private i = 0;
  constructor(private readonly rows: Row[]) {}
  peek(): Row | null {
    return this.i < this.rows.length ? this.rows[this.i]! : null;
  }
  take(): void {
    this.i++;
  }
  async fill(): Promise<void> {}
}

// ---------------------------------------------------------------- merging by sequence

/** Rows in order: peek gives the next (null at the end, undefined when fill must be awaited first). */
interface Rows {
  peek(): Row | null | undefined;
  take(): void;
  fill(): Promise<void>;
}

/** The rows of `rows` that belong to the entry of sequence `seq` (its children come next, in order). */
async function runOf(rows: Rows, seq: string): Promise<Row[]> {
  const out: Row[] = [];
  for (;;) {
    if (rows.peek() === undefined) await rows.fill();
    const r = rows.peek();
    if (!r || r[0] !== seq) return out;
    out.push(r);
    rows.take();
  }
}

class Merge {
  constructor(private readonly committeeCode: string, private readonly found: Lookups,
    /** A field's value as its reader gives it, to the text it stands for. */
    private readonly text: (f: string | null) => string | null, private readonly visit: Visit) {}

  /** Every entry of `entries` with its postings and goods; the children must hold no row of another entry. */
  async run(entries: Rows, postings: Rows, items: Rows): Promise<void> {
    for (;;) {
      const e = entries.peek();
      if (e === undefined) {
        await entries.fill();
        continue;
      }
      if (e === null) break;
      entries.take();
      const seq = e[E.seq]!;
      const ps = await runOf(postings, seq);
      const is = await runOf(items, seq);
      this.visit(...this.toEntry(e, ps, is));
    }
    for (const rest of [postings, items]) {
      if (rest.peek() === undefined) await rest.fill();
      assert(rest.peek() === null, "every posting and goods row read belongs to an entry read, in sequence order");
    }
  }

  /** An entry as the ledger's other reads make it (the store's loadEntries), and the links beside it. */
  private toEntry(row: Row, postings: Row[], items: Row[]): [CommittedEntry, EntryLinks] {
    const t = this.text;
    const donation = t(row[E.dMethod]!) !== null;
    const disbursement = t(row[E.xMethod]!) !== null;
    const voucherNo = t(row[E.voucherNo]!);
    const campaignId = t(row[E.campaignId]!);
    const campaign = campaignId === null ? undefined : this.found.campaigns.get(campaignId);
    const entryPostings: CommittedEntry["postings"] = [];
    const postingLinks: EntryLinks["postings"] = [];
    for (const p of postings) {
      const a = this.found.accounts.get(p[4]!);
      // A posting whose account is missing is not one of the entry's postings (the hash then fails), as elsewhere.
      if (a) entryPostings.push({ account: a.account, amountDong: BigInt(p[2]!), line: Number(p[1]) });
      postingLinks.push({ committeeId: Number(p[3]), accountCommitteeId: a ? a.committeeId : null });
    }
    const entryItems: CommittedEntry["items"] = [];
    const itemCommitteeIds: number[] = [];
    for (const it of items) {
      entryItems.push({
        line: Number(it[1]), description: t(it[2]!)!, quantity: t(it[3]!)!, unit: t(it[4]!)!, unitValueDong: BigInt(it[5]!),
        valueDong: BigInt(it[6]!), valuationBasis: t(it[7]!)!,
      });
      itemCommitteeIds.push(Number(it[8]));
    }
    const donorKey = donation ? t(row[E.donorKey]!) : null;
    const entry: CommittedEntry = {
      id: t(row[E.id]!)!,
      kind: t(row[E.kind]!) as CommittedEntry["kind"],
      entryDate: t(row[E.date]!)!,
      description: t(row[E.description]!)!,
      campaign: campaignId === null ? null : { id: Number(campaignId), code: campaign?.code ?? null! },
      reversalOf: t(row[E.reversalOf]!),
      resolutionRef: t(row[E.resolutionRef]!),
      requiredApprovals: Number(row[E.approvals]) as 1 | 2,
      postings: entryPostings,
      voucherSeries: null,
      donation: donation ? {
        method: t(row[E.dMethod]!) as never, donorName: t(row[E.donorName]!)!, donorKind: t(row[E.donorKind]!) as never,
        publishName: row[E.publishName] === "true", bankAccount: t(row[E.bankAccount]!), bankReference: t(row[E.bankReference]!),
        note: t(row[E.dNote]!),
      } : null,
      items: entryItems,
      disbursement: disbursement ? {
        method: t(row[E.xMethod]!) as never, beneficiaryName: t(row[E.beneficiaryName]!)!, category: t(row[E.category]!) as never,
        area: t(row[E.area]!)!, purpose: t(row[E.purpose]!) as never, quantity: t(row[E.xQuantity]!), unit: t(row[E.xUnit]!), note: t(row[E.xNote]!),
      } : null,
      donorIdentity: donorKey !== null
        ? { key: donorKey, name: t(row[E.donorRowName]!)!, kind: t(row[E.donorRowKind]!)!, phone: t(row[E.donorPhone]!) }
        : null,
      beneficiaryIdentity: null,
      committeeId: Number(row[E.committeeId]),
      committeeCode: this.committeeCode,
      seq: Number(row[E.seq]),
      recordedAt: row[E.recordedAt]!,
      recordedBy: Number(row[E.recordedBy]),
      idempotencyKey: t(row[E.idempotencyKey]!),
      voucherNo,
      prevHash: t(row[E.prevHash]!)!,
      hash: t(row[E.hash]!)!,
    };
    const num = (k: number) => {
      const v = t(row[k]!);
      return v === null ? null : Number(v);
    };
    const links: EntryLinks = {
      campaignCommitteeId: campaign?.committeeId ?? null,
      postings: postingLinks,
      donation: donation ? {
        committeeId: num(E.dCommittee)!, campaignId: num(E.dCampaign)!, donorCommitteeId: num(E.donorCommittee), donorKind: t(row[E.donorRowKind]!),
      } : null,
      disbursement: disbursement ? {
        committeeId: num(E.xCommittee)!, campaignId: num(E.xCampaign)!,
        beneficiary: t(row[E.bfCommittee]!) === null ? null
          : { committeeId: num(E.bfCommittee)!, name: t(row[E.bfName]!)!, category: t(row[E.bfCategory]!)!, area: t(row[E.bfArea]!)! },
      } : null,
      itemCommitteeIds,
      voucher: voucherNo === null ? null : {
        committeeId: num(E.vCommittee)!, year: num(E.vYear)!, number: num(E.vNumber)!, voucherNo,
        book: this.found.books.get(t(row[E.vBook]!)!) ?? null,
      },
    };
    return [entry, links];
  }
}

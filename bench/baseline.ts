import { randomUUID } from "node:crypto";
import pg from "pg";
import { requestHash } from "../src/http/route.js";
import { canonicalEntry, chainHash } from "../src/ledger/canonical.js";
import { ANONYMOUS_DONOR } from "../src/ledger/service.js";
import type { Campaign, CommittedEntry } from "../src/ledger/types.js";
import { entryView } from "../src/ledger/view.js";
import { type DonationSource, type DonationSpec, donationBody } from "./data.js";

// The plain-SQL baselines: the rows the service writes for a donation
// (journal_entries, 2 postings, donations, a voucher for cash, the donor row
// when new, the idempotency record with its stored response), written without
// the service, through pg directly, with every trigger on. Both take the
// committee row FOR NO KEY UPDATE, read the chain head and hash in TypeScript
// with the service's own canonicalEntry/chainHash.

export interface BaselineTarget {
  databaseUrl: string;
  committee: { id: number; code: string };
  campaign: Campaign;
  recordedBy: number;
  ptBook: { id: number; code: string };
}

export interface BaselineResult {
  entries: number;
  seconds: number;
  perSecond: number;
  latenciesMs: number[];
  phases?: { tx: number; planMs: number; insertMs: number; triggersMs: number; commitMs: number };
}

interface Built {
  entry: CommittedEntry;
  spec: DonationSpec;
  donorKey: string;
  donorName: string;
  voucher: { year: number; number: number } | null;
}

const methodWords = { cash: "tiền mặt", bank: "chuyển khoản" } as const;

function normaliseKey(s: string): string {
  return s.normalize("NFC").trim().toLocaleLowerCase("vi").replace(/\s+/g, " ");
}

function build(t: BaselineTarget, spec: DonationSpec, head: { seq: number; hash: string }, voucher: Built["voucher"]): Built {
  const donorName = spec.donor.kind === "anonymous" ? spec.donor.name?.trim() || ANONYMOUS_DONOR : spec.donor.name!.trim();
  const phone = spec.donor.phone?.replace(/\D/g, "") || null;
  const asset = spec.method === "cash" ? t.campaign.accounts.cash : t.campaign.accounts.bank;
  const voucherNo = voucher ? `${t.ptBook.code === "PT" ? "PT" : `PT-${t.ptBook.code}`}-${voucher.year}-${String(voucher.number).padStart(6, "0")}` : null;
  const unhashed = {
    id: randomUUID(),
    kind: "donation" as const,
    entryDate: spec.receivedOn,
    description: `Nhận ủng hộ ${methodWords[spec.method]} của ${donorName}`,
    campaign: { id: t.campaign.id, code: t.campaign.code },
    reversalOf: null,
    postings: [
      { account: asset, amountDong: spec.amountDong },
      { account: t.campaign.accounts.income, amountDong: -spec.amountDong },
    ],
    voucherSeries: spec.method === "cash" ? ("PT" as const) : null,
    donation: {
      method: spec.method, donorName, donorKind: spec.donor.kind, publishName: spec.donor.publishName,
      bankAccount: spec.bankAccount ?? null, bankReference: spec.bankReference ?? null, note: null,
    },
    items: [],
    disbursement: null,
    donorIdentity: null,
    beneficiaryIdentity: null,
    committeeId: t.committee.id,
    committeeCode: t.committee.code,
    seq: head.seq + 1,
    recordedAt: new Date().toISOString(),
    recordedBy: t.recordedBy,
    idempotencyKey: spec.key,
    voucherNo,
    // Fields the entry type is gaining (approval workflow); their columns default to these values.
    resolutionRef: null,
    requiredApprovals: 1,
  } as unknown as Omit<CommittedEntry, "hash" | "prevHash">;
  const hash = chainHash(head.hash, canonicalEntry(unhashed));
  return {
    entry: { ...unhashed, prevHash: head.hash, hash } as CommittedEntry,
    spec,
    donorKey: [spec.donor.kind, normaliseKey(donorName), phone ?? ""].join("|"),
    donorName,
    voucher,
  };
}

// Column lists and row values, shared by the one-row and the multi-row inserts.
const tables = {
  journal_entries: ["id", "committee_id", "seq", "entry_date", "recorded_at", "kind", "description", "campaign_id", "recorded_by",
    "idempotency_key", "reversal_of", "prev_hash", "hash"],
  postings: ["entry_id", "committee_id", "line", "account_id", "amount_dong"],
  donations: ["entry_id", "committee_id", "campaign_id", "method", "donor_id", "donor_name", "donor_kind", "publish_name",
    "bank_account", "bank_reference", "note"],
  vouchers: ["committee_id", "book_id", "year", "number", "voucher_no", "entry_id"],
  idempotency_keys: ["committee_id", "key", "request_hash", "entry_id", "response"],
} as const;
type Table = keyof typeof tables;

function rowsOf(t: BaselineTarget, b: Built, donorId: number, path: string): Record<Table, unknown[][]> {
  const e = b.entry;
  const c = t.committee.id;
  const view = entryView(e);
  return {
    journal_entries: [[e.id, c, e.seq, e.entryDate, e.recordedAt, e.kind, e.description, t.campaign.id, e.recordedBy, e.idempotencyKey,
      null, e.prevHash, e.hash]],
    postings: e.postings.map((p, i) => [e.id, c, i + 1, p.account.id, p.amountDong.toString()]),
    donations: [[e.id, c, t.campaign.id, e.donation!.method, donorId, e.donation!.donorName, e.donation!.donorKind,
      e.donation!.publishName, e.donation!.bankAccount, e.donation!.bankReference, null]],
    vouchers: b.voucher ? [[c, t.ptBook.id, b.voucher.year, b.voucher.number, e.voucherNo, e.id]] : [],
    idempotency_keys: [[c, e.idempotencyKey, requestHash("post", path, JSON.parse(donationBody(b.spec))), e.id, JSON.stringify(view)]],
  };
}

const columnTypes: Record<Table, string[]> = {
  journal_entries: ["uuid", "bigint", "bigint", "date", "timestamptz", "text", "text", "bigint", "bigint", "text", "uuid", "text", "text"],
  postings: ["uuid", "bigint", "smallint", "bigint", "bigint"],
  donations: ["uuid", "bigint", "bigint", "text", "bigint", "text", "text", "boolean", "text", "text", "text"],
  vouchers: ["bigint", "bigint", "int", "int", "text", "uuid"],
  idempotency_keys: ["bigint", "text", "text", "uuid", "jsonb"],
};

/** One fixed statement per table, whatever the number of rows: one array parameter per column. */
function unnestQuery(table: Table, rows: unknown[][]): pg.QueryConfig {
  const cols = tables[table];
  const types = columnTypes[table];
  return {
    name: `bench_unnest_${table}`, // a named statement: parsed and planned once per connection
    text: `insert into ${table} (${cols.join(",")}) select * from unnest(${types.map((ty, i) => `$${i + 1}::${ty}[]`).join(", ")})`,
    values: cols.map((_, i) => rows.map((r) => r[i])),
  };
}

function insertSql(table: Table, nRows: number): string {
  const cols = tables[table];
  const values: string[] = [];
  let p = 0;
  for (let r = 0; r < nRows; r++) values.push(`(${cols.map(() => `$${++p}`).join(",")})`);
  return `insert into ${table} (${cols.join(",")}) values ${values.join(",")}`;
}

const LOCK = "select id from committees where id = $1 for no key update";
const HEAD = "select seq, hash from journal_entries where committee_id = $1 order by seq desc limit 1";
const GENESIS = "0".repeat(64);

async function readHead(c: pg.Client, committeeId: number) {
  const r = await c.query(HEAD, [committeeId]);
  return r.rows[0] ? { seq: Number(r.rows[0].seq), hash: r.rows[0].hash as string } : { seq: 0, hash: GENESIS };
}

/** (a) The naive design: one entry per transaction, `conns` connections racing for the committee lock. */
export async function baselineOnePerTx(t: BaselineTarget, source: DonationSource, conns: number, seconds: number): Promise<BaselineResult> {
  const clients = await Promise.all(Array.from({ length: conns }, async () => {
    const c = new pg.Client({ connectionString: t.databaseUrl });
    await c.connect();
    return c;
  }));
  const path = `/api/v1/campaigns/${t.campaign.code}/donations`;
  const latencies: number[] = [];
  let entries = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  let last = t0;
  try {
    await Promise.all(clients.map(async (c) => {
      while (performance.now() < until) {
        const spec = source.next();
        const started = performance.now();
        await c.query("begin");
        try {
          await c.query(LOCK, [t.committee.id]);
          const head = await readHead(c, t.committee.id);
          let voucher: Built["voucher"] = null;
          if (spec.method === "cash") {
            const year = Number(spec.receivedOn.slice(0, 4));
            const r = await c.query("select number as n from vouchers where book_id = $1 and year = $2 order by number desc limit 1", [t.ptBook.id, year]);
            voucher = { year, number: Number(r.rows[0]?.n ?? 0) + 1 };
          }
          const b = build(t, spec, head, voucher);
          const donor = await c.query(
            `with ins as (insert into donors (committee_id, identity_key, name, kind, phone) values ($1, $2, $3, $4, $5)
               on conflict (committee_id, identity_key) do nothing returning id)
             select id from ins union all select id from donors where committee_id = $1 and identity_key = $2 limit 1`,
            [t.committee.id, b.donorKey, b.donorName, spec.donor.kind, spec.donor.phone?.replace(/\D/g, "") || null],
          );
          const rows = rowsOf(t, b, Number(donor.rows[0].id), path);
          for (const table of Object.keys(tables) as Table[]) {
            const list = rows[table];
            if (list.length > 0) await c.query(insertSql(table, list.length), list.flat());
          }
          await c.query("commit");
        } catch (error) {
          await c.query("rollback");
          throw error;
        }
        last = performance.now();
        latencies.push(last - started);
        entries++;
      }
    }));
  } finally {
    await Promise.all(clients.map((c) => c.end()));
  }
  const secs = (last - t0) / 1000;
  return { entries, seconds: secs, perSecond: entries / secs, latenciesMs: latencies };
}

/** (b) Group commit by hand: transactions of `batch` entries, multi-row inserts, one connection. */
export async function baselineBatched(t: BaselineTarget, source: DonationSource, batch: number, seconds: number,
  insertMode: "values" | "unnest" = "values"): Promise<BaselineResult> {
  const c = new pg.Client({ connectionString: t.databaseUrl });
  await c.connect();
  const path = `/api/v1/campaigns/${t.campaign.code}/donations`;
  const latencies: number[] = [];
  const phases = { tx: 0, planMs: 0, insertMs: 0, triggersMs: 0, commitMs: 0 };
  let entries = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  let last = t0;
  try {
    while (performance.now() < until) {
      const started = performance.now();
      const specs = Array.from({ length: batch }, () => source.next());
      await c.query("begin");
      try {
        await c.query(LOCK, [t.committee.id]);
        let head = await readHead(c, t.committee.id);
        const years = [...new Set(specs.filter((s) => s.method === "cash").map((s) => Number(s.receivedOn.slice(0, 4))))];
        const lastNo = new Map<number, number>();
        for (const year of years) {
          // one query per year, answered from the end of the primary key (book_id, year, number)
          // (written as order by … limit 1: with stale statistics PostgreSQL answers a bare max() by
          // reading every voucher of the year — seen here at 4.7 ms for 17,000 vouchers)
          const r = await c.query("select number as n from vouchers where book_id = $1 and year = $2 order by number desc limit 1", [t.ptBook.id, year]);
          if (r.rows[0]) lastNo.set(year, Number(r.rows[0].n));
        }
        const built = specs.map((spec) => {
          let voucher: Built["voucher"] = null;
          if (spec.method === "cash") {
            const year = Number(spec.receivedOn.slice(0, 4));
            const number = (lastNo.get(year) ?? 0) + 1;
            lastNo.set(year, number);
            voucher = { year, number };
          }
          const b = build(t, spec, head, voucher);
          head = { seq: b.entry.seq, hash: b.entry.hash };
          return b;
        });
        const donors = [...new Map(built.map((b) => [b.donorKey, b])).values()];
        await c.query(
          `insert into donors (committee_id, identity_key, name, kind, phone) values ${donors.map((_, i) => `($1, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4}, $${i * 4 + 5})`).join(",")}
           on conflict (committee_id, identity_key) do nothing`,
          [t.committee.id, ...donors.flatMap((b) => [b.donorKey, b.donorName, b.spec.donor.kind, b.spec.donor.phone?.replace(/\D/g, "") || null])],
        );
        const ids = await c.query("select id, identity_key from donors where committee_id = $1 and identity_key = any($2)",
          [t.committee.id, donors.map((b) => b.donorKey)]);
        const donorId = new Map<string, number>(ids.rows.map((r) => [r.identity_key as string, Number(r.id)]));
        const all: Record<Table, unknown[][]> = { journal_entries: [], postings: [], donations: [], vouchers: [], idempotency_keys: [] };
        for (const b of built) {
          const rows = rowsOf(t, b, donorId.get(b.donorKey)!, path);
          for (const table of Object.keys(tables) as Table[]) all[table].push(...rows[table]);
        }
        const t1 = performance.now();
        for (const table of Object.keys(tables) as Table[]) {
          if (all[table].length === 0) continue;
          if (insertMode === "unnest") await c.query(unnestQuery(table, all[table]));
          else await c.query(insertSql(table, all[table].length), all[table].flat());
        }
        const t2 = performance.now();
        await c.query("set constraints all immediate"); // fires the deferred triggers now, so they can be timed apart
        const t3 = performance.now();
        await c.query("commit");
        const t4 = performance.now();
        phases.tx++;
        phases.planMs += t1 - started;
        phases.insertMs += t2 - t1;
        phases.triggersMs += t3 - t2;
        phases.commitMs += t4 - t3;
      } catch (error) {
        await c.query("rollback");
        throw error;
      }
      last = performance.now();
      latencies.push(last - started);
      entries += batch;
    }
  } finally {
    await c.end();
  }
  const secs = (last - t0) / 1000;
  return { entries, seconds: secs, perSecond: entries / secs, latenciesMs: latencies, phases };
}

export interface ExplainedBatch {
  entries: number;
  statements: { table: string; rows: number; ms: number; triggers: { name: string; ms: number; calls: number }[] }[];
  deferredMs: number;
  canonicalMs: number;
}

/**
 * One batch written under EXPLAIN ANALYZE, then rolled back: the time of each
 * insert, of each immediate trigger (foreign keys included) and of the deferred
 * triggers, and what the canonical text costs when built alone for the batch's
 * entries.
 */
export async function explainBatch(t: BaselineTarget, source: DonationSource, batch: number): Promise<ExplainedBatch> {
  const c = new pg.Client({ connectionString: t.databaseUrl });
  await c.connect();
  const path = `/api/v1/campaigns/${t.campaign.code}/donations`;
  let out: ExplainedBatch = { entries: batch, statements: [], deferredMs: 0, canonicalMs: 0 };
  try {
    // Twice on one connection, keeping the second: the first plans every trigger's queries.
    for (let round = 0; round < 2; round++) {
    out = { entries: batch, statements: [], deferredMs: 0, canonicalMs: 0 };
    await c.query("begin");
    await c.query(LOCK, [t.committee.id]);
    let head = await readHead(c, t.committee.id);
    const r = await c.query("select number as n from vouchers where book_id = $1 and year = 2025 order by number desc limit 1", [t.ptBook.id]);
    const lastNo = new Map<number, number>(r.rows[0] ? [[2025, Number(r.rows[0].n)]] : []);
    const built = Array.from({ length: batch }, () => source.next()).map((spec) => {
      let voucher: Built["voucher"] = null;
      if (spec.method === "cash") {
        const year = Number(spec.receivedOn.slice(0, 4));
        const number = (lastNo.get(year) ?? 0) + 1;
        lastNo.set(year, number);
        voucher = { year, number };
      }
      const b = build(t, spec, head, voucher);
      head = { seq: b.entry.seq, hash: b.entry.hash };
      return b;
    });
    const donors = [...new Map(built.map((b) => [b.donorKey, b])).values()];
    const explain = async (table: string, rows: number, sql: string, params: unknown[]) => {
      const res = await c.query(`explain (analyze, format json) ${sql}`, params);
      const plan = res.rows[0]["QUERY PLAN"][0];
      out.statements.push({
        table, rows, ms: plan["Execution Time"],
        triggers: (plan.Triggers ?? []).map((x: Record<string, unknown>) => ({ name: x["Trigger Name"] as string, ms: x.Time as number, calls: x.Calls as number })),
      });
    };
    await explain("donors", donors.length,
      `insert into donors (committee_id, identity_key, name, kind, phone) values ${donors.map((_, i) => `($1, $${i * 4 + 2}, $${i * 4 + 3}, $${i * 4 + 4}, $${i * 4 + 5})`).join(",")}
       on conflict (committee_id, identity_key) do nothing`,
      [t.committee.id, ...donors.flatMap((b) => [b.donorKey, b.donorName, b.spec.donor.kind, b.spec.donor.phone?.replace(/\D/g, "") || null])]);
    const ids = await c.query("select id, identity_key from donors where committee_id = $1 and identity_key = any($2)",
      [t.committee.id, donors.map((b) => b.donorKey)]);
    const donorId = new Map<string, number>(ids.rows.map((x) => [x.identity_key as string, Number(x.id)]));
    const all: Record<Table, unknown[][]> = { journal_entries: [], postings: [], donations: [], vouchers: [], idempotency_keys: [] };
    for (const b of built) {
      const rows = rowsOf(t, b, donorId.get(b.donorKey)!, path);
      for (const table of Object.keys(tables) as Table[]) all[table].push(...rows[table]);
    }
    for (const table of Object.keys(tables) as Table[]) {
      if (all[table].length > 0) await explain(table, all[table].length, insertSql(table, all[table].length), all[table].flat());
    }
    const entryIds = built.map((b) => b.entry.id);
    let t0 = performance.now();
    await c.query("select count(soquy_entry_canonical(id)) from unnest($1::uuid[]) id", [entryIds]);
    out.canonicalMs = performance.now() - t0;
    t0 = performance.now();
    await c.query("set constraints all immediate");
    out.deferredMs = performance.now() - t0;
    await c.query("rollback");
    }
  } finally {
    await c.query("rollback").catch(() => {});
    await c.end();
  }
  return out;
}

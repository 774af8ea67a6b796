import type { Knex } from "knex";
import { onServer } from "./chain.js";
import { assert } from "../ledger/assert.js";
import type { FigureRow, Publication } from "../ledger/figures.js";

// Reads behind the public figures. The current figures are sums of the kept
// rows in public_figures (a few per campaign, day and key: never a scan of the
// ledger). Figures at an earlier publication are recomputed from the entries
// published up to it, with the same SQL definition the triggers use, and kept
// in public_snapshots so a permalink answers fast the next time.

export interface FigureScope {
  campaignIds: number[] | null; // null: every campaign of the committee
  from: string | null; // document dates, inclusive
  to: string | null;
}

export interface FigureSet {
  publication: Publication;
  rows: FigureRow[];
  /** Holdings before `from` (asset rows), when the scope starts at a date. */
  opening: FigureRow[];
}

const MAX_SNAPSHOT_MEMO = 10_000;

/**
 * The public generation of the committee with this code (null: the sum over every committee) and when it last
 * changed; undefined for a code no committee has.
 */
export async function publicGeneration(knex: Knex, committeeCode: string | null): Promise<{ value: string; changed_at: Date | null } | undefined> {
  const { rows } = committeeCode === null
    ? await knex.raw("select coalesce(sum(generation), 0)::text as value, max(changed_at) as changed_at from public_generations")
    : await knex.raw(`select g.generation::text as value, g.changed_at from public_generations g
        join committees c on c.id = g.committee_id where c.code = ?`, [committeeCode]);
  return rows[0] as { value: string; changed_at: Date | null } | undefined;
}

export class PublicQueries {
  /** Snapshot keys known to be stored, so the live path writes each at most once. */
  private readonly stored = new Set<string>();

  /** Reads with `knex` (a standby's pool, for public answers); what it keeps (snapshots, checkpoints) goes to `writer`, the primary. */
  constructor(private readonly knex: Knex, private readonly writer: Knex = knex) {}

  async currentPublication(committeeId: number, db: Knex | Knex.Transaction = this.knex): Promise<Publication> {
    const row = await db("public_heads").where({ committee_id: committeeId }).first();
    if (!row) return { vseq: 0, publishedAt: null, headSeq: 0, headHash: null };
    return toPublication(row);
  }

  /** The publication with this number, or the last one made at or before a time. */
  async publication(committeeId: number, at: { vseq: number } | { time: string }): Promise<Publication | null> {
    const q = this.knex("entry_verified").where({ committee_id: committeeId });
    const row = "vseq" in at
      ? await q.where({ vseq: at.vseq }).first()
      : await q.where("published_at", "<=", at.time).orderBy("vseq", "desc").first();
    if (row) return toPublication(row);
    if ("vseq" in at ? at.vseq === 0 : true) return { vseq: 0, publishedAt: null, headSeq: 0, headHash: null };
    return null;
  }

  /** The figures as they stand now, read in one snapshot with the publication they belong to. */
  async live(committeeId: number, scope: FigureScope): Promise<FigureSet> {
    // One statement, so the head and the sums come from one snapshot (and one round trip).
    const binds: Knex.Value[] = [committeeId, committeeId];
    let filter = "";
    if (scope.campaignIds) {
      filter += " and campaign_id = any(?::bigint[])";
      binds.push(scope.campaignIds as unknown as Knex.Value);
    }
    const rowsFilter = `${filter}${scope.from ? " and entry_date >= ?" : ""}${scope.to ? " and entry_date <= ?" : ""}`;
    const rowBinds = [...binds, ...(scope.from ? [scope.from] : []), ...(scope.to ? [scope.to] : [])];
    const sums = (part: string, where: string) => `select '${part}' as part, campaign_id, metric, key, sum(amount_dong) as amount_dong,
        sum(quantity) as quantity, sum(n) as n, null::text as head_hash, null::timestamptz as published_at
      from public_figures where committee_id = ? and exists (select 1 from public_heads where committee_id = ?)${where}
      group by campaign_id, metric, key`;
    let sql = `select 'h' as part, head_seq as campaign_id, '' as metric, '' as key, vseq as amount_dong, 0 as quantity, 0 as n,
        head_hash, published_at from public_heads where committee_id = ?
      union all ${sums("r", rowsFilter)}`;
    const all: Knex.Value[] = [committeeId, ...rowBinds];
    if (scope.from) {
      sql += ` union all ${sums("o", `${filter} and entry_date < ? and metric = 'asset'`)}`;
      all.push(...binds, scope.from);
    }
    const result = (await this.knex.raw(sql, all)).rows as (RawRow & { part: string; head_hash: string | null; published_at: Date | null })[];
    const head = result.find((r) => r.part === "h");
    const publication: Publication = head
      ? { vseq: Number(head.amount_dong), publishedAt: head.published_at!.toISOString(), headSeq: Number(head.campaign_id), headHash: head.head_hash }
      : { vseq: 0, publishedAt: null, headSeq: 0, headHash: null };
    const set = { publication, rows: toRows(result.filter((r) => r.part === "r")), opening: toRows(result.filter((r) => r.part === "o")) };
    await this.remember(committeeId, scope, set);
    return set;
  }

  /** The figures at an earlier publication: from its snapshot, or recomputed and kept. */
  async at(committeeId: number, scope: FigureScope, publication: Publication): Promise<FigureSet> {
    const key = scopeKey(scope);
    const snap = await this.knex("public_snapshots").where({ committee_id: committeeId, scope: key, vseq: publication.vseq }).first();
    if (snap) return { publication, ...fromJson(snap.figures) };
    const rows = await this.recomputed(committeeId, scope, publication.vseq, false);
    const opening = scope.from ? await this.recomputed(committeeId, scope, publication.vseq, true) : [];
    const set = { publication, rows, opening };
    await this.remember(committeeId, scope, set);
    return set;
  }

  /** Recomputes from the ledger what the kept rows say (for checks and tests). */
  async recomputed(committeeId: number, scope: FigureScope, vseq: number, opening: boolean): Promise<FigureRow[]> {
    const where: string[] = [];
    const binds: Knex.Value[] = [];
    if (scope.campaignIds) {
      where.push(`f.campaign_id = any(?::bigint[])`);
      binds.push(scope.campaignIds);
    }
    if (opening) {
      where.push("f.entry_date < ?", "f.metric = 'asset'");
      binds.push(scope.from!);
    } else {
      if (scope.from) { where.push("f.entry_date >= ?"); binds.push(scope.from!); }
      if (scope.to) { where.push("f.entry_date <= ?"); binds.push(scope.to); }
    }
    const filter = where.map((w) => ` and ${w}`).join("");
    const sums = recomputedSumsSql(filter, false);
    if (opening) return toRows((await this.knex.raw(sums, [committeeId, vseq, ...binds])).rows);
    const reach = recomputedReachSql(filter.replaceAll("f.campaign_id", "r.campaign_id"));
    const sql = `${sums} union all ${reach}`;
    return toRows((await this.knex.raw(sql, [committeeId, vseq, ...binds, committeeId, vseq, ...binds])).rows);
  }

  /**
   * Where the kept sums differ from a recomputation from the published entries (the same two
   * queries as recomputed(), by day), or null: what verify checks.
   */
  async mismatch(committeeId: number): Promise<string | null> {
    // One snapshot for the three reads, with room for the hash joins over a million entries to stay in memory
    // (a few hundred MB at most, for this query only), sums by hashing rather than sorting, and no JIT, whose
    // compiling costs more than it saves here.
    // On PGlite the memory would stay with the embedded database once taken: its defaults there.
    const server = await onServer(this.knex);
    return this.knex.transaction(async (trx) => {
      if (server) await trx.raw("set local work_mem = '256MB'; set local jit = off; set local enable_sort = off");
      return this.mismatchIn(trx, committeeId);
    }, { isolationLevel: "repeatable read", readOnly: true });
  }

  private async mismatchIn(db: Knex.Transaction, committeeId: number): Promise<string | null> {
    const all = Number.MAX_SAFE_INTEGER;
    const sums = await db.raw(`
      with r as (${publishedSumsSql}),
      kept as (
        select campaign_id, entry_date, metric, key, amount_dong, quantity, n from public_figures
        where committee_id = ? and metric not in ('donors', 'households')
      )
      select coalesce(r.campaign_id, kept.campaign_id) as campaign_id, coalesce(r.entry_date, kept.entry_date) as entry_date,
        coalesce(r.metric, kept.metric) as metric, coalesce(r.key, kept.key) as key,
        r.amount_dong as ra, kept.amount_dong as ka, r.n as rn, kept.n as kn
      from r full join kept on kept.campaign_id = r.campaign_id and kept.entry_date = r.entry_date and kept.metric = r.metric and kept.key = r.key
      where coalesce(r.amount_dong, 0) <> coalesce(kept.amount_dong, 0) or coalesce(r.quantity, 0) <> coalesce(kept.quantity, 0)
        or coalesce(r.n, 0) <> coalesce(kept.n, 0)
      limit 1`, [committeeId, all, committeeId]);
    const m = sums.rows[0];
    if (m) {
      return `public figures differ from the published entries: campaign ${m.campaign_id}, ${m.entry_date}, ${m.metric} ${m.key}: ` +
        `kept ${m.ka ?? 0} đồng / ${m.kn ?? 0}, recomputed ${m.ra ?? 0} đồng / ${m.rn ?? 0}`;
    }
    const reach = await db.raw(`
      with r as (${publishedReachSql}),
      kept as (
        select campaign_id, metric, sum(n) as n from public_figures
        where committee_id = ? and metric in ('donors', 'households') group by campaign_id, metric
      )
      select coalesce(r.campaign_id, kept.campaign_id) as campaign_id, coalesce(r.metric, kept.metric) as metric, r.n as rn, kept.n as kn
      from r full join kept on kept.campaign_id = r.campaign_id and kept.metric = r.metric
      where coalesce(r.n, 0) <> coalesce(kept.n, 0) limit 1`, [committeeId, all, committeeId]);
    const d = reach.rows[0];
    if (d) return `public ${d.metric} count of campaign ${d.campaign_id} is ${d.kn ?? 0}, the published entries reach ${d.rn ?? 0}`;
    const head = await db.raw(`select (select vseq from public_heads where committee_id = ?) as kept,
      (select max(vseq) from entry_verified where committee_id = ?) as published, (select count(*) from entry_verified where committee_id = ?) as n`,
    [committeeId, committeeId, committeeId]);
    const h = head.rows[0];
    if (String(h.kept ?? 0) !== String(h.published ?? 0) || String(h.n) !== String(h.published ?? 0)) {
      return `publication numbers are not 1…${h.n} with the head at the last (head ${h.kept ?? 0}, highest ${h.published ?? 0})`;
    }
    return null;
  }

  private async remember(committeeId: number, scope: FigureScope, set: FigureSet): Promise<void> {
    const key = scopeKey(scope);
    const memo = `${committeeId}|${key}|${set.publication.vseq}`;
    // Only whole-life scopes are kept (the permalinks the service hands out most): a period is
    // recomputed when asked again, so anonymous requests cannot grow this append-only table at will.
    if (set.publication.vseq === 0 || scope.from !== null || scope.to !== null || this.stored.has(memo)) return;
    await this.writer("public_snapshots").insert({
      committee_id: committeeId, scope: key, vseq: set.publication.vseq, figures: JSON.stringify(toJson(set)),
    }).onConflict(["committee_id", "scope", "vseq"]).ignore();
    if (this.stored.size >= MAX_SNAPSHOT_MEMO) this.stored.clear();
    this.stored.add(memo);
  }

  async insertCheckpoint(c: CheckpointRow): Promise<StoredCheckpoint> {
    const [row] = await this.writer("checkpoints").insert({
      committee_id: c.committeeId, reason: c.reason, period_close_id: c.periodCloseId, created_by: c.createdBy, vseq: c.vseq,
      head_seq: c.headSeq, head_hash: c.headHash, payload: c.payload, signature: c.signature, key_id: c.keyId, created_at: c.createdAt,
      number: c.number,
    }).returning("*");
    return toCheckpoint(row);
  }

  async checkpoints(committeeId: number, limit: number, before: number | null): Promise<StoredCheckpoint[]> {
    const q = this.knex("checkpoints").where({ committee_id: committeeId }).orderBy("id", "desc").limit(limit);
    if (before !== null) q.where("id", "<", before);
    return (await q).map(toCheckpoint);
  }

  async checkpoint(committeeId: number, id: number): Promise<StoredCheckpoint | null> {
    const row = await this.knex("checkpoints").where({ committee_id: committeeId, id }).first();
    return row ? toCheckpoint(row) : null;
  }

  /**
   * The committee's people for a checkpoint: id, role and the dates each began and stopped acting, never a
   * name (a checkpoint is public; the auditor's statement gives the names against the same ids).
   */
  async people(committeeId: number): Promise<{ id: number; role: string; createdAt: string; disabledAt: string | null }[]> {
    const rows = await this.knex("people").where({ committee_id: committeeId }).orderBy("id").select("id", "role", "created_at", "disabled_at");
    const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
    return rows.map((r) => ({ id: Number(r.id), role: r.role, createdAt: iso(r.created_at), disabledAt: r.disabled_at === null ? null : iso(r.disabled_at) }));
  }

  /** The number the committee's next checkpoint takes (1, 2, 3…; PostgreSQL refuses any other). */
  async nextCheckpointNumber(committeeId: number): Promise<number> {
    const row = await this.knex("checkpoints").where({ committee_id: committeeId }).max("number as n").first();
    return Number(row?.n ?? 0) + 1;
  }

  async checkpointOfClose(committeeId: number, closeId: number): Promise<StoredCheckpoint | null> {
    const row = await this.knex("checkpoints").where({ committee_id: committeeId, period_close_id: closeId }).first();
    return row ? toCheckpoint(row) : null;
  }

  /**
   * Donations for a donor's self-check, by receipt number, bank reference or
   * exact amount and date. Only what the public statement shows: no phone,
   * no bank account, the donor's name only where they agreed to publish it.
   */
  async findDonations(committeeId: number, by: DonationLookup, limit: number): Promise<DonationMatch[]> {
    const k = this.knex;
    const q = k("donations as d")
      .join("journal_entries as e", "e.id", "d.entry_id")
      .join("campaigns as c", "c.id", "d.campaign_id")
      .leftJoin("vouchers as v", "v.entry_id", "e.id")
      .leftJoin("entry_verified as ev", "ev.entry_id", "e.id")
      .where("d.committee_id", committeeId)
      .select("e.id", "e.seq", "e.entry_date", "d.method", "d.publish_name", "d.donor_name", "v.voucher_no", "c.code as campaign_code",
        "c.name as campaign_name", "ev.vseq",
        k.raw(`(select -sum(p.amount_dong) from postings p join accounts a on a.id = p.account_id
          where p.entry_id = e.id and a.role = 'income') as amount_dong`),
        k.raw("exists (select 1 from journal_entries r where r.reversal_of = e.id) as reversed"))
      .orderBy("e.seq").limit(limit);
    if ("receipt" in by) q.where("v.voucher_no", by.receipt);
    else if ("bankReference" in by) q.where("d.bank_reference", by.bankReference);
    else {
      q.where("e.entry_date", by.date).whereRaw(`(select -sum(p.amount_dong) from postings p join accounts a on a.id = p.account_id
          where p.entry_id = e.id and a.role = 'income') = ?`, [by.amountDong.toString()]);
      // A name narrows only among donors who agreed to publish theirs: it must never confirm a hidden name.
      if (by.name) q.where("d.publish_name", true).whereRaw("lower(d.donor_name) like ?", [`%${escapeLike(by.name.toLowerCase())}%`]);
    }
    return (await q).map((r) => ({
      entryId: r.id, sequence: Number(r.seq), date: r.entry_date, method: r.method, donorName: r.publish_name ? r.donor_name : null,
      receiptNumber: r.voucher_no ?? null, campaignCode: r.campaign_code, campaignName: r.campaign_name,
      publication: r.vseq === null ? null : Number(r.vseq), amountDong: BigInt(r.amount_dong ?? 0), reversed: r.reversed === true,
    }));
  }

  /** Pledges recorded up to a time, per campaign. */
  async pledges(committeeId: number, campaignIds: number[] | null, until: string | null): Promise<Map<number, { count: number; amountDong: bigint }>> {
    const q = this.knex("pledges").where({ committee_id: committeeId });
    if (campaignIds) q.whereIn("campaign_id", campaignIds);
    if (until) q.where("recorded_at", "<=", until);
    else q.whereRaw("false");
    const rows = await q.groupBy("campaign_id").select("campaign_id", this.knex.raw("count(*) as n"), this.knex.raw("sum(amount_dong) as amount"));
    return new Map(rows.map((r) => [Number(r.campaign_id), { count: Number(r.n), amountDong: BigInt(r.amount) }]));
  }
}

export type DonationLookup =
  | { receipt: string }
  | { bankReference: string }
  | { amountDong: bigint; date: string; name?: string | undefined };

export interface DonationMatch {
  entryId: string;
  sequence: number;
  date: string;
  method: "cash" | "bank" | "in_kind";
  donorName: string | null;
  receiptNumber: string | null;
  campaignCode: string;
  campaignName: string;
  /** The publication that made it public (verified), or null while unverified. */
  publication: number | null;
  amountDong: bigint;
  reversed: boolean;
}

function escapeLike(s: string): string {
  return s.replace(/[\\%_]/g, (c) => `\\${c}`);
}

export interface CheckpointRow {
  committeeId: number;
  reason: "period_close" | "on_demand";
  periodCloseId: number | null;
  createdBy: number | null;
  vseq: number;
  headSeq: number;
  headHash: string;
  payload: string;
  signature: string;
  keyId: string;
  createdAt: string;
  /** The committee's own count: 1, 2, 3… */
  number: number;
}

export interface StoredCheckpoint extends CheckpointRow {
  id: number;
}

function toCheckpoint(r: Record<string, any>): StoredCheckpoint {
  return {
    id: Number(r.id), committeeId: Number(r.committee_id), reason: r.reason, periodCloseId: r.period_close_id === null ? null : Number(r.period_close_id),
    createdBy: r.created_by === null ? null : Number(r.created_by), vseq: Number(r.vseq), headSeq: Number(r.head_seq), headHash: r.head_hash,
    payload: r.payload, signature: r.signature, keyId: r.key_id, createdAt: (r.created_at as Date).toISOString(), number: Number(r.number),
  };
}

/** Σ of the published entries' contributions (committee, then vseq bound), per campaign, metric and key (and day). */
function recomputedSumsSql(filter: string, byDate: boolean): string {
  const day = byDate ? "f.entry_date, " : "";
  return `select f.campaign_id, ${day}f.metric, f.key, sum(f.amount_dong) as amount_dong, sum(f.quantity) as quantity, sum(f.n) as n
    from entry_verified ev cross join lateral soquy_entry_figures(ev.entry_id) f
    where ev.committee_id = ? and ev.vseq <= ?${filter}
    group by f.campaign_id, ${day}f.metric, f.key`;
}

/** Distinct donors and households (committee, then vseq bound): parties whose published count is above zero. */
function recomputedReachSql(filter: string): string {
  return `select x.campaign_id, case x.kind when 'donor' then 'donors' else 'households' end as metric, '' as key,
      0 as amount_dong, 0 as quantity, count(*) as n
    from (
      select r.campaign_id, r.kind, r.party_id
      from entry_verified ev cross join lateral soquy_entry_reach(ev.entry_id) r join journal_entries f on f.id = ev.entry_id
      where ev.committee_id = ? and ev.vseq <= ?${filter}
      group by r.campaign_id, r.kind, r.party_id having sum(r.n) > 0
    ) x group by x.campaign_id, x.kind`;
}

/**
 * What recomputedSumsSql(byDate) gives, summed set-wise over the published entries instead of entry by entry: each
 * entry's contribution as soquy_entry_figures (sql/public.sql) defines it, with the sums of its rows taken over all
 * entries at once, so that PostgreSQL reads each table once (hash joins) rather than looking up every entry's rows
 * (~30 µs an entry, half a minute for a million). test/verify-stream.test.ts checks the two agree.
 * Bindings: committee, last publication number.
 */
export const publishedSumsSql = `
  with e as materialized (
    select j.id, j.entry_date, coalesce(j.reversal_of, j.id) as src, case when j.reversal_of is null then 1 else -1 end as sign
    from entry_verified ev join journal_entries j on j.id = ev.entry_id
    where ev.committee_id = ? and ev.vseq <= ?
  ),
  -- the entry's postings on campaign accounts, each with the donation or disbursement (of the entry it reverses, for
  -- a reversal) of its campaign
  -- (summed at once over everything the rows below tell apart: a few thousand groups instead of every posting)
  p as materialized (
    select e.entry_date, a.campaign_id, a.role, a.type, d.method as d_method, b.entry_id is not null as disbursed,
      b.purpose, b.category, b.area, b.unit, sum(x.amount_dong) as amount
    from e join postings x on x.entry_id = e.id join accounts a on a.id = x.account_id
      left join donations d on d.entry_id = e.src and d.campaign_id = a.campaign_id
      left join disbursements b on b.entry_id = e.src and b.campaign_id = a.campaign_id
    where a.campaign_id is not null
    group by e.entry_date, a.campaign_id, a.role, a.type, d.method, b.entry_id is not null, b.purpose, b.category, b.area, b.unit
  ),
  rows as (
    select campaign_id, entry_date, case when type = 'asset' then 'asset' else role end as metric,
      case when type = 'asset' then role else '' end as key, amount, 0::numeric as quantity, 0::bigint as n
    from p where type = 'asset' or role in ('income', 'expense')
    union all
    -- received: by its donation's method, or 'other' when no donation of that campaign explains it
    select campaign_id, entry_date, 'received', coalesce(d_method, 'other'), -amount, 0, 0 from p where role = 'income'
    union all
    select campaign_id, entry_date, 'purpose', 'other', amount, 0, 0 from p where role = 'expense' and not disbursed
    union all
    -- disbursed: by purpose, category and area, and by unit when counted
    select campaign_id, entry_date, m.metric, m.key, amount, 0, 0
    from p, lateral (values ('purpose', purpose), ('category', category), ('area', area)) as m(metric, key)
    where role = 'expense' and disbursed
    union all
    select campaign_id, entry_date, 'disbursed_unit', unit, amount, 0, 0 from p where role = 'expense' and disbursed and unit is not null
    union all
    -- each donation and disbursement counted once (negative for a reversal), with what it counted
    select d.campaign_id, e.entry_date, 'received', d.method, 0, 0, e.sign from e join donations d on d.entry_id = e.src
    union all
    select b.campaign_id, e.entry_date, m.metric, m.key, 0, 0, e.sign
    from e join disbursements b on b.entry_id = e.src, lateral (values ('purpose', b.purpose), ('category', b.category), ('area', b.area)) as m(metric, key)
    union all
    select b.campaign_id, e.entry_date, 'disbursed_unit', b.unit, 0, e.sign * b.quantity, e.sign
    from e join disbursements b on b.entry_id = e.src where b.unit is not null
    union all
    -- goods received: value and quantity by unit, and the entry counted once for each unit it names
    select d.campaign_id, e.entry_date, 'received_unit', i.unit, e.sign * i.value_dong, e.sign * i.quantity, 0
    from e join donations d on d.entry_id = e.src join entry_items i on i.entry_id = e.src
    union all
    select d.campaign_id, e.entry_date, 'received_unit', u.unit, 0, 0, e.sign
    from e join donations d on d.entry_id = e.src join (select distinct entry_id, unit from entry_items) u on u.entry_id = e.src
  )
  select campaign_id, entry_date, metric, key, sum(amount) as amount_dong, sum(quantity) as quantity, sum(n) as n
  from rows group by campaign_id, entry_date, metric, key`;

/** recomputedReachSql("") set-wise, as soquy_entry_reach defines each entry's parties. Bindings: committee, last publication number. */
export const publishedReachSql = `
  with e as materialized (
    select coalesce(j.reversal_of, j.id) as src, case when j.reversal_of is null then 1 else -1 end as sign
    from entry_verified ev join journal_entries j on j.id = ev.entry_id
    where ev.committee_id = ? and ev.vseq <= ?
  )
  select x.campaign_id, case x.kind when 'donor' then 'donors' else 'households' end as metric, '' as key,
      0 as amount_dong, 0 as quantity, count(*) as n
  from (
    select r.campaign_id, r.kind, r.party_id from (
      -- an anonymous donor cannot be told apart from another: each anonymous donation counts as one donor
      select d.campaign_id, 'donor' as kind,
        case when d.donor_kind = 'anonymous' then -abs(hashtextextended(e.src::text, 0)) - 1 else d.donor_id end as party_id, e.sign as n
      from e join donations d on d.entry_id = e.src
      union all
      select b.campaign_id, 'household', b.beneficiary_id, e.sign from e join disbursements b on b.entry_id = e.src
    ) r
    group by r.campaign_id, r.kind, r.party_id having sum(r.n) > 0
  ) x group by x.campaign_id, x.kind`;

function scopeKey(s: FigureScope): string {
  const ids = s.campaignIds ? [...s.campaignIds].sort((a, b) => a - b).join(",") : "all";
  return `c=${ids};from=${s.from ?? ""};to=${s.to ?? ""}`;
}

function toPublication(r: { vseq: string | number; published_at: Date; head_seq: string | number; head_hash: string }): Publication {
  return { vseq: Number(r.vseq), publishedAt: r.published_at.toISOString(), headSeq: Number(r.head_seq), headHash: r.head_hash };
}

interface RawRow { campaign_id: string | number; metric: string; key: string; amount_dong: string | number; quantity: string | number; n: string | number }

function toRows(rows: RawRow[]): FigureRow[] {
  return rows.map((r) => ({
    campaignId: Number(r.campaign_id), metric: r.metric, key: r.key, amountDong: BigInt(r.amount_dong),
    quantity: normaliseQuantity(String(r.quantity)), n: BigInt(r.n),
  }));
}

function normaliseQuantity(q: string): string {
  assert(/^-?\d+(\.\d+)?$/.test(q), `quantity ${q}`);
  const [whole, frac = ""] = q.split(".");
  const f = frac.replace(/0+$/, "");
  assert(f.length <= 3, `a quantity has at most 3 decimals, got ${q}`);
  return f ? `${whole}.${f}` : whole!;
}

type JsonRow = [number, string, string, string, string, string];

function toJson(set: FigureSet): { rows: JsonRow[]; opening: JsonRow[] } {
  const j = (r: FigureRow): JsonRow => [r.campaignId, r.metric, r.key, r.amountDong.toString(), r.quantity, r.n.toString()];
  return { rows: set.rows.map(j), opening: set.opening.map(j) };
}

function fromJson(v: { rows: JsonRow[]; opening: JsonRow[] }): { rows: FigureRow[]; opening: FigureRow[] } {
  const r = ([campaignId, metric, key, a, quantity, n]: JsonRow): FigureRow => ({ campaignId, metric, key, amountDong: BigInt(a), quantity, n: BigInt(n) });
  return { rows: v.rows.map(r), opening: v.opening.map(r) };
}

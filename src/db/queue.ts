import type { Knex } from "knex";
import { assert } from "../ledger/assert.js";

// The approver's queue: entries not yet verified, filtered in PostgreSQL over the whole queue (campaign,
// document dates, the person who recorded them, the entry's amount, a bank import), a page at a time, with
// the counts a bulk verification states before it runs and the ids it then verifies, a page at a time.

export interface QueueFilter {
  campaignId?: number | undefined;
  from?: string | undefined;
  to?: string | undefined;
  /** The person who recorded the entry (whichever of their tokens). */
  recorder?: number | undefined;
  /** The entry's amount: the sum of its debits. */
  min?: bigint | undefined;
  max?: bigint | undefined;
  /** A bank import: the entries it recorded or matched, and their reversals. */
  importId?: number | undefined;
  /** Entries up to this sequence only: what a confirmation counted, nothing recorded after it. */
  throughSeq?: number | undefined;
}

export interface QueueRow {
  id: string;
  seq: number;
  entryDate: string;
  kind: "donation" | "disbursement" | "general" | "reversal";
  description: string;
  campaign: string | null;
  recorderName: string;
  amountDong: bigint;
  requiredApprovals: number;
  approvals: number;
  /** The viewer recorded it (never theirs to verify), or has approved it already (it waits for a second person). */
  mine: boolean;
  approvedByMe: boolean;
}

export interface QueueCounts {
  /** Entries that match, not approved by the viewer yet (those a bulk verification sends). */
  total: number;
  /** Of those, recorded by the viewer (refused), and needing two approvers. */
  mine: number;
  twoApprovals: number;
  /** Entries that match and that the viewer approved already: they wait for someone else. */
  approvedByMe: number;
  /** The last sequence counted. */
  lastSeq: number;
}

const FROM = `from journal_entries e
  join api_tokens t on t.id = e.recorded_by
  cross join lateral (select coalesce(sum(p.amount_dong), 0) as amount from postings p where p.entry_id = e.id and p.amount_dong > 0) a`;
const MINE = "t.person_id = :viewer";
const APPROVED_BY_VIEWER = `exists (select 1 from entry_verifications v join api_tokens vt on vt.id = v.verified_by
  where v.entry_id = e.id and coalesce(v.person_id, vt.person_id) = :viewer)`;

export class QueueQueries {
  constructor(private readonly knex: Knex) {}

  /** A page of the queue after a sequence, oldest first. */
  async page(committeeId: number, f: QueueFilter, viewer: number, afterSeq: number, limit: number): Promise<QueueRow[]> {
    const { where, binds } = conditions(committeeId, f, viewer);
    const { rows } = await this.knex.raw(`select e.id, e.seq, to_char(e.entry_date, 'YYYY-MM-DD') as entry_date, e.kind, e.description,
        c.code as campaign, pr.name as recorder_name, a.amount, e.required_approvals,
        (select count(*) from entry_verifications v where v.entry_id = e.id)::int as approvals, ${MINE} as mine, ${APPROVED_BY_VIEWER} as approved_by_me
      ${FROM} join people pr on pr.id = t.person_id left join campaigns c on c.id = e.campaign_id
      where ${where} and e.seq > :after order by e.seq limit :limit`, { ...binds, after: afterSeq, limit });
    return rows.map((r: Record<string, any>) => ({
      id: r.id, seq: Number(r.seq), entryDate: r.entry_date, kind: r.kind, description: r.description, campaign: r.campaign,
      recorderName: r.recorder_name, amountDong: BigInt(r.amount), requiredApprovals: Number(r.required_approvals), approvals: r.approvals,
      mine: r.mine === true, approvedByMe: r.approved_by_me === true,
    }));
  }

  async counts(committeeId: number, f: QueueFilter, viewer: number): Promise<QueueCounts> {
    const { where, binds } = conditions(committeeId, f, viewer);
    const { rows } = await this.knex.raw(`select
        count(*) filter (where not ${APPROVED_BY_VIEWER})::int as total,
        count(*) filter (where not ${APPROVED_BY_VIEWER} and ${MINE})::int as mine,
        count(*) filter (where not ${APPROVED_BY_VIEWER} and e.required_approvals = 2)::int as two,
        count(*) filter (where ${APPROVED_BY_VIEWER})::int as approved_by_me,
        coalesce(max(e.seq), 0) as last_seq
      ${FROM} where ${where}`, binds);
    const r = rows[0];
    return { total: r.total, mine: r.mine, twoApprovals: r.two, approvedByMe: r.approved_by_me, lastSeq: Number(r.last_seq) };
  }

  /** The next ids a bulk verification sends, after a sequence: matching, not approved by the viewer yet, oldest first. */
  async nextToVerify(committeeId: number, f: QueueFilter, viewer: number, afterSeq: number, limit: number): Promise<{ id: string; seq: number }[]> {
    const { where, binds } = conditions(committeeId, f, viewer);
    const { rows } = await this.knex.raw(`select e.id, e.seq ${FROM} where ${where} and not ${APPROVED_BY_VIEWER} and e.seq > :after
      order by e.seq limit :limit`, { ...binds, after: afterSeq, limit });
    return rows.map((r: { id: string; seq: string }) => ({ id: r.id, seq: Number(r.seq) }));
  }

  /**
   * The people who may have recorded entries — treasurers, and admins (whose integration tokens record as them) —
   * each once whatever tokens they used. Read from the committee's few people, not from its entries.
   */
  async recorders(committeeId: number): Promise<{ person: number; name: string }[]> {
    const { rows } = await this.knex.raw(`select pr.id, pr.name from people pr where pr.committee_id = ? and pr.role in ('treasurer', 'admin')
      order by pr.name, pr.id`, [committeeId]);
    return rows.map((r: { id: string; name: string }) => ({ person: Number(r.id), name: r.name }));
  }

  /** The bank imports, newest first, with how many of their entries wait for verification. */
  async imports(committeeId: number, limit = 50): Promise<{ id: number; campaign: string; bankAccount: string; firstDate: string | null; lastDate: string | null; waiting: number }[]> {
    const { rows } = await this.knex.raw(`select i.id, c.code as campaign, a.account_no, to_char(i.first_date, 'YYYY-MM-DD') as first_date,
        to_char(i.last_date, 'YYYY-MM-DD') as last_date,
        (select count(*) from bank_lines b where b.committee_id = i.committee_id and b.bank_account_id = i.bank_account_id
          and b.entry_date between i.first_date and i.last_date and b.import_id = i.id and b.entry_id is not null
          and not exists (select 1 from entry_verified v where v.entry_id = b.entry_id))::int as waiting
      from bank_imports i join campaigns c on c.id = i.campaign_id join bank_accounts a on a.id = i.bank_account_id
      where i.committee_id = ? order by i.id desc limit ?`, [committeeId, limit]);
    return rows.map((r: Record<string, any>) => ({
      id: Number(r.id), campaign: r.campaign, bankAccount: r.account_no, firstDate: r.first_date, lastDate: r.last_date, waiting: r.waiting,
    }));
  }
}

/** The filter as SQL over journal_entries e (joined to its recording token t and its amount a), with its bindings. */
function conditions(committeeId: number, f: QueueFilter, viewer: number): { where: string; binds: Record<string, string | number> } {
  assert(Number.isSafeInteger(viewer), "the viewer is a person id");
  const parts = ["e.committee_id = :committee", "not exists (select 1 from entry_verified v where v.entry_id = e.id)"];
  const binds: Record<string, string | number> = { committee: committeeId, viewer };
  const add = (sql: string, name: string, value: string | number | bigint | undefined) => {
    if (value === undefined) return;
    parts.push(sql);
    binds[name] = typeof value === "bigint" ? value.toString() : value;
  };
  add("e.campaign_id = :campaign", "campaign", f.campaignId);
  add("e.entry_date >= :from", "from", f.from);
  add("e.entry_date <= :to", "to", f.to);
  add("t.person_id = :recorder", "recorder", f.recorder);
  add("a.amount >= :min", "min", f.min);
  add("a.amount <= :max", "max", f.max);
  add("e.seq <= :through", "through", f.throughSeq);
  add(`(exists (select 1 from bank_lines b where b.entry_id = e.id and b.import_id = :import)
    or exists (select 1 from bank_lines b where b.entry_id = e.reversal_of and b.import_id = :import))`, "import", f.importId);
  return { where: parts.join(" and "), binds };
}

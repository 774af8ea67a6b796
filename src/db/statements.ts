import type { Knex } from "knex";
import type { Campaign } from "../ledger/types.js";
import { chainHead } from "./store.js";

// The queries behind a campaign statement. Everything is pinned to a ledger
// position (seq ≤ head) so the same request gives the same rows later.

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

export class StatementQueries {
  constructor(private readonly knex: Knex) {}

  head(committeeId: number): Promise<{ seq: number; hash: string }> {
    return chainHead(this.knex, committeeId);
  }

  /** The campaign's first and last document dates up to the position. */
  async dateRange(c: Campaign, headSeq: number): Promise<{ first: string | null; last: string | null }> {
    const row = await this.knex("journal_entries").where({ campaign_id: c.id }).where("seq", "<=", headSeq)
      .min("entry_date as first").max("entry_date as last").first();
    return { first: row?.first ?? null, last: row?.last ?? null };
  }

  /** Σ of the campaign's asset postings on entries dated before `before` or up to `through`. */
  async assetSum(c: Campaign, headSeq: number, bound: { before: string } | { through: string }, verifiedOnly: boolean, vseqMax?: number): Promise<bigint> {
    const q = this.knex("postings as p").join("journal_entries as e", "e.id", "p.entry_id")
      .whereIn("p.account_id", assetIds(c)).where("e.seq", "<=", headSeq);
    if (verifiedOnly) q.join("entry_verified as ev", "ev.entry_id", "e.id");
    if (verifiedOnly && vseqMax !== undefined) q.where("ev.vseq", "<=", vseqMax);
    if ("before" in bound) q.where("e.entry_date", "<", bound.before);
    else q.where("e.entry_date", "<=", bound.through);
    const row = await q.sum("p.amount_dong as total").first();
    return BigInt(row?.total ?? 0);
  }

  /**
   * One row per posting on the campaign's cash, bank or goods, in sequence
   * (then line) order, streamed; the builder merges an entry's rows. Driving
   * from the postings index (not a lateral per entry) let the query run in
   * less than half the time on a 1M-entry campaign.
   */
  rows(c: Campaign, headSeq: number, from: string, to: string, verifiedOnly: boolean, vseqMax?: number): AsyncIterable<StatementRowRaw> {
    const [cash, bank, goods] = assetIds(c);
    const sql = `
      select e.id, e.seq, e.entry_date,
        to_char(e.recorded_at at time zone 'Asia/Ho_Chi_Minh', 'YYYY-MM-DD') as recorded_date,
        e.kind, e.description, e.hash, v.voucher_no,
        d.donor_name, d.publish_name, coalesce(d.method, b.method) as method,
        b.beneficiary_name, b.area, b.category, b.purpose,
        coalesce(b.quantity, i.quantity) as quantity, coalesce(b.unit, i.unit) as unit,
        greatest(p.amount_dong, 0) as in_dong, greatest(-p.amount_dong, 0) as out_dong,
        (ev.entry_id is not null${vseqMax !== undefined ? ` and ev.vseq <= ${Math.trunc(vseqMax)}` : ""}) as verified
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
      order by e.seq, p.line`;
    return this.knex.raw(sql, [c.committeeId, cash, bank, goods, headSeq, from, to]).stream() as unknown as AsyncIterable<StatementRowRaw>;
  }
}

function assetIds(c: Campaign): [number, number, number] {
  return [c.accounts.cash.id, c.accounts.bank.id, c.accounts.goods.id];
}

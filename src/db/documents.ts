import type { Knex } from "knex";

// Reads behind the committee's printed forms (src/documents): who recorded an entry, the reversal that undid
// one, the bank line a donation came from, the disbursements of one campaign on one day (a distribution),
// the days that had any, and the households a list can be planned for.

export interface DistributionLine {
  entryId: string;
  seq: number;
  voucherNo: string | null;
  beneficiaryId: number;
  beneficiaryName: string;
  category: string;
  area: string;
  purpose: string;
  method: string;
  quantity: string | null;
  unit: string | null;
  amountDong: bigint;
  reversed: boolean;
}

export interface DistributionDay {
  campaignId: number;
  date: string;
  entries: number;
  households: number;
  amountDong: bigint;
  areas: string[];
  purposes: string[];
}

export interface KnownHousehold {
  id: number;
  name: string;
  category: string;
  area: string;
}

/** The most lines one list holds (a ward's Tết gives some hundreds of packages a day). */
export const DISTRIBUTION_LIMIT = 5000;

export class DocumentQueries {
  constructor(private readonly knex: Knex) {}

  /** The name of the person a token acts for (what a form prints under the one who recorded it). */
  async personName(committeeId: number, tokenId: number): Promise<string> {
    const row = await this.knex("api_tokens as t").join("people as p", "p.id", "t.person_id")
      .where({ "t.committee_id": committeeId, "t.id": tokenId }).first("p.name");
    return (row?.name as string | undefined) ?? "";
  }

  /** The reversal of an entry: its sequence and date, or null. */
  async reversal(committeeId: number, entryId: string): Promise<{ sequence: number; date: string } | null> {
    const row = await this.knex("journal_entries").where({ committee_id: committeeId, reversal_of: entryId }).first("seq", "entry_date");
    return row ? { sequence: Number(row.seq), date: row.entry_date as string } : null;
  }

  /** The bank statement line an imported donation records: its account and the bank's document number. */
  async bankLine(committeeId: number, entryId: string): Promise<{ account: string; docRef: string } | null> {
    const row = await this.knex("bank_lines as l").join("bank_accounts as a", "a.id", "l.bank_account_id")
      .where({ "l.committee_id": committeeId, "l.entry_id": entryId }).first("a.account_no", "l.doc_ref");
    return row ? { account: row.account_no as string, docRef: row.doc_ref as string } : null;
  }

  /**
   * The disbursements of one campaign dated one day (of one area and one purpose when asked), in sequence order,
   * reversed ones marked; at most `limit`.
   */
  async distribution(committeeId: number, campaignId: number, date: string, f: { area?: string | undefined; purpose?: string | undefined },
    limit = DISTRIBUTION_LIMIT + 1): Promise<DistributionLine[]> {
    const q = this.knex("journal_entries as e")
      .join("disbursements as d", "d.entry_id", "e.id")
      .leftJoin("vouchers as v", "v.entry_id", "e.id")
      .where({ "e.committee_id": committeeId, "e.entry_date": date, "e.kind": "disbursement", "e.campaign_id": campaignId })
      .orderBy("e.seq").limit(limit)
      .select("e.id", "e.seq", "v.voucher_no", "d.beneficiary_id", "d.beneficiary_name", "d.category", "d.area", "d.purpose", "d.method", "d.unit",
        this.knex.raw("d.quantity::text as quantity"),
        this.knex.raw(`(select p.amount_dong from postings p join accounts a on a.id = p.account_id
          where p.entry_id = e.id and a.role = 'expense' order by p.line limit 1) as amount`),
        this.knex.raw("exists (select 1 from journal_entries r where r.reversal_of = e.id) as reversed"));
    if (f.area !== undefined) q.where("d.area", f.area);
    if (f.purpose !== undefined) q.where("d.purpose", f.purpose);
    const rows = await q;
    return rows.map((r) => ({
      entryId: r.id, seq: Number(r.seq), voucherNo: r.voucher_no ?? null, beneficiaryId: Number(r.beneficiary_id), beneficiaryName: r.beneficiary_name, category: r.category, area: r.area,
      purpose: r.purpose, method: r.method, quantity: r.quantity ?? null, unit: r.unit ?? null, amountDong: BigInt(r.amount ?? 0), reversed: r.reversed === true,
    }));
  }

  /** The days that had disbursements (reversed ones left out), newest first: where a distribution's list is printed from. */
  async distributionDays(committeeId: number, limit = 60): Promise<DistributionDay[]> {
    const rows = await this.knex.raw(`
      select e.campaign_id, e.entry_date, count(*) as entries, count(distinct d.beneficiary_id) as households, sum(p.amount_dong) as amount,
        array_agg(distinct d.area) as areas, array_agg(distinct d.purpose) as purposes
      from journal_entries e
      join disbursements d on d.entry_id = e.id
      join postings p on p.entry_id = e.id
      join accounts a on a.id = p.account_id and a.role = 'expense'
      where e.committee_id = ? and e.kind = 'disbursement'
        and not exists (select 1 from journal_entries r where r.reversal_of = e.id)
      group by e.campaign_id, e.entry_date
      order by e.entry_date desc, e.campaign_id
      limit ?`, [committeeId, limit]);
    return rows.rows.map((r: Record<string, any>) => ({
      campaignId: Number(r.campaign_id), date: r.entry_date, entries: Number(r.entries), households: Number(r.households),
      amountDong: BigInt(r.amount), areas: r.areas as string[], purposes: r.purposes as string[],
    }));
  }

  /** Households the committee has helped before (of one area when asked), for a planned list. */
  async households(committeeId: number, f: { area?: string | undefined; ids?: number[] | undefined }, limit = DISTRIBUTION_LIMIT): Promise<KnownHousehold[]> {
    const q = this.knex("beneficiaries").where({ committee_id: committeeId }).orderBy("id").limit(limit).select("id", "name", "category", "area");
    if (f.area !== undefined) q.where("area", f.area);
    if (f.ids !== undefined) q.whereIn("id", f.ids);
    return (await q).map((r) => ({ id: Number(r.id), name: r.name, category: r.category, area: r.area }));
  }
}

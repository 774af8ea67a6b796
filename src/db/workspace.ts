import type { Knex } from "knex";
import { foldWords } from "../ledger/mask.js";

// Reads behind the workspace pages that the API does not already answer:
// the household picker, who recorded what, and money in and out by week.

export interface Household { name: string; category: string; area: string }

export class WorkspaceQueries {
  constructor(private readonly knex: Knex) {}

  /** Households already helped, for the picker (grouped by khu phố on the page). */
  async households(committeeId: number, limit = 2000): Promise<Household[]> {
    const rows = await this.knex("beneficiaries").where({ committee_id: committeeId }).orderBy(["area", "name"]).limit(limit)
      .select("name", "category", "area");
    return rows.map((r) => ({ name: r.name, category: r.category, area: r.area }));
  }

  /**
   * Households whose name, khu phố or category (as `labels` words it) hold every word asked, without diacritics or
   * case ("dang van tu khu pho 4" finds "Đặng Văn Tư", Khu phố 4); at most `limit`, by khu phố and name.
   */
  async findHouseholds(committeeId: number, asked: string, labels: Record<string, string>, limit = 20): Promise<Household[]> {
    const words = foldWords(asked).split(" ").filter(Boolean).slice(0, 8);
    if (words.length === 0) return [];
    const found: Household[] = [];
    for (const h of await this.households(committeeId, 20_000)) {
      const text = ` ${foldWords(`${h.name} ${h.area} ${h.area.replace(/\s+/g, "")} ${labels[h.category] ?? h.category}`)} `;
      if (words.every((w) => text.includes(` ${w}`))) found.push(h);
      if (found.length >= limit) break;
    }
    return found;
  }

  async principalNames(committeeId: number): Promise<Map<number, string>> {
    const rows = await this.knex("api_tokens").where({ committee_id: committeeId }).select("id", "name");
    return new Map(rows.map((r) => [Number(r.id), r.name as string]));
  }

  /** Money into and out of each campaign's cash, bank and goods, by ISO week of the document date. */
  async weekly(committeeId: number, weeks: number): Promise<{ week: string; inDong: bigint; outDong: bigint }[]> {
    const rows = await this.knex.raw(`
      select to_char(date_trunc('week', e.entry_date), 'YYYY-MM-DD') as week,
        sum(greatest(p.amount_dong, 0)) as in_dong, sum(greatest(-p.amount_dong, 0)) as out_dong
      from postings p join journal_entries e on e.id = p.entry_id join accounts a on a.id = p.account_id
      where p.committee_id = ? and a.campaign_id is not null and a.type = 'asset'
      group by 1 order by 1 desc limit ?`, [committeeId, weeks]);
    return rows.rows.reverse().map((r: { week: string; in_dong: string; out_dong: string }) => ({
      week: r.week, inDong: BigInt(r.in_dong), outDong: BigInt(r.out_dong),
    }));
  }

  /** Households reached per khu phố and per category (all entries, reversed ones excluded). */
  async reach(committeeId: number): Promise<{ by: "area" | "category"; key: string; households: number; amountDong: bigint }[]> {
    const rows = await this.knex.raw(`
      select 'area' as by, d.area as key, count(distinct d.beneficiary_id) as households, sum(p.amount_dong) as amount
      from disbursements d join postings p on p.entry_id = d.entry_id join accounts a on a.id = p.account_id and a.role = 'expense'
      where d.committee_id = ? and not exists (select 1 from journal_entries r where r.reversal_of = d.entry_id)
      group by d.area
      union all
      select 'category', d.category, count(distinct d.beneficiary_id), sum(p.amount_dong)
      from disbursements d join postings p on p.entry_id = d.entry_id join accounts a on a.id = p.account_id and a.role = 'expense'
      where d.committee_id = ? and not exists (select 1 from journal_entries r where r.reversal_of = d.entry_id)
      group by d.category
      order by 1, 2`, [committeeId, committeeId]);
    return rows.rows.map((r: { by: "area" | "category"; key: string; households: string; amount: string }) => ({
      by: r.by, key: r.key, households: Number(r.households), amountDong: BigInt(r.amount),
    }));
  }
}

import type { Knex } from "knex";
import { toSummary, type ImportSummary } from "./bankimports.js";

// Reads behind an entry's own page and a bank import's page: who did what to an entry (recorded, verified,
// reversed), where an imported entry's bank line is and whether it was released, and what reversing a
// whole import would do.

export interface EntryHistory {
  recordedBy: string;
  verifications: { name: string; at: string }[];
  /** The entry's reversal, if any. */
  reversedBy: { id: string; seq: number; entryDate: string; recordedAt: string; name: string } | null;
  /** For a reversal: the entry it reverses. */
  reverses: { id: string; seq: number } | null;
  /** The bank line this entry records, if an import wrote or matched it. */
  bankLine: { importId: number; lineNo: number; account: string; matched: boolean; released: { at: string; reason: string; name: string } | null } | null;
  /** The last day the books are closed through, or null. */
  closedThrough: string | null;
}

export interface EntryLine {
  id: string;
  seq: number;
  entryDate: string;
  kind: string;
  description: string;
  campaign: string | null;
  amountDong: bigint;
  verified: boolean;
  reversed: boolean;
}

export interface ImportOverview {
  summary: ImportSummary;
  campaignName: string;
  recordedBy: string;
  reversal: { id: number; at: string; reason: string; name: string; entries: number; released: number } | null;
  /** Entries the import recorded itself, those of them already reversed, and lines matched to hand-recorded transfers. */
  entries: number;
  reversed: number;
  matched: number;
  unverified: number;
  /** Its first entries, oldest first. */
  first: { id: string; seq: number; entryDate: string; kind: string; description: string; amountDong: bigint }[];
}

const personName = (token: string) => `(select pr.name from api_tokens t join people pr on pr.id = t.person_id where t.id = ${token})`;

export class CorrectionQueries {
  constructor(private readonly knex: Knex) {}

  /** A page of the committee's entries, newest first, with whether each is verified and whether it was reversed. */
  async entries(committeeId: number, f: { campaignId?: number | undefined; beforeSeq?: number | undefined }, limit: number): Promise<EntryLine[]> {
    const { rows } = await this.knex.raw(`select e.id, e.seq, to_char(e.entry_date, 'YYYY-MM-DD') as entry_date, e.kind, e.description, c.code as campaign,
        (select sum(p.amount_dong) from postings p where p.entry_id = e.id and p.amount_dong > 0) as amount,
        exists (select 1 from entry_verified v where v.entry_id = e.id) as verified,
        exists (select 1 from journal_entries x where x.reversal_of = e.id) as reversed
      from journal_entries e left join campaigns c on c.id = e.campaign_id
      where e.committee_id = :c ${f.campaignId === undefined ? "" : "and e.campaign_id = :campaign"} ${f.beforeSeq === undefined ? "" : "and e.seq < :before"}
      order by e.seq desc limit :limit`, { c: committeeId, campaign: f.campaignId ?? null, before: f.beforeSeq ?? null, limit });
    return rows.map((r: Record<string, any>) => ({
      id: r.id, seq: Number(r.seq), entryDate: r.entry_date, kind: r.kind, description: r.description, campaign: r.campaign,
      amountDong: BigInt(r.amount ?? 0), verified: r.verified === true, reversed: r.reversed === true,
    }));
  }

  async idOfSequence(committeeId: number, seq: number): Promise<string | null> {
    const row = await this.knex("journal_entries").where({ committee_id: committeeId, seq }).first("id");
    return row?.id ?? null;
  }

  async entryHistory(committeeId: number, entry: { id: string; recordedBy: number; reversalOf: string | null }): Promise<EntryHistory> {
    const k = this.knex;
    const [recorder, verifications, reversal, original, line, closed] = await Promise.all([
      k.raw(`select ${personName("?")} as name`, [entry.recordedBy]),
      k.raw(`select pr.name, v.verified_at from entry_verifications v join api_tokens t on t.id = v.verified_by
        join people pr on pr.id = coalesce(v.person_id, t.person_id) where v.committee_id = ? and v.entry_id = ? order by v.verified_at`, [committeeId, entry.id]),
      k.raw(`select e.id, e.seq, to_char(e.entry_date, 'YYYY-MM-DD') as entry_date, e.recorded_at, ${personName("e.recorded_by")} as name
        from journal_entries e where e.committee_id = ? and e.reversal_of = ?`, [committeeId, entry.id]),
      entry.reversalOf ? k("journal_entries").where({ committee_id: committeeId, id: entry.reversalOf }).first("id", "seq") : Promise.resolve(null),
      k.raw(`select b.import_id, b.line_no, a.account_no, b.matched, r.reversed_at, r.reason, ${personName("r.reversed_by")} as released_by
        from bank_lines b join bank_accounts a on a.id = b.bank_account_id
        left join bank_line_releases rl on rl.committee_id = b.committee_id and rl.bank_account_id = b.bank_account_id and rl.entry_date = b.entry_date
          and rl.line_key = b.line_key and rl.generation = b.generation
        left join bank_import_reversals r on r.id = rl.reversal_id
        where b.entry_id = ? and b.committee_id = ?`, [entry.id, committeeId]),
      k("period_closes").where({ committee_id: committeeId }).max("through_date as d").first(),
    ]);
    const rev = reversal.rows[0];
    const l = line.rows[0];
    return {
      recordedBy: recorder.rows[0]?.name ?? "",
      verifications: verifications.rows.map((v: { name: string; verified_at: Date }) => ({ name: v.name, at: v.verified_at.toISOString() })),
      reversedBy: rev ? { id: rev.id, seq: Number(rev.seq), entryDate: rev.entry_date, recordedAt: (rev.recorded_at as Date).toISOString(), name: rev.name } : null,
      reverses: original ? { id: original.id, seq: Number(original.seq) } : null,
      bankLine: l ? {
        importId: Number(l.import_id), lineNo: l.line_no, account: l.account_no, matched: l.matched,
        released: l.reversed_at ? { at: (l.reversed_at as Date).toISOString(), reason: l.reason, name: l.released_by } : null,
      } : null,
      closedThrough: closed?.d ?? null,
    };
  }

  async importOverview(committeeId: number, importId: number, listed = 20): Promise<ImportOverview | null> {
    const k = this.knex;
    const row = await k("bank_imports as i").join("bank_accounts as a", "a.id", "i.bank_account_id").join("campaigns as c", "c.id", "i.campaign_id")
      .where({ "i.committee_id": committeeId, "i.id": importId })
      .first("i.*", "a.account_no", "c.code as campaign_code", "c.name as campaign_name", k.raw(`${personName("i.recorded_by")} as recorder`));
    if (!row) return null;
    const lines = { c: committeeId, a: Number(row.bank_account_id), i: importId, first: row.first_date ?? "9999-12-31", last: row.last_date ?? "0001-01-01" };
    const ofImport = "b.committee_id = :c and b.bank_account_id = :a and b.entry_date between :first and :last and b.import_id = :i";
    const [counts, reversal, first] = await Promise.all([
      k.raw(`select count(*) filter (where b.entry_id is not null and not b.matched)::int as entries,
          count(*) filter (where not b.matched and exists (select 1 from journal_entries x where x.reversal_of = b.entry_id))::int as reversed,
          count(*) filter (where b.matched)::int as matched,
          count(*) filter (where b.entry_id is not null and not exists (select 1 from entry_verified v where v.entry_id = b.entry_id))::int as unverified
        from bank_lines b where ${ofImport}`, lines),
      k.raw(`select r.id, r.reversed_at, r.reason, r.entries, r.released, ${personName("r.reversed_by")} as name
        from bank_import_reversals r where r.committee_id = ? and r.import_id = ?`, [committeeId, importId]),
      k.raw(`select e.id, e.seq, to_char(e.entry_date, 'YYYY-MM-DD') as entry_date, e.kind, e.description,
          (select sum(p.amount_dong) from postings p where p.entry_id = e.id and p.amount_dong > 0) as amount
        from bank_lines b join journal_entries e on e.id = b.entry_id where ${ofImport}
        order by e.seq limit :n`, { ...lines, n: listed }),
    ]);
    const c = counts.rows[0];
    const r = reversal.rows[0];
    return {
      summary: toSummary(row, row.account_no, row.campaign_code), campaignName: row.campaign_name, recordedBy: row.recorder ?? "",
      reversal: r ? { id: Number(r.id), at: (r.reversed_at as Date).toISOString(), reason: r.reason, name: r.name, entries: r.entries, released: r.released } : null,
      entries: c.entries, reversed: c.reversed, matched: c.matched, unverified: c.unverified,
      first: first.rows.map((x: Record<string, any>) => ({
        id: x.id, seq: Number(x.seq), entryDate: x.entry_date, kind: x.kind, description: x.description, amountDong: BigInt(x.amount ?? 0),
      })),
    };
  }
}

import type { Knex } from "knex";
import { fail } from "../ledger/codes.js";
import { parseIsoDate } from "../ledger/dates.js";
import type { Reconciliation } from "../imports/reconciliation.js";
import { checkAccountNo, IMPORT_KEY_PREFIX, unreleased } from "./bankimports.js";

// Reconciliation of a bank account (what it holds: src/imports/reconciliation.ts), read from the recorded
// bank lines, the entries recording them and the bank donations recorded by hand for the account.

export const MAX_LISTED = 10_000;

export async function reconcile(knex: Knex, committeeId: number, accountNoRaw: string, q: { from?: string | undefined; to?: string | undefined }): Promise<Reconciliation> {
  const accountNo = checkAccountNo(accountNoRaw, "account");
  const from = q.from ? parseIsoDate(q.from, "from") : null;
  const to = q.to ? parseIsoDate(q.to, "to") : null;
  if (from && to && to < from) fail("invalid_date", "to must not be before from", "to");
  const account = await knex("bank_accounts").where({ committee_id: committeeId, account_no: accountNo }).first();
  if (!account) fail("bank_account_not_found", `no statement has been imported for bank account ${accountNo}`, "account");
  const upTo = to ?? "9999-12-31";
  const lo = from ?? "0001-01-01";
  const args = { c: committeeId, a: account.id, no: accountNo, lo, hi: upTo, prefix: `${IMPORT_KEY_PREFIX}%`, limit: MAX_LISTED + 1 };
  // Hand-recorded bank donations for this account: recorded by hand, not reversed, not a reversal.
  const handRecorded = `donations d join journal_entries e on e.id = d.entry_id
      join postings p on p.entry_id = e.id and p.amount_dong > 0
      where d.committee_id = :c and d.method = 'bank' and d.bank_account = :no
        and (e.idempotency_key is null or e.idempotency_key not like :prefix)
        and not exists (select 1 from journal_entries x where x.reversal_of = e.id)
        and not exists (select 1 from bank_lines b where b.entry_id = e.id)`;
  const [sums] = (await knex.raw(`select
      coalesce((select sum(case when direction = 'C' then amount_dong else -amount_dong end) from bank_lines
        where committee_id = :c and bank_account_id = :a and entry_date <= :hi and ${unreleased("bank_lines")}), 0) as bank,
      coalesce((select sum(case when l.direction = 'C' then l.amount_dong else -l.amount_dong end) from bank_lines l
        join journal_entries e on e.id = l.entry_id where l.committee_id = :c and l.bank_account_id = :a and e.entry_date <= :hi
        and ${unreleased("l")}), 0) as linked,
      coalesce((select sum(p.amount_dong) from ${handRecorded} and e.entry_date <= :hi), 0) as hand,
      coalesce((select sum(case when direction = 'C' then amount_dong else -amount_dong end) from bank_lines
        where committee_id = :c and bank_account_id = :a and entry_id is null and entry_date between :lo and :hi and ${unreleased("bank_lines")}), 0) as only_bank,
      coalesce((select sum(p.amount_dong) from ${handRecorded} and e.entry_date between :lo and :hi), 0) as only_ledger,
      (select count(*) from bank_lines where committee_id = :c and bank_account_id = :a and entry_id is not null and not matched
        and entry_date between :lo and :hi and ${unreleased("bank_lines")})::int as by_import`, args)).rows;
  const matched = (await knex.raw(`select l.line_no, l.import_id, l.entry_date, l.amount_dong, l.doc_ref, e.id, e.seq, e.entry_date as ledger_date, d.donor_name
      from bank_lines l join journal_entries e on e.id = l.entry_id left join donations d on d.entry_id = e.id
      where l.committee_id = :c and l.bank_account_id = :a and l.matched and l.entry_date between :lo and :hi and ${unreleased("l")}
      order by l.entry_date, l.import_id, l.line_no limit :limit`, args)).rows;
  const onlyBank = (await knex.raw(`select line_no, import_id, entry_date, direction, amount_dong, doc_ref, memo, kind from bank_lines
      where committee_id = :c and bank_account_id = :a and entry_id is null and entry_date between :lo and :hi and ${unreleased("bank_lines")}
      order by entry_date, import_id, line_no limit :limit`, args)).rows;
  const onlyLedger = (await knex.raw(`select e.id, e.seq, e.entry_date, p.amount_dong, d.bank_reference, d.donor_name from ${handRecorded}
      and e.entry_date between :lo and :hi order by e.entry_date, e.seq limit :limit`, args)).rows;
  const anchor = account.opening_date === null ? null : BigInt(account.opening_balance_dong);
  const bank = anchor === null ? null : anchor + BigInt(sums.bank);
  const ledger = anchor === null ? null : anchor + BigInt(sums.linked) + BigInt(sums.hand);
  const truncated = [matched, onlyBank, onlyLedger].some((l) => l.length > MAX_LISTED);
  return {
    bankAccount: accountNo, from, to,
    openingAnchor: anchor === null ? null : { date: account.opening_date, balanceDong: anchor.toString() },
    bankBalanceDong: bank?.toString() ?? null, ledgerBalanceDong: ledger?.toString() ?? null,
    differenceDong: bank === null || ledger === null ? null : (bank - ledger).toString(),
    onlyInBankDong: String(sums.only_bank), onlyInLedgerDong: String(sums.only_ledger), recordedByImport: sums.by_import,
    matched: matched.slice(0, MAX_LISTED).map((r: Record<string, any>) => ({
      lineNo: r.line_no, importId: Number(r.import_id), date: r.entry_date, amountDong: String(r.amount_dong), docRef: r.doc_ref,
      entryId: r.id, entrySeq: Number(r.seq), ledgerDate: r.ledger_date, donorName: r.donor_name ?? "",
    })),
    onlyInBank: onlyBank.slice(0, MAX_LISTED).map((r: Record<string, any>) => ({
      lineNo: r.line_no, importId: Number(r.import_id), date: r.entry_date, direction: r.direction, amountDong: String(r.amount_dong),
      docRef: r.doc_ref, memo: r.memo, kind: r.kind,
    })),
    onlyInLedger: onlyLedger.slice(0, MAX_LISTED).map((r: Record<string, any>) => ({
      entryId: r.id, entrySeq: Number(r.seq), date: r.entry_date, amountDong: String(r.amount_dong), bankReference: r.bank_reference,
      donorName: r.donor_name,
    })),
    truncated,
  };
}

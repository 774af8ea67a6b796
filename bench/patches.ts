import type { Knex } from "knex";
import type { Soquy } from "../src/context.js";
import { assert } from "../src/ledger/assert.js";
import { fail } from "../src/ledger/codes.js";
import type { DonationInput, WriteMeta } from "../src/ledger/service.js";
import type { EntryRow, IdempotentResponse, LockedLedger, StoredResponse } from "../src/ledger/store.js";
import type { PartyIdentity, Principal } from "../src/ledger/types.js";
import { GENESIS_HASH } from "../src/ledger/types.js";

// PROTOTYPES, for measuring only (BENCH_PATCH=all or a comma list): the
// changes the bench report proposes for src/, applied to the running service
// from outside so their gain can be measured before anyone edits src/.
// Without a patch name, the statement it concerns is issued exactly as
// src/db/store.ts issues it.
//
//   intl      reuse one Intl.DateTimeFormat (src/ledger/dates.ts builds one per call, ~0.3 ms)
//   lockhead  take the lock and read the chain head in one statement. Correct only with ONE
//             service process: the head subquery reads the snapshot taken before the lock
//             wait, so a second writer makes it stale (with BENCH_SERVERS=2 it fails). The
//             real change keeps head_seq/head_hash on the committee row and takes the lock
//             with "update committees … returning head_seq, head_hash", which re-reads the row.
//   idem      read stored idempotency responses and the batch's bank references in one statement
//             (src: one bankReferenceUsed query per bank donation, in series, inside the lock)
//   books     remember receipt book ids (they never change): one voucher query per batch, not two
//   donors    insert-or-find donors in one statement, not two
//   insert    all rows of a batch in one statement (data-modifying CTEs), not five
export const patchNames = ["intl", "lockhead", "idem", "books", "donors", "insert"] as const;
export type PatchName = (typeof patchNames)[number];

export function parsePatches(value: string | undefined): Set<PatchName> {
  if (!value) return new Set();
  const list = value === "all" ? [...patchNames] : value.split(",").map((x) => x.trim());
  for (const x of list) if (!(patchNames as readonly string[]).includes(x)) throw new Error(`unknown patch ${x}`);
  return new Set(list as PatchName[]);
}

export function applyPatches(s: Soquy, on: Set<PatchName>): void {
  if (on.has("intl")) {
    const Original = Intl.DateTimeFormat;
    const cache = new Map<string, Intl.DateTimeFormat>();
    const Cached = function (locales?: string | string[], options?: Intl.DateTimeFormatOptions) {
      const key = JSON.stringify([locales, options]);
      let f = cache.get(key);
      if (!f) cache.set(key, (f = new Original(locales, options)));
      return f;
    } as unknown as typeof Intl.DateTimeFormat;
    Object.assign(Cached, Original);
    Intl.DateTimeFormat = Cached;
  }
  if (![...on].some((x) => x !== "intl")) return;

  // The batch's bank references, known to the service before the lock (a real
  // change would carry them on WriteRequest as a prefetch hint).
  const bankRefs = new Map<string, { bankAccount: string | null; bankReference: string }>();
  if (on.has("idem")) {
    const record = s.ledger.recordDonation.bind(s.ledger);
    s.ledger.recordDonation = async (p: Principal, code: string, input: DonationInput, meta: WriteMeta) => {
      const ref = input.method === "bank" ? input.bankReference?.trim() || null : null;
      const k = `${p.committeeId}\u0000${meta.idempotencyKey}`;
      if (ref) bankRefs.set(k, { bankAccount: input.bankAccount?.trim() || null, bankReference: ref });
      try {
        return await record(p, code, input, meta);
      } finally {
        bankRefs.delete(k);
      }
    };
  }
  const books = new Map<string, { id: number; code: string }>();
  const knex = s.db.knex;
  s.store.withCommitteeLock = async <T>(committeeId: number, work: (tx: LockedLedger) => Promise<T>): Promise<T> =>
    knex.transaction(async (trx) => {
      let head: { seq: number; hash: string } | null = null;
      if (on.has("lockhead")) {
        const r = await trx.raw(
          `select c.id, h.seq, h.hash from committees c
             left join lateral (select seq, hash from journal_entries where committee_id = c.id order by seq desc limit 1) h on true
           where c.id = ? for no key update of c`, [committeeId]);
        if (r.rows.length !== 1) fail("committee_not_found", `no committee ${committeeId}`);
        head = r.rows[0].seq === null ? { seq: 0, hash: GENESIS_HASH } : { seq: Number(r.rows[0].seq), hash: r.rows[0].hash };
      } else {
        const locked = await trx.raw("select id from committees where id = ? for no key update", [committeeId]);
        if (locked.rows.length !== 1) fail("committee_not_found", `no committee ${committeeId}`);
      }
      return work(new BenchLocked(trx, committeeId, on, head, bankRefs, books));
    });
}

class BenchLocked implements LockedLedger {
  private usedRefs = new Set<string>();
  private prefetched = new Set<string>();

  constructor(
    readonly trx: Knex.Transaction,
    private readonly committeeId: number,
    private readonly on: Set<PatchName>,
    private readonly knownHead: { seq: number; hash: string } | null,
    private readonly bankRefs: Map<string, { bankAccount: string | null; bankReference: string }>,
    private readonly books: Map<string, { id: number; code: string }>,
  ) {}

  async head() {
    if (this.knownHead) return this.knownHead;
    const row = await this.trx("journal_entries").where({ committee_id: this.committeeId }).orderBy("seq", "desc").first("seq", "hash");
    return row ? { seq: Number(row.seq), hash: row.hash as string } : { seq: 0, hash: GENESIS_HASH };
  }

  async storedResponses(keys: string[]): Promise<Map<string, StoredResponse>> {
    if (keys.length === 0) return new Map();
    if (!this.on.has("idem")) {
      const rows = await this.trx("idempotency_keys").where({ committee_id: this.committeeId }).whereIn("key", keys);
      return new Map(rows.map((r) => [r.key, { requestHash: r.request_hash, response: r.response }]));
    }
    const refs = keys.flatMap((k) => {
      const r = this.bankRefs.get(`${this.committeeId}\u0000${k}`);
      return r ? [{ acct: r.bankAccount ?? "", ref: r.bankReference }] : [];
    });
    // An array binding goes to pg as one array parameter (= any(?)). The bank
    // references go as one JSON parameter, joined so that donations_bank_reference is used.
    const r = await this.trx.raw(
      `select 'k' as t, key, request_hash, response, null as acct, null as ref from idempotency_keys where committee_id = ? and key in (?)
       union all
       select 'r', null, null, null, r.acct, r.ref from json_to_recordset(?::json) as r(acct text, ref text)
        where exists (select 1 from donations d where d.committee_id = ? and coalesce(d.bank_account, '') = r.acct
                        and d.bank_reference = r.ref)`,
      [this.committeeId, keys, JSON.stringify(refs), this.committeeId]);
    this.prefetched = new Set(refs.map((x) => `${x.acct}\u0000${x.ref}`));
    this.usedRefs = new Set(r.rows.filter((x: { t: string }) => x.t === "r").map((x: { acct: string; ref: string }) => `${x.acct}\u0000${x.ref}`));
    return new Map(r.rows.filter((x: { t: string }) => x.t === "k")
      .map((x: { key: string; request_hash: string; response: unknown }) => [x.key, { requestHash: x.request_hash, response: x.response }]));
  }

  async closedThrough(): Promise<string | null> {
    const row = await this.trx("period_closes").where({ committee_id: this.committeeId }).max("through_date as d").first();
    return row?.d ?? null;
  }

  async balance(accountId: number): Promise<bigint> {
    const row = await this.trx("account_balances").where({ account_id: accountId }).first("balance_dong");
    return row ? BigInt(row.balance_dong) : 0n;
  }

  async lastVoucherNumber(series: "PT" | "PC", year: number) {
    const bk = `${this.committeeId}-${series}`;
    let book = this.on.has("books") ? this.books.get(bk) : undefined;
    if (!book) {
      const row = await this.trx("receipt_books").where({ committee_id: this.committeeId, series, code: series }).first("id", "code");
      assert(row, `committee ${this.committeeId} has its default ${series} book`);
      book = { id: Number(row.id), code: row.code as string };
      this.books.set(bk, book);
    }
    const row = await this.trx("vouchers").where({ book_id: book.id, year }).max("number as n").first();
    return { bookId: book.id, bookCode: book.code, number: Number(row?.n ?? 0) };
  }

  async bankReferenceUsed(bankAccount: string | null, reference: string): Promise<boolean> {
    const k = `${bankAccount ?? ""}\u0000${reference}`;
    if (this.prefetched.has(k)) return this.usedRefs.has(k);
    const row = await this.trx("donations").where({ committee_id: this.committeeId, bank_reference: reference })
      .whereRaw("coalesce(bank_account, '') = ?", [bankAccount ?? ""]).first("entry_id");
    return row !== undefined;
  }

  async isReversed(entryId: string): Promise<boolean> {
    return (await this.trx("journal_entries").where({ reversal_of: entryId }).first("id")) !== undefined;
  }

  async upsertParties(kind: "donor" | "beneficiary", parties: PartyIdentity[]): Promise<Map<string, number>> {
    const table = kind === "donor" ? "donors" : "beneficiaries";
    const unique = [...new Map(parties.map((p) => [p.key, p])).values()];
    const rows = unique.map((p) => kind === "donor"
      ? { committee_id: this.committeeId, identity_key: p.key, name: p.name, kind: p.kind, phone: p.phone ?? null }
      : { committee_id: this.committeeId, identity_key: p.key, name: p.name, category: p.kind, area: p.area ?? "" });
    if (!this.on.has("donors")) {
      await this.trx(table).insert(rows).onConflict(["committee_id", "identity_key"]).ignore();
      const found = await this.trx(table).where({ committee_id: this.committeeId }).whereIn("identity_key", unique.map((p) => p.key))
        .select("id", "identity_key");
      return new Map(found.map((r) => [r.identity_key as string, Number(r.id)]));
    }
    const ins = this.trx(table).insert(rows).onConflict(["committee_id", "identity_key"]).ignore().returning(["id", "identity_key"]).toSQL();
    const r = await this.trx.raw(
      `with ins as (${ins.sql}) select id, identity_key from ins
       union all select id, identity_key from ${table} where committee_id = ? and identity_key = any(?)`,
      [...ins.bindings, this.committeeId, unique.map((p) => p.key)]);
    return new Map(r.rows.map((x: { id: string; identity_key: string }) => [x.identity_key, Number(x.id)]));
  }

  async insertEntries(rows: EntryRow[], responses: IdempotentResponse[]): Promise<void> {
    const c = this.committeeId;
    const lists = insertLists(c, rows, responses);
    if (!this.on.has("insert")) {
      for (const [table, list] of lists) {
        for (let i = 0; i < list.length; i += 500) await this.trx(table).insert(list.slice(i, i + 500));
      }
      return;
    }
    const parts: string[] = [];
    const bindings: unknown[] = [];
    lists.filter(([, list]) => list.length > 0).forEach(([table, list], i) => {
      const q = this.trx(table).insert(list).toSQL();
      parts.push(`i${i} as (${q.sql})`);
      bindings.push(...q.bindings);
    });
    await this.trx.raw(`with ${parts.join(", ")} select 1`, bindings as Knex.RawBinding[]);
  }
}

/** The same rows as KnexLocked.insertEntries in src/db/store.ts. */
function insertLists(c: number, rows: EntryRow[], responses: IdempotentResponse[]): [string, Record<string, unknown>[]][] {
  const entries = rows.map(({ entry: e }) => ({
    id: e.id, committee_id: c, seq: e.seq, entry_date: e.entryDate, recorded_at: e.recordedAt, kind: e.kind,
    description: e.description, campaign_id: e.campaign?.id ?? null, recorded_by: e.recordedBy,
    idempotency_key: e.idempotencyKey, reversal_of: e.reversalOf, prev_hash: e.prevHash, hash: e.hash,
    // columns the working tree is adding (approval workflow), written only when the entry has them
    ...("resolutionRef" in e ? { resolution_ref: (e as { resolutionRef: string | null }).resolutionRef } : {}),
    ...("requiredApprovals" in e ? { required_approvals: (e as { requiredApprovals: number }).requiredApprovals } : {}),
  }));
  const postings = rows.flatMap(({ entry: e }) => e.postings.map((p, i) => ({
    entry_id: e.id, committee_id: c, line: i + 1, account_id: p.account.id, amount_dong: p.amountDong.toString(),
  })));
  const vouchers = rows.flatMap(({ entry: e, voucher: v }) => v ? [{
    committee_id: c, book_id: v.bookId, year: v.year, number: v.number, voucher_no: e.voucherNo, entry_id: e.id,
  }] : []);
  const donations = rows.flatMap(({ entry: e, donorId }) => e.donation ? [{
    entry_id: e.id, committee_id: c, campaign_id: e.campaign?.id, method: e.donation.method, donor_id: donorId,
    donor_name: e.donation.donorName, donor_kind: e.donation.donorKind, publish_name: e.donation.publishName,
    bank_account: e.donation.bankAccount, bank_reference: e.donation.bankReference, note: e.donation.note,
  }] : []);
  const items = rows.flatMap(({ entry: e }) => e.items.map((it, i) => ({
    entry_id: e.id, committee_id: c, line: i + 1, description: it.description, quantity: it.quantity, unit: it.unit,
    unit_value_dong: it.unitValueDong.toString(), value_dong: it.valueDong.toString(), valuation_basis: it.valuationBasis,
  })));
  const disbursements = rows.flatMap(({ entry: e, beneficiaryId }) => e.disbursement ? [{
    entry_id: e.id, committee_id: c, campaign_id: e.campaign?.id, method: e.disbursement.method, beneficiary_id: beneficiaryId,
    beneficiary_name: e.disbursement.beneficiaryName, category: e.disbursement.category, area: e.disbursement.area,
    purpose: e.disbursement.purpose, quantity: e.disbursement.quantity, unit: e.disbursement.unit, note: e.disbursement.note,
  }] : []);
  const idem = responses.map((r) => ({
    committee_id: c, key: r.key, request_hash: r.requestHash, entry_id: r.entryId, response: JSON.stringify(r.response),
  }));
  return [
    ["journal_entries", entries], ["postings", postings], ["vouchers", vouchers], ["donations", donations],
    ["entry_items", items], ["disbursements", disbursements], ["idempotency_keys", idem],
  ];
}

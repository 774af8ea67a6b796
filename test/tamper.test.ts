import { expect } from "chai";
import type { Knex } from "knex";
import type { Soquy } from "../src/context.js";
import { KnexLedgerStore } from "../src/db/store.js";
import type { Principal } from "../src/ledger/types.js";
import { type ChainReport, verifyChain } from "../src/ledger/verify.js";
import { makeCommittee, meta, testOwnerKnex, testSoquy, uniqueCode, type TestCommittee } from "./support/db.js";

// Chain verification against tampering behind the application's back. One
// realistic ledger is built through the Ledger API (cash, bank and in-kind
// donations with items, disbursements with quantity and unit, general
// entries, an entry between campaigns, a reversal). Each tampering happens
// inside a transaction with session_replication_role = replica (which turns
// off the append-only triggers, as a superuser could), verifyChain reads
// through that same transaction, and the transaction is rolled back. 100
// seeded random tamperings pick a table, a row, a column and a plausible
// different value (or delete a row, insert a forged one, swap sequences):
// every one must be reported, at the changed entry's sequence (for a deleted
// entry, the next one). Reproduce with TAMPER_SEED=<seed>.

const SEED = Number(process.env.TAMPER_SEED ?? 93_2021);
const CASES = Number(process.env.TAMPER_CASES ?? 100);

let s: Soquy;
let t: TestCommittee; // the ledger under attack
let o: TestCommittee; // another committee, with a campaign of the same code
let vnn: string; // campaign codes in t (vnn also exists in o)
let tet: string;

/** mulberry32: small, seeded, good enough to pick tamperings reproducibly. */
function rng(seed: number) {
  let a = seed >>> 0;
  const next = () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let x = a;
    x = Math.imul(x ^ (x >>> 15), x | 1);
    x ^= x + Math.imul(x ^ (x >>> 7), x | 61);
    return ((x ^ (x >>> 14)) >>> 0) / 4294967296;
  };
  return {
    int: (n: number) => Math.floor(next() * n),
    pick<T>(list: readonly T[]): T {
      if (list.length === 0) throw new Error("pick from an empty list");
      return list[Math.floor(next() * list.length)]!;
    },
    bool: () => next() < 0.5,
  };
}
type Rng = ReturnType<typeof rng>;

/** What a tampering did, and where verifyChain must see it (null: anywhere, as long as ok is false). */
interface Outcome {
  what: string;
  seq: number | null;
}

type Row = Record<string, any>;

/** Tampers inside a transaction with triggers off, verifies through it, rolls back. */
async function tampered(work: (trx: Knex.Transaction) => Promise<Outcome>): Promise<{ outcome: Outcome; report: ChainReport }> {
  const trx = await (await testOwnerKnex()).transaction(); // turning triggers off takes the owner (a superuser on PostgreSQL)
  try {
    await trx.raw("set local session_replication_role = replica");
    const outcome = await work(trx);
    const report = await verifyChain(new KnexLedgerStore(trx as unknown as Knex), t.committee.id);
    return { outcome, report };
  } finally {
    await trx.rollback().catch(() => undefined);
  }
}

// ---- plausible changes ---------------------------------------------------------

const lookAlike: Record<string, string> = {
  a: "á", á: "à", à: "ả", ă: "â", â: "ă", ạ: "ậ", ả: "ã", e: "ê", ê: "ế", ế: "ề", ễ: "ế", ệ: "ễ", o: "ô", ô: "ơ", ơ: "ớ", ồ: "ổ",
  u: "ư", ư: "ứ", ứ: "ừ", i: "í", í: "ì", y: "ý", đ: "d", d: "đ", n: "m", h: "k", g: "q", t: "l", c: "k", ấ: "ầ", ộ: "ố",
};

/** Changes one letter of a text the way a careless or dishonest hand would. */
function changeLetter(text: string, r: Rng): string {
  const chars = [...text];
  const ways = r.int(4);
  if (ways === 0 && text.normalize("NFD") !== text) return text.normalize("NFD"); // looks the same, is not
  if (ways === 1) return `${text} `;
  const positions = chars.map((ch, i) => (lookAlike[ch.toLowerCase()] ? i : -1)).filter((i) => i >= 0);
  if (positions.length === 0) {
    const i = r.int(chars.length);
    chars[i] = chars[i] === "x" ? "y" : "x";
    return chars.join("");
  }
  const i = r.pick(positions);
  const ch = chars[i]!;
  const swapped = lookAlike[ch.toLowerCase()]!;
  chars[i] = ch === ch.toLowerCase() ? swapped : swapped.toUpperCase();
  return chars.join("");
}

/** A different hex digit at one place: still a well-formed hash. */
function changeHex(hash: string, r: Rng): string {
  const i = r.int(hash.length);
  const digits = "0123456789abcdef".replace(hash[i]!, "");
  return hash.slice(0, i) + r.pick([...digits]) + hash.slice(i + 1);
}

const dayShift = (date: string, n: number) => new Date(Date.parse(`${date}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);

/** ±1 without ever reaching 0 (postings are never zero). */
const nudge = (v: bigint, r: Rng) => {
  const d = r.bool() ? 1n : -1n;
  return v + d === 0n ? v - d : v + d;
};

// ---- the tamperings ----------------------------------------------------------------

/** The given donation row if it is a bank donation, else the first bank donation (with its seq). */
async function bankDonation(ctx: Ctx, row: Row): Promise<Row> {
  if (row.method === "bank") return row;
  const bank = await ctx.trx("donations as d").join("journal_entries as e", "e.id", "d.entry_id")
    .where({ "d.committee_id": row.committee_id, "d.method": "bank" }).orderBy("e.seq").first("d.*", "e.seq");
  if (!bank) throw new Error("the tamper fixture has a bank donation");
  return bank;
}

interface Ctx {
  trx: Knex.Transaction;
  r: Rng;
  entries: Row[]; // journal_entries of t, by seq, with their voucher_no as voucher
  seqOf: Map<string, number>;
  accounts: number[]; // t's account ids
}

const detailTables = ["postings", "vouchers", "donations", "entry_items", "disbursements"] as const;
type Table = "journal_entries" | (typeof detailTables)[number];

/** The rows of a table that belong to t's entries, with their entry's seq. */
async function rowsOf(ctx: Ctx, table: Table): Promise<Row[]> {
  if (table === "journal_entries") return ctx.entries;
  const rows = await ctx.trx(table).whereIn("entry_id", ctx.entries.map((e) => e.id));
  // In a reproducible order: by entry sequence, then line (entry ids are random).
  return rows.map((row) => ({ ...row, seq: ctx.seqOf.get(row.entry_id)! }))
    .sort((x, y) => x.seq - y.seq || Number(x.line ?? 0) - Number(y.line ?? 0));
}

const keyOf = (table: Table, row: Row): Record<string, unknown> =>
  table === "journal_entries" ? { id: row.id }
    : table === "postings" || table === "entry_items" ? { entry_id: row.entry_id, line: row.line }
      : { entry_id: row.entry_id };

async function set(ctx: Ctx, table: Table, row: Row, changes: Record<string, unknown>): Promise<void> {
  const n = await ctx.trx(table).where(keyOf(table, row)).update(changes);
  expect(n, `${table} ${JSON.stringify(keyOf(table, row))}`).to.equal(1);
}

/**
 * Every column of the six tables that the chain covers, and how to change
 * it plausibly. Returns the expected first broken sequence.
 */
const columnTampers: Record<Table, Record<string, (ctx: Ctx, row: Row) => Promise<Outcome>>> = {
  journal_entries: {
    id: async (ctx, row) => {
      // Its postings and details still point at the old id.
      await set(ctx, "journal_entries", row, { id: "0badc0de-0000-4000-8000-".concat(String(row.seq).padStart(12, "0")) });
      return { what: "id changed", seq: Number(row.seq) };
    },
    committee_id: async (ctx, row) => {
      await set(ctx, "journal_entries", row, { committee_id: o.committee.id, seq: 100_000 + Number(row.seq) });
      const last = Number(ctx.entries.at(-1)!.seq);
      return { what: "moved to another committee", seq: Number(row.seq) === last ? null : Number(row.seq) + 1 };
    },
    seq: async (ctx, row) => {
      const other = ctx.r.pick(ctx.entries.filter((e) => e.id !== row.id));
      await set(ctx, "journal_entries", row, { seq: 1_000_000 });
      await set(ctx, "journal_entries", other, { seq: row.seq });
      await set(ctx, "journal_entries", { id: row.id }, { seq: other.seq });
      return { what: `seq swapped with ${other.seq}`, seq: Math.min(Number(row.seq), Number(other.seq)) };
    },
    entry_date: async (ctx, row) => {
      const n = ctx.r.bool() ? 1 : -1;
      await set(ctx, "journal_entries", row, { entry_date: dayShift(row.entry_date, n) });
      return { what: `entry_date ${n > 0 ? "+" : "−"}1 day`, seq: Number(row.seq) };
    },
    recorded_at: async (ctx, row) => {
      const ms = ctx.r.pick([1, -1, 1000, -60_000]);
      await set(ctx, "journal_entries", row, { recorded_at: new Date((row.recorded_at as Date).getTime() + ms) });
      return { what: `recorded_at ${ms} ms`, seq: Number(row.seq) };
    },
    kind: async (ctx, row) => {
      // (kind = 'reversal') = (reversal_of is not null) is a CHECK: still enforced with triggers off.
      const choices = row.kind === "reversal" ? [] : ["donation", "disbursement", "general"].filter((k) => k !== row.kind);
      if (choices.length === 0) {
        await set(ctx, "journal_entries", row, { kind: "general", reversal_of: null });
        return { what: "reversal turned into a general entry", seq: Number(row.seq) };
      }
      const kind = ctx.r.pick(choices);
      await set(ctx, "journal_entries", row, { kind });
      return { what: `kind ${row.kind} → ${kind}`, seq: Number(row.seq) };
    },
    description: async (ctx, row) => {
      const description = changeLetter(row.description, ctx.r);
      await set(ctx, "journal_entries", row, { description });
      return { what: `description "${row.description}" → "${description}"`, seq: Number(row.seq) };
    },
    campaign_id: async (ctx, row) => {
      const campaigns = await ctx.trx("campaigns").where({ committee_id: t.committee.id }).orderBy("code").pluck("id");
      const to = ctx.r.pick([null, ...campaigns.map(Number)].filter((id) => id !== (row.campaign_id === null ? null : Number(row.campaign_id))));
      await set(ctx, "journal_entries", row, { campaign_id: to });
      return { what: `campaign_id ${row.campaign_id} → ${to}`, seq: Number(row.seq) };
    },
    recorded_by: async (ctx, row) => {
      const to = ctx.r.pick(Object.values(t.principals).map((p) => p.tokenId).filter((id) => id !== Number(row.recorded_by)));
      await set(ctx, "journal_entries", row, { recorded_by: to });
      return { what: `recorded_by ${row.recorded_by} → ${to}`, seq: Number(row.seq) };
    },
    idempotency_key: async (ctx, row) => {
      const key = row.idempotency_key === null ? "forged-key" : changeLetter(row.idempotency_key, ctx.r);
      await set(ctx, "journal_entries", row, { idempotency_key: key });
      return { what: "idempotency_key changed", seq: Number(row.seq) };
    },
    reversal_of: async (ctx, row) => {
      if (row.reversal_of === null) {
        const target = ctx.r.pick(ctx.entries.filter((e) => e.id !== row.id && !ctx.entries.some((x) => x.reversal_of === e.id)));
        await set(ctx, "journal_entries", row, { kind: "reversal", reversal_of: target.id });
        return { what: `made a reversal of ${target.seq}`, seq: Number(row.seq) };
      }
      const target = ctx.r.pick(ctx.entries.filter((e) => e.id !== row.id && e.id !== row.reversal_of && !ctx.entries.some((x) => x.reversal_of === e.id)));
      await set(ctx, "journal_entries", row, { reversal_of: target.id });
      return { what: `reversal pointed at ${target.seq}`, seq: Number(row.seq) };
    },
    resolution_ref: async (ctx, row) => {
      const ref = row.resolution_ref === null ? "NQ 07/NQ-MTTQ" : ctx.r.bool() ? null : changeLetter(row.resolution_ref, ctx.r);
      await set(ctx, "journal_entries", row, { resolution_ref: ref });
      return { what: `resolution_ref ${row.resolution_ref} → ${ref}`, seq: Number(row.seq) };
    },
    prev_hash: async (ctx, row) => {
      await set(ctx, "journal_entries", row, { prev_hash: changeHex(row.prev_hash, ctx.r) });
      return { what: "prev_hash: one hex digit changed", seq: Number(row.seq) };
    },
    hash: async (ctx, row) => {
      await set(ctx, "journal_entries", row, { hash: changeHex(row.hash, ctx.r) });
      return { what: "hash: one hex digit changed", seq: Number(row.seq) };
    },
  },
  postings: {
    entry_id: async (ctx, row) => {
      const to = ctx.r.pick(ctx.entries.filter((e) => e.id !== row.entry_id));
      await set(ctx, "postings", row, { entry_id: to.id, line: 900 });
      return { what: `posting moved from ${row.seq} to ${to.seq}`, seq: Math.min(Number(row.seq), Number(to.seq)) };
    },
    line: async (ctx, row) => {
      await set(ctx, "postings", row, { line: Number(row.line) + 10 });
      return { what: `posting line ${row.line} → ${Number(row.line) + 10}`, seq: Number(row.seq) };
    },
    account_id: async (ctx, row) => {
      const to = ctx.r.pick(ctx.accounts.filter((id) => id !== Number(row.account_id)));
      await set(ctx, "postings", row, { account_id: to });
      return { what: `posting account ${row.account_id} → ${to}`, seq: Number(row.seq) };
    },
    amount_dong: async (ctx, row) => {
      const amount = nudge(BigInt(row.amount_dong), ctx.r);
      await set(ctx, "postings", row, { amount_dong: amount.toString() });
      if (ctx.r.bool()) {
        // Keep the entry balanced: the opposite change on another line.
        const other = await ctx.trx("postings").where({ entry_id: row.entry_id }).whereNot({ line: row.line }).first();
        const back = BigInt(other.amount_dong) - (amount - BigInt(row.amount_dong));
        if (back !== 0n) {
          await set(ctx, "postings", other, { amount_dong: back.toString() });
          return { what: `amounts ±1 on two lines, still balanced`, seq: Number(row.seq) };
        }
      }
      return { what: `amount ${row.amount_dong} → ${amount}`, seq: Number(row.seq) };
    },
  },
  vouchers: {
    entry_id: async (ctx, row) => {
      const to = ctx.r.pick(ctx.entries.filter((e) => e.id !== row.entry_id && !e.voucher));
      await set(ctx, "vouchers", row, { entry_id: to.id });
      return { what: `voucher moved from ${row.seq} to ${to.seq}`, seq: Math.min(Number(row.seq), Number(to.seq)) };
    },
    voucher_no: async (ctx, row) => {
      const voucherNo = row.voucher_no.replace(/\d{6}$/, (n: string) => String(Number(n) + 50).padStart(6, "0"));
      await set(ctx, "vouchers", row, { voucher_no: voucherNo });
      return { what: `voucher_no ${row.voucher_no} → ${voucherNo}`, seq: Number(row.seq) };
    },
  },
  donations: {
    entry_id: async (ctx, row) => {
      const to = ctx.r.pick(ctx.entries.filter((e) => e.kind !== "donation"));
      await set(ctx, "donations", row, { entry_id: to.id });
      return { what: `donation detail moved from ${row.seq} to ${to.seq}`, seq: Math.min(Number(row.seq), Number(to.seq)) };
    },
    method: async (ctx, row) => {
      const method = ctx.r.pick(["cash", "bank", "in_kind"].filter((m) => m !== row.method));
      await set(ctx, "donations", row, { method });
      return { what: `method ${row.method} → ${method}`, seq: Number(row.seq) };
    },
    donor_name: async (ctx, row) => {
      const name = changeLetter(row.donor_name, ctx.r);
      await set(ctx, "donations", row, { donor_name: name });
      return { what: `donor "${row.donor_name}" → "${name}"`, seq: Number(row.seq) };
    },
    donor_kind: async (ctx, row) => {
      const kind = ctx.r.pick(["individual", "business", "organisation", "anonymous"].filter((k) => k !== row.donor_kind));
      await set(ctx, "donations", row, { donor_kind: kind });
      return { what: `donor_kind ${row.donor_kind} → ${kind}`, seq: Number(row.seq) };
    },
    publish_name: async (ctx, row) => {
      await set(ctx, "donations", row, { publish_name: !row.publish_name });
      return { what: `publish_name → ${!row.publish_name}`, seq: Number(row.seq) };
    },
    // Bank fields exist only on bank donations: PostgreSQL refuses them elsewhere even
    // with triggers off (a check constraint), so these tamper with a bank donation.
    bank_account: async (ctx, given) => {
      const row = await bankDonation(ctx, given);
      const to = row.bank_account === null ? "0071000999999" : row.bank_account.replace(/\d$/, (d: string) => String((Number(d) + 1) % 10));
      await set(ctx, "donations", row, { bank_account: to });
      return { what: `bank_account ${row.bank_account} → ${to}`, seq: Number(row.seq) };
    },
    bank_reference: async (ctx, given) => {
      const row = await bankDonation(ctx, given);
      const to = row.bank_reference === null ? "FT24999999" : changeLetter(row.bank_reference, ctx.r);
      await set(ctx, "donations", row, { bank_reference: to });
      return { what: `bank_reference ${row.bank_reference} → ${to}`, seq: Number(row.seq) };
    },
    note: async (ctx, row) => {
      const to = row.note === null ? "Ghi chú thêm sau" : ctx.r.bool() ? null : changeLetter(row.note, ctx.r);
      await set(ctx, "donations", row, { note: to });
      return { what: `note ${row.note} → ${to}`, seq: Number(row.seq) };
    },
  },
  entry_items: {
    entry_id: async (ctx, row) => {
      const to = ctx.r.pick(ctx.entries.filter((e) => e.id !== row.entry_id));
      await set(ctx, "entry_items", row, { entry_id: to.id, line: 900 });
      return { what: `item moved from ${row.seq} to ${to.seq}`, seq: Math.min(Number(row.seq), Number(to.seq)) };
    },
    line: async (ctx, row) => {
      await set(ctx, "entry_items", row, { line: Number(row.line) + 10 });
      return { what: `item line ${row.line} → ${Number(row.line) + 10}`, seq: Number(row.seq) };
    },
    description: async (ctx, row) => {
      const to = changeLetter(row.description, ctx.r);
      await set(ctx, "entry_items", row, { description: to });
      return { what: `item "${row.description}" → "${to}"`, seq: Number(row.seq) };
    },
    quantity: async (ctx, row) => {
      const q = Number(row.quantity);
      const to = ctx.r.pick([q + 1, q + 0.001, q > 1 ? q - 1 : q + 2]).toFixed(3);
      await set(ctx, "entry_items", row, { quantity: to });
      return { what: `quantity ${row.quantity} → ${to}`, seq: Number(row.seq) };
    },
    unit: async (ctx, row) => {
      const to = ctx.r.pick(["kg", "thùng", "bao", "suất"].filter((u) => u !== row.unit));
      await set(ctx, "entry_items", row, { unit: to });
      return { what: `unit ${row.unit} → ${to}`, seq: Number(row.seq) };
    },
    unit_value_dong: async (ctx, row) => {
      const to = BigInt(row.unit_value_dong) + 1n;
      await set(ctx, "entry_items", row, { unit_value_dong: to.toString() });
      return { what: `unit value ${row.unit_value_dong} → ${to}`, seq: Number(row.seq) };
    },
    value_dong: async (ctx, row) => {
      const to = nudge(BigInt(row.value_dong), ctx.r);
      await set(ctx, "entry_items", row, { value_dong: to.toString() });
      return { what: `item value ${row.value_dong} → ${to}`, seq: Number(row.seq) };
    },
    valuation_basis: async (ctx, row) => {
      const to = changeLetter(row.valuation_basis, ctx.r);
      await set(ctx, "entry_items", row, { valuation_basis: to });
      return { what: `valuation basis → "${to}"`, seq: Number(row.seq) };
    },
  },
  disbursements: {
    entry_id: async (ctx, row) => {
      const to = ctx.r.pick(ctx.entries.filter((e) => e.kind !== "disbursement"));
      await set(ctx, "disbursements", row, { entry_id: to.id });
      return { what: `disbursement detail moved from ${row.seq} to ${to.seq}`, seq: Math.min(Number(row.seq), Number(to.seq)) };
    },
    method: async (ctx, row) => {
      const method = ctx.r.pick(["cash", "bank", "in_kind"].filter((m) => m !== row.method));
      await set(ctx, "disbursements", row, { method });
      return { what: `method ${row.method} → ${method}`, seq: Number(row.seq) };
    },
    beneficiary_name: async (ctx, row) => {
      const to = changeLetter(row.beneficiary_name, ctx.r);
      await set(ctx, "disbursements", row, { beneficiary_name: to });
      return { what: `household "${row.beneficiary_name}" → "${to}"`, seq: Number(row.seq) };
    },
    category: async (ctx, row) => {
      const to = ctx.r.pick(["poor", "near_poor", "hardship", "policy_family", "other"].filter((c) => c !== row.category));
      await set(ctx, "disbursements", row, { category: to });
      return { what: `category ${row.category} → ${to}`, seq: Number(row.seq) };
    },
    area: async (ctx, row) => {
      const to = changeLetter(row.area, ctx.r);
      await set(ctx, "disbursements", row, { area: to });
      return { what: `area "${row.area}" → "${to}"`, seq: Number(row.seq) };
    },
    purpose: async (ctx, row) => {
      const to = ctx.r.pick(["gift_package", "house_new", "house_repair", "livelihood", "schooling"].filter((p) => p !== row.purpose));
      await set(ctx, "disbursements", row, { purpose: to });
      return { what: `purpose ${row.purpose} → ${to}`, seq: Number(row.seq) };
    },
    quantity: async (ctx, row) => {
      const to = row.quantity === null ? "1.000" : (Number(row.quantity) + ctx.r.pick([1, 0.001, 10])).toFixed(3);
      // Quantity and unit go together (a check constraint, on even with triggers off).
      await set(ctx, "disbursements", row, row.unit === null ? { quantity: to, unit: "suất" } : { quantity: to });
      return { what: `quantity ${row.quantity} → ${to}`, seq: Number(row.seq) };
    },
    unit: async (ctx, row) => {
      const to = ctx.r.pick(["suất", "căn", "phần", "bao"].filter((u) => u !== row.unit));
      await set(ctx, "disbursements", row, row.quantity === null ? { unit: to, quantity: "1.000" } : { unit: to });
      return { what: `unit ${row.unit} → ${to}`, seq: Number(row.seq) };
    },
    note: async (ctx, row) => {
      const to = row.note === null ? "Đã nhận đủ" : ctx.r.bool() ? null : changeLetter(row.note, ctx.r);
      await set(ctx, "disbursements", row, { note: to });
      return { what: `note ${row.note} → ${to}`, seq: Number(row.seq) };
    },
  },
};

/**
 * Columns of the six tables that the hash does not cover; verifyChain checks
 * them by their links instead (tests below). The random tamperings leave them
 * out so that what they count is the hash chain's own promise. A new column must be put in one list
 * or the other (a test checks it).
 */
const outsideTheHash: Record<Table, string[]> = {
  journal_entries: ["required_approvals"],
  postings: ["committee_id"],
  vouchers: ["committee_id", "book_id", "year", "number"],
  donations: ["committee_id", "campaign_id", "donor_id"],
  entry_items: ["committee_id"],
  disbursements: ["committee_id", "campaign_id", "beneficiary_id"],
};

/** Whole rows: deleted, forged, or the chain's structure changed. */
const rowTampers: Record<string, (ctx: Ctx) => Promise<Outcome>> = {
  "delete an entry with its postings and details": async (ctx) => {
    const e = ctx.r.pick(ctx.entries);
    for (const table of [...detailTables].reverse()) await ctx.trx(table).where({ entry_id: e.id }).del();
    await ctx.trx("journal_entries").where({ id: e.id }).del();
    const last = Number(ctx.entries.at(-1)!.seq);
    // The last entry has no next one: only the kept balances give it away.
    return { what: `entry ${e.seq} deleted`, seq: Number(e.seq) === last ? null : Number(e.seq) + 1 };
  },
  "delete a detail row": async (ctx) => {
    const table = ctx.r.pick(detailTables);
    const row = ctx.r.pick(await rowsOf(ctx, table));
    await ctx.trx(table).where(keyOf(table, row)).del();
    return { what: `${table} row of ${row.seq} deleted`, seq: Number(row.seq) };
  },
  "insert a forged posting pair": async (ctx) => {
    const e = ctx.r.pick(ctx.entries);
    const a = ctx.r.pick(ctx.accounts);
    const b = ctx.r.pick(ctx.accounts.filter((id) => id !== a));
    await ctx.trx("postings").insert([
      { entry_id: e.id, committee_id: t.committee.id, line: 50, account_id: a, amount_dong: "1000000" },
      { entry_id: e.id, committee_id: t.committee.id, line: 51, account_id: b, amount_dong: "-1000000" },
    ]);
    return { what: `balanced posting pair added to ${e.seq}`, seq: Number(e.seq) };
  },
  "insert a forged item": async (ctx) => {
    const e = ctx.r.pick(ctx.entries);
    await ctx.trx("entry_items").insert({
      entry_id: e.id, committee_id: t.committee.id, line: 60, description: "Dầu ăn", quantity: "10.000", unit: "chai",
      unit_value_dong: "45000", value_dong: "450000", valuation_basis: "Hóa đơn",
    });
    return { what: `item added to ${e.seq}`, seq: Number(e.seq) };
  },
  "insert a forged voucher": async (ctx) => {
    const e = ctx.r.pick(ctx.entries.filter((x) => !x.voucher));
    const book = await ctx.trx("receipt_books").where({ committee_id: t.committee.id, code: "PC" }).first("id");
    await ctx.trx("vouchers").insert({ committee_id: t.committee.id, book_id: book.id, year: 2024, number: 90, voucher_no: "PC-2024-000090", entry_id: e.id });
    return { what: `voucher PC-2024-000090 added to ${e.seq}`, seq: Number(e.seq) };
  },
  "insert a forged entry at the head": async (ctx) => {
    const head = ctx.entries.at(-1)!;
    const { voucher: _voucher, ...copy } = ctx.entries[ctx.r.int(ctx.entries.length)]!;
    const id = "f0f0f0f0-0000-4000-8000-000000000001";
    await ctx.trx("journal_entries").insert({
      ...copy, seq: Number(head.seq) + 1, id, prev_hash: head.hash, reversal_of: null, kind: copy.kind === "reversal" ? "general" : copy.kind,
      idempotency_key: "forged",
    });
    await ctx.trx("postings").insert([
      { entry_id: id, committee_id: t.committee.id, line: 1, account_id: ctx.r.pick(ctx.accounts), amount_dong: "700000" },
      { entry_id: id, committee_id: t.committee.id, line: 2, account_id: ctx.r.pick(ctx.accounts), amount_dong: "-700000" },
    ]);
    return { what: `forged entry ${Number(head.seq) + 1} appended (copied hash of ${copy.seq})`, seq: Number(head.seq) + 1 };
  },
  "swap two entries' sequences": async (ctx) => {
    const a = ctx.r.pick(ctx.entries);
    const b = ctx.r.pick(ctx.entries.filter((e) => e.id !== a.id));
    await ctx.trx("journal_entries").where({ id: a.id }).update({ seq: 1_000_000 });
    await ctx.trx("journal_entries").where({ id: b.id }).update({ seq: a.seq });
    await ctx.trx("journal_entries").where({ id: a.id }).update({ seq: b.seq });
    return { what: `seq ${a.seq} ⇄ ${b.seq}`, seq: Math.min(Number(a.seq), Number(b.seq)) };
  },
  "rewrite an entry and recompute its hash": async (ctx) => {
    // The forger knows the algorithm: the changed entry is consistent, its successor is not.
    const e = ctx.r.pick(ctx.entries.slice(0, -1));
    await ctx.trx("journal_entries").where({ id: e.id }).update({ description: changeLetter(e.description, ctx.r) });
    const [{ h }] = (await ctx.trx.raw("select soquy_entry_hash(prev_hash, soquy_entry_canonical(id)) as h from journal_entries where id = ?", [e.id])).rows;
    await ctx.trx("journal_entries").where({ id: e.id }).update({ hash: h });
    return { what: `entry ${e.seq} rewritten with a fresh hash`, seq: Number(e.seq) + 1 };
  },
};

async function context(trx: Knex.Transaction, r: Rng): Promise<Ctx> {
  const entries = await trx("journal_entries as e").leftJoin("vouchers as v", "v.entry_id", "e.id")
    .where("e.committee_id", t.committee.id).orderBy("e.seq").select("e.*", "v.voucher_no as voucher");
  const accounts = (await trx("accounts").where({ committee_id: t.committee.id }).orderBy("code").pluck("id")).map(Number);
  return { trx, r, entries, seqOf: new Map(entries.map((e) => [e.id as string, Number(e.seq)])), accounts };
}

/** One random tampering: a table, a row and a column, or a whole-row change. */
async function randomTamper(ctx: Ctx): Promise<Outcome> {
  const r = ctx.r;
  if (r.int(5) === 0) {
    const name = r.pick(Object.keys(rowTampers));
    return rowTampers[name]!(ctx);
  }
  const table = r.pick(Object.keys(columnTampers) as Table[]);
  const rows = await rowsOf(ctx, table);
  const row = r.pick(rows);
  const column = r.pick(Object.keys(columnTampers[table]));
  const outcome = await columnTampers[table][column]!(ctx, row);
  return { ...outcome, what: `${table}.${column} of entry ${row.seq}: ${outcome.what}` };
}

async function buildLedger(): Promise<void> {
  t = await makeCommittee(s, "Ủy ban MTTQ phường Kiến Tường");
  o = await makeCommittee(s, "Ủy ban MTTQ xã Tuyên Thạnh");
  vnn = uniqueCode("VNN").toUpperCase();
  tet = uniqueCode("TET").toUpperCase();
  const tr: Principal = t.principals.treasurer;
  const L = s.ledger;
  for (const [committee, code, kind] of [[t, vnn, "for_the_poor"], [t, tet, "tet_gifts"], [o, vnn, "for_the_poor"]] as const) {
    await L.createCampaign(committee.principals.treasurer, {
      code, name: kind === "tet_gifts" ? "Quà Tết Giáp Thìn 2024" : "Quỹ “Vì người nghèo” năm 2024", kind, startsOn: "2024-01-01",
      receivingException: "Quỹ thường xuyên trong năm",
    }, meta("tamper"));
  }
  const donor = (name: string, kind: "individual" | "business" | "organisation" | "anonymous" = "individual", publishName = true) =>
    ({ name, kind, publishName });
  const home = (name: string, area: string, category: "poor" | "near_poor" | "hardship" = "poor") => ({ name, category, area });
  await L.recordDonation(tr, vnn, { receivedOn: "2024-01-05", amountDong: "20000000", method: "cash", donor: donor("Nguyễn Văn Ánh"), note: "Ủng hộ đầu năm" }, meta("tamper"));
  await L.recordDonation(tr, vnn, {
    receivedOn: "2024-01-06", amountDong: "15000000", method: "bank", bankAccount: "0071000123456", bankReference: "FT24006123456",
    donor: donor("Công ty TNHH Minh Phát", "business"), note: "Chuyển khoản Vietcombank",
  }, meta("tamper"));
  await L.recordDonation(tr, vnn, {
    receivedOn: "2024-01-08", amountDong: "23500000", method: "in_kind", donor: donor("Hội Doanh nhân trẻ", "organisation"),
    items: [
      { description: "Gạo ST25", quantity: "500", unit: "kg", unitValueDong: "25000", valuationBasis: "Giá thị trường ngày nhận" },
      { description: "Mì tôm Hảo Hảo", quantity: "100", unit: "thùng", unitValueDong: "110000", valuationBasis: "Hóa đơn mua hàng" },
    ],
  }, meta("tamper"));
  await L.recordDonation(tr, tet, { receivedOn: "2024-01-10", amountDong: "30000000", method: "cash", donor: donor("", "anonymous", false) }, meta("tamper"));
  const small = await L.recordDonation(tr, vnn, { receivedOn: "2024-01-12", amountDong: "500000", method: "cash", donor: donor("Trần Thị Bình", "individual", false) }, meta("tamper"));
  await L.recordDisbursement(tr, vnn, {
    paidOn: "2024-01-20", amountDong: "2000000", method: "cash", purpose: "house_repair", quantity: "1", unit: "căn",
    beneficiary: home("Lê Văn Cường", "Khu phố 3"), note: "Sửa mái tôn",
  }, meta("tamper"));
  await L.recordDisbursement(tr, vnn, {
    paidOn: "2024-01-21", amountDong: "1250000", method: "in_kind", purpose: "gift_package", quantity: "50", unit: "suất",
    beneficiary: home("Đỗ Thị Hạnh", "Ấp Tân Hòa", "near_poor"),
  }, meta("tamper"));
  await L.recordDisbursement(tr, tet, {
    paidOn: "2024-02-05", amountDong: "500000", method: "cash", purpose: "gift_package", quantity: "1", unit: "suất",
    beneficiary: home("Phạm Văn Đức", "Khu phố 1"),
  }, meta("tamper"));
  await L.recordDisbursement(tr, vnn, {
    paidOn: "2024-02-06", amountDong: "3000000", method: "bank", purpose: "schooling", beneficiary: home("Võ Thị Lan", "Khu phố 2", "hardship"),
  }, meta("tamper"));
  await L.recordGeneral(tr, {
    entryDate: "2024-01-31", description: "Phí chuyển khoản tháng 1",
    postings: [{ account: "6421", amountDong: "11000" }, { account: `1121.${vnn}`, amountDong: "-11000" }],
  }, meta("tamper"));
  await L.recordGeneral(tr, {
    entryDate: "2024-02-07", description: "Điều chuyển tiền mặt sang Quỹ quà Tết", resolutionRef: "NQ 05/NQ-MTTQ ngày 06/02/2024",
    postings: [{ account: `1111.${tet}`, amountDong: "1000000" }, { account: `1111.${vnn}`, amountDong: "-1000000" }],
  }, meta("tamper"));
  await L.reverse(tr, small.entry.id, { reason: "Ghi trùng phiếu thu", entryDate: "2024-02-08" }, meta("tamper"));
  await L.recordDonation(tr, tet, { receivedOn: "2024-02-01", amountDong: "2000000", method: "cash", donor: donor("Phạm Thị Dung") }, meta("tamper"));
  await L.recordDisbursement(tr, tet, {
    paidOn: "2024-02-08", amountDong: "1000000", method: "cash", purpose: "gift_package", quantity: "2", unit: "suất",
    beneficiary: home("Nguyễn Thị Mai", "Khu phố 4"),
  }, meta("tamper"));
  await L.recordGeneral(tr, {
    entryDate: "2024-02-09", description: "Nộp tiền mặt vào tài khoản",
    postings: [{ account: `1121.${vnn}`, amountDong: "5000000" }, { account: `1111.${vnn}`, amountDong: "-5000000" }],
  }, meta("tamper"));
  await s.ledger.recordDonation(o.principals.treasurer, vnn, {
    receivedOn: "2024-01-05", amountDong: "7000000", method: "cash", donor: donor("Nguyễn Văn Ánh"),
  }, meta("tamper"));
}

describe("tampering is caught by chain verification", () => {
  before(async () => {
    s = await testSoquy();
    await buildLedger();
  });

  it("starts from a ledger that verifies: ~15 entries of every kind", async () => {
    const report = await verifyChain(s.store, t.committee.id);
    expect(report).to.include({ ok: true, checked: 15, firstBrokenSeq: null });
    const kinds = await s.db.knex("journal_entries").where({ committee_id: t.committee.id }).pluck("kind");
    expect(new Set(kinds)).to.deep.equal(new Set(["donation", "disbursement", "general", "reversal"]));
    for (const table of detailTables) {
      const n = await s.db.knex(table).where({ committee_id: t.committee.id }).count("* as n").first();
      expect(Number(n?.n), table).to.be.greaterThan(0);
    }
  });

  it("sees through the transaction, and the rollback leaves nothing behind", async () => {
    const { report } = await tampered(async (trx) => {
      await trx("journal_entries").where({ committee_id: t.committee.id, seq: 3 }).update({ description: "Xóa dấu vết" });
      return { what: "probe", seq: 3 };
    });
    expect(report).to.include({ ok: false, firstBrokenSeq: 3 });
    expect(await verifyChain(s.store, t.committee.id)).to.include({ ok: true, checked: 15 });
  });

  it("names every column of the six tables: covered by the hash, or listed as outside it", async () => {
    for (const table of Object.keys(columnTampers) as Table[]) {
      const columns = await s.db.knex("information_schema.columns").where({ table_name: table, table_schema: s.db.knex.raw("current_schema()") })
        .pluck("column_name");
      const named = [...Object.keys(columnTampers[table]), ...outsideTheHash[table]];
      expect([...columns].sort(), table).to.deep.equal([...named].sort());
    }
  });

  it(`catches ${CASES} of ${CASES} seeded random tamperings, at the changed entry's sequence`, async function () {
    this.timeout(180_000);
    const r = rng(SEED);
    const missed: string[] = [];
    const kinds = new Map<string, number>();
    let caught = 0;
    for (let i = 0; i < CASES; i++) {
      const { outcome, report } = await tampered(async (trx) => randomTamper(await context(trx, r)));
      const kind = /^[a-z_]+\.[a-z_]+ of entry/.test(outcome.what) ? outcome.what.split(".")[0]! : "whole rows";
      kinds.set(kind, (kinds.get(kind) ?? 0) + 1);
      const where = outcome.seq === null ? "anywhere" : `at ${outcome.seq}`;
      if (report.ok) missed.push(`#${i} ${outcome.what}: verify says ok`);
      else if (outcome.seq !== null && report.firstBrokenSeq !== outcome.seq) {
        missed.push(`#${i} ${outcome.what}: expected ${where}, verify said ${report.firstBrokenSeq} (${report.reason})`);
      } else caught++;
    }
    console.log(`      caught ${caught} of ${CASES} tamperings (TAMPER_SEED=${SEED}): ${[...kinds].map(([k, n]) => `${k} ${n}`).join(", ")}`);
    expect(missed, `TAMPER_SEED=${SEED}`).to.deep.equal([]);
    expect(await verifyChain(s.store, t.committee.id)).to.include({ ok: true, checked: 15 });
  });

  it("catches every hashed column and every row tampering at least once (not only by luck)", async () => {
    const r = rng(SEED + 1);
    const missed: string[] = [];
    const all: [string, (ctx: Ctx) => Promise<Outcome>][] = [
      ...Object.entries(rowTampers),
      ...(Object.keys(columnTampers) as Table[]).flatMap((table) => Object.entries(columnTampers[table]).map(([column, f]) =>
        [`${table}.${column}`, async (ctx: Ctx) => f(ctx, r.pick(await rowsOf(ctx, table)))] as [string, (ctx: Ctx) => Promise<Outcome>])),
    ];
    for (const [name, f] of all) {
      const { outcome, report } = await tampered(async (trx) => f(await context(trx, r)));
      if (report.ok || (outcome.seq !== null && report.firstBrokenSeq !== outcome.seq)) {
        missed.push(`${name}: ${outcome.what}: expected ${outcome.seq}, got ok=${report.ok} at ${report.firstBrokenSeq} (${report.reason})`);
      }
    }
    expect(missed).to.deep.equal([]);
  });

  // Columns outside the hash: changing them changes what the books say, and verifyChain does not notice.
  describe("columns outside the hash", () => {
    const ofEntry = async (trx: Knex.Transaction, where: (q: Knex.QueryBuilder) => void) => {
      const q = trx("journal_entries").where({ committee_id: t.committee.id });
      where(q);
      return q.first();
    };

    it("journal_entries.required_approvals 2 → 1 on an entry between campaigns is caught (maker-checker cannot be bypassed)", async () => {
      const { report } = await tampered(async (trx) => {
        const e = await ofEntry(trx, (q) => q.where({ required_approvals: 2 }));
        await trx("journal_entries").where({ id: e.id }).update({ required_approvals: 1 });
        return { what: "required_approvals 2 → 1", seq: Number(e.seq) };
      });
      expect(report.ok, "an entry between campaigns now needs one approver, and verify says ok").to.equal(false);
    });

    for (const table of ["donations", "disbursements"] as const) {
      it(`${table}.campaign_id moved to another campaign is caught`, async () => {
        let before: unknown;
        const { report } = await tampered(async (trx) => {
          const row = await trx(table).where({ committee_id: t.committee.id }).first();
          const other = await trx("campaigns").where({ committee_id: t.committee.id }).whereNot({ id: row.campaign_id }).first("id");
          before = row.campaign_id;
          await trx(table).where({ entry_id: row.entry_id }).update({ campaign_id: other.id });
          return { what: `campaign_id ${before} → ${other.id}`, seq: null };
        });
        expect(report.ok, `${table}.campaign_id changed and verify says ok`).to.equal(false);
      });
    }

    it("donations.donor_id and disbursements.beneficiary_id re-pointed are caught", async () => {
      for (const [table, column, parties] of [["donations", "donor_id", "donors"], ["disbursements", "beneficiary_id", "beneficiaries"]] as const) {
        const { report } = await tampered(async (trx) => {
          const row = await trx(table).where({ committee_id: t.committee.id }).first();
          const other = await trx(parties).where({ committee_id: t.committee.id }).whereNot({ id: row[column] }).first("id");
          await trx(table).where({ entry_id: row.entry_id }).update({ [column]: other.id });
          return { what: `${column} re-pointed`, seq: null };
        });
        expect(report.ok, `${table}.${column} changed and verify says ok`).to.equal(false);
      }
    });

    it("vouchers.number / year / book_id no longer matching voucher_no are caught", async () => {
      for (const change of [{ number: 77 }, { year: 2023 }, { book: true }]) {
        const { report } = await tampered(async (trx) => {
          // The highest number of its book, so that moving it to the other book collides with nothing.
          const v = await trx("vouchers").where({ committee_id: t.committee.id }).orderBy("number", "desc").first();
          const other = await trx("receipt_books").where({ committee_id: t.committee.id }).whereNot({ id: v.book_id }).first("id");
          const update = "book" in change ? { book_id: other.id } : change;
          await trx("vouchers").where({ entry_id: v.entry_id }).update(update);
          return { what: JSON.stringify(update), seq: null };
        });
        expect(report.ok, `vouchers ${JSON.stringify(change)}: verify says ok`).to.equal(false);
      }
    });

    it("the committee_id of a detail row (posting, voucher, donation, item, disbursement) is checked", async () => {
      const silent: string[] = [];
      for (const table of detailTables) {
        const { report } = await tampered(async (trx) => {
          // The last voucher: its number is not in o's books (voucher_no is unique per committee).
          const row = await trx(table).where({ committee_id: t.committee.id }).orderBy("entry_id").modify((q) => {
            if (table === "vouchers") q.clearOrder().orderBy("number", "desc");
          }).first();
          await trx(table).where(keyOf(table, row)).update({ committee_id: o.committee.id });
          return { what: table, seq: null };
        });
        if (report.ok) silent.push(table);
      }
      // A posting counted in another committee changes t's balances as of any date (balancesAsOf filters on it).
      expect(silent, "detail rows moved to another committee while verify says ok").to.deep.equal([]);
    });

    it("an entry's campaign swapped for another committee's campaign of the same code is caught", async () => {
      const { report } = await tampered(async (trx) => {
        const e = await ofEntry(trx, (q) => q.where({ seq: 1 }));
        const theirs = await trx("campaigns").where({ committee_id: o.committee.id, code: vnn }).first("id");
        await trx("journal_entries").where({ id: e.id }).update({ campaign_id: theirs.id });
        return { what: "campaign_id → o's campaign with the same code", seq: 1 };
      });
      expect(report, "the canonical form names the campaign by code only").to.include({ ok: false, firstBrokenSeq: 1 });
    });

    it("a posting re-pointed to another committee's account of the same code is located, even with the kept balances moved too", async () => {
      const located = await tampered(async (trx) => {
        const p = await trx("postings as p").join("accounts as a", "a.id", "p.account_id").where({ "p.committee_id": t.committee.id, "a.code": "6421" })
          .first("p.entry_id", "p.line", "p.account_id");
        const theirs = await trx("accounts").where({ committee_id: o.committee.id, code: "6421" }).first("id");
        await trx("postings").where({ entry_id: p.entry_id, line: p.line }).update({ account_id: theirs.id });
        return { what: "posting → o's 6421", seq: null };
      });
      const silent = await tampered(async (trx) => {
        const p = await trx("postings as p").join("accounts as a", "a.id", "p.account_id").where({ "p.committee_id": t.committee.id, "a.code": "6421" })
          .first("p.entry_id", "p.line", "p.account_id", "p.amount_dong");
        const theirs = await trx("accounts").where({ committee_id: o.committee.id, code: "6421" }).first("id");
        await trx("postings").where({ entry_id: p.entry_id, line: p.line }).update({ account_id: theirs.id });
        await trx.raw("update account_balances set balance_dong = balance_dong - ? where account_id = ?", [p.amount_dong, p.account_id]);
        await trx.raw(`insert into account_balances (account_id, committee_id, balance_dong) values (?, ?, ?)
          on conflict (account_id) do update set balance_dong = account_balances.balance_dong + excluded.balance_dong`, [theirs.id, o.committee.id, p.amount_dong]);
        return { what: "posting → o's 6421, balances moved", seq: null };
      });
      const seq = Number((await s.db.knex("journal_entries as e").join("postings as p", "p.entry_id", "e.id").join("accounts as a", "a.id", "p.account_id")
        .where({ "e.committee_id": t.committee.id, "a.code": "6421" }).first("e.seq")).seq);
      expect({ located: located.report.firstBrokenSeq, silentOk: silent.report.ok }).to.deep.equal({ located: seq, silentOk: false });
    });
  });
});

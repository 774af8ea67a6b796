import { randomUUID } from "node:crypto";
import { expect } from "chai";
import type { Knex } from "knex";
import type { Soquy } from "../src/context.js";
import { canonicalEntry, chainHash } from "../src/ledger/canonical.js";
import { LedgerError } from "../src/ledger/codes.js";
import type { DisbursementInput, DonationInput } from "../src/ledger/service.js";
import type { Account, Campaign, CommittedEntry, DonationDetail, EntryKind, Principal } from "../src/ledger/types.js";
import { GENESIS_HASH } from "../src/ledger/types.js";
import { verifyChain } from "../src/ledger/verify.js";
import type { WriteResult } from "../src/ledger/writer.js";
import { ledgerFixture, makeCommittee, meta, testOwnerKnex, testSoquy, type LedgerFixture, type TestCommittee } from "./support/db.js";

// Each invariant of the rule files (sql/) attacked head-on in SQL, as a
// writer that bypasses the app (or a superuser who disables the triggers)
// would. Runs on whatever database the harness gives: PGlite or PostgreSQL.
// Every attack works in a committee of its own, so the others stay clean.

const DAY = "2025-03-10";
const YEAR = 2025;

type Fixture = LedgerFixture;

/** The schema owner's connection: the rules below must hold even against the owner's own writes. */
let owner: Knex;

function fixture(code = "VNN"): Promise<Fixture> {
  return ledgerFixture(code, "2025-01-01");
}

const donor = { name: "Nguyễn Văn An", kind: "individual" as const, publishName: true };

function donate(f: Fixture, input: Partial<DonationInput> & Pick<DonationInput, "amountDong">): Promise<WriteResult> {
  return f.s.ledger.recordDonation(f.p, f.c.code, { receivedOn: DAY, method: "cash", donor, ...input }, meta());
}

function inKind(f: Fixture): Promise<WriteResult> {
  return donate(f, {
    method: "in_kind",
    amountDong: "1800000",
    items: [
      { description: "Gạo ST25", quantity: "50", unit: "kg", unitValueDong: "30000", valuationBasis: "Giá thị trường" },
      { description: "Mì tôm", quantity: "2.5", unit: "thùng", unitValueDong: "120000", valuationBasis: "Hóa đơn" },
    ],
  });
}

function disburse(f: Fixture, input: Partial<DisbursementInput> & Pick<DisbursementInput, "amountDong">): Promise<WriteResult> {
  return f.s.ledger.recordDisbursement(f.p, f.c.code, {
    paidOn: DAY,
    method: "cash",
    beneficiary: { name: "Hộ bà Lê Thị Hoa", category: "poor", area: "Tổ 3, phường Bến Thành" },
    purpose: "gift_package",
    ...input,
  }, meta());
}

interface PgError {
  code?: string;
  constraint?: string;
  message: string;
}

/** The error the work was refused with; fails the test when it was not refused. */
async function refusal(work: Promise<unknown>): Promise<PgError> {
  try {
    await work;
  } catch (error) {
    return error as PgError;
  }
  return expect.fail("expected the database to refuse");
}

/** Runs the statements in one transaction and shows that only COMMIT refused them. */
async function refusedAtCommit(f: Fixture, work: (trx: Knex.Transaction) => Promise<unknown>): Promise<PgError> {
  let reachedCommit = false;
  const error = await refusal(owner.transaction(async (trx) => {
    await work(trx);
    reachedCommit = true;
  }));
  expect(reachedCommit, `every statement ran and COMMIT refused (got ${error.code}: ${error.message})`).to.equal(true);
  return error;
}

class Rollback extends Error {}

/** Runs one statement in a transaction that is always rolled back; returns its error, if any. */
async function tryAndRollBack(f: Fixture, sql: string, bindings: readonly Knex.RawBinding[] = []): Promise<PgError | null> {
  let failure = null as PgError | null;
  try {
    await owner.transaction(async (trx) => {
      try {
        await trx.raw(sql, bindings);
      } catch (error) {
        failure = error as PgError;
        throw error;
      }
      throw new Rollback();
    });
  } catch (error) {
    if (!(error instanceof Rollback) && error !== failure) throw error;
  }
  return failure;
}

async function headOf(db: Knex | Knex.Transaction, committeeId: number): Promise<{ seq: number; hash: string }> {
  const { rows } = await db.raw("select seq, hash from journal_entries where committee_id = ? order by seq desc limit 1", [committeeId]);
  return rows[0] ? { seq: Number(rows[0].seq), hash: rows[0].hash } : { seq: 0, hash: GENESIS_HASH };
}

async function cashHeld(f: Fixture): Promise<bigint> {
  const { rows } = await owner.raw("select balance_dong from account_balances where account_id = ?", [f.c.accounts.cash.id]);
  return rows[0] ? BigInt(rows[0].balance_dong) : 0n;
}

// ---------------------------------------------------------------------------
// Entries written straight into the tables, hashed with the TypeScript twin.

interface RawSpec {
  id?: string;
  seq?: number;
  prevHash?: string;
  kind?: EntryKind;
  description?: string;
  campaign?: { id: number; code: string } | null;
  reversalOf?: string | null;
  postings: { account: Account; amountDong: bigint }[];
  voucher?: { series: "PT" | "PC"; number: number } | null;
  donation?: (DonationDetail & { donorId: number }) | null;
  /** Replaces the correct hash (attacks on the chain). */
  hash?: (correct: string) => string;
  /** The committee the posting rows claim (attacks on isolation). */
  postingCommitteeId?: number;
  /** Collects the posting rows here instead of inserting them (to write several entries' postings in one statement). */
  holdPostings?: (string | number)[][];
  /** Changes the entry after its hash was computed and before it is written. */
  afterHash?: (entry: Omit<CommittedEntry, "hash" | "prevHash">) => void;
}

async function insertRaw(trx: Knex.Transaction, f: Fixture, spec: RawSpec): Promise<{ id: string; seq: number; hash: string }> {
  const committeeId = f.committeeId;
  const head = await headOf(trx, committeeId);
  const seq = spec.seq ?? head.seq + 1;
  const prevHash = spec.prevHash ?? head.hash;
  let voucher: { bookId: number; number: number; voucherNo: string } | null = null;
  if (spec.voucher) {
    const { series, number } = spec.voucher;
    const { rows } = await trx.raw("select id from receipt_books where committee_id = ? and series = ? and code = ?", [committeeId, series, series]);
    voucher = { bookId: Number(rows[0].id), number, voucherNo: `${series}-${YEAR}-${String(number).padStart(6, "0")}` };
  }
  const d = spec.donation ?? null;
  const entry: Omit<CommittedEntry, "hash" | "prevHash"> = {
    id: spec.id ?? randomUUID(),
    kind: spec.kind ?? "general",
    entryDate: DAY,
    description: spec.description ?? "Bút toán ghi trực tiếp bằng SQL",
    campaign: spec.campaign === undefined ? { id: f.c.id, code: f.c.code } : spec.campaign,
    reversalOf: spec.reversalOf ?? null,
    resolutionRef: null,
    requiredApprovals: 1,
    postings: spec.postings.map((x, i) => ({ account: x.account, amountDong: x.amountDong, line: i + 1 })),
    voucherSeries: null,
    donation: d && {
      method: d.method, donorName: d.donorName, donorKind: d.donorKind, publishName: d.publishName,
      bankAccount: d.bankAccount, bankReference: d.bankReference, note: d.note,
    },
    items: [],
    disbursement: null,
    donorIdentity: null,
    beneficiaryIdentity: null,
    committeeId,
    committeeCode: f.tc.committee.code,
    seq,
    recordedAt: new Date().toISOString(),
    recordedBy: f.p.tokenId,
    idempotencyKey: null,
    voucherNo: voucher?.voucherNo ?? null,
  };
  const correct = chainHash(prevHash, canonicalEntry(entry));
  const hash = spec.hash ? spec.hash(correct) : correct;
  spec.afterHash?.(entry);
  await trx.raw(
    `insert into journal_entries (id, committee_id, seq, entry_date, recorded_at, kind, description, campaign_id,
       recorded_by, idempotency_key, reversal_of, prev_hash, hash)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?, null, ?, ?, ?)`,
    [entry.id, committeeId, seq, entry.entryDate, entry.recordedAt, entry.kind, entry.description, entry.campaign?.id ?? null,
      entry.recordedBy, entry.reversalOf, prevHash, hash],
  );
  if (spec.holdPostings) {
    for (const x of entry.postings) spec.holdPostings.push([entry.id, committeeId, x.line ?? 0, x.account.id, x.amountDong.toString()]);
  } else if (entry.postings.length > 0) {
    await trx.raw(
      `insert into postings (entry_id, committee_id, line, account_id, amount_dong) values ${entry.postings.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
      entry.postings.flatMap((x) => [entry.id, spec.postingCommitteeId ?? committeeId, x.line ?? 0, x.account.id, x.amountDong.toString()]),
    );
  }
  if (voucher) {
    await trx.raw(
      "insert into vouchers (committee_id, book_id, year, number, voucher_no, entry_id) values (?, ?, ?, ?, ?, ?)",
      [committeeId, voucher.bookId, YEAR, voucher.number, voucher.voucherNo, entry.id],
    );
  }
  if (d) {
    await trx.raw(
      `insert into donations (entry_id, committee_id, campaign_id, method, donor_id, donor_name, donor_kind, publish_name,
         bank_account, bank_reference, note) values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [entry.id, committeeId, f.c.id, d.method, d.donorId, d.donorName, d.donorKind, d.publishName, d.bankAccount, d.bankReference, d.note],
    );
  }
  return { id: entry.id, seq, hash };
}

function rawEntry(f: Fixture, spec: RawSpec) {
  return owner.transaction((trx) => insertRaw(trx, f, spec));
}

/** A balanced general entry moving money into the campaign's cash from its income. */
function cashIn(f: Fixture, amount: bigint): RawSpec["postings"] {
  return [
    { account: f.c.accounts.cash, amountDong: amount },
    { account: f.c.accounts.income, amountDong: -amount },
  ];
}

async function sqlCanonical(db: Knex, id: string): Promise<{ canonical: string; sqlHash: string; prevHash: string; hash: string }> {
  const { rows } = await db.raw(
    `select soquy_entry_canonical(id) as canonical, soquy_entry_hash(prev_hash, soquy_entry_canonical(id)) as sql_hash, prev_hash, hash
       from journal_entries where id = ?`,
    [id],
  );
  expect(rows, `entry ${id} exists`).to.have.length(1);
  return { canonical: rows[0].canonical, sqlHash: rows[0].sql_hash, prevHash: rows[0].prev_hash, hash: rows[0].hash };
}

describe("ledger invariants, attacked in SQL", function () {
  this.timeout(60_000);
  before(async () => {
    owner = await testOwnerKnex();
  });

  describe("raw entries (the control for every attack below)", () => {
    it("a correctly built entry written in SQL is accepted, and both canonical forms agree on it", async () => {
      const f = await fixture();
      const first = await rawEntry(f, { postings: cashIn(f, 100_000n), voucher: { series: "PT", number: 1 } });
      expect(first.seq).to.equal(1);
      const second = await rawEntry(f, {
        description: "Điều chuyển; phí: 2 khoản",
        postings: [
          { account: f.c.accounts.cash, amountDong: -30_000n },
          { account: f.c.accounts.bank, amountDong: 25_000n },
          { account: f.c.accounts.expense, amountDong: 5_000n },
        ],
      });
      expect(second.seq).to.equal(2);
      const report = await verifyChain(f.s.store, f.committeeId);
      expect(report).to.include({ ok: true, checked: 2, headSeq: 2, headHash: second.hash });
      for (const id of [first.id, second.id]) {
        const sql = await sqlCanonical(owner, id);
        const entry = await f.s.store.findEntry(f.committeeId, id);
        expect(sql.canonical).to.equal(canonicalEntry(entry!));
        expect(sql.sqlHash).to.equal(sql.hash);
      }
      expect(await cashHeld(f)).to.equal(70_000n);
      // The app continues the chain from an entry it did not write.
      const next = await donate(f, { amountDong: "1000" });
      expect(next.entry.sequence).to.equal(3);
      expect(next.entry.receiptNumber).to.equal(`PT-${YEAR}-000002`);
    });
  });

  describe("balanced entries (SQ001)", () => {
    let f: Fixture;
    before(async () => {
      f = await fixture();
      await donate(f, { amountDong: "500000" });
    });

    async function expectNothingChanged(): Promise<void> {
      expect((await headOf(owner, f.committeeId)).seq).to.equal(1);
      expect(await cashHeld(f)).to.equal(500_000n);
      expect((await verifyChain(f.s.store, f.committeeId)).ok).to.equal(true);
    }

    it("refuses at COMMIT an entry whose postings do not sum to 0", async () => {
      const error = await refusedAtCommit(f, (trx) => insertRaw(trx, f, {
        postings: [
          { account: f.c.accounts.cash, amountDong: 100_000n },
          { account: f.c.accounts.income, amountDong: -90_000n },
        ],
      }));
      expect(error.code).to.equal("SQ001");
      expect(error.message).to.match(/2 postings summing to 10000/);
      await expectNothingChanged();
    });

    it("refuses at COMMIT an entry with one posting", async () => {
      const error = await refusedAtCommit(f, (trx) => insertRaw(trx, f, {
        postings: [{ account: f.c.accounts.cash, amountDong: 100_000n }],
      }));
      expect(error.code).to.equal("SQ001");
      expect(error.message).to.match(/1 postings/);
      await expectNothingChanged();
    });

    it("refuses at COMMIT an entry with no postings", async () => {
      const error = await refusedAtCommit(f, (trx) => insertRaw(trx, f, { postings: [] }));
      expect(error.code).to.equal("SQ001");
      expect(error.message).to.match(/0 postings/);
      await expectNothingChanged();
    });

    it("refuses a posting added later to an entry already committed", async () => {
      const [entry] = (await owner.raw("select id from journal_entries where committee_id = ? and seq = 1", [f.committeeId])).rows;
      const error = await refusal(owner.transaction((trx) => trx.raw(
        "insert into postings (entry_id, committee_id, line, account_id, amount_dong) values (?, ?, 3, ?, 100000)",
        [entry.id, f.committeeId, f.c.accounts.cash.id],
      )));
      expect(error.code).to.equal("SQ001");
      expect(error.message).to.match(/is already committed: postings cannot be added to it/);
      await expectNothingChanged();
    });

    // Two postings that cancel out (+X on one account, −X on another) would
    // keep the entry balanced: they are refused because postings are never
    // added to a committed entry at all.
    it("refuses a balanced pair of postings added later to an entry already committed", async () => {
      const g = await fixture();
      const first = await donate(g, { amountDong: "500000" });
      // If this is accepted, the tampering commits, but only in committee g.
      const error = await refusal(owner.transaction((trx) => trx.raw(
        "insert into postings (entry_id, committee_id, line, account_id, amount_dong) values (?, ?, 3, ?, 400000), (?, ?, 4, ?, -400000)",
        [first.entry.id, g.committeeId, g.c.accounts.bank.id, first.entry.id, g.committeeId, g.c.accounts.cash.id],
      )));
      expect(error.code).to.be.oneOf(["SQ001", "SQ003"]);
      expect((await verifyChain(g.s.store, g.committeeId)).ok).to.equal(true);
    });

    it("checks again at COMMIT an entry that gained rows after its check ran early (SET CONSTRAINTS ALL IMMEDIATE)", async () => {
      const g = await fixture();
      const added = async (amounts: number[], code: string) => {
        const error = await refusal(owner.transaction(async (trx) => {
          const e = await insertRaw(trx, g, { postings: cashIn(g, 500_000n) });
          await trx.raw("set constraints all immediate"); // the entry's checks run now, and pass
          await trx.raw("set constraints all deferred");
          // More postings: unbalanced, or balanced but not in the hashed content. Either must meet a check.
          for (const [i, amount] of amounts.entries()) {
            await trx.raw("insert into postings (entry_id, committee_id, line, account_id, amount_dong) values (?, ?, ?, ?, ?)",
              [e.id, g.committeeId, 3 + i, i === 0 ? g.c.accounts.cash.id : g.c.accounts.income.id, amount]);
          }
        }));
        expect(error.code).to.equal(code);
      };
      await added([1000], "SQ001");
      await added([1000, -1000], "SQ003");
      expect(await headOf(owner, g.committeeId)).to.deep.equal({ seq: 0, hash: GENESIS_HASH });
      expect((await verifyChain(g.s.store, g.committeeId)).ok).to.equal(true);
    });

    it("refuses a zero posting", async () => {
      const error = await refusal(rawEntry(f, {
        postings: [
          { account: f.c.accounts.cash, amountDong: 0n },
          { account: f.c.accounts.income, amountDong: 0n },
        ],
      }));
      expect(error.code).to.equal("23514"); // check (amount_dong <> 0 …)
      expect(error.constraint).to.equal("postings_amount_dong_check");
      await expectNothingChanged();
    });
  });

  describe("append-only rows (SQ010)", () => {
    let f: Fixture;
    const tables: { table: string; update: string }[] = [
      { table: "journal_entries", update: "update journal_entries set description = 'sửa' where committee_id = ?" },
      { table: "postings", update: "update postings set amount_dong = amount_dong * 2 where committee_id = ?" },
      { table: "vouchers", update: "update vouchers set voucher_no = voucher_no || 'X' where committee_id = ?" },
      { table: "donations", update: "update donations set donor_name = 'Người khác' where committee_id = ?" },
      { table: "entry_items", update: "update entry_items set quantity = quantity + 1 where committee_id = ?" },
      { table: "disbursements", update: "update disbursements set beneficiary_name = 'Người khác' where committee_id = ?" },
      { table: "idempotency_keys", update: "update idempotency_keys set response = '{}'::jsonb where committee_id = ?" },
      { table: "accounts", update: "update accounts set name = 'Tài khoản khác' where committee_id = ?" },
      { table: "donors", update: "update donors set name = 'Người khác' where committee_id = ?" },
      { table: "beneficiaries", update: "update beneficiaries set name = 'Người khác' where committee_id = ?" },
    ];

    async function snapshot(): Promise<Record<string, { n: number; digest: string | null }>> {
      const out: Record<string, { n: number; digest: string | null }> = {};
      for (const { table } of tables) {
        const { rows } = await owner.raw(
          `select count(*)::int as n, md5(string_agg(t::text, '|' order by t::text)) as digest from ${table} t where committee_id = ?`,
          [f.committeeId],
        );
        out[table] = { n: rows[0].n, digest: rows[0].digest };
      }
      return out;
    }

    let before_: Record<string, { n: number; digest: string | null }>;
    before(async () => {
      f = await fixture();
      await donate(f, { amountDong: "2000000" });
      await donate(f, { method: "bank", amountDong: "3000000", bankAccount: "0071000123456", bankReference: "FT25069001" });
      await inKind(f);
      await disburse(f, { amountDong: "500000", quantity: "1", unit: "suất" });
      before_ = await snapshot();
      for (const { table } of tables) expect(before_[table]!.n, `${table} has rows to attack`).to.be.greaterThan(0);
    });

    for (const { table, update } of tables) {
      it(`refuses UPDATE, DELETE and TRUNCATE on ${table}`, async () => {
        const updated = await refusal(owner.raw(update, [f.committeeId]));
        expect(updated.code, updated.message).to.equal("SQ010");
        expect(updated.message).to.contain(`${table} is append-only: UPDATE`);
        const deleted = await refusal(owner.raw(`delete from ${table} where committee_id = ?`, [f.committeeId]));
        expect(deleted.code, deleted.message).to.equal("SQ010");
        expect(deleted.message).to.contain(`${table} is append-only: DELETE`);
        // TRUNCATE … CASCADE would empty every committee's ledger: try it only
        // inside a transaction that is rolled back whatever happens.
        const truncated = await tryAndRollBack(f, `truncate table ${table} cascade`);
        expect(truncated, "TRUNCATE is refused").to.not.equal(null);
        expect(truncated!.code, truncated!.message).to.equal("SQ010");
        expect(truncated!.message).to.contain("append-only: TRUNCATE");
        expect(await snapshot()).to.deep.equal(before_);
      });
    }

    it("left the committee exactly as it was, chain intact", async () => {
      expect(await snapshot()).to.deep.equal(before_);
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 4 });
    });
  });

  describe("the hash chain (SQ002, SQ003)", () => {
    let f: Fixture;
    let head: { seq: number; hash: string };
    before(async () => {
      f = await fixture();
      await donate(f, { amountDong: "500000" });
      await inKind(f);
      head = await headOf(owner, f.committeeId);
      expect(head.seq).to.equal(2);
    });

    afterEach(async () => {
      expect(await headOf(owner, f.committeeId)).to.deep.equal(head);
      expect((await verifyChain(f.s.store, f.committeeId)).ok).to.equal(true);
    });

    it("refuses at COMMIT an entry whose hash does not match its content", async () => {
      const error = await refusedAtCommit(f, (trx) => insertRaw(trx, f, {
        postings: cashIn(f, 1000n),
        hash: (h) => (h[0] === "0" ? "1" : "0") + h.slice(1),
      }));
      expect(error.code).to.equal("SQ003");
    });

    it("refuses at once a hash or prev_hash that is not 64 lowercase hex digits (check constraints)", async () => {
      const spellings = [(h: string) => h.toUpperCase(), (h: string) => h.slice(1), (h: string) => `${h}0`, (h: string) => `${h.slice(1)}g`,
        (h: string) => `${h.slice(0, 63)}\n`];
      for (const spell of spellings) {
        const bad = await refusal(rawEntry(f, { postings: cashIn(f, 1000n), hash: spell }));
        expect(bad.code, spell(head.hash)).to.equal("23514");
        expect(bad.constraint).to.equal("journal_entries_hash_check");
        const badPrev = await refusal(rawEntry(f, { postings: cashIn(f, 1000n), prevHash: spell(head.hash) }));
        expect(badPrev.code).to.equal("23514");
        expect(badPrev.constraint).to.equal("journal_entries_prev_hash_check");
      }
    });

    it("refuses at COMMIT an entry whose postings were changed after hashing", async () => {
      const error = await refusedAtCommit(f, (trx) => insertRaw(trx, f, {
        postings: cashIn(f, 1000n),
        afterHash: (e) => {
          e.postings = cashIn(f, 2000n).map((x, i) => ({ ...x, line: i + 1 }));
        },
      }));
      expect(error.code).to.equal("SQ003");
    });

    it("refuses at COMMIT an entry whose prev_hash is not the hash of its predecessor", async () => {
      const error = await refusedAtCommit(f, (trx) => insertRaw(trx, f, {
        postings: cashIn(f, 1000n),
        prevHash: "ab".repeat(32),
      }));
      expect(error.code).to.equal("SQ002");
      expect(error.message).to.match(/prev_hash is not the hash of sequence 2/);
    });

    it("refuses at COMMIT a sequence gap (head + 2)", async () => {
      const error = await refusedAtCommit(f, (trx) => insertRaw(trx, f, {
        postings: cashIn(f, 1000n),
        seq: head.seq + 2,
        prevHash: head.hash,
      }));
      expect(error.code).to.equal("SQ002");
      expect(error.message).to.match(/sequence 4 has no predecessor/);
    });

    it("refuses a duplicate sequence at once (unique committee_id, seq)", async () => {
      const { rows } = await owner.raw("select prev_hash from journal_entries where committee_id = ? and seq = ?", [f.committeeId, head.seq]);
      const error = await refusal(rawEntry(f, { postings: cashIn(f, 1000n), seq: head.seq, prevHash: rows[0].prev_hash }));
      expect(error.code).to.equal("23505");
      expect(error.constraint).to.equal("journal_entries_committee_id_seq_key");
    });

    it("refuses a second first entry (seq 1 with the genesis prev_hash)", async () => {
      const error = await refusal(rawEntry(f, { postings: cashIn(f, 1000n), seq: 1, prevHash: GENESIS_HASH }));
      expect(error.code).to.equal("23505");
    });

    it("refuses an item added later to a committed in-kind donation (SQ003)", async () => {
      const { rows } = await owner.raw("select id from journal_entries where committee_id = ? and seq = 2", [f.committeeId]);
      const error = await refusal(owner.transaction((trx) => trx.raw(
        `insert into entry_items (entry_id, committee_id, line, description, quantity, unit, unit_value_dong, value_dong, valuation_basis)
         values (?, ?, 3, 'Dầu ăn', 1, 'thùng', 1, 1, 'thêm sau')`,
        [rows[0].id, f.committeeId],
      )));
      expect(error.code).to.equal("SQ003");
      expect(error.message).to.match(/is already committed: a entry_items row cannot be added to it/);
    });

    it("refuses a voucher attached later to a committed entry (SQ003)", async () => {
      const { rows } = await owner.raw(
        `select e.id, b.id as book_id from journal_entries e join receipt_books b on b.committee_id = e.committee_id and b.series = 'PT'
          where e.committee_id = ? and e.seq = 2`,
        [f.committeeId],
      );
      const error = await refusal(owner.transaction((trx) => trx.raw(
        "insert into vouchers (committee_id, book_id, year, number, voucher_no, entry_id) values (?, ?, ?, 2, ?, ?)",
        [f.committeeId, rows[0].book_id, YEAR, `PT-${YEAR}-000002`, rows[0].id],
      )));
      expect(error.code).to.equal("SQ003");
      expect(error.message).to.match(/is already committed: a vouchers row cannot be added to it/);
    });
  });

  describe("gap-free vouchers (SQ004)", () => {
    it("refuses PT number 3 when 1 exists but not 2, and takes 2 then 3", async () => {
      const f = await fixture();
      const first = await donate(f, { amountDong: "100000" });
      expect(first.entry.receiptNumber).to.equal(`PT-${YEAR}-000001`);
      const error = await refusedAtCommit(f, (trx) => insertRaw(trx, f, { postings: cashIn(f, 1000n), voucher: { series: "PT", number: 3 } }));
      expect(error.code).to.equal("SQ004");
      expect(error.message).to.contain(`PT-${YEAR}-000003 leaves a gap: number 2`);
      expect((await headOf(owner, f.committeeId)).seq).to.equal(1);
      await rawEntry(f, { postings: cashIn(f, 1000n), voucher: { series: "PT", number: 2 } });
      await rawEntry(f, { postings: cashIn(f, 1000n), voucher: { series: "PT", number: 3 } });
      const next = await donate(f, { amountDong: "100000" });
      expect(next.entry.receiptNumber).to.equal(`PT-${YEAR}-000004`);
      expect((await verifyChain(f.s.store, f.committeeId)).ok).to.equal(true);
    });

    it("refuses a voucher number used twice in a book and year", async () => {
      const f = await fixture();
      await donate(f, { amountDong: "100000" });
      const error = await refusal(rawEntry(f, { postings: cashIn(f, 1000n), voucher: { series: "PT", number: 1 } }));
      expect(error.code).to.equal("23505");
    });
  });

  describe("entries between campaigns (SQ009)", () => {
    it("refuses at COMMIT an entry touching two campaigns with one approval; one campaign, or two accounts of one, is fine", async () => {
      const f = await fixture();
      await f.s.ledger.createCampaign(f.p, { code: "TET", name: "Quà Tết 2025", kind: "tet_gifts", startsOn: "2025-01-01" }, meta());
      const other = await f.s.ledger.campaign(f.committeeId, "TET");
      await donate(f, { amountDong: "5000" });
      const error = await refusedAtCommit(f, (trx) => insertRaw(trx, f, {
        postings: [
          { account: other.accounts.cash, amountDong: 1000n }, { account: other.accounts.income, amountDong: -1000n },
          { account: f.c.accounts.income, amountDong: 1000n }, { account: f.c.accounts.cash, amountDong: -1000n },
        ],
      }));
      expect(error.code).to.equal("SQ009");
      // Three accounts of one campaign (min = max campaign) need one approval.
      await rawEntry(f, {
        postings: [
          { account: f.c.accounts.bank, amountDong: 600n }, { account: f.c.accounts.cash, amountDong: 400n },
          { account: f.c.accounts.income, amountDong: -1000n },
        ],
      });
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 2 });
    });
  });

  describe("reversals", () => {
    it("refuses a second reversal of the same entry (unique reversal_of), through SQL and through the Ledger", async () => {
      const f = await fixture();
      const original = await donate(f, { amountDong: "400000" });
      await donate(f, { amountDong: "1000000" });
      const first = await f.s.ledger.reverse(f.p, original.entry.id, { reason: "Ghi nhầm", entryDate: DAY }, meta());
      expect(first.entry.reversalOf).to.equal(original.entry.id);
      const error = await refusal(rawEntry(f, {
        kind: "reversal",
        reversalOf: original.entry.id,
        postings: [
          { account: f.c.accounts.cash, amountDong: -400_000n },
          { account: f.c.accounts.income, amountDong: 400_000n },
        ],
      }));
      expect(error.code).to.equal("23505");
      expect(error.constraint).to.equal("journal_entries_reversal_of_key");
      const again = await refusal(f.s.ledger.reverse(f.p, original.entry.id, { reason: "Lần nữa", entryDate: DAY }, meta()));
      expect(again).to.be.instanceOf(LedgerError);
      expect((again as LedgerError).code).to.equal("entry_already_reversed");
      expect(await cashHeld(f)).to.equal(1_000_000n);
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 3 });
    });

    it("refuses at COMMIT a reversal whose postings do not negate the original (SQ006)", async () => {
      const f = await fixture();
      const original = await donate(f, { amountDong: "400000" });
      const error = await refusedAtCommit(f, (trx) => insertRaw(trx, f, {
        kind: "reversal",
        reversalOf: original.entry.id,
        postings: [
          { account: f.c.accounts.cash, amountDong: -300_000n },
          { account: f.c.accounts.income, amountDong: 300_000n },
        ],
      }));
      expect(error.code).to.equal("SQ006");
      // Negating every account but through another asset is not a reversal either.
      const moved = await refusedAtCommit(f, (trx) => insertRaw(trx, f, {
        kind: "reversal",
        reversalOf: original.entry.id,
        postings: [
          { account: f.c.accounts.cash, amountDong: -400_000n },
          { account: f.c.accounts.bank, amountDong: 400_000n },
        ],
      }));
      expect(moved.code).to.equal("SQ006");
      // The exact negation is accepted.
      await rawEntry(f, {
        kind: "reversal",
        reversalOf: original.entry.id,
        postings: [
          { account: f.c.accounts.income, amountDong: 400_000n },
          { account: f.c.accounts.cash, amountDong: -400_000n },
        ],
      });
      expect(await cashHeld(f)).to.equal(0n);
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 2 });
    });

    it("refuses a reversal marked as another kind, and a reversal kind without reversal_of (check constraint)", async () => {
      const f = await fixture();
      const original = await donate(f, { amountDong: "400000" });
      const a = await refusal(rawEntry(f, { kind: "general", reversalOf: original.entry.id, postings: cashIn(f, -400_000n) }));
      expect(a.code).to.equal("23514");
      const b = await refusal(rawEntry(f, { kind: "reversal", reversalOf: null, postings: cashIn(f, 1000n) }));
      expect(b.code).to.equal("23514");
    });
  });

  describe("writers who go around the ledger's own checks (found in review)", () => {
    it("refuses a posting on another committee's account even behind a temporary table named accounts", async () => {
      const f = await fixture();
      const other = await fixture();
      await donate(other, { amountDong: "500000" });
      const error = await refusal(owner.transaction(async (trx) => {
        // A session's temporary table comes first in its search path unless the path names it last.
        await trx.raw("create temp table accounts on commit drop as select * from public.accounts");
        await trx.raw("update pg_temp.accounts set committee_id = ?, campaign_id = ? where id = ?", [f.committeeId, f.c.id, other.c.accounts.cash.id]);
        await trx.raw("discard plans"); // as a fresh session would: plans made now see the temporary table
        await insertRaw(trx, f, {
          postings: [
            { account: f.c.accounts.cash, amountDong: 100_000n },
            { account: other.c.accounts.cash, amountDong: -100_000n },
          ],
        });
      }));
      expect(error.code).to.equal("23503");
      expect(error.constraint).to.equal("postings_committee_id_account_id_fkey");
      const { rows } = await owner.raw("select balance_dong from account_balances where account_id = ?", [other.c.accounts.cash.id]);
      expect(rows[0].balance_dong).to.equal("500000");
    });

    it("checks an entry at COMMIT even when a session's own trigger empties or rewrites the queue of checks", async () => {
      const f = await fixture();
      for (const attack of ["delete from public.pending_entry_checks", "update public.pending_entry_checks set entry_ids = '{}'"]) {
        const error = await refusal(owner.transaction(async (trx) => {
          // A trigger of the session's own on a temporary table runs at trigger depth 1, like the ledger's.
          await trx.raw(`create or replace function pg_temp.meddle() returns trigger language plpgsql as $$ begin ${attack}; return null; end $$`);
          await trx.raw("create temp table meddling (x int) on commit drop");
          await trx.raw("create trigger meddle after insert on meddling for each statement execute function pg_temp.meddle()");
          await insertRaw(trx, f, { seq: 7, postings: [{ account: f.c.accounts.cash, amountDong: 999_999_999n }, { account: f.c.accounts.income, amountDong: -1n }] });
          await trx.raw("insert into meddling values (1)");
        }));
        expect(error.code, attack).to.be.oneOf(["SQ001", "SQ002", "SQ010"]);
      }
      expect(await headOf(owner, f.committeeId)).to.deep.equal({ seq: 0, hash: GENESIS_HASH });
      expect(await cashHeld(f)).to.equal(0n);
    });

    it("refuses a donation row naming another campaign of the committee than its entry (SQ014)", async () => {
      const f = await fixture();
      await f.s.ledger.createCampaign(f.p, { code: "OPEN", name: "Quỹ còn mở", kind: "for_the_poor", startsOn: "2025-01-01" }, meta());
      const open = await f.s.ledger.campaign(f.committeeId, "OPEN");
      const first = await donate(f, { amountDong: "1000" });
      const { rows: [{ donor_id: donorId }] } = await owner.raw("select donor_id from donations where entry_id = ?", [first.entry.id]);
      const error = await refusal(owner.transaction(async (trx) => {
        const e = await insertRaw(trx, f, { kind: "donation", postings: cashIn(f, 250_000n) });
        await trx.raw(`insert into donations (entry_id, committee_id, campaign_id, method, donor_id, donor_name, donor_kind, publish_name)
          values (?, ?, ?, 'cash', ?, 'Nguyễn Văn An', 'individual', true)`, [e.id, f.committeeId, open.id, donorId]);
      }));
      expect(error.code).to.equal("SQ014");
      expect(error.message).to.match(/names another campaign than the entry/);
    });

    it("refuses donation rows for a committed entry (SQ003), for no entry, or naming another committee's donor (23503)", async () => {
      const f = await fixture();
      const other = await fixture();
      await donate(f, { amountDong: "1000" });
      const general = await rawEntry(f, { postings: cashIn(f, 2000n) });
      await donate(other, { amountDong: "1000" });
      const donorOf = async (x: Fixture): Promise<number> => Number((await owner.raw("select id from donors where committee_id = ? limit 1", [x.committeeId])).rows[0].id);
      const [mine, theirs] = [await donorOf(f), await donorOf(other)];
      const insert = (entryId: string, donorId: number) => owner.transaction((trx) => trx.raw(
        `insert into donations (entry_id, committee_id, campaign_id, method, donor_id, donor_name, donor_kind, publish_name)
          values (?, ?, ?, 'cash', ?, 'Nguyễn Văn An', 'individual', true)`, [entryId, f.committeeId, f.c.id, donorId]));
      const late = await refusal(insert(general.id, mine));
      expect(late.code).to.equal("SQ003");
      expect(late.message).to.match(new RegExp(`entry ${general.id} is already committed: a donations row cannot be added to it$`));
      const missing = await refusal(insert(randomUUID(), mine));
      expect(missing).to.include({ code: "23503", constraint: "donations_committee_id_entry_id_fkey" });
      const foreign = await refusal(owner.transaction(async (trx) => {
        const e = await insertRaw(trx, f, { kind: "donation", postings: cashIn(f, 3000n) });
        await trx.raw(`insert into donations (entry_id, committee_id, campaign_id, method, donor_id, donor_name, donor_kind, publish_name)
          values (?, ?, ?, 'cash', ?, 'Nguyễn Văn An', 'individual', true)`, [e.id, f.committeeId, f.c.id, theirs]);
      }));
      expect(foreign).to.include({ code: "23503", constraint: "donations_committee_id_donor_id_fkey" });
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 2 });
    });
  });

  describe("committee isolation", () => {
    it("refuses an idempotency record naming another committee's entry, or no entry (composite reference)", async () => {
      const f = await fixture();
      const other = await fixture();
      const mine = await donate(f, { amountDong: "1000" });
      const theirs = await donate(other, { amountDong: "1000" });
      const record = (key: string, entryId: string | null) => owner.transaction((trx) => trx.raw(
        "insert into idempotency_keys (committee_id, key, request_hash, entry_id, response) values (?, ?, ?, ?, '{}')",
        [f.committeeId, key, "0".repeat(64), entryId]));
      const foreign = await refusal(record("sql-1", theirs.entry.id));
      expect(foreign).to.include({ code: "23503", constraint: "idempotency_keys_committee_id_entry_id_fkey" });
      const missing = await refusal(record("sql-2", randomUUID()));
      expect(missing).to.include({ code: "23503", constraint: "idempotency_keys_committee_id_entry_id_fkey" });
      await record("sql-3", mine.entry.id);
      await record("sql-4", null);
      const { rows } = await owner.raw("select key from idempotency_keys where committee_id = ? and key like 'sql-%' order by key", [f.committeeId]);
      expect(rows.map((r: { key: string }) => r.key)).to.deep.equal(["sql-3", "sql-4"]);
    });

    it("refuses an audit record whose token is another committee's, or on no committee (composite reference)", async () => {
      const f = await fixture();
      const other = await fixture();
      const target = `sql ${randomUUID()}`;
      const audit = (committeeId: number | null, tokenId: number | null) => owner.transaction((trx) => trx.raw(
        `insert into audit_log (at, committee_id, token_id, role, action, target, outcome, code, request_id, client)
          values (now(), ?, ?, 'treasurer', 'POST /api/v1/donations', ?, 201, null, ?, null)`, [committeeId, tokenId, target, randomUUID()]));
      const foreign = await refusal(audit(f.committeeId, other.p.tokenId));
      expect(foreign).to.include({ code: "23503", constraint: "audit_log_committee_id_token_id_fkey" });
      const nowhere = await refusal(audit(null, f.p.tokenId));
      expect(nowhere).to.include({ code: "23503", constraint: "audit_log_committee_id_token_id_fkey" });
      const missing = await refusal(audit(f.committeeId, 2_000_000_000));
      expect(missing).to.include({ code: "23503", constraint: "audit_log_token_id_fkey" });
      await audit(f.committeeId, f.p.tokenId);
      await audit(null, null);
      const { rows } = await owner.raw("select committee_id, token_id from audit_log where target = ? order by id", [target]);
      expect(rows.map((r: { committee_id: string | null; token_id: string | null }) => [r.committee_id && Number(r.committee_id), r.token_id && Number(r.token_id)]))
        .to.deep.equal([[f.committeeId, f.p.tokenId], [null, null]]);
    });

    it("refuses a posting on another committee's account (composite foreign key)", async () => {
      const f = await fixture();
      const other = await fixture();
      await donate(f, { amountDong: "100000" });
      await donate(other, { amountDong: "100000" });
      const error = await refusal(rawEntry(f, {
        postings: [
          { account: other.c.accounts.cash, amountDong: 1000n },
          { account: f.c.accounts.income, amountDong: -1000n },
        ],
      }));
      expect(error.code).to.equal("23503");
      expect(error.constraint).to.equal("postings_committee_id_account_id_fkey");
      // Claiming the other committee on the posting row does not help: the entry is not theirs.
      const claimed = await refusal(rawEntry(f, {
        postingCommitteeId: other.committeeId,
        postings: [
          { account: other.c.accounts.cash, amountDong: 1000n },
          { account: other.c.accounts.income, amountDong: -1000n },
        ],
      }));
      expect(claimed.code).to.equal("23503");
      expect(claimed.constraint).to.equal("postings_committee_id_entry_id_fkey");
      for (const x of [f, other]) {
        expect(await verifyChain(x.s.store, x.committeeId)).to.include({ ok: true, checked: 1 });
        expect(await cashHeld(x)).to.equal(100_000n);
      }
    });
  });

  describe("bank references", () => {
    it("refuses a duplicate bank reference for the same bank account, through the Ledger and in SQL", async () => {
      const f = await fixture();
      const bank = (ref: string, account: string | null = "0071000123456") =>
        donate(f, { method: "bank", amountDong: "250000", bankAccount: account ?? undefined, bankReference: ref });
      await bank("FT25069123");
      const dup = await refusal(bank("FT25069123"));
      expect(dup).to.be.instanceOf(LedgerError);
      expect((dup as LedgerError).code).to.equal("bank_reference_duplicate");
      const padded = await refusal(bank("  FT25069123  ", " 0071000123456 "));
      expect((padded as LedgerError).code).to.equal("bank_reference_duplicate");
      // The same reference on another bank account is another transfer.
      await bank("FT25069123", "1903000999888");
      // And without an account, twice: the second is the duplicate.
      await bank("MB-7788", null);
      expect(((await refusal(bank("MB-7788", null))) as LedgerError).code).to.equal("bank_reference_duplicate");

      const [{ id: donorId }] = (await owner.raw("select id from donors where committee_id = ? limit 1", [f.committeeId])).rows;
      const viaSql = await refusal(rawEntry(f, {
        kind: "donation",
        postings: [
          { account: f.c.accounts.bank, amountDong: 250_000n },
          { account: f.c.accounts.income, amountDong: -250_000n },
        ],
        donation: {
          donorId: Number(donorId), method: "bank", donorName: "Nguyễn Văn An", donorKind: "individual", publishName: true,
          bankAccount: "0071000123456", bankReference: "FT25069123", note: null,
        },
      }));
      expect(viaSql.code).to.equal("23505");
      expect(viaSql.constraint).to.equal("donations_bank_reference");
      const nullAccount = await refusal(rawEntry(f, {
        kind: "donation",
        postings: [
          { account: f.c.accounts.bank, amountDong: 250_000n },
          { account: f.c.accounts.income, amountDong: -250_000n },
        ],
        donation: {
          donorId: Number(donorId), method: "bank", donorName: "Nguyễn Văn An", donorKind: "individual", publishName: true,
          bankAccount: "", bankReference: "MB-7788", note: null,
        },
      }));
      expect(nullAccount.constraint, "'' and NULL are the same bank account").to.equal("donations_bank_reference");
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 3 });
      const { rows } = await owner.raw("select bank_account, bank_reference from donations where committee_id = ? order by bank_reference, bank_account", [f.committeeId]);
      expect(rows).to.deep.equal([
        { bank_account: "0071000123456", bank_reference: "FT25069123" },
        { bank_account: "1903000999888", bank_reference: "FT25069123" },
        { bank_account: null, bank_reference: "MB-7788" },
      ]);
    });
  });

  describe("entry shapes (SQ014)", () => {
    it("refuses a donation whose postings do not match its method, and goods rows on other entries", async () => {
      const f = await fixture();
      await rawEntry(f, { postings: cashIn(f, 100_000n) });
      const [{ id: donorId }] = (await owner.raw(
        // Keyed as the ledger keys a typed donor (src/ledger/donors.ts): verify checks the key against the donation.
        "insert into donors (committee_id, identity_key, name, kind) values (?, 'individual|nguyễn văn an|', 'Nguyễn Văn An', 'individual') returning id",
        [f.committeeId])).rows;
      const donation = (method: "cash" | "bank") => ({
        donorId: Number(donorId), method, donorName: "Nguyễn Văn An", donorKind: "individual" as const, publishName: true,
        bankAccount: null, bankReference: null, note: null,
      });
      // Says "bank" but the money went to cash: the totals by method would lie.
      const wrongMethod = await refusal(rawEntry(f, { kind: "donation", postings: cashIn(f, 50_000n), donation: donation("bank") }));
      expect(wrongMethod.code).to.equal("SQ014");
      // A donation row on a general entry.
      const wrongKind = await refusal(rawEntry(f, { kind: "general", postings: cashIn(f, 50_000n), donation: donation("cash") }));
      expect(wrongKind.code).to.equal("SQ014");
      // A bank reference on a cash donation.
      const cashWithReference = await refusal(rawEntry(f, {
        kind: "donation", postings: cashIn(f, 50_000n), donation: { ...donation("cash"), bankReference: "FT1" },
      }));
      expect(cashWithReference.constraint).to.equal("donations_bank_fields_on_bank_only");
      // The right shape is accepted.
      await rawEntry(f, { kind: "donation", postings: cashIn(f, 50_000n), donation: donation("cash") });
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 2 });
    });
  });

  describe("non-negative assets (SQ005)", () => {
    it("refuses a general entry, correctly hashed, that credits a campaign's cash below zero", async () => {
      const f = await fixture();
      await donate(f, { amountDong: "100000" });
      const committeeCash = (await f.s.store.accountsByCode(f.committeeId, ["1111"])).get("1111")!;
      const error = await refusal(rawEntry(f, {
        campaign: null,
        description: "Chuyển tiền mặt của cuộc vận động về quỹ chung",
        postings: [
          { account: committeeCash, amountDong: 100_001n },
          { account: f.c.accounts.cash, amountDong: -100_001n },
        ],
      }));
      expect(error.code).to.equal("SQ005");
      expect(await cashHeld(f)).to.equal(100_000n);
      // Down to exactly zero is allowed.
      await rawEntry(f, {
        campaign: null,
        postings: [
          { account: committeeCash, amountDong: 100_000n },
          { account: f.c.accounts.cash, amountDong: -100_000n },
        ],
      });
      expect(await cashHeld(f)).to.equal(0n);
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 2 });
    });

    it("refuses it through the Ledger too (insufficient_campaign_balance)", async () => {
      const f = await fixture();
      await donate(f, { amountDong: "100000" });
      const error = await refusal(f.s.ledger.recordGeneral(f.p, {
        entryDate: DAY,
        description: "Chuyển quá số dư",
        postings: [{ account: "1111", amountDong: "100001" }, { account: `1111.${f.c.code}`, amountDong: "-100001" }],
      }, meta()));
      expect((error as LedgerError).code).to.equal("insufficient_campaign_balance");
    });

    // account_balances is what the balance checks trust, so nobody may write it
    // but the ledger's own trigger; a superuser who forges it anyway is caught
    // by verify, which recomputes every balance from the postings.
    it("refuses a direct UPDATE of account_balances, and verify catches a forged one", async () => {
      const f = await fixture();
      await donate(f, { amountDong: "100000" });
      const forged = await refusal(owner.raw("update account_balances set balance_dong = balance_dong + 900000 where account_id = ?", [f.c.accounts.cash.id]));
      expect(forged.code).to.equal("SQ010");
      const inserted = await refusal(owner.raw("insert into account_balances (account_id, committee_id, balance_dong) values (?, ?, 1)", [f.c.accounts.bank.id, f.committeeId]));
      expect(inserted.code).to.equal("SQ010");
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true });
      await owner.transaction(async (trx) => {
        await trx.raw("set local session_replication_role = replica");
        await trx.raw("update account_balances set balance_dong = balance_dong + 900000 where account_id = ?", [f.c.accounts.cash.id]);
      });
      const report = await verifyChain(f.s.store, f.committeeId);
      expect(report.ok).to.equal(false);
      expect(report.reason).to.match(new RegExp(`balance of ${f.c.accounts.cash.code.replace(".", "\\.")} is 1000000 but its postings sum to 100000`));
    });

    // The SQ005 check follows chain order even when one INSERT carries many
    // entries' postings (as the Ledger's batches do): a payment of 200,000 and
    // a receipt of 200,000 against 100,000 held, their postings in one statement.
    async function payAndReceiveInOneStatement(f: Fixture, paymentFirst: boolean): Promise<void> {
      await owner.transaction(async (trx) => {
        const held: (string | number)[][] = [];
        const pay = () => insertRaw(trx, f, {
          description: "Chi 200.000",
          holdPostings: held,
          postings: [
            { account: f.c.accounts.expense, amountDong: 200_000n },
            { account: f.c.accounts.cash, amountDong: -200_000n },
          ],
        });
        const receive = () => insertRaw(trx, f, { description: "Thu 200.000", holdPostings: held, postings: cashIn(f, 200_000n) });
        if (paymentFirst) {
          await pay();
          await receive();
        } else {
          await receive();
          await pay();
        }
        await trx.raw(
          `insert into postings (entry_id, committee_id, line, account_id, amount_dong) values ${held.map(() => "(?, ?, ?, ?, ?)").join(", ")}`,
          held.flat(),
        );
      });
    }

    it("refuses entries that take cash below zero in chain order even when their postings go in one statement", async () => {
      const f = await fixture();
      await donate(f, { amountDong: "100000" });
      // If this is accepted, it commits, but only in this committee.
      const error = await refusal(payAndReceiveInOneStatement(f, true));
      expect(error.code).to.equal("SQ005");
    });

    // The other way round, the payment's credit alone (-200,000 against 100,000) would take cash below zero,
    // so the quick test cannot clear them (migration 0019), and the check in chain order accepts them.
    it("accepts entries in one statement whose chain order keeps cash at zero or above, though their credits alone would not", async () => {
      const f = await fixture();
      await donate(f, { amountDong: "100000" });
      await payAndReceiveInOneStatement(f, false);
      expect(await cashHeld(f)).to.equal(100_000n);
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 3 });
    });
  });

  describe("tampering found by verify (triggers disabled as a superuser could)", () => {
    // seq 1 cash donation (PT), 2 bank donation, 3 in-kind with items, 4 cash disbursement (PC), 5 cash donation (PT)
    async function chainOfFive(): Promise<{ f: Fixture; ids: string[] }> {
      const f = await fixture();
      const ids: string[] = [];
      ids.push((await donate(f, { amountDong: "5000000" })).entry.id);
      ids.push((await donate(f, { method: "bank", amountDong: "3000000", bankAccount: "0071000123456", bankReference: "FT-TAMPER-2" })).entry.id);
      ids.push((await inKind(f)).entry.id);
      ids.push((await disburse(f, { amountDong: "1000000", quantity: "2", unit: "suất" })).entry.id);
      ids.push((await donate(f, { amountDong: "200000" })).entry.id);
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: 5, headSeq: 5 });
      return { f, ids };
    }

    /** As a superuser: SET session_replication_role = replica, for this transaction only. */
    async function asReplica(f: Fixture, statements: [string, Knex.RawBinding[]][]): Promise<void> {
      await owner.transaction(async (trx) => {
        await trx.raw("set local session_replication_role = replica");
        for (const [sql, bindings] of statements) {
          const result = await trx.raw(sql, bindings);
          expect(result.rowCount, sql).to.be.greaterThan(0);
        }
      });
    }

    async function expectBrokenAt(f: Fixture, seq: number, reason: RegExp, sqlToo = true): Promise<void> {
      const report = await verifyChain(f.s.store, f.committeeId);
      expect(report.ok).to.equal(false);
      expect(report.firstBrokenSeq).to.equal(seq);
      expect(report.reason).to.match(reason);
      if (sqlToo) {
        // The SQL twin finds the same entry.
        const { rows } = await owner.raw(
          "select min(seq) as seq from journal_entries where committee_id = ? and hash <> soquy_entry_hash(prev_hash, soquy_entry_canonical(id))",
          [f.committeeId],
        );
        expect(Number(rows[0].seq)).to.equal(seq);
      }
    }

    it("an entry's description changed (ALTER TABLE … DISABLE TRIGGER USER, then re-enabled)", async () => {
      const { f, ids } = await chainOfFive();
      await owner.transaction(async (trx) => {
        await trx.raw("alter table journal_entries disable trigger user");
        const r = await trx.raw("update journal_entries set description = ? where id = ?", ["Nhận ủng hộ chuyển khoản (đã sửa)", ids[1]!]);
        expect(r.rowCount).to.equal(1);
        await trx.raw("alter table journal_entries enable trigger user");
      });
      // The triggers are back: the next UPDATE is refused again.
      expect((await refusal(owner.raw("update journal_entries set description = 'x' where id = ?", [ids[1]!]))).code).to.equal("SQ010");
      await expectBrokenAt(f, 2, /hash does not match/);
    });

    it("a posting's amount changed on both sides, the entry still balanced", async () => {
      const { f, ids } = await chainOfFive();
      await asReplica(f, [[
        "update postings set amount_dong = case when amount_dong > 0 then amount_dong + 27000000 else amount_dong - 27000000 end where entry_id = ?",
        [ids[1]!],
      ]]);
      const { rows } = await owner.raw("select sum(amount_dong)::text as total, count(*)::int as n from postings where entry_id = ?", [ids[1]!]);
      expect(rows[0]).to.deep.equal({ total: "0", n: 2 });
      await expectBrokenAt(f, 2, /hash does not match/);
    });

    it("a donation's donor_name changed", async () => {
      const { f, ids } = await chainOfFive();
      await asReplica(f, [["update donations set donor_name = ? where entry_id = ?", ["Công ty TNHH Ma", ids[1]!]]]);
      await expectBrokenAt(f, 2, /hash does not match/);
    });

    it("an item's quantity changed", async () => {
      const { f, ids } = await chainOfFive();
      await asReplica(f, [["update entry_items set quantity = quantity - 10 where entry_id = ? and line = 1", [ids[2]!]]]);
      await expectBrokenAt(f, 3, /hash does not match/);
    });

    it("a voucher_no changed", async () => {
      const { f, ids } = await chainOfFive();
      await asReplica(f, [["update vouchers set voucher_no = ? where entry_id = ?", [`PC-${YEAR}-000099`, ids[3]!]]]);
      await expectBrokenAt(f, 4, /hash does not match/);
    });

    it("a middle entry deleted with its rows: the next entry is the first broken link", async () => {
      const { f, ids } = await chainOfFive();
      const id = ids[2]!;
      await asReplica(f, [
        ["delete from entry_items where entry_id = ?", [id]],
        ["delete from donations where entry_id = ?", [id]],
        ["delete from postings where entry_id = ?", [id]],
        ["delete from idempotency_keys where entry_id = ?", [id]],
        ["delete from journal_entries where id = ?", [id]],
      ]);
      const report = await verifyChain(f.s.store, f.committeeId);
      expect(report).to.include({ ok: false, firstBrokenSeq: 4, checked: 3 });
      expect(report.reason).to.match(/sequence 3 is missing \(next found: 4\)/);
    });

    it("a posting's line renumbered", async () => {
      const { f, ids } = await chainOfFive();
      await asReplica(f, [["update postings set line = line + 10 where entry_id = ?", [ids[4]!]]]);
      await expectBrokenAt(f, 5, /hash does not match/);
    });
  });

  describe("the TypeScript and SQL canonical forms agree byte for byte", () => {
    it("for entries of every kind, Vietnamese text, emoji and field separators", async () => {
      const f = await fixture("TET-2025");
      const results: WriteResult[] = [];
      const nfd = "Nguyễn Thị Ánh".normalize("NFD");
      results.push(await donate(f, {
        amountDong: "2500000",
        donor: { name: "Trần Thị Ngọc Ánh 🌸", kind: "individual", publishName: true, phone: "0903 123 456" },
        note: "Chúc bà con ăn Tết vui vẻ ❤️; hẹn năm sau: 2026",
      }));
      results.push(await donate(f, {
        method: "bank",
        amountDong: "1000000000000000",
        donor: { name: "Công ty CP Đường sắt Sài Gòn", kind: "business", publishName: true },
        bankAccount: "0071000123456",
        bankReference: "FT25069:12;34",
        description: "CK đợt 2: 15;3 hộ ~; 0:0; ;;",
      }));
      results.push(await donate(f, {
        method: "in_kind",
        amountDong: "2300000",
        donor: { name: "Hội Phụ nữ phường", kind: "organisation", publishName: false },
        items: [
          { description: "Gạo ST25 🍚", quantity: "12.5", unit: "kg", unitValueDong: "30000", valuationBasis: "Giá thị trường ngày 10/3: 30.000đ/kg" },
          { description: "Mì tôm Hảo Hảo", quantity: "10", unit: "thùng", unitValueDong: "120000", valuationBasis: "Hóa đơn số 0001234" },
          { description: "Nước mắm", quantity: "0.125", unit: "thùng", unitValueDong: "4000000", valuationBasis: "Ước tính" },
          { description: "Dầu ăn", quantity: "4", unit: "chai", unitValueDong: "56250", valuationBasis: "Giá niêm yết" },
        ],
      }));
      results.push(await donate(f, { amountDong: "50000", donor: { kind: "anonymous", publishName: false } }));
      results.push(await donate(f, { amountDong: "70000", donor: { name: nfd, kind: "individual", publishName: true }, description: `Ủng hộ của ${nfd}\nqua tổ dân phố` }));
      results.push(await disburse(f, {
        amountDong: "1000000",
        quantity: "2",
        unit: "suất",
        beneficiary: { name: "Hộ ông Đỗ Văn Bảy", category: "policy_family", area: "Khu phố 4; ấp 2: Hòa Bình" },
        note: "Trao tận nhà 👍",
      }));
      results.push(await disburse(f, {
        method: "bank",
        amountDong: "3000000",
        purpose: "house_repair",
        beneficiary: { name: "Hộ bà Phạm Thị Lụa", category: "near_poor", area: "Ấp Tân Hưng" },
      }));
      results.push(await disburse(f, {
        method: "in_kind",
        amountDong: "375000",
        purpose: "gift_package",
        quantity: "12.5",
        unit: "kg",
        beneficiary: { name: "Hộ ông Hà Văn Tư", category: "hardship", area: "Tổ 7" },
      }));
      results.push(await f.s.ledger.recordGeneral(f.p, {
        entryDate: DAY,
        description: "Trích phí ngân hàng: 11.000đ; điều chuyển 100.000đ tiền mặt",
        postings: [
          { account: "6421", amountDong: "11000" },
          { account: `1121.${f.c.code}`, amountDong: "-11000" },
          { account: "1111", amountDong: "100000" },
          { account: `1111.${f.c.code}`, amountDong: "-100000" },
        ],
      }, meta()));
      results.push(await f.s.ledger.reverse(f.p, results[3]!.entry.id, { reason: "Ghi trùng: phiếu 0004; 🙏", entryDate: DAY }, meta()));
      const raw = await rawEntry(f, {
        campaign: null,
        description: "Ghi bằng SQL: 3 dòng; ~;",
        postings: [
          { account: f.c.accounts.bank, amountDong: -5_000n },
          { account: f.c.accounts.cash, amountDong: 4_000n },
          { account: f.c.accounts.expense, amountDong: 1_000n },
        ],
      });

      const ids = [...results.map((r) => r.entry.id), raw.id];
      const kinds = new Set<string>();
      for (const id of ids) {
        const entry = await f.s.store.findEntry(f.committeeId, id);
        expect(entry, id).to.not.equal(null);
        kinds.add(entry!.kind);
        const ts = canonicalEntry(entry!);
        const sql = await sqlCanonical(owner, id);
        expect(Buffer.from(sql.canonical, "utf8").equals(Buffer.from(ts, "utf8")), `entry ${entry!.seq}:\nSQL ${sql.canonical}\nTS  ${ts}`).to.equal(true);
        expect(chainHash(entry!.prevHash, ts)).to.equal(entry!.hash);
        expect(sql.sqlHash).to.equal(sql.hash);
        expect(sql.hash).to.equal(entry!.hash);
      }
      expect([...kinds].sort()).to.deep.equal(["disbursement", "donation", "general", "reversal"]);

      // The fields really carry the hard text, length-prefixed in UTF-8 bytes.
      const bankEntry = await f.s.store.findEntry(f.committeeId, results[1]!.entry.id);
      const description = "CK đợt 2: 15;3 hộ ~; 0:0; ;;";
      expect(canonicalEntry(bankEntry!)).to.contain(`${Buffer.byteLength(description)}:${description};`);
      expect(canonicalEntry(bankEntry!)).to.contain("16:1000000000000000;");
      const nfdEntry = await f.s.store.findEntry(f.committeeId, results[4]!.entry.id);
      expect(nfdEntry!.donation!.donorName).to.equal(nfd);
      expect(canonicalEntry(nfdEntry!)).to.contain(`${Buffer.byteLength(nfd)}:${nfd};`);
      expect(await verifyChain(f.s.store, f.committeeId)).to.include({ ok: true, checked: ids.length });
    });
  });
});

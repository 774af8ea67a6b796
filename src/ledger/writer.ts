import { assert } from "./assert.js";
import { LedgerError, fail } from "./codes.js";
import { sealEntry } from "./entries.js";
import type { EntryRow, IdempotentResponse, LedgerStore, LockedLedger } from "./store.js";
import type { CommittedEntry, EntryDraft } from "./types.js";
import { entryView, type EntryView } from "./view.js";

// Group commit. A commit costs ~3 ms and the hash chain lets only one writer
// per committee at a time, so one transaction per request would cap a
// committee near 300 entries/s. Requests that arrive while a batch commits
// wait in the queue and go together in the next transaction. Nothing is
// acknowledged before its transaction commits: durability is unchanged.

export const MAX_BATCH = 256;

export interface WriteRequest {
  committeeId: number;
  committeeCode: string;
  recordedBy: number;
  idempotencyKey: string;
  requestHash: string;
  /** A bank transfer's identity, known before planning: the batch checks them all in one query. */
  bankReference?: { bankAccount: string | null; reference: string } | undefined;
  /** The voucher series and year the entry will likely be numbered in: read with the batch's other lookups. */
  voucher?: { series: "PT" | "PC"; year: number } | undefined;
  /** Plans the entry against the locked ledger; throws LedgerError to refuse. */
  plan(ctx: PlanContext): Promise<EntryDraft>;
}

export interface WriteResult {
  replayed: boolean;
  entry: EntryView;
}

/** What a plan may ask inside the lock; answers include the batch so far. */
export interface PlanContext {
  balance(accountId: number): Promise<bigint>;
  bankReferenceUsed(bankAccount: string | null, reference: string): Promise<boolean>;
  isReversed(entryId: string): Promise<boolean>;
  /** The last closed date (khóa sổ), or null. */
  closedThrough(): Promise<string | null>;
}

type Outcome = { ok: true; result: WriteResult } | { ok: false; error: unknown };

interface Pending {
  request: WriteRequest;
  resolve(result: WriteResult): void;
  reject(error: unknown): void;
}

function settle(p: Pending, o: Outcome): void {
  if (o.ok) p.resolve(o.result);
  else p.reject(o.error);
}

export class GroupCommitter {
  private readonly queues = new Map<number, Pending[]>();
  private readonly running = new Map<number, number>();
  /** Told of each committed batch: how many requests it held and how long it took from lock to COMMIT. */
  onBatch: ((requests: number, seconds: number) => void) | null = null;

  constructor(
    private readonly store: LedgerStore,
    private readonly mapStoreError: (error: unknown) => LedgerError | null,
    /**
     * Transactions per committee under way at once. One: the next batch starts the moment one commits
     * (before its requests are answered) and takes everything that queued meanwhile. Two (one committing,
     * the next waiting for the lock) halve the batches, and a batch's fixed cost in PostgreSQL (its
     * statements, checks and COMMIT) then weighs on twice as many: fewer entries a second, not more.
     */
    private readonly depth = 1,
  ) {}

  submit(request: WriteRequest): Promise<WriteResult> {
    return new Promise((resolve, reject) => {
      const queue = this.queues.get(request.committeeId) ?? [];
      this.queues.set(request.committeeId, queue);
      queue.push({ request, resolve, reject });
      this.pump(request.committeeId);
    });
  }

  private pump(committeeId: number): void {
    const queue = this.queues.get(committeeId);
    assert(queue, "a pumped committee has a queue");
    while (queue.length > 0 && (this.running.get(committeeId) ?? 0) < this.depth) {
      this.running.set(committeeId, (this.running.get(committeeId) ?? 0) + 1);
      let released = false;
      const release = () => {
        if (released) return;
        released = true;
        this.running.set(committeeId, this.running.get(committeeId)! - 1);
        this.pump(committeeId);
      };
      void this.commitNext(committeeId, queue, release).finally(release);
    }
  }

  // The batch is taken from the queue only once the lock is held, so it holds
  // everything that arrived while the previous batch was committing. Once it
  // has committed, the next batch is started before its requests are
  // answered: answering a batch (its responses written as their promises
  // settle) takes milliseconds the next batch's lock and reads need not wait.
  private async commitNext(committeeId: number, queue: Pending[], release: () => void): Promise<void> {
    let batch: Pending[] = [];
    let locked = 0;
    try {
      const outcomes = await this.store.withCommitteeBatch(committeeId, (tx) => {
        locked = performance.now();
        batch = queue.splice(0, MAX_BATCH);
        return batch.length > 0 ? runBatch(tx, batch) : Promise.resolve([]);
      });
      release();
      if (batch.length > 0) this.onBatch?.(batch.length, (performance.now() - locked) / 1000);
      batch.forEach((p, i) => settle(p, outcomes[i]!));
    } catch (error) {
      if (batch.length === 0) {
        // The lock itself failed (the database is unreachable): nothing was taken, answer what waits.
        for (const p of queue.splice(0, MAX_BATCH)) settle(p, { ok: false, error });
        return;
      }
      // One bad request must not sink the others: retry each alone.
      for (const p of batch) await this.commitAlone(committeeId, p);
    }
  }

  private async commitAlone(committeeId: number, p: Pending): Promise<void> {
    try {
      const [outcome] = await this.store.withCommitteeBatch(committeeId, (tx) => runBatch(tx, [p]));
      settle(p, outcome!);
    } catch (error) {
      settle(p, { ok: false, error: this.mapStoreError(error) ?? error });
    }
  }
}

async function runBatch(tx: LockedLedger, batch: Pending[]): Promise<Outcome[]> {
  const refs = batch.flatMap((p) => (p.request.bankReference ? [p.request.bankReference] : []));
  const voucherKeys = new Map(batch.flatMap((p) => (p.request.voucher ? [[`${p.request.voucher.series}-${p.request.voucher.year}`, p.request.voucher]] : [])));
  const read = await tx.batchContext({
    keys: [...new Set(batch.map((p) => p.request.idempotencyKey))],
    refs,
    vouchers: [...voucherKeys.values()],
  });
  let head = read.head;
  const stored = read.stored;
  const ctx = new BatchContext(tx, read.refsUsed, refs, read.closedThrough);
  const outcomes: Outcome[] = [];
  const rows: EntryRow[] = [];
  const responses: IdempotentResponse[] = [];
  const done = new Map<string, { requestHash: string; result: WriteResult }>();
  const vouchers = new Map(read.lastVouchers);

  for (const { request } of batch) {
    const key = request.idempotencyKey;
    const prior = stored.get(key) ?? done.get(key);
    if (prior) {
      outcomes.push(replay(prior.requestHash, request.requestHash, "result" in prior ? prior.result.entry : prior.response));
      continue;
    }
    let draft: EntryDraft;
    try {
      draft = await request.plan(ctx);
      checkDraft(draft);
      const closed = await ctx.closedThrough();
      if (closed !== null && draft.entryDate <= closed) {
        fail("period_closed", `the books are closed through ${closed}; date the entry (or its correction) after that`, "entryDate",
          { date: draft.entryDate, closed });
      }
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      outcomes.push({ ok: false, error });
      continue;
    }
    const voucher = draft.voucherSeries ? await nextVoucher(tx, vouchers, draft.voucherSeries, draft.entryDate) : null;
    const entry = sealEntry(draft, {
      committeeId: request.committeeId, committeeCode: request.committeeCode, recordedBy: request.recordedBy,
      recordedAt: new Date().toISOString(), idempotencyKey: request.idempotencyKey, voucherNo: voucher?.voucherNo ?? null,
    }, head);
    head = { seq: entry.seq, hash: entry.hash };
    ctx.apply(entry);
    const result: WriteResult = { replayed: false, entry: entryView(entry) };
    done.set(key, { requestHash: request.requestHash, result });
    rows.push({ entry, voucher: voucher && { bookId: voucher.bookId, year: voucher.year, number: voucher.number } });
    responses.push({ key, requestHash: request.requestHash, entryId: entry.id, response: result.entry });
    outcomes.push({ ok: true, result });
  }
  if (rows.length > 0) await tx.insertEntries(rows, responses);
  return outcomes;
}

function replay(storedHash: string, requestHash: string, response: unknown): Outcome {
  if (storedHash !== requestHash) {
    return {
      ok: false,
      error: new LedgerError("idempotency_key_reused", "this Idempotency-Key was already used for a different request", "Idempotency-Key"),
    };
  }
  return { ok: true, result: { replayed: true, entry: response as EntryView } };
}

/** The TypeScript half of the ledger's invariants; PostgreSQL checks them again at commit. */
export function checkDraft(d: EntryDraft): void {
  const length = [...d.description].length;
  if (length < 1 || length > 2000) fail("validation_failed", "description is 1 to 2000 characters", "description");
  if (d.postings.length < 2) fail("too_few_postings", "an entry needs at least two postings", "postings");
  if (d.postings.length > 1000) fail("too_many_postings", "an entry has at most 1000 postings", "postings");
  let total = 0n;
  for (const p of d.postings) {
    assert(p.amountDong !== 0n, "postings are never zero");
    total += p.amountDong;
  }
  if (total !== 0n) fail("unbalanced_entry", `postings must sum to 0 đồng; they sum to ${total}`, "postings");
}

async function nextVoucher(
  tx: LockedLedger,
  cache: Map<string, { bookId: number; bookCode: string; number: number }>,
  series: "PT" | "PC",
  entryDate: string,
) {
  const year = Number(entryDate.slice(0, 4));
  const key = `${series}-${year}`;
  const last = cache.get(key) ?? (await tx.lastVoucherNumber(series, year));
  const next = { ...last, number: last.number + 1 };
  cache.set(key, next);
  const prefix = next.bookCode === series ? series : `${series}-${next.bookCode}`;
  return { bookId: next.bookId, year, number: next.number, voucherNo: `${prefix}-${year}-${String(next.number).padStart(6, "0")}` };
}

/** Answers plan questions from the database plus what this batch already did. */
class BatchContext implements PlanContext {
  private readonly deltas = new Map<number, bigint>();
  private readonly refs = new Set<string>();
  private readonly reversed = new Set<string>();
  private readonly checked: Set<string>;

  constructor(
    private readonly tx: LockedLedger,
    /** Recorded before this batch: those of the batch's declared references already in the ledger. */
    private readonly recorded: Set<string>,
    /** Every reference the batch's requests declared: looked up once, together, before planning. */
    declared: { bankAccount: string | null; reference: string }[],
    private readonly closed: string | null,
  ) {
    this.checked = new Set(declared.map((r) => refKey(r.bankAccount, r.reference)));
  }

  closedThrough(): Promise<string | null> {
    return Promise.resolve(this.closed);
  }

  async balance(accountId: number): Promise<bigint> {
    return (await this.tx.balance(accountId)) + (this.deltas.get(accountId) ?? 0n);
  }

  async bankReferenceUsed(bankAccount: string | null, reference: string): Promise<boolean> {
    const key = refKey(bankAccount, reference);
    if (this.refs.has(key) || this.recorded.has(key)) return true;
    if (this.checked.has(key)) return false; // declared, looked up before planning, not recorded
    return (await this.tx.bankReferencesUsed([{ bankAccount, reference }])).has(key);
  }

  async isReversed(entryId: string): Promise<boolean> {
    return this.reversed.has(entryId) || (await this.tx.isReversed(entryId));
  }

  apply(e: CommittedEntry): void {
    for (const p of e.postings) this.deltas.set(p.account.id, (this.deltas.get(p.account.id) ?? 0n) + p.amountDong);
    if (e.donation?.bankReference) this.refs.add(refKey(e.donation.bankAccount, e.donation.bankReference));
    if (e.reversalOf) this.reversed.add(e.reversalOf);
  }
}

export function refKey(bankAccount: string | null, reference: string): string {
  return `${bankAccount ?? ""}\u0000${reference}`;
}

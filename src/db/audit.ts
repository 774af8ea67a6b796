import { isUuid } from "../ledger/ids.js";
import { randomUUID } from "node:crypto";
import type { Knex } from "knex";
import type { Logger } from "pino";
import { isDatabaseBusy } from "./gate.js";

// The audit log (table audit_log, append-only in PostgreSQL): every change and
// every refused attempt. Rows are buffered and inserted in groups, so auditing
// never adds a commit per request on the hot write path: one insert (one
// commit) every flushMs (50) or every batch (500) rows, whichever comes first.
// A failed insert keeps its rows for the next try (backing off up to 5 s), a
// row the database itself refuses is dropped alone, and the buffer is
// bounded: beyond maxPending (100,000) rows the oldest are dropped, loudly.

export interface AuditRow {
  at: Date;
  committeeId: number | null;
  tokenId: number | null;
  role: string | null;
  /** e.g. "POST /api/v1/campaigns/:code/donations" */
  action: string;
  /** The path, never the query string. */
  target: string;
  outcome: number;
  code: string | null;
  requestId: string;
  client: string | null;
}

/** What the HTTP middleware needs: somewhere to put a row, at once. */
export interface AuditSink {
  write(row: AuditRow): void;
}

export interface AuditWriterOptions {
  flushMs?: number;
  batch?: number;
  maxPending?: number;
  /** Longest wait between retries while the database refuses the inserts. */
  maxBackoffMs?: number;
}

const LIMITS = { action: 200, target: 500, client: 100, role: 50, code: 100 } as const;

export class AuditWriter implements AuditSink {
  private pending: AuditRow[] = [];
  private timer: NodeJS.Timeout | null = null;
  private chain: Promise<unknown> = Promise.resolve();
  private running = false;
  private queued = false;
  private failures = 0;
  private dropped = 0;
  private droppedLoggedAt = 0;
  private closed = false;
  private readonly flushMs: number;
  private readonly batch: number;
  private readonly maxPending: number;
  private readonly maxBackoffMs: number;
  private inserted = 0;

  constructor(
    private readonly knex: Knex,
    private readonly log: Logger,
    opts: AuditWriterOptions = {},
  ) {
    this.flushMs = opts.flushMs ?? 50;
    this.batch = opts.batch ?? 500;
    this.maxPending = opts.maxPending ?? 100_000;
    this.maxBackoffMs = opts.maxBackoffMs ?? 5_000;
  }

  /** Rows inserted since start. */
  get written(): number {
    return this.inserted;
  }

  /** Rows dropped since start (buffer full, or refused by the database). */
  get droppedRows(): number {
    return this.dropped;
  }

  /** Rows waiting to be inserted. */
  get size(): number {
    return this.pending.length;
  }

  write(row: AuditRow): void {
    if (this.closed) {
      this.log.error({ audit: describe(row) }, "audit row written after the audit writer was closed: it is lost");
      return;
    }
    this.pending.push(clean(row));
    this.bound();
    // A full batch goes at once, unless the database is refusing (then the
    // retry timer decides, so an outage is not hammered at the request rate).
    if (this.pending.length >= this.batch && this.failures === 0) {
      if (!this.queued && !this.running) {
        this.queued = true;
        void this.flush();
      }
    } else this.schedule(this.failures === 0 ? this.flushMs : this.backoff());
  }

  /**
   * Inserts every row written before the call (in groups of `batch`). Never
   * rejects: resolves true when the buffer was emptied, false when the
   * database refused (the rows are kept and retried; the failure is logged).
   */
  flush(): Promise<boolean> {
    this.clearTimer();
    const run = this.chain.then(() => this.drain()).catch((error: unknown) => {
      this.log.error({ err: error }, "AUDIT LOG FLUSH FAILED");
      return false;
    });
    this.chain = run;
    return run;
  }

  /** Flushes what is buffered and stops; later writes are logged as lost. */
  async close(): Promise<void> {
    const ok = await this.flush();
    this.closed = true;
    this.clearTimer();
    if (!ok || this.pending.length) {
      this.dropped += this.pending.length;
      this.log.error({ lost: this.pending.length }, "audit rows could not be written before shutdown: they are lost");
      this.pending = [];
    }
  }

  private async drain(): Promise<boolean> {
    this.running = true;
    this.queued = false;
    try {
      while (this.pending.length) {
        const rows = this.pending.splice(0, this.batch);
        try {
          await this.insert(rows);
        } catch (error) {
          if (!isDataError(error)) return this.failed(rows, error);
          // One bad row must not block the rest for ever: insert one by one
          // and drop (loudly) only the rows the database itself refuses.
          for (let i = 0; i < rows.length; i++) {
            try {
              await this.insert([rows[i]!]);
            } catch (e) {
              if (!isDataError(e)) return this.failed(rows.slice(i), e);
              this.dropped++;
              this.log.error({ err: e, audit: describe(rows[i]!) }, "AUDIT ROW REFUSED by the database: dropped");
            }
          }
        }
      }
      if (this.failures) this.log.warn({ after: this.failures }, "audit log writes are succeeding again");
      this.failures = 0;
      return true;
    } finally {
      this.running = false;
    }
  }

  private failed(rows: AuditRow[], error: unknown): false {
    this.pending.unshift(...rows);
    this.bound();
    if (isDatabaseBusy(error)) {
      // The embedded database's connection is a bank import's for now: not a failure, only later.
      if (!this.closed) this.schedule(Math.min(this.maxBackoffMs, error.retryAfterSeconds * 1000));
      return false;
    }
    this.failures++;
    const retryMs = this.backoff();
    this.log.error({ err: error, pending: this.pending.length, retryMs, failures: this.failures },
      "AUDIT LOG INSERT FAILED: rows kept in memory and retried");
    if (!this.closed) this.schedule(retryMs);
    return false;
  }

  // The rows travel as one JSON parameter (in order: ids follow it), so a
  // group costs one short statement instead of a query builder's ten
  // placeholders per row.
  private async insert(rows: AuditRow[]): Promise<void> {
    const json = JSON.stringify(rows.map((r) => [
      r.at.toISOString(), r.committeeId, r.tokenId, r.role, r.action, r.target, r.outcome, r.code, r.requestId, r.client,
    ]));
    await this.knex.raw(`insert into audit_log (at, committee_id, token_id, role, action, target, outcome, code, request_id, client)
      select (r->>0)::timestamptz, (r->>1)::bigint, (r->>2)::bigint, r->>3, r->>4, r->>5, (r->>6)::int, r->>7, (r->>8)::uuid, r->>9
      from json_array_elements(?::json) with ordinality as t(r, n) order by n`, [json]);
    this.inserted += rows.length;
  }

  private bound(): void {
    const over = this.pending.length - this.maxPending;
    if (over <= 0) return;
    this.pending.splice(0, over);
    this.dropped += over;
    // Loud, but at most once a second rather than once per row.
    const now = Date.now();
    if (now - this.droppedLoggedAt >= 1000) {
      this.droppedLoggedAt = now;
      this.log.error({ dropped: this.dropped, kept: this.pending.length },
        "AUDIT LOG BUFFER FULL: the oldest unwritten audit rows were dropped");
    }
  }

  private backoff(): number {
    return Math.min(this.maxBackoffMs, this.flushMs * 2 ** Math.min(this.failures, 16));
  }

  private schedule(ms: number): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      void this.flush();
    }, ms);
    this.timer.unref();
  }

  private clearTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
  }
}

// Rows are made to fit the table's checks, so no row is refused for its size.
function clean(row: AuditRow): AuditRow {
  return {
    at: row.at instanceof Date && !Number.isNaN(row.at.getTime()) ? row.at : new Date(),
    committeeId: row.committeeId ?? null,
    tokenId: row.tokenId ?? null,
    role: cut(row.role, LIMITS.role),
    action: cut(row.action, LIMITS.action) ?? "",
    target: cut(row.target, LIMITS.target) ?? "",
    outcome: Number.isInteger(row.outcome) ? row.outcome : 0,
    code: cut(row.code, LIMITS.code),
    requestId: isUuid(row.requestId) ? row.requestId : randomUUID(),
    client: cut(row.client, LIMITS.client),
  };
}

function cut(s: string | null | undefined, max: number): string | null {
  if (s === null || s === undefined) return null;
  if (s.length <= max) return s;
  const chars = [...s];
  return chars.length <= max ? s : chars.slice(0, max).join("");
}

/** A row's identity for a log line (no personal data is in a row anyway). */
function describe(row: AuditRow) {
  return { action: row.action, outcome: row.outcome, requestId: row.requestId };
}

/** Data exceptions (22xxx) and integrity violations (23xxx): retrying cannot help. */
function isDataError(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" && /^2[23][0-9A-Z]{3}$/.test(code);
}

// Reading

export interface AuditFilter {
  afterId?: number | undefined;
  limit?: number | undefined;
  /** Exact action, or a prefix when it ends with "*" ("POST /api/v1/campaigns*"). */
  action?: string | undefined;
  /** A status (403) or a class of statuses ("4xx"). */
  outcome?: number | `${1 | 2 | 3 | 4 | 5}xx` | undefined;
  tokenId?: number | undefined;
  /** Instants, inclusive. */
  from?: Date | undefined;
  to?: Date | undefined;
}

/** A stored row as the API shows it: its id, and the time as ISO 8601. */
export interface AuditRecord extends Omit<AuditRow, "at"> {
  id: number;
  at: string;
}

/** One committee's audit rows in id order, after `afterId`, at most `limit` (1–1000). */
export async function listAudit(knex: Knex, committeeId: number, f: AuditFilter = {}): Promise<AuditRecord[]> {
  const limit = Math.max(1, Math.min(1000, f.limit ?? 100));
  const q = knex("audit_log").where("committee_id", committeeId).orderBy("id").limit(limit);
  if (f.afterId !== undefined) q.where("id", ">", f.afterId);
  if (f.action !== undefined) {
    if (f.action.endsWith("*")) q.whereRaw("action like ? escape '\\'", [`${f.action.slice(0, -1).replace(/[\\%_]/g, "\\$&")}%`]);
    else q.where("action", f.action);
  }
  if (typeof f.outcome === "number") q.where("outcome", f.outcome);
  else if (typeof f.outcome === "string") {
    const base = Number(f.outcome[0]) * 100;
    q.where("outcome", ">=", base).where("outcome", "<", base + 100);
  }
  if (f.tokenId !== undefined) q.where("token_id", f.tokenId);
  if (f.from) q.where("at", ">=", f.from);
  if (f.to) q.where("at", "<=", f.to);
  const rows = await q.select("*");
  return rows.map((r) => ({
    id: Number(r.id),
    at: (r.at as Date).toISOString(),
    committeeId: r.committee_id === null ? null : Number(r.committee_id),
    tokenId: r.token_id === null ? null : Number(r.token_id),
    role: r.role,
    action: r.action,
    target: r.target,
    outcome: r.outcome,
    code: r.code,
    requestId: r.request_id,
    client: r.client,
  }));
}

import { randomBytes } from "node:crypto";
import { hostname } from "node:os";
import type { Knex } from "knex";
import { fail, LedgerError } from "../ledger/codes.js";
import { importStatement, toSummary, type ImportRequest, type ImportSummary } from "./bankimports.js";
import type { ConnectionGate } from "./gate.js";

// Bank imports started over HTTP, as jobs kept in PostgreSQL (migration 0040): any process of a
// deployment answers a progress poll, whichever process the load balancer sends it to.
//
// The process that runs a job writes its state and progress about once a second, renewing its
// heartbeat; a job not renewed within the lease belongs to a process that is gone, and whichever
// process looks first (a poll, the sweep every lease, a start) marks it failed, import_interrupted.
// The import itself is one transaction, so a dead process leaves none of it behind: PostgreSQL rolls
// the transaction back when the connection drops, entries, bank lines and the import's row alike, and
// the committee's lock is free again. The job is marked done inside that transaction, and only if it
// is still this process's and running: a job marked failed meanwhile (its heartbeat could not be
// written for a whole lease) rolls its import back rather than commit under a failed job. Nothing is
// resumed: the upload was in the dead process's temporary folder, and importing the file again is
// safe (each line is recorded once) and, since nothing was written, records every line.

export type JobState = "queued" | "running" | "done" | "failed";
export type JobPhase = "waiting" | "reading" | "posting";

export interface JobView {
  id: string;
  state: JobState;
  phase: JobPhase;
  linesDone: number;
  linesTotal: number | null;
  importId: number | null;
  error: { code: string; message: string; field: string | null } | null;
  createdAt: string;
  heartbeatAt: string;
  finishedAt: string | null;
  /** The import's summary, once done. */
  summary: ImportSummary | null;
}

export interface NewJob {
  id: string;
  committeeId: number;
  /** The token (principal) that started it. */
  startedBy: number;
  campaign: string;
  bankAccount: string;
}

/** What a job's work does with the job: import a statement as it. */
export interface RunningJob {
  importStatement(request: ImportRequest, inputBytes: number): Promise<ImportSummary>;
}

export interface ImportJobsOptions {
  leaseMs: number;
  /** PGlite's connection gate: held while the import posts. */
  gate?: ConnectionGate | undefined;
  heartbeatMs?: number;
  /** Each job's end, for the metrics. */
  onFinished?: (outcome: "done" | "failed", seconds: number) => void;
}

interface Progress {
  phase: JobPhase;
  done: number;
  total: number | null;
  startedAt: number;
}

/** How long a piece of work still needs at the pace of its last PACE_WINDOW_MS: imports slow down as the tables grow. */
class Pace {
  private readonly samples: { t: number; share: number }[] = [];

  note(share: number, t = performance.now()): void {
    this.samples.push({ t, share });
    // One sample older than the window is kept: the pace is measured across the whole window.
    while (this.samples.length > 2 && this.samples[1]!.t < t - PACE_WINDOW_MS) this.samples.shift();
  }

  /** Seconds still needed, or null before the pace is known. */
  remaining(now: number): number | null {
    const first = this.samples[0], last = this.samples.at(-1);
    if (!first || !last || last.share < 0.02 || last.t - first.t < 1000 || last.share <= first.share) return null;
    const perSecond = (last.share - first.share) / ((last.t - first.t) / 1000);
    return (1 - last.share) / perSecond - (now - last.t) / 1000;
  }
}

const PACE_WINDOW_MS = 30_000;

/**
 * What a bank import on the embedded database is assumed to read a second before its own pace is known
 * (only the first Retry-After uses it): a busy 2-core machine reads a statement at about 140 kB a second
 * (docs/bank-import.md); a quiet one reads faster, so a little more is assumed.
 */
const EMBEDDED_BYTES_PER_SECOND = 250_000;
const MESSAGE_MAX = 2000;
const UNFINISHED = ["queued", "running"];
const INTERRUPTED = "the process running this import stopped before it finished; nothing of it was written: import the file again";

export class ImportJobs {
  /** This process, as a job's owner: host, process id and a random part (a pid is reused). */
  readonly owner = `${hostname().slice(0, 100)}:${process.pid}:${randomBytes(4).toString("hex")}`;
  private readonly running = new Map<string, Progress>();
  private timer: NodeJS.Timeout | null = null;
  private sweeper: NodeJS.Timeout | null = null;
  private writing: Promise<void> | null = null;

  constructor(private readonly knex: Knex, private readonly opts: ImportJobsOptions) {}

  /** Jobs running in this process now. */
  get active(): number {
    return this.running.size;
  }

  /**
   * Runs `work` as a new job: the job is queued at once (before the upload is read, so a poll finds
   * it), and whatever `work` throws is recorded as the job's failure before it is thrown on.
   */
  async track(job: NewJob, work: (job: RunningJob) => Promise<ImportSummary>): Promise<ImportSummary> {
    const { rowCount } = await this.knex.raw(`insert into bank_import_jobs (id, committee_id, started_by, campaign_code, bank_account, owner)
      values (?, ?, ?, ?, ?, ?) on conflict (id) do nothing`,
    [job.id, job.committeeId, job.startedBy, job.campaign.slice(0, 64), job.bankAccount.slice(0, 64), this.owner]) as { rowCount: number };
    if (rowCount !== 1) fail("validation_failed", `import job ${job.id} exists already: choose another id (a new UUID)`, "job");
    const progress: Progress = { phase: "waiting", done: 0, total: null, startedAt: performance.now() };
    this.running.set(job.id, progress);
    this.beat();
    try {
      const summary = await work({ importStatement: (request, bytes) => this.importAs(job.id, progress, request, bytes) });
      this.opts.onFinished?.("done", (performance.now() - progress.startedAt) / 1000);
      return summary;
    } catch (error) {
      await this.recordFailure(job.id, error);
      this.opts.onFinished?.("failed", (performance.now() - progress.startedAt) / 1000);
      throw error;
    } finally {
      this.running.delete(job.id);
    }
  }

  private async importAs(id: string, progress: Progress, request: ImportRequest, inputBytes: number): Promise<ImportSummary> {
    await this.knex("bank_import_jobs").where({ id, owner: this.owner }).whereIn("state", UNFINISHED)
      .update({ state: "running", phase: "reading", heartbeat_at: this.knex.fn.now() });
    progress.phase = "reading";
    const reading = new Pace();
    const posting = new Pace();
    let bytesRead = 0;
    const counted = (async function* () {
      for await (const chunk of request.input) {
        bytesRead += chunk.length;
        reading.note(bytesRead / Math.max(1, inputBytes));
        yield chunk;
      }
    })();
    let release = () => {};
    let heldAt = 0;
    const remainingSeconds = () => {
      const now = performance.now();
      const held = (now - heldAt) / 1000;
      // The recent pace of the reading (which posts as it goes in the usual import) or of the posting, and
      // what follows the last line (the commit's checks, statistics): about a tenth of the time so far.
      const left = progress.phase === "posting" && progress.total ? posting.remaining(now) : reading.remaining(now);
      if (left === null) return inputBytes / EMBEDDED_BYTES_PER_SECOND - held;
      return left + 0.1 * held;
    };
    try {
      return await importStatement(this.knex, {
        ...request,
        input: counted,
        onLocked: () => {
          heldAt = performance.now();
          if (this.opts.gate) release = this.opts.gate.take({ what: "a bank import posting", remainingSeconds });
        },
        onProgress: (p) => {
          if (p.phase === "posting" && p.total) posting.note(p.done / Math.max(1, p.total));
          Object.assign(progress, { phase: p.phase, done: p.done, total: p.total });
          request.onProgress?.(p);
        },
        finish: async (trx, summary) => {
          await request.finish?.(trx, summary);
          const done = await trx("bank_import_jobs").where({ id, owner: this.owner, state: "running" }).update({
            state: "done", phase: "posting", lines_done: summary.linesRead, lines_total: summary.linesRead, import_id: summary.id,
            heartbeat_at: trx.fn.now(), finished_at: trx.fn.now(),
          });
          if (done !== 1) fail("import_interrupted", "this import was taken for abandoned (its process did not report for a whole lease); nothing was written: import the file again");
        },
      });
    } finally {
      release();
    }
  }

  /** A job's failure, unless it is done: the cause replaces an interruption another process assumed meanwhile. */
  private async recordFailure(id: string, error: unknown): Promise<void> {
    const e = error instanceof LedgerError ? error
      : new LedgerError("internal_error", "the import failed on the server (logged); nothing was written: import the file again");
    await this.knex("bank_import_jobs").where({ id, owner: this.owner }).whereNot({ state: "done" }).update({
      state: "failed", error_code: e.code, error_message: e.message.slice(0, MESSAGE_MAX), error_field: e.field?.slice(0, 200) ?? null,
      finished_at: this.knex.fn.now(), heartbeat_at: this.knex.fn.now(),
    }).catch(() => {
      // The database is gone too: the lease marks the job failed once it is back.
    });
  }

  /** A committee's job as it stands; one whose process is gone is marked failed first. */
  async read(committeeId: number, id: string): Promise<JobView | null> {
    const row = await this.knex("bank_import_jobs").where({ committee_id: committeeId, id })
      .first("*", this.knex.raw("heartbeat_at < now() - make_interval(secs => ?) as stale", [this.opts.leaseMs / 1000]));
    if (!row) return null;
    if (UNFINISHED.includes(row.state) && row.stale && !this.running.has(id)) {
      await this.failAbandoned([id]);
      return this.read(committeeId, id);
    }
    return this.view(row);
  }

  private async view(row: Record<string, any>): Promise<JobView> {
    const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
    let summary: ImportSummary | null = null;
    if (row.import_id !== null) {
      const r = await this.knex("bank_imports as i").join("bank_accounts as a", "a.id", "i.bank_account_id")
        .join("campaigns as c", "c.id", "i.campaign_id").where({ "i.committee_id": row.committee_id, "i.id": row.import_id })
        .first("i.*", "a.account_no", "c.code as campaign_code");
      summary = r ? toSummary(r, r.account_no, r.campaign_code) : null;
    }
    return {
      id: row.id, state: row.state, phase: row.phase, linesDone: Number(row.lines_done), linesTotal: row.lines_total === null ? null : Number(row.lines_total),
      importId: row.import_id === null ? null : Number(row.import_id),
      error: row.error_code === null ? null : { code: row.error_code, message: row.error_message ?? "", field: row.error_field },
      createdAt: iso(row.created_at), heartbeatAt: iso(row.heartbeat_at), finishedAt: row.finished_at === null ? null : iso(row.finished_at), summary,
    };
  }

  /**
   * Jobs whose process is gone, marked failed: those not renewed within the lease (only these ids, when
   * given); with `everyOther`, every unfinished job another process owns (the embedded database, whose
   * folder one process holds at a time, at start). Never one this process runs. How many.
   */
  async failAbandoned(ids?: string[], everyOther = false): Promise<number> {
    const q = this.knex("bank_import_jobs").whereIn("state", UNFINISHED).whereNotIn("id", [...this.running.keys()]);
    if (ids) q.whereIn("id", ids);
    if (everyOther) q.whereNot({ owner: this.owner });
    else q.whereRaw("heartbeat_at < now() - make_interval(secs => ?)", [this.opts.leaseMs / 1000]);
    return q.update({ state: "failed", error_code: "import_interrupted", error_message: INTERRUPTED, finished_at: this.knex.fn.now() });
  }

  /** Unfinished jobs of every process (for the metrics). */
  async unfinished(): Promise<number> {
    const row = await this.knex("bank_import_jobs").whereIn("state", UNFINISHED).count("* as n").first();
    return Number(row?.n ?? 0);
  }

  /** Sweeps abandoned jobs every lease (off the request path). */
  start(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => void this.failAbandoned().catch(() => {}), this.opts.leaseMs);
    this.sweeper.unref();
  }

  async stop(): Promise<void> {
    if (this.sweeper) clearInterval(this.sweeper);
    if (this.timer) clearInterval(this.timer);
    this.sweeper = this.timer = null;
    await this.writing;
  }

  /** The heartbeat: every running job's progress written, about once a second, one write at a time. */
  private beat(): void {
    if (this.timer) return;
    this.timer = setInterval(() => {
      if (this.running.size === 0) {
        clearInterval(this.timer!);
        this.timer = null;
        return;
      }
      if (this.writing || this.opts.gate?.held) return; // the embedded database's one connection is the import's
      this.writing = this.writeProgress().finally(() => (this.writing = null));
    }, this.opts.heartbeatMs ?? 1000);
    this.timer.unref();
  }

  private async writeProgress(): Promise<void> {
    for (const [id, p] of this.running) {
      await this.knex("bank_import_jobs").where({ id, owner: this.owner }).whereIn("state", UNFINISHED)
        .update({ phase: p.phase, lines_done: p.done, lines_total: p.total, heartbeat_at: this.knex.fn.now() })
        .catch(() => {
          // Missed once: the next beat writes it; a whole lease missed makes the job abandoned, and the import rolls back.
        });
    }
  }
}

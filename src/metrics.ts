import type { RequestHandler } from "express";
import type { Knex } from "knex";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";

// What an operator watches, in Prometheus's text format at /metrics: requests by route and status,
// the group committer's batches, the pool, verify runs, bank import jobs and each committee's chain head. A registry
// of the app's own (not prom-client's global one), so two apps in one process (tests) do not collide.
// Route labels are express's route patterns, never raw paths, so a scan of random URLs cannot grow
// the series without bound.

export class Metrics {
  readonly registry = new Registry();
  private readonly requests: Counter<"method" | "route" | "status">;
  private readonly requestSeconds: Histogram<"method" | "route" | "status">;
  private readonly batchEntries: Histogram;
  private readonly batchSeconds: Histogram;
  private readonly verifySeconds: Histogram<"outcome">;
  private readonly importSeconds: Histogram<"outcome">;

  constructor(private readonly knex: Knex, opts: { defaults?: boolean } = {}) {
    const registers = [this.registry];
    if (opts.defaults !== false) collectDefaultMetrics({ register: this.registry, prefix: "soquy_process_" });
    this.requests = new Counter({ name: "soquy_http_requests_total", help: "HTTP requests answered, by route pattern and status", labelNames: ["method", "route", "status"], registers });
    this.requestSeconds = new Histogram({
      name: "soquy_http_request_duration_seconds", help: "Time to answer an HTTP request", labelNames: ["method", "route", "status"], registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
    });
    this.batchEntries = new Histogram({ name: "soquy_write_batch_entries", help: "Requests committed together in one group-committed transaction", registers, buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256, 512] });
    this.batchSeconds = new Histogram({
      name: "soquy_write_batch_commit_seconds", help: "Time from taking a committee's lock to the COMMIT of its batch", registers,
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    });
    this.verifySeconds = new Histogram({ name: "soquy_verify_duration_seconds", help: "Time to verify a committee's ledger", labelNames: ["outcome"], registers, buckets: [0.01, 0.1, 1, 5, 15, 60, 300] });
    this.importSeconds = new Histogram({
      name: "soquy_bank_import_job_seconds", help: "Bank import jobs this process ran, by outcome (done, failed), and their time from upload to end",
      labelNames: ["outcome"], registers, buckets: [0.5, 1, 5, 15, 30, 60, 120, 300, 600],
    });
    this.poolGauges(registers);
    this.chainHeads(registers);
  }

  /** Counts and times every request, labelled with the route pattern that answered it. */
  middleware(): RequestHandler {
    return (req, res, next) => {
      const started = process.hrtime.bigint();
      res.on("finish", () => {
        const labels = { method: req.method, route: routeOf(req), status: String(res.statusCode) };
        this.requests.inc(labels);
        this.requestSeconds.observe(labels, Number(process.hrtime.bigint() - started) / 1e9);
      });
      next();
    };
  }

  batch(entries: number, seconds: number): void {
    this.batchEntries.observe(entries);
    this.batchSeconds.observe(seconds);
  }

  importFinished(outcome: "done" | "failed", seconds: number): void {
    this.importSeconds.observe({ outcome }, seconds);
  }

  /** Import jobs running here, and unfinished in the whole deployment (one indexed count, kept as it was when the database is busy). */
  watchImportJobs(jobs: { active: number; unfinished(): Promise<number> }): void {
    const registers = [this.registry];
    new Gauge({ name: "soquy_bank_import_jobs_running", help: "Bank import jobs this process is running", registers, collect() { this.set(jobs.active); } });
    new Gauge({
      name: "soquy_bank_import_jobs_unfinished", help: "Bank import jobs queued or running in every process on this database", registers,
      async collect() {
        const n = await jobs.unfinished().catch(() => null);
        if (n !== null) this.set(n);
      },
    });
  }

  verified(ok: boolean, seconds: number): void {
    this.verifySeconds.observe({ outcome: ok ? "ok" : "broken" }, seconds);
  }

  async text(): Promise<string> {
    return this.registry.metrics();
  }

  private poolGauges(registers: Registry[]): void {
    const pool = () => (this.knex.client as { pool?: { numUsed(): number; numFree(): number; numPendingAcquires(): number } }).pool;
    new Gauge({ name: "soquy_db_pool_used", help: "Database connections in use", registers, collect() { this.set(pool()?.numUsed() ?? 0); } });
    new Gauge({ name: "soquy_db_pool_free", help: "Database connections idle in the pool", registers, collect() { this.set(pool()?.numFree() ?? 0); } });
    new Gauge({ name: "soquy_db_pool_waiting", help: "Requests waiting for a database connection", registers, collect() { this.set(pool()?.numPendingAcquires() ?? 0); } });
  }

  private chainHeads(registers: Registry[]): void {
    const knex = this.knex;
    new Gauge({
      name: "soquy_chain_head_sequence", help: "The last entry's sequence number in each committee's hash chain", labelNames: ["committee"], registers,
      async collect() {
        // One index probe per committee (journal_entries is keyed by committee and sequence). While the
        // embedded database is busy with an import, the heads read last time are served.
        const found = await knex.raw(`select c.code, coalesce((select e.seq from journal_entries e where e.committee_id = c.id
          order by e.seq desc limit 1), 0) as seq from committees c`).catch(() => null);
        if (!found) return;
        this.reset();
        for (const r of found.rows as { code: string; seq: string }[]) this.set({ committee: r.code }, Number(r.seq));
      },
    });
  }
}

// Where app.ts mounts routers. By the time a response finishes, express may have left the router and
// reset req.baseUrl, so the prefix is taken from the URL itself.
const MOUNTS = ["/api/v1", "/app"];

function routeOf(req: Parameters<RequestHandler>[0]): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== "string") return "unmatched";
  const base = MOUNTS.find((m) => req.originalUrl === m || req.originalUrl.startsWith(`${m}/`)) ?? "";
  return `${base}${pattern}`;
}

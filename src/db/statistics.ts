import type { Knex } from "knex";
import { isDatabaseBusy } from "./gate.js";

/**
 * Keeps the planner's statistics fresh as the ledger grows, whatever the database's own maintenance
 * does (PGlite has no autovacuum; a server may have it off). Every few seconds, on a timer and never
 * inside a write, it calls soquy_refresh_statistics() (migration 0032), which ANALYZEs a table that has
 * doubled since its last statistics, again until none has: the plans sessions keep are then made again on the ledger
 * as it is, not as it was when it was empty. What has grown is read from the database, not kept here,
 * so several service processes share it; the function runs as its owner, so it works under a role
 * that does not own the tables.
 */
export class StatisticsKeeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;
  private warned = false;
  /** Tables ANALYZEd so far by this keeper, in order (for the log and the tests). */
  readonly analyzed: string[] = [];

  constructor(private readonly knex: Knex, private readonly everyMs = 2_000) {}

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.tick(), this.everyMs);
    this.timer.unref(); // never what keeps a process alive
  }

  /** Refreshes what has grown now, a table a call; returns the tables it ANALYZEd (none when another process is at it). */
  async refresh(): Promise<string[]> {
    const analyzed: string[] = [];
    // Bounded: a table that still looked grown after its ANALYZE must not keep this loop going.
    for (let calls = 0; calls < 100; calls++) {
      const { rows } = await this.knex.raw("select soquy_refresh_statistics() as analyzed");
      const table = rows[0]?.analyzed as string | null;
      if (!table) break;
      analyzed.push(table);
      this.analyzed.push(table);
    }
    return analyzed;
  }

  private tick(): void {
    if (this.running) return;
    this.running = this.refresh().then(() => undefined, (error: unknown) => {
      // A failed refresh costs speed, not correctness: say so once, go on trying. The embedded database
      // busy with an import is not a failure: the next tick tries again.
      if (this.timer && !this.warned && !isDatabaseBusy(error)) {
        this.warned = true;
        console.warn(`soquy: refreshing the planner's statistics failed (writes may slow down as the ledger grows): ${error instanceof Error ? error.message : String(error)}`);
      }
    }).finally(() => {
      this.running = null;
    });
  }

  /** Stops the timer and waits for a refresh under way, so the database can be closed after. */
  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }
}

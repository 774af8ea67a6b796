import type { Knex } from "knex";

// Rate-limit counts kept in PostgreSQL (migration 0041), so that every service process on the database
// counts a client's requests together: N processes allow what one would. Fixed windows, aligned to the
// database's clock (every process agrees which window a request falls in): one UPSERT per counted
// request, on an unlogged table, answers the window's count so far and the seconds left in it.

export interface WindowCount {
  /** Requests of this client counted in the current window, this one included. */
  hits: number;
  /** Whole seconds until the window ends (at least 1). */
  retryAfter: number;
}

const SWEEP_MS = 60_000;
const CLIENT_MAX = 200;

export class RateCounts {
  private sweeper: NodeJS.Timeout | null = null;

  constructor(private readonly knex: Knex) {}

  /** Counts one request of `client` against `limiter`, in windows of `windowMs`. */
  async hit(limiter: string, client: string, windowMs: number): Promise<WindowCount> {
    const ms = Math.max(1000, Math.round(windowMs));
    const { rows } = await this.knex.raw(`insert into rate_limit_hits as h (limiter, client, window_ends, hits)
        values (?, ?, to_timestamp((floor(extract(epoch from clock_timestamp()) * 1000 / ?) + 1) * ? / 1000.0), 1)
      on conflict (limiter, client, window_ends) do update set hits = h.hits + 1
      returning h.hits, greatest(1, ceil(extract(epoch from h.window_ends - clock_timestamp())))::int as retry_after`,
    [limiter, client.slice(0, CLIENT_MAX), ms, ms]);
    return { hits: Number(rows[0].hits), retryAfter: Number(rows[0].retry_after) };
  }

  /** Deletes the windows that have ended (a function running as the owner: the service's role deletes nothing). */
  async sweep(): Promise<number> {
    const { rows } = await this.knex.raw("select soquy_rate_limit_sweep() as n");
    return Number(rows[0].n);
  }

  /** Sweeps every minute, off the request path. */
  start(): void {
    if (this.sweeper) return;
    this.sweeper = setInterval(() => void this.sweep().catch(() => {}), SWEEP_MS);
    this.sweeper.unref();
  }

  stop(): void {
    if (this.sweeper) clearInterval(this.sweeper);
    this.sweeper = null;
  }
}

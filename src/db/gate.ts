import type { Knex } from "knex";
import { LedgerError } from "../ledger/codes.js";

// The embedded database is one connection. A bank import holds it for its whole transaction
// (docs/bank-import.md: tens of seconds for 200,000 lines), and every other request would queue behind
// it until the import ends. Instead the import holds this gate while it runs, and any other use of the
// database fails at once with DatabaseBusyError: a 503 with Retry-After, the import's own estimate of
// the seconds it still needs. A request whose wait began before the import took the connection waits at
// most the pool's acquire timeout, then gets the same answer. What needs no database (kept public
// answers) is served meanwhile.

/** The database is held by a long piece of work; retry after the seconds it names. */
export class DatabaseBusyError extends LedgerError {
  constructor(readonly retryAfterSeconds: number, readonly what = "a long request") {
    super("database_busy", `the embedded database is busy (${what}); retry in ${retryAfterSeconds} s`);
  }
}

export function isDatabaseBusy(error: unknown): error is DatabaseBusyError {
  return error instanceof DatabaseBusyError;
}

/** What holds the connection: how long it thinks it still needs. */
export interface Hold {
  /** What it is, for the refusal ("a bank import posting"). */
  what: string;
  remainingSeconds(): number;
}

const MAX_RETRY_SECONDS = 600;
/** Retry-After when a wait for the connection timed out and nothing said how long it is held. */
const UNKNOWN_RETRY_SECONDS = 5;

export class ConnectionGate {
  private hold: Hold | null = null;

  /** Holds the gate until the returned function is called. */
  take(hold: Hold): () => void {
    this.hold = hold;
    return () => {
      if (this.hold === hold) this.hold = null;
    };
  }

  get held(): boolean {
    return this.hold !== null;
  }

  /** The refusal to give now, or null when nothing holds the connection. */
  refusal(): DatabaseBusyError | null {
    if (!this.hold) return null;
    const seconds = this.hold.remainingSeconds();
    const retry = Math.min(MAX_RETRY_SECONDS, Math.max(1, Math.ceil(Number.isFinite(seconds) ? seconds : UNKNOWN_RETRY_SECONDS)));
    return new DatabaseBusyError(retry, this.hold.what);
  }

  /**
   * Every acquire of the knex instance's connection goes through the gate: refused at once while it is
   * held, and a wait that timed out is answered as busy (PGlite is never unreachable, only held).
   * Transactions already open keep their connection and are not affected.
   */
  install(knex: Knex): void {
    const client = knex.client as { acquireConnection(): Promise<unknown> };
    const acquire = client.acquireConnection.bind(client);
    client.acquireConnection = async () => {
      const busy = this.refusal();
      if (busy) throw busy;
      try {
        return await acquire();
      } catch (error) {
        if ((error as { name?: string } | null)?.name !== "KnexTimeoutError") throw error;
        throw this.refusal() ?? new DatabaseBusyError(UNKNOWN_RETRY_SECONDS);
      }
    };
  }
}

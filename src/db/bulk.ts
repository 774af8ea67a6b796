import { Socket } from "node:net";
import type { Knex } from "knex";
import { from as copyFrom } from "pg-copy-streams";

// Many rows into one table inside a transaction, as fast as the connection
// allows: on PostgreSQL one `COPY … FROM STDIN` stream for the whole set
// (~1 µs a row in the server, the client writing while the server reads);
// on PGlite, whose node-postgres adapter has no COPY FROM STDIN, multi-row
// INSERTs of json_populate_recordset in pages, one in flight while the next
// is prepared. Either way rows arrive in the order they were added, and every
// trigger and constraint of the table applies as to any INSERT.

export type BulkValue = string | number | bigint | boolean | null;

export interface BulkSink {
  /** Adds one row (values in the order of the columns); resolves when there is room for more. */
  add(row: BulkValue[]): Promise<void> | void;
  /** Sends what is left and waits until the table has every row. */
  end(): Promise<void>;
  /** Gives up: nothing more is sent, and the statement in flight is left to fail or finish. */
  abort(error: Error): Promise<void>;
}

/** Whether this connection is a real PostgreSQL wire connection (COPY FROM STDIN works on it). */
export async function canCopy(trx: Knex.Transaction): Promise<boolean> {
  const conn = (await (trx.client as unknown as { acquireConnection(): Promise<unknown> }).acquireConnection()) as {
    connection?: { stream?: unknown };
  };
  return conn.connection?.stream instanceof Socket;
}

const COPY_CHUNK = 256 * 1024;
const JSON_PAGE = 2_000;

export async function openSink(trx: Knex.Transaction, table: string, columns: string[], copy: boolean): Promise<BulkSink> {
  return copy ? copySink(trx, table, columns) : jsonSink(trx, table, columns);
}

// COPY text format: \N for NULL; backslash, tab, newline and carriage return escaped.
const special = /[\\\t\n\r]/;
function copyText(v: BulkValue): string {
  if (v === null) return "\\N";
  if (typeof v !== "string") return String(v);
  if (!special.test(v)) return v;
  return v.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

async function copySink(trx: Knex.Transaction, table: string, columns: string[]): Promise<BulkSink> {
  const conn = (await (trx.client as unknown as { acquireConnection(): Promise<{ query(q: unknown): unknown }> }).acquireConnection());
  const stream = conn.query(copyFrom(`copy ${table} (${columns.join(", ")}) from stdin`)) as ReturnType<typeof copyFrom>;
  let failure: Error | null = null;
  const finished = new Promise<void>((resolve, reject) => {
    stream.on("finish", resolve);
    stream.on("error", (e: Error) => {
      failure ??= e;
      reject(e);
    });
  });
  finished.catch(() => {}); // surfaced by add() or end()
  let buf = "";
  const flush = async () => {
    if (buf === "") return;
    const chunk = buf;
    buf = "";
    if (!stream.write(chunk)) {
      await new Promise<void>((resolve, reject) => {
        const done = () => {
          stream.off("drain", done);
          stream.off("error", done);
          if (failure) reject(failure);
          else resolve();
        };
        stream.on("drain", done);
        stream.on("error", done);
      });
    }
  };
  return {
    add(row) {
      if (failure) throw failure;
      let line = copyText(row[0]!);
      for (let i = 1; i < row.length; i++) line += "\t" + copyText(row[i]!);
      buf += line + "\n";
      if (buf.length >= COPY_CHUNK) return flush();
    },
    async end() {
      await flush();
      stream.end();
      await finished;
    },
    async abort(error) {
      buf = "";
      // CopyFail: the server ends the COPY with an error, and the transaction is rolled back by the caller.
      stream.destroy(error);
      await finished.catch(() => {});
    },
  };
}

function jsonSink(trx: Knex.Transaction, table: string, columns: string[]): BulkSink {
  let page: Record<string, BulkValue>[] = [];
  let inflight: Promise<unknown> = Promise.resolve();
  // An async function: a knex query runs again at every then(), a Promise only once.
  const send = async (rows: Record<string, BulkValue>[]) =>
    await trx.raw(`insert into ${table} (${columns.join(", ")}) select ${columns.join(", ")} from json_populate_recordset(null::${table}, ?::json)`,
      [JSON.stringify(rows, (_k, v) => (typeof v === "bigint" ? v.toString() : v))]);
  const push = async () => {
    await inflight;
    inflight = send(page);
    inflight.catch(() => {}); // awaited before the next page or at the end
    page = [];
  };
  return {
    add(row) {
      const o: Record<string, BulkValue> = {};
      for (let i = 0; i < columns.length; i++) o[columns[i]!] = row[i]!;
      page.push(o);
      if (page.length >= JSON_PAGE) return push();
    },
    async end() {
      if (page.length > 0) await push();
      await inflight;
    },
    async abort() {
      page = [];
      await inflight.catch(() => {});
    },
  };
}

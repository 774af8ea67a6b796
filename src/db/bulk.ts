import { Socket } from "node:net";
import type { Knex } from "knex";
import { from as copyFrom } from "pg-copy-streams";

// Many rows into one table inside a transaction, queued behind the
// connection's statements: on PostgreSQL one `COPY … FROM STDIN` (~1 µs a row
// in the server), its text formatted at once and handed over whole, so that
// the caller may go on while the statements before it run (the caller decides
// whether to wait for it); on PGlite,
// whose node-postgres adapter has no COPY FROM STDIN, multi-row INSERTs of
// json_populate_recordset, one after the other. Either way the rows arrive in
// the order given, and every trigger and constraint of the table applies as to
// any INSERT. The caller bounds the rows (a page, a chunk): they are held in
// memory until sent.

export type BulkValue = string | number | bigint | boolean | null;

export interface QueuedRows {
  /** Resolves once the rows are queued on the connection, behind every statement queued before. */
  queued: Promise<void>;
  /** Resolves when the table has every row; rejects with the statement's error. */
  done: Promise<void>;
}

/** Whether this connection is a real PostgreSQL wire connection (COPY FROM STDIN works on it). */
export async function canCopy(trx: Knex.Transaction): Promise<boolean> {
  const conn = (await (trx.client as unknown as { acquireConnection(): Promise<unknown> }).acquireConnection()) as {
    connection?: { stream?: unknown };
  };
  return conn.connection?.stream instanceof Socket;
}

const JSON_PAGE = 2_000;

export function queueRows(trx: Knex.Transaction, table: string, columns: string[], rows: BulkValue[][], copy: boolean): QueuedRows {
  if (!copy) {
    const done = insertJson(trx, table, columns, rows);
    return { queued: done, done };
  }
  let text = "";
  for (const row of rows) {
    let line = copyText(row[0]!);
    for (let i = 1; i < row.length; i++) line += "\t" + copyText(row[i]!);
    text += line + "\n";
  }
  return onConnection(trx, (conn) => {
    const stream = conn.query(copyFrom(`copy ${table} (${columns.join(", ")}) from stdin`)) as ReturnType<typeof copyFrom>;
    const finished = new Promise<void>((resolve, reject) => {
      stream.on("finish", resolve);
      stream.on("error", reject);
    });
    // Held by the stream until PostgreSQL starts this COPY, then sent as one message.
    if (text !== "") stream.write(text);
    stream.end();
    return finished;
  });
}

/**
 * Statements sent as one simple query, queued like queueRows' COPY (on PostgreSQL; on PGlite run one
 * by one, and queued once done), so that what is queued after them runs after them.
 */
export function queueStatements(trx: Knex.Transaction, statements: string[], copy: boolean): QueuedRows {
  if (!copy) {
    const done = (async () => {
      for (const sql of statements) await trx.raw(sql);
    })();
    return { queued: done, done };
  }
  return onConnection(trx, (conn) => conn.query(statements.join(";\n")) as Promise<unknown>);
}

/** One query put on the transaction's connection: queued once send has handed it over, done when it settles. */
function onConnection(trx: Knex.Transaction, send: (conn: { query(q: unknown): unknown }) => Promise<unknown>): QueuedRows {
  let markQueued!: () => void;
  const queued = new Promise<void>((resolve) => (markQueued = resolve));
  const done = (async () => {
    const conn = await (trx.client as unknown as { acquireConnection(): Promise<{ query(q: unknown): unknown }> }).acquireConnection();
    const result = send(conn);
    markQueued();
    await result;
  })();
  done.catch(() => markQueued()); // a failure before queueing is the caller's to see through done
  return { queued, done };
}

// COPY text format: \N for NULL; backslash, tab, newline and carriage return escaped.
const special = /[\\\t\n\r]/;
function copyText(v: BulkValue): string {
  if (v === null) return "\\N";
  if (typeof v !== "string") return String(v);
  if (!special.test(v)) return v;
  return v.replace(/[\\\t\n\r]/g, (c) => (c === "\\" ? "\\\\" : c === "\t" ? "\\t" : c === "\n" ? "\\n" : "\\r"));
}

async function insertJson(trx: Knex.Transaction, table: string, columns: string[], rows: BulkValue[][]): Promise<void> {
  for (let i = 0; i < rows.length; i += JSON_PAGE) {
    const page = rows.slice(i, i + JSON_PAGE).map((row) => {
      const o: Record<string, BulkValue> = {};
      for (let c = 0; c < columns.length; c++) o[columns[c]!] = row[c]!;
      return o;
    });
    await trx.raw(`insert into ${table} (${columns.join(", ")}) select ${columns.join(", ")} from json_populate_recordset(null::${table}, ?::json)`,
      [JSON.stringify(page, (_k, v) => (typeof v === "bigint" ? v.toString() : v))]);
  }
}

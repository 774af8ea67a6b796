import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, existsSync } from "node:fs";
import { once } from "node:events";
import { createInterface } from "node:readline";
import { pipeline } from "node:stream/promises";
import { createGunzip, createGzip } from "node:zlib";
import type { Knex } from "knex";
import { migrations } from "../../knexfile.js";
import { asBaseline } from "./legacy.js";

// soquy's own backup: every table's rows as JSON text made by PostgreSQL itself (to_jsonb), read back
// by PostgreSQL itself (jsonb_populate_recordset), so no value passes through a JavaScript number and
// the file restores across PostgreSQL versions — pg_dump 15 cannot read the embedded default's
// PostgreSQL 18, and a ward that starts embedded must be able to move its books to a server.
//
// The file is gzip'd lines, each tagged: `H` the header (format, migrations, tables), then per table
// `T` (name, columns), `R` one row each, `E` (row count and SHA-256 of the row lines). A restore
// goes into an empty, migrated database of the same soquy version, in one transaction, with the
// triggers that refuse rewriting history held off (session_replication_role = replica: the rows are
// history, copied as they were); then every committee's ledger is verified before the command
// reports success. Sessions are not copied (a moved database signs everyone in again), nor import jobs
// and rate-limit counts.

export const BACKUP_FORMAT = "soquy-backup/1";
const PAGE_ROWS = 5_000;
// Sessions, import jobs and rate-limit counts are the running service's, not the books.
const SKIPPED = new Set(["knex_migrations", "knex_migrations_lock", "user_sessions", "bank_import_jobs", "rate_limit_hits"]);

export class BackupError extends Error {
  override name = "BackupError";
}

interface Header { format: string; createdAt: string; server: string; migrations: string[]; tables: string[] }

export interface BackupReport { file: string; tables: number; rows: number }

async function appliedMigrations(knex: Knex | Knex.Transaction): Promise<string[]> {
  const rows = await knex(migrations.tableName ?? "knex_migrations").select("name");
  return rows.map((m: { name: string }) => m.name).sort();
}

/** The tables soquy keeps, parents before children (foreign keys), each named once. */
async function tables(knex: Knex | Knex.Transaction): Promise<string[]> {
  const { rows } = await knex.raw(`select c.relname::text as name,
      coalesce(array_agg(distinct p.relname::text) filter (where p.relname is not null and p.relname <> c.relname), '{}'::text[]) as parents
    from pg_class c join pg_namespace n on n.oid = c.relnamespace
    left join pg_constraint k on k.conrelid = c.oid and k.contype = 'f'
    left join pg_class p on p.oid = k.confrelid
    where n.nspname = current_schema() and c.relkind in ('r', 'p') group by c.relname order by c.relname`);
  const parents = new Map<string, string[]>((rows as { name: string; parents: string[] }[]).map((r) => [r.name, r.parents]));
  const ordered: string[] = [];
  const visit = (name: string, path: Set<string>) => {
    if (ordered.includes(name) || path.has(name)) return;
    path.add(name);
    for (const p of parents.get(name) ?? []) visit(p, path);
    ordered.push(name);
  };
  for (const name of parents.keys()) visit(name, new Set());
  return ordered.filter((t) => !SKIPPED.has(t));
}

async function columns(knex: Knex | Knex.Transaction, table: string): Promise<string[]> {
  const { rows } = await knex.raw(`select attname from pg_attribute where attrelid = ?::regclass and attnum > 0 and not attisdropped order by attnum`, [table]);
  return rows.map((r: { attname: string }) => r.attname);
}

/** Writes every table's rows to a gzip'd file, a page at a time (bounded memory whatever the size). */
export async function backupTo(knex: Knex, file: string): Promise<BackupReport> {
  if (existsSync(file)) throw new BackupError(`${file} exists: a backup never overwrites a file`);
  const gzip = createGzip();
  const out = createWriteStream(file, { flags: "wx", mode: 0o600 });
  const written = pipeline(gzip, out);
  const write = async (line: string) => {
    if (!gzip.write(`${line}\n`)) await once(gzip, "drain");
  };
  let rows = 0;
  const names = await tables(knex);
  try {
    // One snapshot for every table: the backup is the database at one moment.
    await knex.transaction(async (trx) => {
      const server = String((await trx.raw("show server_version")).rows[0].server_version);
      const header: Header = { format: BACKUP_FORMAT, createdAt: new Date().toISOString(), server, migrations: await appliedMigrations(trx), tables: names };
      await write(`H\t${JSON.stringify(header)}`);
      for (const table of names) rows += await backupTable(trx, table, write);
    }, { isolationLevel: "repeatable read", readOnly: true });
  } finally {
    gzip.end();
    await written;
  }
  return { file, tables: names.length, rows };
}

async function backupTable(trx: Knex.Transaction, table: string, write: (line: string) => Promise<void>): Promise<number> {
  await write(`T\t${JSON.stringify({ table, columns: await columns(trx, table) })}`);
  const digest = createHash("sha256");
  let count = 0;
  // Pages by physical position (a TID range scan): every table, whatever its keys, in bounded memory.
  for (let after = "(0,0)"; ;) {
    const { rows } = await trx.raw(`select ctid::text as at, to_jsonb(t)::text as row from "${table}" t where ctid > ?::tid order by ctid limit ${PAGE_ROWS}`, [after]);
    for (const r of rows as { at: string; row: string }[]) {
      digest.update(r.row).update("\n");
      await write(`R\t${r.row}`);
    }
    count += rows.length;
    if (rows.length < PAGE_ROWS) break;
    after = rows[rows.length - 1].at;
  }
  await write(`E\t${JSON.stringify({ table, rows: count, sha256: digest.digest("hex") })}`);
  return count;
}

export interface RestoreReport { tables: number; rows: number; kept: string[] }

/** Loads a backup into an empty, migrated database of the same version, in one transaction. */
export async function restoreFrom(knex: Knex, file: string): Promise<RestoreReport> {
  if (!existsSync(file)) throw new BackupError(`${file} does not exist`);
  const raw = createReadStream(file);
  const gunzip = createGunzip();
  raw.on("error", (error) => gunzip.destroy(error));
  const lines = createInterface({ input: raw.pipe(gunzip), crlfDelay: Infinity });
  const it = lines[Symbol.asyncIterator]();
  const first = await it.next().catch((error: Error) => {
    throw new BackupError(`${file} is not a soquy backup (${error.message})`);
  });
  const header = parseHeader(first.done ? "" : first.value, file);
  return knex.transaction((trx) => restoreLines(trx, header, it, file)).catch((error: NodeJS.ErrnoException) => {
    if (error.code?.startsWith("Z_")) throw new BackupError(`${file} is damaged (${error.message}): nothing was restored`);
    throw error;
  });
}

async function restoreLines(trx: Knex.Transaction, header: Header, it: AsyncIterator<string>, file: string): Promise<RestoreReport> {
  await checkTarget(trx, header);
  await holdTriggersOff(trx);
  const report: RestoreReport = { tables: 0, rows: 0, kept: [] };
  let table: { name: string; batch: string[]; digest: ReturnType<typeof createHash>; rows: number; keep: boolean } | null = null;
  for (let next = await it.next(); !next.done; next = await it.next()) {
    const line = next.value;
    const tag = line.slice(0, 2);
    const body = line.slice(2);
    if (tag === "T\t") {
      const t = JSON.parse(body) as { table: string; columns: string[] };
      await checkColumns(trx, t.table, t.columns);
      table = { name: t.table, batch: [], digest: createHash("sha256"), rows: 0, keep: await hasRows(trx, t.table) };
    } else if (tag === "R\t" && table) {
      table.digest.update(body).update("\n");
      table.rows++;
      if (!table.keep) table.batch.push(body);
      if (table.batch.length >= 2_000) await insertRows(trx, table.name, table.batch.splice(0));
    } else if (tag === "E\t" && table) {
      const end = JSON.parse(body) as { table: string; rows: number; sha256: string };
      if (end.table !== table.name || end.rows !== table.rows || end.sha256 !== table.digest.digest("hex")) {
        throw new BackupError(`${file}: the rows of ${table.name} do not match their checksum (the file is damaged)`);
      }
      if (table.keep) {
        await sameRows(trx, table.name, end.sha256);
        report.kept.push(table.name);
      } else {
        await insertRows(trx, table.name, table.batch.splice(0));
        report.rows += table.rows;
      }
      report.tables++;
      table = null;
    } else {
      throw new BackupError(`${file}: unexpected line ${JSON.stringify(line.slice(0, 40))} (the file is damaged)`);
    }
  }
  if (report.tables !== header.tables.length) throw new BackupError(`${file} ends early: ${report.tables} of ${header.tables.length} tables (the file is cut)`);
  await resetSequences(trx);
  return report;
}

function parseHeader(line: string, file: string): Header {
  try {
    if (!line.startsWith("H\t")) throw new Error("no header");
    const h = JSON.parse(line.slice(2)) as Header;
    if (h.format !== BACKUP_FORMAT) throw new Error(`format ${h.format}`);
    return h;
  } catch (error) {
    throw new BackupError(`${file} is not a ${BACKUP_FORMAT} file (${error instanceof Error ? error.message : String(error)})`);
  }
}

async function checkTarget(trx: Knex.Transaction, header: Header): Promise<void> {
  // A database the old chain built and one the baseline built hold the same schema (src/db/legacy.ts).
  const here = asBaseline(await appliedMigrations(trx));
  if (here.join() !== asBaseline(header.migrations).join()) {
    throw new BackupError(`the backup was made by a soquy with ${header.migrations.length} migrations and this database has ${here.length}: ` +
      "restore with the soquy version that made the backup, then upgrade");
  }
  const names = await tables(trx);
  const missing = header.tables.filter((t) => !names.includes(t));
  if (missing.length > 0) throw new BackupError(`this database has no table ${missing.join(", ")}`);
  if (await hasRows(trx, "committees")) throw new BackupError("the database already holds committees: restore only into an empty database");
}

async function holdTriggersOff(trx: Knex.Transaction): Promise<void> {
  try {
    await trx.raw("set local session_replication_role = replica");
  } catch (error) {
    throw new BackupError(`restore must run as the database's owner with the right to set session_replication_role (a superuser on PostgreSQL 15): ${error instanceof Error ? error.message : String(error)}`);
  }
}

async function checkColumns(trx: Knex.Transaction, table: string, expected: string[]): Promise<void> {
  const here = await columns(trx, table);
  if (here.join() !== expected.join()) throw new BackupError(`${table} has columns (${here.join(", ")}) here and (${expected.join(", ")}) in the backup`);
}

async function hasRows(trx: Knex.Transaction, table: string): Promise<boolean> {
  return (await trx.raw(`select exists (select 1 from "${table}") as e`)).rows[0].e === true;
}

/** A table the migrations fill (reference data) must hold exactly the backup's rows. */
async function sameRows(trx: Knex.Transaction, table: string, sha256: string): Promise<void> {
  const { rows } = await trx.raw(`select to_jsonb(t)::text as row from "${table}" t order by ctid`);
  const digest = createHash("sha256");
  for (const r of rows as { row: string }[]) digest.update(r.row).update("\n");
  if (digest.digest("hex") !== sha256) throw new BackupError(`${table} already holds rows that differ from the backup's: restore only into an empty database`);
}

async function insertRows(trx: Knex.Transaction, table: string, rows: string[]): Promise<void> {
  if (rows.length === 0) return;
  await trx.raw(`insert into "${table}" overriding system value select * from jsonb_populate_recordset(null::"${table}", ?::jsonb)`, [`[${rows.join(",")}]`]);
}

/** Identity columns continue after the restored rows. */
async function resetSequences(trx: Knex.Transaction): Promise<void> {
  const { rows } = await trx.raw(`select c.relname as t, a.attname as col from pg_attribute a join pg_class c on c.oid = a.attrelid
    join pg_namespace n on n.oid = c.relnamespace where n.nspname = current_schema() and a.attidentity <> '' and c.relkind = 'r'`);
  for (const r of rows as { t: string; col: string }[]) {
    if (SKIPPED.has(r.t)) continue;
    await trx.raw(`select setval(pg_get_serial_sequence(?, ?), coalesce((select max("${r.col}") from "${r.t}"), 0) + 1, false)`, [r.t, r.col]);
  }
}

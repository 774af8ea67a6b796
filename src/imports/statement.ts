import crypto from "node:crypto";
import { readdirSync, statSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { Readable } from "node:stream";
import { CsvError, readCsv } from "./csv.js";
import { LedgerError, fail } from "../ledger/codes.js";
import { columnIndexes, parseStatementAmount, parseStatementDate, type ColumnMap, type Layout } from "./layouts.js";
import { donorFromMemo, isBankFee, normaliseMemo } from "./memo.js";
import { processAlive } from "../processes.js";

// Reading a bank statement: streamed record by record (bounded memory for a
// million lines), each line checked against its layout, given its identity,
// and its printed balance checked against the running balance. Any problem
// stops the read with the line number and the reason.

export const MAX_LINES = 5_000_000;
const MAX_MEMO = 2000;
const MAX_FIELD = 200;
const MAX_RECORD = 64 * 1024;

export type LineKind = "donation" | "fee" | "to_classify";

export interface StatementLine {
  /** The file line where the record starts (the header is line 1). */
  lineNo: number;
  date: string;
  time: string | null;
  /** Document and reference numbers as printed, joined by "/" when both are there ("" when neither). */
  docRef: string;
  memo: string;
  direction: "C" | "D";
  amountDong: bigint;
  balanceDong: bigint | null;
  counterparty: string | null;
  /** Ordinal among identical lines (same content) of the same day in this file, from 1. */
  ordinal: number;
  /** SHA-256 (hex) of the bank account and the line's content and ordinal. */
  key: string;
  kind: LineKind;
  /** For credits: the sender's name from the memo, or "không rõ". */
  donorName: string | null;
}

/** `problem` names the reason (with its values) for a reader in another language: see ErrorFacts. */
function malformed(lineNo: number, reason: string, problem: Record<string, string | number> & { problem: string }): never {
  fail("bank_file_malformed", `line ${lineNo}: ${reason}`, "file", { line: lineNo, ...problem });
}

/** The identity of a line without its ordinal: the bank account and what the bank printed. */
export function lineContent(bankAccount: string, l: Pick<StatementLine, "date" | "docRef" | "amountDong" | "direction" | "memo">): string {
  return `${bankAccount}\u0000${l.date}\u0000${l.docRef.trim()}\u0000${l.amountDong}\u0000${l.direction}\u0000${normaliseMemo(l.memo)}`;
}

// crypto.hash (Node ≥ 20.12) hashes a short string without a Hash object: ~1 µs less a line.
const sha256hex: (text: string) => string = typeof crypto.hash === "function"
  ? (text) => crypto.hash("sha256", text, "hex")
  : (text) => crypto.createHash("sha256").update(text, "utf8").digest("hex");

export function lineKey(content: string, ordinal: number): string {
  return sha256hex(`soquy-bank-line-v1\u0000${content}\u0000${ordinal}`);
}

/**
 * Ordinals among identical lines of one day. Statements list days in order, so only the
 * current day's lines are remembered (by anything that tells their contents apart: the
 * reader passes the line key of ordinal 1, 64 characters however long the memo); a day
 * that comes back after another is refused.
 */
export class OrdinalCounter {
  private day: string | null = null;
  private readonly seenDays = new Set<string>();
  private counts = new Map<string, number>();

  next(lineNo: number, date: string, content: string): number {
    if (date !== this.day) {
      if (this.seenDays.has(date)) malformed(lineNo, `the date ${date} comes back after ${this.day}: a statement lists its days in order`,
        { problem: "day_repeated", date, after: this.day ?? "" });
      if (this.day !== null && date < this.day) malformed(lineNo, `the date ${date} is before ${this.day}: a statement lists its days in order`,
        { problem: "days_out_of_order", date, after: this.day });
      if (this.day !== null) this.seenDays.add(this.day);
      this.day = date;
      this.counts = new Map();
    }
    const n = (this.counts.get(content) ?? 0) + 1;
    this.counts.set(content, n);
    return n;
  }
}

/** Every printed balance must be the opening balance plus the lines up to it. */
export class BalanceCheck {
  checks = 0;
  running: bigint;

  constructor(readonly openingDong: bigint) {
    this.running = openingDong;
  }

  apply(l: Pick<StatementLine, "lineNo" | "direction" | "amountDong" | "balanceDong">): void {
    this.running += l.direction === "C" ? l.amountDong : -l.amountDong;
    if (l.balanceDong === null) return;
    if (l.balanceDong !== this.running) {
      const diff = l.balanceDong - this.running;
      fail("balance_assertion_failed",
        `line ${l.lineNo}: the statement prints a balance of ${l.balanceDong} đồng but the opening balance ${this.openingDong} plus the lines up to it make ${this.running} (difference ${diff > 0n ? "+" : ""}${diff} đồng); nothing was imported`,
        "file", { line: l.lineNo, printed: l.balanceDong.toString(), computed: this.running.toString(), opening: this.openingDong.toString() });
    }
    this.checks++;
  }
}

export interface ReadOptions {
  bankAccount: string;
  layout: Layout;
  /** Asked once, with the first line's date, before any balance is checked. */
  opening(firstDate: string): Promise<bigint>;
  maxLines?: number;
}

export interface ReadSummary {
  lines: number;
  balanceChecks: number;
  openingDong: bigint | null;
  closingDong: bigint | null;
  firstDate: string | null;
  lastDate: string | null;
}

/** One record of the file as cells of text, with the line (CSV) or row (XLSX) where it starts. */
export interface RawRecord {
  lineNo: number;
  cells: string[];
}

export type FileFormat = "csv" | "xlsx";

/**
 * Reads a statement from a byte stream and yields its lines in order. The summary is filled as
 * it goes and complete once the generator is done.
 */
export async function* readStatement(input: AsyncIterable<Buffer | string> | Readable, o: ReadOptions, summary: ReadSummary,
  format: FileFormat = "csv"): AsyncGenerator<StatementLine> {
  for await (const lines of readStatementBatches(input, o, summary, format)) yield* lines;
}

/**
 * The same lines, in batches of those read from one piece of the input: a million lines
 * cost a million promise turns less than one at a time.
 */
export async function* readStatementBatches(input: AsyncIterable<Buffer | string> | Readable, o: ReadOptions, summary: ReadSummary,
  format: FileFormat = "csv"): AsyncGenerator<StatementLine[]> {
  const batches = format === "xlsx" ? xlsxRecords(input, o.layout) : csvRecords(input, o.layout);
  const ordinals = new OrdinalCounter();
  let balance: BalanceCheck | null = null;
  let columns: Record<keyof ColumnMap, number> | null = null;
  let width = 0;
  const max = o.maxLines ?? MAX_LINES;
  for await (const records of batches) {
    const out: StatementLine[] = [];
    for (const rec of records) {
      if (columns === null) {
        columns = columnIndexes(o.layout, rec.cells);
        width = rec.cells.length;
        continue;
      }
      if (summary.lines >= max) malformed(rec.lineNo, `a statement has at most ${max} lines`, { problem: "too_many_lines", max });
      if (format === "xlsx" && rec.cells.slice(width).some((c) => c.trim() !== "")) {
        malformed(rec.lineNo, `row has cells beyond the ${width} columns of the header`, { problem: "cells_beyond_header", width });
      }
      const line = toLine(rec.cells, columns, o.layout, rec.lineNo, o.bankAccount, ordinals);
      if (balance === null) {
        summary.firstDate = line.date;
        balance = new BalanceCheck(await o.opening(line.date));
        summary.openingDong = balance.openingDong;
      }
      balance.apply(line);
      summary.lines++;
      summary.balanceChecks = balance.checks;
      summary.closingDong = balance.running;
      summary.lastDate = line.date;
      out.push(line);
    }
    if (out.length > 0) yield out;
  }
  if (columns === null) malformed(1, "the file is empty: no header row", { problem: "empty" });
}

/** CSV records, streamed (./csv.ts), each with the line it starts on. */
export async function* csvRecords(input: AsyncIterable<Buffer | string> | Readable, layout: Layout): AsyncGenerator<RawRecord[]> {
  try {
    yield* readCsv(input, { maxRecord: MAX_RECORD });
  } catch (error) {
    if (error instanceof CsvError) malformed(error.line, `not CSV of the ${layout.name} layout (${error.reason})`, { problem: "not_csv", layout: layout.name });
    throw error;
  }
}

/**
 * The first worksheet of an .xlsx file, streamed row by row (exceljs), each row's cells as the
 * text a CSV export would carry: numbers as digits, dates in the layout's date format.
 */
export async function* xlsxRecords(input: AsyncIterable<Buffer | string> | Readable, layout: Layout): AsyncGenerator<RawRecord[]> {
  const { default: ExcelJS } = await import("exceljs");
  const stream = input instanceof Readable ? input : Readable.from(input);
  const reader = new ExcelJS.stream.xlsx.WorkbookReader(stream, { worksheets: "emit", sharedStrings: "cache", styles: "cache", hyperlinks: "ignore", entries: "emit" });
  const sheets = reader[Symbol.asyncIterator]();
  try {
    const first = await sheets.next(); // the statement is the first worksheet
    if (first.done) return;
    for await (const row of first.value as AsyncIterable<{ number: number; values: unknown }>) {
      const values = Array.isArray(row.values) ? (row.values as unknown[]).slice(1) : [];
      const cells = Array.from({ length: values.length }, (_, i) => cellText(values[i], layout));
      if (cells.every((c) => c.trim() === "")) continue;
      yield [{ lineNo: row.number, cells }];
    }
  } catch (error) {
    if (error instanceof LedgerError) throw error;
    malformed(1, `not an .xlsx workbook (${error instanceof Error ? error.message.slice(0, 200) : String(error)})`, { problem: "not_xlsx" });
  } finally {
    await drainSheets(sheets);
  }
}

/**
 * Removes what a crashed import left in the temporary folder — uploaded statements
 * (`soquy-upload-<pid>-<16 hex>`, bank lines with names and accounts in them) and exceljs's worksheet
 * copies (`tmp-<pid>-<12 characters>`): only those of a process that is gone, at least an hour old.
 */
export function sweepStaleImportTemp(dir = tmpdir(), now = Date.now()): string[] {
  const removed: string[] = [];
  for (const name of readdirSync(dir)) {
    const m = /^(?:tmp-(\d+)-[A-Za-z0-9]{12}|soquy-upload-(\d+)-[0-9a-f]{16})$/.exec(name);
    if (!m || processAlive(Number(m[1] ?? m[2]))) continue;
    const file = path.join(dir, name);
    try {
      const st = statSync(file);
      if (!st.isFile() || now - st.mtimeMs < 3_600_000) continue;
      unlinkSync(file);
      removed.push(file);
    } catch {
      // gone already, or not ours to remove
    }
  }
  return removed;
}

/**
 * Runs exceljs's reader to its end without reading the other worksheets' rows: a worksheet that came
 * before the shared strings was copied to a temporary file, which exceljs removes only when its reader
 * moves past it. Stopping after the first worksheet, or at a refused line, left those files behind.
 */
async function drainSheets(sheets: AsyncIterator<unknown>): Promise<void> {
  try {
    while (!(await sheets.next()).done) { /* each step removes the temporary file of the sheet before it */ }
  } catch {
    // a broken workbook: its error was reported above
  }
}

function cellText(v: unknown, layout: Layout): string {
  if (v === null || v === undefined) return "";
  if (typeof v === "string") return v;
  if (typeof v === "number") return Number.isInteger(v) ? String(v) : String(v).replace(".", layout.thousands === "." ? "," : ".");
  if (typeof v === "boolean") return String(v);
  if (v instanceof Date) {
    const [y, m, d] = [v.getUTCFullYear(), String(v.getUTCMonth() + 1).padStart(2, "0"), String(v.getUTCDate()).padStart(2, "0")];
    return layout.dateFormat === "yyyy-mm-dd" ? `${y}-${m}-${d}` : layout.dateFormat === "mm/dd/yyyy" ? `${m}/${d}/${y}`
      : layout.dateFormat === "dd-mm-yyyy" ? `${d}-${m}-${y}` : `${d}/${m}/${y}`;
  }
  const o = v as { richText?: { text: string }[]; text?: string; result?: unknown };
  if (o.richText) return o.richText.map((t) => t.text).join("");
  if (o.result !== undefined) return cellText(o.result, layout);
  if (typeof o.text === "string") return o.text;
  return String(v);
}

function cellOf(r: string[], i: number): string {
  return i < 0 ? "" : (r[i] ?? "").trim();
}

function amountOf(text: string, column: string | undefined, layout: Layout, lineNo: number): bigint | null {
  if (text === "") return null;
  const v = parseStatementAmount(text, layout.thousands);
  if (v === null) {
    malformed(lineNo, `"${text.slice(0, 40)}" in column ${column} is not an amount in whole đồng written like ${layout.thousands === "." ? "1.000.000" : "1,000,000"}`,
      { problem: "bad_amount", text: text.slice(0, 40), column: column ?? "", example: layout.thousands === "." ? "1.000.000" : "1,000,000" });
  }
  return v;
}

function toLine(r: string[], c: Record<keyof ColumnMap, number>, layout: Layout, lineNo: number, bankAccount: string,
  ordinals: OrdinalCounter): StatementLine {
  const dateText = cellOf(r, c.date);
  const date = parseStatementDate(dateText, layout.dateFormat);
  if (!date) {
    malformed(lineNo, `"${dateText.slice(0, 40)}" is not a date as ${layout.dateFormat} (column ${layout.columns.date})`,
      { problem: "bad_date", text: dateText.slice(0, 40), format: layout.dateFormat, column: layout.columns.date });
  }
  const debit = amountOf(cellOf(r, c.debit), layout.columns.debit, layout, lineNo);
  const credit = amountOf(cellOf(r, c.credit), layout.columns.credit, layout, lineNo);
  if ((debit === null || debit === 0n) === (credit === null || credit === 0n)) {
    malformed(lineNo, debit === null && credit === null
      ? `neither ${layout.columns.debit} nor ${layout.columns.credit} has an amount`
      : `both ${layout.columns.debit} and ${layout.columns.credit} have an amount`,
    { problem: debit === null && credit === null ? "no_amount" : "two_amounts", debit: layout.columns.debit ?? "", credit: layout.columns.credit ?? "" });
  }
  const direction = credit !== null && credit !== 0n ? "C" : "D";
  const amountDong = (direction === "C" ? credit : debit)!;
  const memo = (r[c.memo] ?? "").trim();
  if (memo.length > MAX_MEMO) malformed(lineNo, `the memo is longer than ${MAX_MEMO} characters`, { problem: "memo_too_long", max: MAX_MEMO });
  const doc = cellOf(r, c.doc), ref = cellOf(r, c.ref);
  const time = cellOf(r, c.time) || null;
  if (doc.length > MAX_FIELD) malformed(lineNo, `the document number is longer than ${MAX_FIELD} characters`, { problem: "doc_too_long", max: MAX_FIELD });
  if (ref.length > MAX_FIELD) malformed(lineNo, `the reference number is longer than ${MAX_FIELD} characters`, { problem: "ref_too_long", max: MAX_FIELD });
  if (time !== null && time.length > MAX_FIELD) malformed(lineNo, `the time is longer than ${MAX_FIELD} characters`, { problem: "time_too_long", max: MAX_FIELD });
  if (time !== null && !/^\d{1,2}:\d{2}(:\d{2})?$/.test(time)) {
    malformed(lineNo, `"${time.slice(0, 20)}" is not a time of day as hh:mm:ss`, { problem: "bad_time", text: time.slice(0, 20) });
  }
  const docRef = doc === "" ? ref : ref === "" ? doc : `${doc}/${ref}`;
  const counterparty = cellOf(r, c.counterparty) || null;
  const content = lineContent(bankAccount, { date, docRef, amountDong, direction, memo });
  // Most lines are the first of their content that day: their key is also what the counter remembers.
  const firstKey = lineKey(content, 1);
  const ordinal = ordinals.next(lineNo, date, firstKey);
  const kind: LineKind = direction === "C" ? "donation" : isBankFee(memo) ? "fee" : "to_classify";
  return {
    lineNo, date, docRef, amountDong, direction, memo, time, balanceDong: amountOf(cellOf(r, c.balance), layout.columns.balance, layout, lineNo),
    counterparty, ordinal, key: ordinal === 1 ? firstKey : lineKey(content, ordinal), kind,
    donorName: direction === "C" ? donorFromMemo(memo, counterparty) : null,
  };
}

import { z } from "zod";
import { fail } from "../ledger/codes.js";

// The statement layouts soquy reads. The three built-in ones are the shapes
// of the bank statements that relief funds published in September 2024
// (Vietcombank, Agribank, VietinBank); a generic layout maps any other
// bank's columns and its number and date formats, and is saved per bank account.

export const dateFormats = ["dd/mm/yyyy", "yyyy-mm-dd", "mm/dd/yyyy", "dd-mm-yyyy"] as const;
export type DateFormat = (typeof dateFormats)[number];

export interface ColumnMap {
  date: string;
  time?: string | undefined;
  /** Số chứng từ. */
  doc?: string | undefined;
  /** Reference number (số tham chiếu). */
  ref?: string | undefined;
  memo: string;
  debit: string;
  credit: string;
  balance?: string | undefined;
  counterparty?: string | undefined;
}

export interface Layout {
  name: string;
  /** Built-in layouts expect exactly this header row; a generic one only needs its mapped columns. */
  exactHeader: string[] | null;
  columns: ColumnMap;
  dateFormat: DateFormat;
  /** The thousands separator; the decimal mark is the other of "." and ",". */
  thousands: "." | ",";
}

const agribankHeader = [
  "PageId", "Date", "Time", "DocumentNumber", "ReferenceNumber", "TransactionDetails", "DebitAmount", "CreditAmount", "Balance", "OffsetAccount",
];
const agribankColumns: ColumnMap = {
  date: "Date", time: "Time", doc: "DocumentNumber", ref: "ReferenceNumber", memo: "TransactionDetails",
  debit: "DebitAmount", credit: "CreditAmount", balance: "Balance", counterparty: "OffsetAccount",
};

export const builtInLayouts: Record<"vcb" | "agribank" | "vietinbank", Layout> = {
  vcb: {
    name: "vcb",
    exactHeader: ["PageId", "TNXDate", "DocNo", "Debit", "Credit", "Balance", "TransactionDetails"],
    columns: { date: "TNXDate", doc: "DocNo", memo: "TransactionDetails", debit: "Debit", credit: "Credit", balance: "Balance" },
    dateFormat: "dd/mm/yyyy",
    thousands: ".",
  },
  agribank: { name: "agribank", exactHeader: agribankHeader, columns: agribankColumns, dateFormat: "dd/mm/yyyy", thousands: "," },
  vietinbank: { name: "vietinbank", exactHeader: agribankHeader, columns: agribankColumns, dateFormat: "dd/mm/yyyy", thousands: "," },
};

export const builtInLayoutNames = Object.keys(builtInLayouts) as (keyof typeof builtInLayouts)[];

const columnName = z.string().trim().min(1).max(100);
/** A generic layout as a treasurer describes it (saved on the bank account). */
export const genericLayoutSchema = z.strictObject({
  columns: z.strictObject({
    date: columnName, time: columnName.optional(), doc: columnName.optional(), ref: columnName.optional(), memo: columnName,
    debit: columnName, credit: columnName, balance: columnName.optional(), counterparty: columnName.optional(),
  }),
  dateFormat: z.enum(dateFormats),
  thousands: z.enum([".", ","]),
});
export type GenericLayout = z.infer<typeof genericLayoutSchema>;

export function genericLayout(name: string, g: GenericLayout): Layout {
  return { name, exactHeader: null, columns: g.columns, dateFormat: g.dateFormat, thousands: g.thousands };
}

export function isBuiltIn(name: string): name is keyof typeof builtInLayouts {
  return Object.hasOwn(builtInLayouts, name);
}

/** Where each mapped column sits in the header row; refuses a header that does not fit the layout. */
export function columnIndexes(layout: Layout, header: string[]): Record<keyof ColumnMap, number> {
  const clean = header.map((h) => h.trim());
  if (layout.exactHeader && clean.join(",") !== layout.exactHeader.join(",")) {
    fail("bank_file_malformed", `line 1: the header is "${clean.join(",").slice(0, 300)}" but the ${layout.name} layout expects "${layout.exactHeader.join(",")}"`, "file",
      { line: 1, problem: "header_mismatch", layout: layout.name });
  }
  const out = {} as Record<keyof ColumnMap, number>;
  for (const [key, name] of Object.entries(layout.columns) as [keyof ColumnMap, string | undefined][]) {
    if (name === undefined) {
      out[key] = -1;
      continue;
    }
    const i = clean.indexOf(name);
    if (i < 0) {
      fail("bank_file_malformed", `line 1: the header has no column "${name}" (the ${layout.name} layout's ${key})`, "file",
        { line: 1, problem: "header_missing_column", column: name, layout: layout.name });
    }
    out[key] = i;
  }
  return out;
}

/**
 * Whole đồng from a statement amount: "1.000.000" (thousands ".") or "50,000" (thousands ","),
 * plain digits, and a zero fraction (",00" / ".00") are accepted; anything else is null.
 */
export function parseStatementAmount(text: string, thousands: "." | ","): bigint | null {
  const m = amountPatterns[thousands].exec(text.trim());
  if (!m) return null;
  const digits = m[1]!.replace(/[.,]/g, "");
  if (digits.length > 16) return null;
  return BigInt(digits);
}

// Compiled once: a RegExp built per call cost ~2 µs, three amounts a line.
const amountPatterns = {
  ".": /^(\d{1,3}(?:\.\d{3})+|\d+)(?:,0{1,2})?$/,
  ",": /^(\d{1,3}(?:,\d{3})+|\d+)(?:\.0{1,2})?$/,
} as const;

/** ISO date from a statement date in the layout's format; null when it is not a real calendar date. */
export function parseStatementDate(text: string, format: DateFormat): string | null {
  const t = text.trim();
  let y: number, mo: number, d: number;
  let m: RegExpExecArray | null;
  if (format === "yyyy-mm-dd") {
    m = /^(\d{4})-(\d{1,2})-(\d{1,2})$/.exec(t);
    if (!m) return null;
    [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  } else {
    m = (format === "dd-mm-yyyy" ? /^(\d{1,2})-(\d{1,2})-(\d{4})$/ : /^(\d{1,2})\/(\d{1,2})\/(\d{4})$/).exec(t);
    if (!m) return null;
    if (format === "mm/dd/yyyy") [d, mo, y] = [Number(m[2]), Number(m[1]), Number(m[3])];
    else [d, mo, y] = [Number(m[1]), Number(m[2]), Number(m[3])];
  }
  if (y < 2000 || y > 2200 || mo < 1 || mo > 12 || d < 1 || d > daysInMonth(y, mo)) return null;
  return `${y}-${mo < 10 ? "0" : ""}${mo}-${d < 10 ? "0" : ""}${d}`;
}

function daysInMonth(y: number, mo: number): number {
  if (mo === 2) return (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0 ? 29 : 28;
  return mo === 4 || mo === 6 || mo === 9 || mo === 11 ? 30 : 31;
}

import { createHash } from "node:crypto";
import { fail } from "./codes.js";
import { parseIsoDate } from "./dates.js";
import { foldWords, maskText } from "./mask.js";
import { MAX_AMOUNT_DONG } from "./money.js";

// The public sao kê's text and its search, without a database: what a bank line shows publicly
// (its memo and reference through the one masking function), the words it is found by, and a
// search as a visitor types it, checked and explained in the visitor's language.
//
// Words are folded (case, diacritics and đ, as maskText folds names: `nguyen van a` finds
// `NGUYEN VAN A` and `Nguyễn Văn A`), from the masked memo only, so that a search never tells
// whether a masked phone or account number is there. A line's words are each folded word at its
// position and each pair of adjacent words ("nguyen_van" at the position of "nguyen"): a name of
// three words is then found by two rare pairs in a row, not by intersecting the lists of lines
// holding "nguyen", "van" and "an" (a sixth, a third and a thirtieth of a relief statement).

export type Lang = "vi" | "en";

/**
 * At most this many matching lines are read for a search (their keys and amounts, to total them and to
 * put them in the bank's order): each may sit on a page of its own, so this bounds a search's work. A
 * vaguer search by words is refused; one by amounts alone shows its first lines in the bank's order
 * (an index gives that order) without totals.
 */
export const TOTALS_CAP = 1_000;
export const MAX_PAGE = 100;
export const DEFAULT_PAGE = 50;
/** A date range longer than this is refused: a search is for finding lines, the downloads are for taking them all. */
export const MAX_RANGE_DAYS = 366;
const MAX_QUERY = 100;
const MAX_QUERY_WORDS = 10;
const MAX_WORD = 64;
const PAIR = "_";

/** A bank's reference as the public sees it: as printed, unless it has the shape of a phone number or an e-mail address. */
export function publicReference(ref: string): string {
  const t = ref.trim();
  if (t === "") return "";
  const digits = t.replace(/[\s.\-/]/g, "");
  if (t.includes("@") || /\s/.test(t) || t.length > 64 || /^(?:\+?84|0)\d{9,10}$/.test(digits)) return maskText(t);
  return t;
}

/** A bank memo as the public sees it: phones, e-mail addresses and account numbers masked; names as the bank printed them. */
export function publicMemo(memo: string): string {
  return maskText(memo);
}

/** The folded words of a public text, each short enough to be a word someone types. */
function wordsOf(text: string): string[] {
  return foldWords(text).split(" ").filter((w) => w !== "" && w !== "@" && w.length <= MAX_WORD);
}

const lexeme = (w: string) => `'${w.replace(/\\/g, "\\\\").replace(/'/g, "''")}'`;

/**
 * A published line's words as a tsvector literal: every folded word and every pair of adjacent words
 * of the public memo, then of the public reference, with their positions (the reference's start after
 * a gap, so no phrase runs from the memo into it).
 */
export function lineWords(memo: string, reference: string): string {
  const positions = new Map<string, number[]>();
  const add = (w: string, at: number) => {
    const list = positions.get(w);
    if (list) list.push(at);
    else positions.set(w, [at]);
  };
  let at = 1;
  for (const part of [wordsOf(memo), wordsOf(reference)]) {
    part.forEach((w, i) => {
      add(w, at + i);
      if (i + 1 < part.length) add(`${w}${PAIR}${part[i + 1]}`, at + i);
    });
    at += part.length + 2;
  }
  // PostgreSQL keeps positions up to 16383 (and 256 a lexeme): a 2,000-character memo stays far below.
  return [...positions].map(([w, p]) => `${lexeme(w)}:${p.map((x) => Math.min(x, 16383)).join(",")}`).join(" ");
}

/** The words a search matches, in order, as a tsquery literal: one word, or the pairs of a phrase in a row. */
export function queryWords(words: string[]): string {
  if (words.length === 1) return lexeme(words[0]!);
  const pairs: string[] = [];
  for (let i = 0; i + 1 < words.length; i++) pairs.push(lexeme(`${words[i]}${PAIR}${words[i + 1]}`));
  return pairs.join(" <-> ");
}

// ---- a search as typed ---------------------------------------------------------------------

/** The search parameters as they come (query strings), each optional. */
export interface SearchInput {
  q?: string | undefined;
  amount?: string | undefined;
  min?: string | undefined;
  max?: string | undefined;
  from?: string | undefined;
  to?: string | undefined;
  after?: string | undefined;
  limit?: string | undefined;
}

export interface Cursor {
  date: string;
  importId: number;
  lineNo: number;
}

export interface Search {
  /** The words of q, folded, in order (empty when q is an amount or absent). */
  words: string[];
  /** The tsquery literal of the words, or null. */
  tsquery: string | null;
  amountDong: bigint | null;
  minDong: bigint | null;
  maxDong: bigint | null;
  from: string | null;
  to: string | null;
  after: Cursor | null;
  limit: number;
  /** What identifies the search (not its page): a cursor carries it, so one from another search is refused. */
  key: string;
}

const M = {
  vi: {
    empty: "Hãy nhập một từ trong nội dung chuyển khoản (ví dụ tên người gửi), một mã giao dịch, một số tiền hoặc một khoảng ngày.",
    short: "Từ khóa cần ít nhất 2 chữ cái hoặc chữ số.",
    long: `Từ khóa dài quá ${MAX_QUERY} ký tự: hãy nhập vài từ của tên hoặc nội dung.`,
    many: `Từ khóa có nhiều hơn ${MAX_QUERY_WORDS} từ: hãy nhập vài từ liền nhau của tên hoặc nội dung.`,
    noWord: "Từ khóa không có chữ cái hay chữ số nào để tìm.",
    amount: (f: string) => `${f}: số tiền là số nguyên đồng, viết như 500.000 hoặc 500000.`,
    both: "Hãy tìm theo một số tiền, hoặc theo khoảng số tiền (từ … đến …), không cả hai.",
    minMax: "Số tiền “từ” lớn hơn số tiền “đến”.",
    date: (f: string) => `${f}: ngày viết theo dạng YYYY-MM-DD, ví dụ 2024-09-12.`,
    range: "Ngày bắt đầu sau ngày kết thúc.",
    tooLong: `Khoảng ngày dài quá ${MAX_RANGE_DAYS} ngày: hãy chọn khoảng ngắn hơn, hoặc tải cả sao kê (CSV).`,
    limit: `Số dòng mỗi trang từ 1 đến ${MAX_PAGE}.`,
    cursor: "Trang tiếp theo này thuộc về một lần tìm khác: hãy tìm lại từ đầu.",
    badCursor: "Mã trang tiếp theo không hợp lệ: hãy tìm lại từ đầu.",
    vagueWords: `Có hơn ${TOTALS_CAP.toLocaleString("vi-VN")} dòng chứa các từ này: hãy nhập thêm từ (ví dụ cả họ và tên), hoặc thêm số tiền hay ngày để thu hẹp.`,
    vague: `Có hơn ${TOTALS_CAP.toLocaleString("vi-VN")} dòng khớp: đây là các dòng đầu tiên theo thứ tự ngân hàng; tổng số dòng và tổng tiền chỉ tính khi không quá ${TOTALS_CAP.toLocaleString("vi-VN")} dòng. Hãy thêm từ khóa, số tiền hoặc ngày để thu hẹp.`,
  },
  en: {
    empty: "Type a word of the transfer's memo (a sender's name, for instance), a reference, an amount, or a date range.",
    short: "The search needs at least 2 letters or digits.",
    long: `The search is longer than ${MAX_QUERY} characters: type a few words of the name or the memo.`,
    many: `The search has more than ${MAX_QUERY_WORDS} words: type a few adjacent words of the name or the memo.`,
    noWord: "The search has no letters or digits to look for.",
    amount: (f: string) => `${f}: an amount is whole đồng, written 500.000 or 500000.`,
    both: "Search by one amount or by a range of amounts (min … max), not both.",
    minMax: "The minimum amount is larger than the maximum.",
    date: (f: string) => `${f}: a date is written YYYY-MM-DD, e.g. 2024-09-12.`,
    range: "The start date is after the end date.",
    tooLong: `The date range is longer than ${MAX_RANGE_DAYS} days: choose a shorter one, or download the whole statement (CSV).`,
    limit: `Lines per page: 1 to ${MAX_PAGE}.`,
    cursor: "This next-page link belongs to another search: search again from the start.",
    badCursor: "This next-page link is not valid: search again from the start.",
    vagueWords: `More than ${TOTALS_CAP.toLocaleString("en-US")} lines hold these words: type more of them (the whole name, say), or add an amount or dates to narrow the search.`,
    vague: `More than ${TOTALS_CAP.toLocaleString("en-US")} lines match: these are the first in the bank's order; the count and the sums are given for ${TOTALS_CAP.toLocaleString("en-US")} lines or fewer. Add words, an amount or dates to narrow the search.`,
  },
} as const;

export function saokeMessages(lang: Lang) {
  return M[lang];
}

// "500.000", "1.000.000 đ", "500000", "500.000 VND": whole đồng the Vietnamese way.
const DOTTED = /^([1-9]\d{0,2}(?:\.\d{3})+)(?:\s*(?:đ|₫|d|vnđ|vnd|đồng|dong))?$/i;
const PLAIN = /^(\d{1,16})(?:\s*(?:đ|₫|d|vnđ|vnd|đồng|dong))?$/i;
const SUFFIXED = /^(\d{1,16})\s*(?:đ|₫|vnđ|vnd|đồng|dong)$/i;

/** Whole đồng from "500.000", "500000" or "500.000 đ"; null when it is not an amount. */
export function parseVietnameseAmount(text: string): bigint | null {
  const t = text.trim().normalize("NFC");
  const m = DOTTED.exec(t) ?? PLAIN.exec(t);
  if (!m) return null;
  const v = BigInt(m[1]!.replace(/\./g, ""));
  return v > 0n && v <= MAX_AMOUNT_DONG ? v : null;
}

/** q is an amount when written with thousands dots ("500.000") or a currency ("500000đ"), not as bare digits (a reference). */
function amountInQuery(q: string): bigint | null {
  const t = q.trim().normalize("NFC");
  return DOTTED.test(t) || SUFFIXED.test(t) ? parseVietnameseAmount(t) : null;
}

function amountParam(value: string | undefined, field: string, lang: Lang): bigint | null {
  if (value === undefined || value.trim() === "") return null;
  const v = parseVietnameseAmount(value);
  if (v === null) fail("validation_failed", M[lang].amount(field), field);
  return v;
}

function dateParam(value: string | undefined, field: string, lang: Lang): string | null {
  if (value === undefined || value.trim() === "") return null;
  try {
    return parseIsoDate(value.trim(), field);
  } catch {
    fail("validation_failed", M[lang].date(field), field);
  }
}

const daysBetween = (from: string, to: string) => (Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / 86_400_000;

/** A search as a visitor typed it, checked: each refusal names its field and says why in the visitor's language. */
export function parseSearch(input: SearchInput, lang: Lang): Search {
  const m = M[lang];
  const q = (input.q ?? "").normalize("NFC").replace(/\s+/g, " ").trim();
  let words: string[] = [];
  let qAmount: bigint | null = null;
  if (q !== "") {
    if ([...q].length > MAX_QUERY) fail("validation_failed", m.long, "q");
    if ([...q].length < 2) fail("validation_failed", m.short, "q");
    qAmount = amountInQuery(q);
    if (qAmount === null) {
      words = wordsOf(q);
      if (words.length === 0) fail("validation_failed", m.noWord, "q");
      if (words.length > MAX_QUERY_WORDS) fail("validation_failed", m.many, "q");
      if (words.length === 1 && words[0]!.length < 2) fail("validation_failed", m.short, "q");
    }
  }
  const amountGiven = amountParam(input.amount, "amount", lang);
  if (qAmount !== null && amountGiven !== null && qAmount !== amountGiven) fail("validation_failed", m.both, "amount");
  const amountDong = qAmount ?? amountGiven;
  const minDong = amountParam(input.min, "min", lang);
  const maxDong = amountParam(input.max, "max", lang);
  if (amountDong !== null && (minDong !== null || maxDong !== null)) fail("validation_failed", m.both, minDong !== null ? "min" : "max");
  if (minDong !== null && maxDong !== null && minDong > maxDong) fail("validation_failed", m.minMax, "min");
  const from = dateParam(input.from, "from", lang);
  const to = dateParam(input.to, "to", lang);
  if (from !== null && to !== null) {
    if (from > to) fail("validation_failed", m.range, "from");
    if (daysBetween(from, to) >= MAX_RANGE_DAYS) fail("validation_failed", m.tooLong, "to");
  }
  if (words.length === 0 && amountDong === null && minDong === null && maxDong === null && from === null && to === null) {
    fail("validation_failed", m.empty, "q");
  }
  let limit = DEFAULT_PAGE;
  if (input.limit !== undefined && input.limit !== "") {
    limit = /^\d{1,3}$/.test(input.limit) ? Number(input.limit) : 0;
    if (limit < 1 || limit > MAX_PAGE) fail("validation_failed", m.limit, "limit");
  }
  const key = searchKey(words, amountDong, minDong, maxDong, from, to);
  const after = input.after === undefined || input.after === "" ? null : decodeCursor(input.after, key, lang);
  return { words, tsquery: words.length ? queryWords(words) : null, amountDong, minDong, maxDong, from, to, after, limit, key };
}

function searchKey(words: string[], amount: bigint | null, min: bigint | null, max: bigint | null, from: string | null, to: string | null): string {
  const text = JSON.stringify([words, amount?.toString() ?? null, min?.toString() ?? null, max?.toString() ?? null, from, to]);
  return createHash("sha256").update(text).digest("base64url").slice(0, 12);
}

/** The position after a page's last line, for this search only. */
export function encodeCursor(c: Cursor, key: string): string {
  return Buffer.from(`${c.date}.${c.importId}.${c.lineNo}.${key}`, "utf8").toString("base64url");
}

function decodeCursor(text: string, key: string, lang: Lang): Cursor {
  const raw = /^[A-Za-z0-9_-]{1,200}$/.test(text) ? Buffer.from(text, "base64url").toString("utf8") : "";
  const m = /^(\d{4}-\d{2}-\d{2})\.(\d{1,15})\.(\d{1,9})\.([A-Za-z0-9_-]{12})$/.exec(raw);
  if (!m) fail("validation_failed", M[lang].badCursor, "after");
  if (m[4] !== key) fail("validation_failed", M[lang].cursor, "after");
  try {
    parseIsoDate(m[1]!, "after");
  } catch {
    fail("validation_failed", M[lang].badCursor, "after");
  }
  return { date: m[1]!, importId: Number(m[2]), lineNo: Number(m[3]) };
}

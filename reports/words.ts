// Amounts in Vietnamese words ("số tiền bằng chữ") for phiếu thu / phiếu chi, receipts and
// reports. Pure functions, no imports: reports/ must not depend on src/.
//
// Reading rule (the one accounting software such as MISA prints on vouchers):
// - The number is read in groups of three digits: đơn vị, nghìn, triệu; everything from
//   10^9 up is read as a number of tỷ, so "tỷ" repeats: 10^12 = "một nghìn tỷ",
//   10^15 = "một triệu tỷ", 1.105.000.000.000 = "một nghìn một trăm linh năm tỷ".
// - A group that is 000 is skipped entirely ("một triệu đồng", not "... không nghìn ...";
//   1.000.001 = "một triệu không trăm linh một").
// - The leading group is read as short as possible (5 = "năm", 15 = "mười lăm"); every
//   other non-zero group is read with all three digits, so a hundreds digit of 0 is read
//   "không trăm" (1.005.000 = "một triệu không trăm linh năm nghìn").
// - Inside a group: tens 0 with a non-zero unit after a hundreds word = "linh" (or "lẻ") +
//   digit (105 = "một trăm linh năm", 104 = "một trăm linh bốn"); tens 1 = "mười"
//   (11 = "mười một", 14 = "mười bốn", 15 = "mười lăm"); tens 2..9 = digit + "mươi", with
//   unit 1 = "mốt", 4 = "tư" (setting, or "bốn"), 5 = "lăm" (21 = "hai mươi mốt",
//   24 = "hai mươi tư", 25 = "hai mươi lăm").
// - Zero is "không"; negative amounts are prefixed "âm". The first letter is capitalised
//   and the currency word (default "đồng") is appended.

export interface AmountInWordsOptions {
  /** Word for a zero tens digit before a non-zero unit: 105 = "một trăm linh năm" / "lẻ năm". */
  zeroTens?: "linh" | "lẻ";
  /** Word for 10^3: "nghìn" (standard, North) or "ngàn" (South). Also used in "nghìn tỷ". */
  thousand?: "nghìn" | "ngàn";
  /** Unit 4 after "mươi" (tens 2..9): 24 = "hai mươi tư" / "hai mươi bốn". 14 is always "mười bốn". */
  fourAfterTens?: "tư" | "bốn";
  /** Currency word appended at the end; "" for none. Default "đồng". */
  unit?: string;
}

// How a committee writes amounts in words is its setting, a domain fact the stores keep: src/ledger/wording.ts.
export { DEFAULT_WORD_VARIANTS, THOUSAND_WORDS, ZERO_TENS_WORDS, type WordVariants } from "../src/ledger/wording.js";

/** Largest amount that can be read: 10^18 - 1 (999.999.999 tỷ ...). */
export const MAX_AMOUNT_IN_WORDS = 10n ** 18n - 1n;

const DIGITS = ["không", "một", "hai", "ba", "bốn", "năm", "sáu", "bảy", "tám", "chín"] as const;

interface ResolvedOptions {
  zeroTens: "linh" | "lẻ";
  thousand: "nghìn" | "ngàn";
  fourAfterTens: "tư" | "bốn";
  unit: string;
}

function digit(d: number): string {
  const w = DIGITS[d];
  if (w === undefined) throw new RangeError(`not a digit: ${d}`);
  return w;
}

/**
 * Reads one group of three digits (0 < n < 1000).
 * full: a higher non-zero group exists, so the hundreds are always read ("không trăm").
 */
function readGroup(n: number, full: boolean, o: ResolvedOptions): string[] {
  const h = Math.floor(n / 100);
  const t = Math.floor(n / 10) % 10;
  const u = n % 10;
  const words: string[] = [];
  const hundredsRead = full || h > 0;
  if (hundredsRead) words.push(digit(h), "trăm");
  if (t === 0) {
    if (u !== 0) {
      if (hundredsRead) words.push(o.zeroTens);
      words.push(digit(u));
    }
  } else if (t === 1) {
    words.push("mười");
    if (u === 5) words.push("lăm");
    else if (u !== 0) words.push(digit(u));
  } else {
    words.push(digit(t), "mươi");
    if (u === 1) words.push("mốt");
    else if (u === 4) words.push(o.fourAfterTens);
    else if (u === 5) words.push("lăm");
    else if (u !== 0) words.push(digit(u));
  }
  return words;
}

/** Reads 0 < n < 10^9 as groups triệu / nghìn / đơn vị. hasHigher: a tỷ part precedes it. */
function readBelowBillion(n: number, hasHigher: boolean, o: ResolvedOptions): string[] {
  const groups: Array<[number, string | null]> = [
    [Math.floor(n / 1_000_000), "triệu"],
    [Math.floor(n / 1000) % 1000, o.thousand],
    [n % 1000, null],
  ];
  const words: string[] = [];
  let seen = hasHigher;
  for (const [g, name] of groups) {
    if (g === 0) continue; // empty groups are skipped
    words.push(...readGroup(g, seen, o));
    if (name !== null) words.push(name);
    seen = true;
  }
  return words;
}

/** Reads n > 0 (n < 10^18): the part ≥ 10^9 is itself a number of tỷ. */
function readPositive(n: bigint, hasHigher: boolean, o: ResolvedOptions): string[] {
  const billion = 1_000_000_000n;
  const high = n / billion;
  const low = Number(n % billion);
  const words: string[] = [];
  if (high > 0n) {
    words.push(...readPositive(high, hasHigher, o), "tỷ");
  }
  if (low > 0) {
    words.push(...readBelowBillion(low, hasHigher || high > 0n, o));
  }
  return words;
}

function capitalise(s: string): string {
  const first = s.codePointAt(0);
  if (first === undefined) return s;
  const ch = String.fromCodePoint(first);
  return ch.toLocaleUpperCase("vi") + s.slice(ch.length);
}

/**
 * The amount in Vietnamese words, e.g. 1_005_000n → "Một triệu không trăm linh năm nghìn đồng".
 * Throws RangeError if |amountDong| > 10^18 - 1.
 */
export function amountInWords(amountDong: bigint, options: AmountInWordsOptions = {}): string {
  if (typeof amountDong !== "bigint") {
    throw new TypeError("amountInWords expects a bigint amount of whole đồng");
  }
  const o: ResolvedOptions = {
    zeroTens: options.zeroTens ?? "linh",
    thousand: options.thousand ?? "nghìn",
    fourAfterTens: options.fourAfterTens ?? "tư",
    unit: options.unit ?? "đồng",
  };
  const negative = amountDong < 0n;
  const abs = negative ? -amountDong : amountDong;
  if (abs > MAX_AMOUNT_IN_WORDS) {
    throw new RangeError(`amount too large to read in words (max 10^18 - 1): ${amountDong}`);
  }
  const words = abs === 0n ? ["không"] : readPositive(abs, false, o);
  if (negative) words.unshift("âm");
  const unit = o.unit.trim();
  if (unit !== "") words.push(unit);
  return capitalise(words.join(" "));
}

/** Who a statement is for: the auditor's shows everything, the public's only what may be published. */
export type Audience = "auditor" | "public";
/** The statement's byte format: v1 before one masking function served every public output, v2 since. */
export type StatementFormat = "soquy-statement/1" | "soquy-statement/2";

// What the public may see (Nghị định 93/2021 disclosure without leaking
// personal data): donors by name only where they agreed, households by
// initials, areas only from the committee's own list, and no phone, bank
// account, ID number or e-mail address anywhere — free text included, since
// that is where the 2024 Yagi statements leaked them.
//
// maskText() is the one masking function: every public output (statements,
// totals, the public page, press sentences, self-check answers, public error
// messages) sends its free text through it. The statement format v1 functions
// at the end are kept byte for byte: statements signed before v2 keep them.

export const PUBLIC_DONOR = "Nhà hảo tâm";
/** What an area recorded before the committee's list existed shows as, unless it is in the list. */
export const OTHER_AREA = "Khác";
export const STATEMENT_V1 = "soquy-statement/1";
export const STATEMENT_V2 = "soquy-statement/2";

/** "Trần Thị Bé" → "T.T.B." */
export function initials(name: string): string {
  const letters = name.normalize("NFC").trim().split(/\s+/).filter(Boolean).map((w) => `${[...w][0]!.toLocaleUpperCase("vi")}.`);
  return letters.join("") || "?";
}

// ---- folding: case, diacritics and đ, one UTF-16 unit for one -------------------

/** Each UTF-16 unit below U+2000 folded to one unit: lower case, no diacritics, đ → d. */
const FOLD = (() => {
  const t = new Uint16Array(0x2000);
  for (let c = 0; c < t.length; c++) {
    const ch = String.fromCharCode(c);
    const base = ch.normalize("NFD")[0]!.toLowerCase();
    t[c] = base.length === 1 ? base.charCodeAt(0) : c;
  }
  for (const ch of "đĐ") t[ch.charCodeAt(0)] = 100; // d
  return t;
})();

const FOLD_BUFFER = new Uint16Array(4096);

/** The text folded unit by unit (same length, so positions carry over). The text is NFC. */
function foldUnits(text: string): string {
  if (text.length > FOLD_BUFFER.length) {
    let out = "";
    for (let i = 0; i < text.length; i += FOLD_BUFFER.length) out += foldUnits(text.slice(i, i + FOLD_BUFFER.length));
    return out;
  }
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    FOLD_BUFFER[i] = c < 0x2000 ? FOLD[c]! : c;
  }
  return String.fromCharCode.apply(null, FOLD_BUFFER.subarray(0, text.length) as unknown as number[]);
}

// Combining marks: a text without them is taken as NFC (Vietnamese is typed precomposed), sparing normalize().
const COMBINING = /[\u0300-\u036f\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]/;

function nfc(text: string): string {
  return COMBINING.test(text) ? text.normalize("NFC") : text;
}

/** A text as its folded words: "Khu  phố 1" and "khu pho 1" are the same. */
export function foldWords(text: string): string {
  return (foldUnits(nfc(text)).match(WORD) ?? []).join(" ");
}

/**
 * A name as its folded words, without the phone, account or ID numbers and e-mail addresses typed
 * into it: "  LÊ THỊ  Kín 0912 345 678" → "le thi kin". Short numbers stay ("Tổ 3" is not "Tổ").
 */
export function foldName(name: string): string {
  const bare = maskDigits(nfc(name).replace(EMAIL, " ")).replace(/\*+\d*/g, " ");
  return foldWords(bare);
}

// Words of folded text: Latin letters are ASCII by then; other scripts' letters count too, punctuation (U+2000–U+206F) does not.
const WORD = /[a-z0-9@\u00c0-\u1fff\u2070-\ud7ff\uf900-\ufdff\ufe70-\uffef]+/g;
const MAX_NAME_WORDS = 10;

/**
 * The names not agreed to be published (a committee's households, and donors
 * who did not agree), as folded words, each with what shows in its place.
 * Only names of two or more words: a household called "An" must not mask "an sinh".
 */
export class PrivateNames {
  private readonly replacements = new Map<string, string>();
  private readonly firstWords = new Set<string>();
  /** The first two or more words of every name that has more (to stop extending a match early). */
  private readonly prefixes = new Set<string>();
  private longest = 0;

  add(name: string, replacement: string): void {
    this.addKey(foldName(name), replacement);
  }

  /** A phrase matched with its digits too (an area such as "Tổ 9 cũ"). */
  addPhrase(phrase: string, replacement: string): void {
    this.addKey(foldWords(phrase), replacement);
  }

  private addKey(key: string, replacement: string): void {
    const words = key.split(" ");
    if (words.length < 2 || words.length > MAX_NAME_WORDS) return;
    if (replacement !== PUBLIC_DONOR || !this.replacements.has(key)) this.replacements.set(key, replacement);
    this.firstWords.add(words[0]!);
    for (let n = 2; n < words.length; n++) this.prefixes.add(words.slice(0, n).join(" "));
    this.longest = Math.max(this.longest, words.length);
  }

  get size(): number {
    return this.replacements.size;
  }

  /** The text with every listed name (whole words, any case, diacritics or spacing) replaced. The text is NFC. */
  mask(text: string): string {
    if (this.replacements.size === 0) return text;
    const folded = foldUnits(text);
    // The words' text and bounds, in arrays kept between calls (no object per word).
    const words = WORDS;
    const starts = STARTS;
    const ends = ENDS;
    let count = 0;
    let any = false;
    WORD.lastIndex = 0;
    for (let m = WORD.exec(folded); m; m = WORD.exec(folded)) {
      words[count] = m[0];
      starts[count] = m.index;
      ends[count] = m.index + m[0].length;
      if (!any && this.firstWords.has(m[0])) any = true;
      count++;
    }
    if (!any) return text;
    let out = "";
    let at = 0;
    for (let i = 0; i < count; i++) {
      if (!this.firstWords.has(words[i]!)) continue;
      // Extend word by word while the words so far begin some name; keep the longest that is one.
      let key = words[i]!;
      let found = -1;
      let by = "";
      for (let j = i + 1; j < count && j - i < this.longest; j++) {
        key += ` ${words[j]}`;
        const r = this.replacements.get(key);
        if (r !== undefined) {
          found = j;
          by = r;
        }
        if (!this.prefixes.has(key)) break;
      }
      if (found < 0) continue;
      out += text.slice(at, starts[i]) + by;
      at = ends[found]!;
      i = found;
    }
    return at === 0 ? text : out + text.slice(at);
  }
}

const WORDS: string[] = [];
const STARTS: number[] = [];
const ENDS: number[] = [];

// ---- numbers and e-mail addresses ------------------------------------------------

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
// Digits with what people put between groups: up to three spaces, or one of . / - (spaces around it).
const DIGIT_CHAIN = /\+?\d+(?:(?:[ \t\u00a0]{1,3}|[ \t]*[./\-–][ \t]*)\+?\d+)*/g;
// Shapes that stay readable: dates, ISO dates, school years, amounts with thousands separators.
const DATE = /^(\d{1,2})([./-])(\d{1,2})\2\d{4}$/;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const YEARS = /^(?:19|20)\d{2}[-–/](?:19|20)\d{2}$/;
const AMOUNT = /^[1-9]\d{0,2}([.,])\d{3}(?:\1\d{3})*$/;
// Voucher numbers (PT-2024-000123) are taken out before the digits are looked at.
const VOUCHER = /\b[A-Za-z]{2,4}-\d{4}-\d{3,8}\b/g;

function readable(piece: string, afterPlus: boolean): boolean {
  const p = piece.replace(/[ \t]/g, "");
  const d = DATE.exec(p);
  if (d) return Number(d[1]) >= 1 && Number(d[1]) <= 31 && Number(d[3]) >= 1 && Number(d[3]) <= 12;
  return ISO_DATE.test(p) || YEARS.test(p) || (!afterPlus && AMOUNT.test(p));
}

/** "0987 654 321" → "*******321": every run of 8 or more digits in any grouping, keeping the last 3. */
function maskDigitsIn(text: string): string {
  return text.replace(DIGIT_CHAIN, maskChain);
}

/**
 * A chain of digit groups: its pieces are what spaces alone separate; runs of pieces that are not
 * readable shapes (dates, amounts…) are masked when they hold 8 or more digits.
 */
function maskChain(chain: string): string {
  if (chain.length < 8 || countDigits(chain) < 8) return chain;
  const parts = chain.split(SPACE_GAP);
  let out = "";
  let run = "";
  let digits = 0;
  let afterPlus = false;
  for (let i = 0; i < parts.length; i += 2) {
    const piece = parts[i]!;
    const gap = parts[i + 1] ?? "";
    if (readable(piece, afterPlus)) {
      out += (digits >= 8 ? starred(run) : run) + piece + gap;
      run = "";
      digits = 0;
    } else {
      run += piece + gap;
      digits += countDigits(piece);
    }
    afterPlus = piece.startsWith("+") || (afterPlus && !readable(piece, true));
  }
  return out + (digits >= 8 ? starred(run) : run);
}

const SPACE_GAP = /([ \t\u00a0]{1,3})/;

function countDigits(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c >= 48 && c <= 57) n++;
  }
  return n;
}

/** A run's digits starred but the last 3, its trailing spaces kept. */
function starred(run: string): string {
  let end = run.length;
  while (end > 0 && (run[end - 1] === " " || run[end - 1] === "\t" || run[end - 1] === "\u00a0")) end--;
  const digits = run.slice(0, end).replace(/\D/g, "");
  return `${"*".repeat(digits.length - 3)}${digits.slice(-3)}${run.slice(end)}`;
}

function maskDigits(text: string): string {
  if (countDigits(text) < 8) return text;
  let out = "";
  let at = 0;
  VOUCHER.lastIndex = 0;
  for (let m = VOUCHER.exec(text); m; m = VOUCHER.exec(text)) {
    out += maskDigitsIn(text.slice(at, m.index)) + m[0];
    at = m.index + m[0].length;
  }
  return out + maskDigitsIn(text.slice(at));
}

/**
 * The one masking function for public text: e-mail addresses, phone numbers
 * (10–11 digits from 0 or +84), bank account and ID numbers (8 or more digits
 * in any grouping) and, given the committee's names not agreed to be
 * published, those names (whole words, folding case, diacritics and spacing).
 * Dates, voucher numbers and amounts with thousands separators stay readable.
 */
export function maskText(text: string, ...names: (PrivateNames | null | undefined)[]): string {
  let t = nfc(text);
  if (t.includes("@")) t = t.replace(EMAIL, "***@***");
  t = maskDigits(t);
  for (const n of names) if (n) t = n.mask(t);
  return t;
}

/** An area as the public sees it: from the committee's list, else "Khác"; masked either way. */
export function publicArea(area: string, listed: ReadonlySet<string>): string {
  return listed.has(area) ? maskText(area) : OTHER_AREA;
}

export interface Party {
  donorName: string | null;
  publishName: boolean | null;
  beneficiaryName: string | null;
  area: string | null;
}

/** How a statement of format v2 shows its lines to an audience. */
export class StatementMask {
  constructor(
    private readonly audience: Audience,
    private readonly names: PrivateNames,
    private readonly areas: ReadonlySet<string>,
    /** Areas recorded before the list that it does not hold, as they may be written in descriptions: shown as "Khác". */
    private readonly unlisted: PrivateNames = new PrivateNames(),
  ) {}

  counterparty(p: Party): string {
    if (p.donorName !== null) {
      if (this.audience === "auditor") return p.donorName;
      return p.publishName ? maskText(p.donorName, this.names) : PUBLIC_DONOR;
    }
    if (p.beneficiaryName !== null) {
      if (this.audience === "auditor") return p.area ? `${p.beneficiaryName} (${p.area})` : p.beneficiaryName;
      const who = maskText(initials(p.beneficiaryName));
      return p.area ? `${who} (${publicArea(p.area, this.areas)})` : who;
    }
    return "";
  }

  text(text: string): string {
    return this.audience === "auditor" ? text : maskText(text, this.names, this.unlisted);
  }

  area(area: string): string {
    return this.audience === "auditor" ? area : publicArea(area, this.areas);
  }
}

// ---- statement format v1, kept byte for byte --------------------------------------

// Eight or more digits, possibly broken by spaces, dots or dashes.
const longNumberV1 = /\+?\d(?:[ .-]?\d){7,}/g;

/** Format v1: keeps the last 3 digits: "0987 654 321" → "*******321". */
export function maskNumbersV1(text: string): string {
  return text.replace(longNumberV1, (m) => {
    const digits = m.replace(/\D/g, "");
    return "*".repeat(digits.length - 3) + digits.slice(-3);
  });
}

export function counterpartyV1(p: Party, audience: Audience): string {
  if (p.donorName !== null) {
    return audience === "auditor" || p.publishName ? p.donorName : PUBLIC_DONOR;
  }
  if (p.beneficiaryName !== null) {
    const who = audience === "auditor" ? p.beneficiaryName : initials(p.beneficiaryName);
    return p.area ? `${who} (${p.area})` : who;
  }
  return "";
}

export function describeV1(description: string, p: Party, audience: Audience): string {
  if (audience === "auditor") return description;
  let text = description;
  if (p.donorName && !p.publishName) text = replaceAllV1(text, p.donorName, PUBLIC_DONOR);
  if (p.beneficiaryName) text = replaceAllV1(text, p.beneficiaryName, initials(p.beneficiaryName));
  return maskNumbersV1(text);
}

function replaceAllV1(text: string, name: string, by: string): string {
  const n = name.trim();
  return n ? text.split(n).join(by) : text;
}

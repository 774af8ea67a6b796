import type { Audience, StatementFormat } from "./types.js";

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
export type { StatementFormat } from "./types.js";

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

/** The text folded unit by unit (same length, so positions carry over). The text is NFC. */
function foldUnits(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out += c < 0x2000 ? String.fromCharCode(FOLD[c]!) : text[i];
  }
  return out;
}

/** A text as its folded words: "Khu  phố 1" and "khu pho 1" are the same. */
export function foldWords(text: string): string {
  return (foldUnits(text.normalize("NFC")).match(WORD) ?? []).join(" ");
}

/** A name as its folded words, e.g. "  LÊ THỊ  Kín " → "le thi kin"; words holding digits or @ are left out. */
export function foldName(name: string): string {
  return (foldUnits(name.normalize("NFC")).match(WORD) ?? []).filter((w) => !/[\d@]/.test(w)).join(" ");
}

const WORD = /[\p{L}\p{M}\p{N}@]+/gu;
const MAX_NAME_WORDS = 10;

/**
 * The names not agreed to be published (a committee's households, and donors
 * who did not agree), as folded words, each with what shows in its place.
 * Only names of two or more words: a household called "An" must not mask "an sinh".
 */
export class PrivateNames {
  private readonly replacements = new Map<string, string>();
  private readonly firstWords = new Set<string>();
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
    this.longest = Math.max(this.longest, words.length);
  }

  get size(): number {
    return this.replacements.size;
  }

  /** The text with every listed name (whole words, any case, diacritics or spacing) replaced. The text is NFC. */
  mask(text: string): string {
    if (this.replacements.size === 0) return text;
    const folded = foldUnits(text);
    const words: { word: string; start: number; end: number }[] = [];
    WORD.lastIndex = 0;
    for (let m = WORD.exec(folded); m; m = WORD.exec(folded)) words.push({ word: m[0], start: m.index, end: m.index + m[0].length });
    let out = "";
    let at = 0;
    for (let i = 0; i < words.length; i++) {
      if (!this.firstWords.has(words[i]!.word)) continue;
      for (let n = Math.min(this.longest, words.length - i); n >= 2; n--) {
        let key = words[i]!.word;
        for (let j = 1; j < n; j++) key += ` ${words[i + j]!.word}`;
        const by = this.replacements.get(key);
        if (by === undefined) continue;
        out += text.slice(at, words[i]!.start) + by;
        at = words[i + n - 1]!.end;
        i += n - 1;
        break;
      }
    }
    return at === 0 ? text : out + text.slice(at);
  }
}

// ---- numbers and e-mail addresses ------------------------------------------------

const EMAIL = /[\p{L}\p{N}._%+-]+@[\p{L}\p{N}-]+(?:\.[\p{L}\p{N}-]+)+/gu;
// Digits with what people put between groups: up to three spaces, or one of . / - (spaces around it).
const DIGIT_CHAIN = /\+?\d+(?:(?:[ \t\u00a0]{1,3}|[ \t]*[./\-–][ \t]*)\+?\d+)*/g;
const SPACES_ONLY = /^[ \t\u00a0]+$/;
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
  return text.replace(DIGIT_CHAIN, (chain) => {
    // Pieces are what spaces alone separate; runs of pieces that are not readable shapes are masked when they hold 8+ digits.
    const parts = chain.split(/([ \t\u00a0]{1,3})/);
    let out = "";
    let run = "";
    let digits = 0;
    const flush = () => {
      out += digits >= 8 ? starred(run) : run;
      run = "";
      digits = 0;
    };
    let afterPlus = false;
    for (let i = 0; i < parts.length; i += 2) {
      const piece = parts[i]!;
      const gap = parts[i + 1] ?? "";
      if (readable(piece, afterPlus)) {
        flush();
        out += piece + gap;
      } else {
        run += piece + gap;
        digits += piece.replace(/\D/g, "").length;
      }
      afterPlus = piece.startsWith("+") || (afterPlus && !readable(piece, true));
    }
    flush();
    return out;
  });
}

function starred(run: string): string {
  const trailing = /[ \t\u00a0]*$/.exec(run)![0];
  const body = run.slice(0, run.length - trailing.length);
  const digits = body.replace(/\D/g, "");
  return `${"*".repeat(digits.length - 3)}${digits.slice(-3)}${trailing}`;
}

function maskDigits(text: string): string {
  if (!/\d{1,}[^]*\d/.test(text)) return text;
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
  let t = text.normalize("NFC");
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

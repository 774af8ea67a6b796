// What a transfer's memo (nội dung chuyển khoản) tells: the sender's name
// where the bank's memo shape carries it, and whether a debit is the bank's
// own fee. Names are kept as printed (banks strip diacritics); a memo whose
// shape gives no name yields "không rõ" (unknown), never a guess from the
// free text that follows the name.

import { UNKNOWN_DONOR } from "../ledger/donors.js";

export { UNKNOWN_DONOR };

/** One line, single spaces, NFC, upper case: the memo as the line identity sees it. */
export function normaliseMemo(memo: string): string {
  if (ascii.test(memo)) return (plainSpaced.test(memo) ? memo : memo.replace(/\s+/g, " ")).trim().toUpperCase();
  return memo.normalize("NFC").replace(/\s+/g, " ").trim().toUpperCase();
}

// ASCII text whose whitespace is single spaces already (\s in ASCII is space, \t, \n, \v, \f, \r).
const plainSpaced = /^(?:[^\s]| (?! ))*$/;

// Most memos are plain ASCII (banks strip diacritics): they need no Unicode normalisation.
const ascii = /^[\x00-\x7f]*$/;

/** Without diacritics (đ → d), for matching words whatever the keyboard. */
export function foldVietnamese(s: string): string {
  if (ascii.test(s)) return s;
  return s.normalize("NFD").replace(/\p{M}/gu, "").replace(/đ/g, "d").replace(/Đ/g, "D");
}

// Words that start the free text after a name: a name stops before them.
const memoStarts = [
  "UNG HO", "UH ", "CHUYEN TIEN", "CHUYEN KHOAN", "CK ", "QUYEN GOP", "CUU TRO", "CHUNG TAY", "GIA DINH", "TU THIEN", "GUI ", "MTTQ",
  "DONG BAO", "BAO LU", "HO TRO", "THAN GUI", "KINH GUI", "NOP ", "IBFT", "FT2", "TRA ", "THANH TOAN",
];
const nameWord = /^[A-Z]{1,7}$/;
// The same phrases as one sticky pattern: does the text at lastIndex start with any of them.
const memoStart = new RegExp(memoStarts.join("|"), "y");

/**
 * The leading run of name words of a memo tail: upper-case words of letters, two to six of them,
 * ending before a lower-case word, a known memo phrase, a digit or punctuation. Null when there is none.
 */
export function leadingName(tail: string): string | null {
  // The words from the i-th on, joined by single spaces and followed by one, is \`rest\` from \`at\`.
  const rest = foldVietnamese(tail).replace(/\s+/g, " ").trim() + " ";
  let at = 0;
  let count = 0;
  while (count < 6 && at < rest.length) {
    const end = rest.indexOf(" ", at);
    if (!nameWord.test(rest.slice(at, end))) break;
    memoStart.lastIndex = at;
    if (memoStart.test(rest)) break;
    count++;
    at = end + 1;
  }
  if (count < 2) return null;
  // Keep the name as printed (with any diacritics the bank kept), word for word.
  return tail.replace(/\s+/g, " ").trim().split(" ").slice(0, count).join(" ");
}

type Shape = { re: RegExp; take: (m: RegExpExecArray, raw: string) => string | null };

// The memo shapes of the 2024 statements, most specific first.
const shapes: Shape[] = [
  // MBVCB.6900235838.DANG QUANG LAN ung ho.CT tu 7089080942 DANG QUANG LAN toi 0011009990001 …
  { re: /\bCT tu \d+ (.+?) toi \d/i, take: (m) => leadingName(m[1]!) ?? cleanName(m[1]!) },
  { re: /^MBVCB\.\d+\.(.+)$/i, take: (m) => leadingName(m[1]!) },
  // CKSOTAIKHOAN 773999824558984 LY THI GIANG chuyen tien tu Viettel Money 84931948167 …
  { re: /^CKSOTAIKHOAN \d+ (.+?) chuyen tien tu Viettel Money/i, take: (m) => cleanName(m[1]!) },
  { re: /Viettel ?Money[:. ]+(.+)$/i, take: (m) => leadingName(m[1]!) },
  // Chuyen tien den tu NAPAS Noi dung: VU THI GIANG ung ho … FT…
  { re: /NAPAS Noi dung: ?(.+)$/is, take: (m) => leadingName(m[1]!) },
  // CT nhanh 247 den: HOANG DUC GIANG\nchung tay … (the name is the first line)
  { re: /CT nhanh 247 den: ?([^\n]+)/i, take: (m) => leadingName(m[1]!) ?? cleanName(m[1]!) },
  // …Vietcombank:0011009990001:NGO DUC AN Ung ho …
  { re: /Vietcombank:\d+:(.+)$/i, take: (m) => leadingName(m[1]!) },
  // 154980.010924.218221.HO XUAN DUNG chuyen tien (IBFT from another bank)
  { re: /^\d{6}\.\d{6}\.\d{1,6}\.(.+)$/, take: (m) => leadingName(m[1]!) },
  // IBFT NGUYEN VAN AN ung ho / ZaloPay / MoMo
  { re: /^(?:IBFT|ZP\d*|ZaloPay|MOMO|MoMo)[\s:._-]+(?:\d+[\s._-]+)?(.+)$/i, take: (m) => leadingName(m[1]!.replace(/-/g, " ")) },
  // NGUYEN VAN MAI quyen gop (Agribank: the name, then the message)
  { re: /^([^\n]+)/, take: (m) => leadingName(m[1]!) },
];

function cleanName(s: string): string | null {
  const t = s.replace(/\s+/g, " ").trim();
  const words = t.split(" ");
  if (words.length < 2 || words.length > 8 || !words.every((w) => /^\p{L}+$/u.test(w))) return null;
  return t;
}

/** The sender's name from the memo, or from a counterparty cell ("NAME – A/C"); "không rõ" when neither says. */
export function donorFromMemo(memo: string, counterparty: string | null = null): string {
  for (const s of shapes) {
    const m = s.re.exec(memo);
    if (!m) continue;
    const name = s.take(m, memo);
    if (name) return name;
    break; // the shape matched but carries no name: do not guess from another shape
  }
  if (counterparty) {
    const c = counterparty.replace(/\s+/g, " ").replace(/^VND-TGTT-/i, "").replace(/\s*[–-]\s*A\/C\s*$/i, "").trim();
    if (!/^(ACC|MBBANK IBFT|IBFT)$/i.test(c)) {
      const name = cleanName(c);
      if (name) return name;
    }
  }
  return UNKNOWN_DONOR;
}

/** A debit the bank charged itself: service, SMS, transfer or account fees. */
export function isBankFee(memo: string): boolean {
  const m = foldVietnamese(memo).toUpperCase();
  // "PHI" alone is also a given name (Nguyen Van Phi): only fee phrases, or a memo that starts with PHI.
  return /^PHI\b/.test(m.trim()) ||
    /\b(THU PHI|PHI DICH VU|PHI SMS|PHI CHUYEN|PHI QUAN LY|PHI DUY TRI|PHI NGAN HANG|PHI THUONG NIEN|PHI TIN NHAN|SMS BANKING|BANK FEE|SERVICE FEE|SERVICE CHARGE)\b/.test(m);
}

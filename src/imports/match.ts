import { foldVietnamese } from "./memo.js";

// Matching hand-recorded transfers to bank lines, one to one: the same amount
// exactly, dates within a window, and the bank reference found in the line
// or the donor's name close to the sender's. Best pairs first (reference,
// then name, then the nearer date); each line and each entry is used once.

export const MATCH_WINDOW_DAYS = 3;
const NAME_THRESHOLD = 0.6;

export interface BankSide {
  key: string;
  date: string;
  amountDong: bigint;
  docRef: string;
  memo: string;
  donorName: string | null;
}

export interface LedgerSide {
  entryId: string;
  date: string;
  amountDong: bigint;
  bankReference: string | null;
  donorName: string;
}

export interface Match {
  key: string;
  entryId: string;
  by: "reference" | "name";
}

const compact = (s: string) => foldVietnamese(s).toUpperCase().replace(/[^A-Z0-9]/g, "");
const words = (s: string) => new Set(foldVietnamese(s).toUpperCase().split(/[^A-Z0-9]+/).filter((w) => w.length > 0));

/** Share of name words in common (Jaccard), after folding diacritics and case. */
export function nameSimilarity(a: string, b: string): number {
  const x = words(a), y = words(b);
  if (x.size === 0 || y.size === 0) return 0;
  let common = 0;
  for (const w of x) if (y.has(w)) common++;
  return common / (x.size + y.size - common);
}

/** Every word of a name of two words or more appears in the text (a memo naming the sender). */
export function nameWithin(name: string, text: string): boolean {
  const n = words(name);
  if (n.size < 2) return false;
  const t = words(text);
  for (const w of n) if (!t.has(w)) return false;
  return true;
}

export function daysBetween(a: string, b: string): number {
  return Math.abs(Date.parse(`${a}T00:00:00Z`) - Date.parse(`${b}T00:00:00Z`)) / 86_400_000;
}

function referenceFound(l: BankSide, e: LedgerSide): boolean {
  if (!e.bankReference) return false;
  const ref = compact(e.bankReference);
  return ref.length >= 4 && (compact(l.docRef).includes(ref) || compact(l.memo).includes(ref));
}

/** Pairs (line, entry) that qualify, best first. Both lists are the candidates already filtered by amount. */
export function matchTransfers(lines: BankSide[], entries: LedgerSide[], windowDays = MATCH_WINDOW_DAYS): Match[] {
  const pairs: { l: BankSide; e: LedgerSide; score: number; by: Match["by"] }[] = [];
  const byAmount = new Map<string, LedgerSide[]>();
  for (const e of entries) byAmount.set(e.amountDong.toString(), [...(byAmount.get(e.amountDong.toString()) ?? []), e]);
  for (const l of lines) {
    for (const e of byAmount.get(l.amountDong.toString()) ?? []) {
      const days = daysBetween(l.date, e.date);
      if (days > windowDays) continue;
      const ref = referenceFound(l, e);
      const name = Math.max(nameSimilarity(l.donorName ?? "", e.donorName), nameWithin(e.donorName, l.memo) ? 0.9 : 0);
      if (!ref && name < NAME_THRESHOLD) continue;
      pairs.push({ l, e, score: (ref ? 10 : 0) + name - days / (windowDays + 1), by: ref ? "reference" : "name" });
    }
  }
  pairs.sort((a, b) => b.score - a.score || a.l.key.localeCompare(b.l.key) || a.e.entryId.localeCompare(b.e.entryId));
  const usedLines = new Set<string>(), usedEntries = new Set<string>();
  const out: Match[] = [];
  for (const p of pairs) {
    if (usedLines.has(p.l.key) || usedEntries.has(p.e.entryId)) continue;
    usedLines.add(p.l.key);
    usedEntries.add(p.e.entryId);
    out.push({ key: p.l.key, entryId: p.e.entryId, by: p.by });
  }
  return out;
}

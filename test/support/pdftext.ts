import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { LEDGER_COLUMNS } from "../../reports/pdf.js";

// A PDF read back the way a reader's tools read it: poppler's pdftotext, as laid-out text per page and as
// words with their boxes (-bbox, points from the top-left corner), for what text alone cannot show: a word
// wrapped onto two lines, a word outside its column, two words drawn over each other.

const run = promisify(execFile);

export interface Word {
  text: string;
  xMin: number;
  yMin: number;
  xMax: number;
  yMax: number;
}

/** The pages' text, laid out (pdftotext -layout). */
export async function layoutPages(file: string): Promise<string[]> {
  const { stdout } = await run("pdftotext", ["-layout", "-enc", "UTF-8", file, "-"], { maxBuffer: 64 * 1024 * 1024 });
  const pages = stdout.split("\f");
  if (pages.at(-1)?.trim() === "") pages.pop();
  return pages;
}

const entities: Record<string, string> = { "&amp;": "&", "&lt;": "<", "&gt;": ">", "&quot;": '"', "&apos;": "'" };

/** Every page's words with their boxes (pdftotext -bbox). */
export async function wordPages(file: string): Promise<Word[][]> {
  const { stdout } = await run("pdftotext", ["-bbox", "-enc", "UTF-8", file, "-"], { maxBuffer: 256 * 1024 * 1024 });
  return stdout.split(/<page [^>]*>/).slice(1).map((page) =>
    [...page.matchAll(/<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">([^<]*)<\/word>/g)].map((m) => ({
      xMin: Number(m[1]), yMin: Number(m[2]), xMax: Number(m[3]), yMax: Number(m[4]),
      text: m[5]!.replace(/&(amp|lt|gt|quot|apos);/g, (e) => entities[e]!).normalize("NFC"),
    })));
}

/** The ledger column's left and right edges. */
export function ledgerColumn(key: (typeof LEDGER_COLUMNS)[number]["key"]): { x0: number; x1: number } {
  const c = LEDGER_COLUMNS.find((k) => k.key === key)!;
  return { x0: c.x, x1: c.x + c.width };
}

/** Whether a word lies within [x0, x1] (a hair of rounding allowed). */
export function within(w: Word, col: { x0: number; x1: number }): boolean {
  return w.xMin >= col.x0 - 0.01 && w.xMax <= col.x1 + 0.01;
}

/**
 * The ledger rows of a page: each row's sequence number (the seq column's first line) and the words of its
 * description column (both of its lines, in reading order), from that number down to the next row's.
 */
export function ledgerRows(words: Word[]): { seq: number; description: string; words: Word[] }[] {
  const seqCol = ledgerColumn("seq");
  const descCol = ledgerColumn("description");
  const inSeq = words.filter((w) => within(w, seqCol));
  // A row's second line there is its short hash, which may be all digits: it has the sequence number just above it.
  const starts = inSeq.filter((w) => /^\d+$/.test(w.text) && !inSeq.some((o) => o.yMin >= w.yMin - 9.5 && o.yMin <= w.yMin - 7))
    .sort((a, b) => a.yMin - b.yMin);
  return starts.map((s, i) => {
    const next = starts[i + 1];
    const bottom = next ? next.yMin - 0.5 : s.yMin + 18;
    const mine = words.filter((w) => within(w, descCol) && w.yMin >= s.yMin - 1 && w.yMin < bottom)
      .sort((a, b) => (Math.abs(a.yMin - b.yMin) > 1 ? a.yMin - b.yMin : a.xMin - b.xMin));
    return { seq: Number(s.text), description: mine.map((w) => w.text).join(" "), words: mine };
  });
}

/** Two boxes that share some area (touching edges do not count). */
export function overlap(a: Word, b: Word): boolean {
  return a.xMin < b.xMax - 0.01 && b.xMin < a.xMax - 0.01 && a.yMin < b.yMax - 0.01 && b.yMin < a.yMax - 0.01;
}

/** How many times a text names who, as whole words (case and spacing as printed). */
export function occurrences(text: string, who: string): number {
  return text.split(who).length - 1;
}

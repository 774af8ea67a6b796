// The fonts every generated document embeds: DejaVu Sans from the `dejavu-fonts-ttf`
// npm package (a dependency, so the same bytes on every machine; never a system font).
// pdfkit's 14 built-in fonts cannot show Vietnamese ("Đ, ư, ơ, ạ, ỹ"); DejaVu Sans has
// every precomposed Vietnamese letter and round-trips exactly through pdftotext.

import { createRequire } from "node:module";

const require = createRequire(import.meta.url);

/** Absolute path of DejaVuSans.ttf (regular). */
export const FONT_REGULAR_PATH: string = require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans.ttf");
/** Absolute path of DejaVuSans-Bold.ttf. */
export const FONT_BOLD_PATH: string = require.resolve("dejavu-fonts-ttf/ttf/DejaVuSans-Bold.ttf");

/** Names under which the fonts are registered on a pdfkit document. */
export const FONT_REGULAR = "DejaVuSans";
export const FONT_BOLD = "DejaVuSans-Bold";

/** The subset of pdfkit's document API this module needs (keeps the import type-only). */
interface FontRegistry {
  registerFont(name: string, src?: string): unknown;
}

/** Registers DejaVu Sans (regular and bold) on a pdfkit document. */
export function registerDejaVu(doc: FontRegistry): void {
  doc.registerFont(FONT_REGULAR, FONT_REGULAR_PATH);
  doc.registerFont(FONT_BOLD, FONT_BOLD_PATH);
}

// ---------------------------------------------------------------------------------------
// Fast word layout
//
// pdfkit lays out every word through fontkit's full OpenType shaper (~30–40 µs a word).
// A ledger of 200.000 lines has millions of words and most of the unique ones
// (amounts, sequence numbers, hashes, voucher numbers, bank memo codes) are shaped once
// and never seen again, so the shaper dominated the render time (~0.5 ms a line).
//
// For the text a statement holds (Latin and precomposed Vietnamese letters, digits,
// punctuation) shaping DejaVu Sans amounts to: one glyph per code point (cmap) plus a
// pair kerning adjustment. installFastLayout replaces pdfkit's per-word layout with
// exactly that, learning each character and each adjacent pair once from the real shaper:
// a character qualifies if shaping it alone gives its cmap glyph at its advance with no
// offset; a pair qualifies if shaping the two gives the two cmap glyphs, no offsets, the
// second at its plain advance, and the adjustment (kerning) on the first. A word with any
// character or pair that does not qualify (a combining mark, a ligature, a contextual
// substitution) goes through the real shaper as before. test/pdf.test.ts checks that the
// fast and the real layout agree glyph for glyph on the statement's texts.

interface FontkitGlyph {
  id: number;
  advanceWidth: number;
  codePoints: number[];
}
interface FontkitPosition {
  xAdvance: number;
  yAdvance: number;
  xOffset: number;
  yOffset: number;
}
interface FontkitFont {
  postscriptName: string;
  numGlyphs: number;
  glyphForCodePoint(codePoint: number): FontkitGlyph;
  layout(text: string, features?: unknown): { glyphs: FontkitGlyph[]; positions: FontkitPosition[] };
}
interface LayoutRun {
  glyphs: FontkitGlyph[];
  positions: Array<FontkitPosition & { advanceWidth: number }>;
  advanceWidth: number;
}
/** The parts of pdfkit's EmbeddedFont used here (pdfkit 0.20). */
export interface PdfkitEmbeddedFont {
  font?: FontkitFont;
  scale?: number;
  layoutRun?: (text: string, features?: unknown) => LayoutRun;
}

/** Per font file: code point → qualifies; pair key → kerning (font units) or null. */
interface Learned {
  chars: Map<number, boolean>;
  pairs: Map<number, number | null>;
}
const learnedByFont = new Map<string, Learned>();
const MAX_LEARNED_PAIRS = 200_000; // ~ every pair of 450 characters; a bound, not a target

function learned(font: FontkitFont): Learned {
  const key = `${font.postscriptName}:${font.numGlyphs}`;
  let l = learnedByFont.get(key);
  if (l === undefined) {
    l = { chars: new Map(), pairs: new Map() };
    learnedByFont.set(key, l);
  }
  return l;
}

function charQualifies(font: FontkitFont, l: Learned, cp: number): boolean {
  let ok = l.chars.get(cp);
  if (ok === undefined) {
    const g = font.glyphForCodePoint(cp);
    const run = font.layout(String.fromCodePoint(cp));
    const p = run.positions[0];
    ok =
      run.glyphs.length === 1 && run.glyphs[0]?.id === g.id && p !== undefined &&
      p.xOffset === 0 && p.yOffset === 0 && p.yAdvance === 0 && p.xAdvance === g.advanceWidth &&
      !/\p{M}/u.test(String.fromCodePoint(cp));
    l.chars.set(cp, ok);
  }
  return ok;
}

/** Kerning (font units) of the pair a b, or null when the pair needs the shaper. */
function pairKerning(font: FontkitFont, l: Learned, a: number, b: number): number | null {
  const key = a * 0x110000 + b;
  let k = l.pairs.get(key);
  if (k === undefined) {
    const ga = font.glyphForCodePoint(a);
    const gb = font.glyphForCodePoint(b);
    const run = font.layout(String.fromCodePoint(a, b));
    const [pa, pb] = run.positions;
    k =
      run.glyphs.length === 2 && run.glyphs[0]?.id === ga.id && run.glyphs[1]?.id === gb.id &&
      pa !== undefined && pb !== undefined &&
      pa.xOffset === 0 && pa.yOffset === 0 && pa.yAdvance === 0 &&
      pb.xOffset === 0 && pb.yOffset === 0 && pb.yAdvance === 0 && pb.xAdvance === gb.advanceWidth
        ? pa.xAdvance - ga.advanceWidth
        : null;
    if (l.pairs.size >= MAX_LEARNED_PAIRS) l.pairs.clear();
    l.pairs.set(key, k);
  }
  return k;
}

/**
 * Replaces pdfkit's per-word layout on one embedded font with the fast path above.
 * Returns false (and changes nothing) when pdfkit's internals are not as expected.
 */
export function installFastLayout(embedded: PdfkitEmbeddedFont): boolean {
  const font = embedded.font;
  const scale = embedded.scale;
  const slow = embedded.layoutRun;
  if (font === undefined || typeof scale !== "number" || typeof slow !== "function") return false;
  if (typeof font.glyphForCodePoint !== "function" || typeof font.layout !== "function") return false;
  const l = learned(font);
  const fallback = slow.bind(embedded);
  // code point → its glyph and advance, for qualifying characters (this font instance)
  const glyphOf = new Map<number, { glyph: FontkitGlyph; advance: number }>();
  function fastLayoutRun(text: string, features?: unknown): LayoutRun {
    if (features !== undefined) return fallback(text, features);
    const cps: number[] = [];
    for (let i = 0; i < text.length; i++) {
      const cp = text.codePointAt(i) as number;
      if (cp > 0xffff) i++;
      if (!glyphOf.has(cp)) {
        if (!charQualifies(font as FontkitFont, l, cp)) return fallback(text);
        const glyph = (font as FontkitFont).glyphForCodePoint(cp);
        glyphOf.set(cp, { glyph, advance: glyph.advanceWidth });
      }
      cps.push(cp);
    }
    const glyphs: FontkitGlyph[] = [];
    const positions: LayoutRun["positions"] = [];
    let advanceWidth = 0;
    for (let i = 0; i < cps.length; i++) {
      const cp = cps[i] as number;
      const g = glyphOf.get(cp) as { glyph: FontkitGlyph; advance: number };
      let adv = g.advance;
      if (i + 1 < cps.length) {
        const k = pairKerning(font as FontkitFont, l, cp, cps[i + 1] as number);
        if (k === null) return fallback(text);
        adv += k;
      }
      glyphs.push(g.glyph);
      positions.push({ xAdvance: adv * (scale as number), yAdvance: 0, xOffset: 0, yOffset: 0, advanceWidth: g.advance * (scale as number) });
      advanceWidth += adv * (scale as number);
    }
    return { glyphs, positions, advanceWidth };
  }
  embedded.layoutRun = fastLayoutRun;
  return true;
}

/** The original (shaper) layout of an embedded font on which installFastLayout ran. */
export function shapedLayout(embedded: PdfkitEmbeddedFont, text: string): LayoutRun | null {
  const proto = Object.getPrototypeOf(embedded) as PdfkitEmbeddedFont;
  return proto.layoutRun?.call(embedded, text) ?? null;
}

/**
 * pdfkit, loaded when the first document is made rather than when the service or the CLI starts: importing it
 * takes ~0.35 s, paid by every CLI command (most make no PDF) and by every start.
 */
export async function loadPdfkit(): Promise<PDFKit.PDFDocument> {
  return (await import("pdfkit")).default;
}

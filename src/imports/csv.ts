import { StringDecoder } from "node:string_decoder";

// CSV records (RFC 4180) from a byte stream, for bank statements: a million
// lines must read in seconds, and csv-parse spends ~18 µs on each 165-byte
// line (with its per-record info, ~22 µs): over 20 s of the import's budget
// before a single line is checked. This reader does what the import needs
// and no more: "," between fields; fields optionally quoted with '"' (a quote
// inside written '""', commas and line breaks allowed inside); records end at
// \r\n, \n or \r; a leading UTF-8 BOM is dropped; empty lines are skipped;
// every record has as many fields as the first one. It refuses what csv-parse
// refused with these options (a quote in an unquoted field, text after a
// closing quote, a quote never closed, a record of another width, a record
// over the size limit), naming the line where the record starts.

export class CsvError extends Error {
  override name = "CsvError";
  constructor(readonly line: number, readonly reason: string) {
    super(reason);
  }
}

export interface CsvRecord {
  /** The line of the file where the record starts (the first line is 1). */
  lineNo: number;
  cells: string[];
}

const QUOTE = 34, COMMA = 44, LF = 10, CR = 13;

export interface CsvOptions {
  /** The longest record accepted, in characters. */
  maxRecord: number;
}

/** Records in order; throws CsvError at the first record that is not CSV. */
export async function* readCsv(input: AsyncIterable<Buffer | string>, o: CsvOptions): AsyncGenerator<CsvRecord[]> {
  const decoder = new StringDecoder("utf8");
  let buf = "";
  let line = 1; // the line where buf starts
  let width = -1;
  let first = true;
  // The record delimiter, as csv-parse found it: the first line break met outside quotes
  // (\r\n, \n or \r); afterwards only that one ends a record, and the others are text.
  let eol: "crlf" | "lf" | "cr" | null = null;
  const tooLong = (at: number) => new CsvError(at, `a record is longer than ${o.maxRecord} characters`);
  /** The length of the record delimiter at i (0 if none), or -1 when the text ends too soon to tell. */
  const eolAt = (text: string, i: number, eof: boolean): number => {
    const c = text.charCodeAt(i);
    if (c !== LF && c !== CR) return 0;
    if (eol === null) {
      if (c === LF) eol = "lf";
      else if (i + 1 >= text.length) return eof ? ((eol = "cr"), 1) : -1;
      else eol = text.charCodeAt(i + 1) === LF ? "crlf" : "cr";
    }
    if (eol === "lf") return c === LF ? 1 : 0;
    if (eol === "cr") return c === CR ? 1 : 0;
    if (c !== CR) return 0;
    if (i + 1 >= text.length) return eof ? 0 : -1;
    return text.charCodeAt(i + 1) === LF ? 2 : 0;
  };
  /** Line breaks inside a quoted field's text, as an editor shows them (\r\n, \n or \r, whatever ends the records). */
  const breaks = (text: string, from: number, to: number): number => {
    let k = 0;
    for (let i = from; i < to; i++) {
      const c = text.charCodeAt(i);
      if (c === LF || (c === CR && text.charCodeAt(i + 1) !== LF)) k++;
    }
    return k;
  };
  const take = (text: string, eof: boolean): CsvRecord[] => {
    const out: CsvRecord[] = [];
    let pos = 0;
    const n = text.length;
    records: while (pos < n) {
      // Empty lines are skipped (but counted).
      const e0 = eolAt(text, pos, eof);
      if (e0 < 0) break;
      if (e0 > 0) {
        pos += e0;
        line++;
        continue;
      }
      const start = pos;
      const startLine = line;
      let lines = 0; // line breaks inside quoted fields
      const cells: string[] = [];
      let p = pos;
      for (;;) {
        if (p - start > o.maxRecord) throw tooLong(startLine);
        if (p < n && text.charCodeAt(p) === QUOTE) {
          // A quoted field, up to the quote that is not doubled.
          let value = "";
          let from = p + 1;
          let q: number;
          for (;;) {
            q = text.indexOf('"', from);
            if (q < 0 || q + 1 >= n || text.charCodeAt(q + 1) !== QUOTE) break;
            value += text.slice(from, q + 1);
            from = q + 2;
          }
          if (q < 0 || (q + 1 >= n && !eof)) {
            if (eof) throw new CsvError(startLine, "a quoted field is never closed");
            break; // wait for more text
          }
          value += text.slice(from, q);
          lines += breaks(text, p + 1, q);
          cells.push(value);
          p = q + 1;
          if (p >= n) {
            p = n;
            break; // the end of the text ends the record (eof: checked above)
          }
          if (text.charCodeAt(p) === COMMA) {
            p++;
            continue;
          }
          const e = eolAt(text, p, eof);
          if (e < 0) break;
          if (e > 0) {
            p += e;
            out.push(done(cells, startLine, start, p));
            line = startLine + lines + 1;
            pos = p;
            continue records;
          }
          throw new CsvError(startLine + lines, `text after the closing quote of field ${cells.length}`);
        }
        // An unquoted field, up to the next comma or record delimiter.
        let e = p;
        let delimiter = 0;
        while (e < n) {
          const c = text.charCodeAt(e);
          if (c === COMMA) break;
          if (c === LF || c === CR) {
            delimiter = eolAt(text, e, eof);
            if (delimiter !== 0) break;
          } else if (c === QUOTE) {
            throw new CsvError(startLine + lines, `a quote inside the unquoted field ${cells.length + 1}`);
          }
          e++;
        }
        if (delimiter < 0 || (e >= n && !eof)) break; // wait for more text
        cells.push(text.slice(p, e));
        if (e < n && delimiter === 0) {
          p = e + 1; // a comma
          continue;
        }
        p = e + Math.max(delimiter, 0);
        out.push(done(cells, startLine, start, p));
        line = startLine + lines + 1;
        pos = p;
        continue records;
      }
      // The record goes on in the next chunk (or, at the end, the quoted field was closed by the end).
      if (eof && p >= n && cells.length > 0) {
        out.push(done(cells, startLine, start, n));
        pos = n;
        continue;
      }
      if (n - start > o.maxRecord) throw tooLong(startLine);
      pos = start;
      break;
    }
    buf = text.slice(pos);
    return out;
  };
  const done = (cells: string[], startLine: number, start: number, end: number): CsvRecord => {
    if (end - start > o.maxRecord) throw tooLong(startLine);
    if (width < 0) width = cells.length;
    else if (cells.length !== width) throw new CsvError(startLine, `${cells.length} fields where the header has ${width}`);
    return { lineNo: startLine, cells };
  };
  for await (const chunk of input) {
    let text = typeof chunk === "string" ? chunk : decoder.write(chunk);
    if (first && text.length > 0) {
      if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
      first = false;
    }
    const records = take(buf.length === 0 ? text : buf + text, false);
    if (records.length > 0) yield records;
  }
  let rest = decoder.end();
  if (first && rest.charCodeAt(0) === 0xfeff) rest = rest.slice(1);
  const records = take(buf + rest, true);
  if (records.length > 0) yield records;
}

import { createHash } from "node:crypto";
import { createWriteStream, mkdtempSync, rmSync, type WriteStream } from "node:fs";
import { open } from "node:fs/promises";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { csvClosing, csvHeader, csvOpening, csvText } from "./csv.js";
import { CsvCol as C, type StatementCsvRow, type StatementQueries, type StatementRowRaw, type TransferRow } from "../db/statements.js";
import type { WordVariants } from "../ledger/wording.js";
import { assert } from "../ledger/assert.js";
import { fail } from "../ledger/codes.js";
import { parseIsoDate } from "../ledger/dates.js";
import type { Campaign, Committee } from "../ledger/types.js";
import { ExactSum } from "./exact.js";
import { counterpartyV1, describeV1, OTHER_AREA, PrivateNames, STATEMENT_V1, StatementMask, type Party } from "../ledger/mask.js";
import type {
  Audience, StatementFormat, StatementHeader, StatementPerson, StatementLine, StatementSummary, StatementTotals, StatementTransfer, TransferSummary,
} from "./types.js";

// One builder for both formats. A first pass streams the rows through the CSV
// writer into a temporary file, hashing the bytes (the statement digest) and
// adding up totals and the summary; the statement must reconcile with an
// independent SQL sum before anything is sent. The CSV is then served from
// that file, and the PDF streams the rows a second time at the same ledger
// position, so both carry the same rows. Memory stays bounded either way.

export interface StatementOptions {
  from?: string | undefined;
  to?: string | undefined;
  audience: Audience;
  /**
   * Only entries an approver has verified. A public statement is always
   * verified-only (a trimmed link must not publish unverified numbers); only
   * the auditor's version may leave it false, to show the entries still waiting.
   */
  verifiedOnly?: boolean | undefined;
  /**
   * Cut at a publication (what the public figures were at that number):
   * verified entries published up to it, at the chain head it saw. The same
   * publication gives the same bytes for good.
   */
  publication?: { vseq: number; headSeq: number; headHash: string } | undefined;
}

export interface PreparedStatement {
  header: StatementHeader;
  totals: StatementTotals;
  summary: StatementSummary;
  digest: string;
  csvBytes: number;
  /** The committee's people, for the auditor's audience only (its PDF lists them; the CSV keeps its shape). */
  people: StatementPerson[] | undefined;
  /** How the committee writes amounts in words (the PDF's; the CSV has none). */
  words: WordVariants;
  /** Writes the CSV (exactly the bytes digested) to dest and ends it. */
  writeCsv(dest: NodeJS.WritableStream): Promise<void>;
  lines(): AsyncIterable<StatementLine>;
  dispose(): void;
}

export async function prepareStatement(
  q: StatementQueries, committee: Committee, campaign: Campaign, opts: StatementOptions,
): Promise<PreparedStatement> {
  const pub = opts.publication;
  const position = pub ? { seq: pub.headSeq, hash: pub.headHash } : await q.head(committee.id);
  const verifiedOnly = pub !== undefined || opts.audience === "public" || (opts.verifiedOnly ?? false);
  const vseqMax = pub?.vseq;
  const range = await q.dateRange(campaign, position.seq);
  const format = await q.statementFormat(committee.id, vseqMax);
  const mask = await lineMask(q, committee.id, opts.audience, format, position.seq, vseqMax);
  const from = opts.from ? parseIsoDate(opts.from, "from") : min(campaign.startsOn, range.first);
  const to = opts.to ? parseIsoDate(opts.to, "to") : max(campaign.startsOn, range.last);
  if (from > to) fail("invalid_date", `from (${from}) is after to (${to})`, "from");
  const header: StatementHeader = {
    committee: { code: committee.code, name: committee.name },
    campaign: {
      code: campaign.code, name: campaign.name, kind: campaign.kind, startsOn: campaign.startsOn, endsOn: campaign.endsOn,
      targetDong: campaign.targetDong,
    },
    from, to, audience: opts.audience, format, verifiedOnly,
    openingDong: await q.assetSum(campaign, position.seq, { before: from }, verifiedOnly, vseqMax),
    position,
  };
  // Entries between campaigns, by sequence: few, read once the CSV pass is done and marked on the PDF's lines.
  let transfers = new Map<number, StatementTransfer>();
  const lines = async function* () {
    for await (const { line } of statementRows(q.rows(campaign, position.seq, from, to, verifiedOnly, vseqMax), header, mask, transfers)) yield line;
  };

  const dir = mkdtempSync(path.join(tmpdir(), "soquy-statement-"));
  const file = path.join(dir, "statement.csv");
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  // The independent sum, by asset, runs on a connection of its own while the rows stream (after them on PGlite's one).
  const expectedSplit = q.assetSplit(campaign, position.seq, to, verifiedOnly, vseqMax);
  expectedSplit.catch(() => {}); // awaited below; a failed pass must not leave it unhandled
  try {
    const out = new HashedFile(file);
    const pass = new CsvPass(header, out, mask);
    out.write(csvHeader() + csvOpening(header));
    for await (const batch of q.csvRows(campaign, position.seq, from, to, verifiedOnly, header.openingDong, vseqMax)) {
      pass.batch(batch);
      await out.drained();
    }
    pass.end();
    const split = await expectedSplit;
    const totals: StatementTotals = { ...pass.totals(), closingByAsset: split };
    const expected = split.cash + split.bank + split.goods;
    assert(header.openingDong + totals.inDong - totals.outDong === totals.closingDong, "opening + in − out = closing");
    assert(totals.closingDong === expected, `statement closing ${totals.closingDong} equals the ledger's ${expected} (cash ${split.cash}, bank ${split.bank}, goods ${split.goods})`);
    out.write(csvClosing(header, totals));
    const { digest, bytes } = await out.end();
    const people = opts.audience === "auditor" ? await q.people(committee.id) : undefined;
    const moved = await q.transfers(campaign, position.seq, from, to, verifiedOnly, vseqMax);
    transfers = new Map(moved.map((t) => [t.seq, { campaigns: t.campaigns, resolutionRef: mask.description(t.resolutionRef, NO_PARTY) }]));
    const summary: StatementSummary = { ...pass.summary.result(mask), transfers: transferSummary(moved, transfers) };
    return {
      header, totals, summary, digest, csvBytes: bytes, people, words: await q.wordVariants(committee.id),
      writeCsv: (dest) => copyFile(file, dest), lines, dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}

const NO_PARTY: Party = { donorName: null, publishName: null, beneficiaryName: null, area: null };

/** The period's transfers by other campaign(s) and resolution (as the lines show it), in the order first met. */
function transferSummary(rows: TransferRow[], shown: Map<number, StatementTransfer>): TransferSummary {
  const groups = new Map<string, TransferSummary["rows"][number]>();
  let inDong = 0n;
  let outDong = 0n;
  for (const r of rows) {
    const t = shown.get(r.seq)!;
    const key = JSON.stringify([t.campaigns.map((c) => c.code), t.resolutionRef]);
    let g = groups.get(key);
    if (!g) groups.set(key, (g = { campaigns: t.campaigns, resolutionRef: t.resolutionRef, inDong: 0n, outDong: 0n, lines: 0 }));
    g.inDong += r.inDong;
    g.outDong += r.outDong;
    g.lines++;
    inDong += r.inDong;
    outDong += r.outDong;
  }
  return { inDong, outDong, rows: [...groups.values()] };
}

/** How a statement's lines show their free text, by format and audience. */
interface LineMask {
  description(text: string, p: Party): string;
  counterparty(p: Party): string;
  unit(unit: string | null): string | null;
  /** A summary's area key. */
  area(area: string): string;
}

/**
 * Format v1's rules, kept byte for byte for statements cut at publications made
 * before v2 (their digests are signed); v2 masks with the one masking function,
 * given the committee's names not agreed to be published and its list of areas
 * (both as they stood at the statement's ledger position and publication).
 * Areas in the summary go by the list in either format: the summary is not in the signed bytes.
 */
async function lineMask(
  q: StatementQueries, committeeId: number, audience: Audience, format: StatementFormat, headSeq: number, vseq: number | undefined,
): Promise<LineMask> {
  const areas = audience === "public" ? await q.listedAreas(committeeId, vseq) : new Set<string>();
  const names = audience === "public" && format !== STATEMENT_V1 ? await q.privateNames(committeeId, headSeq) : new PrivateNames();
  const unlisted = new PrivateNames();
  if (audience === "public" && format !== STATEMENT_V1) {
    for (const a of await q.areasUsed(committeeId, headSeq)) if (!areas.has(a)) unlisted.addPhrase(a, OTHER_AREA);
  }
  const m = new StatementMask(audience, names, areas, unlisted);
  if (format === STATEMENT_V1) {
    return {
      description: (text, p) => describeV1(text, p, audience), counterparty: (p) => counterpartyV1(p, audience), unit: (u) => u,
      area: (a) => m.area(a),
    };
  }
  return {
    description: (text) => m.text(text), counterparty: (p) => m.counterparty(p), unit: (u) => (u === null ? null : m.text(u)),
    area: (a) => m.area(a),
  };
}

/**
 * Copies a file to dest and ends it, through two buffers used in turn (a
 * buffer is read into again once its last write is done). A read stream's
 * fresh buffer per chunk is garbage the GC leaves lying for a while: serving
 * 257 MB that way held tens of megabytes more.
 */
async function copyFile(file: string, dest: NodeJS.WritableStream): Promise<void> {
  const size = 256 * 1024;
  const handle = await open(file, "r");
  let stop: (e: Error) => void = () => {};
  const stopped = new Promise<never>((_, reject) => {
    stop = reject;
  });
  stopped.catch(() => {}); // raced below
  const onError = (e: Error) => stop(e);
  const onClose = () => stop(new Error("the destination closed before the whole statement was written"));
  dest.on("error", onError);
  dest.on("close", onClose);
  try {
    const buffers = [Buffer.allocUnsafe(size), Buffer.allocUnsafe(size)] as const;
    const writing: [Promise<void> | null, Promise<void> | null] = [null, null];
    for (let i: 0 | 1 = 0; ; i = i === 0 ? 1 : 0) {
      const buffer = buffers[i];
      if (writing[i]) await Promise.race([writing[i], stopped]);
      const { bytesRead } = await handle.read(buffer, 0, size, null);
      if (bytesRead === 0) break;
      const done = new Promise<void>((resolve, reject) => {
        dest.write(buffer.subarray(0, bytesRead), (e?: Error | null) => (e ? reject(e) : resolve()));
      });
      done.catch(() => {}); // raced when the buffer comes round again, or at the end
      writing[i] = done;
    }
    for (const w of writing) if (w) await Promise.race([w, stopped]);
    const finished = new Promise<void>((resolve) => dest.once("finish", resolve));
    dest.end();
    await Promise.race([finished, stopped]);
  } finally {
    dest.off("error", onError);
    dest.off("close", onClose);
    await handle.close();
  }
}

/**
 * The CSV written to a file through 1 MB buffers, hashed (the digest) and
 * counted on the way. Lines are encoded into the buffer one by one, so no
 * long string is ever built (a megabyte of joined lines cost seconds of GC),
 * and the buffers are used again once written: new ones for every megabyte
 * piled up tens of megabytes outside the heap until the next full GC.
 */
class HashedFile {
  private static readonly SIZE = 1 << 20;
  private readonly hash = createHash("sha256");
  private readonly out: WriteStream;
  private readonly free: Buffer[] = [];
  private buf: Buffer = Buffer.allocUnsafe(HashedFile.SIZE);
  private used = 0;
  private bytes = 0;
  private behind = false; // the file stream holds more than its high-water mark

  constructor(file: string) {
    this.out = createWriteStream(file, { highWaterMark: 4 * HashedFile.SIZE });
  }

  write(text: string): void {
    // A UTF-16 unit takes at most 3 bytes in UTF-8.
    if (this.used + text.length * 3 > this.buf.length) {
      this.flush();
      if (text.length * 3 > this.buf.length) this.buf = Buffer.allocUnsafe(text.length * 3); // not pooled
    }
    this.used += this.buf.write(text, this.used, "utf8");
  }

  /** Waits while the file is behind (called between batches of rows). */
  async drained(): Promise<void> {
    if (this.behind) {
      await once(this.out, "drain");
      this.behind = false;
    }
  }

  async end(): Promise<{ digest: string; bytes: number }> {
    this.flush();
    this.out.end();
    await once(this.out, "finish");
    return { digest: this.hash.digest("hex"), bytes: this.bytes };
  }

  private flush(): void {
    if (this.used === 0) return;
    const buf = this.buf;
    const chunk = buf.subarray(0, this.used);
    this.hash.update(chunk);
    this.bytes += chunk.length;
    const written = () => {
      if (buf.length === HashedFile.SIZE) this.free.push(buf);
    };
    if (!this.out.write(chunk, written)) this.behind = true;
    this.buf = this.free.pop() ?? Buffer.allocUnsafe(HashedFile.SIZE);
    this.used = 0;
  }
}

/**
 * The CSV pass over the rows: merges an entry's rows (one per asset
 * posting), adds up the totals and the summary, and writes each entry's line:
 * the cells PostgreSQL wrote, the masked description and counterparty, the
 * amounts and the balance. Amounts stay decimal text; sums are exact (ExactSum).
 */
class CsvPass {
  readonly summary = new SummaryBuilder();
  private readonly inSum = new ExactSum();
  private readonly outSum = new ExactSum();
  private lines = 0;
  private closingDong: string;
  // The entry whose rows are being read: its first row and "in,out,balance" so far.
  private row: StatementCsvRow | null = null;
  private amounts = "";

  constructor(private readonly h: StatementHeader, private readonly out: HashedFile, private readonly mask: LineMask) {
    this.closingDong = h.openingDong.toString();
  }

  batch(rows: StatementCsvRow[]): void {
    for (const r of rows) {
      if (this.row !== null && this.row[C.csvHead] === r[C.csvHead]) {
        this.amounts = mergeAmounts(this.amounts, r[C.amounts]); // another posting of the entry (rare)
        continue;
      }
      if (this.row !== null) this.line();
      this.row = r;
      this.amounts = r[C.amounts];
    }
  }

  end(): void {
    if (this.row !== null) this.line();
    this.row = null;
  }

  totals(): Omit<StatementTotals, "closingByAsset"> {
    return { lines: this.lines, inDong: this.inSum.value(), outDong: this.outSum.value(), closingDong: BigInt(this.closingDong) };
  }

  private line(): void {
    const r = this.row!;
    const a = this.amounts;
    const comma1 = a.indexOf(",");
    const comma2 = a.indexOf(",", comma1 + 1);
    const inDong = a.slice(0, comma1);
    const outDong = a.slice(comma1 + 1, comma2);
    this.lines++;
    this.inSum.add(inDong);
    this.outSum.add(outDong);
    this.closingDong = a.slice(comma2 + 1);
    const rc = this.summary.add(r, inDong, outDong);
    const party = { donorName: r[C.donorName], publishName: rc.publish, beneficiaryName: r[C.beneficiaryName], area: r[C.area] };
    this.out.write(`${r[C.csvHead]}${csvText(this.mask.description(r[C.description], party))},${csvText(this.mask.counterparty(party))},` +
      `${a}${r[C.csvTail]}${csvText(this.mask.unit(r[C.unit]))}${r[C.csvEnd]}\r\n`);
  }
}

/** "in,out,balance" of an entry so far and of its next posting → the entry's, the balance after the posting. */
function mergeAmounts(sofar: string, next: string): string {
  const [in1, out1] = sofar.split(",");
  const [in2, out2, balance] = next.split(",");
  return `${BigInt(in1!) + BigInt(in2!)},${BigInt(out1!) + BigInt(out2!)},${balance}`;
}

/** Merges the rows of one entry (one per asset posting) into one. */
async function* perEntry(batches: AsyncIterable<StatementRowRaw[]>): AsyncIterable<{ r: StatementRowRaw; inDong: bigint; outDong: bigint }> {
  let current: { r: StatementRowRaw; inDong: bigint; outDong: bigint } | null = null;
  for await (const rows of batches) {
    for (const r of rows) {
      if (current && current.r.seq === r.seq) {
        current.inDong += BigInt(r.in_dong);
        current.outDong += BigInt(r.out_dong);
        continue;
      }
      if (current) yield current;
      current = { r, inDong: BigInt(r.in_dong), outDong: BigInt(r.out_dong) };
    }
  }
  if (current) yield current;
}

async function* statementRows(
  rows: AsyncIterable<StatementRowRaw[]>, h: StatementHeader, mask: LineMask, transfers: ReadonlyMap<number, StatementTransfer>,
): AsyncIterable<{ line: StatementLine; raw: StatementRowRaw }> {
  let balance = h.openingDong;
  for await (const { r, inDong, outDong } of perEntry(rows)) {
    balance += inDong - outDong;
    const party = { donorName: r.donor_name, publishName: r.publish_name, beneficiaryName: r.beneficiary_name, area: r.area };
    const line: StatementLine = {
      seq: Number(r.seq),
      entryId: r.id,
      documentDate: r.entry_date,
      recordedDate: r.recorded_date,
      voucherNo: r.voucher_no,
      kind: r.kind,
      description: mask.description(r.description, party),
      counterparty: mask.counterparty(party),
      inDong,
      outDong,
      balanceDong: balance,
      quantity: r.quantity,
      unit: mask.unit(r.unit),
      verified: r.verified,
      hash: r.hash,
      transfer: transfers.get(Number(r.seq)) ?? null,
    };
    yield { line, raw: r };
  }
}

type Keyed = { key: string; amount: ExactSum; count: number };

/** Lines alike for the summary (the query's row class): their flags, and the sums of their amounts. */
interface RowClass {
  month: string;
  kind: string;
  method: "cash" | "bank" | "in_kind" | null;
  donor: boolean;
  publish: boolean | null;
  in: ExactSum;
  out: ExactSum;
}

/**
 * The summary tables, added up line by line with exact sums of decimal text:
 * lines of one row class share a pair of sums, folded into the tables at the end.
 */
class SummaryBuilder {
  private readonly classes = new Map<string, RowClass>();
  private readonly purpose = new Map<string, Keyed>();
  private readonly category = new Map<string, Keyed>();
  private readonly area = new Map<string, Keyed>();
  private readonly units = new Map<string, { unit: string; direction: "in" | "out"; milli: bigint; value: ExactSum }>();

  /** Adds a line; gives its row class. */
  add(r: StatementCsvRow, inDong: string, outDong: string): RowClass {
    const key = r[C.rowClass];
    let k = this.classes.get(key);
    if (!k) this.classes.set(key, (k = rowClass(key)));
    k.in.add(inDong);
    k.out.add(outDong);
    const sign = k.kind === "reversal" ? -1 : 1;
    if (r[C.beneficiaryName] !== null) {
      for (const [map, name] of [[this.purpose, r[C.purpose]], [this.category, r[C.category]], [this.area, r[C.area]]] as const) {
        const n = name ?? "other";
        let e = map.get(n);
        if (!e) map.set(n, (e = { key: n, amount: new ExactSum(), count: 0 }));
        e.amount.sub(inDong);
        e.amount.add(outDong);
        e.count += sign;
      }
    }
    const unit = r[C.unit];
    const quantity = r[C.quantity];
    if (unit && quantity) {
      const direction = k.donor ? "in" : "out";
      const uk = `${direction}\u0000${unit}`;
      let e = this.units.get(uk);
      if (!e) this.units.set(uk, (e = { unit, direction, milli: 0n, value: new ExactSum() }));
      e.milli += BigInt(sign) * milli(quantity);
      if (direction === "in") {
        e.value.add(inDong);
        e.value.sub(outDong);
      } else {
        e.value.sub(inDong);
        e.value.add(outDong);
      }
    }
    return k;
  }

  /** The tables; areas and units as the mask shows them (several areas may show as one, e.g. "Khác"). */
  result(mask: Pick<LineMask, "area" | "unit">): Omit<StatementSummary, "transfers"> {
    const received = { cash: 0n, bank: 0n, in_kind: 0n };
    const months = new Map<string, { month: string; inDong: bigint; outDong: bigint }>();
    for (const k of this.classes.values()) {
      const inDong = k.in.value();
      const outDong = k.out.value();
      if (k.donor && k.method) received[k.method] += inDong - outDong;
      const m = months.get(k.month) ?? { month: k.month, inDong: 0n, outDong: 0n };
      m.inDong += inDong;
      m.outDong += outDong;
      months.set(k.month, m);
    }
    const sorted = (m: Map<string, Keyed>) => [...m.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0))
      .map((e) => ({ key: e.key, amountDong: e.amount.value(), count: e.count }));
    return {
      receivedByMethod: received,
      disbursedByPurpose: sorted(this.purpose),
      disbursedByCategory: sorted(this.category),
      disbursedByArea: sorted(relabel(this.area, (a) => mask.area(a))),
      quantitiesByUnit: [...this.units.values()]
        .sort((a, b) => (a.direction + a.unit < b.direction + b.unit ? -1 : 1))
        .map((u) => ({ unit: mask.unit(u.unit)!, direction: u.direction, quantity: fromMilli(u.milli), valueDong: u.value.value() })),
      byMonth: [...months.values()].sort((a, b) => (a.month < b.month ? -1 : 1)),
    };
  }
}

/** Keyed sums under other keys, those that fall together added up. */
function relabel(m: Map<string, Keyed>, label: (key: string) => string): Map<string, Keyed> {
  const out = new Map<string, Keyed>();
  for (const e of m.values()) {
    const key = label(e.key);
    const o = out.get(key);
    if (!o) out.set(key, { key, amount: e.amount, count: e.count });
    else {
      o.amount.add(e.amount.text());
      o.count += e.count;
    }
  }
  return out;
}

/** "2024-09 donation cash true false" → its flags ("-" is null). */
function rowClass(key: string): RowClass {
  const [month, kind, method, donor, publish] = key.split(" ");
  assert(month !== undefined && kind !== undefined && publish !== undefined, `row class ${key}`);
  return {
    month, kind, method: method === "-" ? null : (method as RowClass["method"]), donor: donor === "true",
    publish: publish === "-" ? null : publish === "true", in: new ExactSum(), out: new ExactSum(),
  };
}

// Quantities are numeric(18,3): add them exactly as thousandths.
function milli(q: string): bigint {
  const [int, frac = ""] = q.split(".");
  return BigInt(int!) * 1000n + BigInt((frac + "000").slice(0, 3));
}

function fromMilli(m: bigint): string {
  const sign = m < 0n ? "-" : "";
  const a = m < 0n ? -m : m;
  return `${sign}${a / 1000n}.${String(a % 1000n).padStart(3, "0")}`;
}

function min(a: string, b: string | null): string {
  return b !== null && b < a ? b : a;
}

function max(a: string, b: string | null): string {
  return b !== null && b > a ? b : a;
}

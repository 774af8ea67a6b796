import { createHash } from "node:crypto";
import { createReadStream, createWriteStream, mkdtempSync, rmSync } from "node:fs";
import { once } from "node:events";
import { tmpdir } from "node:os";
import path from "node:path";
import { csvClosing, csvHeader, csvLine, csvOpening } from "../../reports/csv.js";
import type { StatementQueries, StatementRowRaw } from "../db/statements.js";
import { assert } from "../ledger/assert.js";
import { fail } from "../ledger/codes.js";
import { parseIsoDate } from "../ledger/dates.js";
import type { Campaign, Committee } from "../ledger/types.js";
import { counterparty, describe } from "./mask.js";
import type { Audience, StatementHeader, StatementLine, StatementSummary, StatementTotals } from "./types.js";

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
  csv(): NodeJS.ReadableStream;
  lines(): AsyncIterable<StatementLine>;
  dispose(): void;
}

export async function prepareStatement(
  q: StatementQueries, committee: Committee, campaign: Campaign, opts: StatementOptions,
): Promise<PreparedStatement> {
  const pub = opts.publication;
  const position = pub ? { seq: pub.headSeq, hash: pub.headHash } : await q.head(committee.id);
  const verifiedOnly = pub ? true : opts.verifiedOnly ?? false;
  const vseqMax = pub?.vseq;
  const range = await q.dateRange(campaign, position.seq);
  const from = opts.from ? parseIsoDate(opts.from, "from") : min(campaign.startsOn, range.first);
  const to = opts.to ? parseIsoDate(opts.to, "to") : max(campaign.startsOn, range.last);
  if (from > to) fail("invalid_date", `from (${from}) is after to (${to})`, "from");
  const header: StatementHeader = {
    committee: { code: committee.code, name: committee.name },
    campaign: {
      code: campaign.code, name: campaign.name, kind: campaign.kind, startsOn: campaign.startsOn, endsOn: campaign.endsOn,
      targetDong: campaign.targetDong,
    },
    from, to, audience: opts.audience, verifiedOnly,
    openingDong: await q.assetSum(campaign, position.seq, { before: from }, verifiedOnly, vseqMax),
    position,
  };
  const rows = () => statementRows(q.rows(campaign, position.seq, from, to, verifiedOnly, vseqMax), header);
  const lines = async function* () {
    for await (const { line } of rows()) yield line;
  };

  const dir = mkdtempSync(path.join(tmpdir(), "soquy-statement-"));
  const file = path.join(dir, "statement.csv");
  const dispose = () => rmSync(dir, { recursive: true, force: true });
  try {
    const hash = createHash("sha256");
    const out = createWriteStream(file);
    let bytes = 0;
    // Lines are gathered into ~64 KB pieces: a million small writes and hash updates cost seconds.
    let pending = "";
    const flush = async () => {
      const chunk = Buffer.from(pending, "utf8");
      pending = "";
      hash.update(chunk);
      bytes += chunk.length;
      if (!out.write(chunk)) await once(out, "drain");
    };
    const write = async (s: string) => {
      pending += s;
      if (pending.length >= 65_536) await flush();
    };
    const summary = new SummaryBuilder();
    const totals: StatementTotals = { lines: 0, inDong: 0n, outDong: 0n, closingDong: header.openingDong };
    await write(csvHeader() + csvOpening(header));
    for await (const { line, raw } of rows()) {
      totals.lines++;
      totals.inDong += line.inDong;
      totals.outDong += line.outDong;
      totals.closingDong = line.balanceDong;
      summary.add(line, raw);
      await write(csvLine(line));
    }
    const expected = await q.assetSum(campaign, position.seq, { through: to }, verifiedOnly, vseqMax);
    assert(header.openingDong + totals.inDong - totals.outDong === totals.closingDong, "opening + in − out = closing");
    assert(totals.closingDong === expected, `statement closing ${totals.closingDong} equals the ledger's ${expected}`);
    await write(csvClosing(header, totals));
    await flush();
    out.end();
    await once(out, "finish");
    return {
      header, totals, summary: summary.result(), digest: hash.digest("hex"), csvBytes: bytes,
      csv: () => createReadStream(file), lines, dispose,
    };
  } catch (error) {
    dispose();
    throw error;
  }
}

/** Merges the rows of one entry (one per asset posting) into one. */
async function* perEntry(rows: AsyncIterable<StatementRowRaw>): AsyncIterable<{ r: StatementRowRaw; inDong: bigint; outDong: bigint }> {
  let current: { r: StatementRowRaw; inDong: bigint; outDong: bigint } | null = null;
  for await (const r of rows) {
    if (current && current.r.seq === r.seq) {
      current.inDong += BigInt(r.in_dong);
      current.outDong += BigInt(r.out_dong);
      continue;
    }
    if (current) yield current;
    current = { r, inDong: BigInt(r.in_dong), outDong: BigInt(r.out_dong) };
  }
  if (current) yield current;
}

async function* statementRows(rows: AsyncIterable<StatementRowRaw>, h: StatementHeader): AsyncIterable<{ line: StatementLine; raw: StatementRowRaw }> {
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
      description: describe(r.description, party, h.audience),
      counterparty: counterparty(party, h.audience),
      inDong,
      outDong,
      balanceDong: balance,
      quantity: r.quantity,
      unit: r.unit,
      verified: r.verified,
      hash: r.hash,
    };
    yield { line, raw: r };
  }
}

type Keyed = { key: string; amountDong: bigint; count: number };

class SummaryBuilder {
  private readonly received = { cash: 0n, bank: 0n, in_kind: 0n };
  private readonly purpose = new Map<string, Keyed>();
  private readonly category = new Map<string, Keyed>();
  private readonly area = new Map<string, Keyed>();
  private readonly units = new Map<string, { unit: string; direction: "in" | "out"; milli: bigint; valueDong: bigint }>();
  private readonly months = new Map<string, { month: string; inDong: bigint; outDong: bigint }>();

  add(line: StatementLine, r: StatementRowRaw): void {
    const sign = line.kind === "reversal" ? -1 : 1;
    const net = line.inDong - line.outDong;
    if (r.donor_name !== null && r.method) this.received[r.method] += net;
    if (r.beneficiary_name !== null) {
      for (const [map, key] of [[this.purpose, r.purpose], [this.category, r.category], [this.area, r.area]] as const) {
        const k = key ?? "other";
        const e = map.get(k) ?? { key: k, amountDong: 0n, count: 0 };
        e.amountDong -= net;
        e.count += sign;
        map.set(k, e);
      }
    }
    if (line.unit && line.quantity) {
      const direction = r.donor_name !== null ? "in" : "out";
      const k = `${direction}\u0000${line.unit}`;
      const e = this.units.get(k) ?? { unit: line.unit, direction, milli: 0n, valueDong: 0n };
      e.milli += BigInt(sign) * milli(line.quantity);
      e.valueDong += direction === "in" ? net : -net;
      this.units.set(k, e);
    }
    const month = line.documentDate.slice(0, 7);
    const m = this.months.get(month) ?? { month, inDong: 0n, outDong: 0n };
    m.inDong += line.inDong;
    m.outDong += line.outDong;
    this.months.set(month, m);
  }

  result(): StatementSummary {
    const sorted = (m: Map<string, Keyed>) => [...m.values()].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
    return {
      receivedByMethod: { ...this.received },
      disbursedByPurpose: sorted(this.purpose),
      disbursedByCategory: sorted(this.category),
      disbursedByArea: sorted(this.area),
      quantitiesByUnit: [...this.units.values()]
        .sort((a, b) => (a.direction + a.unit < b.direction + b.unit ? -1 : 1))
        .map((u) => ({ unit: u.unit, direction: u.direction, quantity: fromMilli(u.milli), valueDong: u.valueDong })),
      byMonth: [...this.months.values()].sort((a, b) => (a.month < b.month ? -1 : 1)),
    };
  }
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

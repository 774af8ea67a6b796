import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import { pipeline } from "node:stream/promises";
import type { Knex } from "knex";
import { SAOKE_CSV_HEADER, saokeCsvRow } from "../../reports/saoke.js";
import { SaokeQueries, type DayRow, type MatchRow, type PendingImport, type PublishedLine, type SaokeFile, type SaokeLineRow, type SaokeState } from "../db/saoke.js";
import { fail } from "../ledger/codes.js";
import { parseIsoDate } from "../ledger/dates.js";
import { maskText } from "../ledger/mask.js";
import { encodeCursor, lineWords, parseSearch, publicMemo, publicReference, saokeMessages, TOTALS_CAP, type Lang, type Search, type SearchInput } from "../ledger/saoke.js";
import type { Principal } from "../ledger/types.js";
import { KeptFiles } from "./keptfiles.js";

// The public sao kê (issue 25): a campaign's bank lines published as the bank printed them, by the
// committee's decision, searchable by anyone, downloadable as CSV, reconciled day by day with the
// verified ledger.
//
// Freshness: a publisher copies the lines of each new import of a published campaign into their
// public form (masked memo and reference, words to search by) and then makes the campaign's day
// figures and file digests again, shows the import (saoke_files 'all'.through_import) and so bumps
// the committee's public generation. It runs every few seconds in every service process and right
// after an import in this one; an import by the CLI in another process is shown by the next round.
// Several processes may copy the same import: each line goes in once, and the figures shown never go
// back to an earlier import. Withdrawing needs no copying: every public answer reads the decision in
// force first.

const COPY_BATCH = 2_000;
/** Reversals before the newest one seen that are looked at again (one may commit after a later one began). */
const REVERSAL_MARGIN = 50;
const AWAITING_KEPT = 200;

export interface SaokeView extends SaokeState {
  decision: NonNullable<SaokeState["decision"]>;
}

export interface SearchResult {
  search: Search;
  items: PublishedLine[];
  next: string | null;
  /** Totals of everything the search matches, or null with a note when it matches more than TOTALS_CAP lines. */
  totals: { count: number; creditsDong: bigint; debitsDong: bigint } | null;
  note: string | null;
}

export interface DayFigures {
  date: string;
  accounts: string[];
  openingDong: bigint | null;
  credits: number;
  creditsDong: bigint;
  debits: number;
  debitsDong: bigint;
  closingDong: bigint | null;
  printedClosingDong: bigint | null;
  /** Lines of the bank accounts that are not this campaign's (another campaign's import): 0 for an account of its own. */
  otherDong: bigint;
  ledgerDong: bigint;
  differenceDong: bigint;
  toClassify: number;
  toClassifyDong: bigint;
  awaitingDong: bigint;
  elsewhereDong: bigint;
  file: SaokeFile | null;
}

export interface Reconciliation {
  publication: number;
  days: DayFigures[];
  totals: Omit<DayFigures, "date" | "accounts" | "openingDong" | "closingDong" | "printedClosingDong" | "file">;
}

const TEXT = {
  vi: {
    committee: (c: string) => `Không có ủy ban ${c}.`,
    campaign: (c: string) => `Không có cuộc vận động ${c}.`,
    unpublished: "Ủy ban chưa quyết định công khai sao kê của cuộc vận động này, hoặc đã rút quyết định.",
    day: (d: string) => `Sao kê không có dòng nào ngày ${d}.`,
    dayFormat: "day: ngày viết theo dạng YYYY-MM-DD, ví dụ 2024-09-12.",
  },
  en: {
    committee: (c: string) => `No committee ${c}.`,
    campaign: (c: string) => `No campaign ${c}.`,
    unpublished: "The committee has not decided to publish this campaign's bank statement, or has withdrawn the decision.",
    day: (d: string) => `The statement has no line on ${d}.`,
    dayFormat: "day: a date is written YYYY-MM-DD, e.g. 2024-09-12.",
  },
} as const;

export class SaokeService {
  readonly queries: SaokeQueries;
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<number> | null = null;
  private again = false;
  private warned = false;
  private readonly awaiting = new Map<number, { key: string; value: Promise<Map<string, bigint>> }>();
  private readonly states = new Map<string, { at: number; value: Promise<SaokeState | null> }>();
  /** Downloads made once from the database and then served from a file, by digest: a slow reader holds no connection. */
  /** The newest bank import reversal whose lines this process has taken out of the sao kê. */
  private reversalsSeen = 0;
  private readonly files = new KeptFiles<null>({ prefix: "soquy-saoke-", maxBytes: 512 * 1024 * 1024 });

  /**
   * everyMs: how often the publisher looks for new imports. stateMs: how long a campaign's decision and
   * shown import are trusted without asking the database, as the kept public answers trust the public
   * generation (PUBLIC_CACHE_CHECK_MS): a decision made in this process is seen at once, one made in
   * another within that time.
   */
  constructor(knex: Knex, private readonly everyMs = 3_000, private readonly stateMs = 0) {
    this.queries = new SaokeQueries(knex);
  }

  // ---- the decision ------------------------------------------------------------------------

  /** Records an approver's decision to publish or withdraw; the same decision again records nothing new. */
  async decide(p: Principal, campaignCode: string, input: { publish: boolean; resolutionRef: string }): Promise<{ decision: NonNullable<SaokeState["decision"]>; created: boolean }> {
    if (p.role !== "approver" || p.personRole !== "approver") {
      fail("forbidden", "only an approver decides to publish or withdraw a campaign's bank statement, never an admin or an integration token of one");
    }
    const ref = input.resolutionRef.normalize("NFC").replace(/\s+/g, " ").trim();
    if (ref.length < 1 || ref.length > 200) fail("validation_failed", "resolutionRef: the committee's decision that publishes or withdraws (e.g. Quyết định số 12/QĐ-MTTQ), 1 to 200 characters", "resolutionRef");
    if (maskText(ref) !== ref) fail("validation_failed", "resolutionRef is shown to the public: it may not hold a phone, account or ID number or an e-mail address", "resolutionRef");
    const state = await this.queries.state(p.committeeCode, campaignCode);
    if (!state) fail("campaign_not_found", `no campaign ${campaignCode}`, "code");
    const current = state.decision;
    if (current && current.publish === input.publish && current.resolutionRef === ref) return { decision: current, created: false };
    await this.queries.insertDecision({ committeeId: p.committeeId, campaignId: state.campaign.id, publish: input.publish, resolutionRef: ref, tokenId: p.tokenId, personId: p.personId });
    this.states.clear();
    if (input.publish) this.poke();
    const after = (await this.queries.state(p.committeeCode, campaignCode))!;
    return { decision: after.decision!, created: true };
  }

  /** The campaign's state and decisions, for the committee's own people. */
  async history(committeeCode: string, campaignCode: string) {
    const state = await this.queries.state(committeeCode, campaignCode);
    if (!state) fail("campaign_not_found", `no campaign ${campaignCode}`, "code");
    return { state, decisions: await this.queries.decisions(state.campaign.id) };
  }

  async publishedCampaigns(committeeId: number): Promise<Set<string>> {
    return this.queries.publishedCampaigns(committeeId);
  }

  // ---- the public side ---------------------------------------------------------------------

  /** A campaign whose sao kê is published now; otherwise a 404 that says why, in the caller's language. */
  async view(committeeCode: string, campaignCode: string, lang: Lang): Promise<SaokeView> {
    const state = await this.state(committeeCode, campaignCode);
    if (!state) {
      const committee = await this.queries.knex("committees").where({ code: committeeCode }).first("id");
      if (!committee) fail("committee_not_found", TEXT[lang].committee(committeeCode), "committee");
      fail("campaign_not_found", TEXT[lang].campaign(campaignCode), "code");
    }
    if (!state.decision?.publish) fail("saoke_not_published", TEXT[lang].unpublished, "code");
    return state as SaokeView;
  }

  async search(v: SaokeView, input: SearchInput, lang: Lang): Promise<SearchResult> {
    const search = parseSearch(input, lang);
    const through = v.throughImport;
    const datesOnly = search.tsquery === null && search.amountDong === null && search.minDong === null && search.maxDong === null;
    if (!datesOnly) {
      // Every line matched, to TOTALS_CAP: its keys and amounts, then the page in the bank's order from them.
      const matched = await this.queries.matches(v.campaign.id, through, search, TOTALS_CAP);
      if (matched.length <= TOTALS_CAP) return this.fromMatches(v, search, matched);
      // More: words that many lines hold are too vague to list; amounts alone list in the bank's order by an index.
      if (search.tsquery !== null) fail("query_too_broad", saokeMessages(lang).vagueWords, "q");
    }
    const rows = await this.queries.page(v.campaign.id, through, search);
    const items = rows.slice(0, search.limit);
    const last = items[items.length - 1];
    const next = rows.length > search.limit && last
      ? encodeCursor({ date: last.date, importId: Number(last.importId), lineNo: last.lineNo }, search.key) : null;
    const totals = datesOnly ? await this.queries.dayTotals(v.campaign.id, search.from, search.to) : null;
    return { search, items, next, totals, note: totals === null ? saokeMessages(lang).vague : null };
  }

  private async fromMatches(v: SaokeView, search: Search, matched: MatchRow[]): Promise<SearchResult> {
    let creditsDong = 0n, debitsDong = 0n;
    for (const m of matched) {
      if (m.direction === "C") creditsDong += m.amountDong;
      else debitsDong += m.amountDong;
    }
    const order = (a: MatchRow, b: MatchRow) => (a.date < b.date ? -1 : a.date > b.date ? 1 : a.importId - b.importId || a.lineNo - b.lineNo);
    const a = search.after;
    const rest = matched.sort(order).filter((m) => !a || m.date > a.date || (m.date === a.date && (m.importId > a.importId || (m.importId === a.importId && m.lineNo > a.lineNo))));
    const page = rest.slice(0, search.limit);
    const items = await this.queries.linesAt(v.campaign.id, page);
    const last = page[page.length - 1];
    const next = rest.length > search.limit && last ? encodeCursor(last, search.key) : null;
    return { search, items, next, totals: { count: matched.length, creditsDong, debitsDong }, note: null };
  }

  private state(committeeCode: string, campaignCode: string): Promise<SaokeState | null> {
    if (this.stateMs <= 0) return this.queries.state(committeeCode, campaignCode);
    const key = `${committeeCode}/${campaignCode}`;
    const kept = this.states.get(key);
    if (kept && Date.now() - kept.at < this.stateMs) return kept.value;
    const value = this.queries.state(committeeCode, campaignCode);
    // Only what exists is kept: asking for made-up codes grows nothing.
    value.then((v) => (v ? this.states.set(key, { at: Date.now(), value }) : this.states.delete(key)), () => this.states.delete(key));
    if (this.states.size > 1_000) this.states.clear();
    return value;
  }

  /** The day-by-day table: the bank's figures beside the verified ledger's, each difference explained. */
  async reconciliation(v: SaokeView): Promise<Reconciliation> {
    const id = v.campaign.id;
    const [bank, files, ledger, publication] = await Promise.all([
      this.queries.days(id), this.queries.files(id), this.queries.ledgerDays(id), this.queries.publication(v.committee.id),
    ]);
    const awaiting = await this.awaitingAt(id, v.throughImport, publication);
    const fileOf = new Map(files.map((f) => [f.scope, f]));
    const byDate = new Map<string, DayRow[]>();
    for (const d of bank) byDate.set(d.date, [...(byDate.get(d.date) ?? []), d]);
    const first = bank[0]?.date, last = bank[bank.length - 1]?.date;
    // Ledger movements on days the bank shows no line (within the statement's days) belong in the table too.
    if (first && last) for (const date of ledger.keys()) if (date >= first && date <= last && !byDate.has(date)) byDate.set(date, []);
    const days = [...byDate.keys()].sort().map((date) => dayFigures(date, byDate.get(date)!, ledger.get(date) ?? 0n, awaiting.get(date) ?? 0n, fileOf.get(date) ?? null));
    return { publication, days, totals: totalsOf(days) };
  }

  /** What awaits verification per day, worked out once per publication and import shown (a pass over the campaign's lines). */
  private awaitingAt(campaignId: number, through: number, publication: number): Promise<Map<string, bigint>> {
    const key = `${publication}:${through}`;
    const kept = this.awaiting.get(campaignId);
    if (kept?.key === key) return kept.value;
    const value = this.queries.awaitingDays(campaignId, through);
    value.catch(() => this.awaiting.delete(campaignId));
    this.awaiting.delete(campaignId);
    this.awaiting.set(campaignId, { key, value });
    if (this.awaiting.size > AWAITING_KEPT) this.awaiting.delete(this.awaiting.keys().next().value!);
    return value;
  }

  async imports(v: SaokeView) {
    return this.queries.imports(v.all?.imports ?? []);
  }

  /** The whole published sao kê, or one day of it, as CSV: its file (digest, size, imports) and how to write it. */
  async csv(v: SaokeView, day: string | undefined, lang: Lang): Promise<{ file: SaokeFile; write(dest: NodeJS.WritableStream): Promise<void> }> {
    let scope = "all";
    if (day !== undefined) {
      try {
        scope = parseIsoDate(day, "day");
      } catch {
        fail("validation_failed", TEXT[lang].dayFormat, "day");
      }
    }
    const file = scope === "all" ? v.all : await this.queries.file(v.campaign.id, scope);
    if (!file && scope !== "all") fail("not_found", TEXT[lang].day(scope), "day");
    const shown = file ?? { scope, throughImport: 0, imports: [], lines: 0, bytes: Buffer.byteLength(SAOKE_CSV_HEADER), sha256: sha256(SAOKE_CSV_HEADER), creditsDong: 0n, debitsDong: 0n, updatedAt: "" };
    return {
      file: shown,
      write: async (dest) => {
        const day = scope === "all" ? null : scope;
        const kept = await this.files.get(shown.sha256, async (partial) => {
          const out = createWriteStream(partial, { mode: 0o600 });
          await this.writeCsv(v.campaign.id, shown, day, out);
          return { bytes: shown.bytes, facts: null };
        });
        const handle = await this.files.open(shown.sha256, kept);
        if (!handle) return this.writeCsv(v.campaign.id, shown, day, dest); // pushed out at once by other downloads: made for this reader alone
        await pipeline(handle.createReadStream({ highWaterMark: 256 * 1024 }), dest).catch((error: unknown) => {
          if ((error as { code?: string }).code === "ERR_STREAM_PREMATURE_CLOSE") throw new ReaderGone("the reader closed the download before its end");
          throw error;
        });
      },
    };
  }

  private async writeCsv(campaignId: number, file: SaokeFile, day: string | null, dest: NodeJS.WritableStream): Promise<void> {
    const hash = createHash("sha256");
    const out = new Backpressure(dest);
    try {
      hash.update(SAOKE_CSV_HEADER);
      await out.write(SAOKE_CSV_HEADER);
      for await (const batch of this.queries.lines(campaignId, file.throughImport, day)) {
        let text = "";
        for (const l of batch) text += saokeCsvRow(csvLine(l));
        hash.update(text);
        await out.write(text);
      }
      await out.end();
    } finally {
      out.dispose();
    }
    // The digest was made from the same lines by the same rows: a difference is a bug to see in the log.
    if (hash.digest("hex") !== file.sha256) throw new Error(`the sao kê CSV of campaign ${campaignId} (${file.scope}) did not match its digest`);
  }

  // ---- the publisher -----------------------------------------------------------------------

  start(): void {
    if (this.timer) return;
    this.timer = setInterval(() => this.poke(), this.everyMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.again = false;
    while (this.running) await this.running.catch(() => 0);
    this.files.close();
  }

  /** Starts a round now (or another after the one running): an import just finished, or a campaign was just published. */
  poke(): void {
    this.next().catch((error: unknown) => {
      if (!this.warned) {
        this.warned = true;
        console.warn(`soquy: publishing the sao kê of a new import failed (it is tried again every few seconds): ${error instanceof Error ? error.message : String(error)}`);
      }
    });
  }

  /** One round at a time: a poke during a round asks for another after it. */
  private next(): Promise<number> {
    if (this.running) {
      this.again = true;
      return this.running;
    }
    const round = this.round().finally(() => {
      this.running = null;
      if (this.again) {
        this.again = false;
        this.poke();
      }
    });
    this.running = round;
    return round;
  }

  /** Runs rounds until nothing is left to publish; how many imports it showed. */
  async settle(): Promise<number> {
    let shown = 0;
    for (;;) {
      if (this.running) {
        await this.running.catch(() => 0);
        continue;
      }
      const n = await this.next();
      shown += n;
      if (n === 0 && !this.running) return shown;
    }
  }

  /**
   * Takes out the lines reversals released, copies every pending import of each published campaign, then shows
   * them; how many imports it showed. A campaign whose copy fails is tried again next round and holds up no other.
   */
  async round(): Promise<number> {
    const withdrawn = await this.withdrawReleased();
    const pending = await this.queries.pendingImports();
    const byCampaign = new Map<number, PendingImport[]>();
    for (const imp of pending) byCampaign.set(imp.campaignId, [...(byCampaign.get(imp.campaignId) ?? []), imp]);
    let failure: unknown = null;
    for (const imports of byCampaign.values()) {
      try {
        for (const imp of imports) await this.copy(imp);
        const last = imports[imports.length - 1]!;
        await this.show(last.committeeId, last.campaignId, last.id);
      } catch (error) {
        failure ??= error;
      }
    }
    for (const w of withdrawn) if (!byCampaign.has(w.campaignId)) await this.show(w.committeeId, w.campaignId, w.through);
    if (failure) throw failure;
    return pending.length + withdrawn.length;
  }

  /**
   * The published lines of reversed imports, taken out. Reversals are looked for after the newest one seen less a
   * margin: one that committed after a later one began is still found, and taking out is idempotent.
   */
  private async withdrawReleased(): Promise<{ campaignId: number; committeeId: number; through: number }[]> {
    const last = await this.queries.lastReversal();
    if (last <= this.reversalsSeen) return [];
    const withdrawn = await this.queries.withdrawReleased(Math.max(0, this.reversalsSeen - REVERSAL_MARGIN));
    this.reversalsSeen = last;
    return withdrawn;
  }

  private async copy(imp: PendingImport): Promise<void> {
    if (imp.firstDate === null) return; // an import that read no line
    let after: { date: string; key: Buffer } | null = null;
    for (;;) {
      const lines = await this.queries.importLines(imp, after, COPY_BATCH);
      if (lines.length === 0) return;
      const rows: SaokeLineRow[] = lines.map((line) => {
        const memo = publicMemo(line.memo);
        const reference = publicReference(line.doc_ref);
        return { campaignId: imp.campaignId, committeeId: imp.committeeId, bankAccountId: imp.bankAccountId, line, reference, memo, words: lineWords(memo, reference) };
      });
      await this.queries.insertLines(rows);
      const end = lines[lines.length - 1]!;
      after = { date: end.entry_date, key: end.line_key };
    }
  }

  /** The campaign's day figures and files made again up to an import, which the public side then shows. */
  private async show(committeeId: number, campaignId: number, through: number): Promise<void> {
    const days = await this.queries.bankDays(campaignId, through);
    const files = await this.digests(campaignId, through);
    await this.queries.writeDaysAndFiles(committeeId, campaignId, days, files);
    this.states.clear();
  }

  /** The digest, size and sums of the whole CSV and of each day's, in one pass over the lines. */
  private async digests(campaignId: number, through: number): Promise<Omit<SaokeFile, "updatedAt">[]> {
    const whole = new FileDigest("all", through);
    const out: Omit<SaokeFile, "updatedAt">[] = [];
    let day: FileDigest | null = null;
    for await (const batch of this.queries.lines(campaignId, through, null)) {
      for (const l of batch) {
        if (day?.scope !== l.date) {
          if (day) out.push(day.result());
          day = new FileDigest(l.date, through);
        }
        const row = saokeCsvRow(csvLine(l));
        day.add(row, l);
        whole.add(row, l);
      }
    }
    if (day) out.push(day.result());
    out.push(whole.result());
    return out;
  }
}

/** A day of the table: the bank's figures over the campaign's accounts beside the ledger's, the difference explained. */
function dayFigures(date: string, rows: DayRow[], ledgerDong: bigint, awaitingDong: bigint, file: SaokeFile | null): DayFigures {
  const add = (f: (d: DayRow) => bigint) => rows.reduce((a, d) => a + f(d), 0n);
  const count = (f: (d: DayRow) => number) => rows.reduce((a, d) => a + f(d), 0);
  // A balance is known only when it is known for every account.
  const balance = (f: (d: DayRow) => bigint | null) => (rows.length && rows.every((d) => f(d) !== null) ? add((d) => f(d)!) : null);
  const creditsDong = add((d) => d.creditsDong), debitsDong = add((d) => d.debitsDong), toClassifyDong = add((d) => d.toClassifyDong);
  const differenceDong = creditsDong - debitsDong - ledgerDong;
  return {
    date, accounts: rows.map((d) => maskText(d.accountNo)), openingDong: balance((d) => d.openingDong), credits: count((d) => d.credits), creditsDong,
    debits: count((d) => d.debits), debitsDong, closingDong: balance((d) => d.closingDong), printedClosingDong: balance((d) => d.printedClosingDong),
    otherDong: add((d) => d.otherDong), ledgerDong, differenceDong, toClassify: count((d) => d.toClassify), toClassifyDong, awaitingDong,
    // The rest: lines of this day the ledger records on another day, and ledger entries on the bank account no line of this day records.
    elsewhereDong: differenceDong + toClassifyDong - awaitingDong,
    file,
  };
}

function totalsOf(days: DayFigures[]): Reconciliation["totals"] {
  const add = (f: (d: DayFigures) => bigint) => days.reduce((a, d) => a + f(d), 0n);
  const count = (f: (d: DayFigures) => number) => days.reduce((a, d) => a + f(d), 0);
  return {
    credits: count((d) => d.credits), creditsDong: add((d) => d.creditsDong), debits: count((d) => d.debits), debitsDong: add((d) => d.debitsDong),
    otherDong: add((d) => d.otherDong), ledgerDong: add((d) => d.ledgerDong), differenceDong: add((d) => d.differenceDong),
    toClassify: count((d) => d.toClassify), toClassifyDong: add((d) => d.toClassifyDong), awaitingDong: add((d) => d.awaitingDong),
    elsewhereDong: add((d) => d.elsewhereDong),
  };
}

const maskedAccounts = new Map<string, string>();

/** A line for the CSV: its account masked (once per account: a statement has one or two). */
function csvLine(l: PublishedLine) {
  let account = maskedAccounts.get(l.bankAccount);
  if (account === undefined) {
    account = maskText(l.bankAccount);
    if (maskedAccounts.size > 10_000) maskedAccounts.clear();
    maskedAccounts.set(l.bankAccount, account);
  }
  return { ...l, bankAccount: account };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

class FileDigest {
  private readonly hash = createHash("sha256").update(SAOKE_CSV_HEADER);
  private bytes = Buffer.byteLength(SAOKE_CSV_HEADER);
  private lines = 0;
  private credits = 0n;
  private debits = 0n;
  private readonly imports = new Set<number>();

  constructor(readonly scope: string, private readonly through: number) {}

  add(row: string, l: PublishedLine): void {
    this.hash.update(row);
    this.bytes += Buffer.byteLength(row);
    this.lines++;
    if (l.direction === "C") this.credits += BigInt(l.amountDong);
    else this.debits += BigInt(l.amountDong);
    this.imports.add(Number(l.importId));
  }

  result(): Omit<SaokeFile, "updatedAt"> {
    return {
      scope: this.scope, throughImport: this.through, imports: [...this.imports].sort((a, b) => a - b), lines: this.lines, bytes: this.bytes,
      sha256: this.hash.digest("hex"), creditsDong: this.credits, debitsDong: this.debits,
    };
  }
}

/** The reader of a download went away before its end: nothing to report. */
export class ReaderGone extends Error {
  override name = "ReaderGone";
}

/** Writes to a stream, waiting while it is behind, and stops when it closes early (the reader went away). */
class Backpressure {
  private closed: Error | null = null;
  private wake: (() => void) | null = null;
  private readonly onClose = () => {
    this.closed = new ReaderGone("the reader closed the download before its end");
    this.wake?.();
  };
  private readonly onDrain = () => this.wake?.();

  constructor(private readonly dest: NodeJS.WritableStream) {
    dest.on("close", this.onClose);
    dest.on("error", this.onClose);
    dest.on("drain", this.onDrain);
  }

  async write(text: string): Promise<void> {
    if (this.closed) throw this.closed;
    if (this.dest.write(text)) return;
    await new Promise<void>((resolve) => (this.wake = resolve));
    this.wake = null;
    if (this.closed) throw this.closed;
  }

  async end(): Promise<void> {
    if (this.closed) throw this.closed;
    await new Promise<void>((resolve) => this.dest.end(resolve));
  }

  dispose(): void {
    this.dest.off("close", this.onClose);
    this.dest.off("error", this.onClose);
    this.dest.off("drain", this.onDrain);
  }
}

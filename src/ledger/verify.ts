import { canonicalEntry, chainHash } from "./canonical.js";
import { donorKeyAllowed } from "./donors.js";
import type { EntryLinks, LedgerStore } from "./store.js";
import { GENESIS_HASH, type CommittedEntry } from "./types.js";

// Walks a committee's chain in sequence order and recomputes every hash in
// TypeScript. Any change to a stored row (entry, posting, voucher, donation,
// item, disbursement) breaks the chain from that entry on; a donation pointed
// at a donor its content does not name (src/ledger/donors.ts) breaks it too. It also adds up
// the postings per account and compares them with the kept balances, which
// the ledger's balance checks trust.
export interface ChainReport {
  ok: boolean;
  checked: number;
  headSeq: number;
  headHash: string;
  firstBrokenSeq: number | null;
  reason: string | null;
}

/**
 * A chain head vouched for from outside the database (a signed checkpoint):
 * the chain must still hold that entry with that hash. This is what catches
 * the newest entries being deleted, which the chain alone cannot show.
 */
export interface Anchor {
  label: string; // "checkpoint #3"
  seq: number;
  hash: string;
  /** False when the anchor's own signature does not hold: it cannot be trusted, and that is reported. */
  signatureOk: boolean;
  /** Something wrong with the anchors themselves (a number missing from a committee's checkpoints). */
  problem?: string | undefined;
}

export interface VerifyOptions {
  /** Called as the walk goes on (about every few thousand entries), with the last sequence read. */
  progress?: (seq: number) => void;
}

export async function verifyChain(store: LedgerStore, committeeId: number, anchors: Anchor[] = [], opts: VerifyOptions = {}): Promise<ChainReport> {
  let prev = { seq: 0, hash: GENESIS_HASH };
  let checked = 0;
  let broken: { seq: number; reason: string } | null = null;
  let linkBreak: { seq: number; reason: string } | null = null;
  const sums = new Map<number, bigint>();
  const anchored = new Map(anchors.map((a) => [a.seq, null as string | null]));
  // The kept public figures are checked by the database meanwhile: its own reading of the published entries,
  // while this process hashes.
  const published = store.publicFiguresMismatch(committeeId);
  published.catch(() => undefined); // awaited below
  let told = 0;
  // Settled before any answer, a failed walk's too: nothing of this verify runs on after it has answered.
  const walked = store.walkChain(committeeId, (e, links) => {
    for (const p of e.postings) sums.set(p.account.id, (sums.get(p.account.id) ?? 0n) + p.amountDong);
    if (anchored.has(e.seq)) anchored.set(e.seq, e.hash);
    if (opts.progress && ++told % 5000 === 0) opts.progress(e.seq);
    if (!linkBreak) {
      const reason = linkProblem(e, links);
      if (reason) linkBreak = { seq: e.seq, reason };
    }
    if (broken) return;
    const reason = checkLink(e, prev);
    checked++;
    if (reason) broken = { seq: e.seq, reason };
    prev = { seq: e.seq, hash: e.hash };
  });
  await walked.finally(() => published.catch(() => undefined));
  const chainBreak = broken as { seq: number; reason: string } | null;
  const firstLink = linkBreak as { seq: number; reason: string } | null;
  const b = firstLink && (!chainBreak || firstLink.seq < chainBreak.seq) ? firstLink : chainBreak;
  const report = { checked, headSeq: prev.seq, headHash: prev.hash };
  const figures = await published;
  if (b) return { ok: false, ...report, firstBrokenSeq: b.seq, reason: b.reason };
  for (const a of anchors) {
    if (a.problem) return { ok: false, ...report, firstBrokenSeq: null, reason: a.problem };
    if (!a.signatureOk) return { ok: false, ...report, firstBrokenSeq: null, reason: `${a.label}: its signature does not match its contents` };
    if (a.seq === 0) continue;
    const found = anchored.get(a.seq) ?? null;
    if (found === null) {
      return { ok: false, ...report, firstBrokenSeq: prev.seq + 1, reason: `${a.label} signed sequence ${a.seq}, but the ledger ends at ${prev.seq}: entries were removed` };
    }
    if (found !== a.hash) return { ok: false, ...report, firstBrokenSeq: a.seq, reason: `entry ${a.seq} is not the one ${a.label} signed` };
  }
  for (const { account, balanceDong } of await store.listAccounts(committeeId)) {
    const sum = sums.get(account.id) ?? 0n;
    if (sum !== balanceDong) {
      return { ok: false, ...report, firstBrokenSeq: null, reason: `balance of ${account.code} is ${balanceDong} but its postings sum to ${sum}` };
    }
  }
  // The public figures are kept sums: they must equal what the published entries add up to.
  if (figures) return { ok: false, ...report, firstBrokenSeq: null, reason: figures };
  return { ok: true, ...report, firstBrokenSeq: null, reason: null };
}

function checkLink(e: CommittedEntry, prev: { seq: number; hash: string }): string | null {
  if (e.seq !== prev.seq + 1) return `sequence ${prev.seq + 1} is missing (next found: ${e.seq})`;
  if (e.prevHash !== prev.hash) return "prev_hash is not the hash of the previous entry";
  if (e.postings.length < 2) return "fewer than two postings";
  if (e.postings.reduce((s, p) => s + p.amountDong, 0n) !== 0n) return "postings do not sum to zero";
  if (chainHash(e.prevHash, canonicalEntry(e)) !== e.hash) return "hash does not match the entry's content";
  if (e.donation && !donorMatches(e)) return "its donation row does not match the entry (committee, campaign or donor)";
  return null;
}

/** The donor a donation counts under (not covered by the hash) is one its content names: same kind, a key its name allows. */
function donorMatches(e: CommittedEntry): boolean {
  const r = e.donorIdentity;
  return r !== null && r.kind === e.donation!.donorKind && donorKeyAllowed(e, r.key, r.phone ?? null);
}

/**
 * The first stored link of an entry that disagrees with what its hash covers: rows of another committee, a detail
 * moved to another campaign, a voucher number its book, year and number do not spell, approvals not matching its
 * postings, a donor or household row not matching the hashed name and kind.
 */
export function linkProblem(e: CommittedEntry, l: EntryLinks): string | null {
  const c = e.committeeId;
  const campaigns = new Set(e.postings.map((p) => p.account.campaignId).filter((id) => id !== null));
  if (e.requiredApprovals !== (campaigns.size >= 2 ? 2 : 1) || (e.requiredApprovals === 2 && e.resolutionRef === null)) {
    return "required approvals do not match its postings";
  }
  if (l.postings.some((p) => p.committeeId !== c || p.accountCommitteeId !== c)) return "a posting belongs to another committee";
  if (l.campaignCommitteeId !== null && l.campaignCommitteeId !== c) return "its campaign belongs to another committee";
  const d = l.donation;
  if (d && (d.committeeId !== c || d.campaignId !== (e.campaign?.id ?? null) || d.donorCommitteeId !== c
    || (d.donorKind !== null && d.donorKind !== e.donation!.donorKind))) {
    return "its donation row does not match the entry (committee, campaign or donor)";
  }
  const x = l.disbursement;
  if (x) {
    const b = x.beneficiary, paid = e.disbursement!;
    if (x.committeeId !== c || x.campaignId !== (e.campaign?.id ?? null) || b === null || b.committeeId !== c
      || b.name !== paid.beneficiaryName || b.category !== paid.category || b.area !== paid.area) {
      return "its disbursement row does not match the entry (committee, campaign or household)";
    }
  }
  if (l.itemCommitteeIds.some((id) => id !== c)) return "an item belongs to another committee";
  const v = l.voucher;
  if (v) {
    const book = v.book;
    // lpad cuts a longer number to six digits, as the database spells it.
    const spelled = book && `${book.code === book.series ? book.series : `${book.series}-${book.code}`}-${v.year}-${String(v.number).padStart(6, "0").slice(0, 6)}`;
    if (v.committeeId !== c || book === null || book.committeeId !== c || v.voucherNo !== spelled) {
      return "the book, year or number of its voucher does not spell its voucher number";
    }
  }
  return null;
}

import { canonicalEntry, chainHash } from "./canonical.js";
import type { LedgerStore } from "./store.js";
import { GENESIS_HASH, type CommittedEntry } from "./types.js";

// Walks a committee's chain in sequence order and recomputes every hash in
// TypeScript. Any change to a stored row (entry, posting, voucher, donation,
// item, disbursement) breaks the chain from that entry on. It also adds up
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

export async function verifyChain(store: LedgerStore, committeeId: number): Promise<ChainReport> {
  let prev = { seq: 0, hash: GENESIS_HASH };
  let checked = 0;
  let broken: { seq: number; reason: string } | null = null;
  const sums = new Map<number, bigint>();
  await store.walkChain(committeeId, (e) => {
    for (const p of e.postings) sums.set(p.account.id, (sums.get(p.account.id) ?? 0n) + p.amountDong);
    if (broken) return;
    const reason = checkLink(e, prev);
    checked++;
    if (reason) broken = { seq: e.seq, reason };
    prev = { seq: e.seq, hash: e.hash };
  });
  const chainBreak = broken as { seq: number; reason: string } | null;
  const linkBreak = await store.firstInconsistency(committeeId);
  const b = linkBreak && (!chainBreak || linkBreak.seq < chainBreak.seq) ? linkBreak : chainBreak;
  const report = { checked, headSeq: prev.seq, headHash: prev.hash };
  if (b) return { ok: false, ...report, firstBrokenSeq: b.seq, reason: b.reason };
  for (const { account, balanceDong } of await store.listAccounts(committeeId)) {
    const sum = sums.get(account.id) ?? 0n;
    if (sum !== balanceDong) {
      return { ok: false, ...report, firstBrokenSeq: null, reason: `balance of ${account.code} is ${balanceDong} but its postings sum to ${sum}` };
    }
  }
  // The public figures are kept sums: they must equal what the published entries add up to.
  const published = await store.publicFiguresMismatch(committeeId);
  if (published) return { ok: false, ...report, firstBrokenSeq: null, reason: published };
  return { ok: true, ...report, firstBrokenSeq: null, reason: null };
}

function checkLink(e: CommittedEntry, prev: { seq: number; hash: string }): string | null {
  if (e.seq !== prev.seq + 1) return `sequence ${prev.seq + 1} is missing (next found: ${e.seq})`;
  if (e.prevHash !== prev.hash) return "prev_hash is not the hash of the previous entry";
  if (e.postings.length < 2) return "fewer than two postings";
  if (e.postings.reduce((s, p) => s + p.amountDong, 0n) !== 0n) return "postings do not sum to zero";
  if (chainHash(e.prevHash, canonicalEntry(e)) !== e.hash) return "hash does not match the entry's content";
  return null;
}

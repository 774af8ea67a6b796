import { fail } from "./codes.js";
import { parseDocumentDate, parseIsoDate, todayInVietnam } from "./dates.js";
import { parseAmountDong } from "./money.js";
import { assertChecker } from "./people.js";
import type { Ledger, WriteMeta } from "./service.js";
import type { Approvals, LedgerStore, PeriodClose, Pledge } from "./store.js";
import type { DonorKind, Principal } from "./types.js";

// Controls an auditor relies on: no one makes money appear, vanish or move
// without a second person and a permanent trace. Each rule is checked here
// first (to answer with a result code) and again by PostgreSQL.

export const MAX_VERIFY_BATCH = 1000;

export interface VerifyOutcome {
  id: string;
  sequence: number | null;
  ok: boolean;
  code: string | null;
  detail: string | null;
  approvals: number;
  requiredApprovals: number;
  verified: boolean;
}

export interface PledgeInput {
  pledgedOn: string;
  amountDong: string | number;
  pledger: { name?: string | undefined; kind: DonorKind; publishName: boolean };
  note?: string | undefined;
}

export class Controls {
  constructor(
    private readonly store: LedgerStore,
    private readonly ledger: Ledger,
  ) {}

  /**
   * Maker-checker: an approver verifies entries recorded by another person, once per person. The outcomes are decided and the
   * approvals added in one transaction, one call of the committee at a time (see withVerifications).
   */
  async verify(p: Principal, ids: string[]): Promise<VerifyOutcome[]> {
    assertChecker(p);
    if (ids.length > MAX_VERIFY_BATCH) fail("validation_failed", `at most ${MAX_VERIFY_BATCH} entries per call`, "ids");
    const unique = [...new Set(ids)];
    return this.store.withVerifications(p.committeeId, async (v) => {
      const found = await v.approvals(unique);
      const byId = decideVerifications(p, unique, found);
      // byId is in ledger order, so that an entry and its reversal verified in one call
      // are published original first (the public figures never dip).
      await v.add(p.tokenId, [...byId.values()].filter((o) => o.ok).map((o) => o.id));
      return unique.map((id) => byId.get(id)!);
    });
  }

  /**
   * Verifies any number of entries, MAX_VERIFY_BATCH at a time (each batch its own transaction, as the bulk
   * API's): what an approver does with a bank import's lines. One outcome per id, in the order given.
   */
  async verifyMany(p: Principal, ids: string[]): Promise<VerifyOutcome[]> {
    assertChecker(p);
    const outcomes: VerifyOutcome[] = [];
    for (let i = 0; i < ids.length; i += MAX_VERIFY_BATCH) outcomes.push(...(await this.verify(p, ids.slice(i, i + MAX_VERIFY_BATCH))));
    return outcomes;
  }

  /** Khóa sổ: closes the books through a date once every entry up to it is verified. */
  async closePeriod(p: Principal, input: { through: string; note?: string | undefined }, meta: WriteMeta) {
    assertChecker(p);
    const through = parseIsoDate(input.through, "through");
    if (through >= todayInVietnam()) fail("invalid_date", "a period can be closed only through a day that has ended", "through");
    return this.store.closePeriod(p.committeeId, p.tokenId, through, input.note?.trim() || null,
      { key: meta.idempotencyKey, requestHash: meta.requestHash }, closeView);
  }

  /** Re-checks a close against the ledger as it is now. */
  async checkClose(p: Principal, id: number) {
    const close = await this.store.findClose(p.committeeId, id);
    if (!close) fail("not_found", `no period close ${id}`, "id");
    const now = new Map((await this.store.balancesAsOf(p.committeeId, close.throughDate)).map((b) => [b.account.code, b.balanceDong.toString()]));
    const differences: { account: string; storedDong: string; ledgerDong: string }[] = [];
    for (const code of new Set([...Object.keys(close.balances), ...now.keys()])) {
      const stored = close.balances[code] ?? "0";
      const ledger = now.get(code) ?? "0";
      if (stored !== ledger) differences.push({ account: code, storedDong: stored, ledgerDong: ledger });
    }
    const hashNow = close.headSeq === 0 ? close.headHash : await this.store.entryHashAt(p.committeeId, close.headSeq);
    const headMatches = hashNow === close.headHash;
    return { ...closeView(close), ok: differences.length === 0 && headMatches, headMatches, differences };
  }

  /** Đăng ký ủng hộ: a promise, kept apart from money received. */
  async addPledge(p: Principal, campaignCode: string, input: PledgeInput, meta: WriteMeta) {
    const campaign = await this.ledger.campaign(p.committeeId, campaignCode);
    const pledge = {
      pledgedOn: parseDocumentDate(input.pledgedOn, "pledgedOn"),
      pledgerName: input.pledger.name?.trim() || (input.pledger.kind === "anonymous" ? "Nhà hảo tâm ẩn danh" : fail("validation_failed", "pledger.name is required unless anonymous", "pledger.name")),
      pledgerKind: input.pledger.kind,
      publishName: input.pledger.publishName,
      amountDong: parseAmountDong(input.amountDong, "amountDong"),
      note: input.note?.trim() || null,
    };
    return this.store.idempotent(p.committeeId, { key: meta.idempotencyKey, requestHash: meta.requestHash },
      (trx) => this.store.insertPledge(trx, p.committeeId, campaign.id, p.tokenId, pledge), pledgeView);
  }
}

/** Each id's outcome, the map in ledger order: a reversal verified in the same call as its original comes after it. */
function decideVerifications(p: Principal, unique: string[], found: Map<string, Approvals>): Map<string, VerifyOutcome> {
  const ordered = [...unique].sort((x, y) => (found.get(x)?.seq ?? 0) - (found.get(y)?.seq ?? 0));
  const becomesVerified = new Set<string>();
  const byId = new Map<string, VerifyOutcome>();
  for (const id of ordered) {
    const a = found.get(id);
    const refuse = (code: string, detail: string): VerifyOutcome => ({
      id, sequence: a?.seq ?? null, ok: false, code, detail, approvals: a?.verifiers.length ?? 0,
      requiredApprovals: a?.requiredApprovals ?? 1, verified: a ? a.verifiers.length >= a.requiredApprovals : false,
    });
    const outcome = ((): VerifyOutcome => {
      if (!a) return refuse("entry_not_found", `no entry ${id} in this committee`);
      if (a.recorderPerson === p.personId) return refuse("self_verification_forbidden", "an entry is never verified by the person who recorded it, whatever token they use");
      if (a.verifierPersons.includes(p.personId)) return refuse("already_verified", "you have already verified this entry (with this or another of your tokens)");
      const approvals = a.verifiers.length + 1;
      const verified = approvals >= a.requiredApprovals;
      if (verified && a.reversalOf && !a.originalVerified && !becomesVerified.has(a.reversalOf)) {
        return refuse("reversal_before_original", `verify entry ${a.reversalOf}, which this reversal reverses, first`);
      }
      if (verified) becomesVerified.add(id);
      return { id, sequence: a.seq, ok: true, code: null, detail: null, approvals, requiredApprovals: a.requiredApprovals, verified };
    })();
    byId.set(id, outcome);
  }
  return byId;
}

export function closeView(c: PeriodClose) {
  return {
    id: c.id, through: c.throughDate, closedBy: c.closedBy, closedAt: c.closedAt, headSequence: c.headSeq, headHash: c.headHash,
    balances: c.balances, note: c.note,
  };
}

export function pledgeView(p: Pledge) {
  return {
    id: p.id, campaign: p.campaign, pledgedOn: p.pledgedOn, pledger: { name: p.pledgerName, kind: p.pledgerKind, publishName: p.publishName },
    amountDong: p.amountDong.toString(), note: p.note, recordedBy: p.recordedBy, recordedAt: p.recordedAt,
  };
}

import { newEntryId } from "./ids.js";
import { Decimal } from "decimal.js";
import { assetRoleByMethod } from "./chart.js";
import { allowedPurposes, receivingWindow } from "./earmarks.js";
import { LedgerError, fail } from "./codes.js";
import { normaliseKey, typedDonorIdentity } from "./donors.js";
import { donationDraft, reversalDraft, sealEntry } from "./entries.js";
import { parseDocumentDate, parseIsoDate, todayInVietnam } from "./dates.js";
import { multiplyDong, parseAmountDong, parseSignedDong } from "./money.js";
import type { CampaignUse, LedgerStore, NewCampaign } from "./store.js";
import type {
  Account, BeneficiaryCategory, Campaign, CampaignFields, CampaignKind, DonorKind, EntryDraft, ItemDraft, Method,
  Principal, Purpose, Area,
} from "./types.js";
import { campaignView } from "./view.js";
import { foldWords, maskText } from "./mask.js";
import { checkDraft, GroupCommitter, type PlanContext, type WriteRequest, type WriteResult } from "./writer.js";

// The ledger's commands. Each turns a request (already shaped by zod) into a
// planned entry, checks the rules that need the locked ledger inside plan(),
// and hands it to the group committer.

type Amount = string | number;

export interface DonationInput {
  receivedOn: string;
  amountDong: Amount;
  method: Method;
  donor: { name?: string | undefined; kind: DonorKind; publishName: boolean; phone?: string | undefined };
  bankAccount?: string | undefined;
  bankReference?: string | undefined;
  items?: { description: string; quantity: Amount; unit: string; unitValueDong: Amount; valuationBasis: string }[] | undefined;
  description?: string | undefined;
  note?: string | undefined;
}

export interface DisbursementInput {
  paidOn: string;
  amountDong: Amount;
  method: Method;
  beneficiary: { name: string; category: BeneficiaryCategory; area: string };
  purpose: Purpose;
  quantity?: Amount | undefined;
  unit?: string | undefined;
  description?: string | undefined;
  note?: string | undefined;
}

export interface GeneralEntryInput {
  entryDate: string;
  description: string;
  resolutionRef?: string | undefined;
  postings: { account: string; amountDong: Amount }[];
}

export interface CampaignInput {
  code: string;
  name: string;
  kind: CampaignKind;
  fund?: string | undefined;
  targetDong?: Amount | undefined;
  startsOn: string;
  endsOn?: string | undefined;
  launchDocument?: string | undefined;
  receivingException?: string | undefined;
  receivingExceptionUntil?: string | undefined;
  distributionDays?: number | undefined;
}

/** A change to a campaign: the fields named change (null clears one that may be empty), the others stay. */
export interface CampaignChange {
  name?: string | undefined;
  kind?: CampaignKind | undefined;
  targetDong?: Amount | null | undefined;
  startsOn?: string | undefined;
  endsOn?: string | null | undefined;
  launchDocument?: string | null | undefined;
  receivingException?: string | null | undefined;
  receivingExceptionUntil?: string | null | undefined;
  distributionDays?: number | undefined;
}

/** How long this process trusts its copy of a campaign before reading it again (another process may have changed it). */
const CAMPAIGN_REREAD_MS = 1_000;

/** What reversing a whole bank import did. */
export interface ImportReversal {
  import: number;
  reversal: number;
  campaign: string;
  bankAccount: string;
  /** Reversals recorded now (entries reversed one by one before are not reversed again), their sequences. */
  reversed: number;
  firstSequence: number | null;
  lastSequence: number | null;
  /** Lines released, and lines kept because they were matched to hand-recorded transfers (not the import's entries). */
  released: number;
  keptMatched: number;
}

/** Reversals of a bank import are made and written this many at a time (one transaction for all). */
const REVERSAL_PAGE = 2_500;

export interface WriteMeta {
  idempotencyKey: string;
  requestHash: string;
}

const methodWords: Record<Method, string> = { cash: "tiền mặt", bank: "chuyển khoản", in_kind: "hiện vật" };
const purposeWords: Record<Purpose, string> = {
  gift_package: "quà", house_new: "xây nhà Đại đoàn kết", house_repair: "sửa nhà Đại đoàn kết",
  livelihood: "hỗ trợ sinh kế", schooling: "hỗ trợ học tập", health: "hỗ trợ y tế", relief_cash: "cứu trợ",
  infrastructure: "công trình", regular_support: "trợ cấp thường xuyên", other: "hỗ trợ",
};

export const ANONYMOUS_DONOR = "Nhà hảo tâm ẩn danh";

interface CachedCampaign {
  at: number;
  value: Campaign;
  rereading: boolean;
}

export class Ledger {
  private readonly campaigns = new Map<string, CachedCampaign>();

  constructor(
    readonly store: LedgerStore,
    private readonly committer: GroupCommitter,
  ) {}

  async createCampaign(p: Pick<Principal, "committeeId">, input: CampaignInput, meta: WriteMeta) {
    const campaign: NewCampaign = checkCampaignFields({
      code: input.code,
      name: input.name.trim(),
      kind: input.kind,
      fundCode: input.fund ?? null,
      targetDong: input.targetDong === undefined ? null : parseAmountDong(input.targetDong, "targetDong"),
      startsOn: parseIsoDate(input.startsOn, "startsOn"),
      endsOn: input.endsOn === undefined ? null : parseIsoDate(input.endsOn, "endsOn"),
      launchDocument: input.launchDocument ?? null,
      receivingException: input.receivingException?.trim() || null,
      receivingExceptionUntil: input.receivingExceptionUntil === undefined ? null : parseIsoDate(input.receivingExceptionUntil, "receivingExceptionUntil"),
      distributionDays: input.distributionDays ?? 20,
    });
    return this.store.createCampaign(
      p.committeeId, campaign,
      { key: meta.idempotencyKey, requestHash: meta.requestHash },
      (c) => campaignView(c),
    );
  }

  /**
   * Changes what may still change of a campaign. The code never changes (it names the campaign's accounts); the name and
   * launch date are frozen once anything is published after it was set up (public statements print them, checkpoints sign
   * them); the kind and launch date once an entry is recorded on it (its payments and donations were checked against them).
   */
  async updateCampaign(p: Principal, code: string, change: CampaignChange, meta: WriteMeta) {
    const r = await this.store.updateCampaign(p.committeeId, code, (current, use) => changedCampaign(current, change, use),
      { key: meta.idempotencyKey, requestHash: meta.requestHash }, (c) => {
        this.campaigns.set(`${p.committeeId}\u0000${code}`, { at: Date.now(), value: c, rereading: false });
        return campaignView(c);
      });
    if (r.replayed) this.campaigns.delete(`${p.committeeId}\u0000${code}`);
    return r;
  }

  /**
   * A campaign, from this process's copy: its code, id and accounts never change; its other fields may (workspace or API
   * edits), so a copy older than a second is read again in the background while the copy still answers (the order in which
   * concurrent calls reach the writer does not change), and an edit made here replaces it at once.
   */
  async campaign(committeeId: number, code: string): Promise<Campaign> {
    const cacheKey = `${committeeId}\u0000${code}`;
    const cached = this.campaigns.get(cacheKey);
    if (cached) {
      if (!cached.rereading && Date.now() - cached.at > CAMPAIGN_REREAD_MS) this.reread(cacheKey, cached, committeeId, code);
      return cached.value;
    }
    const found = await this.store.findCampaign(committeeId, code);
    if (!found) fail("campaign_not_found", `no campaign with code ${code}`, "code");
    this.campaigns.set(cacheKey, { at: Date.now(), value: found, rereading: false });
    return found;
  }

  private reread(cacheKey: string, cached: CachedCampaign, committeeId: number, code: string): void {
    cached.rereading = true;
    this.store.findCampaign(committeeId, code).then((c) => {
      if (c && this.campaigns.get(cacheKey) === cached) this.campaigns.set(cacheKey, { at: Date.now(), value: c, rereading: false });
    }, () => {
      cached.rereading = false; // the next call tries again
    });
  }

  async recordDonation(p: Principal, campaignCode: string, input: DonationInput, meta: WriteMeta): Promise<WriteResult> {
    const campaign = await this.campaign(p.committeeId, campaignCode);
    const entryDate = parseDocumentDate(input.receivedOn, "receivedOn");
    checkReceivingWindow(campaign, entryDate);
    const amountDong = parseAmountDong(input.amountDong, "amountDong");
    const items = donationItems(input, amountDong);
    if (input.method !== "bank" && (input.bankReference || input.bankAccount)) {
      fail("validation_failed", "bankAccount and bankReference belong to bank donations only", input.bankReference ? "bankReference" : "bankAccount");
    }
    const donorName = input.donor.kind === "anonymous" ? input.donor.name?.trim() || ANONYMOUS_DONOR : input.donor.name?.trim();
    if (!donorName) fail("validation_failed", "donor.name is required unless the donor is anonymous", "donor.name");
    const bankReference = input.bankReference?.trim() || null;
    const bankAccount = input.bankAccount?.trim() || null;
    const draft = donationDraft(campaign, {
      entryDate,
      amountDong,
      description: input.description?.trim() || `Nhận ủng hộ ${methodWords[input.method]} của ${donorName}`,
      donation: {
        method: input.method,
        donorName,
        donorKind: input.donor.kind,
        publishName: input.donor.publishName,
        bankAccount,
        bankReference,
        note: input.note?.trim() || null,
      },
      items,
      donor: typedDonorIdentity(donorName, input.donor.kind, input.donor.phone),
    });
    const declared = bankReference ? { bankAccount, reference: bankReference } : undefined;
    return this.submit(p, meta, async (ctx) => {
      if (bankReference && (await ctx.bankReferenceUsed(bankAccount, bankReference))) {
        fail("bank_reference_duplicate", `bank reference ${bankReference} is already recorded for this bank account`, "bankReference");
      }
      return draft;
    }, { bankReference: declared, voucher: voucherOf(draft) });
  }

  async recordDisbursement(p: Principal, campaignCode: string, input: DisbursementInput, meta: WriteMeta): Promise<WriteResult> {
    const campaign = await this.campaign(p.committeeId, campaignCode);
    const entryDate = parseDocumentDate(input.paidOn, "paidOn");
    if (!allowedPurposes[campaign.kind].includes(input.purpose)) {
      fail("purpose_not_allowed_for_campaign",
        `a ${campaign.kind} campaign pays only ${allowedPurposes[campaign.kind].join(", ")}; not ${input.purpose}`, "purpose",
        { kind: campaign.kind, purpose: input.purpose, allowed: allowedPurposes[campaign.kind].join(",") });
    }
    const amountDong = parseAmountDong(input.amountDong, "amountDong");
    const quantity = input.quantity === undefined ? null : parseQuantity(input.quantity, "quantity");
    if ((quantity === null) !== (input.unit === undefined)) {
      fail("validation_failed", "quantity and unit go together", quantity === null ? "quantity" : "unit");
    }
    const b = { ...input.beneficiary, area: await this.listedArea(p.committeeId, input.beneficiary.area) };
    const asset = campaign.accounts[assetRoleByMethod[input.method]];
    const draft: EntryDraft = {
      id: newEntryId(),
      kind: "disbursement",
      entryDate,
      description: input.description?.trim() || `Chi ${purposeWords[input.purpose]} cho ${b.name.trim()} (${b.area.trim()})`,
      campaign: { id: campaign.id, code: campaign.code },
      reversalOf: null,
      resolutionRef: null,
      requiredApprovals: 1,
      postings: [
        { account: campaign.accounts.expense, amountDong },
        { account: asset, amountDong: -amountDong },
      ],
      voucherSeries: input.method === "cash" ? "PC" : null,
      donation: null,
      items: [],
      disbursement: {
        method: input.method,
        beneficiaryName: b.name.trim(),
        category: b.category,
        area: b.area.trim(),
        purpose: input.purpose,
        quantity,
        unit: input.unit?.trim() ?? null,
        note: input.note?.trim() || null,
      },
      donorIdentity: null,
      beneficiaryIdentity: {
        key: [b.name, b.category, b.area].map(normaliseKey).join("|"),
        name: b.name.trim(),
        kind: b.category,
        area: b.area.trim(),
      },
    };
    return this.submit(p, meta, async (ctx) => {
      const held = await ctx.balance(asset.id);
      if (held < amountDong) {
        fail("insufficient_campaign_balance",
          `campaign ${campaign.code} holds ${held} đồng in ${methodWords[input.method]}; cannot pay ${amountDong}`, "amountDong");
      }
      return draft;
    }, { voucher: voucherOf(draft) });
  }

  /** The committee's list of areas (khu phố, thôn, ấp). */
  areas(committeeId: number): Promise<Area[]> {
    return this.store.listAreas(committeeId);
  }

  /** Adds an area to the committee's list; one already listed is given back. */
  async addArea(p: Principal, name: string): Promise<{ area: Area; created: boolean }> {
    const n = areaName(name);
    if (n.length < 1 || n.length > 100 || /\p{Cc}/u.test(n)) fail("validation_failed", "an area's name has 1 to 100 characters", "name");
    if (maskText(n) !== n) {
      fail("validation_failed", "an area's name is public: it may not hold a phone, account or ID number or an e-mail address", "name");
    }
    const listed = (await this.store.listAreas(p.committeeId)).find((a) => foldWords(a.name) === foldWords(n) && foldWords(n) !== "");
    if (listed && listed.name !== n) return { area: listed, created: false };
    return this.store.addArea(p.committeeId, n, p.tokenId);
  }

  /** The listed area a disbursement names (the list's spelling; case, diacritics and spacing aside), or a refusal. */
  private async listedArea(committeeId: number, area: string): Promise<string> {
    const n = areaName(area);
    const list = await this.store.listAreas(committeeId);
    const found = list.find((a) => a.name === n) ?? list.find((a) => foldWords(a.name) === foldWords(n) && foldWords(n) !== "");
    if (found) return found.name;
    const some = list.slice(0, 10).map((a) => a.name).join(", ");
    fail("area_not_listed", list.length === 0
      ? "the committee has no list of areas yet: add its khu phố / thôn / ấp first (POST /api/v1/areas)"
      : `the area is not in the committee's list; choose one of: ${some}${list.length > 10 ? ", …" : ""} (or add it: POST /api/v1/areas)`,
    "beneficiary.area");
  }

  async recordGeneral(p: Principal, input: GeneralEntryInput, meta: WriteMeta): Promise<WriteResult> {
    const entryDate = parseDocumentDate(input.entryDate, "entryDate");
    const codes = input.postings.map((x) => x.account);
    const accounts = await this.store.accountsByCode(p.committeeId, codes);
    const postings = input.postings.map((x, i) => {
      const account = accounts.get(x.account);
      if (!account) fail("account_not_found", `no account with code ${x.account}`, `postings[${i}].account`);
      return { account, amountDong: parseSignedDong(x.amountDong, `postings[${i}].amountDong`) };
    });
    const campaignIds = new Set(postings.map((x) => x.account.campaignId).filter((id) => id !== null));
    const resolutionRef = input.resolutionRef?.trim() || null;
    if (campaignIds.size >= 2 && !resolutionRef) {
      fail("resolution_required", "moving money between campaigns needs the resolution that allows it (resolutionRef)", "resolutionRef");
    }
    const onlyCampaign = campaignIds.size === 1 ? await this.store.findCampaignById(p.committeeId, [...campaignIds][0]!) : null;
    const draft = postingsOnly({
      kind: "general",
      entryDate,
      description: input.description.trim(),
      campaign: onlyCampaign && { id: onlyCampaign.id, code: onlyCampaign.code },
      reversalOf: null,
      resolutionRef,
      requiredApprovals: campaignIds.size >= 2 ? 2 : 1,
      postings,
    });
    return this.submit(p, meta, async (ctx) => {
      await checkAssetsStayPositive(ctx, draft.postings);
      return draft;
    });
  }

  async reverse(p: Principal, entryId: string, input: { reason: string; entryDate?: string | undefined }, meta: WriteMeta): Promise<WriteResult> {
    const original = await this.store.findEntry(p.committeeId, entryId);
    if (!original) fail("entry_not_found", `no entry ${entryId} in this committee`, "id");
    if (original.kind === "reversal") fail("cannot_reverse_a_reversal", "a reversal cannot itself be reversed; record a new entry instead", "id");
    const entryDate = parseDocumentDate(input.entryDate ?? todayInVietnam(), "entryDate");
    const draft = reversalDraft(original, `Đảo bút toán số ${original.seq}: ${input.reason.trim()}`, entryDate);
    return this.submit(p, meta, async (ctx) => {
      if (await ctx.isReversed(original.id)) fail("entry_already_reversed", `entry ${original.id} was already reversed`, "id");
      await checkAssetsStayPositive(ctx, draft.postings);
      return draft;
    });
  }

  /**
   * Reverses a whole bank import (one that went to the wrong campaign) in one transaction: every entry it recorded
   * itself and nobody reversed yet gets its reversal, dated as the original when the original's period is open and
   * today otherwise, and then every line of the import but those matched to hand-recorded transfers is released,
   * so the same statement can be imported into the right campaign. Once per import.
   */
  async reverseImport(p: Principal, importId: number, input: { reason: string }, meta: WriteMeta): Promise<{ response: ImportReversal; replayed: boolean }> {
    const reason = input.reason.trim();
    if (reason.length < 1 || [...reason].length > 500) fail("validation_failed", "the reason is 1 to 500 characters", "reason");
    return this.store.withImportReversal(p.committeeId, importId, async (x) => {
      const prior = (await x.storedResponses([meta.idempotencyKey])).get(meta.idempotencyKey);
      if (prior) {
        if (prior.requestHash !== meta.requestHash) fail("idempotency_key_reused", "this Idempotency-Key was already used for a different request", "Idempotency-Key");
        return { response: prior.response as ImportReversal, replayed: true };
      }
      if (x.target.reversalId !== null) fail("bank_import_already_reversed", `bank statement import ${importId} was already reversed`, "id");
      const closed = await x.closedThrough();
      const today = todayInVietnam();
      const ids = await x.entriesToReverse();
      await checkAssetsStayPositive(x, await x.reversalsNet());
      let head = await x.head();
      const recordedAt = new Date().toISOString();
      const sequences: number[] = [];
      for (let i = 0; i < ids.length; i += REVERSAL_PAGE) {
        const rows = (await x.entries(ids.slice(i, i + REVERSAL_PAGE))).map((original) => {
          const draft = reversalDraft(original, `Đảo bút toán số ${original.seq} (đảo cả lần nhập sao kê số ${importId}): ${reason}`,
            closed !== null && original.entryDate <= closed ? today : original.entryDate);
          checkDraft(draft);
          const entry = sealEntry(draft, { committeeId: p.committeeId, committeeCode: p.committeeCode, recordedBy: p.tokenId, recordedAt,
            idempotencyKey: `import-reversal:${importId}:${original.id}`, voucherNo: null }, head);
          head = { seq: entry.seq, hash: entry.hash };
          sequences.push(entry.seq);
          return { entry, voucher: null };
        });
        await x.insertEntries(rows, []);
      }
      const released = await x.release({ reason, reversedBy: p.tokenId, entries: ids.length });
      const response: ImportReversal = {
        import: importId, reversal: released.id, campaign: x.target.campaignCode, bankAccount: x.target.bankAccount, reversed: ids.length,
        firstSequence: sequences[0] ?? null, lastSequence: sequences.at(-1) ?? null, released: released.released, keptMatched: x.target.matched,
      };
      await x.insertEntries([], [{ key: meta.idempotencyKey, requestHash: meta.requestHash, entryId: null, response }]);
      return { response, replayed: false };
    });
  }

  private submit(p: Principal, meta: WriteMeta, plan: (ctx: PlanContext) => Promise<EntryDraft>,
    hints: Pick<WriteRequest, "bankReference" | "voucher"> = {}): Promise<WriteResult> {
    return this.committer.submit({
      ...hints,
      committeeId: p.committeeId,
      committeeCode: p.committeeCode,
      recordedBy: p.tokenId,
      idempotencyKey: meta.idempotencyKey,
      requestHash: meta.requestHash,
      plan,
    });
  }
}

/** The voucher book and year a draft will be numbered in, so the batch reads its last number up front. */
function voucherOf(d: EntryDraft): WriteRequest["voucher"] {
  return d.voucherSeries ? { series: d.voucherSeries, year: Number(d.entryDate.slice(0, 4)) } : undefined;
}

/** An entry that is only its postings: no voucher, donor, household or goods. */
function postingsOnly(e: Omit<EntryDraft, "id" | "voucherSeries" | "donation" | "items" | "disbursement" | "donorIdentity" | "beneficiaryIdentity">): EntryDraft {
  return {
    id: newEntryId(), ...e, voucherSeries: null, donation: null, items: [], disbursement: null, donorIdentity: null, beneficiaryIdentity: null,
  };
}

function checkReceivingWindow(c: Campaign, date: string): void {
  const w = receivingWindow(c);
  const facts = { campaign: c.code, date, opens: w.opens, closes: w.closes ?? "" };
  if (date < w.opens) {
    fail("donation_outside_receiving_window",
      `campaign ${c.code} receives from ${w.opens}${w.closes ? ` to ${w.closes}` : ""}; this donation is dated ${date}, before its launch`, "receivedOn", facts);
  }
  if (w.closes !== null && date > w.closes) {
    fail("donation_outside_receiving_window",
      `campaign ${c.code} receives from ${w.opens} to ${w.closes} (its end date, 90 days from its launch, or the date of its recorded exception); this donation is dated ${date}: record the exception, its reason and its last day on the campaign to accept later money`,
      "receivedOn", facts);
  }
}

/** A campaign's fields as the rules allow them: dates in order, an exception's last day only with its reason. */
function checkCampaignFields<T extends CampaignFields>(c: T): T {
  if (c.endsOn !== null && c.endsOn < c.startsOn) fail("invalid_date", "endsOn must not be before startsOn", "endsOn");
  if (c.receivingExceptionUntil !== null) {
    if (c.receivingException === null) {
      fail("validation_failed", "receivingExceptionUntil extends the window for a recorded exception: give receivingException, its reason, too", "receivingExceptionUntil");
    }
    if (c.receivingExceptionUntil < c.startsOn) fail("invalid_date", "receivingExceptionUntil must not be before startsOn", "receivingExceptionUntil");
  }
  return c;
}

/** The campaign after a change, or the refusal of a field its use has frozen. */
function changedCampaign(c: Campaign, change: CampaignChange, use: CampaignUse): CampaignFields {
  const frozen = (field: "name" | "kind" | "startsOn", why: string) => fail("campaign_frozen", `${field} of campaign ${c.code} no longer changes: ${why}`, field, { campaign: c.code, reason: why === PUBLISHED ? "published" : "entries" });
  const next: CampaignFields = {
    code: c.code,
    name: change.name === undefined ? c.name : change.name.trim(),
    kind: change.kind ?? c.kind,
    fundCode: c.fundCode,
    targetDong: change.targetDong === undefined ? c.targetDong : change.targetDong === null ? null : parseAmountDong(change.targetDong, "targetDong"),
    startsOn: change.startsOn === undefined ? c.startsOn : parseIsoDate(change.startsOn, "startsOn"),
    endsOn: change.endsOn === undefined ? c.endsOn : change.endsOn === null ? null : parseIsoDate(change.endsOn, "endsOn"),
    launchDocument: change.launchDocument === undefined ? c.launchDocument : change.launchDocument?.trim() || null,
    receivingException: change.receivingException === undefined ? c.receivingException : change.receivingException?.trim() || null,
    receivingExceptionUntil: change.receivingExceptionUntil === undefined ? c.receivingExceptionUntil
      : change.receivingExceptionUntil === null ? null : parseIsoDate(change.receivingExceptionUntil, "receivingExceptionUntil"),
    distributionDays: change.distributionDays ?? c.distributionDays,
  };
  // Withdrawing the exception withdraws its last day with it.
  if (next.receivingException === null && change.receivingExceptionUntil === undefined) next.receivingExceptionUntil = null;
  if (next.name !== c.name && use.published) frozen("name", PUBLISHED);
  if (next.startsOn !== c.startsOn && use.published) frozen("startsOn", PUBLISHED);
  if (next.startsOn !== c.startsOn && use.hasEntries) frozen("startsOn", HAS_ENTRIES);
  if (next.kind !== c.kind && use.hasEntries) frozen("kind", HAS_ENTRIES);
  return checkCampaignFields(next);
}

const PUBLISHED = "something was published since the campaign was set up, and public statements and signed checkpoints print it";
const HAS_ENTRIES = "entries are recorded on the campaign and were checked against it";

async function checkAssetsStayPositive(ctx: Pick<PlanContext, "balance">, postings: { account: Account; amountDong: bigint }[]): Promise<void> {
  const net = new Map<number, { account: Account; delta: bigint }>();
  for (const x of postings) {
    const seen = net.get(x.account.id) ?? { account: x.account, delta: 0n };
    seen.delta += x.amountDong;
    net.set(x.account.id, seen);
  }
  for (const { account, delta } of net.values()) {
    if (account.type !== "asset" || delta >= 0n) continue;
    const held = await ctx.balance(account.id);
    if (held + delta < 0n) {
      fail(account.campaignId === null ? "insufficient_balance" : "insufficient_campaign_balance",
        `account ${account.code} holds ${held} đồng; this entry would take it below zero`, "postings");
    }
  }
}

function donationItems(input: DonationInput, amountDong: bigint): ItemDraft[] {
  const raw = input.items ?? [];
  if (input.method !== "in_kind") {
    if (raw.length > 0) fail("items_not_allowed", "items describe goods: use method in_kind", "items");
    return [];
  }
  if (raw.length === 0) fail("items_required", "an in-kind donation lists its goods in items", "items");
  const items = raw.map((it, i) => {
    const quantity = parseQuantity(it.quantity, `items[${i}].quantity`);
    const unitValueDong = parseAmountDong(it.unitValueDong, `items[${i}].unitValueDong`);
    const valueDong = multiplyDong(quantity, unitValueDong);
    if (valueDong <= 0n) fail("validation_failed", `items[${i}] is worth less than 1 đồng`, `items[${i}].quantity`);
    return {
      description: it.description.trim(),
      quantity,
      unit: it.unit.trim(),
      unitValueDong,
      valueDong,
      valuationBasis: it.valuationBasis.trim(),
    };
  });
  const total = items.reduce((s, it) => s + it.valueDong, 0n);
  if (total !== amountDong) {
    fail("items_value_mismatch", `the items are worth ${total} đồng but amountDong is ${amountDong}`, "amountDong",
      { itemsDong: total.toString(), amountDong: amountDong.toString() });
  }
  return items;
}

function parseQuantity(value: Amount, field: string): string {
  let q: Decimal;
  try {
    q = new Decimal(value);
  } catch {
    return fail("validation_failed", `${field} must be a number`, field);
  }
  if (!q.isFinite() || q.lte(0)) fail("validation_failed", `${field} must be more than 0`, field);
  if (q.decimalPlaces() > 3) fail("validation_failed", `${field} has at most 3 decimal places`, field);
  if (q.gte("1e15")) fail("validation_failed", `${field} is too large`, field);
  return q.toFixed(3);
}

/** An area's name as kept: NFC, trimmed, single spaces. */
export function areaName(s: string): string {
  return s.normalize("NFC").trim().replace(/\s+/g, " ");
}

export { LedgerError, normaliseKey };

import { Decimal } from "decimal.js";
import type { Knex } from "knex";
import type { ConfirmationData } from "../../reports/confirmation.js";
import type { PaymentVoucherData } from "../../reports/paymentvoucher.js";
import type { SignListData, SignListRow } from "../../reports/signlist.js";
import { DISTRIBUTION_LIMIT, DocumentQueries, type DistributionDay, type DistributionLine, type KnownHousehold } from "../db/documents.js";
import { fail } from "../ledger/codes.js";
import { parseIsoDate, todayInVietnam } from "../ledger/dates.js";
import { allowedPurposes } from "../ledger/earmarks.js";
import { isUuid } from "../ledger/ids.js";
import { parseAmountDong } from "../ledger/money.js";
import type { LedgerStore } from "../ledger/store.js";
import type { Campaign, CommittedEntry, Principal, Purpose } from "../ledger/types.js";
import { DEFAULT_WORD_VARIANTS, type WordVariants } from "../ledger/wording.js";

// The committee's printed forms, from what the ledger recorded: the phiếu chi of a cash disbursement, the
// giấy xác nhận of a donation, and the danh sách ký nhận of a distribution. They are internal documents: every
// call takes the principal of a workspace session or token and reads that committee's books only, so another
// committee's entry or campaign is simply not found. The API (src/http/routes/documents.ts) and the workspace
// (src/web/screens/documents.ts) both make their PDFs here; reports/ renders them.
//
// A distribution is what the data model records of one: the disbursements of one campaign dated one day
// (optionally of one area, one purpose), reversed ones left out. Before the day there are no entries yet, so a
// planned list is printed from households the committee has helped before, chosen on the form, with the
// quantity and value each will receive; nothing is written. After the day the list is printed from the entries.

/** The most households one list holds. */
export { DISTRIBUTION_LIMIT };

export const CATEGORY_VI: Record<string, string> = {
  poor: "Hộ nghèo", near_poor: "Hộ cận nghèo", hardship: "Hộ khó khăn", policy_family: "Gia đình chính sách", other: "Khác",
};
export const PURPOSE_VI: Record<string, string> = {
  gift_package: "Trao quà (suất quà)", house_new: "Xây nhà Đại đoàn kết", house_repair: "Sửa chữa nhà", livelihood: "Hỗ trợ sinh kế",
  schooling: "Hỗ trợ học tập", health: "Hỗ trợ y tế", relief_cash: "Hỗ trợ tiền mặt", infrastructure: "Công trình", regular_support: "Trợ cấp thường xuyên",
  other: "Hỗ trợ khác",
};
const METHOD_VI: Record<string, string> = { cash: "tiền mặt", bank: "chuyển khoản", in_kind: "hiện vật" };

const collator = new Intl.Collator("vi");
const byAreaThenName = <T extends { area: string; name: string }>(a: T, b: T) => collator.compare(a.area, b.area) || collator.compare(a.name, b.name);

/** What a planned list is made from (the workspace's form). */
export interface PlanInput {
  date: string;
  purpose: Purpose;
  /** Ids of households the committee has helped before (beneficiaries). */
  households: number[];
  /** Per household: a quantity (decimal, "," or "." before the decimals) and its unit, and a value in đồng if any. */
  quantity: string;
  unit: string;
  amountDong?: string | undefined;
  /** Empty numbered rows after them, for households added on the day. */
  blankRows: number;
  area?: string | undefined;
}

export interface DistributionDayView extends DistributionDay {
  campaignCode: string;
  campaignName: string;
}

export class Documents {
  private readonly q: DocumentQueries;

  constructor(private readonly store: LedgerStore, knex: Knex) {
    this.q = new DocumentQueries(knex);
  }

  /** The phiếu chi of a cash disbursement. */
  async paymentVoucher(p: Principal, id: string): Promise<PaymentVoucherData> {
    const e = await this.entry(p, id);
    const b = e.disbursement;
    if (e.kind !== "disbursement" || b === null) {
      fail("document_not_applicable", `Bút toán số ${e.seq} không phải khoản chi nên không có phiếu chi (entry ${e.seq} is not a disbursement)`, "id",
        { document: "payment_voucher", reason: "not_disbursement", kind: e.kind });
    }
    if (b.method !== "cash" || e.voucherNo === null) {
      fail("document_not_applicable",
        `Khoản chi số ${e.seq} trả bằng ${METHOD_VI[b.method] ?? b.method}, không có phiếu chi: phiếu chi chỉ lập cho khoản chi tiền mặt `
        + `(entry ${e.seq} was paid ${b.method === "bank" ? "by bank transfer" : "in kind"}; payment vouchers are for cash payments only)`, "id",
        { document: "payment_voucher", reason: "not_cash", method: b.method });
    }
    const expense = e.postings.find((x) => x.account.role === "expense" && x.amountDong > 0n);
    const cash = e.postings.find((x) => x.amountDong < 0n);
    const [committee, campaign, recordedBy, reversedBy] = await Promise.all([
      this.committee(p), this.campaignOf(e), this.q.personName(p.committeeId, e.recordedBy), this.q.reversal(p.committeeId, e.id),
    ]);
    return {
      ...committee, voucherNumber: e.voucherNo, date: e.entryDate, recipientName: b.beneficiaryName, area: b.area,
      category: CATEGORY_VI[b.category] ?? b.category, purpose: PURPOSE_VI[b.purpose] ?? b.purpose, description: e.description,
      quantity: b.quantity, unit: b.unit, campaignName: campaign.name, campaignCode: campaign.code, amountDong: expense?.amountDong ?? 0n,
      debitAccount: expense?.account.code ?? "", creditAccount: cash?.account.code ?? "", recordedBy, sequence: e.seq, hash: e.hash, reversedBy,
    };
  }

  /** The giấy xác nhận of a donation (bank, in kind, or cash beside its phiếu thu), issued today unless said. */
  async confirmation(p: Principal, id: string, issuedOn: string = todayInVietnam()): Promise<ConfirmationData> {
    const e = await this.entry(p, id);
    const d = e.donation;
    if (e.kind !== "donation" || d === null) {
      fail("document_not_applicable", `Bút toán số ${e.seq} không phải khoản ủng hộ nên không cấp giấy xác nhận (entry ${e.seq} is not a donation)`, "id",
        { document: "confirmation", reason: "not_donation", kind: e.kind });
    }
    const reversal = await this.q.reversal(p.committeeId, e.id);
    if (reversal) {
      fail("document_not_applicable", `Khoản ủng hộ số ${e.seq} đã bị đảo (bút toán số ${reversal.sequence}) nên không cấp giấy xác nhận `
        + `(entry ${e.seq} was reversed by entry ${reversal.sequence})`, "id", { document: "confirmation", reason: "reversed", reversedBy: reversal.sequence });
    }
    const income = e.postings.find((x) => x.account.role === "income");
    const [committee, campaign, line] = await Promise.all([
      this.committee(p), this.campaignOf(e), d.method === "bank" && !d.bankReference ? this.q.bankLine(p.committeeId, e.id) : Promise.resolve(null),
    ]);
    return {
      ...committee, number: `${e.seq}/GXN`, issuedOn, donorName: d.donorName, campaignName: campaign.name, campaignCode: campaign.code,
      receivedOn: e.entryDate, method: d.method, amountDong: income ? -income.amountDong : 0n,
      receiptNumber: e.voucherNo, bankAccount: d.bankAccount ?? line?.account ?? null, bankReference: d.bankReference ?? line?.docRef ?? null,
      items: e.items.map((it) => ({
        description: it.description, quantity: it.quantity, unit: it.unit, unitValueDong: it.unitValueDong, valueDong: it.valueDong, valuationBasis: it.valuationBasis,
      })),
      sequence: e.seq, hash: e.hash,
    };
  }

  /** The danh sách ký nhận of a distribution as recorded: the campaign's disbursements dated that day, reversed ones left out. */
  async recordedSignList(p: Principal, campaignCode: string, f: { date: string; area?: string | undefined; purpose?: Purpose | undefined }): Promise<SignListData> {
    const date = parseIsoDate(f.date, "date");
    const campaign = await this.campaign(p, campaignCode);
    const lines = await this.q.distribution(p.committeeId, campaign.id, date, { area: f.area, purpose: f.purpose });
    if (lines.length > DISTRIBUTION_LIMIT) {
      fail("query_too_broad", `Ngày này có hơn ${DISTRIBUTION_LIMIT} khoản chi: hãy in theo từng khu phố (more than ${DISTRIBUTION_LIMIT} payments: ask by area)`, "area");
    }
    const kept = lines.filter((l) => !l.reversed);
    if (kept.length === 0) {
      fail("not_found", `Không có khoản chi nào${lines.length ? " còn hiệu lực" : ""} của cuộc vận động ${campaign.code} ngày ${date}`
        + `${f.area ? ` ở ${f.area}` : ""} (no ${lines.length ? "unreversed " : ""}disbursements of ${campaign.code} dated ${date})`, "date",
        { campaign: campaign.name, date, area: f.area ?? "", reversed: lines.length });
    }
    const rows = [...kept].sort((a, b) => byAreaThenName({ area: a.area, name: a.beneficiaryName }, { area: b.area, name: b.beneficiaryName }) || a.seq - b.seq);
    const seqs = kept.map((l) => l.seq);
    return {
      ...(await this.committee(p)), campaignName: campaign.name, campaignCode: campaign.code, date, area: f.area ?? null,
      purpose: samePurpose(kept.map((l) => l.purpose)),
      state: { kind: "recorded", entries: kept.length, firstSequence: Math.min(...seqs), lastSequence: Math.max(...seqs), reversedLeftOut: lines.length - kept.length },
      rows: rows.map(recordedRow), blankRows: 0,
      totals: {
        households: new Set(kept.map((l) => l.beneficiaryId)).size,
        quantities: quantitiesByUnit(kept.map((l) => ({ quantity: l.quantity, unit: l.unit }))),
        amountDong: kept.reduce((s, l) => s + l.amountDong, 0n),
      },
      preparedBy: await this.q.personName(p.committeeId, p.tokenId),
    };
  }

  /** The danh sách ký nhận of a distribution before the day: the households chosen, each with the same quantity and value. Writes nothing. */
  async plannedSignList(p: Principal, campaignCode: string, plan: PlanInput, preparedOn: string = todayInVietnam()): Promise<SignListData> {
    const campaign = await this.campaign(p, campaignCode);
    const date = parseIsoDate(plan.date, "date");
    if (!allowedPurposes[campaign.kind].includes(plan.purpose)) {
      fail("purpose_not_allowed_for_campaign", `a ${campaign.kind} campaign pays only ${allowedPurposes[campaign.kind].join(", ")}; not ${plan.purpose}`, "purpose",
        { kind: campaign.kind, purpose: plan.purpose, allowed: allowedPurposes[campaign.kind].join(",") });
    }
    const quantity = plannedQuantity(plan.quantity);
    const unit = plan.unit.normalize("NFC").trim().replace(/\s+/g, " ");
    if (unit.length < 1 || [...unit].length > 20 || /\p{Cc}/u.test(unit)) fail("validation_failed", "the unit has 1 to 20 characters (suất, phần, kg)", "unit");
    const amount = plan.amountDong === undefined || plan.amountDong.trim() === "" ? null : parseAmountDong(plan.amountDong.replace(/[.\s]/g, ""), "amountDong");
    if (!Number.isInteger(plan.blankRows) || plan.blankRows < 0 || plan.blankRows > 200) fail("validation_failed", "0 to 200 empty rows", "blankRows");
    if (plan.area !== undefined && !(await this.store.listAreas(p.committeeId)).some((a) => a.name === plan.area)) {
      fail("area_not_listed", "the area is not in the committee's list", "area");
    }
    const ids = [...new Set(plan.households)];
    if (ids.length > DISTRIBUTION_LIMIT) fail("query_too_broad", `at most ${DISTRIBUTION_LIMIT} households on one list`, "households");
    const households = ids.length ? await this.q.households(p.committeeId, { ids }) : [];
    if (households.length !== ids.length) fail("validation_failed", "a household chosen is not one the committee has helped", "households");
    if (households.length === 0 && plan.blankRows === 0) fail("validation_failed", "choose households, or ask for empty rows", "households");
    const rows: SignListRow[] = [...households].sort(byAreaThenName).map((h) => ({
      name: h.name, area: h.area, category: CATEGORY_VI[h.category] ?? h.category, what: PURPOSE_VI[plan.purpose] ?? plan.purpose,
      quantity: quantity.toFixed(3), unit, amountDong: amount, reference: "",
    }));
    return {
      ...(await this.committee(p)), campaignName: campaign.name, campaignCode: campaign.code, date, area: plan.area ?? null,
      purpose: PURPOSE_VI[plan.purpose] ?? null, state: { kind: "planned", preparedOn }, rows, blankRows: plan.blankRows,
      totals: {
        households: rows.length, quantities: rows.length ? [{ unit, quantity: quantity.mul(rows.length).toFixed(3) }] : [],
        amountDong: (amount ?? 0n) * BigInt(rows.length),
      },
      preparedBy: await this.q.personName(p.committeeId, p.tokenId),
    };
  }

  /** The days with disbursements, newest first, each with its campaign: the distributions a recorded list is printed for. */
  async distributionDays(p: Principal): Promise<DistributionDayView[]> {
    const [days, campaigns] = await Promise.all([this.q.distributionDays(p.committeeId), this.store.listCampaigns(p.committeeId)]);
    const byId = new Map(campaigns.map((c) => [c.id, c]));
    return days.flatMap((d) => {
      const c = byId.get(d.campaignId);
      return c ? [{ ...d, areas: [...d.areas].sort(collator.compare), campaignCode: c.code, campaignName: c.name }] : [];
    });
  }

  /** Households the committee has helped before (of one area when asked), by area and name. */
  async households(p: Principal, area?: string): Promise<KnownHousehold[]> {
    return (await this.q.households(p.committeeId, { area })).sort(byAreaThenName);
  }

  /** The entry an address names, in the principal's committee; another committee's is not found. */
  private async entry(p: Principal, id: string): Promise<CommittedEntry> {
    const e = isUuid(id) ? await this.store.findEntry(p.committeeId, id.toLowerCase()) : null;
    if (!e) fail("entry_not_found", `Không có bút toán ${id} trong ủy ban này (no entry ${id} in this committee)`, "id");
    return e;
  }

  private async campaign(p: Principal, code: string): Promise<Campaign> {
    const c = /^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(code) ? await this.store.findCampaign(p.committeeId, code) : null;
    if (!c) fail("campaign_not_found", `Không có cuộc vận động ${code} trong ủy ban này (no campaign ${code} in this committee)`, "code");
    return c;
  }

  private async campaignOf(e: CommittedEntry): Promise<Campaign> {
    const c = e.campaign ? await this.store.findCampaignById(e.committeeId, e.campaign.id) : null;
    if (!c) fail("campaign_not_found", `entry ${e.seq} has no campaign`, "id");
    return c;
  }

  /** The committee's name and how it writes amounts in words, as every form prints them. */
  private async committee(p: Principal): Promise<{ committeeName: string; words: WordVariants }> {
    const c = await this.store.findCommittee(p.committeeCode);
    return { committeeName: c?.name ?? p.committeeCode, words: c?.words ?? DEFAULT_WORD_VARIANTS };
  }
}

function recordedRow(l: DistributionLine): SignListRow {
  const how = l.method === "cash" ? l.voucherNo ?? `Bút toán ${l.seq}` : `${l.method === "bank" ? "CK" : "Hiện vật"} · bút toán ${l.seq}`;
  return {
    name: l.beneficiaryName, area: l.area, category: CATEGORY_VI[l.category] ?? l.category, what: PURPOSE_VI[l.purpose] ?? l.purpose,
    quantity: l.quantity, unit: l.unit, amountDong: l.amountDong, reference: how,
  };
}

function samePurpose(purposes: string[]): string | null {
  const one = new Set(purposes);
  return one.size === 1 ? PURPOSE_VI[purposes[0]!] ?? null : null;
}

/** Quantities summed per unit (in the order units first appear), as decimal text with 3 places. */
function quantitiesByUnit(lines: { quantity: string | null; unit: string | null }[]): { unit: string; quantity: string }[] {
  const sums = new Map<string, Decimal>();
  for (const l of lines) {
    if (l.quantity === null || l.unit === null) continue;
    sums.set(l.unit, (sums.get(l.unit) ?? new Decimal(0)).add(l.quantity));
  }
  return [...sums].map(([unit, q]) => ({ unit, quantity: q.toFixed(3) }));
}

/** A quantity typed as Vietnamese write it: 1, 10, 1,5 (a comma before the decimals); at most 3 decimals, more than 0. */
function plannedQuantity(text: string): Decimal {
  const t = text.trim();
  if (!/^\d{1,9}(,\d{1,3})?$/.test(t)) fail("validation_failed", "a quantity such as 1 or 1,5 (at most 3 decimals)", "quantity");
  const q = new Decimal(t.replace(",", "."));
  if (q.lte(0)) fail("validation_failed", "the quantity is more than 0", "quantity");
  return q;
}

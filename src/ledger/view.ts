import { distributionDeadline, receivingCloses } from "./earmarks.js";
import type { Campaign, CommittedEntry } from "./types.js";

// The JSON shape of an entry (amounts as strings of digits). The same object
// is stored with an idempotency key and returned on every replay.
export function entryView(e: CommittedEntry) {
  return {
    id: e.id,
    sequence: e.seq,
    committee: e.committeeCode,
    entryDate: e.entryDate,
    recordedAt: e.recordedAt,
    kind: e.kind,
    description: e.description,
    campaign: e.campaign?.code ?? null,
    recordedBy: e.recordedBy,
    idempotencyKey: e.idempotencyKey,
    reversalOf: e.reversalOf,
    resolutionRef: e.resolutionRef,
    requiredApprovals: e.requiredApprovals,
    receiptNumber: e.voucherNo,
    postings: e.postings.map((p, i) => ({
      line: p.line ?? i + 1,
      account: p.account.code,
      accountName: p.account.name,
      amountDong: p.amountDong.toString(),
    })),
    donation: e.donation && {
      method: e.donation.method,
      donor: { name: e.donation.donorName, kind: e.donation.donorKind, publishName: e.donation.publishName },
      bankAccount: e.donation.bankAccount,
      bankReference: e.donation.bankReference,
      note: e.donation.note,
      items: e.items.map((it) => ({
        description: it.description,
        quantity: it.quantity,
        unit: it.unit,
        unitValueDong: it.unitValueDong.toString(),
        valueDong: it.valueDong.toString(),
        valuationBasis: it.valuationBasis,
      })),
    },
    disbursement: e.disbursement && {
      method: e.disbursement.method,
      beneficiary: { name: e.disbursement.beneficiaryName, category: e.disbursement.category, area: e.disbursement.area },
      purpose: e.disbursement.purpose,
      quantity: e.disbursement.quantity,
      unit: e.disbursement.unit,
      note: e.disbursement.note,
    },
    prevHash: e.prevHash,
    hash: e.hash,
  };
}

export type EntryView = ReturnType<typeof entryView>;

export function campaignView(c: Campaign) {
  return {
    code: c.code,
    name: c.name,
    kind: c.kind,
    fund: c.fundCode,
    targetDong: c.targetDong?.toString() ?? null,
    startsOn: c.startsOn,
    endsOn: c.endsOn,
    launchDocument: c.launchDocument,
    receivingException: c.receivingException,
    receivingExceptionUntil: c.receivingExceptionUntil,
    receivingCloses: receivingCloses(c),
    distributionDeadline: distributionDeadline(c),
    accounts: Object.fromEntries(Object.entries(c.accounts).map(([role, a]) => [role, a.code])),
  };
}

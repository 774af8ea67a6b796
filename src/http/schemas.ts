import { z } from "zod";
import { DONORS_COUNTED } from "../ledger/donors.js";
import {
  beneficiaryCategories, campaignKinds, donorKinds, methods, purposes, roles,
} from "../ledger/types.js";

// The one source of request and response shapes: routes parse with these and
// the OpenAPI document is generated from them. Amounts are strings of digits
// (integers are accepted on input); the ledger's value parsers then name the
// exact rule an amount breaks.

// Text a person typed: no control characters, no bidi overrides, bounded.
const text = (max: number) =>
  z.string().trim().min(1).max(max)
    .refine((s) => !/[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\u202a-\u202e\u2066-\u2069]/.test(s), {
      message: "must not contain control characters or bidirectional overrides",
    });
const optionalText = (max: number) => text(max).optional();

export const amount = z.union([
  z.string().max(32).describe("whole đồng as a string of digits"),
  z.number().describe("whole đồng (prefer a string for large amounts)"),
]).meta({ description: "Whole đồng, e.g. \"1250000\"", example: "1250000" });

export const signedAmount = z.union([z.string().max(33), z.number()])
  .meta({ description: "Whole đồng; debit positive, credit negative", example: "-11000" });

export const isoDate = z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD").meta({ example: "2024-01-15" });
export const verifiedFlag = z.enum(["true", "false"]).optional()
  .meta({ description: "true: count only entries verified by an approver (what the press and the public see)" });
// The same patterns PostgreSQL checks, so bad text never reaches a query.
export const accountCode = z.string().regex(/^[0-9]{3,4}(\.[A-Za-z0-9_-]{1,64})?$/, "an account code such as 1111 or 1111.TET2024");
export const committeeCode = z.string().regex(/^[a-z0-9][a-z0-9-]{1,62}$/, "a committee code: lower-case letters, digits and -");
const code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "letters, digits, _ and -, at most 64");

export const campaignCreate = z.strictObject({
  code,
  name: text(300),
  kind: z.enum(campaignKinds),
  fund: code.optional(),
  targetDong: amount.optional(),
  startsOn: isoDate,
  endsOn: isoDate.optional(),
  launchDocument: optionalText(500),
  receivingException: optionalText(500).meta({
    description: "why this campaign may receive beyond 90 days from its launch or after its end date (Nghị định 93/2021); without it such donations are refused",
  }),
  receivingExceptionUntil: isoDate.optional().meta({
    description: "the last day the exception lets the campaign receive (not before startsOn); without it, the end date, or no closing date when there is none",
  }),
  distributionDays: z.number().int().min(0).max(365).optional().meta({ description: "days after receiving closes by which money should be distributed (default 20)" }),
});

export const campaignUpdate = z.strictObject({
  name: text(300).optional().meta({ description: "frozen once anything is published or checkpointed after the campaign was set up (campaign_frozen)" }),
  kind: z.enum(campaignKinds).optional().meta({ description: "frozen once an entry is recorded on the campaign" }),
  targetDong: amount.nullable().optional(),
  startsOn: isoDate.optional().meta({ description: "frozen once an entry is recorded, or anything published or checkpointed after the campaign was set up" }),
  endsOn: isoDate.nullable().optional(),
  launchDocument: text(500).nullable().optional(),
  receivingException: text(500).nullable().optional().meta({ description: "null withdraws the exception (and its last day)" }),
  receivingExceptionUntil: isoDate.nullable().optional(),
  distributionDays: z.number().int().min(0).max(365).optional(),
}).meta({ description: "The fields to change; the others stay. The code never changes: it names the campaign's accounts." });

export const donationCreate = z.strictObject({
  receivedOn: isoDate,
  amountDong: amount,
  method: z.enum(methods),
  donor: z.strictObject({
    name: optionalText(200),
    kind: z.enum(donorKinds),
    publishName: z.boolean(),
    phone: z.string().regex(/^\+?[0-9 .-]{6,20}$/, "digits, spaces, dots or dashes, 6 to 20").optional(),
  }),
  bankAccount: z.string().regex(/^[0-9A-Za-z-]{4,34}$/, "4 to 34 letters or digits").optional(),
  bankReference: optionalText(100),
  items: z.array(z.strictObject({
    description: text(200),
    quantity: amount,
    unit: text(20),
    unitValueDong: amount,
    valuationBasis: text(200),
  })).max(100).optional(),
  description: optionalText(500),
  note: optionalText(1000),
});

export const disbursementCreate = z.strictObject({
  paidOn: isoDate,
  amountDong: amount,
  method: z.enum(methods),
  beneficiary: z.strictObject({
    name: text(200),
    category: z.enum(beneficiaryCategories),
    area: text(100),
  }),
  purpose: z.enum(purposes),
  quantity: amount.optional(),
  unit: optionalText(20),
  description: optionalText(500),
  note: optionalText(1000),
});

export const generalEntryCreate = z.strictObject({
  entryDate: isoDate,
  description: text(500),
  resolutionRef: optionalText(200).meta({ description: "required when the entry moves money between campaigns" }),
  postings: z.array(z.strictObject({ account: accountCode, amountDong: signedAmount })).min(2).max(1000),
});

export const reverseCreate = z.strictObject({
  reason: text(500),
  entryDate: isoDate.optional(),
});

export const tokenCreate = z.strictObject({
  role: z.enum(roles),
  name: text(200),
});

export const entriesQuery = z.strictObject({
  campaign: code.optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  after: z.coerce.number().int().min(0).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  verified: verifiedFlag,
});

export const asOfQuery = z.strictObject({ asOf: isoDate.optional(), verified: verifiedFlag });
export const codeParams = z.strictObject({ code });
export const idParams = z.strictObject({ id: z.string().max(64) });

// Responses
const dong = z.string().regex(/^-?[0-9]+$/).meta({ example: "8000000" });

export const entryResponse = z.object({
  id: z.uuid(),
  sequence: z.number().int(),
  committee: z.string(),
  entryDate: isoDate,
  recordedAt: z.string(),
  kind: z.enum(["donation", "disbursement", "general", "reversal"]),
  description: z.string(),
  campaign: z.string().nullable(),
  recordedBy: z.number().int(),
  idempotencyKey: z.string().nullable(),
  reversalOf: z.string().nullable(),
  resolutionRef: z.string().nullable(),
  requiredApprovals: z.number().int().meta({ description: "approvers who must verify it: 2 when it moves money between campaigns" }),
  receiptNumber: z.string().nullable().meta({ example: "PT-2024-000001" }),
  postings: z.array(z.object({ line: z.number().int(), account: z.string(), accountName: z.string(), amountDong: dong })),
  donation: z.object({
    method: z.enum(methods),
    donor: z.object({ name: z.string(), kind: z.enum(donorKinds), publishName: z.boolean() }),
    bankAccount: z.string().nullable(),
    bankReference: z.string().nullable(),
    note: z.string().nullable(),
    items: z.array(z.object({
      description: z.string(), quantity: z.string(), unit: z.string(), unitValueDong: dong, valueDong: dong, valuationBasis: z.string(),
    })),
  }).nullable(),
  disbursement: z.object({
    method: z.enum(methods),
    beneficiary: z.object({ name: z.string(), category: z.enum(beneficiaryCategories), area: z.string() }),
    purpose: z.enum(purposes),
    quantity: z.string().nullable(),
    unit: z.string().nullable(),
    note: z.string().nullable(),
  }).nullable(),
  prevHash: z.string(),
  hash: z.string(),
});

export const campaignResponse = z.object({
  code: z.string(),
  name: z.string(),
  kind: z.enum(campaignKinds),
  fund: z.string().nullable(),
  targetDong: dong.nullable(),
  startsOn: isoDate,
  endsOn: isoDate.nullable(),
  launchDocument: z.string().nullable(),
  receivingException: z.string().nullable(),
  receivingExceptionUntil: isoDate.nullable(),
  receivingCloses: isoDate.nullable().meta({ description: "the last day donations may be dated; null: no closing date (an exception with neither end date nor last day)" }),
  distributionDeadline: isoDate.nullable(),
  accounts: z.record(z.string(), z.string()),
});

const quantityLine = z.object({ unit: z.string(), quantity: z.string(), valueDong: dong });

export const campaignWithTotals = campaignResponse.extend({
  totals: z.object({
    receivedDong: dong,
    receivedByMethod: z.object({ cash: dong, bank: dong, inKind: dong }),
    disbursedDong: dong,
    balanceDong: dong,
    holdingsDong: z.object({ cash: dong, bank: dong, goods: dong }),
    targetDong: dong.nullable(),
    progressPercent: z.number().int().nullable().meta({ description: "received ÷ target, floored: never overstated" }),
    donations: z.number().int(),
    donors: z.number().int().meta({ description: DONORS_COUNTED.en }),
    disbursements: z.number().int(),
    households: z.number().int(),
    inKind: z.object({ received: z.array(quantityLine), disbursed: z.array(quantityLine) }),
    pledgedDong: dong.meta({ description: "announced, not received: never counted as money" }),
    pledges: z.number().int(),
    pledgeGapDong: dong.meta({ description: "pledged − received" }),
    lateDisbursements: z.object({ deadline: isoDate.nullable(), count: z.number().int(), amountDong: dong }),
  }),
  verifiedOnly: z.boolean(),
  asOfSequence: z.number().int(),
});

export const accountBalanceResponse = z.object({
  code: z.string(),
  name: z.string(),
  type: z.string(),
  campaign: z.string().nullable(),
  balanceDong: dong,
});

export const trialBalanceResponse = z.object({
  asOf: isoDate.nullable(),
  accounts: z.array(accountBalanceResponse),
  totalDong: dong,
});

export const verifyResponse = z.object({
  ok: z.boolean(),
  checked: z.number().int(),
  headSeq: z.number().int(),
  headHash: z.string(),
  firstBrokenSeq: z.number().int().nullable(),
  reason: z.string().nullable(),
});

export const verifyBatch = z.strictObject({ ids: z.array(z.string().max(64)).min(1).max(1000) });
export const verifyOutcome = z.object({
  id: z.string(), sequence: z.number().int().nullable(), ok: z.boolean(), code: z.string().nullable(), detail: z.string().nullable(),
  approvals: z.number().int(), requiredApprovals: z.number().int(), verified: z.boolean(),
});
export const periodCreate = z.strictObject({ through: isoDate, note: optionalText(500) });
export const periodResponse = z.object({
  id: z.number().int(), through: isoDate, closedBy: z.number().int(), closedAt: z.string(), headSequence: z.number().int(),
  headHash: z.string(), balances: z.record(z.string(), z.string()), note: z.string().nullable(),
});
export const periodCheck = periodResponse.extend({
  ok: z.boolean(), headMatches: z.boolean(),
  differences: z.array(z.object({ account: z.string(), storedDong: z.string(), ledgerDong: z.string() })),
});
export const pledgeCreate = z.strictObject({
  pledgedOn: isoDate,
  amountDong: amount,
  pledger: z.strictObject({ name: optionalText(200), kind: z.enum(donorKinds), publishName: z.boolean() }),
  note: optionalText(1000),
});
export const pledgeResponse = z.object({
  id: z.number().int(), campaign: z.string(), pledgedOn: isoDate,
  pledger: z.object({ name: z.string(), kind: z.string(), publishName: z.boolean() }),
  amountDong: dong, note: z.string().nullable(), recordedBy: z.number().int(), recordedAt: z.string(),
});

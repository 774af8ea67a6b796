import { CHECKPOINT_FORMATS } from "../../public/checkpoints.js";
import { z } from "zod";
import type { Soquy } from "../../context.js";
import { fail } from "../../ledger/codes.js";
import { DONORS_COUNTED } from "../../ledger/donors.js";
import { parseAmountDong, parseSignedDong } from "../../ledger/money.js";
import { pressSentences, supports, type Qualifier } from "../../../reports/press.js";
import { SELF_CHECK_STATUS, type CampaignTotals, type SelfCheckMatch, type StatementFacts } from "../../public/service.js";
import type { PublicFigures } from "../../ledger/figures.js";
import { progressPercent } from "../../ledger/figures.js";
import { allRoles, defineRoute } from "../route.js";
import { amount, committeeCode, isoDate } from "../schemas.js";

const code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "a campaign code: letters, digits, _ and -, at most 64");

// Verified figures for the press and the public (Nghị định 93/2021, Điều 14):
// no token needed, read-only, rate-limited. Every answer names the
// publication it was read at and a permalink that gives the same figures later.

const pinQuery = z.strictObject({
  at: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER).optional()
    .meta({ description: "A publication number (pins the figures for good; what permalinks carry)" }),
  asOf: z.string().max(40).optional()
    .meta({ description: "A date (end of that day in Vietnam) or an ISO date-time: the figures as published by then" }),
  from: isoDate.optional(),
  to: isoDate.optional(),
});
const committeeParams = z.strictObject({ committee: committeeCode });
const campaignParams = z.strictObject({ committee: committeeCode, code });
const dong = z.string().regex(/^-?\d+$/).meta({ description: "whole đồng" });
const breakdown = z.array(z.object({ key: z.string(), amountDong: dong, count: z.number().int() }));
const units = z.array(z.object({ unit: z.string(), quantity: z.string(), valueDong: dong, count: z.number().int() }));
const position = z.object({
  publication: z.number().int(), publishedAt: z.string().nullable(), sequence: z.number().int(), hash: z.string().nullable(),
});
const totalsResponse = z.object({
  committee: z.object({ code: z.string(), name: z.string() }),
  campaign: z.object({ code: z.string(), name: z.string(), kind: z.string(), startsOn: z.string(), endsOn: z.string().nullable(), targetDong: dong.nullable() }),
  verifiedOnly: z.literal(true),
  asOf: z.string().nullable(),
  position,
  scope: z.object({ from: z.string().nullable(), to: z.string().nullable() }),
  receivedDong: dong, receivedByMethod: z.object({ cash: dong, bank: dong, inKind: dong, other: dong }), donations: z.number().int(), donors: z.number().int().nullable().meta({ description: DONORS_COUNTED.en }),
  disbursedDong: dong, disbursements: z.number().int(), households: z.number().int().nullable(),
  disbursedByPurpose: breakdown, disbursedByCategory: breakdown, disbursedByArea: breakdown,
  otherOutDong: dong, openingDong: dong, balanceDong: dong, holdingsDong: z.object({ cash: dong, bank: dong, goods: dong }),
  targetDong: dong.nullable(), progressPercent: z.number().int().nullable(),
  pledges: z.object({ count: z.number().int(), pledgedDong: dong, receivedDong: dong, gapDong: dong }),
  inKind: z.object({ received: units, disbursed: units }),
  statement: z.object({ csv: z.string(), pdf: z.string(), digest: z.string().nullable(), lines: z.number().int().nullable() }),
  permalink: z.string(),
});

const committeeRef = z.object({ code: z.string(), name: z.string() });
const scopeView = z.object({ from: z.string().nullable(), to: z.string().nullable() });
const figuresShape = {
  receivedDong: dong, receivedByMethod: z.object({ cash: dong, bank: dong, inKind: dong, other: dong }), donations: z.number().int(), donors: z.number().int().nullable().meta({ description: DONORS_COUNTED.en }),
  disbursedDong: dong, disbursements: z.number().int(), households: z.number().int().nullable(),
  disbursedByPurpose: breakdown, disbursedByCategory: breakdown, disbursedByArea: breakdown,
  otherOutDong: dong, balanceDong: dong, holdingsDong: z.object({ cash: dong, bank: dong, goods: dong }),
  inKind: z.object({ received: units, disbursed: units }),
};
const campaignsResponse = z.object({
  committee: committeeRef, asOf: z.string().nullable(), position, scope: scopeView, items: z.array(totalsResponse),
  overall: z.object({ ...figuresShape, openingDong: dong }), permalink: z.string(),
});
const committeeTotalsResponse = z.object({
  committee: committeeRef, verifiedOnly: z.literal(true), asOf: z.string().nullable(), position, scope: scopeView,
  openingDong: dong, ...figuresShape, closingDong: dong,
  campaigns: z.array(z.object({
    code: z.string(), name: z.string(), openingDong: dong, receivedDong: dong, disbursedDong: dong, otherOutDong: dong, closingDong: dong,
  })),
  permalink: z.string(),
});
const pressResponse = z.object({
  lang: z.enum(["vi", "en"]), campaign: z.string(), asOf: z.string().nullable(), position, permalink: z.string(),
  sentences: z.array(z.object({ id: z.string(), text: z.string(), exact: z.record(z.string(), z.string()), permalink: z.string() })),
});
const pressCheckResponse = z.object({
  figure: z.string(), unit: z.string().nullable(), qualifier: z.string(), stated: z.string(), exact: z.string().nullable(), supported: z.boolean(),
  statedValueDong: z.string().optional(), exactValueDong: z.string().optional(), valueSupported: z.boolean().optional(),
  partsSum: z.string().optional(), partsAddUp: z.boolean().optional(), flag: z.string().optional(),
  position, permalink: z.string(),
});
const donationMatch = z.object({
  campaign: z.object({ code: z.string(), name: z.string() }), date: z.string(),
  amountDong: dong.nullable().meta({ description: "null until an approver has verified the donation" }), method: z.enum(["cash", "bank", "in_kind"]),
  receiptNumber: z.string().nullable(),
  donor: z.string().nullable().meta({ description: "the name if the donor agreed to publish it, else Nhà hảo tâm; null until verified" }),
  sequence: z.number().int(), verified: z.boolean(),
  status: z.enum(["verified", "awaiting_verification"]), statusText: z.string().meta({ description: "the status in the answer's language" }),
  publication: z.number().int().nullable(), reversed: z.boolean(),
});
const selfCheckLang = z.enum(["vi", "en"]).default("vi").meta({ description: "language of statusText" });
const keyInfo = z.object({ algorithm: z.literal("Ed25519"), keyId: z.string(), publicKey: z.string(), publicKeyPem: z.string() });
const checkpointResponse = z.object({
  id: z.number().int(), signature: z.string(), keyId: z.string(), key: keyInfo.optional(),
  payload: z.looseObject({ format: z.enum(CHECKPOINT_FORMATS), keyId: z.string(), committee: committeeRef, campaigns: z.array(z.looseObject({ code: z.string() })) }),
});

const STATEMENT_WAIT_MS = 2_000;

/** The self-check answers about one person's gift: never for a shared cache. */
const NO_STORE = { "Cache-Control": "no-store" };

export function publicRoutes(s: Soquy) {
  const common = { tag: "Public", roles: allRoles, public: true as const };
  return [
    defineRoute({
      ...common, method: "get", path: "/public/committees/:committee/campaigns", summary: "List a committee's campaigns with verified totals",
      params: committeeParams, query: pinQuery,
      responses: { 200: { description: "Every campaign, the sum over all of them, and the publication they were read at", schema: campaignsResponse } },
      async handle({ params, query }) {
        const t = await s.public.committeeTotals(params.committee, query);
        const items = t.campaigns.map((c) => totalsView(c, null));
        return {
          status: 200, body: {
            committee: { code: t.committee.code, name: t.committee.name }, asOf: t.publication.publishedAt, position: positionView(t.publication),
            scope: t.scope, items, overall: { ...figuresView(t.overall), openingDong: t.openingDong.toString() },
            permalink: permalink(`/public/committees/${t.committee.code}/campaigns`, t.publication.vseq, t.scope),
          },
        };
      },
    }),
    defineRoute({
      ...common, method: "get", path: "/public/committees/:committee/totals", summary: "Verified totals over all campaigns for a period",
      params: committeeParams, query: pinQuery,
      responses: { 200: { description: "Opening balance, received, disbursed and closing over the period, per campaign and in all", schema: committeeTotalsResponse } },
      async handle({ params, query }) {
        const t = await s.public.committeeTotals(params.committee, query);
        const closing = t.openingDong + t.overall.balanceDong;
        return {
          status: 200, body: {
            committee: { code: t.committee.code, name: t.committee.name }, verifiedOnly: true, asOf: t.publication.publishedAt,
            position: positionView(t.publication), scope: t.scope,
            openingDong: t.openingDong.toString(), ...figuresView(t.overall), closingDong: closing.toString(),
            campaigns: t.campaigns.filter((c) => c.figures.donations + c.figures.disbursements > 0 || c.figures.balanceDong !== 0n || c.openingDong !== 0n)
              .map((c) => ({
                code: c.campaign.code, name: c.campaign.name, openingDong: c.openingDong.toString(), receivedDong: c.figures.receivedDong.toString(),
                disbursedDong: c.figures.disbursedDong.toString(), otherOutDong: c.figures.otherOutDong.toString(),
                closingDong: (c.openingDong + c.figures.balanceDong).toString(),
              })),
            permalink: permalink(`/public/committees/${t.committee.code}/totals`, t.publication.vseq, t.scope),
          },
        };
      },
    }),
    defineRoute({
      ...common, method: "get", path: "/public/committees/:committee/campaigns/:code/totals", summary: "Verified totals of a campaign",
      params: campaignParams, query: pinQuery,
      responses: { 200: { description: "Figures from verified entries only, their publication and a permalink", schema: totalsResponse } },
      async handle({ params, query }) {
        const t = await s.public.campaignTotals(params.committee, params.code, query);
        const facts = await s.public.statementFacts(t, STATEMENT_WAIT_MS);
        return { status: 200, body: totalsView(t, facts) };
      },
    }),
    defineRoute({
      ...common, method: "get", path: "/public/committees/:committee/campaigns/:code/press", summary: "Ready-to-quote sentences",
      params: campaignParams, query: pinQuery.extend({ lang: z.enum(["vi", "en"]).default("vi") }),
      responses: { 200: { description: "Sentences, each with its exact figures and the permalink", schema: pressResponse } },
      async handle({ params, query }) {
        const { lang, ...pin } = query;
        const t = await s.public.campaignTotals(params.committee, params.code, pin);
        const f = t.figures;
        const link = permalink(`/public/committees/${t.committee.code}/campaigns/${t.campaign.code}/totals`, t.publication.vseq, t.scope);
        const sentences = pressSentences({
          campaignName: t.campaign.name, targetDong: t.campaign.targetDong, receivedDong: f.receivedDong, disbursedDong: f.disbursedDong,
          otherOutDong: f.otherOutDong, balanceDong: f.balanceDong, openingDong: t.openingDong, donations: f.donations, donors: f.donors, households: f.households,
          disbursedUnits: f.disbursedUnits, pledgedDong: t.pledged.amountDong, pledges: t.pledged.count, asOf: t.publication.publishedAt,
          from: t.scope.from, to: t.scope.to,
        }, lang);
        return {
          status: 200, body: {
            lang, campaign: t.campaign.code, asOf: t.publication.publishedAt, position: positionView(t.publication), permalink: link,
            sentences: sentences.map((x) => ({ ...x, permalink: link })),
          },
        };
      },
    }),
    defineRoute({
      ...common, method: "post", path: "/public/committees/:committee/campaigns/:code/press/check",
      summary: "Check a published figure against the ledger",
      params: campaignParams, query: pinQuery,
      body: z.strictObject({
        figure: z.enum(["received", "disbursed", "balance", "donations", "donors", "households", "units"]),
        unit: z.string().min(1).max(40).optional().meta({ description: "for figure=units: suất, kg, căn…" }),
        value: amount.meta({ description: "the published figure: đồng, or a count / quantity (whole numbers)" }),
        valueDong: amount.optional().meta({ description: "for figure=units: the published value of those units, if any" }),
        qualifier: z.enum(["exact", "trên", "hơn", "gần", "khoảng"]).default("exact"),
        parts: z.array(z.object({ label: z.string().max(200).optional(), value: amount })).max(100).optional()
          .meta({ description: "the figures the headline is said to add up from" }),
      }),
      responses: { 200: { description: "Whether the ledger supports the figure, the exact figure, and whether the parts add up", schema: pressCheckResponse } },
      async handle({ params, query, body }) {
        const t = await s.public.campaignTotals(params.committee, params.code, query);
        const f = t.figures;
        if (body.figure === "units" && !body.unit) fail("validation_failed", "name the unit of the figure (unit: suất, kg…)", "unit");
        const stated = nonNegative(body.value, "value");
        const u = f.disbursedUnits.find((x) => x.unit === body.unit);
        const exact = exactFigure(f, body.figure, u);
        const q = body.qualifier as Qualifier;
        const result: Record<string, unknown> = {
          figure: body.figure, unit: body.unit ?? null, qualifier: q, stated: stated.toString(), exact: exact?.toString() ?? null,
          supported: exact !== null && supports(exact, stated, q),
        };
        if (body.figure === "units" && body.valueDong !== undefined) {
          const v = nonNegative(body.valueDong, "valueDong");
          result.statedValueDong = v.toString();
          result.exactValueDong = u?.valueDong.toString() ?? "0";
          result.valueSupported = u !== undefined && supports(u.valueDong, v, q);
          result.supported = result.supported === true && result.valueSupported === true;
        }
        if (body.parts) {
          const sum = body.parts.reduce((a, p, i) => a + nonNegative(p.value, `parts.${i}.value`), 0n);
          result.partsSum = sum.toString();
          result.partsAddUp = sum === stated;
          if (sum !== stated) result.flag = `the headline ${stated} does not equal the sum of its parts ${sum}`;
        }
        result.position = positionView(t.publication);
        result.permalink = permalink(`/public/committees/${t.committee.code}/campaigns/${t.campaign.code}/totals`, t.publication.vseq, t.scope);
        return { status: 200, body: result };
      },
    }),
    defineRoute({
      ...common, method: "get", path: "/public/receipts/:receiptNumber", summary: "Check a receipt (phiếu thu) is recorded",
      params: z.strictObject({ receiptNumber: z.string().regex(/^PT-\d{4}-\d{6}$/, "a receipt number such as PT-2024-000012") }),
      query: z.strictObject({ committee: committeeCode, lang: selfCheckLang }),
      responses: { 200: { description: "The donation this receipt records", schema: z.object({ committee: z.string(), found: z.literal(true), donation: donationMatch }) } },
      async handle({ params, query }) {
        const r = await s.public.receipt(query.committee, params.receiptNumber);
        return { status: 200, headers: NO_STORE, body: { committee: r.committee.code, found: true, donation: matchView(r.match, query.lang) } };
      },
    }),
    defineRoute({
      ...common, method: "get", path: "/public/donations", summary: "Find one's own donation (self-check)",
      query: z.strictObject({
        committee: committeeCode,
        bankReference: z.string().trim().regex(/^[A-Za-z0-9._/-]{6,64}$/, "a bank reference of 6 to 64 letters, digits or . _ / -").optional(),
        amountDong: amount.optional(),
        date: isoDate.optional(),
        name: z.string().trim().min(2).max(100).optional().meta({ description: "part of the donor's name (only names published with consent match)" }),
        lang: selfCheckLang,
      }),
      responses: { 200: { description: "At most 5 matches; a vaguer question is refused, not answered with a list", schema: z.object({ committee: z.string(), count: z.number().int(), items: z.array(donationMatch) }) } },
      async handle({ query }) {
        const { lang, ...q } = query;
        const amountDong = q.amountDong === undefined ? undefined : parseAmountDong(q.amountDong, "amountDong");
        const r = await s.public.selfCheck(q.committee, { ...q, amountDong });
        return { status: 200, headers: NO_STORE, body: { committee: r.committee.code, count: r.found.length, items: r.found.map((m) => matchView(m, lang)) } };
      },
    }),
    defineRoute({
      ...common, method: "get", path: "/public/committees/:committee/checkpoints", summary: "List signed checkpoints",
      params: committeeParams,
      query: z.strictObject({ before: z.coerce.number().int().positive().optional(), limit: z.coerce.number().int().min(1).max(100).default(20) }),
      responses: { 200: { description: "Newest first; each signed with the key at /.well-known/soquy-key", schema: z.object({ items: z.array(checkpointResponse), key: keyInfo }) } },
      async handle({ params, query }) {
        const committee = await s.public.committee(params.committee);
        const items = await s.checkpoints().list(committee, query.limit, query.before ?? null);
        return { status: 200, body: { items, key: s.keys.signerFor(committee.code).info } };
      },
    }),
    defineRoute({
      ...common, method: "get", path: "/public/committees/:committee/checkpoints/:id", summary: "Read a signed checkpoint",
      params: committeeParams.extend({ id: z.coerce.number().int().positive() }),
      responses: { 200: { description: "The checkpoint file that `cli check-statement` reads", schema: checkpointResponse } },
      async handle({ params, res }) {
        const committee = await s.public.committee(params.committee);
        const c = await s.checkpoints().get(committee, params.id);
        res.setHeader("Content-Disposition", `attachment; filename="soquy-checkpoint-${committee.code}-${c.id}.json"`);
        // The key travels along for convenience; a careful reader checks its id against /.well-known/soquy-key.
        return { status: 200, body: { ...c, key: s.keys.trusted(committee.code).get(c.keyId) ?? s.keys.signerFor(committee.code).info } };
      },
    }),
    defineRoute({
      method: "post", path: "/checkpoints", tag: "Public", summary: "Sign a checkpoint now", roles: ["approver"],
      body: z.strictObject({}),
      responses: { 201: { description: "The signed checkpoint (appending another is harmless: each is complete and signed)", schema: checkpointResponse } },
      async handle({ principal }) {
        const committee = await s.public.committee(principal.committeeCode);
        return { status: 201, body: await s.checkpoints().create(committee, "on_demand", principal.tokenId) };
      },
    }),
  ];
}

function nonNegative(value: unknown, field: string): bigint {
  if (value === 0 || (typeof value === "string" && /^\s*0+\s*$/.test(value))) return 0n;
  const v = parseSignedDong(value, field);
  if (v < 0n) fail("validation_failed", `${field} must be 0 or more`, field);
  return v;
}

function exactFigure(f: PublicFigures, figure: string, u: PublicFigures["disbursedUnits"][number] | undefined): bigint | null {
  switch (figure) {
    case "received": return f.receivedDong;
    case "disbursed": return f.disbursedDong;
    case "balance": return f.balanceDong;
    case "donations": return BigInt(f.donations);
    case "donors": return f.donors === null ? null : BigInt(f.donors);
    case "households": return f.households === null ? null : BigInt(f.households);
    case "units": {
      if (!u) return 0n;
      const [whole, frac = ""] = u.quantity.split(".");
      return frac ? null : BigInt(whole!); // a fractional quantity is never a whole published count
    }
    default: return null;
  }
}

export function permalink(path: string, vseq: number, scope: { from: string | null; to: string | null }): string {
  const q = new URLSearchParams({ at: String(vseq) });
  if (scope.from) q.set("from", scope.from);
  if (scope.to) q.set("to", scope.to);
  return `/api/v1${path}?${q.toString()}`;
}

function positionView(p: CampaignTotals["publication"]) {
  return { publication: p.vseq, publishedAt: p.publishedAt, sequence: p.headSeq, hash: p.headHash };
}

export function figuresView(f: PublicFigures) {
  const list = (b: PublicFigures["byPurpose"]) => b.map((x) => ({ key: x.key, amountDong: x.amountDong.toString(), count: x.count }));
  const unitList = (u: PublicFigures["receivedUnits"]) => u.map((x) => ({ unit: x.unit, quantity: x.quantity, valueDong: x.valueDong.toString(), count: x.count }));
  return {
    receivedDong: f.receivedDong.toString(),
    receivedByMethod: {
      cash: f.receivedByMethod.cash.toString(), bank: f.receivedByMethod.bank.toString(), inKind: f.receivedByMethod.in_kind.toString(),
      other: f.receivedByMethod.other.toString(),
    },
    donations: f.donations, donors: f.donors,
    disbursedDong: f.disbursedDong.toString(), disbursements: f.disbursements, households: f.households,
    disbursedByPurpose: list(f.byPurpose), disbursedByCategory: list(f.byCategory), disbursedByArea: list(f.byArea),
    otherOutDong: f.otherOutDong.toString(), balanceDong: f.balanceDong.toString(),
    holdingsDong: { cash: f.holdingsDong.cash.toString(), bank: f.holdingsDong.bank.toString(), goods: f.holdingsDong.goods.toString() },
    inKind: { received: unitList(f.receivedUnits), disbursed: unitList(f.disbursedUnits) },
  };
}

export function totalsView(t: CampaignTotals, facts: StatementFacts | null) {
  const c = t.campaign;
  const f = t.figures;
  const base = `/public/committees/${t.committee.code}/campaigns/${c.code}`;
  const stmt = new URLSearchParams({ committee: t.committee.code, audience: "public", at: String(t.publication.vseq) });
  if (t.scope.from) stmt.set("from", t.scope.from);
  if (t.scope.to) stmt.set("to", t.scope.to);
  return {
    committee: { code: t.committee.code, name: t.committee.name },
    campaign: { code: c.code, name: c.name, kind: c.kind, startsOn: c.startsOn, endsOn: c.endsOn, targetDong: c.targetDong?.toString() ?? null },
    verifiedOnly: true as const,
    asOf: t.publication.publishedAt,
    position: positionView(t.publication),
    scope: t.scope,
    ...figuresView(f),
    openingDong: t.openingDong.toString(),
    targetDong: c.targetDong?.toString() ?? null,
    progressPercent: progressPercent(f.receivedDong, c.targetDong),
    pledges: {
      count: t.pledged.count, pledgedDong: t.pledged.amountDong.toString(), receivedDong: f.receivedDong.toString(),
      gapDong: (t.pledged.amountDong - f.receivedDong).toString(),
    },
    statement: {
      csv: `/api/v1/campaigns/${c.code}/statement.csv?${stmt}`, pdf: `/api/v1/campaigns/${c.code}/statement.pdf?${stmt}`,
      digest: facts?.digest ?? null, lines: facts?.lines ?? null,
    },
    permalink: permalink(`${base}/totals`, t.publication.vseq, t.scope),
  };
}

export function matchView(m: SelfCheckMatch, lang: "vi" | "en") {
  const verified = m.status === "verified";
  return {
    campaign: { code: m.campaignCode, name: m.campaignName }, date: m.date, amountDong: verified ? m.amountDong.toString() : null, method: m.method,
    receiptNumber: m.receiptNumber, donor: verified ? m.donorName ?? "Nhà hảo tâm" : null, sequence: m.sequence,
    verified, status: m.status, statusText: SELF_CHECK_STATUS[lang][m.status], publication: m.publication, reversed: m.reversed,
  };
}

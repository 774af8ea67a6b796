import type { Soquy } from "../../context.js";
import { fail } from "../../ledger/codes.js";
import type { CampaignFigures } from "../../ledger/store.js";
import type { Campaign } from "../../ledger/types.js";
import { campaignView } from "../../ledger/view.js";
import { allRoles, defineRoute } from "../route.js";
import { campaignCreate, campaignResponse, campaignUpdate, campaignWithTotals, codeParams, verifiedFlag } from "../schemas.js";
import { z } from "zod";

export function campaignRoutes(s: Soquy) {
  return [
    defineRoute({
      method: "post", path: "/campaigns", tag: "Campaigns", summary: "Create a campaign", roles: ["treasurer", "admin"],
      idempotent: true, body: campaignCreate,
      responses: { 201: { description: "Created, with its six accounts", schema: campaignResponse } },
      async handle({ principal, body, meta }) {
        const r = await s.ledger.createCampaign(principal, body, meta);
        return { status: 201, body: r.response, headers: r.replayed ? { "Idempotent-Replayed": "true" } : undefined };
      },
    }),
    defineRoute({
      method: "patch", path: "/campaigns/:code", tag: "Campaigns", summary: "Change what may still change of a campaign", roles: ["treasurer", "admin"],
      idempotent: true, params: codeParams, body: campaignUpdate,
      responses: { 200: { description: "The campaign as it now is", schema: campaignResponse } },
      async handle({ principal, params, body, meta }) {
        const r = await s.ledger.updateCampaign(principal, params.code, body, meta);
        s.public.forgetCampaigns(principal.committeeId);
        return { status: 200, body: r.response, headers: r.replayed ? { "Idempotent-Replayed": "true" } : undefined };
      },
    }),
    defineRoute({
      method: "get", path: "/campaigns", tag: "Campaigns", summary: "List campaigns with their totals", roles: allRoles,
      query: z.strictObject({ verified: verifiedFlag }),
      responses: { 200: { description: "Campaigns", schema: z.object({ items: z.array(campaignWithTotals) }) } },
      async handle({ principal, query }) {
        const campaigns = await s.store.listCampaigns(principal.committeeId);
        const verified = query.verified === "true";
        const items = [];
        for (const c of campaigns) items.push(withTotals(c, await s.store.campaignFigures(c, verified), verified));
        return { status: 200, body: { items } };
      },
    }),
    defineRoute({
      method: "get", path: "/campaigns/:code", tag: "Campaigns", summary: "Read a campaign with its totals", roles: allRoles,
      params: codeParams, query: z.strictObject({ verified: verifiedFlag }),
      responses: { 200: { description: "The campaign", schema: campaignWithTotals } },
      async handle({ principal, params, query }) {
        const c = await s.store.findCampaign(principal.committeeId, params.code);
        if (!c) fail("campaign_not_found", `no campaign with code ${params.code}`, "code");
        const verified = query.verified === "true";
        return { status: 200, body: withTotals(c, await s.store.campaignFigures(c, verified), verified) };
      },
    }),
  ];
}

export function withTotals(c: Campaign, f: CampaignFigures, verifiedOnly: boolean) {
  const quantities = (list: CampaignFigures["receivedQuantities"]) =>
    list.map((q) => ({ unit: q.unit, quantity: q.quantity, valueDong: q.valueDong.toString() }));
  return {
    ...campaignView(c),
    totals: {
      receivedDong: f.receivedDong.toString(),
      receivedByMethod: {
        cash: f.receivedByMethod.cash.toString(), bank: f.receivedByMethod.bank.toString(), inKind: f.receivedByMethod.in_kind.toString(),
      },
      disbursedDong: f.disbursedDong.toString(),
      balanceDong: f.balanceDong.toString(),
      holdingsDong: { cash: f.holdingsDong.cash.toString(), bank: f.holdingsDong.bank.toString(), goods: f.holdingsDong.goods.toString() },
      targetDong: c.targetDong?.toString() ?? null,
      // Floored, so a published percentage never overstates progress.
      progressPercent: c.targetDong ? Number((f.receivedDong * 100n) / c.targetDong) : null,
      donations: f.donations,
      donors: f.donors,
      disbursements: f.disbursements,
      households: f.households,
      inKind: { received: quantities(f.receivedQuantities), disbursed: quantities(f.disbursedQuantities) },
      pledgedDong: f.pledgedDong.toString(),
      pledges: f.pledges,
      pledgeGapDong: (f.pledgedDong - f.receivedDong).toString(),
      lateDisbursements: { deadline: f.late.deadline, count: f.late.disbursements, amountDong: f.late.amountDong.toString() },
    },
    verifiedOnly,
    asOfSequence: f.lastSeq,
  };
}

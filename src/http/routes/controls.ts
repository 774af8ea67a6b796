import { z } from "zod";
import type { Soquy } from "../../context.js";
import { fail } from "../../ledger/codes.js";
import { closeView, pledgeView } from "../../ledger/controls.js";
import { allRoles, defineRoute, type Reply } from "../route.js";
import {
  codeParams, idParams, periodCheck, periodCreate, periodResponse, pledgeCreate, pledgeResponse, verifyBatch, verifyOutcome,
} from "../schemas.js";

// Maker-checker verification, period close and pledges.
export function controlRoutes(s: Soquy) {
  const replayable = (r: { response: unknown; replayed: boolean }, status = 201): Reply => ({
    status, body: r.response, headers: r.replayed ? { "Idempotent-Replayed": "true" } : undefined,
  });
  return [
    defineRoute({
      method: "post", path: "/entries/:id/verify", tag: "Controls", summary: "Verify an entry", roles: ["approver"],
      params: idParams, body: z.strictObject({}),
      responses: { 200: { description: "Verified by you; verified is true once the required approvals are in", schema: verifyOutcome } },
      async handle({ principal, params }) {
        const [outcome] = await s.controls.verify(principal, [params.id]);
        if (!outcome!.ok) fail(outcome!.code as "entry_not_found", outcome!.detail!, "id");
        return { status: 200, body: outcome };
      },
    }),
    defineRoute({
      method: "post", path: "/entries/verify", tag: "Controls", summary: "Verify entries in bulk", roles: ["approver"],
      body: verifyBatch,
      responses: { 200: { description: "One outcome per id; refused ids say why and are not verified", schema: z.object({ items: z.array(verifyOutcome) }) } },
      async handle({ principal, body }) {
        return { status: 200, body: { items: await s.controls.verify(principal, body.ids) } };
      },
    }),
    defineRoute({
      method: "post", path: "/periods", tag: "Controls", summary: "Close the books through a date", roles: ["approver"],
      idempotent: true, body: periodCreate,
      responses: { 201: { description: "The close, with every account's balance at the date and the chain head", schema: periodResponse } },
      async handle({ principal, body, meta }) {
        return replayable((await s.closeAndSign(principal, body, meta)).result);
      },
    }),
    defineRoute({
      method: "get", path: "/periods", tag: "Controls", summary: "List period closes", roles: allRoles,
      responses: { 200: { description: "Closes, oldest first", schema: z.object({ items: z.array(periodResponse) }) } },
      async handle({ principal }) {
        return { status: 200, body: { items: (await s.store.listCloses(principal.committeeId)).map(closeView) } };
      },
    }),
    defineRoute({
      method: "get", path: "/periods/:id/check", tag: "Controls", summary: "Re-check a period close against the ledger", roles: allRoles,
      params: z.strictObject({ id: z.coerce.number().int().positive() }),
      responses: { 200: { description: "ok when every stored balance and the chain head still match", schema: periodCheck } },
      async handle({ principal, params }) {
        return { status: 200, body: await s.controls.checkClose(principal, params.id) };
      },
    }),
    defineRoute({
      method: "post", path: "/campaigns/:code/pledges", tag: "Controls", summary: "Record a pledge", roles: ["treasurer"],
      idempotent: true, params: codeParams, body: pledgeCreate,
      responses: { 201: { description: "Recorded; never counted as money received", schema: pledgeResponse } },
      async handle({ principal, params, body, meta }) {
        return replayable(await s.controls.addPledge(principal, params.code, body, meta));
      },
    }),
    defineRoute({
      method: "get", path: "/campaigns/:code/pledges", tag: "Controls", summary: "List a campaign's pledges", roles: allRoles,
      params: codeParams,
      responses: { 200: { description: "Pledges", schema: z.object({ items: z.array(pledgeResponse) }) } },
      async handle({ principal, params }) {
        const campaign = await s.ledger.campaign(principal.committeeId, params.code);
        return { status: 200, body: { items: (await s.store.listPledges(campaign)).map(pledgeView) } };
      },
    }),
  ];
}

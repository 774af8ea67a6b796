import { z } from "zod";
import type { Soquy } from "../../context.js";
import { fail } from "../../ledger/codes.js";
import { parseIsoDate } from "../../ledger/dates.js";
import { entryView } from "../../ledger/view.js";
import { allRoles, defineRoute } from "../route.js";
import { entriesQuery, entryResponse, generalEntryCreate, idParams, reverseCreate } from "../schemas.js";
import { written } from "./records.js";

export function entryRoutes(s: Soquy) {
  return [
    defineRoute({
      method: "post", path: "/entries", tag: "Entries", summary: "Record a general entry", roles: ["treasurer"],
      idempotent: true, body: generalEntryCreate,
      responses: { 201: { description: "Recorded", schema: entryResponse } },
      async handle({ principal, body, meta }) {
        return written(await s.ledger.recordGeneral(principal, body, meta));
      },
    }),
    defineRoute({
      method: "post", path: "/entries/:id/reverse", tag: "Entries", summary: "Reverse an entry", roles: ["treasurer"],
      idempotent: true, params: idParams, body: reverseCreate,
      responses: { 201: { description: "The reversing entry", schema: entryResponse } },
      async handle({ principal, params, body, meta }) {
        return written(await s.ledger.reverse(principal, params.id, body, meta));
      },
    }),
    defineRoute({
      method: "get", path: "/entries", tag: "Entries", summary: "List entries in sequence order", roles: allRoles,
      query: entriesQuery,
      responses: {
        200: {
          description: "A page of entries; pass next as after= for the following page",
          schema: z.object({ items: z.array(entryResponse), next: z.number().int().nullable() }),
        },
      },
      async handle({ principal, query }) {
        let campaignId: number | undefined;
        if (query.campaign) campaignId = (await s.ledger.campaign(principal.committeeId, query.campaign)).id;
        const items = await s.store.listEntries(principal.committeeId, {
          campaignId, from: query.from && parseIsoDate(query.from, "query.from"), to: query.to && parseIsoDate(query.to, "query.to"),
          afterSeq: query.after, limit: query.limit,
          verified: query.verified === undefined ? undefined : query.verified === "true",
        });
        const next = items.length === query.limit ? items[items.length - 1]!.seq : null;
        return { status: 200, body: { items: items.map(entryView), next } };
      },
    }),
    defineRoute({
      method: "get", path: "/entries/:id", tag: "Entries", summary: "Read an entry", roles: allRoles, params: idParams,
      responses: {
        200: {
          description: "The entry, with reversedBy when a reversal points to it, and who verified it",
          schema: entryResponse.extend({
            reversedBy: z.string().nullable(),
            verified: z.boolean(),
            verifications: z.array(z.object({ by: z.number().int(), name: z.string(), at: z.string() })),
          }),
        },
      },
      async handle({ principal, params }) {
        const e = await s.store.findEntry(principal.committeeId, params.id);
        if (!e) fail("entry_not_found", `no entry ${params.id} in this committee`, "id");
        const verifications = await s.store.verificationsOf(principal.committeeId, e.id);
        return {
          status: 200,
          body: {
            ...entryView(e), reversedBy: await s.store.reversalOf(principal.committeeId, e.id),
            verified: verifications.length >= e.requiredApprovals, verifications,
          },
        };
      },
    }),
  ];
}

import type { Soquy } from "../../context.js";
import type { WriteResult } from "../../ledger/writer.js";
import { defineRoute, type Reply } from "../route.js";
import { codeParams, disbursementCreate, donationCreate, entryResponse } from "../schemas.js";

// What a treasurer records against a campaign: donations and disbursements.
export function recordRoutes(s: Soquy) {
  return [
    defineRoute({
      method: "post", path: "/campaigns/:code/donations", tag: "Records", summary: "Record a donation", roles: ["treasurer"],
      idempotent: true, params: codeParams, body: donationCreate,
      responses: { 201: { description: "Recorded (or replayed for the same Idempotency-Key)", schema: entryResponse } },
      async handle({ principal, params, body, meta }) {
        return written(await s.ledger.recordDonation(principal, params.code, body, meta));
      },
    }),
    defineRoute({
      method: "post", path: "/campaigns/:code/disbursements", tag: "Records", summary: "Record a disbursement", roles: ["treasurer"],
      idempotent: true, params: codeParams, body: disbursementCreate,
      responses: { 201: { description: "Recorded (or replayed for the same Idempotency-Key)", schema: entryResponse } },
      async handle({ principal, params, body, meta }) {
        return written(await s.ledger.recordDisbursement(principal, params.code, body, meta));
      },
    }),
  ];
}

export function written(r: WriteResult): Reply {
  return {
    status: 201,
    body: r.entry,
    headers: { Location: `/api/v1/entries/${r.entry.id}`, ...(r.replayed ? { "Idempotent-Replayed": "true" } : {}) },
  };
}

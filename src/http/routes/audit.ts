import { z } from "zod";
import type { Soquy } from "../../context.js";
import { listAudit } from "../../db/audit.js";
import { fail } from "../../ledger/codes.js";
import { parseIsoDate } from "../../ledger/dates.js";
import { defineRoute } from "../route.js";

// The audit log for auditors: every change and every refused attempt made
// with this committee's tokens, in id order, a page at a time. Attempts that
// no committee can be told from (no token, or an unknown one) are kept in
// the table but shown to no committee.

const instant = z.union([
  z.string().regex(/^\d{4}-\d{2}-\d{2}$/, "must be a date as YYYY-MM-DD"),
  z.iso.datetime({ offset: true }),
]).meta({
  description: "A date (YYYY-MM-DD, that whole day in Vietnam time, UTC+07:00) or an ISO 8601 date-time with its offset",
  example: "2024-01-15",
});

export const auditQuery = z.strictObject({
  after: z.coerce.number().int().min(0).optional().meta({ description: "the next of the previous page" }),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  action: z.string().min(1).max(201).optional()
    .meta({ description: "an action exactly (\"POST /api/v1/campaigns/:code/donations\"), or a prefix ending in * (\"POST *\")", example: "POST *" }),
  outcome: z.string().regex(/^[1-5]([0-9]{2}|xx)$/, "a status such as 403, or a class such as 4xx").optional()
    .meta({ description: "an HTTP status (403) or a class of them (4xx)", example: "4xx" }),
  from: instant.optional(),
  to: instant.optional(),
  token: z.coerce.number().int().min(1).optional().meta({ description: "the id of the token that made the request" }),
});

export const auditItem = z.object({
  id: z.number().int(),
  at: z.string().meta({ description: "when the request arrived (UTC, ISO 8601)", example: "2024-01-15T02:03:04.567Z" }),
  tokenId: z.number().int().nullable(),
  role: z.string().nullable(),
  action: z.string().meta({ example: "POST /api/v1/campaigns/:code/donations" }),
  target: z.string().meta({ description: "the path (never the query string)", example: "/api/v1/campaigns/VNN2024/donations" }),
  outcome: z.number().int().meta({ description: "the HTTP status answered", example: 201 }),
  code: z.string().nullable().meta({ description: "the problem's result code when refused", example: "forbidden" }),
  requestId: z.uuid().meta({ description: "the X-Request-Id of the response" }),
  client: z.string().nullable().meta({ description: "the client's address" }),
});

export function auditRoutes(s: Soquy) {
  return [
    defineRoute({
      method: "get", path: "/audit-log", tag: "Audit", summary: "List the audit log", roles: ["auditor"],
      query: auditQuery,
      responses: {
        200: {
          description: "A page of audit rows (every change and every refused attempt by this committee's tokens); pass next as after= for the following page",
          schema: z.object({ items: z.array(auditItem), next: z.number().int().nullable() }),
        },
      },
      async handle({ principal, query }) {
        const from = query.from ? toInstant(query.from, "from", "start") : undefined;
        const to = query.to ? toInstant(query.to, "to", "end") : undefined;
        const rows = await listAudit(s.db.knex, principal.committeeId, {
          afterId: query.after,
          limit: query.limit,
          action: query.action,
          outcome: query.outcome === undefined ? undefined
            : query.outcome.endsWith("xx") ? (query.outcome as `${1 | 2 | 3 | 4 | 5}xx`) : Number(query.outcome),
          tokenId: query.token,
          from,
          to,
        });
        const items = rows.map(({ committeeId: _committee, ...row }) => row);
        const next = rows.length === query.limit ? rows[rows.length - 1]!.id : null;
        return { status: 200, body: { items, next } };
      },
    }),
  ];
}

/** A date is that day in Vietnam (UTC+07:00, no daylight saving): from its start, or through its end. */
function toInstant(value: string, field: "from" | "to", edge: "start" | "end"): Date {
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) {
    parseIsoDate(value, field);
    const start = new Date(`${value}T00:00:00+07:00`);
    return edge === "start" ? start : new Date(start.getTime() + 86_400_000 - 1);
  }
  const t = new Date(value);
  if (Number.isNaN(t.getTime())) fail("invalid_date", `${field} is not a real date-time: ${value}`, field);
  return t;
}

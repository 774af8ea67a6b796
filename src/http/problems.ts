import type { ErrorRequestHandler, Response } from "express";
import type { Logger } from "pino";
import { z } from "zod";
import { AssertionFailed } from "../ledger/assert.js";
import { isDatabaseBusy } from "../db/gate.js";
import { LedgerError, type ResultCode } from "../ledger/codes.js";
import { maskText } from "../ledger/mask.js";
import { badInput, unavailable } from "../db/sqlstates.js";

// The one table from result codes to HTTP statuses, and RFC 9457
// problem+json bodies carrying the stable code and the offending field.
export const statusByCode: Record<ResultCode, number> = {
  validation_failed: 422,
  malformed_request: 400,
  internal_error: 500,
  amount_must_be_positive: 422,
  amount_not_whole_dong: 422,
  amount_too_large: 422,
  amount_not_a_number: 422,
  invalid_date: 422,
  unauthorized: 401,
  forbidden: 403,
  not_found: 404,
  committee_not_found: 404,
  committee_code_taken: 409,
  campaign_not_found: 404,
  campaign_code_taken: 409,
  account_not_found: 422,
  entry_not_found: 404,
  entry_already_reversed: 409,
  cannot_reverse_a_reversal: 409,
  unbalanced_entry: 422,
  too_few_postings: 422,
  too_many_postings: 422,
  insufficient_campaign_balance: 409,
  insufficient_balance: 409,
  items_required: 422,
  items_value_mismatch: 422,
  items_not_allowed: 422,
  bank_reference_duplicate: 409,
  idempotency_key_required: 400,
  idempotency_key_reused: 409,
  resolution_required: 422,
  donation_outside_receiving_window: 422,
  purpose_not_allowed_for_campaign: 422,
  period_closed: 409,
  period_already_closed: 409,
  unverified_entries: 409,
  self_verification_forbidden: 403,
  token_role_not_allowed: 403,
  already_verified: 409,
  reversal_before_original: 409,
  query_too_broad: 422,
  payload_too_large: 413,
  rate_limited: 429,
  bank_file_malformed: 422,
  balance_assertion_failed: 422,
  bank_layout_unknown: 422,
  bank_account_not_found: 404,
  bank_import_not_found: 404,
  bank_import_already_reversed: 409,
  signing_key_missing: 503,
  database_unavailable: 503,
  upload_timeout: 408,
  area_not_listed: 422,
  campaign_frozen: 409,
  database_busy: 503,
  import_interrupted: 503,
  saoke_not_published: 404,
  document_not_applicable: 409,
};

const titles: Partial<Record<ResultCode, string>> = {
  validation_failed: "The request is not valid",
  unauthorized: "A valid bearer token is required",
  forbidden: "This token's role may not do this",
  insufficient_campaign_balance: "The campaign does not hold enough money",
  idempotency_key_reused: "Idempotency-Key reused with a different request",
};

export interface FieldIssue {
  field: string;
  message: string;
}

export const problemSchema = z.object({
  type: z.string(),
  title: z.string(),
  status: z.number().int(),
  detail: z.string(),
  code: z.string(),
  field: z.string().optional(),
  errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  instance: z.string().optional(),
  requestId: z.string().optional(),
});

export function sendProblem(res: Response, code: ResultCode, detail: string, field?: string, errors?: FieldIssue[]): void {
  const status = statusByCode[code];
  if (!res.locals.principal) {
    // An answer to anyone: what it echoes goes through the public masking, as every public output does.
    detail = maskText(detail);
    errors = errors?.map((e) => ({ field: e.field, message: maskText(e.message) }));
  }
  res.status(status).type("application/problem+json").json({
    type: `urn:soquy:problem:${code}`,
    title: titles[code] ?? code.replaceAll("_", " "),
    status,
    detail,
    code,
    ...(field ? { field } : {}),
    ...(errors ? { errors } : {}),
    instance: res.locals.principal ? res.req.originalUrl.split("?")[0] : maskText(res.req.originalUrl.split("?")[0]!),
    requestId: res.locals.requestId as string | undefined,
  });
}

/** The request's logger: a child of the app's carrying the request id, made on first use (most requests never log). */
export function requestLog(res: Response): Logger | undefined {
  const locals = res.locals as { log?: Logger; rootLog?: Logger; requestId?: string };
  if (!locals.log && locals.rootLog) locals.log = locals.rootLog.child({ requestId: locals.requestId });
  return locals.log;
}

export function zodIssues(error: z.ZodError, prefix = ""): FieldIssue[] {
  return error.issues.map((i) => {
    const path = i.path.reduce<string>((acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)), prefix);
    const keys = (i as { keys?: string[] }).keys;
    const key = keys?.[0] || "(empty key)";
    const field = i.code === "unrecognized_keys" && keys?.length ? (path ? `${path}.${key}` : key) : path || "(body)";
    return { field, message: i.message };
  });
}

// Connection failures (the SQLSTATEs of a server shutting down, starting, or in recovery are in src/db/sqlstates.ts).
const UNAVAILABLE_CODES = new Set(["ECONNREFUSED", "ECONNRESET", "ETIMEDOUT", "EPIPE"]);

function databaseUnavailable(error: unknown): boolean {
  const e = error as { code?: string; name?: string; message?: string } | null;
  if (!e) return false;
  if (unavailable(e) || (e.code && UNAVAILABLE_CODES.has(e.code))) return true;
  if (e.name === "KnexTimeoutError") return true;
  return /Connection terminated|no usable database host|connection is closed|Client has encountered a connection error/i.test(e.message ?? "");
}

export const errorHandler: ErrorRequestHandler = (error, req, res, _next) => {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  if (error instanceof LedgerError) {
    if (isDatabaseBusy(error)) res.setHeader("Retry-After", String(error.retryAfterSeconds));
    sendProblem(res, error.code, error.message, error.field);
    return;
  }
  if (error instanceof z.ZodError) {
    const errors = zodIssues(error);
    sendProblem(res, "validation_failed", errors.map((e) => `${e.field}: ${e.message}`).join("; "), errors[0]?.field, errors);
    return;
  }
  const e = error as { type?: string; status?: number };
  if (e?.type === "entity.too.large") {
    sendProblem(res, "payload_too_large", "the request body is larger than the limit");
    return;
  }
  if (e?.type === "entity.parse.failed" || e?.type === "encoding.unsupported" || e?.type === "charset.unsupported") {
    sendProblem(res, "malformed_request", "the request body is not valid JSON in UTF-8");
    return;
  }
  if (typeof e?.status === "number" && e.status >= 400 && e.status < 500) {
    // e.g. a path that is not valid percent-encoded UTF-8 (express's URIError)
    sendProblem(res, "malformed_request", "the request could not be read (bad encoding in the path or headers)");
    return;
  }
  if (badInput(error)) {
    // A value the database cannot hold reached it: the validation missed it, but it is still bad input.
    requestLog(res)?.warn({ pgCode: (error as { code: string }).code, path: req.path }, "bad input reached the database");
    sendProblem(res, "validation_failed", "a value in the request cannot be stored (bad encoding, NUL or out of range)");
    return;
  }
  if (databaseUnavailable(error)) {
    // The primary is down or being replaced by its standby: a retry with the same Idempotency-Key is safe.
    requestLog(res)?.warn({ err: error, path: req.path }, "database unavailable");
    res.setHeader("Retry-After", "1");
    sendProblem(res, "database_unavailable", "the database cannot be reached right now; retry in a moment (with the same Idempotency-Key)");
    return;
  }
  // A bug or an outage: log it whole, tell the client only the request id.
  requestLog(res)?.error({ err: error, assertion: error instanceof AssertionFailed, path: req.path }, "request failed");
  sendProblem(res, "internal_error", "the server failed to handle this request; it has been logged");
};

import { randomUUID } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import type { AuditRow, AuditSink } from "../db/audit.js";
import type { Principal } from "../ledger/types.js";

// One audit row for every request that may change something (any method but
// GET, HEAD and OPTIONS, whatever its outcome) and for every refused attempt
// (400, 401, 403, 409, 413, 422, 429), buffered as the response is ended.
// Only what identifies the attempt is kept: who (committee, token, role, client
// address), what (method and route pattern, path), the outcome and the
// problem's code. Never a body, a query string, a header or a token.
// Mount it before anything that can answer (rate limiter, routers).

const READS = new Set(["GET", "HEAD", "OPTIONS"]);
export const AUDITED_REFUSALS: ReadonlySet<number> = new Set([400, 401, 403, 409, 413, 422, 429]);

/**
 * Set on res.locals by a middleware that answers 429 repeatedly to the same
 * client: only the first refusal of such a run is audited (the request log
 * still has every one), so a flood cannot turn into a flood of audit rows.
 */
export const AUDIT_REPEATED_429 = "auditRepeated429";

interface AuditState {
  at: Date;
  recorded: boolean;
  req: Request;
  json: Response["json"];
  end: Response["end"];
}

export function auditMiddleware(sink: AuditSink): RequestHandler {
  // Per response: when it arrived, whether its row is written, and the json
  // and end it wraps, kept on the response under this middleware's own key
  // and read by functions made once here (tsx names every closure a request
  // would otherwise make, which costs more than the closure).
  const AUDIT = Symbol("audit");
  type Audited = Response & { [AUDIT]: AuditState };

  const recordOnce = (res: Audited): void => {
    const st = res[AUDIT];
    if (st.recorded) return;
    st.recorded = true;
    const row = auditRow(st.req, res, st.at);
    if (row) sink.write(row);
  };
  // The problem's code, read as the body is sent (sendProblem uses res.json).
  const auditedJson = function (this: Audited, body?: unknown) {
    if (this.statusCode >= 400 && body && typeof body === "object" && typeof (body as { code?: unknown }).code === "string") {
      this.locals.problemCode ??= (body as { code: string }).code;
    }
    return this[AUDIT].json.call(this, body);
  };
  const auditedEnd = function (this: Audited, ...args: unknown[]) {
    const r = (this[AUDIT].end as (...a: unknown[]) => Response).apply(this, args);
    recordOnce(this);
    return r;
  };
  const onFinish = function (this: Audited) {
    recordOnce(this);
  };
  const onClose = function (this: Audited) {
    if (this.headersSent) recordOnce(this);
  };

  return (req, res, next) => {
    (res as Audited)[AUDIT] = { at: new Date(), recorded: false, req, json: res.json, end: res.end };
    res.json = auditedJson as Response["json"];
    // The row is buffered as the response is ended: before the client can
    // have it, and even when the client hung up mid-request (the handler
    // still ends its response with the status it decided on, but then no
    // "finish" comes). A response destroyed after its head was sent is
    // recorded when it closes.
    res.end = auditedEnd as Response["end"];
    res.on("finish", onFinish);
    res.on("close", onClose);
    next();
  };
}

/** The row for a finished request, or null when it is a successful (or unremarkable) read. */
export function auditRow(req: Request, res: Response, at: Date): AuditRow | null {
  const outcome = res.statusCode;
  const write = !READS.has(req.method);
  if (!write && !AUDITED_REFUSALS.has(outcome)) return null;
  if (outcome === 429 && res.locals[AUDIT_REPEATED_429] === true) return null;
  const principal = res.locals.principal as Principal | undefined;
  const path = pathOf(req);
  return {
    at,
    committeeId: principal?.committeeId ?? null,
    tokenId: principal?.tokenId ?? null,
    role: principal?.role ?? null,
    action: `${req.method} ${routePattern(req, path)}`,
    target: defuse(path),
    outcome,
    code: typeof res.locals.problemCode === "string" ? res.locals.problemCode : null,
    requestId: typeof res.locals.requestId === "string" ? res.locals.requestId : randomUUID(),
    client: clientAddress(req),
  };
}

/** The client's address; express's req.ip throws once the socket is gone (a client that hung up). */
function clientAddress(req: Request): string | null {
  if (!req.socket) return null;
  return req.ip ?? req.socket.remoteAddress ?? null;
}

/** The path as the client sent it, without the query string. */
function pathOf(req: Request): string {
  const url = req.originalUrl || req.url || "/";
  const q = url.indexOf("?");
  return q === -1 ? url : url.slice(0, q);
}

/**
 * "/api/v1/campaigns/:code/donations" for a request a route handled: the
 * route's own pattern, prefixed by the part of the path it was mounted under.
 * The prefix is taken from the path itself (one segment per pattern segment),
 * since req.baseUrl is already unwound when an error handler answers. Without
 * a route (refused before routing, or no such route) it is the path.
 */
export function routePattern(req: Request, path = pathOf(req)): string {
  const pattern = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof pattern !== "string" || /[*{}()?+]/.test(pattern)) return defuse(path);
  const want = pattern.split("/").filter(Boolean).length;
  const segments = path.split("/").filter(Boolean);
  if (segments.length < want) return defuse(path);
  const prefix = segments.slice(0, segments.length - want).join("/");
  return `${prefix ? `/${prefix}` : ""}${pattern === "/" && prefix ? "" : pattern}`;
}

// A token pasted into a URL by mistake is not kept.
function defuse(path: string): string {
  return path.replace(/sq_[A-Za-z0-9_-]{8,}/g, "sq_[redacted]");
}

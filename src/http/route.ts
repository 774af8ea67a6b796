import { createHash } from "node:crypto";
import type { Request, Response, Router } from "express";
import { z } from "zod";
import { fail } from "../ledger/codes.js";
import type { Principal, Role } from "../ledger/types.js";
import { sendProblem, zodIssues } from "./problems.js";

// A route is declared once: its zod shapes, who may call it, and one domain
// call. The same declaration mounts it on express and describes it in the
// OpenAPI document, so the two cannot drift apart.

export interface WriteMetaHttp {
  idempotencyKey: string;
  requestHash: string;
}

export interface Call<B, Q, P> {
  body: B;
  query: Q;
  params: P;
  /** Always set unless the route is open to the public. */
  principal: Principal;
  meta: WriteMetaHttp;
  req: Request;
  res: Response;
}

export interface Reply {
  status: number;
  body: unknown;
  headers?: Record<string, string> | undefined;
}

export interface RouteSpec<B = unknown, Q = unknown, P = unknown> {
  method: "get" | "post" | "patch";
  path: string; // express style, relative to /api/v1
  summary: string;
  tag: string;
  roles: readonly Role[];
  /** Open to anyone: a token is optional (and still checked when sent). */
  public?: boolean;
  idempotent?: boolean;
  /** The handler writes the response itself (streams); handle() then returns null. */
  produces?: string[];
  body?: z.ZodType<B>;
  /** The body is not JSON but a file of one of these types, left unread for the handler to stream (req). */
  rawBody?: string[];
  query?: z.ZodType<Q>;
  params?: z.ZodType<P>;
  responses: Record<number, { description: string; schema?: z.ZodType }>;
  handle(call: Call<B, Q, P>): Promise<Reply | null>;
}

export const allRoles = ["treasurer", "approver", "auditor", "admin"] as const;

export function defineRoute<B, Q, P>(spec: RouteSpec<B, Q, P>): RouteSpec<B, Q, P> {
  return spec;
}

const idempotencyKeyPattern = /^[\x21-\x7e]{1,200}$/;

export function mount(router: Router, spec: RouteSpec<any, any, any>): void {
  router[spec.method](spec.path, async (req, res) => {
    const principal = res.locals.principal as Principal | undefined;
    if (!principal && !spec.public) return sendProblem(res, "unauthorized", "send Authorization: Bearer <token>");
    if (principal && !spec.roles.includes(principal.role)) {
      return sendProblem(res, "forbidden", `the ${principal.role} role may not ${spec.summary.toLowerCase()}`);
    }
    if (spec.rawBody) {
      if (!req.is(spec.rawBody)) fail("malformed_request", `send the file with Content-Type: ${spec.rawBody.join(" or ")}`);
    } else if (spec.method !== "get" && !req.is(["application/json", "application/*+json"])) {
      fail("malformed_request", "send a JSON body with Content-Type: application/json");
    }
    const params = parsePart(spec.params, req.params, "params");
    const query = parsePart(spec.query, req.query, "query");
    const body = spec.method !== "get" && !spec.rawBody ? parsePart(spec.body ?? z.strictObject({}), req.body ?? {}, "body") : undefined;
    let meta: WriteMetaHttp = { idempotencyKey: "", requestHash: "" };
    if (spec.idempotent) {
      const key = req.get("Idempotency-Key");
      if (!key) fail("idempotency_key_required", "send an Idempotency-Key header so a retry can never post twice", "Idempotency-Key");
      if (!idempotencyKeyPattern.test(key)) fail("validation_failed", "Idempotency-Key is 1 to 200 visible ASCII characters", "Idempotency-Key");
      meta = { idempotencyKey: key, requestHash: requestHash(spec.method, req.originalUrl.split("?")[0]!, req.body) };
    }
    const reply = await spec.handle({ body, query, params, principal: principal as Principal, meta, req, res });
    if (reply === null) return;
    for (const [k, v] of Object.entries(reply.headers ?? {})) res.setHeader(k, v);
    if (spec.method !== "get" && reply.status < 400) return sendWritten(res, reply.status, reply.body);
    res.status(reply.status).json(reply.body);
  });
}

/**
 * A write's JSON reply: the status, body and headers res.json would send,
 * without its ETag (a validator only GET and HEAD requests can use) and the
 * rest of express's send machinery (content-type parsing, hashing the body).
 * Refusals still go through res.json, where the audit log reads their code.
 */
function sendWritten(res: Response, status: number, body: unknown): void {
  const text = JSON.stringify(body) ?? "";
  res.statusCode = status;
  res.setHeader("Content-Type", "application/json; charset=utf-8");
  res.setHeader("Content-Length", Buffer.byteLength(text));
  res.end(text);
}

function parsePart<T>(schema: z.ZodType<T> | undefined, value: unknown, part: string): T {
  if (!schema) return value as T;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const errors = zodIssues(parsed.error, part === "body" ? "" : part);
  fail("validation_failed", errors.map((e) => `${e.field}: ${e.message}`).join("; "), errors[0]?.field);
}

/** SHA-256 over method, path and the body with keys sorted: the same request hashes alike. */
export function requestHash(method: string, path: string, body: unknown): string {
  return createHash("sha256").update(`${method.toUpperCase()} ${path}\n${stableJson(body ?? null)}`).digest("hex");
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(",")}]`;
  if (v && typeof v === "object") {
    return `{${Object.keys(v).sort().map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`).join(",")}}`;
  }
  return JSON.stringify(v);
}

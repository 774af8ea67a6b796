import { isUuid } from "../ledger/ids.js";
import { randomUUID } from "node:crypto";
import { readConfig } from "../config.js";
import http from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import express, { type Express, type RequestHandler } from "express";
import helmet from "helmet";
import type { Logger } from "pino";
import type { Soquy } from "../context.js";
import { AuditWriter } from "../db/audit.js";
import { databaseAnswers, pendingMigrations } from "../db/connect.js";
import { LegacySchema } from "../db/legacy.js";
import { auditMiddleware } from "./audit.js";
import { jsonBody } from "./body.js";
import { bearerAuth } from "./auth.js";
import { rateLimit } from "./ratelimit.js";
import { PublicCache } from "./publiccache.js";
import { auditRoutes } from "./routes/audit.js";
import { docsInit, docsPage, openApiDocument } from "./openapi.js";
import { errorHandler, sendProblem } from "./problems.js";
import { mount, type RouteSpec } from "./route.js";
import { accountRoutes } from "./routes/accounts.js";
import { areaRoutes } from "./routes/areas.js";
import { campaignRoutes } from "./routes/campaigns.js";
import { controlRoutes } from "./routes/controls.js";
import { entryRoutes } from "./routes/entries.js";
import { recordRoutes } from "./routes/records.js";
import { publicRoutes } from "./routes/public.js";
import { publicPages } from "../web/public.js";
import { saokePages } from "../web/saokepage.js";
import { workspace, workspaceErrors, workspaceSessions } from "../web/workspace.js";
import { faviconRoutes, publicPageErrors, publicPathNotFound } from "../web/screens/notfound.js";
import { statementRoutes } from "./routes/statements.js";
import { tokenRoutes } from "./routes/tokens.js";
import { bankImportRoutes } from "./routes/bankimports.js";
import { saokeRoutes } from "./routes/saoke.js";
import { documentRoutes } from "./routes/documents.js";

export const VERSION = "0.1.0";

/**
 * An incoming X-Request-Id to use as the request's own: a UUID, the type the audit log keeps (any other
 * id made the audit row fail to insert, so a refused attempt went unrecorded).
 */
function incomingRequestId(value: string | undefined): string | null {
  return isUuid(value) ? value.toLowerCase() : null;
}

/** Another id a proxy sent, kept beside ours in the log line when short and harmless. */
function callerRequestId(value: string | undefined): string | undefined {
  return value !== undefined && /^[\w.:-]{1,128}$/.test(value) ? value : undefined;
}

/** The trace id of a W3C traceparent header ("00-<32 hex>-<16 hex>-<2 hex>"). */
function traceIdOf(value: string | undefined): string | undefined {
  const m = value === undefined ? null : /^[0-9a-f]{2}-([0-9a-f]{32})-[0-9a-f]{16}-[0-9a-f]{2}$/.exec(value.trim());
  return m && !/^0+$/.test(m[1]!) ? m[1] : undefined;
}
const BODY_LIMIT = 64 * 1024; // bytes ("64kb" as body-parser reads it)

export function apiRoutes(s: Soquy): RouteSpec<any, any, any>[] {
  return [
    ...campaignRoutes(s), ...recordRoutes(s), ...statementRoutes(s), ...controlRoutes(s), ...entryRoutes(s), ...accountRoutes(s),
    ...tokenRoutes(s), ...auditRoutes(s), ...publicRoutes(s), ...bankImportRoutes(s), ...areaRoutes(s), ...saokeRoutes(s),
    ...documentRoutes(s),
  ];
}

/**
 * The HTTP server for an app. Its requests and responses are born with the
 * app's prototypes, so express's own Object.setPrototypeOf on every request
 * changes nothing. Changing the prototype of a live request and response, as
 * http.createServer(app) leaves express to do, drops V8's fast paths for every
 * property node's HTTP code and express then touch: it about doubles the CPU
 * of a small JSON POST through express. The classes extend node's own, so their objects keep node's object
 * layout (fast properties); the app's prototypes are swapped for the classes'
 * prototypes, which inherit from them and add nothing.
 */
export function createServer(app: Express): http.Server {
  class AppRequest extends http.IncomingMessage {}
  class AppResponse extends http.ServerResponse {}
  Object.setPrototypeOf(AppRequest.prototype, app.request);
  Object.setPrototypeOf(AppResponse.prototype, app.response);
  app.request = AppRequest.prototype as unknown as typeof app.request;
  app.response = AppResponse.prototype as unknown as typeof app.response;
  return http.createServer({ IncomingMessage: AppRequest, ServerResponse: AppResponse }, app);
}

/**
 * helmet's security headers, worked out once and set on every response.
 * helmet's default middlewares set the same values on every response (none
 * depends on the request), but as twelve middlewares, the policy rebuilt per
 * request: ~100 µs of CPU a request. A test compares the headers with
 * helmet's own.
 */
export function securityHeaders(): RequestHandler {
  const headers: [string, string][] = [];
  const removed: string[] = [];
  let passed = false;
  const recorder = {
    setHeader(name: string, value: unknown) {
      headers.push([name, String(value)]);
    },
    removeHeader(name: string) {
      removed.push(name);
    },
  };
  helmet()({} as never, recorder as never, (error?: unknown) => {
    if (error) throw error;
    passed = true;
  });
  if (!passed || headers.length === 0) throw new Error("helmet did not set its headers synchronously");
  return (_req, res, next) => {
    for (const name of removed) res.removeHeader(name);
    for (const [name, value] of headers) res.setHeader(name, value);
    next();
  };
}

/**
 * Middlewares run in order as one layer: what express does per layer —
 * calling each with a next, passing a thrown error or a rejected promise on
 * to the error handlers — without its per-layer path matching and dispatch.
 */
export function inOrder(...handlers: RequestHandler[]): RequestHandler {
  return (req, res, next) => {
    const chain: Chain = { handlers, i: 0, req, res, next, step: next };
    chain.step = (error?: unknown) => runChain(chain, error); // assigned, not declared: tsx does not name it per request
    chain.step();
  };
}

interface Chain {
  handlers: RequestHandler[];
  i: number;
  req: Parameters<RequestHandler>[0];
  res: Parameters<RequestHandler>[1];
  next: (error?: unknown) => void;
  step: (error?: unknown) => void;
}

function runChain(c: Chain, error: unknown): void {
  if (error !== undefined && error !== null) return c.next(error);
  const handler = c.handlers[c.i++];
  if (!handler) return c.next();
  try {
    const r = handler(c.req, c.res, c.step) as unknown;
    if (r instanceof Promise) r.then(undefined, (e: unknown) => c.next(e ?? new Error("Rejected promise")));
  } catch (e) {
    c.next(e);
  }
}

/**
 * `lastRoutes` are mounted after every route of the service and before its 404, behind the same
 * middleware: the public-read bench serves its static-file baseline through it.
 */
export function createApp(s: Soquy, log: Logger, lastRoutes: RequestHandler | null = null): Express {
  const app = express();
  app.disable("x-powered-by");
  app.set("query parser", "simple");
  // Behind a TLS-terminating proxy: TRUST_PROXY=1 (or a subnet list) makes req.secure and req.ip
  // come from X-Forwarded-*, so session cookies get Secure and rate limits see the client.
  const config = readConfig();
  if (config.trustProxy !== undefined) app.set("trust proxy", config.trustProxy);
  // Every change and every refused attempt, in groups off the hot path; before
  // the rate limiter so that its 429s are recorded too.
  const audit = new AuditWriter(s.db.knex, log);
  // Limits counted in PostgreSQL, shared by every process on it (RATE_LIMIT_STORE=database), or in this process.
  const sharedAs = (name: string) => (config.rateLimitStore === "database" ? { counts: s.rateCounts, name } : undefined);
  app.locals.audit = audit; // flushed by main.ts on shutdown, and by tests
  // What every request goes through, in this order, as one layer of express's
  // router (each layer costs more in dispatch than these middlewares' own work).
  app.use(inOrder(
    securityHeaders(),
    (req, res, next) => {
      const started = process.hrtime.bigint();
      // A proxy's or caller's request id and W3C trace id are kept, so one request can be followed
      // across the proxy, this log and the audit log: a UUID becomes the request's id, another short
      // id is logged beside ours (callerId), anything else is dropped.
      const incoming = req.get("x-request-id");
      const requestId = incomingRequestId(incoming) ?? randomUUID();
      const callerId = requestId === incoming?.toLowerCase() ? undefined : callerRequestId(incoming);
      const traceId = traceIdOf(req.get("traceparent"));
      res.locals.requestId = requestId;
      res.locals.rootLog = log; // requestLog(res) makes the request's child logger when something logs
      res.setHeader("X-Request-Id", requestId);
      // Structured log without tokens, bodies or query strings (they can carry names and phones).
      res.on("finish", () => {
        if (!log.isLevelEnabled("info")) return;
        log.info({
          requestId, callerId, traceId, method: req.method, path: req.path, status: res.statusCode,
          ms: Number(process.hrtime.bigint() - started) / 1e6, committee: res.locals.principal?.committeeCode,
        }, "request");
      });
      next();
    },
    s.metrics.middleware(),
    auditMiddleware(audit),
    workspaceSessions(s), // a signed-in person is accountable like a token
    // Kept public answers go out before the rate limit: a news spike behind one proxy address must not
    // turn into 429s for what costs nothing to serve; what is computed afresh is limited as before.
    // The generation is read where the answers are made (a standby with DATABASE_READ_URL), so an
    // answer is never kept under a generation newer than the figures it shows.
    new PublicCache(s.db.readKnex ?? s.db.knex, config.publicCache).middleware(),
    rateLimit({ shared: sharedAs("anonymous") }),
  ));
  // The donor self-check answers about people's gifts: a tighter limit against enumeration, which a
  // token does not lift (every role may ask, so any token holder could otherwise enumerate).
  const selfCheck = rateLimit({ perMinute: config.selfCheckPerMinute, burst: 15, tokensExempt: false, shared: sharedAs("self-check") });
  app.use(["/api/v1/public/receipts", "/api/v1/public/donations", /^\/c\/[^/]+\/check/], selfCheck);

  // The API first: its requests need not be matched against the routes below (none is under /api/v1).
  const routes = apiRoutes(s);
  const api = express.Router();
  api.use(jsonBody(BODY_LIMIT));
  api.use(bearerAuth(s.store));
  for (const r of routes) mount(api, r);
  app.use("/api/v1", api);

  // The key that signs checkpoints (the committee's own with ?committee=), and every key current and
  // retired, by committee, that a reader may meet on a checkpoint.
  app.get("/.well-known/soquy-key", async (req, res) => {
    res.setHeader("Cache-Control", "public, max-age=300");
    const code = typeof req.query.committee === "string" ? req.query.committee : null;
    if (code !== null) {
      const committee = await s.store.findCommittee(code);
      if (!committee) return sendProblem(res, "committee_not_found", `no committee ${code}`, "committee");
      return void res.json({ ...s.keys.signerFor(code).info, committee: code, keys: s.keys.list(code) });
    }
    res.json({ ...s.signer().info, keys: s.keys.list() });
  });

  // Alive, even while a bank import holds the embedded database's one connection (then it says so).
  app.get("/health", async (_req, res) => {
    if (s.db.gate?.held) return void res.json({ status: "ok", database: s.db.kind, busy: true, version: VERSION });
    await databaseAnswers(s.db.knex);
    res.json({ status: "ok", database: s.db.kind, version: VERSION });
  });
  // Ready for traffic: the database answers and no migration is pending (a load balancer's check).
  app.get("/ready", async (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    try {
      const pending = await pendingMigrations(s.db.knex);
      if (pending.length > 0) return void res.status(503).json({ status: "migrations pending", pending });
      res.json({ status: "ready", database: s.db.kind });
    } catch (error) {
      if (error instanceof LegacySchema) return void res.status(503).json({ status: "migrations pending", error: error.message });
      res.status(503).json({ status: "database unreachable", error: error instanceof Error ? error.message : String(error) });
    }
  });
  app.get("/metrics", async (_req, res) => {
    res.setHeader("Cache-Control", "no-store");
    res.type(s.metrics.registry.contentType).send(await s.metrics.text());
  });

  const doc = openApiDocument(routes, VERSION);
  app.get("/api/openapi.json", (_req, res) => void res.json(doc));
  const swaggerDir = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
  app.use("/api/docs/assets", express.static(swaggerDir, { index: false, maxAge: "1d" }));
  app.get("/api/docs/init.js", (_req, res) => void res.type("application/javascript").send(docsInit));
  app.get("/api/docs", (_req, res) => void res.type("html").send(docsPage()));

  app.use(publicPages(s));
  app.use(faviconRoutes());
  app.use(saokePages(s));
  app.use("/app", workspace(s));
  app.use(workspaceErrors);
  app.use(publicPathNotFound(s)); // an HTML page, not problem+json, under /c/
  app.use(publicPageErrors);

  if (lastRoutes) app.use(lastRoutes);
  app.use((req, res) => sendProblem(res, "not_found", `no route ${req.method} ${req.path}`));
  app.use(errorHandler);
  return app;
}

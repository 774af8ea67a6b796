import type { RequestHandler } from "express";
import { hashToken } from "../context.js";
import type { LedgerStore } from "../ledger/store.js";
import type { Principal } from "../ledger/types.js";
import { sendProblem } from "./problems.js";

// Bearer tokens. Only SHA-256 hashes are stored and looked up, so comparing a
// presented token never compares secrets byte by byte. A short cache spares
// the database a query per request; a revoked token stops within TOKEN_CACHE_MS.
const TOKEN_CACHE_MS = 10_000;
const CACHE_LIMIT = 10_000;

export function bearerAuth(store: LedgerStore): RequestHandler {
  // The promise is cached, so concurrent requests with one token share one lookup.
  const cache = new Map<string, { principal: Promise<Principal | null>; until: number }>();
  return async (req, res, next) => {
    const header = req.get("authorization");
    if (!header) return next();
    const m = /^Bearer ([A-Za-z0-9_\-.~+/]{10,200}=*)$/.exec(header);
    if (!m) return sendProblem(res, "unauthorized", "Authorization must be 'Bearer <token>'");
    const hash = hashToken(m[1]!);
    const now = Date.now();
    let hit = cache.get(hash);
    if (!hit || hit.until < now) {
      if (cache.size >= CACHE_LIMIT) cache.clear();
      hit = { principal: store.findPrincipal(hash), until: now + TOKEN_CACHE_MS };
      cache.set(hash, hit);
      hit.principal.catch(() => cache.delete(hash));
    }
    const principal = await hit.principal;
    if (!principal) return sendProblem(res, "unauthorized", "this token is not valid (unknown or revoked)");
    res.locals.principal = principal;
    next();
  };
}

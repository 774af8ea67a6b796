import { isIPv6 } from "node:net";
import { readConfig } from "../config.js";
import type { Request, RequestHandler, Response } from "express";
import { AUDIT_REPEATED_429 } from "./audit.js";
import type { RateCounts } from "../db/ratelimits.js";
import { sendProblem } from "./problems.js";

// A token bucket per client address for requests that carry no credentials
// (health, docs, public statements, and any request without Authorization).
// Requests with a bearer token are not limited here: the token is accountable
// and every write it makes is audited. A client whose bearer tokens keep
// being refused (401) is charged for those too, and once its bucket is empty
// its requests with an Authorization header are refused as well, so guessing
// tokens is throttled like any other anonymous traffic. A limiter made with
// tokensExempt: false (the donor self-check's) charges every request alike.
//
// Memory is bounded: buckets are kept in least-recently-used order, a bucket
// that has refilled completely is the same as no bucket and is dropped as
// requests go by, and there are never more than maxClients.
//
// Shared (with `shared`, RATE_LIMIT_STORE=database): the counts are kept in
// PostgreSQL (src/db/ratelimits.ts), so N service processes allow what one
// would. A bucket of `burst` that refills at `perMinute` becomes fixed windows
// of burst / rate (30 s at the defaults) allowing `burst` each: the same
// sustained rate. Each counted request costs one UPSERT on an unlogged table; a
// request with a bearer token costs none (refused tokens are counted, and once
// a client's window is spent this process refuses its tokens until the window
// ends: across N processes a guesser gets at most N more tries a window, not N
// times the limit). Answers kept by the public cache are served before this
// middleware and never wait for it. If the database does not answer, the
// process's own buckets decide.

export interface RateLimitOptions {
  /** Sustained rate per client; 0 turns the limiter off. Default: env RATE_LIMIT_PER_MINUTE, else 120. */
  perMinute?: number;
  /** Requests a client may make at once before the rate applies. Default: half a minute's worth (60 at 120/min). */
  burst?: number;
  /** Most clients tracked at once (the least recently seen are forgotten beyond it). */
  maxClients?: number;
  /**
   * Whether a request with a bearer token passes unlimited (default true). False where a token buys
   * nothing, as on the donor self-check: any token holder could otherwise enumerate donations.
   */
  tokensExempt?: boolean;
  /** The client's key; default: its address (req.ip, so "trust proxy" decides), an IPv6 address by its /64. */
  key?: (req: Request) => string;
  now?: () => number;
  /** Count in PostgreSQL under this limiter's name, shared by every process (RATE_LIMIT_STORE=database). */
  shared?: { counts: Pick<RateCounts, "hit">; name: string } | undefined;
}

interface Bucket {
  tokens: number;
  at: number;
  /** When a presented token was last refused (401); 0 if never. */
  authFailedAt: number;
  /** Refusing this client right now (only the first 429 of a run is audited). */
  refusing: boolean;
}

export interface RateLimiter extends RequestHandler {
  /** Clients tracked right now. */
  readonly size: number;
}

export function rateLimit(options: RateLimitOptions = {}): RateLimiter {
  const perMinute = options.perMinute ?? readConfig().rateLimitPerMinute;
  const burst = Math.max(1, Math.floor(options.burst ?? Math.ceil(perMinute / 2)));
  const maxClients = Math.max(1, options.maxClients ?? 50_000);
  const tokensExempt = options.tokensExempt ?? true;
  const keyOf = options.key ?? clientKey;
  const now = options.now ?? Date.now;
  const perMs = perMinute / 60_000;
  const refillMs = perMinute > 0 ? burst / perMs : Infinity;
  const buckets = new Map<string, Bucket>();
  const shared = options.shared;
  const windowMs = perMinute > 0 ? burst / perMs : Infinity;
  /** Shared mode: clients whose refused tokens spent their window, until when (this process's memory of the shared count). */
  const guessers = new Map<string, number>();

  // Refills a bucket and moves it to the most recently used end.
  const touch = (key: string, t: number): Bucket => {
    let b = buckets.get(key);
    if (b) {
      b.tokens = Math.min(burst, b.tokens + (t - b.at) * perMs);
      b.at = t;
      buckets.delete(key);
    } else {
      b = { tokens: burst, at: t, authFailedAt: 0, refusing: false };
    }
    buckets.set(key, b);
    // Forget the least recently seen: any that has refilled, and beyond the cap.
    let n = 0;
    for (const [k, old] of buckets) {
      if (old === b || n++ >= 4) break;
      if (buckets.size > maxClients || (t - old.at >= refillMs && t - old.authFailedAt >= 60_000)) buckets.delete(k);
      else break;
    }
    return b;
  };

  // Made once per limiter, not per request; the response carries its key and the end it wraps.
  const CHARGE = Symbol("rate limit charge");
  type Charged = Response & { [CHARGE]: { key: string; end: Response["end"] } };
  const chargedEnd = function (this: Charged, ...args: unknown[]) {
    const { key, end } = this[CHARGE];
    if (this.statusCode === 401 && !this.headersSent && shared) {
      chargeShared(key);
    } else if (this.statusCode === 401 && !this.headersSent) {
      const charged = touch(key, now());
      charged.authFailedAt = now();
      charged.tokens = Math.max(0, charged.tokens - 1);
    }
    return (end as (...a: unknown[]) => Response).apply(this, args);
  };

  /** A refused token, counted in the shared window; once the window is spent, this client's tokens are refused here until it ends. */
  const chargeShared = (key: string) => {
    shared!.counts.hit(shared!.name, key, windowMs).then((w) => {
      if (w.hits < burst) return;
      if (guessers.size >= maxClients) guessers.delete(guessers.keys().next().value!);
      guessers.set(key, now() + w.retryAfter * 1000);
    }, () => {
      // Not counted: the database did not answer; the next refusal tries again.
    });
  };

  const refuse = (res: Response, retryAfter: number, repeated: boolean, hasCredentials: boolean) => {
    if (repeated) res.locals[AUDIT_REPEATED_429] = true;
    res.setHeader("Retry-After", String(retryAfter));
    sendProblem(res, "rate_limited", !tokensExempt
      ? `too many requests from this address; retry after ${retryAfter} s`
      : hasCredentials
        ? `too many refused tokens from this address; retry after ${retryAfter} s`
        : `too many requests without a token from this address; retry after ${retryAfter} s (requests with a valid token are not limited)`);
  };

  /** This process's own bucket decides (memory mode, or the shared count's database did not answer). */
  const byBucket = (res: Response, next: () => void, key: string, t: number, hasCredentials: boolean) => {
    const b = touch(key, t);
    if (b.tokens >= 1) {
      b.tokens -= 1;
      b.refusing = false;
      return next();
    }
    const retryAfter = Math.max(1, Math.ceil((1 - b.tokens) / perMs / 1000));
    const repeated = b.refusing;
    b.refusing = true;
    refuse(res, retryAfter, repeated, hasCredentials);
  };

  const limiter = ((req, res, next) => {
    if (perMinute <= 0) return next();
    const url = req.originalUrl;
    // A signed-in person is accountable in the workspace; on public pages they count like anyone.
    if (res.locals.session !== undefined && url.startsWith("/app")) return next();
    const t = now();
    const key = keyOf(req);
    // Only the API checks a bearer token (and answers 401 to a bad one, which is charged below):
    // elsewhere an Authorization header proves nothing and buys nothing.
    const hasCredentials = tokensExempt && req.get("authorization") !== undefined && url.startsWith("/api/");
    if (hasCredentials) {
      const b = buckets.get(key);
      // Guessing tokens: refused once the bucket (the shared window) is empty and tokens were refused lately.
      const until = guessers.get(key);
      if (until !== undefined && until <= t) guessers.delete(key);
      const guessing = shared
        ? until !== undefined && until > t
        : b && b.authFailedAt > 0 && t - b.authFailedAt < 60_000 && b.tokens + (t - b.at) * perMs < 1;
      if (!guessing) {
        // Charged as the refusal is sent, so the client's next request sees it.
        (res as Charged)[CHARGE] = { key, end: res.end };
        res.end = chargedEnd as Response["end"];
        return next();
      }
      if (shared) return refuse(res, Math.max(1, Math.ceil((until! - t) / 1000)), true, true);
    }
    if (!shared) return byBucket(res, next, key, t, hasCredentials);
    shared.counts.hit(shared.name, key, windowMs).then((w) => {
      if (w.hits <= burst) return next();
      // Only the first refusal of a window is audited, whichever process gives it.
      refuse(res, w.retryAfter, w.hits > burst + 1, hasCredentials);
    }, () => byBucket(res, next, key, now(), hasCredentials)).catch(next);
  }) as RateLimiter;
  Object.defineProperty(limiter, "size", { get: () => buckets.size });
  return limiter;
}

/** The client's address; IPv4-mapped IPv6 as IPv4, other IPv6 by /64 (one host's usual allocation). */
export function clientKey(req: Request): string {
  const ip = req.ip ?? req.socket?.remoteAddress ?? "unknown";
  const mapped = /^::ffff:(\d+\.\d+\.\d+\.\d+)$/i.exec(ip);
  if (mapped) return mapped[1]!;
  if (!isIPv6(ip)) return ip;
  return `${expandIPv6(ip).slice(0, 4).join(":")}::/64`;
}

function expandIPv6(ip: string): string[] {
  const [head, tail] = ip.split("%")[0]!.split("::") as [string, string | undefined];
  const left = head ? head.split(":") : [];
  const right = tail ? tail.split(":") : [];
  // An embedded IPv4 tail counts as two groups.
  const last = right.length ? right : left;
  if (last.length && last[last.length - 1]!.includes(".")) {
    const [a, b, c, d] = last.pop()!.split(".").map(Number) as [number, number, number, number];
    last.push(((a << 8) | b).toString(16), ((c << 8) | d).toString(16));
  }
  const fill = tail === undefined ? [] : Array(8 - left.length - right.length).fill("0");
  return [...left, ...fill, ...right].map((g) => g.toLowerCase().replace(/^0+(?=.)/, ""));
}

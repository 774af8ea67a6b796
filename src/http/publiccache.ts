import { createHash } from "node:crypto";
import type { Request, RequestHandler, Response } from "express";
import type { Knex } from "knex";
import { publicGeneration } from "../db/public.js";
import { todayInVietnam } from "../ledger/dates.js";
import { ifNoneMatch } from "./conditional.js";

// The public side in a news spike. What the public sees of a committee changes only when something
// public changes, and each such change bumps the committee's public generation in PostgreSQL
// (migration 0035). An answer to an anonymous GET is kept with the generation it was made for and
// served again, without touching the ledger, until the generation moves. The generation itself is
// asked of the database at most once per `checkMs` per committee: one request asks, the others keep
// getting the kept answer meanwhile. Every process keys on the same number, so they agree.
//
// HTTP caches get what they need too: a strong ETag derived from the generation and the bytes,
// Last-Modified, 304 for If-None-Match / If-Modified-Since, and Cache-Control public with a short
// max-age and a longer stale-while-revalidate; a permalink (?at=N) never changes and is immutable.

export interface PublicCacheOptions {
  /** How long a generation read from the database is trusted (ms). */
  checkMs: number;
  maxAgeSeconds: number;
  staleSeconds: number;
  /** Bytes of answers kept in this process; the oldest go first. */
  maxBytes: number;
}

interface Kept {
  generation: string;
  /** The day in Vietnam it was made: answers that say what is open today are made again each day. */
  day: string;
  status: number;
  type: string;
  body: Buffer;
  etag: string;
  lastModified: string;
  immutable: boolean;
}

interface Generation {
  value: string;
  changedAt: Date;
  checkedAt: number;
  pending: Promise<Generation> | null;
  /** False for a code no committee has: never remembered, so asking for random codes grows nothing. */
  exists: boolean;
}

const MAX_BODY_BYTES = 2 * 1024 * 1024;

/** Which committee a public path is about ("" for the list of committees), or null when it is not cached. */
export function publicScope(req: Request): string | null {
  if (req.method !== "GET" || req.get("authorization")) return null;
  const path = req.path;
  if (path === "/") return "";
  const page = /^\/c\/([a-z0-9][a-z0-9-]{1,62})(?:\/[A-Za-z0-9][A-Za-z0-9_-]{0,63}\/sao-ke)?\/?$/.exec(path);
  if (page) return page[1]!;
  // The JSON answers about a committee; the self-check (/public/donations, /public/receipts) never, nor
  // downloads (streamed, with validators of their own).
  const api = /^\/api\/v1\/public\/committees\/([a-z0-9][a-z0-9-]{1,62})\/(campaigns|totals|checkpoints)(\/|$)/.exec(path);
  if (api && !/\/statement\.(csv|pdf)$|\/sao-ke\.csv$/.test(path)) return api[1]!;
  return null;
}

export class PublicCache {
  private readonly kept = new Map<string, Kept>();
  private bytes = 0;
  private readonly generations = new Map<string, Generation>();
  private readonly firstReads = new Map<string, Promise<Generation>>();
  /** Answers being made anew, by key: one request makes each. */
  private readonly making = new Map<string, Promise<Kept | null>>();

  constructor(private readonly knex: Knex, private readonly opts: PublicCacheOptions) {}

  middleware(): RequestHandler {
    return async (req, res, next) => {
      // Whatever a token may see is never for a shared cache.
      if (req.get("authorization")) res.setHeader("Cache-Control", "no-store");
      const scope = publicScope(req);
      if (scope === null) return next();
      try {
        const generation = await this.generation(scope);
        const key = `${scope}\n${req.originalUrl}`;
        const hit = this.kept.get(key);
        const day = todayInVietnam();
        if (hit && (hit.immutable || (hit.generation === generation.value && hit.day === day))) return void serve(req, res, hit, this.opts);
        // One request makes the answer anew; meanwhile the others get the answer of the publication before
        // (consistent in itself, as a proxy's stale-while-revalidate would serve it), or, with none kept yet,
        // wait for the one being made.
        const making = this.making.get(key);
        if (making && hit) return void serve(req, res, hit, this.opts);
        if (making) {
          const made = await making;
          if (made) return void serve(req, res, made, this.opts);
        }
        let done!: (kept: Kept | null) => void;
        const mine = new Promise<Kept | null>((resolve) => (done = resolve));
        this.making.set(key, mine);
        const finish = (kept: Kept | null) => {
          if (this.making.get(key) === mine) this.making.delete(key);
          done(kept);
        };
        res.once("close", () => finish(null));
        capture(res, (status, type, body) => {
          const immutable = /[?&]at=\d+(&|$)/.test(req.originalUrl);
          if (status !== 200 || res.locals.publicIncomplete || body.length > MAX_BODY_BYTES || !type) {
            finish(null);
            return false;
          }
          const entry: Kept = {
            generation: generation.value, day, status, type, body, immutable,
            etag: `"${immutable ? "at" : `g${generation.value}`}-${createHash("sha256").update(body).digest("base64url").slice(0, 22)}"`,
            lastModified: generation.changedAt.toUTCString(),
          };
          this.keep(key, entry);
          finish(entry);
          serve(req, res, entry, this.opts);
          return true;
        });
        next();
      } catch (error) {
        next(error);
      }
    };
  }

  /** The committee's public generation ("" scope: all committees), read at most once per checkMs. */
  private async generation(scope: string): Promise<Generation> {
    const known = this.generations.get(scope);
    const now = Date.now();
    if (known && now - known.checkedAt < this.opts.checkMs) return known;
    if (known?.pending) return known; // someone is asking: keep serving what is kept meanwhile
    const asking = this.read(scope).then((g) => {
      if (g.exists) this.generations.set(scope, g);
      return g;
    }, (error) => {
      if (!known) throw error;
      // The database is busy (the embedded one, while a bank import posts) or away: what is kept is
      // served as it stands, and the next request asks again.
      known.pending = null;
      return known;
    });
    if (known) {
      known.pending = asking;
      return asking;
    }
    // The first request for a scope: the others that arrive meanwhile wait for the same read.
    const first = this.firstReads.get(scope);
    if (first) return first;
    this.firstReads.set(scope, asking);
    return asking.finally(() => this.firstReads.delete(scope));
  }

  private async read(scope: string): Promise<Generation> {
    const row = await publicGeneration(this.knex, scope === "" ? null : scope);
    return { value: row?.value ?? "0", changedAt: row?.changed_at ?? new Date(0), checkedAt: Date.now(), pending: null, exists: row !== undefined };
  }

  private keep(key: string, entry: Kept): void {
    const old = this.kept.get(key);
    if (old) this.bytes -= old.body.length;
    this.kept.delete(key);
    this.kept.set(key, entry);
    this.bytes += entry.body.length;
    for (const [k, v] of this.kept) {
      if (this.bytes <= this.opts.maxBytes) break;
      this.kept.delete(k);
      this.bytes -= v.body.length;
    }
  }
}

/** Holds back what the route writes; `done` may answer in its place (true) or the bytes go out as written. */
function capture(res: Response, done: (status: number, type: string, body: Buffer) => boolean): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (...args: unknown[]) => boolean;
  const end = res.end.bind(res) as (...args: unknown[]) => Response;
  const toBuffer = (chunk: unknown, encoding: unknown) =>
    Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof encoding === "string" ? (encoding as BufferEncoding) : "utf8");
  res.write = ((chunk: unknown, encoding?: unknown) => {
    chunks.push(toBuffer(chunk, encoding));
    return true;
  }) as Response["write"];
  res.end = ((chunk?: unknown, encoding?: unknown) => {
    if (chunk !== undefined && chunk !== null && typeof chunk !== "function") chunks.push(toBuffer(chunk, encoding));
    res.write = write as Response["write"];
    res.end = end as Response["end"];
    const body = Buffer.concat(chunks);
    if (!done(res.statusCode, String(res.getHeader("content-type") ?? ""), body)) end(body);
    return res;
  }) as Response["end"];
}

function serve(req: Request, res: Response, kept: Kept, opts: PublicCacheOptions): void {
  res.removeHeader("ETag");
  res.setHeader("Cache-Control", kept.immutable ? "public, max-age=31536000, immutable"
    : `public, max-age=${opts.maxAgeSeconds}, stale-while-revalidate=${opts.staleSeconds}`);
  res.setHeader("ETag", kept.etag);
  res.setHeader("Last-Modified", kept.lastModified);
  res.setHeader("Vary", "Accept-Encoding");
  if (notModified(req, kept)) {
    res.statusCode = 304;
    res.removeHeader("Content-Type");
    res.removeHeader("Content-Length");
    res.end();
    return;
  }
  res.statusCode = kept.status;
  res.setHeader("Content-Type", kept.type);
  res.setHeader("Content-Length", kept.body.length);
  res.end(kept.body);
}

function notModified(req: Request, kept: Kept): boolean {
  const matched = ifNoneMatch(req, kept.etag);
  if (matched !== undefined) return matched;
  const since = req.get("if-modified-since");
  return since !== undefined && !Number.isNaN(Date.parse(since)) && Date.parse(kept.lastModified) <= Date.parse(since);
}

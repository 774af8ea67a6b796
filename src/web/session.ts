import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { NextFunction, Request, RequestHandler, Response } from "express";
import type { SessionRow, UserRow, UserStore } from "../db/users.js";
import { principalOf } from "../db/users.js";
import type { Role } from "../ledger/types.js";
import { checkPassword } from "./passwords.js";

// Sign-in for the workspace: a random session id in a cookie that is
// HttpOnly, SameSite=Strict and Secure over HTTPS (only its SHA-256 is
// stored); a CSRF token per session that every form posts back; five wrong
// passwords lock the account for fifteen minutes.

export const COOKIE = "soquy_session";
const SESSION_MS = 8 * 3600_000;
export const MAX_FAILURES = 5;
export const LOCK_MS = 15 * 60_000;
// Spent on an unknown login too, so the answer time does not tell which logins exist.
const DUMMY_HASH = "scrypt$32768$8$1$AAAAAAAAAAAAAAAAAAAAAA==$" + "A".repeat(86) + "==";

export interface WebSession extends SessionRow {
  idHash: string;
}

export function sessionMiddleware(users: UserStore): RequestHandler {
  return async (req, res, next) => {
    const id = readCookie(req, COOKIE);
    if (id && /^[A-Za-z0-9_-]{43}$/.test(id)) {
      const idHash = sha256(id);
      const s = await users.session(idHash);
      if (s && !s.user.disabled) {
        res.locals.session = { ...s, idHash } satisfies WebSession;
        // The workspace acts as the user; the API accepts the session for reads only
        // (downloads from the workspace), never for writes, which need a token.
        const read = req.method === "GET" || req.method === "HEAD";
        if (req.path.startsWith("/app") || (read && req.path.startsWith("/api/"))) res.locals.principal = principalOf(s.user);
      }
    }
    next();
  };
}

export type SignIn =
  | { ok: true; cookie: string }
  | { ok: false; reason: "wrong" | "locked" };

export async function signIn(users: UserStore, login: string, password: string, secure: boolean): Promise<SignIn> {
  const u = await users.byLogin(login.trim().toLowerCase());
  if (!u || u.disabled) {
    await checkPassword(password, DUMMY_HASH);
    return { ok: false, reason: "wrong" };
  }
  const check = await attemptPassword(users, u, password);
  if (check !== "ok") return { ok: false, reason: check };
  const id = randomBytes(32).toString("base64url");
  await users.startSession(u.id, sha256(id), randomBytes(32).toString("base64url"), new Date(Date.now() + SESSION_MS));
  return { ok: true, cookie: sessionCookie(id, SESSION_MS, secure) };
}

/** One counted password attempt: the count is taken before the (slow) check, then cleared on success. */
export async function attemptPassword(users: UserStore, u: UserRow, password: string): Promise<"ok" | "wrong" | "locked"> {
  const n = await users.reserveAttempt(u.id, { attempts: MAX_FAILURES, ms: LOCK_MS });
  if (n === null) return "locked";
  if (await checkPassword(password, u.passwordHash)) {
    await users.succeeded(u.id);
    return "ok";
  }
  return n >= MAX_FAILURES ? "locked" : "wrong";
}

export function sessionCookie(id: string, maxAgeMs: number, secure: boolean): string {
  return `${COOKIE}=${id}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeMs / 1000)}${secure ? "; Secure" : ""}`;
}

export function clearCookie(secure: boolean): string {
  return sessionCookie("", 0, secure);
}

/** The session, or a redirect to the sign-in page; and the role check. */
export function requireUser(roles?: readonly Role[]) {
  return (req: Request, res: Response, next: NextFunction) => {
    const s = res.locals.session as WebSession | undefined;
    if (!s) {
      // A form sent after the session ended (signed out in another tab, or expired): what was typed is
      // not thrown away by a redirect; the workspace answers with a page that keeps it (screens/resume.ts).
      if (req.method !== "GET" && req.method !== "HEAD") {
        res.status(401);
        next(new SessionEnded());
        return;
      }
      const back = encodeURIComponent(req.originalUrl);
      res.redirect(303, `/app/login?next=${back}`);
      return;
    }
    if (roles && !roles.includes(s.user.role)) {
      res.status(403);
      next(new ForbiddenPage());
      return;
    }
    next();
  };
}

export class ForbiddenPage extends Error {}
export class SessionEnded extends Error {}
export class CsrfRefused extends Error {}

/** Every form post carries the session's CSRF token back (synchroniser token). */
export function checkCsrf(req: Request, res: Response): void {
  const s = res.locals.session as WebSession | undefined;
  const sent = typeof req.body?._csrf === "string" ? req.body._csrf : req.get("X-CSRF-Token") ?? "";
  if (!s || !sameText(sent, s.csrfToken)) {
    res.status(403);
    throw new CsrfRefused("the form's security token is missing or stale: reload the page and try again");
  }
}

/** Whether the request came over HTTPS (directly, or through a proxy express trusts). */
export function isSecure(req: Request): boolean {
  return req.secure;
}

function readCookie(req: Request, name: string): string | null {
  const header = req.headers.cookie;
  if (!header) return null;
  for (const part of header.split(";")) {
    const i = part.indexOf("=");
    if (i > 0 && part.slice(0, i).trim() === name) return decodeURIComponent(part.slice(i + 1).trim());
  }
  return null;
}

function sha256(v: string): string {
  return createHash("sha256").update(v).digest("hex");
}

function sameText(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

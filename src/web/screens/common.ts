import { createHash, randomUUID } from "node:crypto";
import type { Request, Response } from "express";
import { isUuid } from "../../ledger/ids.js";
import type { Principal } from "../../ledger/types.js";
import { langOf, type Lang } from "../applayout.js";
import type { Html } from "../html.js";
import type { WebSession } from "../session.js";

// What every screen module needs from the workspace: its page frame, the language, the session.

export type Page = (req: Request, res: Response, title: string, body: Html, flash?: Html | string | null, status?: number) => void;

export const say = (req: Request, vi: string, en: string): string => (langOf(req) === "vi" ? vi : en);

export function sessionOf(res: Response): WebSession {
  return res.locals.session as WebSession;
}

export function principalOf(res: Response): Principal {
  return res.locals.principal as Principal;
}

export function isIsoDate(v: unknown): v is string {
  if (typeof v !== "string" || !/^\d{4}-\d{2}-\d{2}$/.test(v)) return false;
  const d = new Date(`${v}T00:00:00Z`);
  return !Number.isNaN(d.getTime()) && d.toISOString().slice(0, 10) === v;
}

/** A number of things in Vietnamese notation: 5.000. */
export function count(n: number, lang: Lang): string {
  return lang === "vi" ? String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ".") : n.toLocaleString("en-US");
}


/** The key a form was rendered with (its hidden _idem): the same form sent twice is one request. A missing or malformed key makes a new one. */
export function formKey(sent: unknown): string {
  return typeof sent === "string" && isUuid(sent) ? sent.toLowerCase() : randomUUID();
}

/** What a form post is sent to the ledger with: its key, and a hash of what it asks (`what` names the action and its target). */
export function formMeta(key: string, what: string, body: unknown): { idempotencyKey: string; requestHash: string } {
  return { idempotencyKey: `web-${key}`, requestHash: createHash("sha256").update(`${what}\n${JSON.stringify(body)}`).digest("hex") };
}

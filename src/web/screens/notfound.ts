import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from "express";
import type { Soquy } from "../../context.js";
import { LedgerError } from "../../ledger/codes.js";
import { Html, html } from "../html.js";
import type { Lang } from "../applayout.js";

// Pages that are not there, said as a page a person can read: under /app and /c/ an unknown address answers
// a Vietnamese HTML page with a way back (the API keeps its problem+json). And the icon browsers ask for.

type Page = (req: Request, res: Response, title: string, body: Html, flash?: Html | string | null, status?: number) => void;

const WORDS = {
  vi: { title: "Không tìm thấy trang", lead: "Không có trang nào ở địa chỉ này — có thể liên kết đã cũ hoặc gõ nhầm.",
    app: "Về trang tổng quan", committees: "Xem danh sách ủy ban", committee: "Về trang công khai của ủy ban" },
  en: { title: "Page not found", lead: "There is no page at this address — the link may be old or mistyped.",
    app: "Back to the dashboard", committees: "See the list of committees", committee: "Back to the committee's public page" },
} as const;

/** The body of the workspace's 404, with the way back to the dashboard. */
export function notFoundBody(lang: Lang, path: string): Html {
  const w = WORDS[lang];
  return html`<h1>${w.title}</h1><p data-testid="not-found">${w.lead}</p><p class="muted"><code>${path.slice(0, 200)}</code></p>
<p><a href="/app">${w.app}</a></p>`;
}

/** Last in the workspace's router: any other address under /app. */
export function appNotFound(page: Page): RequestHandler {
  return (req, res) => {
    res.locals.problemCode = "not_found";
    page(req, res, WORDS[langOfApp(req)].title, notFoundBody(langOfApp(req), `/app${req.path}`), null, 404);
  };
}

function langOfApp(req: Request): Lang {
  return /(?:^|;\s*)soquy_lang=en\b/.test(req.headers.cookie ?? "") ? "en" : "vi";
}

function publicLang(req: Request): Lang {
  return req.query.lang === "en" ? "en" : "vi";
}

/** The public 404 page: the committee's page when the committee exists, the list of committees otherwise. */
function publicNotFound(req: Request, res: Response, committee: string | null): void {
  const lang = publicLang(req);
  const w = WORDS[lang];
  const q = lang === "en" ? "?lang=en" : "";
  res.locals.problemCode = "not_found";
  res.status(404).type("html").set("Cache-Control", "no-store").send(html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${w.title} — soquy</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/public.css"></head>
<body><header class="top"><a class="brand" href="/${q}">sổ quỹ</a></header>
<main><h1>${w.title}</h1><p data-testid="not-found">${w.lead}</p>
<p>${committee ? html`<a href="/c/${committee}${q}">${w.committee}</a> · ` : ""}<a href="/${q}">${w.committees}</a></p></main></body></html>`.text);
}

/** Under /c/: an address no public page answers (with a way back to the committee's page when the committee exists). */
export function publicPathNotFound(s: Soquy): RequestHandler {
  return async (req, res, next) => {
    if (!req.path.startsWith("/c/")) return next();
    const code = /^\/c\/([a-z0-9][a-z0-9-]{1,62})\/./.exec(req.path)?.[1] ?? null;
    const committee = code ? await s.store.findCommittee(code) : null;
    publicNotFound(req, res, committee ? committee.code : null);
  };
}

/** Under /c/: a committee (or campaign) that does not exist is a page not found, not JSON. */
export const publicPageErrors: ErrorRequestHandler = (error, req, res, next) => {
  if (!req.path.startsWith("/c/") || !(error instanceof LedgerError) || !error.code.endsWith("not_found")) return next(error);
  publicNotFound(req, res, null);
};

const SVG = `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" rx="6" fill="#a4161a"/><rect x="7" y="6" width="18" height="21" rx="2" fill="#fff"/><path d="M10 11h12M10 15h12M10 19h8" stroke="#a4161a" stroke-width="2" stroke-linecap="round"/><circle cx="22" cy="22" r="5" fill="#1f6f43" stroke="#fff" stroke-width="1.5"/><path d="M19.8 22.2l1.6 1.6 3-3.2" stroke="#fff" stroke-width="1.6" fill="none" stroke-linecap="round" stroke-linejoin="round"/></svg>`;
const ICO = Buffer.from("AAABAAEAICAAAAEAIAAtAwAAFgAAAIlQTkcNChoKAAAADUlIRFIAAAAgAAAAIAgGAAAAc3p69AAAAuJJREFUeJzsl21IFEEYx/9zu+d5RRGZnmeWZkVfesWI7A0h6SyyzlQyLiENKsjQIJMoOo0iSlKs7EOQFb6UIFpJZmVflFJIKsmiqKtM8jw9Qy3N63S33aFA0bW9a/O++IOZ2515nvk/M/sMN8NiCEV++gSehxEgK0EQACXh0SpU9YTglqndWvCnmVDhafogXo3LIGQDxgOef0Cc2GPqsjar6LuaFI2buIigxalRSB8LfP0TCVHlwwPwPJfEEpDt8BCiNivUS+EpBG1WqHVS/bO3RGFJehqmzpsLd+h5b0HjmSx8vlMhYUF0pNAvgJcaIOpxjdviQ4OoWL1Osp8dy/lfxeWMoYKHYeUYVUfHwvakDq6gWxWGiPLSv9rJCsAdCCtvaFlWcmbiLhM5MJEDiubAIDeIAaG8tX6kZeD3e0i89P+dIjkwPykRK06fRFlDNcylF9D3s5+2T9ZocSouFcbcbDBaLd5dveZeAGMxJSQEoZnHUdVYi7TirGF9vY4fyKm6Dq2XBhEnzLDV1KLHYnE9ADk5YC67OKItN+EItoauR3ROMgyL1yAw0oDXeZeG2SiSA5/sX2Dr7sTu8Bgs0M+hbRnb9lPx6qY6PG9+gxZ7K6YvWjjCV5FtyHEc/d211ogUQwIqX9QgPmwTHr2qx778DNrndDrBjOKryAoE+86EhlUj7vxB2L91UXFx5nuvmOkumOTljWBdIL6+bPo/AQh3CWTGHEBbtx2xuSnIe1hMZy6Ki5zdcQjO3j5YSkpcC0A8zciBUanorM+ZDtMtmHU3n4p7qzXINqVj87JwPDtmhsPeOcJXOJLp26TOha6eCXlhKTihfGhvAcMwCPLRgxe+fUP6UVhu3BzNw0YKffVVwkXBAAXQ+vtj1sZIzFgeSr9Lx9MGtFTeQ39HByQivk8KfAKMhEE5PAA/iGh6N1RyFVyQv72z3WqkSajiSKqQyA6MFzz/HQOOZPGRDG33xPX8FwAAAP//1D2TZgAAAAZJREFUAwBNFBkAXzNJOgAAAABJRU5ErkJggg==", "base64");

/** The icon: SVG for browsers that take it, a 32×32 .ico for those that ask for /favicon.ico. */
export function faviconRoutes(): Router {
  const r = express.Router();
  r.get("/favicon.svg", (_req, res) => void res.type("image/svg+xml").set("Cache-Control", "public, max-age=86400").send(SVG));
  r.get("/favicon.ico", (_req, res) => void res.type("image/x-icon").set("Cache-Control", "public, max-age=86400").send(ICO));
  return r;
}

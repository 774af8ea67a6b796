import type { Request } from "express";
import { z } from "zod";
import type { Soquy } from "../../context.js";
import { DEFAULT_PAGE, MAX_PAGE, MAX_RANGE_DAYS, TOTALS_CAP, type Lang } from "../../ledger/saoke.js";
import type { PublishedLine, SaokeFile, SaokeState } from "../../db/saoke.js";
import { ReaderGone, type DayFigures, type SaokeView } from "../../public/saoke.js";
import { maskText } from "../../ledger/mask.js";
import { requestLog } from "../problems.js";
import { allRoles, defineRoute } from "../route.js";
import { committeeCode } from "../schemas.js";
import { ifNoneMatch } from "../conditional.js";

// The public sao kê (issue 25): an approver records the committee's decision to publish a
// campaign's bank statement (or to withdraw it); anyone then searches it, downloads it as CSV and
// reads it reconciled day by day with the verified ledger. Every refusal is a 4xx that names its
// field, in the caller's language (?lang=vi|en, else Accept-Language, else Vietnamese).

const code = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/, "a campaign code: letters, digits, _ and -, at most 64");
const campaignParams = z.strictObject({ committee: committeeCode, code });
// Checked by the service (its refusals speak the caller's language), so here only strings.
const text = (description: string) => z.string().max(4000).optional().meta({ description });
const lang = z.string().max(20).optional().meta({ description: "vi or en: the language of refusals and notes (default: Accept-Language, else vi)" });

const searchQuery = z.strictObject({
  q: text("words of the memo (case and diacritics ignored: `nguyen van a` finds `Nguyễn Văn A`), a reference, or an amount written 500.000"),
  amount: text("an amount in whole đồng (500000 or 500.000)"),
  min: text("lines of at least this amount"),
  max: text("lines of at most this amount"),
  from: text("first day, YYYY-MM-DD"),
  to: text(`last day, YYYY-MM-DD (a range of at most ${MAX_RANGE_DAYS} days)`),
  after: text("the `next` of the page before (a cursor of this same search)"),
  limit: text(`lines per page, 1 to ${MAX_PAGE} (default ${DEFAULT_PAGE})`),
  lang,
});

const dong = z.string().regex(/^-?\d+$/).meta({ description: "whole đồng" });
const lineView = z.object({
  date: z.string(), time: z.string().nullable(), bankAccount: z.string().meta({ description: "the account, all but its last 3 digits masked" }),
  reference: z.string(), memo: z.string().meta({ description: "as the bank printed it; phones, e-mails and account numbers masked, names as printed" }),
  creditDong: dong.nullable(), debitDong: dong.nullable(), balanceDong: dong.nullable().meta({ description: "the balance the bank printed on this line, if any" }),
  verified: z.boolean().nullable().meta({ description: "whether the ledger entry this line produced is verified (null: a debit still to classify, in no entry)" }),
  importId: z.number().int(), lineNo: z.number().int(),
});
const decisionView = z.object({ publish: z.boolean(), resolutionRef: z.string(), decidedAt: z.string() });
const fileView = z.object({
  scope: z.string(), lines: z.number().int(), bytes: z.number().int(), sha256: z.string(), creditsDong: dong, debitsDong: dong,
  imports: z.array(z.number().int()), csv: z.string(),
});
const searchResponse = z.object({
  committee: z.object({ code: z.string(), name: z.string() }), campaign: z.object({ code: z.string(), name: z.string() }),
  decision: decisionView,
  items: z.array(lineView), next: z.string().nullable(),
  matched: z.object({
    complete: z.boolean(), count: z.number().int().nullable(), creditDong: dong.nullable(), debitDong: dong.nullable(),
    note: z.string().nullable().meta({ description: `why there are no totals: a search by amounts that matches more than ${TOTALS_CAP} lines (words that many lines hold are refused: query_too_broad)` }),
  }),
  shownThroughImport: z.number().int(),
});
const dayView = z.object({
  date: z.string(), bankAccounts: z.array(z.string()), openingDong: dong.nullable(), credits: z.number().int(), creditsDong: dong,
  debits: z.number().int(), debitsDong: dong, closingDong: dong.nullable(), printedClosingDong: dong.nullable(), otherDong: dong,
  ledgerDong: dong.meta({ description: "the verified ledger's movement of the campaign's bank account that day" }),
  differenceDong: dong.meta({ description: "credits − debits − ledger" }),
  explained: z.object({
    toClassify: z.number().int(), toClassifyDong: dong.meta({ description: "debits not yet recorded in the ledger (counted negative in the difference)" }),
    awaitingVerificationDong: dong, elsewhereDong: dong.meta({ description: "recorded on another day, or ledger entries no line of this day records" }),
  }),
  file: fileView.nullable(),
});
const daysResponse = z.object({
  committee: z.object({ code: z.string(), name: z.string() }), campaign: z.object({ code: z.string(), name: z.string() }),
  decision: decisionView, publication: z.number().int(),
  all: fileView, imports: z.array(z.object({ id: z.number().int(), bankAccount: z.string(), layout: z.string(), fileSha256: z.string(),
    firstDate: z.string().nullable(), lastDate: z.string().nullable(), finishedAt: z.string() })),
  days: z.array(dayView),
});
const stateResponse = z.object({
  campaign: z.string(), published: z.boolean(), shownThroughImport: z.number().int(),
  decisions: z.array(decisionView.extend({ id: z.number().int(), by: z.string() })),
});

/** The caller's language: ?lang=, else the first of vi / en in Accept-Language, else Vietnamese. */
export function callerLang(req: Request, given?: string): Lang {
  if (given === "en" || given === "vi") return given;
  const accept = (req.get("accept-language") ?? "").toLowerCase();
  const vi = accept.search(/\bvi\b/), en = accept.search(/\ben\b/);
  return en >= 0 && (vi < 0 || en < vi) ? "en" : "vi";
}

export const saokeBase = (committee: string, campaign: string) => `/api/v1/public/committees/${committee}/campaigns/${campaign}/sao-ke`;

export function lineJson(l: PublishedLine) {
  return {
    date: l.date, time: l.time, bankAccount: maskText(l.bankAccount), reference: l.reference, memo: l.memo,
    creditDong: l.direction === "C" ? l.amountDong : null, debitDong: l.direction === "D" ? l.amountDong : null, balanceDong: l.balanceDong,
    verified: l.verified, importId: Number(l.importId), lineNo: l.lineNo,
  };
}

const decisionJson = (d: NonNullable<SaokeState["decision"]>) => ({ publish: d.publish, resolutionRef: d.resolutionRef, decidedAt: d.decidedAt });

export function fileJson(v: SaokeView, f: SaokeFile) {
  const q = f.scope === "all" ? "" : `?day=${f.scope}`;
  return {
    scope: f.scope, lines: f.lines, bytes: f.bytes, sha256: f.sha256, creditsDong: f.creditsDong.toString(), debitsDong: f.debitsDong.toString(),
    imports: f.imports, csv: `${saokeBase(v.committee.code, v.campaign.code)}.csv${q}`,
  };
}

export function dayJson(v: SaokeView, d: DayFigures) {
  const s = (x: bigint | null) => (x === null ? null : x.toString());
  return {
    date: d.date, bankAccounts: d.accounts, openingDong: s(d.openingDong), credits: d.credits, creditsDong: d.creditsDong.toString(),
    debits: d.debits, debitsDong: d.debitsDong.toString(), closingDong: s(d.closingDong), printedClosingDong: s(d.printedClosingDong),
    otherDong: d.otherDong.toString(), ledgerDong: d.ledgerDong.toString(), differenceDong: d.differenceDong.toString(),
    explained: {
      toClassify: d.toClassify, toClassifyDong: d.toClassifyDong.toString(), awaitingVerificationDong: d.awaitingDong.toString(),
      elsewhereDong: d.elsewhereDong.toString(),
    },
    file: d.file ? fileJson(v, d.file) : null,
  };
}

export function saokeRoutes(s: Soquy) {
  const pub = { tag: "Public sao kê", roles: allRoles, public: true as const, params: campaignParams };
  return [
    defineRoute({
      method: "post", path: "/campaigns/:code/sao-ke", tag: "Public sao kê", roles: ["approver"],
      summary: "Publish or withdraw a campaign's bank statement (the committee's decision)",
      params: z.strictObject({ code }),
      body: z.strictObject({
        publish: z.boolean().meta({ description: "true publishes every imported bank line of the campaign (and every later import); false withdraws at once" }),
        resolutionRef: z.string().max(400).meta({ description: "the committee's decision, shown on the public page: e.g. Quyết định số 12/QĐ-MTTQ" }),
      }),
      responses: {
        201: { description: "Recorded (in the audit log too); the public side follows at once", schema: decisionView },
        200: { description: "The same decision is already in force: nothing new recorded", schema: decisionView },
      },
      async handle({ principal, params, body }) {
        const r = await s.saoke.decide(principal, params.code, body);
        return { status: r.created ? 201 : 200, body: decisionJson(r.decision) };
      },
    }),
    defineRoute({
      method: "get", path: "/campaigns/:code/sao-ke", tag: "Public sao kê", roles: allRoles, summary: "A campaign's sao kê decisions",
      params: z.strictObject({ code }),
      responses: { 200: { description: "Whether it is published, what is shown, every decision newest first", schema: stateResponse } },
      async handle({ principal, params }) {
        const h = await s.saoke.history(principal.committeeCode, params.code);
        return {
          status: 200, body: {
            campaign: h.state.campaign.code, published: h.state.decision?.publish ?? false, shownThroughImport: h.state.throughImport,
            decisions: h.decisions.map((d) => ({ id: d.id, ...decisionJson(d), by: d.by })),
          },
        };
      },
    }),
    defineRoute({
      ...pub, method: "get", path: "/public/committees/:committee/campaigns/:code/sao-ke", summary: "Search a published bank statement (sao kê)",
      query: searchQuery,
      responses: { 200: { description: "Matching lines in the bank's order, a cursor to the next page, and the count and sums of all that matched", schema: searchResponse } },
      async handle({ params, query, req }) {
        const l = callerLang(req, query.lang);
        const v = await s.saoke.view(params.committee, params.code, l);
        const r = await s.saoke.search(v, query, l);
        return {
          status: 200, body: {
            committee: { code: v.committee.code, name: v.committee.name }, campaign: { code: v.campaign.code, name: v.campaign.name },
            decision: decisionJson(v.decision), items: r.items.map(lineJson), next: r.next,
            matched: {
              complete: r.totals !== null, count: r.totals?.count ?? null, creditDong: r.totals?.creditsDong.toString() ?? null,
              debitDong: r.totals?.debitsDong.toString() ?? null, note: r.note,
            },
            shownThroughImport: v.throughImport,
          },
        };
      },
    }),
    defineRoute({
      ...pub, method: "get", path: "/public/committees/:committee/campaigns/:code/sao-ke/days", summary: "A published bank statement day by day, reconciled with the ledger",
      query: z.strictObject({ lang }),
      responses: { 200: { description: "Per day: the bank's balances, credits and debits, the verified ledger's figure, the difference explained, and the day's CSV with its digest", schema: daysResponse } },
      async handle({ params, query, req }) {
        const v = await s.saoke.view(params.committee, params.code, callerLang(req, query.lang));
        const [r, imports, all] = await Promise.all([s.saoke.reconciliation(v), s.saoke.imports(v), s.saoke.csv(v, undefined, "en")]);
        return {
          status: 200, body: {
            committee: { code: v.committee.code, name: v.committee.name }, campaign: { code: v.campaign.code, name: v.campaign.name },
            decision: decisionJson(v.decision), publication: r.publication, all: fileJson(v, all.file),
            imports: imports.map((i) => ({ id: i.id, bankAccount: maskText(i.accountNo), layout: i.layout, fileSha256: i.fileSha256, firstDate: i.firstDate, lastDate: i.lastDate, finishedAt: i.finishedAt })),
            days: r.days.map((d) => dayJson(v, d)),
          },
        };
      },
    }),
    defineRoute({
      ...pub, method: "get", path: "/public/committees/:committee/campaigns/:code/sao-ke.csv", summary: "Download a published bank statement, whole or one day, as CSV",
      query: z.strictObject({ day: text("one day, YYYY-MM-DD (default: the whole statement)"), lang }), produces: ["text/csv"],
      responses: { 200: { description: "UTF-8 CSV with BOM; X-Saoke-Digest is SHA-256 over exactly these bytes, X-Saoke-Imports the imports its lines came from" } },
      async handle({ params, query, req, res }) {
        const l = callerLang(req, query.lang);
        const v = await s.saoke.view(params.committee, params.code, l);
        const csv = await s.saoke.csv(v, query.day, l);
        const f = csv.file;
        const etag = `"${f.sha256}"`;
        res.setHeader("ETag", etag);
        // A proxy may keep it, but asks every time: a withdrawn statement is gone at once.
        res.setHeader("Cache-Control", "public, no-cache");
        res.setHeader("X-Saoke-Digest", f.sha256);
        res.setHeader("Digest", `sha-256=${Buffer.from(f.sha256, "hex").toString("base64")}`);
        res.setHeader("X-Saoke-Imports", f.imports.join(","));
        if (ifNoneMatch(req, etag)) {
          res.status(304).end();
          return null;
        }
        res.setHeader("Content-Type", "text/csv; charset=utf-8");
        res.setHeader("Content-Length", String(f.bytes));
        res.setHeader("Content-Disposition", `attachment; filename="sao-ke-${v.committee.code}-${v.campaign.code}-${f.scope === "all" ? "toan-bo" : f.scope}.csv"`);
        try {
          await csv.write(res);
        } catch (error) {
          if (!(error instanceof ReaderGone)) requestLog(res)?.error({ err: error, path: req.path }, "sao kê CSV not completed");
          res.destroy();
        }
        return null;
      },
    }),
  ];
}

import { z } from "zod";
import type { Soquy } from "../../context.js";
import { fail } from "../../ledger/codes.js";
import type { Principal } from "../../ledger/types.js";
import { prepareStatement, type PreparedStatement } from "../../statements/builder.js";
import type { Audience } from "../../statements/types.js";
import { writeStatementPdf } from "../../../reports/pdf.js";
import { allRoles, defineRoute } from "../route.js";
import { codeParams, committeeCode, isoDate, verifiedFlag } from "../schemas.js";
import type { Request, Response } from "express";
import type { FileHandle } from "node:fs/promises";
import { pipeline } from "node:stream/promises";
import { statementKey, type StatementKind, type StoredStatement } from "../../public/statementfiles.js";
import { ifNoneMatch } from "../conditional.js";

// Campaign statements, CSV and PDF, from one builder. Anyone may download the
// public statement (committee named in the query when no token is sent): it
// counts verified entries only, whoever asks. Auditors and approvers may ask
// for the auditor's version, which shows unverified entries unless verified=true.
// With DATABASE_READ_URL the rows are read from the standby; the statement is cut
// at the chain head it finds there, named in X-Ledger-Position and in the PDF's footer.
const statementQuery = z.strictObject({
  committee: committeeCode.optional(),
  from: isoDate.optional(),
  to: isoDate.optional(),
  audience: z.enum(["auditor", "public"]).default("public"),
  verified: verifiedFlag.meta({
    description: "The auditor's version: true counts verified entries only. The public version always does (false is refused with 403)",
  }),
  at: z.coerce.number().int().positive().max(Number.MAX_SAFE_INTEGER).optional()
    .meta({ description: "Cut at this publication: the verified entries the public figures counted then (same bytes for good)" }),
});

const seesEverything = new Set(["auditor", "approver"]);

export function statementRoutes(s: Soquy) {
  const prepare = async (principal: Principal | undefined, code: string, q: z.infer<typeof statementQuery>) => {
    const committee = principal
      ? await s.store.findCommittee(principal.committeeCode)
      : q.committee ? await s.store.findCommittee(q.committee) : fail("validation_failed", "name the committee (?committee=<code>) or send a token", "query.committee");
    if (!committee) fail("committee_not_found", `no committee with code ${q.committee}`, "query.committee");
    const campaign = await s.ledger.campaign(committee.id, code);
    const audience: Audience = q.audience === "auditor" && principal && seesEverything.has(principal.role) ? "auditor" : "public";
    if (audience === "public" && q.verified === "false") {
      fail("forbidden", "a public statement counts verified entries only: unverified entries are for audience=auditor with an auditor's or approver's token", "query.verified");
    }
    let publication;
    let reads = s.reads;
    if (q.at !== undefined) {
      let p = await reads.publicQueries.publication(committee.id, { vseq: q.at });
      // A publication the standby has not replayed yet (just made, say by a checkpoint): read from the primary.
      if (!p && reads.standby) {
        reads = { statements: s.statements, publicQueries: s.publicQueries, standby: false };
        p = await reads.publicQueries.publication(committee.id, { vseq: q.at });
      }
      if (!p || p.headHash === null) fail("not_found", `no publication ${q.at} in committee ${committee.code}`, "query.at");
      publication = { vseq: p.vseq, headSeq: p.headSeq, headHash: p.headHash };
    }
    const st = await prepareStatement(reads.statements, committee, campaign, { from: q.from, to: q.to, audience, verifiedOnly: q.verified === "true", publication });
    return Object.assign(st, { standby: reads.standby });
  };
  const headers = (res: Response, st: PreparedStatement & { standby: boolean }, ext: StatementKind) => {
    const h = st.header;
    statementHeaders(res, {
      digest: st.digest, bytesSha256: ext === "csv" ? st.digest : null, position: h.position, readFrom: st.standby ? "standby" : "primary",
      audience: h.audience, verifiedOnly: h.verifiedOnly, name: `soquy-${h.committee.code}-${h.campaign.code}-${h.from}-${h.to}-${h.audience}.${ext}`,
    });
    res.setHeader("Cache-Control", "no-store");
  };
  // A public statement cut at a publication (?at=N, the page's own link) never changes: it is made
  // once and served from its file, with no database work once made.
  const keptPublic = async (principal: Principal | undefined, req: Request, res: Response, code: string,
    q: z.infer<typeof statementQuery>, kind: StatementKind): Promise<boolean> => {
    if (principal || q.at === undefined || q.audience !== "public" || q.verified === "false" || !q.committee) return false;
    const key = statementKey(q.committee, code, q.at, q.from, q.to, kind);
    const kept = await s.statementFiles.find(key);
    const opened = kept && await s.statementFiles.open(key, kept);
    if (opened) await sendStored(req, res, kept, kind, opened);
    else {
      const made = await s.statementFiles.get(key, kind, () => cut(q.committee!, code, q.at!, q));
      const handle = await s.statementFiles.open(key, made);
      if (!handle) return false; // pushed out at once by other statements made meanwhile: made for this reply alone
      await sendStored(req, res, made, kind, handle);
    }
    return true;
  };
  const cut = async (committeeCode: string, code: string, at: number, q: z.infer<typeof statementQuery>) => {
    const committee = await s.store.findCommittee(committeeCode);
    if (!committee) fail("committee_not_found", `no committee with code ${committeeCode}`, "query.committee");
    const campaign = await s.ledger.campaign(committee.id, code);
    const p = await s.publicQueries.publication(committee.id, { vseq: at });
    if (!p || p.headHash === null) fail("not_found", `no publication ${at} in committee ${committee.code}`, "query.at");
    return { committee, campaign, from: q.from, to: q.to, publication: { vseq: p.vseq, headSeq: p.headSeq, headHash: p.headHash } };
  };
  const common = {
    method: "get" as const, tag: "Statements", roles: allRoles, public: true, params: codeParams, query: statementQuery,
  };
  return [
    defineRoute({
      ...common, path: "/campaigns/:code/statement.csv", summary: "Download a campaign statement as CSV", produces: ["text/csv"],
      responses: { 200: { description: "UTF-8 CSV with BOM; X-Statement-Digest is SHA-256 over exactly these bytes" } },
      async handle({ principal, params, query, req, res }) {
        if (await keptPublic(principal, req, res, params.code, query, "csv")) return null;
        const st = await prepare(principal, params.code, query);
        try {
          headers(res, st, "csv");
          res.setHeader("Content-Type", "text/csv; charset=utf-8");
          res.setHeader("Content-Length", String(st.csvBytes));
          await st.writeCsv(res);
        } finally {
          st.dispose();
        }
        return null;
      },
    }),
    defineRoute({
      ...common, path: "/campaigns/:code/statement.pdf", summary: "Download a campaign statement as PDF (sổ quỹ)", produces: ["application/pdf"],
      responses: { 200: { description: "A4 PDF; its footer prints the digest of the matching CSV and the ledger position" } },
      async handle({ principal, params, query, req, res }) {
        if (await keptPublic(principal, req, res, params.code, query, "pdf")) return null;
        const st = await prepare(principal, params.code, query);
        try {
          headers(res, st, "pdf");
          res.setHeader("Content-Type", "application/pdf");
          await writeStatementPdf(st, res);
        } finally {
          st.dispose();
        }
        return null;
      },
    }),
  ];
}

/** A kept public statement: immutable, so any cache may keep it; a matching If-None-Match gets 304. */
async function sendStored(req: Request, res: Response, st: StoredStatement, kind: StatementKind, file: FileHandle): Promise<void> {
  try {
    await sendFrom(req, res, st, kind, file);
  } finally {
    await file.close().catch(() => {});
  }
}

async function sendFrom(req: Request, res: Response, stored: StoredStatement, kind: StatementKind, file: FileHandle): Promise<void> {
  const st = stored.facts;
  const etag = `"${kind}-${Buffer.from(st.sha256, "hex").toString("base64url").slice(0, 27)}"`;
  // Kept statements are made from the primary (context.ts says why).
  statementHeaders(res, { digest: st.digest, bytesSha256: st.sha256, position: st.position, readFrom: "primary", audience: "public", verifiedOnly: true, name: st.name });
  res.setHeader("Cache-Control", "public, max-age=31536000, immutable");
  res.setHeader("ETag", etag);
  if (ifNoneMatch(req, etag)) {
    res.removeHeader("Content-Disposition");
    res.status(304).end();
    return;
  }
  res.setHeader("Content-Type", kind === "csv" ? "text/csv; charset=utf-8" : "application/pdf");
  res.setHeader("Content-Length", String(stored.bytes));
  if (req.method === "HEAD") {
    res.end();
    return;
  }
  // Opened before anything was sent: a bound that removes the name meanwhile leaves these bytes readable.
  await pipeline(file.createReadStream({ autoClose: false }), res).catch((error: NodeJS.ErrnoException) => {
    if (res.headersSent) return void res.destroy(); // the reader went away, or the file with it
    throw error;
  });
}

interface StatementFacts {
  /** The digest of the statement's CSV (a PDF prints it in its footer). */
  digest: string;
  /** SHA-256 of exactly the bytes sent, when known before sending (a PDF rendered while it streams has none). */
  bytesSha256: string | null;
  position: { seq: number; hash: string };
  readFrom: "standby" | "primary";
  audience: string;
  verifiedOnly: boolean;
  name: string;
}

/** The headers every statement download carries, however it was made. */
function statementHeaders(res: Response, f: StatementFacts): void {
  res.setHeader("X-Statement-Digest", f.digest);
  if (f.bytesSha256 !== null) res.setHeader("Digest", `sha-256=${Buffer.from(f.bytesSha256, "hex").toString("base64")}`);
  res.setHeader("X-Ledger-Position", `${f.position.seq}:${f.position.hash}`);
  res.setHeader("X-Read-From", f.readFrom);
  res.setHeader("X-Statement-Audience", f.audience);
  res.setHeader("X-Statement-Verified-Only", String(f.verifiedOnly));
  res.setHeader("Content-Disposition", `attachment; filename="${f.name}"`);
}

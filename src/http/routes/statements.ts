import { z } from "zod";
import type { Soquy } from "../../context.js";
import { fail } from "../../ledger/codes.js";
import type { Principal } from "../../ledger/types.js";
import { prepareStatement, type PreparedStatement } from "../../statements/builder.js";
import type { Audience } from "../../statements/types.js";
import { renderStatementPdf } from "../../../reports/pdf.js";
import { allRoles, defineRoute } from "../route.js";
import { codeParams, committeeCode, isoDate, verifiedFlag } from "../schemas.js";
import type { Response } from "express";

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
  const headers = (res: Response, st: PreparedStatement & { standby: boolean }, ext: string) => {
    const h = st.header;
    res.setHeader("X-Statement-Digest", st.digest);
    res.setHeader("Digest", `sha-256=${Buffer.from(st.digest, "hex").toString("base64")}`);
    res.setHeader("X-Ledger-Position", `${h.position.seq}:${h.position.hash}`);
    res.setHeader("X-Read-From", st.standby ? "standby" : "primary");
    res.setHeader("X-Statement-Audience", h.audience);
    res.setHeader("X-Statement-Verified-Only", String(h.verifiedOnly));
    res.setHeader("Cache-Control", "no-store");
    const name = `soquy-${h.committee.code}-${h.campaign.code}-${h.from}-${h.to}-${h.audience}.${ext}`;
    res.setHeader("Content-Disposition", `attachment; filename="${name}"`);
  };
  const common = {
    method: "get" as const, tag: "Statements", roles: allRoles, public: true, params: codeParams, query: statementQuery,
  };
  return [
    defineRoute({
      ...common, path: "/campaigns/:code/statement.csv", summary: "Download a campaign statement as CSV", produces: ["text/csv"],
      responses: { 200: { description: "UTF-8 CSV with BOM; X-Statement-Digest is SHA-256 over exactly these bytes" } },
      async handle({ principal, params, query, res }) {
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
      async handle({ principal, params, query, res }) {
        const st = await prepare(principal, params.code, query);
        try {
          headers(res, st, "pdf");
          res.setHeader("Content-Type", "application/pdf");
          await renderStatementPdf({
            header: st.header, totals: st.totals, summary: st.summary, digest: st.digest, lines: st.lines(), lineCount: st.totals.lines,
        people: st.people,
          }, res);
        } finally {
          st.dispose();
        }
        return null;
      },
    }),
  ];
}

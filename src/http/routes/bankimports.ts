import { assertChecker } from "../../ledger/people.js";
import { readConfig } from "../../config.js";
import { MAX_STATEMENT_BYTES, spoolUpload } from "../../imports/upload.js";
import { z } from "zod";
import type { Soquy } from "../../context.js";
import { randomUUID } from "node:crypto";
import {
  checkAccountNo, importEntriesToVerify, listImports, MAX_IMPORT_VERIFY, parseOpeningDong, readImport, saveLayout,
} from "../../db/bankimports.js";
import { reconcile } from "../../db/reconcile.js";
import { reconciliationCsv } from "../../../reports/reconcile.js";
import { fail, LedgerError } from "../../ledger/codes.js";
import { builtInLayoutNames, genericLayoutSchema, isBuiltIn } from "../../imports/layouts.js";
import { allRoles, defineRoute } from "../route.js";
import { isoDate, signedAmount, verifyOutcome } from "../schemas.js";

// Bank statements in (POST the bank's CSV as it came), the imports made, a
// generic layout saved for a bank account, and the reconciliation of a bank
// account. Importing is idempotent by nature (each line's identity), so a
// retry of the same file answers with every line already present and needs
// no Idempotency-Key.

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";
const accountNo = z.string().regex(/^[0-9A-Za-z][0-9A-Za-z.-]{2,39}$/, "a bank account number: 3 to 40 letters, digits, . or -");
const layoutName = z.string().regex(/^[a-z0-9][a-z0-9_-]{0,63}$/, "a layout name: vcb, agribank, vietinbank or a saved layout");

const importQuery = z.strictObject({
  campaign: z.string().min(1).max(64),
  bankAccount: accountNo,
  layout: layoutName,
  openingBalance: signedAmount.optional(),
  job: z.uuid("a UUID of the caller's choosing, to follow the import at /bank-import-jobs/{job}").optional(),
});

const summarySchema = z.object({
  id: z.number(), bankAccount: z.string(), campaign: z.string(), layout: z.string(), fileSha256: z.string(),
  linesRead: z.number(), recorded: z.number(), donations: z.number(), alreadyPresent: z.number(), matched: z.number(),
  fees: z.number(), toClassify: z.number(), balanceChecks: z.number(), openingDong: z.string().nullable(),
  closingDong: z.string().nullable(), firstDate: z.string().nullable(), lastDate: z.string().nullable(),
  startedAt: z.string(), finishedAt: z.string(),
  elsewhere: z.array(z.object({ importId: z.number(), campaign: z.string(), lines: z.number() })).optional()
    .describe("on an import, when there are any: lines already recorded by imports into another campaign (not recorded again), by import"),
});
const importReversed = z.object({
  import: z.number(), reversal: z.number(), campaign: z.string(), bankAccount: z.string(), reversed: z.number(),
  firstSequence: z.number().nullable(), lastSequence: z.number().nullable(), released: z.number(), keptMatched: z.number(),
});

const importParams = z.strictObject({ id: z.string().regex(/^[0-9]{1,15}$/, "an import id") });
const importVerified = z.object({
  import: z.number(), approved: z.number(), verified: z.number(), refused: z.number(),
  refusals: z.array(verifyOutcome.pick({ sequence: true, code: true, detail: true })),
  waiting: z.number(),
});

const jobParams = z.strictObject({ job: z.uuid("an import job's UUID") });
const jobSchema = z.object({
  id: z.string(), state: z.enum(["queued", "running", "done", "failed"]), phase: z.enum(["waiting", "reading", "posting"]),
  linesDone: z.number(), linesTotal: z.number().nullable(), importId: z.number().nullable(),
  error: z.object({ code: z.string(), message: z.string(), field: z.string().nullable() }).nullable(),
  createdAt: z.string(), heartbeatAt: z.string(), finishedAt: z.string().nullable(), summary: summarySchema.nullable(),
});

const reconcileQuery = z.strictObject({ from: isoDate.optional(), to: isoDate.optional() });
const accountParams = z.strictObject({ account: accountNo });

export function bankImportRoutes(s: Soquy) {
  return [
    defineRoute({
      method: "post", path: "/bank-imports", tag: "Bank statements", roles: ["treasurer"],
      summary: "Import a bank statement (CSV or .xlsx as the bank exported it)", rawBody: ["text/csv", "application/octet-stream", XLSX],
      query: importQuery,
      responses: {
        201: { description: "Imported as one unit: lines read, recorded, already present, matched, fees, to classify, balance checks passed; X-Import-Job names its job", schema: summarySchema },
        422: { description: "Refused, nothing written: the line number and the reason (layout, balance assertion, receiving window…)" },
      },
      async handle({ principal, query, req }) {
        const job = query.job ?? randomUUID();
        const summary = await s.importJobs.track({
          id: job, committeeId: principal.committeeId, startedBy: principal.tokenId, campaign: query.campaign, bankAccount: query.bankAccount,
        }, async (running) => {
          const campaign = await s.ledger.campaign(principal.committeeId, query.campaign);
          const committee = { id: principal.committeeId, code: principal.committeeCode };
          const upload = await spoolUpload(req, MAX_STATEMENT_BYTES, readConfig().uploadIdleMs);
          try {
            return await running.importStatement({
              committee, campaign, bankAccountNo: query.bankAccount, layout: query.layout, recordedBy: principal.tokenId, input: upload.open(),
              format: req.is(XLSX) ? "xlsx" : "csv",
              openingDong: query.openingBalance === undefined ? null : parseOpeningDong(query.openingBalance),
            }, upload.bytes);
          } finally {
            upload.remove();
          }
        });
        s.saoke.poke(); // a published campaign's sao kê shows the new lines
        return { status: 201, body: summary, headers: { Location: `/api/v1/bank-imports/${summary.id}`, "X-Import-Job": job } };
      },
    }),
    defineRoute({
      method: "get", path: "/bank-import-jobs/:job", tag: "Bank statements", roles: allRoles,
      summary: "Follow a bank import as it runs, from any process: its state, lines done of total, and its summary or refusal",
      params: jobParams,
      responses: { 200: { description: "The job: queued, running, done (with the summary) or failed (with the code and reason; nothing was written)", schema: jobSchema } },
      async handle({ principal, params, res }) {
        const job = await s.importJobs.read(principal.committeeId, params.job);
        if (!job) fail("not_found", `no import job ${params.job}`, "job");
        res.setHeader("Cache-Control", "no-store");
        return { status: 200, body: job };
      },
    }),
    defineRoute({
      method: "get", path: "/bank-imports", tag: "Bank statements", roles: allRoles, summary: "List the bank statements imported",
      responses: { 200: { description: "Newest first (at most 500)", schema: z.object({ items: z.array(summarySchema) }) } },
      async handle({ principal }) {
        const rows = await listImports(s.db.knex, principal.committeeId, 500);
        return { status: 200, body: { items: rows.map((r) => r.summary) } };
      },
    }),
    defineRoute({
      method: "get", path: "/bank-imports/:id", tag: "Bank statements", roles: allRoles, summary: "Read one bank statement import",
      params: importParams,
      responses: { 200: { description: "The import's summary", schema: summarySchema } },
      async handle({ principal, params }) {
        const r = await readImport(s.db.knex, principal.committeeId, Number(params.id));
        if (!r) fail("bank_import_not_found", `no bank statement import ${params.id}`, "id");
        return { status: 200, body: r };
      },
    }),
    defineRoute({
      method: "post", path: "/bank-imports/:id/verify", tag: "Bank statements", roles: ["approver"],
      summary: "Verify the entries a bank statement import recorded or matched, oldest first",
      params: importParams, body: z.strictObject({ limit: z.number().int().min(1).max(MAX_IMPORT_VERIFY).optional() }),
      responses: { 200: { description: "How many you approved now and how many of those are verified (all their approvals in), which were refused and why (at most 100 listed), and how many still wait for you", schema: importVerified } },
      async handle({ principal, params, body }) {
        assertChecker(principal);
        const { ids, waiting } = await importEntriesToVerify(s.db.knex, principal.committeeId, Number(params.id), principal.personId,
          body.limit ?? 10_000);
        const outcomes = await s.controls.verifyMany(principal, ids);
        const refused = outcomes.filter((o) => !o.ok);
        const approved = outcomes.length - refused.length;
        return { status: 200, body: {
          import: Number(params.id), approved, verified: outcomes.filter((o) => o.ok && o.verified).length, refused: refused.length,
          refusals: refused.slice(0, 100).map((o) => ({ sequence: o.sequence, code: o.code, detail: o.detail })), waiting: waiting - approved,
        } };
      },
    }),
    defineRoute({
      method: "post", path: "/bank-imports/:id/reverse", tag: "Bank statements", roles: ["treasurer"], idempotent: true,
      summary: "Reverse a whole bank statement import (one that went to the wrong campaign) and release its lines",
      params: importParams, body: z.strictObject({ reason: z.string().min(1).max(500) }),
      responses: { 201: { description: "Every entry the import recorded itself is reversed and its lines are released, in one transaction: the same statement can then be imported into the right campaign. Lines matched to hand-recorded transfers are kept (keptMatched).", schema: importReversed } },
      async handle({ principal, params, body, meta }) {
        const r = await s.ledger.reverseImport(principal, Number(params.id), body, meta);
        return { status: 201, body: r.response, headers: r.replayed ? { "Idempotent-Replayed": "true" } : undefined };
      },
    }),
    defineRoute({
      method: "post", path: "/bank-accounts/:account/layout", tag: "Bank statements", roles: ["treasurer"], idempotent: true,
      summary: "Save a generic statement layout for a bank account (column mapping, number and date format)",
      params: accountParams, body: genericLayoutSchema.extend({ name: layoutName }),
      responses: { 201: { description: "Saved; import with ?layout=<name>" } },
      async handle({ principal, params, body }) {
        if (isBuiltIn(body.name)) fail("validation_failed", `${builtInLayoutNames.join(", ")} are built in; choose another name`, "name");
        const no = checkAccountNo(params.account, "account");
        await saveLayout(s.db.knex, principal.committeeId, no, body);
        return { status: 201, body: { bankAccount: no, layout: body } };
      },
    }),
    defineRoute({
      method: "get", path: "/bank-accounts/:account/reconciliation", tag: "Bank statements", roles: allRoles,
      summary: "Reconcile a bank account: matched, only in the bank, only in the ledger, both balances",
      params: accountParams, query: reconcileQuery,
      responses: { 200: { description: "The reconciliation (lists of at most 10,000 each; truncated says when cut)" } },
      async handle({ principal, params, query }) {
        return { status: 200, body: await reconcile(s.db.knex, principal.committeeId, params.account, query) };
      },
    }),
    defineRoute({
      method: "get", path: "/bank-accounts/:account/reconciliation.csv", tag: "Bank statements", roles: allRoles,
      summary: "Reconcile a bank account, as CSV", produces: ["text/csv"], params: accountParams, query: reconcileQuery,
      responses: { 200: { description: "UTF-8 CSV with BOM: the two balances, then one row per transfer with its status" } },
      async handle({ principal, params, query, res }) {
        const csv = reconciliationCsv(await reconcile(s.db.knex, principal.committeeId, params.account, query));
        res.setHeader("Content-Type", "text/csv; charset=utf-8");
        res.setHeader("Content-Disposition", `attachment; filename="reconciliation-${params.account}.csv"`);
        res.end(csv);
        return null;
      },
    }),
  ];
}

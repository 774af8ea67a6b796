import { LedgerError, type ResultCode } from "../ledger/codes.js";

// The one table from the SQLSTATEs the database raises to what the service answers. The app checks every rule
// first and answers with a result code of its own; these are what PostgreSQL still refuses when the app's check
// was passed by (a race, a bug), and the SQLSTATEs of bad input and of a database going away. Every caller that
// looks at a database error's code goes through storeError / retryable / unavailable below.
//
// - rule: raised by the rule files of sql/ (their headers list them; test/sqlstates.test.ts keeps the two equal);
//   key "<SQLSTATE>", or "<SQLSTATE> <constraint>" where the constraint tells which rule it was.
// - postgres: PostgreSQL's own, for any statement.
// code null: the service's own checks never let it happen, whatever runs at the same time, so reaching it is a bug
// (a 500, logged). A code: it can be reached by a race the service's checks cannot see (another process's close,
// verification or write, a campaign edited meanwhile), or it is the check itself (a bank import's fee before the
// transfers that cover it).

export interface Sqlstate {
  source: "rule" | "postgres";
  /** The rule, as the sql/ file's header says it. */
  rule: string;
  code: ResultCode | null;
  /** The request field the refusal names, and the message it gives (the database's own otherwise). */
  field?: string;
  message?: string;
  /** Another writer took what this one was writing: write again (a checkpoint number). */
  retry?: true;
}

export const sqlstates: Record<string, Sqlstate> = {
  SQ001: { source: "rule", rule: "an entry has at least two postings, summing to zero; postings come only with their entry", code: null },
  SQ002: { source: "rule", rule: "each committee's entries are numbered without a gap and chained by prev_hash", code: null },
  SQ003: { source: "rule", rule: "an entry's hash matches its content; details come only with their entry", code: null },
  SQ004: { source: "rule", rule: "voucher numbers spell their book, year and number, without a gap", code: null },
  SQ005: {
    source: "rule", rule: "no asset account goes below zero", code: "insufficient_campaign_balance", field: "amountDong",
    message: "a campaign's account would go below zero",
  },
  SQ006: { source: "rule", rule: "a reversal negates every posting of the entry it reverses", code: null },
  SQ007: { source: "rule", rule: "nothing is dated on or before the last period close, and a close comes after it", code: "period_closed", field: "entryDate" },
  SQ008: { source: "rule", rule: "a period closes only when every entry dated on or before it is verified", code: "unverified_entries", field: "through" },
  SQ009: { source: "rule", rule: "an entry between campaigns has a resolution reference and two approvals", code: null },
  SQ010: { source: "rule", rule: "history is never rewritten: append-only rows, frozen codes and ids, tables the ledger keeps itself", code: null },
  SQ011: { source: "rule", rule: "maker-checker between people: who may verify, close, or hold which token", code: "forbidden" },
  SQ012: { source: "rule", rule: "a disbursement's purpose is one its campaign's kind allows", code: "purpose_not_allowed_for_campaign", field: "purpose" },
  SQ013: { source: "rule", rule: "a donation is dated inside its campaign's receiving window", code: "donation_outside_receiving_window", field: "receivedOn" },
  SQ014: { source: "rule", rule: "an entry's shape matches its kind, campaign and method", code: null },
  SQ015: { source: "rule", rule: "a reversal is published after the entry it reverses", code: "reversal_before_original", field: "ids", message: "verify the entry a reversal reverses before the reversal itself" },
  SQ016: { source: "rule", rule: "each committee numbers its checkpoints 1, 2, 3…, the number its payload signs", code: null, retry: true },
  SQ017: { source: "rule", rule: "a campaign's name and launch date freeze once published, its kind and launch date once it has entries", code: "campaign_frozen", field: "name" },
  SQ018: { source: "rule", rule: "a bank line is released only by its import's reversal, and recorded again only after it was released", code: null },
  SQ019: { source: "rule", rule: "a sao kê is published or withdrawn by an approver person with a token of their own", code: "forbidden" },
  SQ020: { source: "rule", rule: "a published sao kê line is an imported bank line of the campaign, as the bank printed it", code: null },
  SQ021: { source: "rule", rule: "a published sao kê line leaves only when its bank line was released by its import's reversal", code: null },
  "23503": { source: "rule", rule: "references name a row of the same committee (the statement checks' foreign key error)", code: null },
  "23503 disbursements_area_listed": {
    source: "rule", rule: "a disbursement names one of its committee's areas", code: "area_not_listed", field: "beneficiary.area",
    message: "the area is not in the committee's list of areas (khu phố, thôn, ấp)",
  },
  "23505 donations_bank_reference": {
    source: "rule", rule: "a bank reference is recorded once per bank account", code: "bank_reference_duplicate", field: "bankReference",
    message: "this bank reference is already recorded for this bank account",
  },
  "23505 idempotency_keys_pkey": {
    source: "rule", rule: "an idempotency key is used once per committee", code: "idempotency_key_reused", field: "Idempotency-Key",
    message: "this Idempotency-Key was used by a concurrent request; retry to get its result",
  },
  "23505 checkpoints_number": { source: "rule", rule: "a checkpoint number is taken once per committee", code: null, retry: true },
  "23505 checkpoints_close": { source: "rule", rule: "a period close has one checkpoint", code: null, retry: true },
  "42501": { source: "rule", rule: "the list of areas and the statement formats are append-only (and any privilege the role lacks)", code: null },

  // A value the database cannot hold reached it: the validation missed it, but it is still bad input.
  "22021": { source: "postgres", rule: "character not in repertoire (bad UTF-8)", code: "validation_failed" },
  "22P05": { source: "postgres", rule: "untranslatable character (NUL)", code: "validation_failed" },
  "22007": { source: "postgres", rule: "invalid datetime format", code: "validation_failed" },
  "22008": { source: "postgres", rule: "datetime field overflow", code: "validation_failed" },
  "22003": { source: "postgres", rule: "numeric value out of range", code: "validation_failed" },
  "22P02": { source: "postgres", rule: "invalid text representation", code: "validation_failed" },
  // Says only that an earlier statement of the transaction failed: that one's error is the one to report.
  "25P02": { source: "postgres", rule: "in failed SQL transaction", code: null },
  // A server shutting down, starting, in recovery (a standby), or a connection lost.
  "57P01": { source: "postgres", rule: "admin shutdown", code: "database_unavailable" },
  "57P02": { source: "postgres", rule: "crash shutdown", code: "database_unavailable" },
  "57P03": { source: "postgres", rule: "cannot connect now", code: "database_unavailable" },
  "25006": { source: "postgres", rule: "read-only transaction (a standby)", code: "database_unavailable" },
  "08000": { source: "postgres", rule: "connection exception", code: "database_unavailable" },
  "08001": { source: "postgres", rule: "cannot establish a connection", code: "database_unavailable" },
  "08003": { source: "postgres", rule: "connection does not exist", code: "database_unavailable" },
  "08004": { source: "postgres", rule: "server rejected the connection", code: "database_unavailable" },
  "08006": { source: "postgres", rule: "connection failure", code: "database_unavailable" },
};

interface DatabaseError {
  code?: string;
  constraint?: string;
  message?: string;
}

/** The table's row for a database error: by SQLSTATE and constraint first, then by SQLSTATE alone. */
export function sqlstateOf(error: unknown): Sqlstate | null {
  const e = error as DatabaseError | null;
  if (!e || typeof e.code !== "string") return null;
  return (e.constraint && sqlstates[`${e.code} ${e.constraint}`]) || sqlstates[e.code] || null;
}

/**
 * The refusal a rule's database error stands for, or null when none does (a bug, an outage, bad input: the caller
 * rethrows, and the HTTP layer answers those). A caller may say it in its own words; the code is the table's.
 */
export function storeError(error: unknown): LedgerError | null {
  const row = sqlstateOf(error);
  if (!row?.code || row.source !== "rule") return null;
  return new LedgerError(row.code, row.message ?? (error as DatabaseError).message ?? row.rule, row.field);
}

/** Another writer took the number (or the close's checkpoint) this one was writing: write again. */
export function retryable(error: unknown): boolean {
  return sqlstateOf(error)?.retry === true;
}

/** The database is down, starting, a standby, or the connection went away: a retry later may succeed. */
export function unavailable(error: unknown): boolean {
  return sqlstateOf(error)?.code === "database_unavailable";
}

/** Bad input that reached the database (bad encoding, NUL, a value out of range). */
export function badInput(error: unknown): boolean {
  const row = sqlstateOf(error);
  return row?.source === "postgres" && row.code === "validation_failed";
}

/** The error says only that an earlier statement of its transaction failed. */
export function abortedTransaction(error: unknown): boolean {
  return sqlstateOf(error) === sqlstates["25P02"];
}

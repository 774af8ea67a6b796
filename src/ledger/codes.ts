// Named result codes for every expected failure. The HTTP layer maps each to
// a status in one table (src/http/problems.ts); the CLI prints them as is.
export const resultCodes = [
  "validation_failed",
  "malformed_request",
  "internal_error",
  "amount_must_be_positive",
  "amount_not_whole_dong",
  "amount_too_large",
  "amount_not_a_number",
  "invalid_date",
  "unauthorized",
  "forbidden",
  "not_found",
  "committee_not_found",
  "committee_code_taken",
  "campaign_not_found",
  "campaign_code_taken",
  "account_not_found",
  "entry_not_found",
  "entry_already_reversed",
  "cannot_reverse_a_reversal",
  "unbalanced_entry",
  "too_few_postings",
  "too_many_postings",
  "insufficient_campaign_balance",
  "insufficient_balance",
  "items_required",
  "items_value_mismatch",
  "items_not_allowed",
  "bank_reference_duplicate",
  "idempotency_key_required",
  "idempotency_key_reused",
  "resolution_required",
  "donation_outside_receiving_window",
  "purpose_not_allowed_for_campaign",
  "period_closed",
  "period_already_closed",
  "unverified_entries",
  "self_verification_forbidden",
  "token_role_not_allowed",
  "already_verified",
  "reversal_before_original",
  "query_too_broad",
  "payload_too_large",
  "rate_limited",
  "bank_file_malformed",
  "balance_assertion_failed",
  "bank_layout_unknown",
  "bank_account_not_found",
  "bank_import_not_found",
  "bank_import_already_reversed",
  "signing_key_missing",
  "database_unavailable",
  "upload_timeout",
  "area_not_listed",
  "campaign_frozen",
  "database_busy",
  "import_interrupted",
  "saoke_not_published",
  "document_not_applicable",
] as const;

export type ResultCode = (typeof resultCodes)[number];

/**
 * The values a refusal's message was made from (a line number, dates, a campaign's code), so that a
 * reader in another language can say the same thing: the workspace words them in Vietnamese.
 */
export type ErrorFacts = Readonly<Record<string, string | number>>;

export class LedgerError extends Error {
  override name = "LedgerError";
  constructor(
    readonly code: ResultCode,
    message: string,
    readonly field?: string,
    readonly facts?: ErrorFacts,
  ) {
    super(message);
  }
}

export function fail(code: ResultCode, message: string, field?: string, facts?: ErrorFacts): never {
  throw new LedgerError(code, message, field, facts);
}

import { Decimal } from "decimal.js";
import { assert } from "./assert.js";
import { fail } from "./codes.js";

// Money is whole đồng held in bigint: never a JS float. Amounts cross JSON as
// strings of digits; integers are accepted on input when they are safe.
export const MAX_AMOUNT_DONG = 10n ** 15n;

const digits = /^[0-9]{1,19}$/;

/** Parses a positive whole-đồng amount, naming the field when it is wrong. */
export function parseAmountDong(value: unknown, field: string): bigint {
  const amount = parseSignedDong(value, field);
  if (amount <= 0n) fail("amount_must_be_positive", `${field} must be more than 0 đồng`, field);
  return amount;
}

/** Parses a signed whole-đồng amount (general entries: debit +, credit −). */
export function parseSignedDong(value: unknown, field: string): bigint {
  let text: string;
  if (typeof value === "number") {
    if (!Number.isFinite(value)) fail("amount_not_a_number", `${field} must be a whole number of đồng`, field);
    if (!Number.isInteger(value)) fail("amount_not_whole_dong", `${field} must be whole đồng (no fractions)`, field);
    if (!Number.isSafeInteger(value)) fail("amount_too_large", `${field} is too large; send it as a string of digits`, field);
    text = String(value);
  } else if (typeof value === "string") {
    text = value.trim();
  } else {
    return fail("amount_not_a_number", `${field} must be a string of digits (whole đồng)`, field);
  }
  const negative = text.startsWith("-");
  const body = negative ? text.slice(1) : text;
  if (/^[0-9]+[.,][0-9]*$/.test(body) && !/^[0-9]+[.,]0*$/.test(body)) {
    fail("amount_not_whole_dong", `${field} must be whole đồng (no fractions)`, field);
  }
  if (!digits.test(body)) {
    if (/^[0-9]{20,}$/.test(body)) fail("amount_too_large", `${field} exceeds 1.000.000.000.000.000 đồng`, field);
    fail("amount_not_a_number", `${field} must be a string of digits (whole đồng), e.g. "1250000"`, field);
  }
  const amount = BigInt(body);
  if (amount > MAX_AMOUNT_DONG) fail("amount_too_large", `${field} exceeds 1.000.000.000.000.000 đồng`, field);
  if (amount === 0n) fail("amount_must_be_positive", `${field} must not be 0`, field);
  return negative ? -amount : amount;
}

/**
 * Splits a total across n parts so that they add up exactly: each part is the
 * floor of an equal share and the remainder goes one đồng at a time to the
 * first parts (largest-remainder with equal weights).
 */
export function splitDong(totalDong: bigint, parts: number): bigint[] {
  assert(parts > 0 && Number.isInteger(parts), "parts must be a positive integer");
  const n = BigInt(parts);
  const share = totalDong / n;
  const remainder = totalDong - share * n;
  return Array.from({ length: parts }, (_, i) => (BigInt(i) < remainder ? share + 1n : share));
}

/** value = quantity × unit value, rounded half-up to whole đồng. */
export function multiplyDong(quantity: string, unitValueDong: bigint): bigint {
  const value = new Decimal(quantity).mul(unitValueDong.toString()).toDecimalPlaces(0, Decimal.ROUND_HALF_UP);
  return BigInt(value.toFixed(0));
}

export function sumDong(amounts: Iterable<bigint>): bigint {
  let total = 0n;
  for (const a of amounts) total += a;
  return total;
}

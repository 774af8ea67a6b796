// Vietnamese number and date formatting for documents, reports and press wording, in one
// place. Pure functions, no imports: reports/ must not depend on src/.
//
// Numbers: "." groups thousands, "," is the decimal mark (8.000.000 đồng; 8,7 tỷ đồng).
// Dates in documents: day zero-padded to two digits, month zero-padded only for 1 and 2
// (Nghị định 30/2020/NĐ-CP: "ngày nhỏ hơn 10 và tháng 1, 2 phải ghi thêm số 0 ở trước"):
// 05/02/2024, 08/7/2024, "ngày 05 tháng 02 năm 2024". APIs and CSV keep ISO 8601.

// ---------------------------------------------------------------------------------------
// Numbers

function groupThousands(digits: string): string {
  return digits.replace(/\B(?=(\d{3})+(?!\d))/g, ".");
}

/** 8_000_000n → "8.000.000"; -1_250_000n → "-1.250.000" (ASCII minus). */
export function formatDong(amount: bigint): string {
  if (typeof amount !== "bigint") throw new TypeError("formatDong expects a bigint");
  const negative = amount < 0n;
  const digits = (negative ? -amount : amount).toString();
  return (negative ? "-" : "") + groupThousands(digits);
}

/** 8_000_000n → "8.000.000 đồng". */
export function formatDongWithUnit(amount: bigint, unit = "đồng"): string {
  return `${formatDong(amount)} ${unit}`;
}

const DECIMAL_RE = /^([+-]?)(\d+)(?:\.(\d+))?$/;

/**
 * A decimal string as produced by the database (numeric text, "." decimal point) in
 * Vietnamese notation: "8.7" → "8,7", "607.000" → "607", "10.500" → "10,5",
 * "1234567.25" → "1.234.567,25", "-0.500" → "-0,5". Trailing fractional zeros are trimmed,
 * leading integer zeros removed. Throws on anything that is not a plain decimal.
 */
export function formatDecimalVi(value: string): string {
  if (typeof value !== "string") throw new TypeError("formatDecimalVi expects a string");
  const m = DECIMAL_RE.exec(value.trim());
  if (!m) throw new RangeError(`not a decimal number: ${JSON.stringify(value)}`);
  const sign = m[1] ?? "";
  const intPart = (m[2] ?? "0").replace(/^0+(?=\d)/, "");
  const fracPart = (m[3] ?? "").replace(/0+$/, "");
  const isZero = /^0$/.test(intPart) && fracPart === "";
  const minus = sign === "-" && !isZero ? "-" : "";
  return minus + groupThousands(intPart) + (fracPart === "" ? "" : "," + fracPart);
}

// ---------------------------------------------------------------------------------------
// Press wording
//
// Rule (approxVi): the stated figure NEVER exceeds the exact amount.
// - Pick the largest unit not above the amount: nghìn tỷ (10^12), tỷ (10^9), triệu (10^6),
//   nghìn (10^3). Below 1.000 đồng the exact amount is stated.
// - Truncate (floor) the amount to a whole number of that unit; for tỷ and nghìn tỷ keep one
//   decimal (floor to 0,1 of the unit) and show it only when it is not 0:
//   8.700.000.000 → "8,7 tỷ đồng"; 8.790.000.000 → "trên 8,7 tỷ đồng"; 214.350.000 → "trên
//   214 triệu đồng"; 214.999.999 → "trên 214 triệu đồng" (never "215 triệu").
// - Qualifier "trên" if and only if the stated figure is strictly less than the exact amount;
//   an exact figure gets no qualifier. "gần" (nearly) is never produced, since it states a
//   figure above the amount.
// Negative amounts are refused: press figures are totals.

export interface ApproxVi {
  /** "trên" when the stated figure is strictly less than the exact amount, otherwise null. */
  qualifier: "trên" | null;
  /** The stated figure with its unit, e.g. "214 triệu đồng", "8,7 tỷ đồng". */
  text: string;
  /** Qualifier and text together, e.g. "trên 214 triệu đồng". */
  phrase: string;
  /** The stated figure in đồng (≤ the exact amount), e.g. 214_000_000n. */
  stated: bigint;
}

const PRESS_UNITS: ReadonlyArray<{ size: bigint; name: string; oneDecimal: boolean }> = [
  { size: 10n ** 12n, name: "nghìn tỷ", oneDecimal: true },
  { size: 10n ** 9n, name: "tỷ", oneDecimal: true },
  { size: 10n ** 6n, name: "triệu", oneDecimal: false },
  { size: 10n ** 3n, name: "nghìn", oneDecimal: false },
];

/** Press wording of an amount that never rounds up: 214_350_000n → "trên 214 triệu đồng". */
export function approxVi(amount: bigint, currency = "đồng"): ApproxVi {
  if (typeof amount !== "bigint") throw new TypeError("approxVi expects a bigint");
  if (amount < 0n) throw new RangeError(`approxVi: negative amount ${amount}`);
  const unit = PRESS_UNITS.find((u) => amount >= u.size);
  let stated: bigint;
  let figure: string;
  if (unit === undefined) {
    stated = amount;
    figure = formatDong(amount);
  } else {
    const step = unit.oneDecimal ? unit.size / 10n : unit.size;
    const steps = amount / step; // bigint division truncates: floor for amount ≥ 0
    stated = steps * step;
    if (unit.oneDecimal) {
      const whole = steps / 10n;
      const tenth = steps % 10n;
      figure = formatDong(whole) + (tenth === 0n ? "" : `,${tenth}`);
    } else {
      figure = formatDong(steps);
    }
    figure += ` ${unit.name}`;
  }
  const text = `${figure} ${currency}`;
  const qualifier = stated < amount ? "trên" : null;
  return { qualifier, text, phrase: qualifier === null ? text : `${qualifier} ${text}`, stated };
}

// ---------------------------------------------------------------------------------------
// Dates

const ISO_DATE_RE = /^(\d{4})-(\d{2})-(\d{2})$/;

function daysInMonth(year: number, month: number): number {
  if (month === 2) {
    const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
    return leap ? 29 : 28;
  }
  return [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** Parses and validates an ISO calendar date "YYYY-MM-DD"; throws RangeError otherwise. */
export function parseIsoDate(iso: string): { year: number; month: number; day: number } {
  if (typeof iso !== "string") throw new TypeError("expected an ISO date string YYYY-MM-DD");
  const m = ISO_DATE_RE.exec(iso);
  if (!m) throw new RangeError(`not an ISO date YYYY-MM-DD: ${JSON.stringify(iso)}`);
  const year = Number(m[1]);
  const month = Number(m[2]);
  const day = Number(m[3]);
  if (year < 1 || month < 1 || month > 12 || day < 1 || day > daysInMonth(year, month)) {
    throw new RangeError(`no such date: ${iso}`);
  }
  return { year, month, day };
}

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** Month as written in documents: zero-padded only for 1 and 2 ("01", "02", "7", "12"). */
function monthVi(month: number): string {
  return month <= 2 ? pad2(month) : String(month);
}

/** "2024-07-08" → "08/7/2024"; "2024-02-05" → "05/02/2024"; "2024-06-30" → "30/6/2024". */
export function formatDateVi(iso: string): string {
  const { year, month, day } = parseIsoDate(iso);
  return `${pad2(day)}/${monthVi(month)}/${year}`;
}

/** "2024-02-05" → "ngày 05 tháng 02 năm 2024"; "2024-07-08" → "ngày 08 tháng 7 năm 2024". */
export function formatLongDateVi(iso: string): string {
  const { year, month, day } = parseIsoDate(iso);
  return `ngày ${pad2(day)} tháng ${monthVi(month)} năm ${year}`;
}

/** ("2024-01-01", "2024-06-30") → "Từ ngày 01/01/2024 đến ngày 30/6/2024". Throws if from > to. */
export function periodVi(from: string, to: string): string {
  const a = formatDateVi(from);
  const b = formatDateVi(to);
  if (from > to) throw new RangeError(`period starts after it ends: ${from} > ${to}`);
  return `Từ ngày ${a} đến ngày ${b}`;
}

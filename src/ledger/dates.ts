import { fail } from "./codes.js";

// Dates are calendar dates (YYYY-MM-DD) in Vietnam's time zone.
const isoDate = /^(\d{4})-(\d{2})-(\d{2})$/;

/** Parses a real calendar date: 2024-02-30 is refused, naming the field. */
export function parseIsoDate(value: string, field: string): string {
  const m = isoDate.exec(value);
  if (!m) fail("invalid_date", `${field} must be a date as YYYY-MM-DD`, field);
  const [y, mo, d] = [Number(m[1]), Number(m[2]), Number(m[3])];
  const date = new Date(Date.UTC(y, mo - 1, d));
  if (y < 2000 || y > 2200 || date.getUTCMonth() !== mo - 1 || date.getUTCDate() !== d) {
    fail("invalid_date", `${field} is not a real calendar date: ${value}`, field);
  }
  return value;
}

/** A document date may not lie in the future (one day of slack for time zones). */
export function parseDocumentDate(value: string, field: string, now = new Date()): string {
  parseIsoDate(value, field);
  const tomorrow = todayInVietnam(new Date(now.getTime() + 86_400_000));
  if (value > tomorrow) fail("invalid_date", `${field} is in the future: ${value}`, field);
  return value;
}

// Built once: constructing a DateTimeFormat costs ~0.15 ms, on every write.
const vietnamDate = new Intl.DateTimeFormat("en-CA", { timeZone: "Asia/Ho_Chi_Minh" });

// The date in Vietnam only changes on a minute boundary (time zones are whole
// minutes apart from UTC), so one formatting serves a whole UTC minute.
let cached = { minute: Number.NaN, date: "" };

export function todayInVietnam(now = new Date()): string {
  const minute = Math.floor(now.getTime() / 60_000);
  if (minute !== cached.minute) cached = { minute, date: vietnamDate.format(now) };
  return cached.date;
}

import type { Campaign, CampaignKind, Purpose } from "./types.js";

// Nghị định 93/2021: a campaign's money pays only its own purpose, receiving
// lasts at most 90 days from the launch and ends at the announced end date,
// and distribution follows within 20 days of the close (configurable).
// sql/references.sql and sql/controls.sql hold the same rules for PostgreSQL's own check.

export const RECEIVING_DAYS = 90;

const everything: readonly Purpose[] = [
  "gift_package", "house_new", "house_repair", "livelihood", "schooling", "health", "relief_cash", "infrastructure", "regular_support", "other",
];

export const allowedPurposes: Record<CampaignKind, readonly Purpose[]> = {
  for_the_poor: everything,
  tet_gifts: ["gift_package"],
  solidarity_house: ["house_new", "house_repair"],
  livelihood: ["livelihood"],
  relief: ["relief_cash", "gift_package", "health", "house_repair", "house_new", "other"],
  other: everything,
};

// Every donation checks its campaign's receiving window: the few dates asked are remembered.
const added = new Map<string, string>();

export function addDays(iso: string, days: number): string {
  const key = `${iso}+${days}`;
  const known = added.get(key);
  if (known !== undefined) return known;
  const d = new Date(`${iso}T00:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  const date = d.toISOString().slice(0, 10);
  if (added.size >= 1000) added.clear();
  added.set(key, date);
  return date;
}

type WindowFields = Pick<Campaign, "startsOn" | "endsOn" | "receivingException" | "receivingExceptionUntil">;

/**
 * The days a campaign may date donations in. Without an exception: from the launch to the end date
 * or 90 days, whichever comes first. A recorded exception (with its reason) extends the close to the
 * exception's own date, or to the end date without one; it never shortens the window nor opens it
 * before the launch. `closes` is null only for an exception with neither date (a fund raised all
 * year round). migrations/…000038 checks the same in PostgreSQL.
 */
export function receivingWindow(c: WindowFields): { opens: string; closes: string | null } {
  const limit = addDays(c.startsOn, RECEIVING_DAYS);
  const normal = c.endsOn !== null && c.endsOn < limit ? c.endsOn : limit;
  if (c.receivingException === null) return { opens: c.startsOn, closes: normal };
  const extended = c.receivingExceptionUntil ?? c.endsOn;
  return { opens: c.startsOn, closes: extended === null ? null : extended > normal ? extended : normal };
}

/** The last day donations may be dated (null: no closing date). */
export function receivingCloses(c: WindowFields): string | null {
  return receivingWindow(c).closes;
}

/** Disbursements dated after this are flagged as late (null: receiving never closes, so nothing is late). */
export function distributionDeadline(c: WindowFields & Pick<Campaign, "distributionDays">): string | null {
  const closes = receivingCloses(c);
  return closes === null ? null : addDays(closes, c.distributionDays);
}

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

/** The last day donations may be dated, without a recorded exception. */
export function receivingCloses(c: Pick<Campaign, "startsOn" | "endsOn">): string {
  const limit = addDays(c.startsOn, RECEIVING_DAYS);
  return c.endsOn !== null && c.endsOn < limit ? c.endsOn : limit;
}

/** Disbursements dated after this are flagged as late. */
export function distributionDeadline(c: Pick<Campaign, "startsOn" | "endsOn" | "receivingException" | "distributionDays">): string {
  const closes = c.receivingException !== null && c.endsOn !== null ? c.endsOn : receivingCloses(c);
  return addDays(closes, c.distributionDays);
}

import type { PublicQueries } from "../db/public.js";
import type { StatementQueries } from "../db/statements.js";
import type { KnexLedgerStore } from "../db/store.js";
import { assert } from "../ledger/assert.js";
import { fail } from "../ledger/codes.js";
import { parseIsoDate } from "../ledger/dates.js";
import { assembleFigures, type FigureRow, type Publication, type PublicFigures } from "../ledger/figures.js";
import type { Campaign, Committee } from "../ledger/types.js";
import { statementKey, type StatementFiles } from "./statementfiles.js";
import type { StatementFormat } from "../statements/types.js";
import type { DonationLookup, DonationMatch, FigureScope } from "../db/public.js";
import { maskText, publicArea, type PrivateNames } from "../ledger/mask.js";

// What the press and the public may cite: verified figures, pinned to a
// publication number so a link gives the same figures later, with the digest
// of the public statement cut at the same publication.

export interface PinQuery {
  at?: number | undefined; // a publication number
  asOf?: string | undefined; // an ISO date-time: the last publication made by then
  from?: string | undefined;
  to?: string | undefined;
}

export interface Pledged { count: number; amountDong: bigint }

export interface CampaignTotals {
  committee: Committee;
  campaign: Campaign;
  publication: Publication;
  live: boolean;
  scope: { from: string | null; to: string | null };
  figures: PublicFigures;
  /** Holdings before `from`, when the scope starts at a date. */
  openingDong: bigint;
  pledged: Pledged;
}

export interface StatementFacts {
  digest: string;
  format: StatementFormat;
  lines: number;
  inDong: bigint;
  outDong: bigint;
  openingDong: bigint;
  closingDong: bigint;
  from: string;
  to: string;
}

/**
 * What the self-check tells the public of a donation: all of it once an
 * approver has verified it; of one still waiting, only that it is recorded
 * (its amount and donor are not public until verified, like the statements).
 */
export type SelfCheckMatch = Omit<DonationMatch, "amountDong" | "donorName"> & (
  | { status: "verified"; amountDong: bigint; donorName: string | null }
  | { status: "awaiting_verification"; amountDong: null; donorName: null }
);

export const SELF_CHECK_STATUS = {
  vi: { verified: "Đã ghi nhận, đã kiểm duyệt", awaiting_verification: "Đã ghi nhận, đang chờ kiểm duyệt" },
  en: { verified: "Recorded and verified", awaiting_verification: "Recorded, awaiting verification" },
} as const;

export function selfCheckMatch(m: DonationMatch): SelfCheckMatch {
  if (m.publication !== null) return { ...m, status: "verified" };
  return { ...m, status: "awaiting_verification", amountDong: null, donorName: null };
}

const CACHE_MS = 60_000;
const SELF_CHECK_MAX = 5;
const MAX_DIGESTS = 2_000;

export class PublicService {
  private readonly committees = new Map<string, { at: number; value: Committee | null }>();
  private readonly campaigns = new Map<string, { at: number; value: Campaign[] }>();
  private readonly digests = new Map<string, Promise<StatementFacts>>();

  /**
   * `figures` and `statements` may read a standby (each answer names the publication and chain head it
   * was cut at); `lookups`, what the donor self-check asks, reads the primary: a donor checks a gift
   * just recorded.
   */
  constructor(
    private readonly store: KnexLedgerStore,
    private readonly figures: PublicQueries,
    private readonly statements: StatementQueries,
    private readonly lookups: PublicQueries = figures,
    private readonly files: StatementFiles,
  ) {}

  async committee(code: string): Promise<Committee> {
    const hit = this.committees.get(code);
    if (hit && Date.now() - hit.at < CACHE_MS && hit.value) return hit.value;
    const value = await this.store.findCommittee(code);
    this.committees.set(code, { at: Date.now(), value });
    if (!value) fail("committee_not_found", `no committee with code ${code}`, "committee");
    return value;
  }

  /** A committee's campaigns (codes and accounts never change; names and targets are re-read every minute). */
  async campaignList(committee: Committee): Promise<Campaign[]> {
    const key = String(committee.id);
    const hit = this.campaigns.get(key);
    if (hit && Date.now() - hit.at < CACHE_MS) return hit.value;
    const value = await this.store.listCampaigns(committee.id);
    this.campaigns.set(key, { at: Date.now(), value });
    return value;
  }

  /** Drops this process's copy of a committee's campaigns (one was just changed here). */
  forgetCampaigns(committeeId: number): void {
    this.campaigns.delete(String(committeeId));
  }

  async campaign(committee: Committee, code: string): Promise<Campaign> {
    let found = (await this.campaignList(committee)).find((c) => c.code === code);
    if (!found) {
      this.campaigns.delete(String(committee.id)); // created in the last minute?
      found = (await this.campaignList(committee)).find((c) => c.code === code);
    }
    if (!found) fail("campaign_not_found", `no campaign with code ${code}`, "code");
    return found;
  }

  /** Figures of some campaigns (null: all) at the publication asked for, grouped per campaign. */
  async figureSet(committee: Committee, campaignIds: number[] | null, q: PinQuery) {
    const from = q.from ? parseIsoDate(q.from, "from") : null;
    const to = q.to ? parseIsoDate(q.to, "to") : null;
    if (from && to && from > to) fail("invalid_date", `from (${from}) is after to (${to})`, "from");
    const scope: FigureScope = { campaignIds, from, to };
    let set;
    let live = false;
    if (q.at === undefined && q.asOf === undefined) {
      set = await this.figures.live(committee.id, scope);
      live = true;
    } else {
      const pin = q.at !== undefined ? { vseq: q.at } : { time: parseTime(q.asOf!) };
      const pub = await this.figures.publication(committee.id, pin);
      if (!pub) fail("not_found", `no publication ${q.at} in committee ${committee.code}`, "at");
      set = await this.figures.at(committee.id, scope, pub);
    }
    const byCampaign = (rows: FigureRow[]) => {
      const m = new Map<number, FigureRow[]>();
      for (const r of rows) {
        const list = m.get(r.campaignId);
        if (list) list.push(r);
        else m.set(r.campaignId, [r]);
      }
      return m;
    };
    return {
      publication: set.publication, live, scope: { from, to }, rows: byCampaign(set.rows), opening: byCampaign(set.opening),
      pledges: await this.figures.pledges(committee.id, campaignIds, set.publication.publishedAt),
    };
  }

  async campaignTotals(committeeCode: string, campaignCode: string, q: PinQuery): Promise<CampaignTotals> {
    const committee = await this.committee(committeeCode);
    const campaign = await this.campaign(committee, campaignCode);
    const set = await this.figureSet(committee, [campaign.id], q);
    return this.totalsOf(committee, campaign, set, await this.figureMask(committee, set));
  }

  /** Every campaign of a committee, with totals and the sum over all of them. */
  async committeeTotals(committeeCode: string, q: PinQuery) {
    const committee = await this.committee(committeeCode);
    const campaigns = await this.campaignList(committee);
    const set = await this.figureSet(committee, null, q);
    const mask = await this.figureMask(committee, set);
    const items = campaigns.map((c) => this.totalsOf(committee, c, set, mask));
    const all = [...set.rows.values()].flat();
    const opening = [...set.opening.values()].flat();
    const overall = mask(assembleFigures(all, false));
    return {
      committee, publication: set.publication, live: set.live, scope: set.scope, campaigns: items, overall,
      openingDong: assembleFigures(opening, false).balanceDong,
    };
  }

  /**
   * The public masking of figures' text: areas by the committee's list as it stood at the
   * publication ("Khác" for one recorded before the list that it does not hold), units through
   * the one masking function with the names not agreed to be published up to the publication.
   */
  private async figureMask(committee: Committee, set: Awaited<ReturnType<PublicService["figureSet"]>>): Promise<(f: PublicFigures) => PublicFigures> {
    const p = set.publication;
    if (p.vseq === 0) return (f) => f;
    const areas = await this.statements.listedAreas(committee.id, set.live ? undefined : p.vseq);
    const rows = [...set.rows.values()].flat();
    const units = rows.some((r) => r.metric === "received_unit" || r.metric === "disbursed_unit");
    const names = units ? await this.statements.privateNames(committee.id, p.headSeq) : null;
    return (f) => maskFigures(f, areas, names);
  }

  private totalsOf(
    committee: Committee, campaign: Campaign, set: Awaited<ReturnType<PublicService["figureSet"]>>, mask: (f: PublicFigures) => PublicFigures,
  ): CampaignTotals {
    const whole = set.scope.from === null && set.scope.to === null;
    return {
      committee, campaign, publication: set.publication, live: set.live, scope: set.scope,
      figures: mask(assembleFigures(set.rows.get(campaign.id) ?? [], whole)),
      openingDong: assembleFigures(set.opening.get(campaign.id) ?? [], false).balanceDong,
      pledged: set.pledges.get(campaign.id) ?? { count: 0, amountDong: 0n },
    };
  }

  /**
   * A donor's self-check: by bank reference, or exact amount and date (and
   * part of a published name). Vaguer questions are refused, and more than
   * five matches is refused too: the answer is for one's own gift, not a list.
   */
  async selfCheck(committeeCode: string, q: { bankReference?: string | undefined; amountDong?: bigint | undefined; date?: string | undefined; name?: string | undefined }) {
    const committee = await this.committee(committeeCode);
    let lookup: DonationLookup;
    if (q.bankReference) lookup = { bankReference: q.bankReference };
    else if (q.amountDong !== undefined && q.date) lookup = { amountDong: q.amountDong, date: parseIsoDate(q.date, "date"), name: q.name };
    else fail("validation_failed", "give a bankReference, or an exact amountDong with its date", "bankReference");
    const found = await this.lookups.findDonations(committee.id, lookup, SELF_CHECK_MAX + 1);
    if (found.length > SELF_CHECK_MAX) {
      fail("query_too_broad", `more than ${SELF_CHECK_MAX} donations match: add part of the name as published, or search by bank reference`, "name");
    }
    return { committee, found: found.map((m) => selfCheckMatch(maskMatch(m))) };
  }

  async receipt(committeeCode: string, receiptNumber: string) {
    const committee = await this.committee(committeeCode);
    const [m] = await this.lookups.findDonations(committee.id, { receipt: receiptNumber }, 1);
    if (!m) fail("not_found", `no receipt ${receiptNumber} in committee ${committee.code}`, "receiptNumber");
    return { committee, match: selfCheckMatch(maskMatch(m)) };
  }

  /**
   * The public statement cut at a publication: its digest and totals. Built
   * once per (campaign, publication, range) and remembered; a caller that
   * cannot wait gets null while it is being built.
   */
  async statementFacts(t: Pick<CampaignTotals, "committee" | "campaign" | "publication" | "scope">, waitMs: number): Promise<StatementFacts | null> {
    if (t.publication.vseq === 0 || t.publication.headHash === null) return null;
    const key = `${t.committee.id}|${t.campaign.id}|${t.publication.vseq}|${t.scope.from ?? ""}|${t.scope.to ?? ""}`;
    let job = this.digests.get(key);
    if (!job) {
      if (this.digests.size >= MAX_DIGESTS) this.digests.delete(this.digests.keys().next().value!);
      job = this.buildFacts(t);
      this.digests.set(key, job);
      job.catch(() => this.digests.delete(key));
    }
    const timeout = new Promise<null>((resolve) => setTimeout(resolve, waitMs, null).unref());
    return Promise.race([job, timeout]).catch(() => null);
  }

  private async buildFacts(t: Pick<CampaignTotals, "committee" | "campaign" | "publication" | "scope">): Promise<StatementFacts> {
    const pub = t.publication;
    assert(pub.headHash !== null, "a publication has a chain head");
    // The same file a download of the page's CSV link is served from: made once for both.
    const from = t.scope.from ?? undefined;
    const to = t.scope.to ?? undefined;
    const { facts: st } = await this.files.get(statementKey(t.committee.code, t.campaign.code, pub.vseq, from, to, "csv"), "csv", {
      committee: t.committee, campaign: t.campaign, from, to,
      publication: { vseq: pub.vseq, headSeq: pub.headSeq, headHash: pub.headHash },
    });
    return {
      digest: st.digest, format: st.format, lines: st.lines, inDong: st.inDong, outDong: st.outDong,
      openingDong: st.openingDong, closingDong: st.closingDong, from: st.from, to: st.to,
    };
  }
}

/** Figures with their areas and units as the public sees them (areas that show alike added up). */
function maskFigures(f: PublicFigures, areas: ReadonlySet<string>, names: PrivateNames | null): PublicFigures {
  const byArea = new Map<string, PublicFigures["byArea"][number]>();
  for (const b of f.byArea) {
    const key = publicArea(b.key, areas);
    const o = byArea.get(key);
    if (o) {
      o.amountDong += b.amountDong;
      o.count += b.count;
    } else byArea.set(key, { ...b, key });
  }
  const unit = <U extends { unit: string }>(u: U): U => ({ ...u, unit: maskText(u.unit, names) });
  return {
    ...f, byArea: [...byArea.values()].sort((a, b) => (b.amountDong > a.amountDong ? 1 : b.amountDong < a.amountDong ? -1 : a.key.localeCompare(b.key))),
    receivedUnits: f.receivedUnits.map(unit), disbursedUnits: f.disbursedUnits.map(unit),
  };
}

/** A self-check answer as the public sees it: a published name goes through the masking too. */
function maskMatch(m: DonationMatch): DonationMatch {
  return m.donorName === null ? m : { ...m, donorName: maskText(m.donorName) };
}

function parseTime(text: string): string {
  const t = /^\d{4}-\d{2}-\d{2}$/.test(text) ? `${parseIsoDate(text, "asOf")}T23:59:59.999+07:00` : text;
  const ms = Date.parse(t);
  if (!/^\d{4}-\d{2}-\d{2}(T[\d:.]+(Z|[+-]\d{2}:\d{2}))?$/.test(t) || Number.isNaN(ms)) {
    fail("validation_failed", "asOf is a date (YYYY-MM-DD, end of that day in Vietnam) or an ISO date-time with its offset", "asOf");
  }
  return new Date(ms).toISOString();
}

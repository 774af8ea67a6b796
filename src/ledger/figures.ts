import { assert } from "./assert.js";

// Public figures: what the press and the public may cite. Built from verified
// entries only, as sums of kept rows (metric, key) — see migration 0005 — and
// pinned to a publication number, so the same link gives the same figures.

/** One kept sum: a metric and key over some campaigns and dates. */
export interface FigureRow {
  campaignId: number;
  metric: string;
  key: string;
  amountDong: bigint;
  quantity: string; // numeric(20,3) as text
  n: bigint;
}

/** Where the public figures stand: the publication number and the chain head it saw. */
export interface Publication {
  vseq: number; // 0: nothing published yet
  publishedAt: string | null;
  headSeq: number;
  headHash: string | null;
}

export interface Breakdown {
  key: string;
  amountDong: bigint;
  count: number;
}

export interface UnitFigure {
  unit: string;
  quantity: string;
  valueDong: bigint;
  count: number;
}

export interface PublicFigures {
  receivedDong: bigint;
  /** By donation method; "other" is income no donation explains (e.g. a general entry), so the parts add up to receivedDong. */
  receivedByMethod: { cash: bigint; bank: bigint; in_kind: bigint; other: bigint };
  donations: number;
  donors: number | null; // distinct counts only over a campaign's whole life
  disbursedDong: bigint;
  disbursements: number;
  households: number | null;
  byPurpose: Breakdown[];
  byCategory: Breakdown[];
  byArea: Breakdown[];
  /** Money out that is not a disbursement (bank fees …): received − disbursed − change in holdings. */
  otherOutDong: bigint;
  balanceDong: bigint; // change in holdings over the period (the balance, over a whole life)
  holdingsDong: { cash: bigint; bank: bigint; goods: bigint };
  receivedUnits: UnitFigure[];
  disbursedUnits: UnitFigure[];
}

const count = (n: bigint): number => {
  assert(n >= 0n && n <= BigInt(Number.MAX_SAFE_INTEGER), `a count is a safe non-negative integer, got ${n}`);
  return Number(n);
};

/** Adds up kept rows into figures. `distinct` says whether donor and household counts apply. */
export function assembleFigures(rows: Iterable<FigureRow>, distinct: boolean): PublicFigures {
  const f: PublicFigures = {
    receivedDong: 0n, receivedByMethod: { cash: 0n, bank: 0n, in_kind: 0n, other: 0n }, donations: 0, donors: distinct ? 0 : null,
    disbursedDong: 0n, disbursements: 0, households: distinct ? 0 : null, byPurpose: [], byCategory: [], byArea: [],
    otherOutDong: 0n, balanceDong: 0n, holdingsDong: { cash: 0n, bank: 0n, goods: 0n }, receivedUnits: [], disbursedUnits: [],
  };
  const breakdowns = { purpose: new Map<string, Breakdown>(), category: new Map<string, Breakdown>(), area: new Map<string, Breakdown>() };
  const units = { received_unit: new Map<string, UnitFigure & { q: bigint }>(), disbursed_unit: new Map<string, UnitFigure & { q: bigint }>() };
  let donations = 0n;
  let donors = 0n;
  let households = 0n;
  for (const r of rows) {
    switch (r.metric) {
      case "asset": {
        const role = r.key as keyof PublicFigures["holdingsDong"];
        assert(role in f.holdingsDong, `asset role ${r.key}`);
        f.holdingsDong[role] += r.amountDong;
        break;
      }
      case "income": f.receivedDong -= r.amountDong; break;
      case "expense": f.disbursedDong += r.amountDong; break;
      case "received": {
        const m = r.key as keyof PublicFigures["receivedByMethod"];
        assert(m in f.receivedByMethod, `donation method ${r.key}`);
        f.receivedByMethod[m] += r.amountDong;
        donations += r.n;
        break;
      }
      case "purpose": case "category": case "area": {
        const map = breakdowns[r.metric];
        const b = map.get(r.key) ?? { key: r.key, amountDong: 0n, count: 0 };
        b.amountDong += r.amountDong;
        b.count += Number(r.n);
        map.set(r.key, b);
        break;
      }
      case "received_unit": case "disbursed_unit": {
        const map = units[r.metric];
        const u = map.get(r.key) ?? { unit: r.key, quantity: "0", valueDong: 0n, count: 0, q: 0n };
        u.q += thousandths(r.quantity);
        u.valueDong += r.amountDong;
        u.count += Number(r.n);
        map.set(r.key, u);
        break;
      }
      case "donors": donors += r.n; break;
      case "households": households += r.n; break;
      default: assert(false, `unknown figure metric ${r.metric}`);
    }
  }
  f.donations = count(donations);
  if (distinct) {
    f.donors = count(donors);
    f.households = count(households);
  }
  const sorted = (m: Map<string, Breakdown>) => [...m.values()].filter((b) => b.count !== 0 || b.amountDong !== 0n)
    .sort((a, b) => (b.amountDong > a.amountDong ? 1 : b.amountDong < a.amountDong ? -1 : a.key.localeCompare(b.key)));
  f.byPurpose = sorted(breakdowns.purpose);
  f.byCategory = sorted(breakdowns.category);
  f.byArea = sorted(breakdowns.area);
  f.disbursements = f.byPurpose.reduce((s, b) => s + b.count, 0);
  const unitList = (m: Map<string, UnitFigure & { q: bigint }>) => [...m.values()].filter((u) => u.q !== 0n)
    .map(({ q, ...u }) => ({ ...u, quantity: fromThousandths(q) })).sort((a, b) => a.unit.localeCompare(b.unit));
  f.receivedUnits = unitList(units.received_unit);
  f.disbursedUnits = unitList(units.disbursed_unit);
  f.balanceDong = f.holdingsDong.cash + f.holdingsDong.bank + f.holdingsDong.goods;
  f.otherOutDong = f.receivedDong - f.disbursedDong - f.balanceDong;
  return f;
}

/** "607.000" or "607" (numeric(20,3) text) → 607000n thousandths, exactly. */
export function thousandths(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d{1,3}))?$/.exec(text);
  assert(m !== null, `a quantity is a decimal with at most 3 places, got ${text}`);
  const v = BigInt(m[2]!) * 1000n + BigInt((m[3] ?? "").padEnd(3, "0"));
  return m[1] ? -v : v;
}

export function fromThousandths(v: bigint): string {
  const sign = v < 0n ? "-" : "";
  const a = v < 0n ? -v : v;
  const frac = (a % 1000n).toString().padStart(3, "0").replace(/0+$/, "");
  return `${sign}${a / 1000n}${frac ? `.${frac}` : ""}`;
}

/** Progress toward a target, floored: a published percentage never overstates. */
export function progressPercent(receivedDong: bigint, targetDong: bigint | null): number | null {
  if (targetDong === null || targetDong <= 0n) return null;
  if (receivedDong <= 0n) return 0;
  return Number((receivedDong * 100n) / targetDong);
}

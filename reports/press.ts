import { approxVi, formatDateVi, formatDecimalVi, formatDong } from "./format.js";

// Ready-to-quote sentences in the register of Vietnamese local news, built
// from verified figures. Rounded wording never overstates: "trên X" only when
// the exact figure is at least X (approxVi floors), percentages are floored.
// Every sentence carries its exact figures beside it, so an editor can check.

export type Lang = "vi" | "en";

export interface PressInput {
  campaignName: string;
  targetDong: bigint | null;
  receivedDong: bigint;
  disbursedDong: bigint;
  otherOutDong: bigint;
  /** The change in holdings over the scope; what remains is openingDong + balanceDong. */
  balanceDong: bigint;
  /** Holdings before `from` (0 over a campaign's whole life). */
  openingDong: bigint;
  donations: number;
  donors: number | null;
  households: number | null;
  disbursedUnits: { unit: string; quantity: string; valueDong: bigint }[];
  pledgedDong: bigint;
  pledges: number;
  asOf: string | null; // ISO date-time
  from: string | null;
  to: string | null;
}

export interface Sentence {
  id: string;
  text: string;
  /** The exact figures the sentence states (đồng and quantities as strings of digits). */
  exact: Record<string, string>;
}

/** Floored percentage of a target: 8.000.000 of 21.000.000 → 38. */
export function flooredPercent(part: bigint, whole: bigint): number {
  if (whole <= 0n || part <= 0n) return 0;
  return Number((part * 100n) / whole);
}

const EN_UNITS: ReadonlyArray<[string, string]> = [["nghìn tỷ", "trillion"], ["tỷ", "billion"], ["triệu", "million"], ["nghìn", "thousand"]];

/** The same floored figure as approxVi, in English: "over 214 million đồng". */
export function approxEn(amount: bigint): string {
  const vi = approxVi(amount);
  let text = vi.text.replace(/ đồng$/, "");
  const unit = EN_UNITS.find(([v]) => text.endsWith(` ${v}`));
  text = unit ? `${text.slice(0, -unit[0].length - 1).replaceAll(".", ",").replace(/,(\d)$/, ".$1")} ${unit[1]}` : text.replaceAll(".", ",");
  return `${vi.qualifier ? "over " : ""}${text} đồng`;
}

const formatEn = (n: bigint) => n.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ",");
const quantityEn = (q: string) => {
  const [w, f = ""] = q.split(".");
  const frac = f.replace(/0+$/, "");
  return formatEn(BigInt(w!)) + (frac ? `.${frac}` : "");
};

const UNIT_VI: Record<string, string> = { "suất": "phần quà", "phần": "phần quà", "phần quà": "phần quà", "căn": "căn nhà", "con": "con giống" };
const UNIT_EN: Record<string, [string, string]> = {
  "suất": ["gift package", "gift packages"], "phần": ["gift package", "gift packages"], "phần quà": ["gift package", "gift packages"],
  "căn": ["house", "houses"], "con": ["animal", "animals"], "kg": ["kg", "kg"], "hộ": ["household", "households"],
};

/** "Quỹ “Vì người nghèo” năm 2024" stays; "Quà Tết 2024" becomes "Chương trình “Quà Tết 2024”". */
function subjectVi(name: string): string {
  return /^(Quỹ|Chương trình|Cuộc vận động)(\s|$)/u.test(name) ? name : `Chương trình “${name}”`;
}

function subjectEn(name: string): string {
  return `The “${name}” campaign`;
}

export function pressSentences(p: PressInput, lang: Lang): Sentence[] {
  return facts(p).map((f) => ({ id: f.id, text: f[lang](), exact: f.exact }));
}

/** Each sentence once: its exact figures, and its wording in each language (the same figures in both). */
interface Fact { id: string; exact: Record<string, string>; vi(): string; en(): string }

function facts(p: PressInput): Fact[] {
  const out: Fact[] = [];
  const whoVi = subjectVi(p.campaignName);
  const whoEn = subjectEn(p.campaignName);
  const hasPeriod = Boolean(p.from || p.to);
  const periodVi = hasPeriod ? periodTextVi(p.from, p.to) : "";
  const periodEn = hasPeriod ? periodTextEn(p.from, p.to) : "";
  const received = p.receivedDong.toString();
  if (p.targetDong !== null && !hasPeriod) {
    const target = p.targetDong;
    const pct = flooredPercent(p.receivedDong, target);
    out.push({
      id: "progress", exact: { receivedDong: received, targetDong: target.toString(), percentFloored: String(pct) },
      vi: () => `${whoVi} vận động được ${formatDong(p.receivedDong)}/${formatDong(target)} đồng (đạt ${pct}%).`,
      en: () => `${whoEn} has raised ${formatEn(p.receivedDong)} of its ${formatEn(target)} đồng target (${pct}%).`,
    });
  } else {
    out.push({
      id: "received", exact: { receivedDong: received },
      vi: () => `${whoVi}${periodVi} vận động được ${approxVi(p.receivedDong).phrase}.`,
      en: () => `${hasPeriod ? `${periodEn}, ${whoEn.replace(/^The/, "the")} raised` : `${whoEn} has raised`} ${approxEn(p.receivedDong)}.`,
    });
  }
  for (const u of p.disbursedUnits) {
    const names = UNIT_EN[u.unit] ?? [u.unit, u.unit];
    const one = u.quantity === "1";
    out.push({
      id: `units:${u.unit}`, exact: { quantity: u.quantity, unit: u.unit, valueDong: u.valueDong.toString() },
      vi: () => `Đã trao ${formatDecimalVi(u.quantity)} ${UNIT_VI[u.unit] ?? u.unit} trị giá ${approxVi(u.valueDong).phrase}.`,
      en: () => `${quantityEn(u.quantity)} ${one ? names[0] : names[1]} worth ${approxEn(u.valueDong)} ${one ? "was" : "were"} handed out.`,
    });
  }
  if (p.households !== null && p.households > 0) {
    const n = BigInt(p.households);
    out.push({
      id: "households", exact: { households: String(p.households) },
      vi: () => `Đã hỗ trợ ${formatDong(n)} hộ gia đình.`, en: () => `${formatEn(n)} households received support.`,
    });
  }
  if (p.donors !== null && p.donors > 0) {
    const donors = BigInt(p.donors);
    const donations = BigInt(p.donations);
    out.push({
      id: "donors", exact: { donors: String(p.donors), donations: String(p.donations) },
      vi: () => `Có ${formatDong(donors)} nhà hảo tâm với ${formatDong(donations)} lượt ủng hộ.`,
      en: () => `${formatEn(donors)} donors gave ${formatEn(donations)} times.`,
    });
  }
  const closing = p.openingDong + p.balanceDong;
  const opening = nonNegative(p.openingDong);
  const other = p.otherOutDong > 0n;
  out.push({
    id: "position",
    exact: {
      openingDong: p.openingDong.toString(), receivedDong: received, disbursedDong: p.disbursedDong.toString(),
      otherOutDong: p.otherOutDong.toString(), closingDong: closing.toString(),
    },
    vi: () => `${hasPeriod ? `${capitalise(periodVi.trim())}: Số dư đầu kỳ ${approxVi(opening).phrase}, thu` : "Tổng thu"} ` +
      `${approxVi(p.receivedDong).phrase}, đã chi ${approxVi(p.disbursedDong).phrase}` +
      `${other ? `, chi phí khác ${approxVi(p.otherOutDong).phrase}` : ""}, còn ${approxVi(nonNegative(closing)).phrase}.`,
    en: () => `${hasPeriod ? `${periodEn}: opening balance ${approxEn(opening)}, received` : "Received"} ${approxEn(p.receivedDong)}, ` +
      `disbursed ${approxEn(p.disbursedDong)}${other ? `, other costs ${approxEn(p.otherOutDong)}` : ""}, ${approxEn(nonNegative(closing))} remaining.`,
  });
  if (p.pledges > 0) {
    out.push({
      id: "pledges", exact: { pledgedDong: p.pledgedDong.toString(), pledges: String(p.pledges), receivedDong: received },
      vi: () => `Số tiền đăng ký ủng hộ là ${approxVi(p.pledgedDong).phrase} (${formatDong(BigInt(p.pledges))} lượt đăng ký); ` +
        `số tiền đã thực nhận là ${approxVi(p.receivedDong).phrase}.`,
      en: () => `Pledges total ${approxEn(p.pledgedDong)} (${p.pledges}); ${approxEn(p.receivedDong)} has actually been received.`,
    });
  }
  const asOf = p.asOf;
  if (asOf) {
    out.push({
      id: "as-of", exact: { asOf },
      vi: () => `Số liệu đã được kiểm duyệt, tính đến ngày ${formatDateVi(vietnamDate(asOf))}.`,
      en: () => `Verified figures as of ${vietnamDate(asOf)}.`,
    });
  }
  return out;
}

function periodTextVi(from: string | null, to: string | null): string {
  if (from && to) return ` từ ngày ${formatDateVi(from)} đến ngày ${formatDateVi(to)}`;
  if (from) return ` từ ngày ${formatDateVi(from)}`;
  return ` đến ngày ${formatDateVi(to!)}`;
}

function periodTextEn(from: string | null, to: string | null): string {
  if (from && to) return `From ${from} to ${to}`;
  if (from) return `Since ${from}`;
  return `Up to ${to!}`;
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}

function nonNegative(v: bigint): bigint {
  return v < 0n ? 0n : v;
}

/** The calendar day in Vietnam (UTC+7, no daylight saving) of an ISO instant. */
export function vietnamDate(iso: string): string {
  return new Date(Date.parse(iso) + 7 * 3600_000).toISOString().slice(0, 10);
}

// ---------------------------------------------------------------------------------------
// Checking a published figure

export type Qualifier = "exact" | "trên" | "hơn" | "gần" | "khoảng";

/**
 * Whether a stated figure is supported by the exact one. "trên/hơn X": exact ≥ X
 * (the press convention: "trên 214 triệu" means at least 214.000.000). "gần X": X
 * is above the exact figure by at most 10 %. "khoảng X": within 5 % either way.
 */
export function supports(exact: bigint, stated: bigint, q: Qualifier): boolean {
  switch (q) {
    case "exact": return exact === stated;
    case "trên": case "hơn": return exact >= stated && stated >= 0n;
    case "gần": return stated > exact && (stated - exact) * 10n <= stated;
    case "khoảng": return (exact > stated ? exact - stated : stated - exact) * 20n <= stated;
  }
}

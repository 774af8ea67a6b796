import type { Lang } from "../applayout.js";

// Labels the new screens share (Vietnamese first): a campaign's kind and a payment's purpose.

export const CAMPAIGN_KIND: Record<Lang, Record<string, string>> = {
  vi: {
    for_the_poor: "Quỹ “Vì người nghèo”", tet_gifts: "Quà Tết", solidarity_house: "Nhà Đại đoàn kết", livelihood: "Hỗ trợ sinh kế",
    relief: "Cứu trợ (thiên tai, dịch bệnh)", other: "Khác",
  },
  en: {
    for_the_poor: "For the Poor fund", tet_gifts: "Tết gifts", solidarity_house: "Great Solidarity houses", livelihood: "Livelihood aid",
    relief: "Relief (disasters, epidemics)", other: "Other",
  },
};

export const PURPOSE: Record<Lang, Record<string, string>> = {
  vi: {
    gift_package: "trao quà (suất quà)", house_new: "xây nhà Đại đoàn kết", house_repair: "sửa chữa nhà", livelihood: "hỗ trợ sinh kế", schooling: "học tập",
    health: "y tế", relief_cash: "hỗ trợ tiền mặt", infrastructure: "công trình", regular_support: "trợ cấp thường xuyên", other: "khác",
  },
  en: {
    gift_package: "gift packages", house_new: "new houses", house_repair: "house repairs", livelihood: "livelihood", schooling: "schooling",
    health: "health", relief_cash: "cash relief", infrastructure: "infrastructure", regular_support: "regular support", other: "other",
  },
};

type Said = Record<Lang, string>;

export const KIND: Record<string, Said> = {
  donation: { vi: "Thu", en: "Donation" },
  disbursement: { vi: "Chi", en: "Disbursement" },
  general: { vi: "Bút toán chung", en: "General entry" },
  reversal: { vi: "Đảo bút toán", en: "Reversal" },
};

export const METHOD: Record<string, Said> = {
  cash: { vi: "Tiền mặt", en: "Cash" },
  bank: { vi: "Chuyển khoản", en: "Bank transfer" },
  in_kind: { vi: "Hiện vật", en: "In kind" },
};

export const AMOUNT_FILTER: Said = {
  vi: "Số tiền ghi bằng chữ số, có thể dùng dấu chấm ngăn hàng nghìn, ví dụ 1.500.000.",
  en: "Digits, with dots between thousands if you like, e.g. 1.500.000.",
};

/**
 * An amount typed as Vietnamese write it: 1.500.000, 1 500 000 or 1500000, with "đ" or "đồng" after it or not.
 * Null when it is none of these (1,5 or 1.50.000).
 */
export function parseDongTyped(text: string): bigint | null {
  const t = text.trim().replace(/\s*(đồng|đ|₫|vnđ|vnd)$/i, "").trim();
  if (/^\d{1,19}$/.test(t)) return BigInt(t);
  if (/^\d{1,3}([. ]\d{3})+$/.test(t)) return BigInt(t.replace(/[. ]/g, ""));
  return null;
}

/** Vietnam's wall clock for a stored instant: 05/03/2024 14:07. */
export function timeVi(iso: string | Date): string {
  const d = new Date(new Date(iso).getTime() + 7 * 3600_000);
  const p = (n: number) => String(n).padStart(2, "0");
  return `${p(d.getUTCDate())}/${p(d.getUTCMonth() + 1)}/${d.getUTCFullYear()} ${p(d.getUTCHours())}:${p(d.getUTCMinutes())}`;
}

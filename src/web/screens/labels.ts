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

// What the queue, the entry page and the bank import pages say for the result codes they meet, in both
// languages: a person reads a sentence, never a code. One table, apart from the pages that use it.

type Said = Record<Lang, string>;

export const REFUSAL: Record<string, Said> = {
  self_verification_forbidden: { vi: "Bạn đã ghi bút toán này: người khác phải duyệt.", en: "You recorded this entry: someone else verifies it." },
  already_verified: { vi: "Bạn đã duyệt bút toán này rồi.", en: "You have verified this entry already." },
  reversal_before_original: {
    vi: "Bút toán đảo chỉ được duyệt sau bút toán gốc: hãy duyệt bút toán gốc trước, hoặc cùng lúc.",
    en: "A reversal is verified after the entry it reverses: verify that one first, or together.",
  },
  entry_not_found: { vi: "Không có bút toán này trong sổ của ủy ban.", en: "There is no such entry in the committee's books." },
  entry_already_reversed: { vi: "Bút toán này đã được đảo rồi.", en: "This entry has been reversed already." },
  cannot_reverse_a_reversal: {
    vi: "Không đảo một bút toán đảo: hãy ghi một bút toán mới nếu cần.", en: "A reversal is not reversed: record a new entry instead.",
  },
  insufficient_campaign_balance: {
    vi: "Quỹ của cuộc vận động không còn đủ tiền để đảo: số đã chi từ khoản này phải được xử lý trước.",
    en: "The campaign no longer holds enough to reverse this: what was paid out of it must be dealt with first.",
  },
  insufficient_balance: { vi: "Tài khoản không còn đủ tiền để đảo.", en: "The account no longer holds enough to reverse this." },
  period_closed: { vi: "Sổ đã khóa đến ngày này: hãy chọn một ngày trong kỳ đang mở.", en: "The books are closed through this date: choose a date in the open period." },
  invalid_date: { vi: "Ngày không hợp lệ (hoặc ở tương lai).", en: "The date is not valid (or lies in the future)." },
  validation_failed: { vi: "Hãy ghi lý do (tối đa 500 ký tự).", en: "Give a reason (500 characters at most)." },
  idempotency_key_reused: { vi: "Biểu mẫu này đã được gửi với nội dung khác: hãy tải lại trang.", en: "This form was sent with other content: reload the page." },
  bank_import_not_found: { vi: "Không có lần nhập sao kê này.", en: "There is no such bank statement import." },
  bank_import_already_reversed: { vi: "Lần nhập này đã được đảo rồi.", en: "This import has been reversed already." },
  database_unavailable: {
    vi: "Tạm thời không kết nối được cơ sở dữ liệu. Chưa ghi gì; hãy thử lại sau giây lát.", en: "The database cannot be reached right now. Nothing was written; try again in a moment.",
  },
};

/** A refusal in words; a code nobody wrote words for yet still reads as a sentence, not as the code. */
export function refusalText(code: string | null, lang: Lang): string {
  const m = code ? REFUSAL[code] : undefined;
  if (m) return m[lang];
  return lang === "vi" ? "Không thực hiện được; chưa ghi gì. Hãy báo người quản trị hệ thống." : "This could not be done; nothing was written. Tell the system administrator.";
}

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

import type { LedgerError } from "../../ledger/codes.js";
import { formatDateVi, formatDong } from "../../../reports/format.js";
import type { Lang } from "../applayout.js";
import { CAMPAIGN_KIND, PURPOSE } from "./labels.js";

// Refusals as the workspace says them: in the page's language, from the result code and the values the
// refusal was made from (ErrorFacts: a line number, dates, a campaign), and placed beside the field of
// the form that caused them — the API names its own fields (entryDate, postings), which a form may call
// otherwise (receivedOn, amountDong) or not have at all.

type Facts = Readonly<Record<string, string | number>>;
type Words = { vi: (f: Facts) => string; en: (f: Facts) => string };

const capitalised = (t: string) => t.charAt(0).toLocaleUpperCase("vi") + t.slice(1);
const day = (v: string | number | undefined) => (typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v) ? formatDateVi(v) : String(v ?? ""));
const dong = (v: string | number | undefined) => (/^-?\d+$/.test(String(v ?? "")) ? formatDong(BigInt(String(v))) : String(v ?? ""));

// ---------------------------------------------------------------------------------------------------------
// Labels and messages (Vietnamese first): refusals worded from their facts, then each code's own words.

/** Refusals whose words need the facts they were made from (dates of a window, a line of a bank statement). */
const WITH_FACTS: Partial<Record<string, Words>> = {
  donation_outside_receiving_window: {
    vi: (f) => `${f.line ? `Dòng ${f.line}: ` : ""}ngày ${day(f.date)} nằm ngoài thời gian tiếp nhận của cuộc vận động${f.campaign ? ` ${f.campaign}` : ""} `
      + (f.closes ? `(từ ${day(f.opens)} đến ${day(f.closes)}).` : `(từ ${day(f.opens)}, không có ngày kết thúc).`)
      + (f.line ? " Chưa ghi dòng nào." : " Muốn nhận thêm, hãy ghi ngoại lệ, lý do và ngày nhận cuối ở trang Cuộc vận động."),
    en: (f) => `${f.line ? `Line ${f.line}: ` : ""}${f.date} is outside the campaign's receiving window (${f.opens} to ${f.closes || "no end"}).`
      + (f.line ? " Nothing was imported." : " To accept more, record the exception, its reason and last day on the Campaigns page."),
  },
  period_closed: {
    vi: (f) => `${f.line ? `Dòng ${f.line}: ngày ${day(f.date)} — ` : ""}sổ đã khóa đến hết ngày ${day(f.closed)}: `
      + (f.line ? "chưa ghi dòng nào." : "hãy ghi bút toán điều chỉnh, đề ngày trong kỳ đang mở."),
    en: (f) => `${f.line ? `Line ${f.line}: ` : ""}the books are closed through ${f.closed}.` + (f.line ? " Nothing was imported." : ""),
  },
  balance_assertion_failed: {
    vi: (f) => `Dòng ${f.line}: sao kê in số dư ${dong(f.printed)} đồng, nhưng số dư đầu kỳ ${dong(f.opening)} đồng cộng các dòng đến đó ra ${dong(f.computed)} đồng. `
      + "Hãy kiểm tra số dư đầu kỳ và tệp (có thể thiếu dòng). Chưa ghi dòng nào.",
    en: (f) => `Line ${f.line}: the statement prints a balance of ${f.printed} đồng, but the opening balance plus the lines make ${f.computed}. Nothing was imported.`,
  },
  items_value_mismatch: {
    vi: (f) => `Các dòng hàng cộng lại ${dong(f.itemsDong)} đồng, khác số tiền ${dong(f.amountDong)} đồng đã ghi: hãy sửa số tiền, hoặc để trống để hệ thống tự cộng.`,
    en: (f) => `The lines add up to ${dong(f.itemsDong)} đồng, not the ${dong(f.amountDong)} đồng typed: correct the amount, or leave it empty to add them up.`,
  },
  purpose_not_allowed_for_campaign: {
    vi: (f) => `Cuộc vận động loại ${CAMPAIGN_KIND.vi[String(f.kind)] ?? f.kind} chỉ chi cho: ${String(f.allowed).split(",").map((p) => PURPOSE.vi[p] ?? p).join(", ")}.`,
    en: (f) => `A ${CAMPAIGN_KIND.en[String(f.kind)] ?? f.kind} campaign pays only: ${String(f.allowed).split(",").map((p) => PURPOSE.en[p] ?? p).join(", ")}.`,
  },
  document_not_applicable: {
    vi: (f) => DOCUMENT_REFUSAL[String(f.reason)]?.vi(f) ?? "Bút toán này không có chứng từ này.",
    en: (f) => DOCUMENT_REFUSAL[String(f.reason)]?.en(f) ?? "This entry has no such document.",
  },
  campaign_frozen: {
    vi: (f) => (f.reason === "published"
      ? "Không đổi được nữa: đã có số liệu công khai hoặc điểm kiểm tra có chữ ký từ khi lập cuộc vận động, và sao kê công khai in tên, ngày bắt đầu."
      : "Không đổi được nữa: cuộc vận động đã có bút toán, đã được kiểm theo loại và ngày bắt đầu này."),
    en: (f) => (f.reason === "published" ? "No longer changes: something was published since the campaign was set up." : "No longer changes: entries are recorded on the campaign."),
  },
};

/** Why an entry has no phiếu chi or giấy xác nhận (facts.reason of document_not_applicable). */
const DOCUMENT_REFUSAL: Record<string, Words> = {
  not_cash: {
    vi: (f) => `Khoản chi này ${f.method === "bank" ? "trả bằng chuyển khoản" : "trao bằng hiện vật"} nên không có phiếu chi: phiếu chi chỉ lập cho khoản chi tiền mặt. `
      + (f.method === "bank" ? "Chứng từ của khoản chi là sao kê hoặc ủy nhiệm chi của ngân hàng." : "Hộ nhận ký vào danh sách ký nhận của đợt trao."),
    en: (f) => `This payment was made ${f.method === "bank" ? "by bank transfer" : "in kind"}: a payment voucher is made for cash payments only.`,
  },
  not_disbursement: {
    vi: () => "Bút toán này không phải khoản chi nên không có phiếu chi.",
    en: () => "This entry is not a disbursement, so it has no payment voucher.",
  },
  not_donation: {
    vi: () => "Bút toán này không phải khoản ủng hộ nên không cấp giấy xác nhận.",
    en: () => "This entry is not a donation, so no confirmation is issued for it.",
  },
  reversed: {
    vi: (f) => `Khoản ủng hộ này đã bị đảo (bút toán số ${f.reversedBy}) nên không cấp giấy xác nhận.`,
    en: (f) => `This donation was reversed (entry ${f.reversedBy}), so no confirmation is issued for it.`,
  },
};

/** A bank statement the reader could not read, by what it found (facts.problem). */
const FILE_PROBLEM: Record<string, (f: Facts) => string> = {
  day_repeated: (f) => `ngày ${day(f.date)} xuất hiện lại sau ngày ${day(f.after)}: sao kê phải liệt kê các ngày theo thứ tự`,
  days_out_of_order: (f) => `ngày ${day(f.date)} đứng sau ngày ${day(f.after)}: sao kê phải liệt kê các ngày theo thứ tự`,
  too_many_lines: (f) => `một sao kê có tối đa ${f.max} dòng: hãy chia tệp`,
  cells_beyond_header: (f) => `dòng có ô ngoài ${f.width} cột của dòng tiêu đề`,
  empty: () => "tệp trống, không có dòng tiêu đề",
  not_csv: (f) => `không phải tệp CSV theo mẫu ${f.layout}`,
  not_xlsx: () => "không phải tệp Excel .xlsx đọc được",
  bad_amount: (f) => `“${f.text}” ở cột ${f.column} không phải số tiền nguyên đồng viết như ${f.example}`,
  bad_date: (f) => `“${f.text}” ở cột ${f.column} không phải ngày theo dạng ${f.format}`,
  no_amount: (f) => `cả cột ${f.debit} và cột ${f.credit} đều không có số tiền`,
  two_amounts: (f) => `cả cột ${f.debit} và cột ${f.credit} đều có số tiền`,
  memo_too_long: (f) => `nội dung dài quá ${f.max} ký tự`,
  doc_too_long: (f) => `số chứng từ dài quá ${f.max} ký tự`,
  ref_too_long: (f) => `mã giao dịch dài quá ${f.max} ký tự`,
  time_too_long: (f) => `giờ giao dịch dài quá ${f.max} ký tự`,
  bad_time: (f) => `“${f.text}” không phải giờ dạng hh:mm:ss`,
  header_mismatch: (f) => `dòng tiêu đề không đúng mẫu ${f.layout}: hãy chọn đúng mẫu sao kê của ngân hàng`,
  header_missing_column: (f) => `dòng tiêu đề thiếu cột “${f.column}” của mẫu ${f.layout}: hãy chọn đúng mẫu sao kê`,
  opening_needed: (f) => `sao kê bắt đầu ngày ${day(f.date)}, trước sao kê đầu tiên đã nhập cho tài khoản ${f.account} (${day(f.first)}): hãy nhập số dư đầu kỳ`,
};

/** The workspace's words for each result code it meets: one table for every screen. */
const WORDS: Record<string, { vi: string; en: string }> = {
  amount_must_be_positive: { vi: "Số tiền phải lớn hơn 0 đồng.", en: "The amount must be more than 0 đồng." },
  amount_not_whole_dong: { vi: "Số tiền là số nguyên đồng, không có phần lẻ.", en: "Whole đồng only." },
  amount_not_a_number: { vi: "Số tiền chỉ gồm chữ số, ví dụ 500000.", en: "Digits only, e.g. 500000." },
  amount_too_large: { vi: "Số tiền quá lớn.", en: "The amount is too large." },
  invalid_date: { vi: "Ngày không hợp lệ.", en: "The date is not valid." },
  campaign_not_found: { vi: "Không có cuộc vận động này.", en: "No such campaign." },
  insufficient_campaign_balance: { vi: "Quỹ của cuộc vận động không đủ để chi khoản này.", en: "The campaign does not hold enough for this." },
  insufficient_balance: { vi: "Không đủ tiền trong tài khoản để chi.", en: "Not enough money in the account." },
  items_required: { vi: "Ủng hộ hiện vật cần ghi hàng hóa.", en: "An in-kind donation lists its goods." },
  items_value_mismatch: { vi: "Giá trị hàng hóa phải bằng số tiền.", en: "The goods must be worth exactly the amount." },
  items_not_allowed: { vi: "Chỉ ủng hộ hiện vật mới ghi hàng hóa.", en: "Only in-kind donations list goods." },
  bank_reference_duplicate: { vi: "Mã giao dịch này đã được ghi cho tài khoản ngân hàng này.", en: "This bank reference is already recorded." },
  idempotency_key_reused: { vi: "Biểu mẫu này đã được gửi với nội dung khác: hãy mở biểu mẫu mới.", en: "This form was already sent with other content: open a new form." },
  donation_outside_receiving_window: { vi: "Ngoài thời gian tiếp nhận của cuộc vận động.", en: "Outside the campaign's receiving window." },
  purpose_not_allowed_for_campaign: { vi: "Mục đích chi này không thuộc cuộc vận động.", en: "This purpose is not allowed for the campaign." },
  period_closed: { vi: "Sổ đã khóa đến ngày này: hãy ghi bút toán điều chỉnh trong kỳ đang mở.", en: "The books are closed through this date." },
  signing_key_missing: { vi: "Máy chủ chưa có khóa ký điểm kiểm tra: chưa khóa sổ, chưa ghi gì. Hãy báo người quản trị hệ thống.", en: "The server has no checkpoint signing key: nothing was closed or written. Tell the system administrator." },
  database_unavailable: { vi: "Tạm thời không kết nối được cơ sở dữ liệu. Chưa ghi gì; hãy thử lại sau giây lát.", en: "The database cannot be reached right now. Nothing was written; try again in a moment." },
  upload_timeout: { vi: "Tệp gửi lên bị ngắt giữa chừng. Chưa ghi gì; hãy gửi lại tệp.", en: "The upload was cut off. Nothing was written; send the file again." },
  unverified_entries: { vi: "Còn bút toán chưa duyệt đến ngày này.", en: "Entries up to this date are not all verified." },
  period_already_closed: { vi: "Đã khóa sổ đến ngày này hoặc muộn hơn.", en: "Already closed through this date or later." },
  validation_failed: { vi: "Dữ liệu chưa hợp lệ.", en: "Please correct the form." },
  area_not_listed: {
    vi: "Khu phố / ấp này chưa có trong danh sách của ủy ban: hãy chọn trong danh sách (thủ quỹ thêm ở trang Khu phố / ấp).",
    en: "This area is not in the committee's list: choose one from the list (a treasurer adds areas on the Areas page).",
  },
  campaign_code_taken: { vi: "Mã này đã dùng cho một cuộc vận động khác của ủy ban.", en: "Another campaign of the committee has this code." },
  committee_not_found: { vi: "Không có ủy ban này.", en: "No such committee." },
  bank_layout_unknown: { vi: "Chưa có mẫu sao kê này: chọn Vietcombank, Agribank, VietinBank hoặc mẫu đã lưu cho tài khoản.", en: "Unknown statement layout." },
  bank_account_not_found: { vi: "Chưa có tài khoản ngân hàng này.", en: "No such bank account." },
  bank_import_not_found: { vi: "Không có lần nhập sao kê này.", en: "No such bank statement import." },
  payload_too_large: { vi: "Tệp hoặc biểu mẫu quá lớn.", en: "The file or form is too large." },
  rate_limited: { vi: "Quá nhiều yêu cầu trong một phút: hãy đợi giây lát rồi thử lại.", en: "Too many requests: wait a moment and try again." },
  resolution_required: { vi: "Chuyển tiền giữa các cuộc vận động cần số nghị quyết cho phép.", en: "Moving money between campaigns needs the resolution that allows it." },
  account_not_found: { vi: "Không có tài khoản kế toán này.", en: "No such account." },
  entry_not_found: { vi: "Không có bút toán này.", en: "No such entry." },
  not_found: { vi: "Không tìm thấy.", en: "Not found." },
  forbidden: { vi: "Vai trò của bạn không làm được việc này.", en: "Your role cannot do this." },
  unauthorized: { vi: "Hãy đăng nhập lại.", en: "Sign in again." },
  query_too_broad: { vi: "Có quá nhiều kết quả: hãy thu hẹp điều kiện.", en: "Too many matches: narrow the question." },
  campaign_frozen: { vi: "Trường này của cuộc vận động không đổi được nữa (đã công khai hoặc đã có bút toán).", en: "This field of the campaign no longer changes." },
  amount_confirmation_required: { vi: "Số tiền lớn cần được xác nhận.", en: "A large amount needs confirming." },
  self_verification_forbidden: { vi: "Bạn đã ghi bút toán này: người khác phải duyệt.", en: "You recorded this entry: someone else verifies it." },
  already_verified: { vi: "Bạn đã duyệt bút toán này rồi.", en: "You have verified this entry already." },
  reversal_before_original: {
    vi: "Bút toán đảo chỉ được duyệt sau bút toán gốc: hãy duyệt bút toán gốc trước, hoặc cùng lúc.",
    en: "A reversal is verified after the entry it reverses: verify that one first, or together.",
  },
  entry_already_reversed: { vi: "Bút toán này đã được đảo rồi.", en: "This entry has been reversed already." },
  cannot_reverse_a_reversal: {
    vi: "Không đảo một bút toán đảo: hãy ghi một bút toán mới nếu cần.", en: "A reversal is not reversed: record a new entry instead.",
  },
  bank_import_already_reversed: { vi: "Lần nhập này đã được đảo rồi.", en: "This import has been reversed already." },
  document_not_applicable: { vi: "Bút toán này không có chứng từ này.", en: "This entry has no such document." },
};

/** Every code's words, for the check that a Vietnamese page shows none of the English. */
export function codeWords(): { vi: string; en: string }[] {
  return [...Object.values(WORDS), ...Object.values(CORRECTION_WORDS)];
}

/** A refusal on a correction screen (reversing an entry or a whole import), said by its code. */
export function correctionText(code: string, lang: Lang): string {
  return refusalText(code, lang, CORRECTION_WORDS[code]);
}

/** What the correction screens (reversing an entry or a whole import) say instead, where their case differs. */
const CORRECTION_WORDS: Record<string, { vi: string; en: string }> = {
  insufficient_campaign_balance: {
    vi: "Quỹ của cuộc vận động không còn đủ tiền để đảo: số đã chi từ khoản này phải được xử lý trước.",
    en: "The campaign no longer holds enough to reverse this: what was paid out of it must be dealt with first.",
  },
  insufficient_balance: { vi: "Tài khoản không còn đủ tiền để đảo.", en: "The account no longer holds enough to reverse this." },
  period_closed: { vi: "Sổ đã khóa đến ngày này: hãy chọn một ngày trong kỳ đang mở.", en: "The books are closed through this date: choose a date in the open period." },
  invalid_date: { vi: "Ngày không hợp lệ (hoặc ở tương lai).", en: "The date is not valid (or lies in the future)." },
  validation_failed: { vi: "Hãy ghi lý do (tối đa 500 ký tự).", en: "Give a reason (500 characters at most)." },
  idempotency_key_reused: { vi: "Biểu mẫu này đã được gửi với nội dung khác: hãy tải lại trang.", en: "This form was sent with other content: reload the page." },
};

/** What a form field says when a field-level check refuses it and nothing more precise is known. */
const BY_FIELD: Record<string, { vi: string; en: string }> = {
  openingBalance: { vi: "Số dư đầu kỳ là số nguyên đồng, chỉ gồm chữ số.", en: "The opening balance is whole đồng, digits only." },
  bankAccount: { vi: "Số tài khoản gồm 3 đến 40 chữ số, chữ cái, dấu chấm hoặc gạch ngang.", en: "A bank account number: 3 to 40 letters, digits, . or -." },
  layout: { vi: "Hãy chọn mẫu sao kê của ngân hàng.", en: "Choose the bank's statement layout." },
  code: { vi: "Mã gồm chữ, số, _ và -, tối đa 64 ký tự, bắt đầu bằng chữ hoặc số.", en: "Letters, digits, _ and -, at most 64." },
  campaign: { vi: "Hãy chọn cuộc vận động.", en: "Choose a campaign." },
};

const GENERIC = { vi: "Không thực hiện được yêu cầu này; chưa ghi gì.", en: "This could not be done; nothing was written." };

type Refusal = Pick<LedgerError, "code" | "field" | "facts" | "message">;

/**
 * A refusal in the page's language: worded from its facts when it has them, else the caller's own words
 * for it (`known`), else the code's words here; a code nobody wrote words for still reads as a sentence.
 * A bare code (a refusal counted in a bulk job) is said the same way.
 */
export function refusalText(refusal: Refusal | string | null, lang: Lang, known?: { vi: string; en: string }): string {
  const e = typeof refusal === "string" || refusal === null ? { code: refusal ?? "", message: GENERIC.en, field: undefined, facts: undefined } : refusal;
  const f = e.facts ?? {};
  const withFacts = WITH_FACTS[e.code];
  if (withFacts && e.facts) return capitalised(withFacts[lang](f));
  if (e.code === "bank_file_malformed" || (e.code === "validation_failed" && typeof f.problem === "string")) {
    const problem = FILE_PROBLEM[String(f.problem)];
    if (lang === "vi" && problem) return `${f.line ? `Dòng ${f.line}: ` : ""}${problem(f)}. Chưa ghi dòng nào.`;
    if (lang === "vi") return "Không đọc được tệp sao kê: hãy kiểm tra mẫu sao kê và tệp. Chưa ghi dòng nào.";
    return e.message;
  }
  if (known) return known[lang];
  const words = WORDS[e.code];
  if (words) return words[lang];
  const byField = e.field ? BY_FIELD[e.field] : undefined;
  if (byField && e.code === "validation_failed") return byField[lang];
  return lang === "vi" ? GENERIC.vi : e.message;
}

// ---------------------------------------------------------------------------------------------------------
// Where a refusal goes on a form.

/** A form's refusals: by the form field they mark, and those that belong to no field of it. */
export interface Placed {
  fields: Map<string, string>;
  general: string[];
}

/**
 * Puts each refusal beside the form field that caused it. `aliases` maps the API's names to the form's
 * (entryDate → receivedOn); a refusal naming no field of the form is kept apart, said above the form.
 */
export function place(errors: Iterable<[string, string]>, formFields: readonly string[], aliases: Record<string, string> = {}): Placed {
  const placed: Placed = { fields: new Map(), general: [] };
  for (const [field, text] of errors) {
    // A field the form has is its own place (items[1].quantity); an alias places what the form names otherwise.
    const target = formFields.includes(field) ? field : aliases[field] ?? aliases[field.replace(/\[\d+\].*$/, "")] ?? field;
    if (formFields.includes(target)) {
      if (!placed.fields.has(target)) placed.fields.set(target, text);
    } else if (!placed.general.includes(text)) {
      placed.general.push(text);
    }
  }
  return placed;
}

/** The API's names for the donation form's fields. */
export const DONATION_ALIASES: Record<string, string> = {
  entryDate: "receivedOn", date: "receivedOn", code: "campaign", postings: "amountDong", items: "items[0].description", donor: "donor.name",
};
/** The API's names for the disbursement form's fields. */
export const DISBURSEMENT_ALIASES: Record<string, string> = {
  entryDate: "paidOn", date: "paidOn", code: "campaign", postings: "amountDong", beneficiary: "beneficiary.name",
};

// ---------------------------------------------------------------------------------------------------------
// Times as people in Vietnam read them.

const vnParts = new Intl.DateTimeFormat("en-GB", {
  timeZone: "Asia/Ho_Chi_Minh", year: "numeric", month: "2-digit", day: "2-digit", hour: "2-digit", minute: "2-digit", second: "2-digit", hourCycle: "h23",
});

/** "2026-12-07T11:32:15.123Z" → "18:32:15 07/12/2026" (Asia/Ho_Chi_Minh); in English the same with "(UTC+7)". */
export function formatTimeVi(iso: string | Date, lang: Lang = "vi"): string {
  const d = iso instanceof Date ? iso : new Date(iso);
  if (Number.isNaN(d.getTime())) return String(iso);
  const p = Object.fromEntries(vnParts.formatToParts(d).map((x) => [x.type, x.value]));
  const text = `${p.hour}:${p.minute}:${p.second} ${p.day}/${p.month}/${p.year}`;
  return lang === "vi" ? text : `${text} (UTC+7)`;
}

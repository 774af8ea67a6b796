import type { AuditRecord } from "../../db/audit.js";
import type { Role } from "../../ledger/types.js";
import { ROLE, type Lang } from "../applayout.js";
import { Html, html } from "../html.js";
import { formatTimeVi } from "./refusals.js";
import { formatDateVi } from "../../../reports/format.js";

// The audit log and the checkpoints as an auditor reads them in Vietnamese: who (the person, their role),
// what (a description of the action, not "POST /app/donations"), when (Vietnam's time), and whether it went
// through or why it was refused.

// ---------------------------------------------------------------------------------------------------------
// Labels (Vietnamese first).

/** Actions by "METHOD route pattern" as the audit log keeps them (src/http/audit.ts), and the database's own. */
const ACTIONS: Record<string, { vi: string; en: string }> = {
  "POST /api/v1/campaigns": { vi: "Tạo cuộc vận động (qua API)", en: "Create a campaign (API)" },
  "PATCH /api/v1/campaigns/:code": { vi: "Sửa cuộc vận động (qua API)", en: "Change a campaign (API)" },
  "POST /api/v1/campaigns/:code/donations": { vi: "Ghi thu ủng hộ (qua API)", en: "Record a donation (API)" },
  "POST /api/v1/campaigns/:code/disbursements": { vi: "Ghi chi hỗ trợ (qua API)", en: "Record a disbursement (API)" },
  "POST /api/v1/campaigns/:code/pledges": { vi: "Ghi đăng ký ủng hộ (qua API)", en: "Record a pledge (API)" },
  "POST /api/v1/entries": { vi: "Ghi bút toán tổng hợp (qua API)", en: "Record a general entry (API)" },
  "POST /api/v1/entries/:id/reverse": { vi: "Đảo bút toán (qua API)", en: "Reverse an entry (API)" },
  "POST /api/v1/entries/:id/verify": { vi: "Duyệt bút toán (qua API)", en: "Verify an entry (API)" },
  "POST /api/v1/entries/verify": { vi: "Duyệt nhiều bút toán (qua API)", en: "Verify entries (API)" },
  "POST /api/v1/periods": { vi: "Khóa sổ (qua API)", en: "Close the books (API)" },
  "POST /api/v1/checkpoints": { vi: "Ký điểm kiểm tra (qua API)", en: "Sign a checkpoint (API)" },
  "POST /api/v1/tokens": { vi: "Tạo khóa API (qua API)", en: "Create an API token (API)" },
  "POST /api/v1/areas": { vi: "Thêm khu phố / ấp (qua API)", en: "Add an area (API)" },
  "POST /api/v1/bank-imports": { vi: "Nhập sao kê ngân hàng (qua API)", en: "Import a bank statement (API)" },
  "POST /api/v1/bank-imports/:id/verify": { vi: "Duyệt một lần nhập sao kê (qua API)", en: "Verify a bank import (API)" },
  "POST /api/v1/bank-accounts/:account/layout": { vi: "Lưu mẫu sao kê của tài khoản (qua API)", en: "Save an account's statement layout (API)" },
  "POST /api/v1/public/committees/:committee/campaigns/:code/press/check": { vi: "Kiểm tra số liệu báo chí", en: "Check a press figure" },
  "POST /app/login": { vi: "Đăng nhập", en: "Sign in" },
  "POST /app/logout": { vi: "Đăng xuất", en: "Sign out" },
  "POST /app/password": { vi: "Đổi mật khẩu", en: "Change the password" },
  "POST /app/donations": { vi: "Ghi thu ủng hộ", en: "Record a donation" },
  "POST /app/disbursements": { vi: "Ghi chi hỗ trợ", en: "Record a disbursement" },
  "POST /app/areas": { vi: "Thêm khu phố / ấp", en: "Add an area" },
  "POST /app/queue": { vi: "Duyệt bút toán", en: "Verify entries" },
  "POST /app/periods": { vi: "Khóa sổ", en: "Close the books" },
  "POST /app/checkpoints": { vi: "Ký điểm kiểm tra", en: "Sign a checkpoint" },
  "POST /app/users": { vi: "Tạo người dùng", en: "Create a user" },
  "POST /app/users/:id/disable": { vi: "Tắt tài khoản người dùng", en: "Disable a user" },
  "POST /app/tokens": { vi: "Tạo khóa API", en: "Create an API token" },
  "POST /app/bank-imports/upload": { vi: "Nhập sao kê ngân hàng", en: "Import a bank statement" },
  "POST /app/campaigns": { vi: "Tạo cuộc vận động", en: "Create a campaign" },
  "POST /app/campaigns/:code": { vi: "Sửa cuộc vận động", en: "Change a campaign" },
  "POST /app/settings": { vi: "Đổi cài đặt của ủy ban", en: "Change the committee's settings" },
  "person created": { vi: "Thêm người (người dùng hoặc khóa API)", en: "Person added (user or API token)" },
  "person disabled": { vi: "Tắt người (thu hồi quyền)", en: "Person disabled" },
};

/** Refusals without a result code, by status. */
const STATUS: Record<number, { vi: string; en: string }> = {
  400: { vi: "yêu cầu không đọc được", en: "malformed request" },
  401: { vi: "chưa đăng nhập hoặc sai mật khẩu", en: "not signed in, or wrong password" },
  403: { vi: "không có quyền", en: "not allowed" },
  404: { vi: "không tìm thấy", en: "not found" },
  409: { vi: "xung đột với sổ", en: "conflicts with the ledger" },
  413: { vi: "quá lớn", en: "too large" },
  422: { vi: "dữ liệu chưa hợp lệ", en: "invalid input" },
  429: { vi: "quá nhiều yêu cầu", en: "too many requests" },
};

const REASONS: Record<string, { vi: string; en: string }> = {
  period_close: { vi: "Khóa sổ", en: "Period close" },
  on_demand: { vi: "Ký theo yêu cầu", en: "Signed on demand" },
};

const HEAD = {
  vi: { at: "Lúc (giờ Việt Nam)", who: "Người", role: "Vai trò", action: "Việc làm", outcome: "Kết quả", ok: "Thành công", refused: "Bị từ chối", other: "Thao tác khác", view: "Mở trang" },
  en: { at: "At (Vietnam time)", who: "Person", role: "Role", action: "Action", outcome: "Outcome", ok: "Done", refused: "Refused", other: "Other action", view: "Open a page" },
} as const;

// ---------------------------------------------------------------------------------------------------------

export function checkpointReason(reason: string, lang: Lang): string {
  return REASONS[reason]?.[lang] ?? reason;
}

function describe(action: string, lang: Lang): string {
  const known = ACTIONS[action];
  if (known) return known[lang];
  return action.startsWith("GET ") ? HEAD[lang].view : HEAD[lang].other;
}

/** What an action was done to: a path, or for the database's own rows about people, the person and their role in words. */
function target(a: AuditRecord, lang: Lang): string {
  const person = /^person (\d+) \((\w+)\)(.*)$/.exec(a.target);
  if (person && a.action.startsWith("person ")) {
    const role = ROLE[lang][person[2] as Role] ?? person[2];
    const rest = lang === "en" ? person[3]! : person[3]!
      .replace(/, acting since (\d{4}-\d{2}-\d{2})/, (_m, d: string) => `, hoạt động từ ${formatDateVi(d)}`)
      .replace(/\(from an existing (\w+)\)/, (_m, what: string) => `(có từ trước: ${what === "user" ? "người dùng" : "khóa API"})`);
    return `${lang === "vi" ? "người số" : "person"} ${person[1]} (${role})${rest}`;
  }
  return a.target.slice(0, 120);
}

/**
 * The audit log's rows. `reason` words a refusal's result code in the page's language; `names` are the
 * people by token.
 */
export function auditTable(lang: Lang, rows: AuditRecord[], names: Map<number, string>, reason: (code: string) => string): Html {
  const w = HEAD[lang];
  const outcome = (a: AuditRecord) => {
    if (a.outcome < 400) return html`<span class="ok">${w.ok}</span>`;
    const why = a.code ? reason(a.code) : STATUS[a.outcome]?.[lang] ?? "";
    return html`<span class="bad">${w.refused}</span>${why ? html`: ${why}` : ""}`;
  };
  return html`<table class="list" data-testid="audit"><thead><tr><th scope="col">#</th><th scope="col">${w.at}</th><th scope="col">${w.who}</th>
<th scope="col">${w.role}</th><th scope="col">${w.action}</th><th scope="col">${w.outcome}</th></tr></thead>
<tbody>${rows.map((a) => html`<tr><td>${a.id}</td><td>${formatTimeVi(a.at, lang)}</td><td>${a.tokenId !== null ? names.get(a.tokenId) ?? "" : "—"}</td>
<td>${a.role ? ROLE[lang][a.role as Role] ?? a.role : "—"}</td>
<td title="${a.action}">${describe(a.action, lang)}<br><span class="muted">${target(a, lang)}</span></td><td>${outcome(a)}</td></tr>`)}</tbody></table>`;
}

export type { Html };

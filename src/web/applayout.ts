import type { Request } from "express";
import type { Role } from "../ledger/types.js";
import type { WebSession } from "./session.js";
import { Html, html } from "./html.js";

// The workspace's frame: header with the committee and the person signed in,
// navigation for their role, the language switch and sign-out (a form post
// with the CSRF token). Vietnamese first; English with the soquy_lang cookie.

export type Lang = "vi" | "en";

export function langOf(req: Request): Lang {
  const cookie = req.headers.cookie ?? "";
  return /(?:^|;\s*)soquy_lang=en\b/.test(cookie) ? "en" : "vi";
}

export const ROLE: Record<Lang, Record<Role, string>> = {
  vi: { treasurer: "Thủ quỹ / kế toán", approver: "Người duyệt", auditor: "Kiểm tra", admin: "Quản trị" },
  en: { treasurer: "Treasurer", approver: "Approver", auditor: "Auditor", admin: "Admin" },
};

const NAV: { href: string; roles: readonly Role[]; vi: string; en: string }[] = [
  { href: "/app", roles: ["treasurer", "approver", "auditor", "admin"], vi: "Tổng quan", en: "Dashboard" },
  { href: "/app/donations/new", roles: ["treasurer"], vi: "Ghi thu", en: "Record donation" },
  { href: "/app/disbursements/new", roles: ["treasurer"], vi: "Ghi chi", en: "Record disbursement" },
  { href: "/app/bank-imports", roles: ["treasurer"], vi: "Sao kê ngân hàng", en: "Bank statements" },
  { href: "/app/campaigns", roles: ["treasurer", "approver", "auditor", "admin"], vi: "Cuộc vận động", en: "Campaigns" },
  { href: "/app/entries", roles: ["treasurer", "approver", "auditor", "admin"], vi: "Bút toán", en: "Entries" },
  { href: "/app/distributions", roles: ["treasurer", "approver", "auditor", "admin"], vi: "Danh sách ký nhận", en: "Signing lists" },
  { href: "/app/areas", roles: ["treasurer", "approver", "auditor", "admin"], vi: "Khu phố / ấp", en: "Areas" },
  { href: "/app/queue", roles: ["approver"], vi: "Chờ duyệt", en: "Verification queue" },
  { href: "/app/periods", roles: ["approver"], vi: "Khóa sổ", en: "Period close" },
  { href: "/app/sao-ke", roles: ["treasurer", "approver", "auditor", "admin"], vi: "Công khai sao kê", en: "Publish statements" },
  { href: "/app/statements", roles: ["treasurer", "approver", "auditor", "admin"], vi: "Sao kê", en: "Statements" },
  { href: "/app/verify", roles: ["approver", "auditor", "admin"], vi: "Kiểm tra chuỗi", en: "Chain check" },
  { href: "/app/audit", roles: ["auditor"], vi: "Nhật ký", en: "Audit log" },
  { href: "/app/checkpoints", roles: ["treasurer", "approver", "auditor", "admin"], vi: "Điểm kiểm tra", en: "Checkpoints" },
  { href: "/app/users", roles: ["admin"], vi: "Người dùng", en: "Users" },
  { href: "/app/tokens", roles: ["treasurer", "approver", "auditor", "admin"], vi: "Khóa API", en: "API tokens" },
];

export function appPage(opts: {
  lang: Lang; title: string; session: WebSession | null; body: Html; path: string; flash?: Html | string | null;
}): string {
  const { lang, session, path } = opts;
  const u = session?.user;
  const nav = u ? NAV.filter((n) => n.roles.includes(u.role)) : [];
  const other = lang === "vi" ? "en" : "vi";
  return html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${opts.title} — soquy</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/public.css"><link rel="stylesheet" href="/app/assets/app.css">
<link rel="stylesheet" href="/app/assets/forms.css">
<script src="/app/assets/app.js" defer></script><script src="/app/assets/forms.js" defer></script></head>
<body><header class="top"><a class="brand" href="/app">sổ quỹ</a>
<nav class="tools">${u ? html`<span class="who">${u.name} · ${ROLE[lang][u.role]}</span>` : ""}
<a href="/app/lang?to=${other}&amp;back=${encodeURIComponent(path)}" lang="${other}">${other === "en" ? "English" : "Tiếng Việt"}</a>
${u ? html`<form method="post" action="/app/logout" class="inline"><input type="hidden" name="_csrf" value="${session!.csrfToken}">
<button type="submit" class="link">${lang === "vi" ? "Đăng xuất" : "Sign out"}</button></form>` : ""}</nav></header>
${u ? html`<nav class="app" aria-label="${lang === "vi" ? "Chức năng" : "Sections"}"><p class="committee">${u.committeeName}</p><ul>
${nav.map((n) => html`<li><a href="${n.href}"${path === n.href ? new Html(' aria-current="page"') : ""}>${n[lang]}</a></li>`)}</ul></nav>` : ""}
<main id="main">${opts.flash ? html`<div class="flash" role="status">${opts.flash}</div>` : ""}${opts.body}</main></body></html>`.text;
}

export const APP_CSS = `
[hidden]{display:none!important}select,input,textarea{max-width:100%}form.entry>*,form.entry label{min-width:0}form.entry select{width:100%}.brand{white-space:nowrap}
header.top .tools{display:flex;gap:.8rem;align-items:center;flex-wrap:wrap}.who{font-size:.85rem;opacity:.95}
form.inline{display:inline;margin:0}button.link{background:none;border:none;color:#fff;padding:0;text-decoration:underline;font-size:.95rem}
nav.app{background:#f1ede6;border-bottom:1px solid #d7d3cc;padding:.4rem 1rem}nav.app ul{display:flex;flex-wrap:wrap;gap:.3rem .9rem;list-style:none;margin:0;padding:0;max-width:60rem;margin:0 auto}
nav.app .committee{max-width:60rem;margin:0 auto .2rem;font-size:.85rem;color:#50575e}
nav.app a{color:#1d2327;text-decoration:none;padding:.2rem 0;display:inline-block}nav.app a[aria-current=page]{font-weight:700;border-bottom:3px solid #a4161a}
.flash{background:#eef6f0;border:1px solid #9cc7aa;border-radius:.35rem;padding:.6rem .8rem;margin-bottom:1rem}
form.entry{display:grid;gap:.7rem;max-width:40rem}form.entry fieldset{border:1px solid #d7d3cc;border-radius:.4rem;padding:.6rem .8rem;display:grid;gap:.6rem}
form.entry label,form.filters label{display:grid;gap:.2rem;font-size:.92rem}.check-label{display:flex!important;gap:.4rem;align-items:center}
select,textarea{font:inherit;padding:.4rem .5rem;border:1px solid #8c8f94;border-radius:.3rem;background:#fff}
.field-error{color:#8a1014;font-size:.85rem}[aria-invalid=true]{border-color:#8a1014;outline:1px solid #8a1014}
.errors{border:1px solid #8a1014;background:#fbeaea;border-radius:.35rem;padding:.5rem .8rem}
table.list{width:100%;border-collapse:collapse;font-size:.9rem;margin:.8rem 0}table.list th,table.list td{border-bottom:1px solid #d7d3cc;padding:.35rem .4rem;text-align:left;vertical-align:top}
table.list td.num,table.list th.num{text-align:right}form.filters{display:flex;flex-wrap:wrap;gap:.6rem;align-items:end;margin:.6rem 0}
.chart{width:100%;height:auto;max-width:48rem}.ok{color:#1f6f43;font-weight:600}.bad{color:#8a1014;font-weight:600}
.secret{font-family:monospace;background:#fff8d6;border:1px dashed #b38f00;padding:.4rem .6rem;word-break:break-all}
`;

export const APP_JS = `
document.addEventListener("submit", function (e) {
  var f = e.target;
  if (f.getAttribute && f.getAttribute("data-once") !== null) {
    if (f.getAttribute("data-sent") === "true") { e.preventDefault(); return; }
    f.setAttribute("data-sent", "true");
    var b = f.querySelector("button[type=submit]"); if (b) b.setAttribute("aria-busy", "true");
  }
});
document.addEventListener("change", function (e) {
  var t = e.target;
  if (t && t.id === "select-all") document.querySelectorAll("input[name=ids]:not([disabled])").forEach(function (c) { c.checked = t.checked; });
  if (t && t.name === "method" && t.form && t.form.getAttribute("data-method-switch") !== null) {
    t.form.querySelectorAll("[data-for-method]").forEach(function (el) { el.hidden = el.getAttribute("data-for-method").split(" ").indexOf(t.value) < 0; });
  }
  if (t && t.id === "household-pick") {
    var o = t.selectedOptions[0]; if (!o || !o.value) return;
    var f = t.form; f.querySelector("[name='beneficiary.name']").value = o.getAttribute("data-name");
    f.querySelector("[name='beneficiary.category']").value = o.getAttribute("data-category");
    f.querySelector("[name='beneficiary.area']").value = o.getAttribute("data-area");
  }
});
`;

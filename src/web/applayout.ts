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
.picker{position:relative;display:grid;gap:.2rem}.picker [role=listbox]{list-style:none;margin:0;padding:0;border:1px solid #8c8f94;border-radius:.3rem;background:#fff;max-height:16rem;overflow:auto}
.picker [role=option],.picker li.none{padding:.45rem .6rem;cursor:pointer}.picker [role=option][aria-selected=true],.picker [role=option]:hover{background:#f1ede6}
button.secondary{background:#fff;color:#a4161a;border:1px solid #a4161a}.items-total{margin:0;font-weight:600}
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
// The in-kind form's total: each line's quantity (1.000 or 2,5 as Vietnamese write them) × unit value, in whole đồng
// (half up, as the ledger rounds), counted in BigInt so no amount is ever a float.
function soquyItemsTotal(box) {
  var total = BigInt(0);
  box.querySelectorAll("[data-item-row]").forEach(function (row) {
    var q = (row.querySelector("[name$='.quantity']") || {}).value || "";
    var u = (row.querySelector("[name$='.unitValueDong']") || {}).value || "";
    q = q.trim().replace(/[\\s.]/g, "").replace(",", ".");
    u = u.trim().replace(/\\s*(đồng|đ|₫)$/i, "").replace(/[\\s.]/g, "");
    var m = /^(\\d{1,15})(?:\\.(\\d{1,3}))?$/.exec(q);
    if (!m || !/^\\d{1,15}$/.test(u)) return;
    var thousandths = BigInt(m[1] + ((m[2] || "") + "000").slice(0, 3));
    total += (thousandths * BigInt(u) + BigInt(500)) / BigInt(1000);
  });
  var out = box.querySelector("[data-items-total]");
  if (out) out.textContent = total.toString().replace(/\\B(?=(\\d{3})+(?!\\d))/g, ".");
}
// "Add a line" without a round trip: the form's template row, numbered after the last (without the script the
// button asks the server for the form with one more line, and nothing is recorded).
document.addEventListener("click", function (e) {
  var b = e.target && e.target.closest && e.target.closest("[data-add-item]");
  if (!b) return;
  var box = b.closest("[data-items]"), tpl = box && box.querySelector("template[data-item-template]");
  if (!tpl) return;
  e.preventDefault();
  var n = box.querySelectorAll("[data-item-row]").length;
  if (n >= 100) return;
  var html = tpl.innerHTML.split("999").join(String(n)).replace(/(Dòng hàng|Line) 1000/, "$1 " + (n + 1));
  var holder = document.createElement("div");
  holder.innerHTML = html;
  var row = holder.firstElementChild;
  box.insertBefore(row, box.querySelector(".items-total"));
  var first = row.querySelector("input"); if (first) first.focus();
});
document.addEventListener("input", function (e) {
  var box = e.target && e.target.closest && e.target.closest("[data-items]");
  if (box) soquyItemsTotal(box);
});
document.addEventListener("change", function (e) {
  var t = e.target;
  if (t && t.id === "select-all") document.querySelectorAll("input[name=ids]:not([disabled])").forEach(function (c) { c.checked = t.checked; });
  if (t && t.name === "method" && t.form && t.form.getAttribute("data-method-switch") !== null) {
    t.form.querySelectorAll("[data-for-method]").forEach(function (el) { el.hidden = el.getAttribute("data-for-method").split(" ").indexOf(t.value) < 0; });
  }
});
// The household picker: matches from the server as one types (a pause of 150 ms), arrow keys and Enter to choose,
// Escape to close; choosing fills the household's name, category and area. Without the script it stays hidden and
// the fields are typed as they are for a new household.
(function () {
  var box = document.querySelector("[data-household-picker]");
  if (!box) return;
  box.hidden = false;
  var input = box.querySelector("input"), list = box.querySelector("[role=listbox]"), form = box.closest("form");
  var found = [], active = -1, timer = null, asked = "";
  function close() { list.hidden = true; input.setAttribute("aria-expanded", "false"); input.removeAttribute("aria-activedescendant"); active = -1; }
  function mark(i) {
    active = i;
    list.querySelectorAll("[role=option]").forEach(function (o, n) { o.setAttribute("aria-selected", n === i ? "true" : "false"); });
    if (i >= 0) input.setAttribute("aria-activedescendant", "household-option-" + i); else input.removeAttribute("aria-activedescendant");
  }
  function choose(i) {
    var h = found[i]; if (!h) return;
    form.querySelector("[name='beneficiary.name']").value = h.name;
    form.querySelector("[name='beneficiary.category']").value = h.category;
    var area = form.querySelector("[name='beneficiary.area']"); if (area) area.value = h.area;
    input.value = h.name;
    close();
  }
  function show(items) {
    found = items; list.textContent = "";
    items.forEach(function (h, i) {
      var li = document.createElement("li");
      li.id = "household-option-" + i; li.setAttribute("role", "option"); li.setAttribute("aria-selected", "false");
      li.textContent = h.name + " · " + h.area + " · " + h.categoryLabel;
      li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(i); });
      list.appendChild(li);
    });
    if (items.length === 0) {
      var none = document.createElement("li"); none.className = "none";
      none.textContent = document.documentElement.lang === "vi" ? "Không tìm thấy hộ nào: nhập hộ mới bên dưới." : "No household found: type a new one below.";
      list.appendChild(none);
    }
    list.hidden = false; input.setAttribute("aria-expanded", "true"); mark(-1);
  }
  input.addEventListener("input", function () {
    clearTimeout(timer);
    var q = input.value.trim();
    if (q.length < 2) { close(); return; }
    timer = setTimeout(function () {
      asked = q;
      fetch("/app/households?q=" + encodeURIComponent(q), { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : []; })
        .then(function (items) { if (asked === q) show(items); }, function () {});
    }, 150);
  });
  input.addEventListener("keydown", function (e) {
    if (list.hidden) return;
    if (e.key === "ArrowDown") { e.preventDefault(); mark(Math.min(found.length - 1, active + 1)); }
    else if (e.key === "ArrowUp") { e.preventDefault(); mark(Math.max(0, active - 1)); }
    else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(active); }
    else if (e.key === "Escape") { close(); }
  });
  input.addEventListener("blur", function () { setTimeout(close, 100); });
})();
`;

import { randomUUID } from "node:crypto";
import { readConfig } from "../config.js";
import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import type { Soquy } from "../context.js";
import { listAudit } from "../db/audit.js";
import { principalOf, UserStore, type UserRow } from "../db/users.js";
import { WorkspaceQueries } from "../db/workspace.js";
import { isDatabaseBusy } from "../db/gate.js";
import { LedgerError } from "../ledger/codes.js";
import { progressPercent } from "../ledger/figures.js";
import { beneficiaryCategories, donorKinds, purposes, roles, type Role } from "../ledger/types.js";
import { renderReceiptPdf } from "../../reports/receipt.js";
import { formatDateVi, formatDong } from "../../reports/format.js";
import { createTokenFor } from "../context.js";
import { tokenRoles } from "../ledger/people.js";
import { disbursementCreate, donationCreate } from "../http/schemas.js";
import { APP_CSS, APP_JS, appPage, langOf, ROLE, type Lang } from "./applayout.js";
import { bankPages } from "./bankpages.js";
import { queueScreens } from "./screens/queue.js";
import { entryScreens } from "./screens/entry.js";
import { importScreens } from "./screens/imports.js";
import { resumeScreens } from "./screens/resume.js";
import { SCREENS_CSS, SCREENS_JS } from "./screens/assets.js";
import { saokeScreens } from "./screens/saoke.js";
import { documentScreens } from "./screens/documents.js";
import { Html, html } from "./html.js";
import { generatePassword, hashPassword, passwordProblem } from "./passwords.js";
import { confirmAbove, wordVariants } from "../db/settings.js";
import { DISBURSEMENT_ALIASES, DONATION_ALIASES, formatTimeVi, place, refusalText, type Placed } from "./screens/refusals.js";
import {
  amountConfirmation, campaignOption, choiceGroup, dateNote, deadlineText, described, errorSummary, fieldError as formFieldError, needsConfirmation, selectField,
  windowText,
} from "./screens/fields.js";
import { campaignScreens } from "./screens/campaigns.js";
import { auditTable, checkpointReason } from "./screens/audit.js";
import { appNotFound, notFoundBody } from "./screens/notfound.js";
import { FORMS_CSS, FORMS_JS } from "./screens/fields.js";
import { count, formKey, formMeta, say } from "./screens/common.js";
import { parseDongTyped } from "./screens/labels.js";
import { multiplyDong } from "../ledger/money.js";
import { attemptPassword, checkCsrf, clearCookie, CsrfRefused, ForbiddenPage, isSecure, requireUser, sessionMiddleware, signIn, type WebSession } from "./session.js";

// The workspace for the people who keep the books: sign-in, keyboard-first
// entry forms that cannot post twice, printed receipts, the verification
// queue, period close, statements, chain check, audit log, checkpoints,
// users and tokens — server-rendered, reaching the same domain calls as the
// API (so the same rules, result codes and audit log apply).

const FIELD_VI: Record<string, string> = {
  too_small: "Bắt buộc nhập hoặc quá ngắn.", too_big: "Quá dài.", invalid_type: "Bắt buộc nhập.", invalid_format: "Không đúng định dạng.",
  invalid_value: "Chọn một giá trị trong danh sách.", custom: "Không hợp lệ.", unrecognized_keys: "Trường không được phép.", invalid_union: "Không hợp lệ.",
};

type Errors = Map<string, string>;
const NONE: Placed = { fields: new Map(), general: [] };
const DONATION_FIELDS = ["campaign", "method", "receivedOn", "amountDong", "donor.name", "donor.kind", "donor.publishName", "donor.phone", "bankAccount", "bankReference",
  "description"];
const ITEM_FIELDS = ["description", "quantity", "unit", "unitValueDong", "valuationBasis"] as const;
/** A donation form's fields with its item rows. */
const donationFields = (rows: number) => [...DONATION_FIELDS, ...Array.from({ length: rows }, (_, i) => ITEM_FIELDS.map((f) => `items[${i}].${f}`)).flat()];
const DEFAULT_VALUATION = "Giá thị trường tại thời điểm nhận";
const DISBURSEMENT_FIELDS = ["campaign", "beneficiary.name", "beneficiary.category", "beneficiary.area", "purpose", "method", "paidOn", "quantity", "unit", "amountDong", "description"];

const PURPOSE_VI: Record<string, string> = {
  gift_package: "Trao quà (suất quà)", house_new: "Xây nhà Đại đoàn kết", house_repair: "Sửa chữa nhà", livelihood: "Hỗ trợ sinh kế", schooling: "Học tập",
  health: "Y tế", relief_cash: "Hỗ trợ tiền mặt", infrastructure: "Công trình", regular_support: "Trợ cấp thường xuyên", other: "Khác",
};
const CATEGORY_VI: Record<string, string> = { poor: "Hộ nghèo", near_poor: "Hộ cận nghèo", hardship: "Hộ khó khăn", policy_family: "Gia đình chính sách", other: "Khác" };
const DONOR_VI: Record<string, string> = { individual: "Cá nhân", business: "Doanh nghiệp", organisation: "Tổ chức", anonymous: "Ẩn danh" };
const METHOD_VI: Record<string, string> = { cash: "Tiền mặt", bank: "Chuyển khoản", in_kind: "Hiện vật" };

export function workspace(s: Soquy): Router {
  const users = new UserStore(s.db.knex);
  const q = new WorkspaceQueries(s.db.knex);
  const r = express.Router();
  const form = express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 200 });
  r.get("/assets/app.css", (_req, res) => void res.type("text/css").set("Cache-Control", "public, max-age=3600").send(APP_CSS + SCREENS_CSS));
  r.get("/assets/app.js", (_req, res) => void res.type("application/javascript").set("Cache-Control", "public, max-age=3600").send(APP_JS + SCREENS_JS));
  r.get("/assets/forms.js", (_req, res) => void res.type("application/javascript").set("Cache-Control", "public, max-age=3600").send(FORMS_JS));
  r.get("/assets/forms.css", (_req, res) => void res.type("text/css").set("Cache-Control", "public, max-age=3600").send(FORMS_CSS));

  const page = (req: Request, res: Response, title: string, body: Html, flash: Html | string | null = null, status = 200) => {
    res.status(status).type("html").set("Cache-Control", "no-store")
      .send(appPage({ lang: langOf(req), title, session: sessionOf(res), body, path: req.path === "/" ? "/app" : `/app${req.path}`.replace(/\/$/, ""), flash }));
  };
  const T = (req: Request, vi: string, en: string) => (langOf(req) === "vi" ? vi : en);

  r.get("/lang", (req, res) => {
    const to = req.query.to === "en" ? "en" : "vi";
    const back = typeof req.query.back === "string" && /^\/(app|c\/)/.test(req.query.back) ? req.query.back : "/app";
    res.setHeader("Set-Cookie", `soquy_lang=${to}; Path=/; SameSite=Lax; Max-Age=31536000`);
    res.redirect(303, back);
  });

  // ---- sign-in
  const loginForm = (req: Request, res: Response, error: string | null, status = 200) => {
    const next = typeof req.query.next === "string" ? req.query.next : "";
    page(req, res, T(req, "Đăng nhập", "Sign in"), html`<h1>${T(req, "Đăng nhập", "Sign in")}</h1>
${error ? html`<p class="errors" role="alert">${error}</p>` : ""}
<form method="post" action="/app/login${next ? `?next=${encodeURIComponent(next)}` : ""}" class="entry" data-once>
<label>${T(req, "Tên đăng nhập", "Login")}<input name="login" autocomplete="username" required autofocus></label>
<label>${T(req, "Mật khẩu", "Password")}<input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">${T(req, "Đăng nhập", "Sign in")}</button></form>`, null, status);
  };
  r.get("/login", (req, res) => loginForm(req, res, null));
  r.post("/login", form, async (req, res) => {
    const login = String(req.body.login ?? "").slice(0, 64);
    const password = String(req.body.password ?? "").slice(0, 200);
    const result = await signIn(users, login, password, isSecure(req));
    if (!result.ok) {
      const msg = result.reason === "locked"
        ? T(req, "Tài khoản tạm khóa 15 phút do nhập sai mật khẩu nhiều lần.", "Account locked for 15 minutes after repeated wrong passwords.")
        : T(req, "Sai tên đăng nhập hoặc mật khẩu.", "Wrong login or password.");
      res.locals.problemCode = result.reason === "locked" ? "rate_limited" : "unauthorized";
      return loginForm(req, res, msg, result.reason === "locked" ? 429 : 401);
    }
    res.setHeader("Set-Cookie", result.cookie);
    const next = typeof req.query.next === "string" && /^\/app(\/|$)/.test(req.query.next) ? req.query.next : "/app";
    res.redirect(303, next);
  });
  r.post("/logout", form, requireUser(), async (req, res) => {
    checkCsrf(req, res);
    await users.endSession(sessionOf(res)!.idHash);
    res.setHeader("Set-Cookie", clearCookie(isSecure(req)));
    res.redirect(303, "/app/login");
  });
  r.get("/password", requireUser(), (req, res) => passwordPage(req, res, NONE));
  const passwordPage = (req: Request, res: Response, errors: Placed, status = 200) => {
    const sess = sessionOf(res)!;
    const secret = (name: string, label: string, autocomplete: string) => {
      const error = errors.fields.get(name) ?? null;
      return html`<label for="f-${name}">${label}<input id="f-${name}" name="${name}" type="password" autocomplete="${autocomplete}" required${described(`f-${name}`, error)}>${formFieldError(`f-${name}`, error)}</label>`;
    };
    page(req, res, T(req, "Đổi mật khẩu", "Change password"), html`<h1>${T(req, "Đổi mật khẩu", "Change password")}</h1>
${errorSummary(langOf(req), errors)}
<form method="post" action="/app/password" class="entry" data-once novalidate><input type="hidden" name="_csrf" value="${sess.csrfToken}">
${secret("current", T(req, "Mật khẩu hiện tại", "Current password"), "current-password")}
${secret("next", T(req, "Mật khẩu mới (ít nhất 10 ký tự)", "New password (10 characters or more)"), "new-password")}
<button type="submit">${T(req, "Lưu", "Save")}</button></form>`, null, status);
  };
  r.post("/password", form, requireUser(), async (req, res) => {
    checkCsrf(req, res);
    const sess = sessionOf(res)!;
    const attempt = await attemptPassword(users, sess.user, String(req.body.current ?? ""));
    if (attempt !== "ok") {
      return passwordPage(req, res, attempt === "locked"
        ? { fields: new Map(), general: [T(req, "Tài khoản tạm khóa 15 phút do nhập sai mật khẩu nhiều lần.", "Account locked for 15 minutes after repeated wrong passwords.")] }
        : { fields: new Map([["current", T(req, "Mật khẩu hiện tại không đúng.", "The current password is wrong.")]]), general: [] }, 422);
    }
    const next = String(req.body.next ?? "");
    const problem = passwordProblem(next, sess.user.login, langOf(req));
    if (problem) {
      return passwordPage(req, res, { fields: new Map([["next", T(req, `Mật khẩu mới chưa đạt: ${problem}.`, `New password refused: ${problem}.`)]]), general: [] }, 422);
    }
    await users.setPassword(sess.user.id, await hashPassword(next));
    await users.endSessions(sess.user.id, sess.idHash); // other devices sign in again
    page(req, res, T(req, "Đổi mật khẩu", "Change password"), html`<p>${T(req, "Đã đổi mật khẩu.", "Password changed.")}</p>`);
  });

  // ---- dashboard
  r.get("/", requireUser(), async (req, res) => {
    const p = principal(res);
    const campaigns = await s.store.listCampaigns(p.committeeId);
    const cards = [];
    for (const c of campaigns) {
      const f = await s.store.campaignFigures(c, false);
      const pct = progressPercent(f.receivedDong, c.targetDong);
      // Bank fees and transfers out: without them the card's figures would not add up to the balance.
      const other = f.receivedDong - f.disbursedDong - f.balanceDong;
      cards.push(html`<article class="campaign"><h3>${c.name} <span class="muted">(${c.code})</span></h3>
${c.targetDong !== null ? html`<div class="progress" role="img" aria-label="${formatDong(f.receivedDong)} / ${formatDong(c.targetDong)} đồng (${pct}%)"><div class="bar" style="width:${Math.min(100, pct ?? 0)}%"></div></div>
<p class="figure"><strong>${formatDong(f.receivedDong)}</strong> / ${formatDong(c.targetDong)} đồng (${pct}%)</p>` : ""}
<dl class="totals"><div><dt>${T(req, "Đã nhận", "Received")}</dt><dd>${formatDong(f.receivedDong)} đồng</dd></div>
<div><dt>${T(req, "Đã chi", "Disbursed")}</dt><dd>${formatDong(f.disbursedDong)} đồng</dd></div>
${other !== 0n ? html`<div><dt>${T(req, "Chi phí khác", "Other costs")}</dt><dd>${formatDong(other)} đồng</dd></div>` : ""}
<div><dt>${T(req, "Còn lại", "Balance")}</dt><dd>${formatDong(f.balanceDong)} đồng</dd></div>
<div><dt>${T(req, "Hộ được hỗ trợ", "Households")}</dt><dd>${f.households}</dd></div></dl></article>`);
    }
    const reach = await q.reach(p.committeeId);
    const weekly = await q.weekly(p.committeeId, 26);
    const unverified = (await s.store.listEntries(p.committeeId, { verified: false, limit: 1000 })).length;
    page(req, res, T(req, "Tổng quan", "Dashboard"), html`<h1>${T(req, "Tổng quan", "Dashboard")}</h1>
<p>${T(req, "Chưa duyệt:", "Waiting for verification:")} <a href="/app/queue">${count(unverified, langOf(req))}${unverified === 1000 ? "+" : ""}</a> ·
<a href="/c/${p.committeeCode}">${T(req, "Trang công khai", "Public page")}</a> · <a href="/app/password">${T(req, "Đổi mật khẩu", "Change password")}</a></p>
${cards}
${(["area", "category"] as const).map((by) => {
      const rows = reach.filter((x) => x.by === by);
      if (rows.length === 0) return "";
      return html`<table class="list"><caption>${by === "area" ? T(req, "Hộ được hỗ trợ theo khu phố", "Households reached by area") : T(req, "Hộ được hỗ trợ theo đối tượng", "Households reached by category")}</caption>
<thead><tr><th scope="col">${by === "area" ? T(req, "Khu phố", "Area") : T(req, "Đối tượng", "Category")}</th><th scope="col" class="num">${T(req, "Số hộ", "Households")}</th><th scope="col" class="num">${T(req, "Số tiền (đồng)", "Amount (đồng)")}</th></tr></thead>
<tbody>${rows.map((x) => html`<tr><th scope="row">${by === "category" ? CATEGORY_VI[x.key] ?? x.key : x.key}</th><td class="num">${x.households}</td><td class="num">${formatDong(x.amountDong)}</td></tr>`)}</tbody></table>`;
    })}
<h2>${T(req, "Thu và chi theo tuần", "Money in and out by week")}</h2>${weeklyChart(weekly, langOf(req))}`);
  });

  // ---- treasurer: donations and disbursements
  /** The campaign select of a form, each campaign carrying the note its date field shows, and that note for the one chosen. */
  const campaignChoice = async (req: Request, committeeId: number, selected: string, error: string | null, note: typeof windowText) => {
    const lang = langOf(req);
    const campaigns = await s.store.listCampaigns(committeeId);
    const chosen = campaigns.find((c) => c.code === selected) ?? campaigns[0];
    return {
      select: selectField({ name: "campaign", label: T(req, "Cuộc vận động", "Campaign"), value: chosen?.code ?? "", error, required: true,
        options: campaigns.map((c) => campaignOption(c, note(c, lang))) }),
      note: chosen ? note(chosen, lang) : "",
    };
  };

  const donationForm = async (req: Request, res: Response, values: Record<string, string>, errors: Placed, flash: Html | null, status = 200,
    confirm: bigint | null = null) => {
    const sess = sessionOf(res)!;
    const method = values.method || "cash";
    const v = (k: string) => values[k] ?? "";
    const err = (k: string) => errors.fields.get(k) ?? null;
    const lang = langOf(req);
    const rows = itemRowCount(values);
    const campaign = await campaignChoice(req, sess.user.committeeId, v("campaign"), err("campaign"), windowText);
    page(req, res, T(req, "Ghi thu", "Record a donation"), html`<h1>${T(req, "Ghi thu (ủng hộ)", "Record a donation")}</h1>
${errorSummary(lang, errors)}
<form method="post" action="/app/donations" class="entry" data-once data-method-switch novalidate>
<input type="hidden" name="_csrf" value="${sess.csrfToken}"><input type="hidden" name="_idem" value="${values._idem || randomUUID()}">
${campaign.select}
${choiceGroup({ name: "method", legend: T(req, "Hình thức", "Method"), value: method, error: err("method"), options: (["cash", "bank", "in_kind"] as const).map((m) => ({ value: m, label: METHOD_VI[m]! })) })}
${input(req, "receivedOn", T(req, "Ngày nhận", "Date received"), v("receivedOn") || todayVn(), err("receivedOn"), { type: "date", required: true, note: dateNote("f-receivedOn-note", campaign.note) })}
${input(req, "amountDong", T(req, "Số tiền (đồng)", "Amount (đồng)"), v("amountDong"), err("amountDong"), { inputmode: "numeric", required: true, autofocus: true })}
${confirm !== null ? amountConfirmation(lang, confirm, await confirmAbove(s.db.knex, sess.user.committeeId)) : ""}
<fieldset><legend>${T(req, "Người ủng hộ", "Donor")}</legend>
${input(req, "donor.name", T(req, "Họ tên / tên đơn vị", "Name"), v("donor.name"), err("donor.name"), {})}
${selectField({ name: "donor.kind", label: T(req, "Loại", "Kind"), value: v("donor.kind") || "individual", error: err("donor.kind"), options: donorKinds.map((k) => ({ value: k, label: DONOR_VI[k]! })) })}
<label class="check-label"><input type="checkbox" name="donor.publishName" value="true"${v("donor.publishName") === "true" ? new Html(" checked") : ""}> ${T(req, "Đồng ý công khai tên", "Agrees to publish the name")}</label>
${input(req, "donor.phone", T(req, "Điện thoại (không công khai)", "Phone (never published)"), v("donor.phone"), err("donor.phone"), { inputmode: "tel" })}
</fieldset>
<fieldset data-for-method="bank"${method === "bank" ? "" : new Html(" hidden")}><legend>${T(req, "Chuyển khoản", "Bank transfer")}</legend>
${input(req, "bankAccount", T(req, "Số tài khoản nhận", "Receiving account"), v("bankAccount"), err("bankAccount"), {})}
${input(req, "bankReference", T(req, "Mã giao dịch", "Bank reference"), v("bankReference"), err("bankReference"), {})}</fieldset>
<fieldset data-for-method="in_kind"${method === "in_kind" ? "" : new Html(" hidden")} data-items><legend>${T(req, "Hiện vật", "Goods")}</legend>
<p class="note">${T(req, "Mỗi dòng một loại hàng. Số tiền là tổng giá trị các dòng (số lượng × đơn giá); để trống ô Số tiền thì hệ thống tự cộng.",
    "One line per kind of goods. The amount is the lines' total value (quantity × unit value); leave Amount empty and it is added up for you.")}</p>
${Array.from({ length: rows }, (_, i) => itemRow(req, i, v, err))}
<p class="items-total" aria-live="polite">${T(req, "Tổng giá trị các dòng:", "Lines' total value:")} <output data-items-total>${formatDong(itemsTotal(values).totalDong ?? 0n)}</output> đồng</p>
<template data-item-template>${itemRow(req, ITEM_TEMPLATE_INDEX, () => "", () => null)}</template>
<button type="submit" name="_addItem" value="1" class="secondary" data-add-item formnovalidate>${T(req, "Thêm dòng hàng", "Add a line")}</button></fieldset>
${input(req, "description", T(req, "Diễn giải (không bắt buộc)", "Description (optional)"), v("description"), err("description"), {})}
<button type="submit">${T(req, "Ghi sổ", "Record")}</button></form>`, flash, status);
  };
  r.get("/donations/new", requireUser(["treasurer"]), (req, res) =>
    donationForm(req, res, { campaign: String(req.query.campaign ?? ""), method: String(req.query.method ?? "cash") }, NONE, null));
  r.post("/donations", form, requireUser(["treasurer"]), async (req, res) => {
    checkCsrf(req, res);
    const values = compactItems(strings(req.body));
    const fields = donationFields(itemRowCount(values));
    if (values._addItem) return donationForm(req, res, values, NONE, null); // one more line of goods: nothing is sent
    const body = nest(values, ["donor.publishName"]);
    if (body.method !== "in_kind") delete body.items;
    if (body.method !== "bank") { delete body.bankAccount; delete body.bankReference; }
    const goods = body.method === "in_kind" ? itemsTotal(values, langOf(req)) : null;
    if (goods?.totalDong !== undefined && goods.totalDong !== null && body.amountDong === undefined) {
      body.amountDong = goods.totalDong.toString();
      values.amountDong = body.amountDong;
    }
    const parsed = donationCreate.safeParse(body);
    if (!parsed.success || goods?.errors.size) {
      res.locals.problemCode = "validation_failed";
      const errors = parsed.success ? new Map<string, string>() : zodErrors(parsed.error, langOf(req));
      for (const [f, text] of goods?.errors ?? []) if (!errors.has(f)) errors.set(f, text);
      return donationForm(req, res, values, place(errors, fields, DONATION_ALIASES), null, 422);
    }
    const unconfirmed = needsConfirmation(values, await confirmAbove(s.db.knex, principal(res).committeeId));
    if (unconfirmed !== null) {
      res.locals.problemCode = "amount_confirmation_required";
      return donationForm(req, res, values, NONE, null, 422, unconfirmed);
    }
    try {
      const meta = formMeta(formKey(values._idem), `donation ${values.campaign ?? ""}`, parsed.data);
      const w = await s.ledger.recordDonation(principal(res), values.campaign ?? "", parsed.data, meta);
      const e = w.entry;
      const flash = html`${T(req, "Đã ghi sổ", "Recorded")} ${e.receiptNumber ? html`<strong>${e.receiptNumber}</strong>` : T(req, "khoản ủng hộ", "the donation")} — ${formatDong(BigInt(parsed.data.amountDong))} đồng
(${T(req, "số thứ tự", "sequence")} ${e.sequence}).${e.receiptNumber ? html` <a href="/app/receipts/${e.id}.pdf" data-testid="receipt-link">${T(req, "In phiếu thu", "Print receipt")}</a>`
    : html` <a href="/app/confirmations/${e.id}.pdf" data-testid="confirmation-link">${T(req, "In giấy xác nhận cho người ủng hộ", "Print a confirmation for the donor")}</a>`}`;
      return donationForm(req, res, { campaign: values.campaign ?? "", method: values.method ?? "cash", receivedOn: values.receivedOn ?? "" }, NONE, flash, 201);
    } catch (error) {
      if (error instanceof LedgerError) {
        res.locals.problemCode = error.code; // the audit log says why
        return donationForm(req, res, values, place(ledgerErrors(error, langOf(req)), fields, DONATION_ALIASES), null, 422);
      }
      throw error;
    }
  });

  const disbursementForm = async (req: Request, res: Response, values: Record<string, string>, errors: Placed, flash: Html | null, status = 200,
    confirm: bigint | null = null) => {
    const sess = sessionOf(res)!;
    const v = (k: string) => values[k] ?? "";
    const err = (k: string) => errors.fields.get(k) ?? null;
    const lang = langOf(req);
    const listed = (await s.ledger.areas(sess.user.committeeId)).map((a) => a.name);
    const campaign = await campaignChoice(req, sess.user.committeeId, v("campaign"), err("campaign"), deadlineText);
    page(req, res, T(req, "Ghi chi", "Record a disbursement"), html`<h1>${T(req, "Ghi chi (hỗ trợ hộ gia đình)", "Record a disbursement")}</h1>
${errorSummary(lang, errors)}
<form method="post" action="/app/disbursements" class="entry" data-once novalidate>
<input type="hidden" name="_csrf" value="${sess.csrfToken}"><input type="hidden" name="_idem" value="${values._idem || randomUUID()}">
${campaign.select}
<div class="picker" data-household-picker hidden>
<label for="household-search">${T(req, "Tìm hộ đã nhận hỗ trợ: gõ tên, khu phố hoặc loại hộ", "Find a household helped before (name, area, category)")}</label>
<input id="household-search" type="search" role="combobox" autocomplete="off" aria-autocomplete="list" aria-expanded="false" aria-controls="household-results" aria-describedby="household-search-note">
<ul id="household-results" role="listbox" aria-label="${T(req, "Các hộ tìm thấy", "Households found")}" hidden></ul>
<p id="household-search-note" class="note">${T(req, "Chọn một hộ để điền sẵn. Hộ mới: nhập họ tên, đối tượng và khu phố bên dưới, hộ được thêm khi ghi sổ.",
    "Pick one to fill in the household. A new household: type its name, category and area below; it is added when recorded.")}</p>
</div>
<fieldset><legend>${T(req, "Hộ nhận hỗ trợ", "Household")}</legend>
${input(req, "beneficiary.name", T(req, "Họ tên chủ hộ", "Head of household"), v("beneficiary.name"), err("beneficiary.name"), { required: true })}
${selectField({ name: "beneficiary.category", label: T(req, "Đối tượng", "Category"), value: v("beneficiary.category"), error: err("beneficiary.category"), options: beneficiaryCategories.map((c) => ({ value: c, label: CATEGORY_VI[c]! })) })}
${areaSelect(req, listed, v("beneficiary.area"), err("beneficiary.area"))}
</fieldset>
${selectField({ name: "purpose", label: T(req, "Mục đích", "Purpose"), value: v("purpose") || "gift_package", error: err("purpose"), options: purposes.map((p) => ({ value: p, label: PURPOSE_VI[p]! })) })}
${selectField({ name: "method", label: T(req, "Hình thức", "Method"), value: v("method") || "cash", error: err("method"), options: (["cash", "bank", "in_kind"] as const).map((m) => ({ value: m, label: METHOD_VI[m]! })) })}
${input(req, "paidOn", T(req, "Ngày chi", "Date paid"), v("paidOn") || todayVn(), err("paidOn"), { type: "date", required: true, note: dateNote("f-paidOn-note", campaign.note) })}
${input(req, "quantity", T(req, "Số suất / số lượng", "Packages / quantity"), v("quantity"), err("quantity"), { inputmode: "numeric" })}
${input(req, "unit", T(req, "Đơn vị (suất, căn, con…)", "Unit"), v("unit") || "suất", err("unit"), {})}
${input(req, "amountDong", T(req, "Số tiền / giá trị (đồng)", "Amount (đồng)"), v("amountDong"), err("amountDong"), { inputmode: "numeric", required: true })}
${confirm !== null ? amountConfirmation(lang, confirm, await confirmAbove(s.db.knex, sess.user.committeeId)) : ""}
${input(req, "description", T(req, "Diễn giải (không bắt buộc)", "Description (optional)"), v("description"), err("description"), {})}
<button type="submit">${T(req, "Ghi sổ", "Record")}</button></form>`, flash, status);
  };
  // The household picker's search, as one types: JSON for the page's own script (a workspace session only).
  r.get("/households", requireUser(["treasurer"]), async (req, res) => {
    const asked = typeof req.query.q === "string" ? req.query.q.slice(0, 100) : "";
    const found = await q.findHouseholds(sessionOf(res)!.user.committeeId, asked, CATEGORY_VI);
    res.set("Cache-Control", "no-store").json(found.map((h) => ({ ...h, categoryLabel: langOf(req) === "vi" ? CATEGORY_VI[h.category] ?? h.category : h.category })));
  });
  // A result page's address is the post's: reloading it, or switching language there, opens a fresh form.
  r.get("/donations", (_req, res) => res.redirect(303, "/app/donations/new"));
  r.get("/disbursements", (_req, res) => res.redirect(303, "/app/disbursements/new"));
  r.get("/disbursements/new", requireUser(["treasurer"]), (req, res) => disbursementForm(req, res, { campaign: String(req.query.campaign ?? "") }, NONE, null));
  r.post("/disbursements", form, requireUser(["treasurer"]), async (req, res) => {
    checkCsrf(req, res);
    const values = strings(req.body);
    const body = nest(values, []);
    if (!body.quantity) delete body.unit;
    const parsed = disbursementCreate.safeParse(body);
    if (!parsed.success) {
      res.locals.problemCode = "validation_failed";
      return disbursementForm(req, res, values, place(zodErrors(parsed.error, langOf(req)), DISBURSEMENT_FIELDS, DISBURSEMENT_ALIASES), null, 422);
    }
    const unconfirmed = needsConfirmation(values, await confirmAbove(s.db.knex, principal(res).committeeId));
    if (unconfirmed !== null) {
      res.locals.problemCode = "amount_confirmation_required";
      return disbursementForm(req, res, values, NONE, null, 422, unconfirmed);
    }
    try {
      const meta = formMeta(formKey(values._idem), `disbursement ${values.campaign ?? ""}`, parsed.data);
      const w = await s.ledger.recordDisbursement(principal(res), values.campaign ?? "", parsed.data, meta);
      const e = w.entry;
      const flash = html`${T(req, "Đã ghi sổ", "Recorded")} ${e.receiptNumber ?? ""} — ${formatDong(BigInt(parsed.data.amountDong))} đồng (${T(req, "số thứ tự", "sequence")} ${e.sequence}).${e.receiptNumber
        ? html` <a href="/app/payment-vouchers/${e.id}.pdf" data-testid="payment-voucher-link">${T(req, "In phiếu chi", "Print payment voucher")}</a> ·` : ""}
<a href="/app/distributions/list.pdf?${new URLSearchParams({ campaign: values.campaign ?? "", date: e.entryDate }).toString()}" data-testid="sign-list-link">${T(req, `Danh sách ký nhận ngày ${formatDateVi(e.entryDate)}`, `Signing list of ${e.entryDate}`)}</a>`;
      return disbursementForm(req, res, { campaign: values.campaign ?? "", paidOn: values.paidOn ?? "", purpose: values.purpose ?? "", unit: values.unit ?? "" }, NONE, flash, 201);
    } catch (error) {
      if (error instanceof LedgerError) {
        res.locals.problemCode = error.code; // the audit log says why
        return disbursementForm(req, res, values, place(ledgerErrors(error, langOf(req)), DISBURSEMENT_FIELDS, DISBURSEMENT_ALIASES), null, 422);
      }
      throw error;
    }
  });

  // The committee's list of areas: what a disbursement's area is chosen from, and all the public sees of it.
  const areasPage = async (req: Request, res: Response, value: string, error: string | null, flash: Html | null, status = 200) => {
    const sess = sessionOf(res)!;
    const list = await s.ledger.areas(sess.user.committeeId);
    const id = "f-area-name";
    page(req, res, T(req, "Khu phố / ấp", "Areas"), html`<h1>${T(req, "Khu phố / thôn / ấp của ủy ban", "The committee's areas")}</h1>
<p class="muted">${T(req, "Khoản chi chọn khu phố trong danh sách này; tên khu phố được công khai, nên không ghi tên người hay số điện thoại.",
    "A disbursement's area is chosen from this list; area names are public, so no names of people or phone numbers.")}</p>
<ul data-testid="areas">${list.map((a) => html`<li>${a.name}</li>`)}</ul>
${sess.user.role === "treasurer" ? html`<form method="post" action="/app/areas" class="entry" novalidate>
<input type="hidden" name="_csrf" value="${sess.csrfToken}">
<label for="${id}">${T(req, "Thêm khu phố / ấp", "Add an area")}<input id="${id}" name="name" value="${value}" required autocomplete="off"${error ? new Html(` aria-invalid="true" aria-describedby="${id}-error"`) : ""}>
${error ? html`<span class="field-error" id="${id}-error">${error}</span>` : ""}</label>
<button type="submit">${T(req, "Thêm", "Add")}</button></form>` : ""}`, flash, status);
  };
  r.get("/areas", requireUser(), (req, res) => areasPage(req, res, "", null, null));
  r.post("/areas", form, requireUser(["treasurer"]), async (req, res) => {
    checkCsrf(req, res);
    const name = String(req.body.name ?? "").slice(0, 200);
    try {
      const { area, created } = await s.ledger.addArea(principal(res), name);
      return areasPage(req, res, "", null, created ? html`${T(req, "Đã thêm", "Added")} ${area.name}.` : html`${area.name}: ${T(req, "đã có trong danh sách.", "already listed.")}`, created ? 201 : 200);
    } catch (error) {
      if (error instanceof LedgerError) {
        const msg = T(req, "Tên khu phố từ 1 đến 100 ký tự, không chứa số điện thoại, số tài khoản, số giấy tờ hay địa chỉ e-mail.",
          "An area's name has 1 to 100 characters and no phone, account or ID number or e-mail address.");
        return areasPage(req, res, name, msg, null, 422);
      }
      throw error;
    }
  });

  r.get("/receipts/:id.pdf", requireUser(), async (req, res) => {
    const p = principal(res);
    const id = String(req.params.id);
    const e = /^[0-9a-f-]{36}$/.test(id) ? await s.store.findEntry(p.committeeId, id) : null;
    if (!e || e.kind !== "donation" || !e.voucherNo || !e.donation) throw new LedgerError("entry_not_found", `no receipt for entry ${id}`, "id");
    const committee = (await s.store.findCommittee(p.committeeCode))!;
    const income = e.postings.find((x) => x.account.role === "income");
    const names = await q.principalNames(p.committeeId);
    const origin = readConfig().publicUrl || `${req.protocol}://${req.get("host")}`;
    res.type("application/pdf").setHeader("Content-Disposition", `inline; filename="phieu-thu-${e.voucherNo}.pdf"`);
    await renderReceiptPdf({
      committeeName: committee.name, receiptNumber: e.voucherNo, date: e.entryDate, donorName: e.donation.donorName,
      campaignName: (await s.store.findCampaign(p.committeeId, e.campaign!.code))!.name, description: e.description,
      amountDong: -(income?.amountDong ?? 0n), method: e.donation.method, recordedBy: names.get(e.recordedBy) ?? "", sequence: e.seq, hash: e.hash,
      checkUrl: `${origin}/c/${committee.code}/check?receipt=${e.voucherNo}#tra-cuu`, words: await wordVariants(s.db.knex, p.committeeId),
    }, res);
  });

  // ---- approver: the verification queue (screens/queue.ts) and period close
  const periodsPage = async (req: Request, res: Response, flash: Html | null, through: string | null, status = 200) => {
    const sess = sessionOf(res)!;
    const p = principal(res);
    const closes = await s.store.listCloses(p.committeeId);
    const pending = through && isDate(through) ? await s.store.unverifiedThrough(p.committeeId, through, 50) : [];
    page(req, res, T(req, "Khóa sổ", "Period close"), html`<h1>${T(req, "Khóa sổ", "Close the books")}</h1>
<form method="get" action="/app/periods" class="filters"><label>${T(req, "Khóa đến hết ngày", "Close through")}<input type="date" name="through" value="${through ?? ""}" required></label>
<button type="submit">${T(req, "Kiểm tra trước", "Pre-check")}</button></form>
${through && isDate(through) ? (pending.length
    ? html`<div class="errors" role="alert">${T(req, "Còn bút toán chưa duyệt đến ngày này (số thứ tự):", "Unverified entries up to this date (sequence):")} ${pending.map((seq, i) => html`${i ? ", " : ""}<a href="/app/entries/${seq}">${seq}</a>`)}. <a href="/app/queue?to=${through}">${T(req, "Mở hàng chờ", "Open the queue")}</a></div>`
    : html`<p class="ok">${T(req, "Mọi bút toán đến ngày này đã được duyệt.", "Every entry up to this date is verified.")}</p>
<form method="post" action="/app/periods" class="filters" data-once><input type="hidden" name="_csrf" value="${sess.csrfToken}"><input type="hidden" name="_idem" value="${randomUUID()}">
<input type="hidden" name="through" value="${through}"><label>${T(req, "Ghi chú", "Note")}<input name="note" maxlength="500" size="60"></label> <button type="submit">${T(req, "Khóa sổ và ký điểm kiểm tra", "Close and sign a checkpoint")}</button></form>`) : ""}
<h2>${T(req, "Các lần khóa sổ", "Closes")}</h2><table class="list"><thead><tr><th scope="col">#</th><th scope="col">${T(req, "Đến ngày", "Through")}</th><th scope="col">${T(req, "Lúc", "At")}</th><th scope="col">${T(req, "Vị trí sổ", "Chain head")}</th></tr></thead>
<tbody>${closes.map((c) => html`<tr><td>${c.id}</td><td>${formatDateVi(c.throughDate)}</td><td>${formatTimeVi(c.closedAt, langOf(req))}</td><td>${c.headSeq} <code>${c.headHash.slice(0, 12)}…</code></td></tr>`)}</tbody></table>`, flash, status);
  };
  r.get("/periods", requireUser(["approver"]), (req, res) => periodsPage(req, res, null, typeof req.query.through === "string" ? req.query.through : null));
  r.post("/periods", form, requireUser(["approver"]), async (req, res) => {
    checkCsrf(req, res);
    const through = String(req.body.through ?? "");
    const note = String(req.body.note ?? "").trim();
    try {
      const p = principal(res);
      const { close, checkpoint: ckpt } = await s.closeAndSign(p, { through, note: note || undefined }, formMeta(formKey(req.body._idem), `close ${through}`, { note }));
      await periodsPage(req, res, html`${T(req, "Đã khóa sổ đến ngày", "Closed through")} ${formatDateVi(close.through)}; <a href="/api/v1/public/committees/${p.committeeCode}/checkpoints/${ckpt.id}">${T(req, "điểm kiểm tra có chữ ký", "signed checkpoint")} #${ckpt.payload.number ?? ckpt.id}</a>.`, null, 201);
    } catch (error) {
      if (error instanceof LedgerError) return periodsPage(req, res, html`<span class="bad">${message(error, langOf(req))}</span>`, through, 422);
      throw error;
    }
  });

  // ---- auditor and everyone: statements, chain check, audit log, checkpoints
  r.get("/statements", requireUser(), async (req, res) => {
    const p = principal(res);
    const campaigns = await s.store.listCampaigns(p.committeeId);
    const auditorView = p.role === "auditor" || p.role === "approver";
    page(req, res, T(req, "Sao kê", "Statements"), html`<h1>${T(req, "Sao kê theo cuộc vận động", "Campaign statements")}</h1>
${campaigns.map((c) => html`<form method="get" action="/app/statements/${c.code}" class="filters"><strong>${c.name}</strong>
<label>${T(req, "Từ ngày", "From")}<input type="date" name="from"></label><label>${T(req, "Đến ngày", "To")}<input type="date" name="to"></label>
<label>${T(req, "Bản", "Version")}<select name="audience">${auditorView ? html`<option value="auditor">${T(req, "Kiểm toán (đầy đủ)", "Auditor (full)")}</option>` : ""}<option value="public">${T(req, "Công khai (chỉ bút toán đã duyệt)", "Public (verified entries only)")}</option></select></label>
<label>${T(req, "Định dạng", "Format")}<select name="format"><option value="pdf">PDF</option><option value="csv">CSV</option></select></label>
<button type="submit">${T(req, "Tải về", "Download")}</button></form>`)}`);
  });
  // The download itself is the API's statement route, which reads the session for GETs: one
  // builder, one set of headers and one audience rule for both.
  r.get("/statements/:code", requireUser(), async (req, res) => {
    const code = String(req.params.code);
    if (!/^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$/.test(code)) throw new LedgerError("campaign_not_found", `no campaign ${code}`, "code");
    await s.ledger.campaign(principal(res).committeeId, code); // a campaign that is not there is a page not found, not the API's JSON
    const q = new URLSearchParams({ audience: req.query.audience === "auditor" ? "auditor" : "public" });
    if (isDate(req.query.from)) q.set("from", req.query.from);
    if (isDate(req.query.to)) q.set("to", req.query.to);
    res.redirect(303, `/api/v1/campaigns/${code}/statement.${req.query.format === "csv" ? "csv" : "pdf"}?${q}`);
  });
  r.get("/verify", requireUser(["approver", "auditor", "admin"]), async (req, res) => {
    const p = principal(res);
    const rep = await s.verify(p.committeeId);
    page(req, res, T(req, "Kiểm tra chuỗi", "Chain check"), html`<h1>${T(req, "Kiểm tra chuỗi băm", "Hash chain check")}</h1>
<p class="${rep.ok ? "ok" : "bad"}" data-testid="verify-result">${rep.ok ? T(req, `Toàn vẹn: ${count(rep.checked, "vi")} bút toán, mã cuối ${rep.headHash.slice(0, 16)}…`, `Intact: ${count(rep.checked, "en")} entries, head ${rep.headHash.slice(0, 16)}…`)
    : T(req, `Hỏng tại số thứ tự ${rep.firstBrokenSeq ?? "?"}: ${rep.reason}`, `Broken at sequence ${rep.firstBrokenSeq ?? "?"}: ${rep.reason}`)}</p>`);
  });
  r.get("/audit", requireUser(["auditor"]), async (req, res) => {
    const p = principal(res);
    const rows = await listAudit(s.db.knex, p.committeeId, { limit: 200, ...(/^\d+$/.test(String(req.query.after ?? "")) ? { afterId: Number(req.query.after) } : {}) });
    page(req, res, T(req, "Nhật ký", "Audit log"), html`<h1>${T(req, "Nhật ký kiểm tra", "Audit log")}</h1>
${auditTable(langOf(req), rows, await q.principalNames(p.committeeId), (code) => message(new LedgerError(code as LedgerError["code"], code), langOf(req)))}
${rows.length === 200 ? html`<a href="/app/audit?after=${rows.at(-1)!.id}">${T(req, "Trang sau", "Next page")}</a>` : ""}`);
  });
  r.get("/checkpoints", requireUser(), async (req, res) => checkpointsPage(req, res, null));
  const checkpointsPage = async (req: Request, res: Response, flash: Html | null, status = 200) => {
    const sess = sessionOf(res)!;
    const committee = await s.public.committee(sess.user.committeeCode);
    const list = await s.checkpoints().list(committee, 50, null);
    page(req, res, T(req, "Điểm kiểm tra", "Checkpoints"), html`<h1>${T(req, "Điểm kiểm tra có chữ ký", "Signed checkpoints")}</h1>
<p class="muted">${T(req, "Khóa công khai", "Public key")}: <a href="/.well-known/soquy-key?committee=${committee.code}">${s.keys.signerFor(committee.code).info.keyId}</a></p>
${sess.user.role === "approver" ? html`<form method="post" action="/app/checkpoints" data-once><input type="hidden" name="_csrf" value="${sess.csrfToken}"><button type="submit">${T(req, "Ký điểm kiểm tra ngay", "Sign a checkpoint now")}</button></form>` : ""}
<table class="list"><thead><tr><th scope="col">#</th><th scope="col">${T(req, "Lúc", "At")}</th><th scope="col">${T(req, "Lý do", "Reason")}</th><th scope="col">${T(req, "Vị trí sổ", "Chain head")}</th></tr></thead>
<tbody>${list.map((c) => html`<tr><td><a href="/api/v1/public/committees/${committee.code}/checkpoints/${c.id}">${c.payload.number ?? c.id}</a></td><td>${formatTimeVi(c.payload.createdAt, langOf(req))}</td><td>${checkpointReason(c.payload.reason, langOf(req))}</td><td>${c.payload.ledger.sequence}</td></tr>`)}</tbody></table>`, flash, status);
  };
  r.post("/checkpoints", form, requireUser(["approver"]), async (req, res) => {
    checkCsrf(req, res);
    const p = principal(res);
    const c = await s.checkpoints().create(await s.public.committee(p.committeeCode), "on_demand", p.tokenId);
    await checkpointsPage(req, res, html`${T(req, "Đã ký điểm kiểm tra", "Signed checkpoint")} #${c.payload.number ?? c.id}.`, 201);
  });

  // ---- people: users (admin) and API tokens (anyone, no higher than their own role)
  const usersPage = async (req: Request, res: Response, flash: Html | null, status = 200, errors: Placed = NONE, values: Record<string, string> = {}) => {
    const sess = sessionOf(res)!;
    const err = (k: string) => errors.fields.get(k) ?? null;
    const list = await users.list(sess.user.committeeId);
    page(req, res, T(req, "Người dùng", "Users"), html`<h1>${T(req, "Người dùng", "Users")}</h1>
<table class="list"><thead><tr><th scope="col">${T(req, "Tên đăng nhập", "Login")}</th><th scope="col">${T(req, "Họ tên", "Name")}</th><th scope="col">${T(req, "Vai trò", "Role")}</th><th scope="col"></th></tr></thead>
<tbody>${list.map((u) => html`<tr><td>${u.login}</td><td>${u.name}</td><td>${ROLE[langOf(req)][u.role]}</td>
<td>${u.disabled ? T(req, "đã tắt", "disabled") : u.id === sess.user.id ? "" : html`<form method="post" action="/app/users/${u.id}/disable" class="inline" data-once>
<input type="hidden" name="_csrf" value="${sess.csrfToken}"><button type="submit" aria-label="${T(req, "Tắt tài khoản", "Disable")} ${u.login}">${T(req, "Tắt", "Disable")}</button></form>`}</td></tr>`)}</tbody></table>
<h2>${T(req, "Tạo người dùng", "Create a user")}</h2>${errorSummary(langOf(req), errors)}
<form method="post" action="/app/users" class="entry" data-once novalidate><input type="hidden" name="_csrf" value="${sess.csrfToken}">
${input(req, "login", T(req, "Tên đăng nhập (chữ thường, số, . _ -)", "Login (lower-case letters, digits, . _ -)"), values.login ?? "", err("login"), { required: true })}
${input(req, "name", T(req, "Họ tên", "Name"), values.name ?? "", err("name"), { required: true })}
${selectField({ name: "role", label: T(req, "Vai trò", "Role"), value: values.role ?? "", error: err("role"), options: roles.map((x) => ({ value: x, label: ROLE[langOf(req)][x] })) })}
<button type="submit">${T(req, "Tạo", "Create")}</button></form>`, flash, status);
  };
  r.get("/users", requireUser(["admin"]), (req, res) => usersPage(req, res, null));
  r.post("/users/:id/disable", form, requireUser(["admin"]), async (req, res) => {
    checkCsrf(req, res);
    const sess = sessionOf(res)!;
    const id = Number(req.params.id);
    const ok = Number.isSafeInteger(id) && id !== sess.user.id && await users.disable(sess.user.committeeId, id);
    if (!ok) res.locals.problemCode = "not_found";
    await usersPage(req, res, ok ? html`${T(req, "Đã tắt tài khoản; các phiên và khóa API của người này đã bị thu hồi.", "Disabled; their sessions and API tokens are revoked.")}`
      : html`<span class="bad">${T(req, "Không tắt được tài khoản này.", "This account cannot be disabled.")}</span>`, ok ? 200 : 404);
  });
  r.post("/users", form, requireUser(["admin"]), async (req, res) => {
    checkCsrf(req, res);
    const parsed = z.object({ login: z.string().regex(/^[a-z0-9][a-z0-9._-]{2,63}$/), name: z.string().trim().min(1).max(200), role: z.enum(roles) }).safeParse(req.body);
    const values = strings(req.body);
    const USER_HELP: Record<string, [string, string]> = {
      login: ["Tên đăng nhập gồm 3 đến 64 chữ thường không dấu, số, dấu . _ -, bắt đầu bằng chữ hoặc số.", "3 to 64 lower-case letters, digits, . _ -."],
      name: ["Nhập họ tên (tối đa 200 ký tự).", "Enter the name (at most 200 characters)."], role: ["Chọn vai trò.", "Choose a role."],
    };
    if (!parsed.success) {
      const fields = new Map(parsed.error.issues.map((i) => String(i.path[0] ?? "")).filter((f) => f in USER_HELP).map((f) => [f, T(req, ...USER_HELP[f]!)] as [string, string]));
      return usersPage(req, res, null, 422, { fields, general: [] }, values);
    }
    if (await users.byLogin(parsed.data.login)) {
      return usersPage(req, res, null, 409, { fields: new Map([["login", T(req, "Tên đăng nhập này đã có người dùng.", "That login is taken.")]]), general: [] }, values);
    }
    const password = generatePassword();
    await users.create(sessionOf(res)!.user.committeeId, { ...parsed.data, passwordHash: await hashPassword(password) });
    await usersPage(req, res, html`${T(req, "Đã tạo", "Created")} <strong>${parsed.data.login}</strong>. ${T(req, "Mật khẩu (chỉ hiện một lần):", "Password (shown once):")} <span class="secret" data-testid="new-password">${password}</span>`, 201);
  });
  const tokensPage = async (req: Request, res: Response, flash: Html | null, status = 200) => {
    const sess = sessionOf(res)!;
    page(req, res, T(req, "Khóa API", "API tokens"), html`<h1>${T(req, "Khóa API cho phần mềm khác", "API tokens for integrations")}</h1>
<p class="muted">${T(req, "Khóa hành động thay chính bạn và mang đúng vai trò của bạn (quản trị viên chọn thêm được thủ quỹ hoặc kiểm tra viên cho phần mềm tích hợp, vẫn là chính quản trị viên).", "A token acts for you and carries your own role (an admin may also make treasurer or auditor tokens for integrations, which still act as the admin).")}</p>
<form method="post" action="/app/tokens" class="entry" data-once><input type="hidden" name="_csrf" value="${sess.csrfToken}">
<label>${T(req, "Tên gợi nhớ", "Name")}<input name="name" required maxlength="200"></label>
<label>${T(req, "Vai trò", "Role")}<select name="role">${tokenRoles(sess.user.role).map((x) => html`<option value="${x}">${ROLE[langOf(req)][x]}</option>`)}</select></label>
<button type="submit">${T(req, "Tạo khóa", "Create token")}</button></form>`, flash, status);
  };
  r.get("/tokens", requireUser(), (req, res) => tokensPage(req, res, null));
  r.post("/tokens", form, requireUser(), async (req, res) => {
    checkCsrf(req, res);
    const sess = sessionOf(res)!;
    const role = String(req.body.role ?? "") as Role;
    const name = String(req.body.name ?? "").trim().slice(0, 200);
    if (!tokenRoles(sess.user.role).includes(role) || !name) {
      res.locals.problemCode = "forbidden";
      return tokensPage(req, res, html`<span class="bad">${T(req, "Không thể tạo khóa với vai trò này.", "You cannot create a token with this role.")}</span>`, 403);
    }
    const token = await createTokenFor(s, principalOf(sess.user), role, `${name} (${sess.user.login})`, sess.user.id);
    await tokensPage(req, res, html`${T(req, "Khóa mới (chỉ hiện một lần):", "New token (shown once):")} <span class="secret" data-testid="new-token">${token}</span>`, 201);
  });

  bankPages(s, r, page);
  campaignScreens(s, r, page);
  // Screens of their own modules: the verification queue, an entry's page and corrections, a bank import's page.
  queueScreens(s, r, page);
  entryScreens(s, r, page);
  importScreens(s, r, page);
  saokeScreens(s, r, page);
  documentScreens(s, r, page); // phiếu chi, giấy xác nhận, danh sách ký nhận
  // After every screen: an error handler sees only the errors of routes mounted before it.
  resumeScreens(r, page); // the answer to a form sent after its session ended
  r.use(appNotFound(page)); // last: any other address under /app
  return r;
}

/** The session middleware and the workspace's error pages, mounted around the router by app.ts. */
export function workspaceSessions(s: Soquy) {
  return sessionMiddleware(new UserStore(s.db.knex));
}

export function workspaceErrors(error: unknown, req: Request, res: Response, next: (e?: unknown) => void): void {
  if (!req.path.startsWith("/app")) return next(error);
  const lang = langOf(req);
  const session = sessionOf(res);
  if (error instanceof CsrfRefused) {
    res.locals.problemCode = "forbidden";
    res.status(403).type("html").send(appPage({ lang, title: "403", session, path: req.path, body: html`<h1>403</h1><p class="bad">${lang === "vi"
      ? "Biểu mẫu thiếu mã bảo mật hoặc đã cũ: hãy tải lại trang và gửi lại." : error.message}</p>` }));
    return;
  }
  if (error instanceof ForbiddenPage) {
    res.locals.problemCode = "forbidden";
    res.status(403).type("html").send(appPage({ lang, title: "403", session, path: req.path, body: html`<h1>403</h1><p>${lang === "vi" ? "Vai trò của bạn không dùng được trang này." : "Your role cannot use this page."}</p>` }));
    return;
  }
  if (isDatabaseBusy(error)) {
    // The embedded database's one connection is a bank import's: say when to come back, never hang.
    res.locals.problemCode = error.code;
    res.setHeader("Retry-After", String(error.retryAfterSeconds));
    res.status(503).type("html").send(appPage({ lang, title: "503", session, path: req.path, body: html`<h1>${lang === "vi" ? "Đang bận" : "Busy"}</h1><p class="bad" role="alert">${lang === "vi"
      ? `Hệ thống đang ghi sổ một sao kê ngân hàng nên tạm thời chưa xử lý được yêu cầu này. Vui lòng thử lại sau khoảng ${error.retryAfterSeconds} giây.`
      : `The service is busy posting a bank statement import. Please retry in about ${error.retryAfterSeconds} s.`}</p>` }));
    return;
  }
  if (error instanceof LedgerError && error.code.endsWith("not_found")) {
    res.locals.problemCode = error.code;
    res.status(404).type("html").send(appPage({ lang, title: "404", session, path: req.path, body: notFoundBody(lang, req.path) }));
    return;
  }
  next(error);
}

function sessionOf(res: Response): WebSession | null {
  return (res.locals.session as WebSession | undefined) ?? null;
}

function principal(res: Response) {
  return res.locals.principal as import("../ledger/types.js").Principal;
}

function isDate(v: unknown): v is string {
  return typeof v === "string" && /^\d{4}-\d{2}-\d{2}$/.test(v);
}

const MAX_ITEM_ROWS = 100; // the API's own bound on items
/** The row number the page's script replaces when it adds a line without a round trip. */
const ITEM_TEMPLATE_INDEX = 999;

/** How many lines of goods the form shows: those sent (at least one), and one more when asked. */
function itemRowCount(values: Record<string, string>): number {
  let rows = 1;
  for (const k of Object.keys(values)) {
    const m = /^items\[(\d+)\]\./.exec(k);
    if (m) rows = Math.max(rows, Number(m[1]) + 1);
  }
  return Math.min(MAX_ITEM_ROWS, rows + (values._addItem ? 1 : 0));
}

/**
 * The form's lines of goods renumbered without the empty ones (a line with only its valuation basis, which the
 * form fills in, is empty): the API gets a list without holes, and the form shows what it refused by the same numbers.
 */
function compactItems(values: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  const rows = new Map<number, Record<string, string>>();
  for (const [k, v] of Object.entries(values)) {
    const m = /^items\[(\d{1,3})\]\.(\w+)$/.exec(k);
    if (!m) {
      if (!k.startsWith("items[")) out[k] = v;
      continue;
    }
    const row = rows.get(Number(m[1])) ?? {};
    row[m[2]!] = v;
    rows.set(Number(m[1]), row);
  }
  let n = 0;
  for (const [, row] of [...rows].sort((a, b) => a[0] - b[0])) {
    if (!["description", "quantity", "unit", "unitValueDong"].some((f) => (row[f] ?? "").trim() !== "")) continue;
    if (n >= MAX_ITEM_ROWS) break;
    for (const f of ITEM_FIELDS) if (row[f] !== undefined) out[`items[${n}].${f}`] = row[f]!;
    n++;
  }
  return out;
}

/** A quantity as Vietnamese write it (1.000 a thousand, 2,5 two and a half) as the API reads it, or null. */
function quantityTyped(text: string): string | null {
  const t = text.trim().replace(/[\s.]/g, "").replace(",", ".");
  return /^\d{1,15}(\.\d{1,3})?$/.test(t) && Number(t) > 0 ? t : null;
}

/**
 * What the lines of goods are worth (null while a line's quantity or unit value is not a number), and what is wrong
 * with those lines beside their own fields: the form adds up an amount left empty, so it reads the lines before the
 * API's schema would refuse the empty amount. Whether the lines match an amount typed is the ledger's rule
 * (items_value_mismatch), said with both figures.
 */
function itemsTotal(values: Record<string, string>, lang: Lang = "vi"): { totalDong: bigint | null; errors: Errors } {
  const errors: Errors = new Map();
  let total: bigint | null = 0n;
  for (let i = 0; i < itemRowCount(values); i++) {
    if (!ITEM_FIELDS.some((f) => values[`items[${i}].${f}`] !== undefined && f !== "valuationBasis")) continue;
    const quantity = quantityTyped(values[`items[${i}].quantity`] ?? "");
    const unitValue = parseDongTyped(values[`items[${i}].unitValueDong`] ?? "");
    if (quantity === null) errors.set(`items[${i}].quantity`, lang === "vi" ? "Số lượng là số lớn hơn 0, ví dụ 10 hoặc 2,5." : "A quantity above 0, e.g. 10 or 2.5.");
    if (unitValue === null || unitValue <= 0n) errors.set(`items[${i}].unitValueDong`, lang === "vi" ? "Đơn giá là số đồng, ví dụ 250.000." : "A unit value in đồng, e.g. 250.000.");
    total = quantity !== null && unitValue !== null && total !== null ? total + multiplyDong(quantity, unitValue) : null;
  }
  return { totalDong: total, errors };
}

function itemRow(req: Request, i: number, v: (k: string) => string, err: (k: string) => string | null): Html {
  const n = (f: string) => `items[${i}].${f}`;
  return html`<fieldset class="item-row" data-item-row><legend>${say(req, `Dòng hàng ${i + 1}`, `Line ${i + 1}`)}</legend>
${input(req, n("description"), say(req, "Tên hàng", "Goods"), v(n("description")), err(n("description")), {})}
${input(req, n("quantity"), say(req, "Số lượng", "Quantity"), v(n("quantity")), err(n("quantity")), { inputmode: "decimal" })}
${input(req, n("unit"), say(req, "Đơn vị (kg, thùng…)", "Unit"), v(n("unit")), err(n("unit")), {})}
${input(req, n("unitValueDong"), say(req, "Đơn giá (đồng)", "Unit value (đồng)"), v(n("unitValueDong")), err(n("unitValueDong")), { inputmode: "numeric" })}
${input(req, n("valuationBasis"), say(req, "Căn cứ định giá", "Valuation basis"), v(n("valuationBasis")) || DEFAULT_VALUATION, err(n("valuationBasis")), {})}</fieldset>`;
}

function todayVn(): string {
  return new Date(Date.now() + 7 * 3600_000).toISOString().slice(0, 10);
}

function strings(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body ?? {})) if (typeof v === "string") out[k] = v;
  return out;
}

/** Form fields named like API paths ("donor.name", "items[0].quantity") into the API's body; empty fields left out. */
/** A segment of a form field's name: a plain name or a line number, never an object's own machinery. */
const FORM_KEY = /^(?!(?:__proto__|constructor|prototype)$)(?:[A-Za-z][A-Za-z0-9]{0,63}|\d{1,5})$/;

function nest(values: Record<string, string>, booleans: string[]): Record<string, any> {
  const out: Record<string, any> = {};
  for (const [k, raw] of Object.entries(values)) {
    if (k.startsWith("_") || k === "campaign") continue;
    const v = raw.trim();
    if (v === "" && !booleans.includes(k)) continue;
    const path = k.replace(/\[(\d+)\]/g, ".$1").split(".");
    // Only names a form has (donor.name, items[0].quantity): a key such as __proto__.x or constructor.prototype.x
    // would write onto every object of the process. What is left out the API's schema refuses as missing.
    if (!path.every((p) => FORM_KEY.test(p))) continue;
    let o = out;
    for (let i = 0; i < path.length - 1 && o; i++) {
      const key = path[i]!;
      if (!Object.hasOwn(o, key)) o[key] = /^\d+$/.test(path[i + 1]!) ? [] : {};
      o = typeof o[key] === "object" ? o[key] : null;
    }
    if (!o) continue; // donor=x beside donor.name=y: the second has nowhere to go
    o[path.at(-1)!] = booleans.includes(k) ? v === "true" : /quantity$/.test(k) ? quantityTyped(v) ?? v
      : /amountDong$|unitValueDong$/.test(k) ? v.replace(/[.\s]/g, "").replace(/\s*(đồng|đ|₫)$/i, "") : v;
  }
  for (const b of booleans) {
    const path = b.split(".");
    let o = out;
    for (let i = 0; i < path.length - 1 && o; i++) {
      o[path[i]!] ??= {};
      o = typeof o[path[i]!] === "object" ? o[path[i]!] : null;
    }
    if (o) o[path.at(-1)!] ??= false;
  }
  return out;
}

function zodErrors(error: z.ZodError, lang: Lang): Errors {
  const m: Errors = new Map();
  for (const i of error.issues) {
    const field = i.path.map((p, n) => (typeof p === "number" ? `[${p}]` : n === 0 ? String(p) : `.${String(p)}`)).join("");
    if (!m.has(field)) m.set(field, lang === "vi" ? FIELD_VI[i.code] ?? "Không hợp lệ." : i.message);
  }
  return m;
}

/** A refusal by the field it names (none: the form as a whole). */
function ledgerErrors(e: LedgerError, lang: Lang): Errors {
  return new Map([[e.field && !e.field.startsWith("Idempotency") ? e.field : "", message(e, lang)]]);
}

function message(e: LedgerError, lang: Lang): string {
  return refusalText(e, lang);
}

function input(_req: Request, name: string, label: string, value: string, error: string | null,
  o: { type?: string; required?: boolean; inputmode?: string; autofocus?: boolean; note?: Html }): Html {
  const id = `f-${name.replace(/[^A-Za-z0-9]/g, "-")}`;
  const described = [...(error ? [`${id}-error`] : []), ...(o.note ? [`${id}-note`] : [])];
  return html`<label for="${id}">${label}<input id="${id}" name="${name}" value="${value}" type="${o.type ?? "text"}"${o.required ? new Html(" required") : ""}${o.inputmode ? new Html(` inputmode="${o.inputmode}"`) : ""}${o.autofocus && !error ? new Html(" autofocus") : ""}${error ? new Html(' aria-invalid="true"') : ""}${described.length ? new Html(` aria-describedby="${described.join(" ")}"`) : ""} autocomplete="off">
${o.note ?? ""}${error ? html`<span class="field-error" id="${id}-error">${error}</span>` : ""}</label>`;
}

/** The area of a disbursement, chosen from the committee's list. */
function areaSelect(req: Request, listed: string[], value: string, error: string | null): Html {
  const T = (vi: string, en: string) => (langOf(req) === "vi" ? vi : en);
  const id = "f-beneficiary-area";
  const none = listed.length === 0
    ? html`<span class="field-error">${T("Ủy ban chưa có danh sách khu phố / ấp: thủ quỹ thêm ở trang", "The committee has no list of areas yet: add them on")} <a href="/app/areas">${T("Khu phố / ấp", "Areas")}</a>.</span>` : "";
  return html`<label for="${id}">${T("Khu phố / ấp", "Area (khu phố)")}<select id="${id}" name="beneficiary.area" required${error ? new Html(` aria-invalid="true" aria-describedby="${id}-error"`) : ""}>
<option value="">—</option>${listed.map((a) => html`<option value="${a}"${a === value ? new Html(" selected") : ""}>${a}</option>`)}</select>
${error ? html`<span class="field-error" id="${id}-error">${error}</span>` : ""}${none}</label>`;
}

function weeklyChart(rows: { week: string; inDong: bigint; outDong: bigint }[], lang: Lang): Html {
  if (rows.length === 0) return html`<p class="muted">—</p>`;
  const max = rows.reduce((m, r) => (r.inDong > m ? r.inDong : r.outDong > m ? r.outDong : m), 1n);
  const W = 720;
  const H = 200;
  const bw = Math.max(4, Math.floor((W - 40) / rows.length / 2) - 1);
  const h = (v: bigint) => Number((v * BigInt(H - 30)) / max);
  const day = (iso: string) => (lang === "vi" ? formatDateVi(iso) : iso);
  const bars = rows.map((r, i) => {
    const x = 30 + i * (bw * 2 + 2);
    return html`<rect x="${x}" y="${H - 20 - h(r.inDong)}" width="${bw}" height="${h(r.inDong)}" fill="#1f6f43"><title>${day(r.week)}: ${lang === "vi" ? "thu" : "in"} ${formatDong(r.inDong)}</title></rect>
<rect x="${x + bw}" y="${H - 20 - h(r.outDong)}" width="${bw}" height="${h(r.outDong)}" fill="#a4161a"><title>${day(r.week)}: ${lang === "vi" ? "chi" : "out"} ${formatDong(r.outDong)}</title></rect>`;
  });
  return html`<svg class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${lang === "vi" ? "Biểu đồ thu (xanh) và chi (đỏ) theo tuần" : "Money in (green) and out (red) by week"}">
<line x1="28" y1="${H - 20}" x2="${W}" y2="${H - 20}" stroke="#50575e"/>${bars}
<text x="30" y="${H - 4}" font-size="11" fill="#50575e">${day(rows[0]!.week)}</text><text x="${W - 80}" y="${H - 4}" font-size="11" fill="#50575e">${day(rows.at(-1)!.week)}</text>
<text x="30" y="12" font-size="11" fill="#50575e">${lang === "vi" ? "cao nhất" : "max"} ${formatDong(max)} đồng</text></svg>`;
}

export type { UserRow };

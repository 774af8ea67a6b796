import express, { type Request, type Response, type Router } from "express";
import type { Soquy } from "../../context.js";
import { CATEGORY_VI, DISTRIBUTION_LIMIT, Documents, type PlanInput } from "../../documents/service.js";
import { sendConfirmation, sendPaymentVoucher, sendSignList } from "../../documents/send.js";
import { LedgerError } from "../../ledger/codes.js";
import { todayInVietnam } from "../../ledger/dates.js";
import { purposes, type Purpose } from "../../ledger/types.js";
import { statusByCode } from "../../http/problems.js";
import { formatDateVi, formatDong } from "../../../reports/format.js";
import { langOf, type Lang } from "../applayout.js";
import { Html, html } from "../html.js";
import { checkCsrf, requireUser } from "../session.js";
import { count, principalOf, say, sessionOf, type Page } from "./common.js";
import { described, fieldError, selectField } from "./fields.js";
import { PURPOSE } from "./labels.js";
import { refusalText } from "./refusals.js";

// The committee's printed forms in the workspace: the phiếu chi of a cash payment and the giấy xác nhận of a
// donation (linked from the entry's page and from the form that recorded it), and the danh sách ký nhận of a
// distribution — as recorded (the days that had payments, each with its list, whole or by area), or planned
// before the day from the households the treasurer ticks, with the quantity and value each will receive
// (nothing is written). A form that cannot be made says why, in the page's language, with its status.

const PLAN_FIELDS = ["campaign", "date", "purpose", "quantity", "unit", "amountDong", "blankRows", "households"] as const;

export function documentScreens(s: Soquy, r: Router, page: Page): void {
  const documents = () => new Documents(s.store, s.db.knex);
  // A planned list is posted: a ward's few hundred households ticked would not fit in an address.
  const planForm = express.urlencoded({ extended: false, limit: "256kb", parameterLimit: DISTRIBUTION_LIMIT + 50 });

  /** A form that could not be made: its refusal as a page, with the status the API gives it. */
  const refused = (req: Request, res: Response, error: LedgerError, title: [string, string], back: Html) => {
    res.locals.problemCode = error.code;
    page(req, res, say(req, ...title), html`<h1>${say(req, ...title)}</h1><p class="bad" role="alert" data-testid="document-refusal">${documentRefusal(req, error)}</p>
<p>${back}</p>`, null, statusByCode[error.code]);
  };
  const entryBack = (req: Request, id: string) => /^[0-9a-fA-F-]{36}$/.test(id)
    ? html`<a href="/app/entries/${id}">${say(req, "Về trang bút toán", "Back to the entry")}</a>` : html`<a href="/app/entries">${say(req, "Về danh sách bút toán", "Back to the entries")}</a>`;

  r.get("/payment-vouchers/:id.pdf", requireUser(), async (req, res) => {
    const id = String(req.params.id);
    try {
      await sendPaymentVoucher(res, await documents().paymentVoucher(principalOf(res), id));
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      refused(req, res, error, ["Không in được phiếu chi", "No payment voucher"], entryBack(req, id));
    }
  });

  r.get("/confirmations/:id.pdf", requireUser(), async (req, res) => {
    const id = String(req.params.id);
    try {
      await sendConfirmation(res, await documents().confirmation(principalOf(res), id));
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      refused(req, res, error, ["Không cấp được giấy xác nhận", "No confirmation"], entryBack(req, id));
    }
  });

  // The distributions recorded, and the two ways to print a list.
  r.get("/distributions", requireUser(), async (req, res) => {
    const p = principalOf(res);
    const lang = langOf(req);
    const [days, campaigns, areas] = await Promise.all([documents().distributionDays(p), s.store.listCampaigns(p.committeeId), s.ledger.areas(p.committeeId)]);
    const list = (q: Record<string, string>) => `/app/distributions/list.pdf?${new URLSearchParams(q)}`;
    page(req, res, say(req, "Danh sách ký nhận", "Signing lists"), html`<h1>${say(req, "Danh sách ký nhận", "Signing lists")}</h1>
<p class="muted">${say(req, "Mỗi đợt trao là các khoản chi của một cuộc vận động trong một ngày. Trước ngày trao, lập danh sách dự kiến từ các hộ đã được hỗ trợ (không ghi sổ); sau khi ghi sổ các khoản chi, in danh sách từ sổ.",
    "A distribution is a campaign's payments of one day. Before the day, plan a list from households helped before (nothing is recorded); once the payments are recorded, print the list from the books.")}</p>
<p><a href="/app/distributions/plan" data-testid="plan-link">${say(req, "Lập danh sách dự kiến (trước ngày trao)", "Plan a list (before the day)")}</a></p>
<h2>${say(req, "Các đợt đã ghi sổ", "Distributions recorded")}</h2>
${days.length === 0 ? html`<p class="muted">${say(req, "Chưa có khoản chi nào được ghi sổ.", "No payment recorded yet.")}</p>` : html`<div class="scroll"><table class="list" data-testid="distribution-days">
<thead><tr><th scope="col">${say(req, "Ngày — in danh sách", "Day — print the list")}</th><th scope="col">${say(req, "Cuộc vận động", "Campaign")}</th>
<th scope="col" class="num">${say(req, "Số hộ", "Households")}</th><th scope="col" class="num">${say(req, "Số tiền (đồng)", "Amount (đồng)")}</th></tr></thead>
<tbody>${days.map((d) => html`<tr><td><a href="${list({ campaign: d.campaignCode, date: d.date })}" data-testid="day-list">${say(req, `Cả ngày ${formatDateVi(d.date)}`, `Whole day ${d.date}`)}</a>${d.areas.length > 1
    ? html`<ul class="inline-list">${d.areas.map((a) => html`<li><a href="${list({ campaign: d.campaignCode, date: d.date, area: a })}">${a}</a></li>`)}</ul>` : ""}</td>
<td>${d.campaignName} <span class="muted">(${d.campaignCode}) · ${d.purposes.map((x) => purposeLabel(x, lang)).join(", ")}</span></td>
<td class="num">${count(d.households, lang)}</td><td class="num">${formatDong(d.amountDong)}</td></tr>`)}</tbody></table></div>`}
<h2>${say(req, "In danh sách đã ghi sổ của một ngày", "Print a recorded day's list")}</h2>
<form method="get" action="/app/distributions/list.pdf" class="filters">
${selectField({ name: "campaign", label: say(req, "Cuộc vận động", "Campaign"), value: "", error: null, required: true, id: "l-campaign",
    options: campaigns.map((c) => ({ value: c.code, label: `${c.name} (${c.code})` })) })}
<label for="l-date">${say(req, "Ngày trao", "Day")}<input id="l-date" name="date" type="date" required value="${days[0]?.date ?? todayInVietnam()}"></label>
${selectField({ name: "area", label: say(req, "Khu phố / ấp", "Area"), value: "", error: null, id: "l-area", blank: say(req, "Tất cả", "All"),
    options: areas.map((a) => ({ value: a.name, label: a.name })) })}
${selectField({ name: "purpose", label: say(req, "Nội dung", "Purpose"), value: "", error: null, id: "l-purpose", blank: say(req, "Tất cả", "All"),
    options: purposes.map((x) => ({ value: x, label: purposeLabel(x, lang) })) })}
<button type="submit">${say(req, "In danh sách", "Print the list")}</button></form>`);
  });

  r.get("/distributions/list.pdf", requireUser(), async (req, res) => {
    const q = req.query as Record<string, unknown>;
    const text = (k: string) => (typeof q[k] === "string" && (q[k] as string).trim() !== "" ? (q[k] as string).trim() : undefined);
    const purpose = text("purpose");
    try {
      if (purpose !== undefined && !(purposes as readonly string[]).includes(purpose)) throw new LedgerError("validation_failed", "no such purpose", "purpose");
      const d = await documents().recordedSignList(principalOf(res), text("campaign") ?? "", { date: text("date") ?? "", area: text("area"), purpose: purpose as Purpose | undefined });
      await sendSignList(res, d);
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      refused(req, res, error, ["Không in được danh sách ký nhận", "No signing list"],
        html`<a href="/app/distributions">${say(req, "Về trang danh sách ký nhận", "Back to the signing lists")}</a>`);
    }
  });

  // Before the day: the households (of one area, or all) to tick, and what each will receive.
  const planPage = async (req: Request, res: Response, values: Record<string, string>, ticked: Set<number> | null, errors: Map<string, string>, status = 200) => {
    const p = principalOf(res);
    const lang = langOf(req);
    const area = values.area ?? "";
    const [campaigns, areas, households] = await Promise.all([
      s.store.listCampaigns(p.committeeId), s.ledger.areas(p.committeeId), documents().households(p, area || undefined),
    ]);
    const v = (k: string, fallback = "") => values[k] ?? fallback;
    const input = (name: string, label: string, o: { type?: string; inputmode?: string; value: string; hint?: string; required?: boolean }) => {
      const id = `f-${name}`;
      const error = errors.get(name) ?? null;
      return html`<label for="${id}">${label}<input id="${id}" name="${name}" type="${o.type ?? "text"}" value="${o.value}"${o.required ? new Html(" required") : ""}${o.inputmode ? new Html(` inputmode="${o.inputmode}"`) : ""} autocomplete="off"${described(id, error, o.hint ? [`${id}-hint`] : [])}>
${o.hint ? html`<span class="muted" id="${id}-hint">${o.hint}</span>` : ""}${fieldError(id, error)}</label>`;
    };
    const hError = errors.get("households") ?? null;
    const areasOf = [...new Set(households.map((h) => h.area))];
    page(req, res, say(req, "Danh sách ký nhận dự kiến", "Planned signing list"), html`<h1>${say(req, "Lập danh sách ký nhận dự kiến", "Plan a signing list")}</h1>
<p class="muted">${say(req, "Danh sách dự kiến in từ các hộ đã được hỗ trợ trước đây, với số lượng và giá trị mỗi hộ sẽ nhận. Không ghi gì vào sổ: sau ngày trao, ghi từng khoản chi rồi in lại danh sách từ sổ.",
    "A planned list is printed from households helped before, with what each will receive. Nothing is recorded: after the day, record each payment and print the list again from the books.")}</p>
<form method="get" action="/app/distributions/plan" class="filters">
${selectField({ name: "area", label: say(req, "Hộ của khu phố / ấp", "Households of area"), value: area, error: null, id: "p-area", blank: say(req, "Tất cả", "All"),
    options: areas.map((a) => ({ value: a.name, label: a.name })) })}
<button type="submit">${say(req, "Lọc", "Filter")}</button></form>
${errors.size ? html`<div class="errors" role="alert"><p>${say(req, "Hãy sửa các trường được đánh dấu.", "Please correct the marked fields.")}</p></div>` : ""}
<form method="post" action="/app/distributions/plan.pdf" class="entry" novalidate data-testid="plan-form">
<input type="hidden" name="_csrf" value="${sessionOf(res).csrfToken}">
${area ? html`<input type="hidden" name="area" value="${area}">` : ""}
${selectField({ name: "campaign", label: say(req, "Cuộc vận động", "Campaign"), value: v("campaign"), error: errors.get("campaign") ?? null, required: true,
    options: campaigns.map((c) => ({ value: c.code, label: `${c.name} (${c.code})` })) })}
${input("date", say(req, "Ngày trao (dự kiến)", "Day of the distribution"), { type: "date", value: v("date", todayInVietnam()), required: true })}
${selectField({ name: "purpose", label: say(req, "Nội dung", "Purpose"), value: v("purpose", "gift_package"), error: errors.get("purpose") ?? null,
    options: purposes.map((x) => ({ value: x, label: purposeLabel(x, lang) })) })}
${input("quantity", say(req, "Số lượng mỗi hộ", "Quantity per household"), { inputmode: "decimal", value: v("quantity", "1"), required: true })}
${input("unit", say(req, "Đơn vị (suất, phần, kg…)", "Unit"), { value: v("unit", "suất"), required: true })}
${input("amountDong", say(req, "Giá trị mỗi hộ (đồng, không bắt buộc)", "Value per household (đồng, optional)"), { inputmode: "numeric", value: v("amountDong") })}
${input("blankRows", say(req, "Số dòng trống thêm vào cuối", "Empty rows at the end"), { inputmode: "numeric", value: v("blankRows", "5"),
    hint: say(req, "Cho hộ được bổ sung trong ngày trao (ghi tay).", "For households added on the day (written by hand).") })}
<fieldset id="f-households"${hError ? new Html(' aria-describedby="f-households-error"') : ""}><legend>${say(req, `Các hộ (${count(households.length, lang)} hộ đã được hỗ trợ trước đây)`, `Households (${households.length} helped before)`)}</legend>
${fieldError("f-households", hError)}
${households.length === 0 ? html`<p class="muted">${say(req, "Chưa có hộ nào được hỗ trợ trước đây: in danh sách với các dòng trống.", "No household helped before: print the list with empty rows.")}</p>` : ""}
${areasOf.map((a) => html`<fieldset class="households"><legend>${a}</legend>${households.filter((h) => h.area === a).map((h) =>
    html`<label class="check-label"><input type="checkbox" name="h" value="${String(h.id)}"${ticked === null || ticked.has(h.id) ? new Html(" checked") : ""}> ${h.name} · ${CATEGORY_VI[h.category] ?? h.category}</label>`)}</fieldset>`)}
</fieldset>
<button type="submit">${say(req, "In danh sách dự kiến", "Print the planned list")}</button></form>`, null, status);
  };

  r.get("/distributions/plan", requireUser(), (req, res) => planPage(req, res, { area: typeof req.query.area === "string" ? req.query.area : "" }, null, new Map()));

  r.get("/distributions/plan.pdf", (_req, res) => res.redirect(303, "/app/distributions/plan"));
  r.post("/distributions/plan.pdf", planForm, requireUser(), async (req, res) => {
    checkCsrf(req, res);
    const q = req.body as Record<string, unknown>;
    const values: Record<string, string> = {};
    for (const k of [...PLAN_FIELDS, "area"]) if (typeof q[k] === "string") values[k] = (q[k] as string).slice(0, 200);
    const raw = q.h === undefined ? [] : Array.isArray(q.h) ? q.h : [q.h];
    const ids = raw.map((x) => (typeof x === "string" && /^\d{1,15}$/.test(x) ? Number(x) : Number.NaN));
    const blank = (values.blankRows ?? "").trim();
    const plan: PlanInput = {
      date: values.date ?? "", purpose: (values.purpose ?? "gift_package") as Purpose, households: ids.filter((x) => Number.isSafeInteger(x)),
      quantity: values.quantity ?? "", unit: values.unit ?? "", amountDong: values.amountDong,
      blankRows: blank === "" ? 0 : /^\d{1,4}$/.test(blank) ? Number(blank) : -1,
      area: values.area || undefined,
    };
    try {
      if (ids.some((x) => !Number.isSafeInteger(x))) throw new LedgerError("validation_failed", "a household id is a number", "households");
      if (!(purposes as readonly string[]).includes(plan.purpose)) throw new LedgerError("validation_failed", "no such purpose", "purpose");
      await sendSignList(res, await documents().plannedSignList(principalOf(res), values.campaign ?? "", plan));
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      res.locals.problemCode = error.code;
      const field = PLAN_FIELDS.find((f) => f === error.field) ?? (error.field === "code" ? "campaign" : undefined);
      if (field === undefined) return refused(req, res, error, ["Không in được danh sách ký nhận", "No signing list"], html`<a href="/app/distributions/plan">${say(req, "Lập lại danh sách", "Plan again")}</a>`);
      await planPage(req, res, values, new Set(plan.households), new Map([[field, planText(req, error, raw.length > 0)]]), statusByCode[error.code]);
    }
  });
}

/** A purpose as the page's language says it, capitalised: "Trao quà (suất quà)". */
function purposeLabel(p: string, lang: Lang): string {
  const t = PURPOSE[lang][p] ?? p;
  return t.charAt(0).toLocaleUpperCase(lang) + t.slice(1);
}

/** A form's refusal: a day without payments said with its campaign and day, anything else by its code. */
function documentRefusal(req: Request, e: LedgerError): string {
  const f = e.facts;
  if (e.code === "not_found" && f && typeof f.date === "string") {
    const where = f.area ? say(req, ` ở ${f.area}`, ` in ${f.area}`) : "";
    return Number(f.reversed) > 0
      ? say(req, `Các khoản chi của cuộc vận động ${f.campaign} ngày ${formatDateVi(f.date)}${where} đều đã bị đảo: không có gì để ký nhận.`,
        `Every payment of ${f.campaign} on ${f.date}${where} was reversed: nothing to sign for.`)
      : say(req, `Không có khoản chi nào của cuộc vận động ${f.campaign} ngày ${formatDateVi(f.date)}${where}.`, `No payment of ${f.campaign} on ${f.date}${where}.`);
  }
  return refusalText(e, langOf(req));
}

/** A planned list's refusal beside its field. */
function planText(req: Request, e: LedgerError, ticked: boolean): string {
  const BY_FIELD: Record<string, [string, string]> = {
    date: ["Ngày trao không hợp lệ.", "The day is not valid."],
    quantity: ["Số lượng là số lớn hơn 0, ví dụ 1 hoặc 1,5 (tối đa 3 chữ số thập phân).", "A quantity more than 0, e.g. 1 or 1,5."],
    unit: ["Đơn vị từ 1 đến 20 ký tự, ví dụ suất, phần, kg.", "A unit of 1 to 20 characters, e.g. suất, kg."],
    amountDong: ["Giá trị là số nguyên đồng lớn hơn 0, ví dụ 500.000; để trống nếu không ghi giá trị.", "Whole đồng more than 0, or leave it empty."],
    blankRows: ["Số dòng trống từ 0 đến 200.", "0 to 200 empty rows."],
    households: ticked ? ["Có hộ được chọn không thuộc các hộ ủy ban đã hỗ trợ: hãy tải lại trang và chọn lại.", "A household ticked is not one the committee helped: reload and tick again."]
      : ["Hãy chọn ít nhất một hộ, hoặc thêm dòng trống.", "Tick at least one household, or ask for empty rows."],
    campaign: ["Hãy chọn cuộc vận động.", "Choose a campaign."],
  };
  if (e.code === "purpose_not_allowed_for_campaign") return refusalText(e, langOf(req));
  const words = e.field ? BY_FIELD[e.field === "code" ? "campaign" : e.field] : undefined;
  return words ? say(req, ...words) : refusalText(e, langOf(req));
}

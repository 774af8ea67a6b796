import { randomUUID } from "node:crypto";
import express, { type Request, type Response, type Router } from "express";
import { z } from "zod";
import type { Soquy } from "../../context.js";
import { confirmAbove, saveSettings, wordVariants } from "../../db/settings.js";
import { MAX_AMOUNT_DONG } from "../../ledger/money.js";
import { LedgerError } from "../../ledger/codes.js";
import { distributionDeadline, receivingWindow } from "../../ledger/earmarks.js";
import type { CampaignUse } from "../../ledger/store.js";
import { campaignKinds, type Campaign, type Principal } from "../../ledger/types.js";
import { campaignCreate, campaignUpdate } from "../../http/schemas.js";
import { formatDateVi, formatDong } from "../../../reports/format.js";
import { amountInWords, THOUSAND_WORDS, ZERO_TENS_WORDS, type WordVariants } from "../../../reports/words.js";
import { langOf, type Lang } from "../applayout.js";
import { Html, html } from "../html.js";
import { checkCsrf, requireUser, type WebSession } from "../session.js";
import { described, errorSummary, fieldError, fieldId, selectField, windowText } from "./fields.js";
import { place, refusalText, type Placed } from "./refusals.js";
import { CAMPAIGN_KIND } from "./labels.js";
import { formKey, formMeta } from "./common.js";

export { CAMPAIGN_KIND };

// Campaign set-up in the workspace: the committee's campaigns with their receiving windows, a new campaign,
// and what may still change of one (the code never; the name and launch date until something is published
// after it was set up, since signed statements print them; the kind and launch date until entries are
// recorded), each refusal in Vietnamese beside its field. Also the committee's settings: the threshold above
// which an amount asks for confirmation, and how its statements and receipts write amounts in words ("linh" or
// "lẻ", "nghìn" or "ngàn"). The same ledger calls as the API's (POST and PATCH /campaigns).

type Page = (req: Request, res: Response, title: string, body: Html, flash?: Html | string | null, status?: number) => void;

// ---------------------------------------------------------------------------------------------------------
// Labels and messages (Vietnamese first).

/** What a field of the campaign form says when its value is refused before the ledger sees it. */
const FIELD_HELP: Record<string, { vi: string; en: string }> = {
  code: { vi: "Mã gồm chữ không dấu, số, _ và -, tối đa 64 ký tự (ví dụ VNN2027).", en: "Letters, digits, _ and -, at most 64 (e.g. VNN2027)." },
  name: { vi: "Nhập tên cuộc vận động (tối đa 300 ký tự).", en: "Enter the campaign's name (at most 300 characters)." },
  kind: { vi: "Chọn loại cuộc vận động.", en: "Choose the kind of campaign." },
  targetDong: { vi: "Mục tiêu là số nguyên đồng, ví dụ 21.000.000.", en: "Whole đồng, e.g. 21000000." },
  startsOn: { vi: "Chọn ngày phát động.", en: "Choose the launch date." },
  endsOn: { vi: "Ngày kết thúc không hợp lệ.", en: "The end date is not valid." },
  launchDocument: { vi: "Tối đa 500 ký tự.", en: "At most 500 characters." },
  receivingException: { vi: "Lý do ngoại lệ tối đa 500 ký tự.", en: "At most 500 characters." },
  receivingExceptionUntil: { vi: "Ngày nhận cuối không hợp lệ.", en: "The last day is not valid." },
  distributionDays: { vi: "Số ngày từ 0 đến 365.", en: "Days from 0 to 365." },
  confirmAbove: { vi: "Số tiền là số nguyên đồng lớn hơn 0, ví dụ 100.000.000.", en: "Whole đồng above 0, e.g. 100000000." },
  wordsZeroTens: { vi: "Chọn “linh” hoặc “lẻ”.", en: "Choose “linh” or “lẻ”." },
  wordsThousand: { vi: "Chọn “nghìn” hoặc “ngàn”.", en: "Choose “nghìn” or “ngàn”." },
};

/** The amount each choice of words is shown with, so the committee sees what its documents will print. */
const WORDS_EXAMPLE = 1_105_000n;

/** Refusals of the ledger that the form words more precisely than the general tables. */
const LEDGER_HELP: Record<string, { vi: string; en: string }> = {
  "invalid_date endsOn": { vi: "Ngày kết thúc không được trước ngày bắt đầu.", en: "The end date may not be before the start." },
  "invalid_date receivingExceptionUntil": { vi: "Ngày nhận cuối không được trước ngày bắt đầu.", en: "The last day may not be before the start." },
  "validation_failed receivingExceptionUntil": { vi: "Ngày nhận cuối đi kèm ngoại lệ: hãy ghi cả lý do ngoại lệ.", en: "A last day goes with an exception: give its reason too." },
  "campaign_code_taken code": { vi: "Mã này đã dùng cho một cuộc vận động khác của ủy ban.", en: "Another campaign of the committee has this code." },
};

const FIELDS = ["code", "name", "kind", "targetDong", "startsOn", "endsOn", "launchDocument", "receivingException", "receivingExceptionUntil", "distributionDays"] as const;

const W = {
  vi: {
    title: "Cuộc vận động", lead: "Các cuộc vận động của ủy ban, thời gian tiếp nhận và hạn phân phối (Nghị định 93/2021: tiếp nhận tối đa 90 ngày từ khi phát động, phân phối trong 20 ngày sau đó, trừ khi ghi ngoại lệ và lý do).",
    code: "Mã", name: "Tên cuộc vận động", kind: "Loại", starts: "Ngày phát động", ends: "Ngày kết thúc (nếu có)", receives: "Thời gian tiếp nhận",
    target: "Mục tiêu (đồng, nếu có)", launch: "Văn bản phát động (số, ngày)", exception: "Ngoại lệ về thời gian tiếp nhận: lý do (nếu có)",
    until: "Nhận đến hết ngày (theo ngoại lệ)", days: "Số ngày phân phối sau khi hết tiếp nhận", create: "Lập cuộc vận động mới", save: "Lưu", add: "Lập cuộc vận động",
    edit: "Sửa", open: "Xem", record: "Ghi thu", none: "Chưa có cuộc vận động nào.", noEnd: "không có ngày kết thúc", settings: "Cài đặt biểu mẫu của ủy ban",
    confirmAbove: "Hỏi xác nhận khi số tiền trên (đồng)", wordsZeroTens: "Số tiền bằng chữ: số 0 ở hàng chục (105)", wordsThousand: "Số tiền bằng chữ: hàng nghìn (1.000)",
    wordsHelp: "Sổ thu chi quỹ (PDF) và phiếu thu in số tiền bằng chữ theo cách này. Ví dụ:", frozenPublished: "Không đổi được: đã công khai số liệu hoặc ký điểm kiểm tra từ khi lập, và sao kê in tên, ngày phát động.",
    frozenEntries: "Không đổi được: đã có bút toán ghi theo loại và ngày phát động này.", codeFixed: "Mã không đổi được: mã đặt tên cho các tài khoản của cuộc vận động.",
    back: "Về danh sách cuộc vận động", created: "Đã lập cuộc vận động", saved: "Đã lưu cuộc vận động", savedSettings: "Đã lưu cài đặt.",
    untilHelp: "Ngoại lệ kéo dài thời gian tiếp nhận đến ngày này (không có ngày: đến ngày kết thúc); không bao giờ trước ngày phát động.",
    deadline: "Hạn phân phối", exceptionShort: "Ngoại lệ",
  },
  en: {
    title: "Campaigns", lead: "The committee's campaigns, their receiving windows and distribution deadlines (Decree 93/2021: at most 90 days from the launch, distributed within 20 days after, unless an exception and its reason are recorded).",
    code: "Code", name: "Name", kind: "Kind", starts: "Launch date", ends: "End date (if any)", receives: "Receiving window",
    target: "Target (đồng, if any)", launch: "Launch document (number, date)", exception: "Receiving exception: its reason (if any)",
    until: "Receives through (by the exception)", days: "Days to distribute after receiving closes", create: "Set up a new campaign", save: "Save", add: "Set up the campaign",
    edit: "Edit", open: "Open", record: "Record a donation", none: "No campaign yet.", noEnd: "no closing date", settings: "The committee's form settings",
    confirmAbove: "Ask to confirm amounts above (đồng)", wordsZeroTens: "Amounts in words: a zero tens digit (105)", wordsThousand: "Amounts in words: thousands (1.000)",
    wordsHelp: "The statement (PDF) and receipts write amounts in words this way. For example:", frozenPublished: "Fixed: something was published or checkpointed since it was set up, and statements print it.",
    frozenEntries: "Fixed: entries are recorded against this kind and launch date.", codeFixed: "The code never changes: it names the campaign's accounts.",
    back: "Back to the campaigns", created: "Campaign set up", saved: "Campaign saved", savedSettings: "Settings saved.",
    untilHelp: "The exception extends receiving to this day (without one: to the end date); never before the launch.",
    deadline: "Distribution deadline", exceptionShort: "Exception",
  },
} as const;

// ---------------------------------------------------------------------------------------------------------

export function campaignScreens(s: Soquy, r: Router, page: Page): void {
  const form = express.urlencoded({ extended: false, limit: "64kb", parameterLimit: 50 });
  const T = (req: Request) => W[langOf(req)];
  const session = (res: Response) => res.locals.session as WebSession;
  const principal = (res: Response) => res.locals.principal as Principal;
  const canEdit = (res: Response) => ["treasurer", "admin"].includes(session(res).user.role);

  const listPage = async (req: Request, res: Response, values: Record<string, string>, errors: Placed, flash: Html | null, status = 200,
    settingsErrors: Partial<Record<SettingsField, string>> | null = null) => {
    const lang = langOf(req);
    const w = T(req);
    const sess = session(res);
    const campaigns = await s.store.listCampaigns(sess.user.committeeId);
    const threshold = await confirmAbove(s.db.knex, sess.user.committeeId);
    const words = await wordVariants(s.db.knex, sess.user.committeeId);
    // A refused form shows what was sent; otherwise what is kept.
    const shown = (field: SettingsField, kept: string) => (settingsErrors === null ? kept : values[field] ?? "");
    page(req, res, w.title, html`<h1>${w.title}</h1><p class="muted">${w.lead}</p>
${campaigns.length === 0 ? html`<p>${w.none}</p>` : html`<table class="list" data-testid="campaigns"><thead><tr><th scope="col">${w.code}</th><th scope="col">${w.name}</th>
<th scope="col">${w.kind}</th><th scope="col">${w.receives}</th><th scope="col" class="num">${w.target}</th><th scope="col"></th></tr></thead>
<tbody>${campaigns.map((c) => html`<tr data-campaign="${c.code}"><td>${c.code}</td><td>${c.name}</td><td>${CAMPAIGN_KIND[lang][c.kind]}</td>
<td>${windowCell(c, lang)}</td><td class="num">${c.targetDong === null ? "—" : formatDong(c.targetDong)}</td>
<td><a href="/app/campaigns/${c.code}">${canEdit(res) ? w.edit : w.open}<span class="visually-hidden"> ${c.code}</span></a>${sess.user.role === "treasurer"
  ? html` · <a href="/app/donations/new?campaign=${c.code}">${w.record}</a>` : ""}</td></tr>`)}</tbody></table>`}
${canEdit(res) ? html`<h2>${w.create}</h2>${errorSummary(lang, errors)}
<form method="post" action="/app/campaigns" class="entry" data-once novalidate>
<input type="hidden" name="_csrf" value="${sess.csrfToken}"><input type="hidden" name="_idem" value="${values._idem || randomUUID()}">
${campaignFields(lang, values, errors, null)}
<button type="submit">${w.add}</button></form>
<h2>${w.settings}</h2>
<form method="post" action="/app/settings" class="entry" novalidate><input type="hidden" name="_csrf" value="${sess.csrfToken}">
${text("confirmAbove", w.confirmAbove, shown("confirmAbove", formatDong(threshold)), settingsErrors?.confirmAbove ?? null, { inputmode: "numeric" })}
${selectField({ name: "wordsZeroTens", label: w.wordsZeroTens, value: shown("wordsZeroTens", words.zeroTens), error: settingsErrors?.wordsZeroTens ?? null, notes: [fieldId("words-help")],
    options: ZERO_TENS_WORDS.map((v) => ({ value: v, label: `${v} — ${amountInWords(105n, { zeroTens: v, unit: "" }).toLocaleLowerCase("vi")}` })) })}
${selectField({ name: "wordsThousand", label: w.wordsThousand, value: shown("wordsThousand", words.thousand), error: settingsErrors?.wordsThousand ?? null, notes: [fieldId("words-help")],
    options: THOUSAND_WORDS.map((v) => ({ value: v, label: `${v} — ${amountInWords(10_000n, { thousand: v, unit: "" }).toLocaleLowerCase("vi")}` })) })}
<p class="field-note" id="${fieldId("words-help")}" data-testid="words-example">${w.wordsHelp} ${formatDong(WORDS_EXAMPLE)} đồng = ${amountInWords(WORDS_EXAMPLE, words)}.</p>
<button type="submit">${w.save}</button></form>` : ""}`, flash, status);
  };

  const editPage = async (req: Request, res: Response, c: Campaign, values: Record<string, string> | null, errors: Placed, flash: Html | null, status = 200) => {
    const lang = langOf(req);
    const w = T(req);
    const sess = session(res);
    const use = await s.store.campaignUse(c.id);
    // What is frozen shows as it is, whatever a refused form sent.
    const current = valuesOf(c);
    const kept = { ...(use.published ? { name: current.name, startsOn: current.startsOn } : {}), ...(use.hasEntries ? { kind: current.kind, startsOn: current.startsOn } : {}) };
    const shown = values ? { ...values, ...kept } : current;
    page(req, res, `${c.name} — ${w.title}`, html`<p><a href="/app/campaigns">${w.back}</a></p><h1>${c.name} <span class="muted">(${c.code})</span></h1>
<p data-testid="window">${windowText(c, lang)} ${deadlineOnly(c, lang)}</p>
${canEdit(res) ? html`${errorSummary(lang, errors)}<form method="post" action="/app/campaigns/${c.code}" class="entry" data-once novalidate>
<input type="hidden" name="_csrf" value="${sess.csrfToken}"><input type="hidden" name="_idem" value="${randomUUID()}">
${campaignFields(lang, shown, errors, use)}
<button type="submit">${w.save}</button></form>` : html`<dl class="totals">${FIELDS.filter((f) => f !== "code" && shown[f]).map((f) => html`<div><dt>${label(lang, f)}</dt><dd>${f === "kind" ? CAMPAIGN_KIND[lang][shown[f]!] : shown[f]}</dd></div>`)}</dl>`}`,
    flash, status);
  };

  r.get("/campaigns", requireUser(), (req, res) => listPage(req, res, {}, NONE, null));

  r.post("/campaigns", form, requireUser(["treasurer", "admin"]), async (req, res) => {
    checkCsrf(req, res);
    const lang = langOf(req);
    const values = strings(req.body);
    const parsed = campaignCreate.safeParse(createBody(values));
    if (!parsed.success) return refused(res, "validation_failed", () => listPage(req, res, values, zodPlaced(parsed.error, lang), null, 422));
    try {
      const p = principal(res);
      await s.ledger.createCampaign(p, parsed.data, meta(values, "campaign", parsed.data));
      s.public.forgetCampaigns(p.committeeId);
      const c = await s.ledger.campaign(p.committeeId, parsed.data.code);
      const w = T(req);
      return listPage(req, res, {}, NONE, html`${w.created} <strong>${c.name}</strong> (${c.code}). ${windowText(c, lang)}${session(res).user.role === "treasurer"
        ? html` <a href="/app/donations/new?campaign=${c.code}">${w.record}</a>` : ""}`, 201);
    } catch (error) {
      if (error instanceof LedgerError) return refused(res, error.code, () => listPage(req, res, values, ledgerPlaced(error, lang), null, 422));
      throw error;
    }
  });

  // Every field is checked before anything is kept: a refused form changes nothing. A field the form did not send
  // keeps its value (a form from before the words settings still saves its threshold).
  r.post("/settings", form, requireUser(["treasurer", "admin"]), async (req, res) => {
    checkCsrf(req, res);
    const lang = langOf(req);
    const values = strings(req.body);
    const errors: Partial<Record<SettingsField, string>> = {};
    const digits = (values.confirmAbove ?? "").replace(/[.\s]/g, "");
    // The database's own bound on the threshold is the ledger's largest amount (migration 000038's check).
    if (!/^\d{1,16}$/.test(digits) || BigInt(digits) <= 0n || BigInt(digits) > MAX_AMOUNT_DONG) errors.confirmAbove = FIELD_HELP.confirmAbove![lang];
    const zeroTens = chosen(values.wordsZeroTens, ZERO_TENS_WORDS);
    if (zeroTens === null) errors.wordsZeroTens = FIELD_HELP.wordsZeroTens![lang];
    const thousand = chosen(values.wordsThousand, THOUSAND_WORDS);
    if (thousand === null) errors.wordsThousand = FIELD_HELP.wordsThousand![lang];
    if (Object.keys(errors).length > 0) return refused(res, "validation_failed", () => listPage(req, res, values, NONE, null, 422, errors));
    const committeeId = session(res).user.committeeId;
    const kept = await wordVariants(s.db.knex, committeeId);
    const words: WordVariants = { zeroTens: zeroTens ?? kept.zeroTens, thousand: thousand ?? kept.thousand };
    await saveSettings(s.db.knex, committeeId, { confirmAboveDong: BigInt(digits), words });
    return listPage(req, res, {}, NONE, html`${T(req).savedSettings}`);
  });

  r.get("/campaigns/:code", requireUser(), async (req, res) => {
    const c = await s.ledger.campaign(session(res).user.committeeId, String(req.params.code));
    await editPage(req, res, await fresh(s, c), null, NONE, null);
  });

  r.post("/campaigns/:code", form, requireUser(["treasurer", "admin"]), async (req, res) => {
    checkCsrf(req, res);
    const lang = langOf(req);
    const p = principal(res);
    const c = await fresh(s, await s.ledger.campaign(p.committeeId, String(req.params.code)));
    const values = strings(req.body);
    const parsed = campaignUpdate.safeParse(updateBody(values));
    if (!parsed.success) return refused(res, "validation_failed", () => editPage(req, res, c, { ...valuesOf(c), ...values }, zodPlaced(parsed.error, lang), null, 422));
    try {
      await s.ledger.updateCampaign(p, c.code, parsed.data, meta(values, `campaign ${c.code}`, parsed.data));
      s.public.forgetCampaigns(p.committeeId);
      const now = await s.ledger.campaign(p.committeeId, c.code);
      return editPage(req, res, now, null, NONE, html`${T(req).saved}. ${windowText(now, lang)}`);
    } catch (error) {
      if (error instanceof LedgerError) return refused(res, error.code, () => editPage(req, res, c, { ...valuesOf(c), ...values }, ledgerPlaced(error, lang), null, 422));
      throw error;
    }
  });
}

const NONE: Placed = { fields: new Map(), general: [] };

type SettingsField = "confirmAbove" | "wordsZeroTens" | "wordsThousand";

/** One of the words offered, as posted (undefined when the form did not send the field), or null when it is none of them. */
function chosen<W extends string>(value: string | undefined, offered: readonly W[]): W | undefined | null {
  if (value === undefined) return undefined;
  return offered.find((w) => w === value.normalize("NFC").trim()) ?? null;
}

/** A refused form, its result code kept for the audit log. */
function refused<T>(res: Response, code: string, render: () => T): T {
  res.locals.problemCode = code;
  return render();
}

/** The campaign as the database has it now (the ledger's copy may be a second old). */
async function fresh(s: Soquy, c: Campaign): Promise<Campaign> {
  return (await s.store.findCampaign(c.committeeId, c.code)) ?? c;
}

function deadlineOnly(c: Campaign, lang: Lang): string {
  const d = distributionDeadline(c);
  if (d === null) return lang === "vi" ? "Không có hạn phân phối (không có ngày hết tiếp nhận)." : "No distribution deadline (receiving does not close).";
  return lang === "vi" ? `Hạn phân phối: ${formatDateVi(d)} (${c.distributionDays} ngày sau khi hết tiếp nhận).` : `Distribute by ${d} (${c.distributionDays} days after).`;
}

function windowCell(c: Campaign, lang: Lang): Html {
  const w = receivingWindow(c);
  const d = (x: string) => (lang === "vi" ? formatDateVi(x) : x);
  return html`${d(w.opens)} – ${w.closes ? d(w.closes) : W[lang].noEnd}${c.receivingException ? html`<br><span class="muted">${W[lang].exceptionShort}: ${c.receivingException}</span>` : ""}`;
}

function label(lang: Lang, f: (typeof FIELDS)[number]): string {
  const w = W[lang];
  return {
    code: w.code, name: w.name, kind: w.kind, targetDong: w.target, startsOn: w.starts, endsOn: w.ends, launchDocument: w.launch,
    receivingException: w.exception, receivingExceptionUntil: w.until, distributionDays: w.days,
  }[f];
}

/** The campaign form's fields; with `use` (editing), what the campaign's use has frozen is shown but cannot change. */
function campaignFields(lang: Lang, values: Record<string, string>, errors: Placed, use: CampaignUse | null): Html {
  const w = W[lang];
  const v = (k: string) => values[k] ?? "";
  const err = (k: string) => errors.fields.get(k) ?? null;
  const published = use?.published ?? false;
  const entries = use?.hasEntries ?? false;
  const why = (frozen: boolean, published: boolean) => (frozen ? (published ? w.frozenPublished : w.frozenEntries) : null);
  return html`${text("code", w.code, v("code"), err("code"), { required: true, fixed: use ? w.codeFixed : null })}
${text("name", w.name, v("name"), err("name"), { required: true, fixed: why(published, true) })}
${use && entries ? html`${text("kind-shown", w.kind, CAMPAIGN_KIND[lang][v("kind")] ?? v("kind"), null, { fixed: w.frozenEntries })}`
    : selectField({ name: "kind", label: w.kind, value: v("kind") || "for_the_poor", error: err("kind"), options: campaignKinds.map((k) => ({ value: k, label: CAMPAIGN_KIND[lang][k]! })) })}
${text("targetDong", w.target, v("targetDong"), err("targetDong"), { inputmode: "numeric" })}
${text("startsOn", w.starts, v("startsOn"), err("startsOn"), { type: "date", required: true, fixed: why(published || entries, published) })}
${text("endsOn", w.ends, v("endsOn"), err("endsOn"), { type: "date" })}
${text("launchDocument", w.launch, v("launchDocument"), err("launchDocument"), {})}
<fieldset><legend>${w.exceptionShort}</legend>
${area("receivingException", w.exception, v("receivingException"), err("receivingException"))}
${text("receivingExceptionUntil", w.until, v("receivingExceptionUntil"), err("receivingExceptionUntil"), { type: "date", help: w.untilHelp })}
</fieldset>
${text("distributionDays", w.days, v("distributionDays") || "20", err("distributionDays"), { inputmode: "numeric" })}`;
}

function text(name: string, label: string, value: string, error: string | null,
  o: { type?: string; required?: boolean; inputmode?: string; fixed?: string | null; help?: string }): Html {
  const id = fieldId(name);
  const notes = [...(o.fixed ? [`${id}-fixed`] : []), ...(o.help ? [`${id}-help`] : [])];
  return html`<label for="${id}">${label}<input id="${id}" name="${name}" value="${value}" type="${o.type ?? "text"}"${o.required && !o.fixed ? new Html(" required") : ""}${o.inputmode ? new Html(` inputmode="${o.inputmode}"`) : ""}${o.fixed ? new Html(" disabled") : ""}${described(id, error, notes)} autocomplete="off">
${o.fixed ? html`<span class="field-note" id="${id}-fixed">${o.fixed}</span>` : ""}${o.help ? html`<span class="field-note" id="${id}-help">${o.help}</span>` : ""}${fieldError(id, error)}</label>`;
}

function area(name: string, label: string, value: string, error: string | null): Html {
  const id = fieldId(name);
  return html`<label for="${id}">${label}<textarea id="${id}" name="${name}" rows="2" maxlength="500"${described(id, error)}>${value}</textarea>${fieldError(id, error)}</label>`;
}

function valuesOf(c: Campaign): Record<string, string> {
  return {
    code: c.code, name: c.name, kind: c.kind, targetDong: c.targetDong === null ? "" : formatDong(c.targetDong), startsOn: c.startsOn, endsOn: c.endsOn ?? "",
    launchDocument: c.launchDocument ?? "", receivingException: c.receivingException ?? "", receivingExceptionUntil: c.receivingExceptionUntil ?? "",
    distributionDays: String(c.distributionDays),
  };
}

function strings(body: Record<string, unknown>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(body ?? {})) if (typeof v === "string") out[k] = v;
  return out;
}

const digits = (v: string) => v.replace(/[.\s]/g, "");
const days = (v: string) => (/^\d{1,3}$/.test(v.trim()) ? Number(v.trim()) : v.trim());

/** The API's create body from the form: empty fields left out, the target without its thousands separators. */
function createBody(v: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const f of FIELDS) {
    const x = (v[f] ?? "").trim();
    if (x === "") continue;
    out[f] = f === "targetDong" ? digits(x) : f === "distributionDays" ? days(x) : x;
  }
  return out;
}

/** The API's change body from the form: fields the form sent (frozen ones are not sent), an emptied optional field as null. */
function updateBody(v: Record<string, string>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const clearable = new Set(["targetDong", "endsOn", "launchDocument", "receivingException", "receivingExceptionUntil"]);
  for (const f of FIELDS) {
    if (f === "code" || !(f in v)) continue;
    const x = (v[f] ?? "").trim();
    if (x === "") {
      if (clearable.has(f)) out[f] = null;
      continue;
    }
    out[f] = f === "targetDong" ? digits(x) : f === "distributionDays" ? days(x) : x;
  }
  return out;
}

function zodPlaced(error: z.ZodError, lang: Lang): Placed {
  return place(error.issues.map((i) => {
    const field = String(i.path[0] ?? "");
    return [field, FIELD_HELP[field]?.[lang] ?? (lang === "vi" ? "Không hợp lệ." : i.message)] as [string, string];
  }), FIELDS);
}

function ledgerPlaced(e: LedgerError, lang: Lang): Placed {
  const own = LEDGER_HELP[`${e.code} ${e.field ?? ""}`];
  const text = own ? own[lang] : refusalText(e, lang, e.field && e.code !== "campaign_frozen" && FIELD_HELP[e.field] ? FIELD_HELP[e.field] : undefined);
  return place([[e.field ?? "", text]], FIELDS);
}

function meta(values: Record<string, string>, kind: string, body: unknown) {
  return formMeta(formKey(values._idem), kind, body);
}

import { formatDateVi, formatDong } from "../../../reports/format.js";
import { amountInWords } from "../../../reports/words.js";
import { distributionDeadline, receivingWindow } from "../../ledger/earmarks.js";
import type { Campaign } from "../../ledger/types.js";
import type { Lang } from "../applayout.js";
import { Html, html } from "../html.js";
import type { Placed } from "./refusals.js";

// Form parts every workspace form shares: a select or a group of choices that can carry its refusal, the
// summary above a form (which says "correct the marked fields" only when a field is marked), the note
// beside a date field with the campaign's receiving window, and the confirmation a large amount asks for.

const T = (lang: Lang, vi: string, en: string) => (lang === "vi" ? vi : en);

export function fieldId(name: string): string {
  return `f-${name.replace(/[^A-Za-z0-9]/g, "-")}`;
}

/** The attributes of a control with a refusal and notes: aria-invalid, aria-describedby. */
export function described(id: string, error: string | null, notes: string[] = []): Html {
  const ids = [...(error ? [`${id}-error`] : []), ...notes];
  return new Html(`${error ? ' aria-invalid="true"' : ""}${ids.length ? ` aria-describedby="${ids.join(" ")}"` : ""}`);
}

export function fieldError(id: string, error: string | null): Html | "" {
  return error ? html`<span class="field-error" id="${id}-error">${error}</span>` : "";
}

/** Above a form: the refusals that belong to no field, and "correct the marked fields" only when one is marked. */
export function errorSummary(lang: Lang, errors: Placed): Html | "" {
  if (errors.fields.size === 0 && errors.general.length === 0) return "";
  return html`<div class="errors" role="alert">${errors.fields.size ? html`<p>${T(lang, "Hãy sửa các trường được đánh dấu.", "Please correct the marked fields.")}</p>` : ""}
${errors.general.map((g) => html`<p data-testid="form-refusal">${g}</p>`)}</div>`;
}

export interface Option {
  value: string;
  label: string;
  attrs?: Html;
}

/** A select that shows its refusal beside it. */
export function selectField(o: { name: string; label: string; options: Option[]; value: string; error: string | null; required?: boolean; id?: string; notes?: string[]; blank?: string }): Html {
  const id = o.id ?? fieldId(o.name);
  return html`<label for="${id}">${o.label}<select id="${id}" name="${o.name}"${o.required ? new Html(" required") : ""}${described(id, o.error, o.notes)}>
${o.blank !== undefined ? html`<option value="">${o.blank}</option>` : ""}${o.options.map((x) => html`<option value="${x.value}"${x.value === o.value ? new Html(" selected") : ""}${x.attrs ?? ""}>${x.label}</option>`)}</select>
${fieldError(id, o.error)}</label>`;
}

/** Radio choices in a fieldset whose legend carries the refusal. */
export function choiceGroup(o: { name: string; legend: string; options: Option[]; value: string; error: string | null }): Html {
  const id = fieldId(o.name);
  return html`<fieldset id="${id}"${o.error ? new Html(` aria-describedby="${id}-error"`) : ""}><legend>${o.legend}</legend>
${fieldError(id, o.error)}
${o.options.map((x) => html`<label class="check-label"><input type="radio" name="${o.name}" value="${x.value}"${x.value === o.value ? new Html(" checked") : ""}${o.error ? new Html(' aria-invalid="true"') : ""}> ${x.label}</label>`)}</fieldset>`;
}

/** How a campaign's receiving window reads beside a date field. */
export function windowText(c: Campaign, lang: Lang): string {
  const w = receivingWindow(c);
  const vi = (d: string) => formatDateVi(d);
  if (lang === "en") return `Receives from ${w.opens} ${w.closes ? `to ${w.closes}` : "with no closing date"}.`;
  return `Thời gian tiếp nhận: từ ${vi(w.opens)} ${w.closes ? `đến ${vi(w.closes)}` : "(không có ngày kết thúc)"}.`;
}

/** How a campaign's distribution deadline reads beside a payment's date. */
export function deadlineText(c: Campaign, lang: Lang): string {
  const d = distributionDeadline(c);
  const w = receivingWindow(c);
  if (lang === "en") return d ? `Receives ${w.opens} to ${w.closes}; distribute by ${d} (${c.distributionDays} days after).` : "Receiving does not close: no distribution deadline.";
  return d ? `Tiếp nhận từ ${formatDateVi(w.opens)} đến ${formatDateVi(w.closes!)}; hạn phân phối ${formatDateVi(d)} (${c.distributionDays} ngày sau khi hết tiếp nhận).`
    : "Cuộc vận động không có ngày hết tiếp nhận, nên không có hạn phân phối.";
}

/** A campaign choice, carrying the note its date field shows (updated by forms.js when another campaign is chosen). */
export function campaignOption(c: Campaign, note: string): Option {
  return { value: c.code, label: `${c.name} (${c.code})`, attrs: html` data-note="${note}"` };
}

/** The note under a date field, naming the chosen campaign's window (or deadline). */
export function dateNote(id: string, text: string): Html {
  return html`<span class="field-note" id="${id}" data-date-note>${text}</span>`;
}

/**
 * Beside an amount above the committee's threshold: the amount in figures and words, and a box to tick.
 * The box's value is the amount, so a changed amount asks again.
 */
export function amountConfirmation(lang: Lang, amountDong: bigint, threshold: bigint): Html {
  return html`<div class="confirm" role="alert" data-testid="confirm-amount"><p>${T(lang,
    `Số tiền trên ${formatDong(threshold)} đồng: hãy đọc lại trước khi ghi sổ.`, `The amount is above ${formatDong(threshold)} đồng: read it again before recording.`)}</p>
<label class="check-label"><input type="checkbox" name="_confirmAmount" value="${amountDong.toString()}" required>
${T(lang, "Tôi xác nhận số tiền", "I confirm the amount")} <strong>${formatDong(amountDong)} đồng</strong> (${amountInWords(amountDong)}).</label></div>`;
}

/** The digits of an amount a form carried ("150.000.000" → 150000000n), or null. */
export function amountOf(value: string | undefined): bigint | null {
  const digits = (value ?? "").replace(/[.\s]/g, "");
  return /^\d{1,16}$/.test(digits) ? BigInt(digits) : null;
}

/** Whether an amount needs the box ticked that confirms it: above the threshold, and not confirmed as this very amount. */
export function needsConfirmation(values: Record<string, string>, threshold: bigint): bigint | null {
  const amount = amountOf(values.amountDong);
  if (amount === null || amount <= threshold) return null;
  return values._confirmAmount === amount.toString() ? null : amount;
}

export const FORMS_CSS = `
.field-note{color:#50575e;font-size:.85rem}.confirm{border:2px solid #b38f00;background:#fff8d6;border-radius:.35rem;padding:.5rem .8rem}
.confirm p{margin:.2rem 0 .4rem}fieldset>.field-error{display:block}.errors p{margin:.2rem 0}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
`;

/** Keeps a date field's note in step with the campaign chosen above it; puts the cursor in the first field a refusal marked. */
export const FORMS_JS = `
document.addEventListener("DOMContentLoaded", function () {
  var bad = document.querySelector("form [aria-invalid=true]");
  if (bad && bad.focus) bad.focus();
});
document.addEventListener("change", function (e) {
  var t = e.target;
  if (!t || t.name !== "campaign" || !t.form) return;
  var o = t.selectedOptions[0], note = t.form.querySelector("[data-date-note]");
  if (o && note && o.getAttribute("data-note")) note.textContent = o.getAttribute("data-note");
});
`;

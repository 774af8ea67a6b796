import { randomUUID } from "node:crypto";
import { isUuid } from "../../ledger/ids.js";
import express, { type Request, type Response, type Router } from "express";
import type { Soquy } from "../../context.js";
import { CorrectionQueries, type EntryHistory } from "../../db/corrections.js";
import { LedgerError } from "../../ledger/codes.js";
import { todayInVietnam } from "../../ledger/dates.js";
import type { CommittedEntry } from "../../ledger/types.js";
import { formatDateVi, formatDecimalVi, formatDong } from "../../../reports/format.js";
import { langOf } from "../applayout.js";
import { Html, html } from "../html.js";
import { checkCsrf, requireUser } from "../session.js";
import { formKey, formMeta, principalOf, say, sessionOf, type Page } from "./common.js";
import { KIND, METHOD, timeVi } from "./labels.js";
import { correctionText, refusalText } from "./refusals.js";

// An entry's own page: what it records (postings, voucher, donor or household, the bank line it came from),
// its place in the chain (sequence and hashes), who recorded, verified and reversed it, and for a treasurer
// "Đảo bút toán": a reversal with a reason, dated in the open period. Entries are never changed: a wrong one
// is corrected by its reversal, through the same domain call as the API's.

const ENTRIES_PAGE = 100;

interface ReverseForm {
  reason: string;
  entryDate: string;
  idem: string;
  errors: Map<string, string>;
  problem: string | null;
}

export function entryScreens(s: Soquy, r: Router, page: Page): void {
  const reads = new CorrectionQueries(s.db.knex);
  const form = express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 20 });

  /** The entry an address names: its id, or its sequence number. */
  const entryAt = async (res: Response, ref: string): Promise<CommittedEntry | null> => {
    const p = principalOf(res);
    const id = /^\d{1,15}$/.test(ref) ? await reads.idOfSequence(p.committeeId, Number(ref)) : isUuid(ref) ? ref : null;
    return id ? s.store.findEntry(p.committeeId, id) : null;
  };

  const entryPage = async (req: Request, res: Response, e: CommittedEntry, reverse: ReverseForm | null, flash: Html | null, status = 200) => {
    const history = await reads.entryHistory(principalOf(res).committeeId, e);
    const campaign = e.campaign ? await s.store.findCampaignById(e.committeeId, e.campaign.id) : null;
    const canReverse = sessionOf(res).user.role === "treasurer" && e.kind !== "reversal" && history.reversedBy === null;
    const form = canReverse ? reverseForm(req, res, e, history, reverse ?? blankReverse(e, history)) : "";
    page(req, res, `${say(req, "Bút toán số", "Entry")} ${e.seq}`, html`${entryBody(req, e, history, campaign?.name ?? null)}${form}`, flash, status);
  };

  // The committee's entries, newest first: where a treasurer finds the one to correct.
  r.get("/entries", requireUser(), async (req, res) => {
    const p = principalOf(res);
    const campaigns = await s.store.listCampaigns(p.committeeId);
    const q = req.query as Record<string, unknown>;
    const campaign = campaigns.find((c) => c.code === q.campaign);
    const before = /^\d{1,15}$/.test(String(q.before ?? "")) ? Number(q.before) : undefined;
    const go = String(q.so ?? "").trim();
    if (/^\d{1,15}$/.test(go)) return res.redirect(303, `/app/entries/${go}`);
    const rows = await reads.entries(p.committeeId, { campaignId: campaign?.id, beforeSeq: before }, ENTRIES_PAGE);
    const lang = langOf(req);
    page(req, res, say(req, "Bút toán", "Entries"), html`<h1>${say(req, "Các bút toán", "Entries")}</h1>
<form method="get" action="/app/entries" class="filters">
<label for="e-campaign">${say(req, "Cuộc vận động", "Campaign")}<select id="e-campaign" name="campaign"><option value="">${say(req, "Tất cả", "All")}</option>
${campaigns.map((c) => html`<option value="${c.code}"${c.code === campaign?.code ? new Html(" selected") : ""}>${c.name} (${c.code})</option>`)}</select></label>
<button type="submit">${say(req, "Lọc", "Filter")}</button></form>
<form method="get" action="/app/entries" class="filters"><label for="e-so">${say(req, "Mở bút toán số", "Open entry number")}<input id="e-so" name="so" inputmode="numeric" autocomplete="off"></label>
<button type="submit">${say(req, "Mở", "Open")}</button></form>
<div class="scroll"><table class="list" data-testid="entries"><thead><tr><th scope="col">${say(req, "Số", "No.")}</th><th scope="col">${say(req, "Ngày", "Date")}</th>
<th scope="col">${say(req, "Loại", "Kind")}</th><th scope="col">${say(req, "Diễn giải", "Description")}</th><th scope="col" class="num">${say(req, "Số tiền", "Amount")}</th>
<th scope="col">${say(req, "Trạng thái", "State")}</th></tr></thead>
<tbody>${rows.map((e) => html`<tr><td><a href="/app/entries/${e.id}">${e.seq}</a></td><td>${formatDateVi(e.entryDate)}</td>
<td>${KIND[e.kind]?.[lang] ?? e.kind}${e.campaign ? html` <span class="muted">${e.campaign}</span>` : ""}</td><td>${e.description}</td><td class="num">${formatDong(e.amountDong)}</td>
<td>${e.reversed ? say(req, "Đã đảo", "Reversed") : e.verified ? say(req, "Đã duyệt", "Verified") : say(req, "Chờ duyệt", "Waiting")}</td></tr>`)}</tbody></table></div>
${rows.length === ENTRIES_PAGE ? html`<p><a href="/app/entries?${new URLSearchParams({ ...(campaign ? { campaign: campaign.code } : {}), before: String(rows.at(-1)!.seq) }).toString()}">${say(req, "Các bút toán trước đó", "Earlier entries")}</a></p>` : ""}`);
  });

  r.get("/entries/:ref", requireUser(), async (req, res) => {
    const e = await entryAt(res, String(req.params.ref));
    if (!e) return notFound(req, res, page);
    await entryPage(req, res, e, null, null);
  });

  r.post("/entries/:ref/reverse", form, requireUser(["treasurer"]), async (req, res) => {
    checkCsrf(req, res);
    const e = await entryAt(res, String(req.params.ref));
    if (!e) return notFound(req, res, page);
    const values: ReverseForm = {
      reason: String(req.body.reason ?? "").trim(), entryDate: String(req.body.entryDate ?? "").trim(),
      idem: formKey(req.body._idem), errors: new Map(), problem: null,
    };
    if (values.reason.length === 0 || [...values.reason].length > 500) values.errors.set("reason", correctionText("validation_failed", langOf(req)));
    if (!/^\d{4}-\d{2}-\d{2}$/.test(values.entryDate)) values.errors.set("entryDate", correctionText("invalid_date", langOf(req)));
    if (values.errors.size) return entryPage(req, res, e, values, null, 422);
    try {
      const body = { reason: values.reason, entryDate: values.entryDate };
      const meta = formMeta(values.idem, `reverse ${e.id}`, body);
      const w = await s.ledger.reverse(principalOf(res), e.id, body, meta);
      const done = html`${say(req, "Đã ghi bút toán đảo", "Recorded the reversal")} <a href="/app/entries/${w.entry.id}">${say(req, "số", "no.")} ${w.entry.sequence}</a>
${say(req, "ngày", "dated")} ${formatDateVi(w.entry.entryDate)}. ${say(req, "Bút toán đảo cũng chờ người duyệt.", "The reversal waits for verification too.")}`;
      await entryPage(req, res, (await s.store.findEntry(e.committeeId, e.id))!, null, done, 201);
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      res.locals.problemCode = error.code;
      const history = await reads.entryHistory(e.committeeId, e);
      if (error.code === "period_closed" || error.code === "invalid_date") {
        values.errors.set("entryDate", error.code === "period_closed" && history.closedThrough
          ? say(req, `Sổ đã khóa đến hết ngày ${formatDateVi(history.closedThrough)}: ngày đảo phải sau ngày đó.`,
            `The books are closed through ${history.closedThrough}: date the reversal after it.`)
          : correctionText(error.code, langOf(req)));
      } else values.problem = correctionText(error.code, langOf(req));
      await entryPage(req, res, e, values, null, 422);
    }
  });
}

/** What the entry records and everything that happened to it. */
function entryBody(req: Request, e: CommittedEntry, h: EntryHistory, campaignName: string | null): Html {
  const lang = langOf(req);
  const required = e.requiredApprovals;
  const verified = h.verifications.length >= required;
  const state = h.reversedBy
    ? html`<p class="bad" data-testid="entry-state">${say(req, "Đã bị đảo bởi", "Reversed by")} <a href="/app/entries/${h.reversedBy.id}">${say(req, "bút toán số", "entry")} ${h.reversedBy.seq}</a>.</p>`
    : html`<p class="${verified ? "ok" : "muted"}" data-testid="entry-state">${verified ? say(req, "Đã duyệt.", "Verified.")
      : say(req, `Chờ duyệt (${h.verifications.length}/${required} người).`, `Waiting for verification (${h.verifications.length}/${required}).`)}</p>`;
  const row = (label: string, value: Html | string) => html`<div><dt>${label}</dt><dd>${value}</dd></div>`;
  const d = e.donation;
  const b = e.disbursement;
  const events = [
    { at: e.recordedAt, text: say(req, `${h.recordedBy} ghi sổ`, `${h.recordedBy} recorded it`) },
    ...h.verifications.map((v) => ({ at: v.at, text: say(req, `${v.name} duyệt`, `${v.name} verified it`) })),
    ...(h.reversedBy ? [{ at: h.reversedBy.recordedAt, text: say(req, `${h.reversedBy.name} đảo bút toán (bút toán số ${h.reversedBy.seq})`, `${h.reversedBy.name} reversed it (entry ${h.reversedBy.seq})`) }] : []),
    ...(h.bankLine?.released ? [{ at: h.bankLine.released.at, text: say(req, `${h.bankLine.released.name} đảo cả lần nhập sao kê, giải phóng dòng sao kê: ${h.bankLine.released.reason}`,
      `${h.bankLine.released.name} reversed the whole import and released the bank line: ${h.bankLine.released.reason}`) }] : []),
  ].sort((x, y) => x.at.localeCompare(y.at));
  return html`<h1>${say(req, "Bút toán số", "Entry")} ${e.seq} <span class="muted">· ${KIND[e.kind]?.[lang] ?? e.kind}</span></h1>${state}
<dl class="facts">
${row(say(req, "Ngày chứng từ", "Document date"), formatDateVi(e.entryDate))}
${row(say(req, "Ghi sổ lúc", "Recorded at"), `${timeVi(e.recordedAt)} · ${h.recordedBy}`)}
${e.campaign ? row(say(req, "Cuộc vận động", "Campaign"), `${campaignName ?? ""} (${e.campaign.code})`) : ""}
${row(say(req, "Diễn giải", "Description"), e.description)}
${h.reverses ? row(say(req, "Đảo bút toán", "Reverses"), html`<a href="/app/entries/${h.reverses.id}">${say(req, "bút toán số", "entry")} ${h.reverses.seq}</a>`) : ""}
${e.voucherNo ? row(say(req, "Chứng từ", "Voucher"), e.voucherNo.startsWith("PT")
    ? html`${e.voucherNo} · <a href="/app/receipts/${e.id}.pdf">${say(req, "In phiếu thu", "Print receipt")}</a>`
    : html`${e.voucherNo} · <a href="/app/payment-vouchers/${e.id}.pdf" data-testid="payment-voucher-link">${say(req, "In phiếu chi", "Print payment voucher")}</a>`) : ""}
${d ? row(say(req, "Người ủng hộ", "Donor"), `${d.donorName} · ${METHOD[d.method]?.[lang] ?? d.method}${d.publishName ? say(req, " · đồng ý công khai tên", " · name may be published") : ""}${d.bankAccount ? ` · ${say(req, "tài khoản", "account")} ${d.bankAccount}` : ""}${d.bankReference ? ` · ${say(req, "mã giao dịch", "reference")} ${d.bankReference}` : ""}`) : ""}
${d?.note ? row(say(req, "Nội dung chuyển khoản", "Transfer memo"), d.note) : ""}
${b ? row(say(req, "Hộ nhận hỗ trợ", "Household"), `${b.beneficiaryName} · ${b.area}${b.quantity ? ` · ${formatDecimalVi(b.quantity)} ${b.unit ?? ""}` : ""}`) : ""}
${b && e.campaign ? row(say(req, "Danh sách ký nhận", "Signing list"),
    html`<a href="/app/distributions/list.pdf?${new URLSearchParams({ campaign: e.campaign.code, date: e.entryDate }).toString()}" data-testid="sign-list-link">${say(req, `Các khoản chi ngày ${formatDateVi(e.entryDate)}`, `The payments of ${e.entryDate}`)}</a>`) : ""}
${e.items.length ? row(say(req, "Hàng hóa", "Goods"), e.items.map((it) => `${it.description}: ${formatDecimalVi(it.quantity)} ${it.unit} × ${formatDong(it.unitValueDong)} đồng`).join("; ")) : ""}
${d && !h.reversedBy ? row(say(req, "Giấy xác nhận", "Confirmation"),
    html`<a href="/app/confirmations/${e.id}.pdf" data-testid="confirmation-link">${say(req, "In giấy xác nhận cho người ủng hộ", "Print a confirmation for the donor")}</a>`) : ""}
${h.bankLine ? row(say(req, "Sao kê ngân hàng", "Bank statement"), html`<a href="/app/bank-imports/${h.bankLine.importId}">${say(req, "Lần nhập", "Import")} #${h.bankLine.importId}</a>, ${say(req, "dòng", "line")} ${h.bankLine.lineNo}, ${say(req, "tài khoản", "account")} ${h.bankLine.account}${h.bankLine.matched ? say(req, " (khớp với bút toán ghi tay)", " (matched to a hand-recorded transfer)") : ""}${h.bankLine.released ? say(req, " — dòng đã được giải phóng khi đảo cả lần nhập", " — the line was released when the whole import was reversed") : ""}`) : ""}
${e.resolutionRef ? row(say(req, "Căn cứ (nghị quyết)", "Resolution"), e.resolutionRef) : ""}
${row(say(req, "Mã băm (SHA-256)", "Hash (SHA-256)"), html`<code class="hash" data-testid="entry-hash">${e.hash}</code>`)}
${row(say(req, "Mã băm bút toán trước", "Previous entry's hash"), html`<code class="hash">${e.prevHash}</code>`)}
</dl>
<h2>${say(req, "Định khoản", "Postings")}</h2>
<table class="list" data-testid="postings"><thead><tr><th scope="col">${say(req, "Tài khoản", "Account")}</th><th scope="col">${say(req, "Tên tài khoản", "Name")}</th>
<th scope="col" class="num">${say(req, "Nợ", "Debit")}</th><th scope="col" class="num">${say(req, "Có", "Credit")}</th></tr></thead>
<tbody>${e.postings.map((p) => html`<tr><td>${p.account.code}</td><td>${p.account.name}</td><td class="num">${p.amountDong > 0n ? formatDong(p.amountDong) : ""}</td>
<td class="num">${p.amountDong < 0n ? formatDong(-p.amountDong) : ""}</td></tr>`)}</tbody></table>
<h2>${say(req, "Ai đã làm gì", "Who did what")}</h2>
<ol class="history" data-testid="history">${events.map((x) => html`<li>${timeVi(x.at)} — ${x.text}</li>`)}</ol>`;
}

/** The reversal a treasurer fills in: a reason, and a date in the open period (the original's own when its period is open). */
function blankReverse(e: CommittedEntry, h: EntryHistory): ReverseForm {
  const closed = h.closedThrough;
  return { reason: "", entryDate: closed !== null && e.entryDate <= closed ? todayInVietnam() : e.entryDate, idem: randomUUID(), errors: new Map(), problem: null };
}

function reverseForm(req: Request, res: Response, e: CommittedEntry, h: EntryHistory, f: ReverseForm): Html {
  const err = (name: string) => f.errors.get(name) ?? null;
  const input = (name: string, label: string, value: string, type: string, hint: string | null) => {
    const id = `f-${name}`;
    const described = [hint ? `${id}-hint` : "", err(name) ? `${id}-error` : ""].filter(Boolean).join(" ");
    return html`<label for="${id}">${label}<input id="${id}" name="${name}" type="${type}" value="${value}" required autocomplete="off"${err(name) ? new Html(' aria-invalid="true"') : ""}${described ? new Html(` aria-describedby="${described}"`) : ""}>
${hint ? html`<span class="muted" id="${id}-hint">${hint}</span>` : ""}${err(name) ? html`<span class="field-error" id="${id}-error">${err(name)}</span>` : ""}</label>`;
  };
  const closedHint = h.closedThrough && e.entryDate <= h.closedThrough
    ? say(req, `Sổ đã khóa đến hết ngày ${formatDateVi(h.closedThrough)}: bút toán đảo ghi vào kỳ đang mở.`, `The books are closed through ${h.closedThrough}: the reversal goes in the open period.`)
    : say(req, "Mặc định là ngày của bút toán gốc.", "By default the original's date.");
  return html`<h2 id="dao">${say(req, "Đảo bút toán", "Reverse this entry")}</h2>
<p class="muted">${say(req, "Bút toán không bao giờ bị sửa hay xóa: đảo bút toán ghi một bút toán mới với số tiền ngược dấu, cũng phải được duyệt.",
    "Entries are never changed or deleted: a reversal records a new entry with the amounts turned, which is verified too.")}</p>
${f.problem ? html`<div class="errors" role="alert">${f.problem}</div>` : f.errors.size ? html`<div class="errors" role="alert">${say(req, "Hãy sửa các trường được đánh dấu.", "Please correct the marked fields.")}</div>` : ""}
<form method="post" action="/app/entries/${e.id}/reverse" class="entry" data-once novalidate>
<input type="hidden" name="_csrf" value="${sessionOf(res).csrfToken}"><input type="hidden" name="_idem" value="${f.idem}">
${input("reason", say(req, "Lý do đảo", "Reason"), f.reason, "text", null)}
${input("entryDate", say(req, "Ngày ghi bút toán đảo", "Date of the reversal"), f.entryDate, "date", closedHint)}
<button type="submit">${say(req, "Đảo bút toán", "Reverse")}</button></form>`;
}

function notFound(req: Request, res: Response, page: Page): void {
  res.locals.problemCode = "entry_not_found";
  page(req, res, "404", html`<h1>${say(req, "Không có bút toán này", "No such entry")}</h1><p>${refusalText("entry_not_found", langOf(req))}</p>
<p><a href="/app">${say(req, "Về trang tổng quan", "Back to the dashboard")}</a></p>`, null, 404);
}

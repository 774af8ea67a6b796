import { randomUUID } from "node:crypto";
import express, { type Request, type Response, type Router } from "express";
import type { Soquy } from "../../context.js";
import { listImports } from "../../db/bankimports.js";
import { CorrectionQueries, type ImportOverview } from "../../db/corrections.js";
import { LedgerError } from "../../ledger/codes.js";
import { formatDateVi, formatDong } from "../../../reports/format.js";
import { langOf } from "../applayout.js";
import { Html, html } from "../html.js";
import { checkCsrf, requireUser } from "../session.js";
import { count, formKey, formMeta, principalOf, say, sessionOf, type Page } from "./common.js";
import { KIND, timeVi } from "./labels.js";
import { correctionText } from "./refusals.js";

// A bank import's own page (what it read and recorded, its entries, whether it was reversed), "reverse this
// whole import" for a treasurer — one confirmation, one transaction, its lines released so the same file can
// go into the right campaign — and the table of recent imports, which refreshes itself after an upload and
// warns when a file's lines were already recorded in another campaign.

export function importScreens(s: Soquy, r: Router, page: Page): void {
  const reads = new CorrectionQueries(s.db.knex);
  const form = express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 20 });

  const importPage = async (req: Request, res: Response, id: number, reason: { value: string; error: string | null; problem: string | null; idem: string },
    flash: Html | null, status = 200) => {
    const o = await reads.importOverview(principalOf(res).committeeId, id);
    if (!o) return notFound(req, res, page);
    const role = sessionOf(res).user.role;
    const verify = role === "approver" && o.unverified > 0
      ? html`<p><a class="button" href="/app/queue/verify-all?import=${id}">${say(req, "Duyệt lần nhập này…", "Verify this import…")}</a></p>` : "";
    page(req, res, `${say(req, "Lần nhập sao kê", "Bank import")} #${id}`, html`${overview(req, o)}${verify}
${role === "treasurer" && !o.reversal && released(o) > 0 ? reversalForm(req, res, o, reason) : ""}${entriesTable(req, o)}`, flash, status);
  };

  r.get("/bank-imports/recent", requireUser(), async (req, res) => {
    res.set("Cache-Control", "no-store").type("html").send((await recentImports(s, req, principalOf(res).committeeId)).text);
  });

  r.get("/bank-imports/:id", requireUser(), async (req, res, next) => {
    const id = String(req.params.id);
    if (!/^\d{1,15}$/.test(id)) return next();
    await importPage(req, res, Number(id), { value: "", error: null, problem: null, idem: randomUUID() }, null);
  });

  r.post("/bank-imports/:id/reverse", form, requireUser(["treasurer"]), async (req, res) => {
    checkCsrf(req, res);
    const id = String(req.params.id);
    if (!/^\d{1,15}$/.test(id)) return notFound(req, res, page);
    const value = String(req.body.reason ?? "").trim();
    const idem = formKey(req.body._idem);
    const lang = langOf(req);
    if (value.length === 0 || [...value].length > 500) {
      return importPage(req, res, Number(id), { value, error: correctionText("validation_failed", lang), problem: null, idem }, null, 422);
    }
    try {
      const meta = formMeta(idem, `reverse-import ${id}`, { reason: value });
      const { response: x } = await s.ledger.reverseImport(principalOf(res), Number(id), { reason: value }, meta);
      const numbers = x.firstSequence === null ? "" : say(req, ` (số ${x.firstSequence}–${x.lastSequence})`, ` (${x.firstSequence}–${x.lastSequence})`);
      await importPage(req, res, Number(id), { value: "", error: null, problem: null, idem: randomUUID() }, html`<span data-testid="import-reversed">${say(req,
        `Đã đảo lần nhập #${x.import}: ghi ${count(x.reversed, lang)} bút toán đảo${numbers}, giải phóng ${count(x.released, lang)} dòng sao kê.`,
        `Reversed import #${x.import}: ${count(x.reversed, lang)} reversals${numbers}, ${count(x.released, lang)} bank lines released.`)}</span>
${say(req, "Bây giờ có thể nhập lại chính tệp này vào đúng cuộc vận động:", "The same file can now be imported into the right campaign:")} <a href="/app/bank-imports">${say(req, "Nhập sao kê", "Import a statement")}</a>.`, 201);
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      res.locals.problemCode = error.code;
      const field = error.code === "validation_failed" && error.field === "reason";
      await importPage(req, res, Number(id), { value, error: field ? correctionText(error.code, lang) : null, problem: field ? null : correctionText(error.code, lang), idem }, null,
        error.code === "bank_import_not_found" ? 404 : 422);
    }
  });

  r.get("/assets/imports.js", (_req, res) => void res.type("application/javascript").set("Cache-Control", "public, max-age=3600").send(IMPORTS_JS));
}

/** The committee's last imports, each linking to its page; refreshed in place after an upload (imports.js). */
export async function recentImports(s: Soquy, req: Request, committeeId: number): Promise<Html> {
  const rows = await listImports(s.db.knex, committeeId, 20);
  const lang = langOf(req);
  return html`<div class="scroll"><table class="list" id="recent-imports" data-testid="recent-imports"><thead><tr><th scope="col">${say(req, "Lần nhập", "Import")}</th>
<th scope="col">${say(req, "Cuộc vận động", "Campaign")}</th><th scope="col">${say(req, "Tài khoản", "Account")}</th><th scope="col">${say(req, "Kỳ", "Period")}</th>
<th scope="col" class="num">${say(req, "Dòng", "Lines")}</th><th scope="col" class="num">${say(req, "Ghi mới", "Recorded")}</th><th scope="col" class="num">${say(req, "Đã có", "Present")}</th>
<th scope="col" class="num">${say(req, "Khớp", "Matched")}</th><th scope="col" class="num">${say(req, "Cần phân loại", "To classify")}</th><th scope="col">${say(req, "Trạng thái", "State")}</th></tr></thead>
<tbody>${rows.map(({ summary: x, reversed }) => {
    return html`<tr><td><a href="/app/bank-imports/${x.id}">#${x.id}</a></td><td>${x.campaign}</td><td><a href="/app/bank-imports/reconciliation?account=${x.bankAccount}">${x.bankAccount}</a></td>
<td>${x.firstDate ? formatDateVi(x.firstDate) : ""}–${x.lastDate ? formatDateVi(x.lastDate) : ""}</td><td class="num">${count(x.linesRead, lang)}</td><td class="num">${count(x.recorded, lang)}</td>
<td class="num">${count(x.alreadyPresent, lang)}</td><td class="num">${count(x.matched, lang)}</td><td class="num">${count(x.toClassify, lang)}</td>
<td>${reversed ? say(req, "Đã đảo", "Reversed") : x.linesRead > x.alreadyPresent
    ? html`<a href="/app/bank-imports/${x.id}#dao">${say(req, "Xem · đảo…", "Open · reverse…")}</a>` : say(req, "Không ghi dòng mới", "Nothing new")}</td></tr>`;
  })}</tbody></table></div>`;
}

function overview(req: Request, o: ImportOverview): Html {
  const lang = langOf(req);
  const x = o.summary;
  const item = (label: string, value: string | Html, key?: string) => html`<div><dt>${label}</dt><dd${key ? new Html(` data-key="${key}"`) : ""}>${value}</dd></div>`;
  return html`<h1>${say(req, "Lần nhập sao kê", "Bank import")} #${x.id}</h1>
${o.reversal ? html`<p class="bad" data-testid="import-state">${say(req,
    `Đã đảo cả lần nhập lúc ${timeVi(o.reversal.at)}, bởi ${o.reversal.name}: ${o.reversal.reason}. ${count(o.reversal.entries, lang)} bút toán đảo; ${count(o.reversal.released, lang)} dòng sao kê đã được giải phóng để nhập lại.`,
    `The whole import was reversed at ${timeVi(o.reversal.at)} by ${o.reversal.name}: ${o.reversal.reason}. ${count(o.reversal.entries, lang)} reversals; ${count(o.reversal.released, lang)} bank lines released.`)}</p>` : ""}
<dl class="totals">
${item(say(req, "Cuộc vận động", "Campaign"), `${o.campaignName} (${x.campaign})`)}
${item(say(req, "Tài khoản", "Account"), html`<a href="/app/bank-imports/reconciliation?account=${x.bankAccount}">${x.bankAccount}</a>`)}
${item(say(req, "Kỳ sao kê", "Period"), `${x.firstDate ? formatDateVi(x.firstDate) : ""}–${x.lastDate ? formatDateVi(x.lastDate) : ""}`)}
${item(say(req, "Dòng đã đọc", "Lines read"), count(x.linesRead, lang))}
${item(say(req, "Ghi mới", "Recorded"), count(x.recorded, lang), "recorded")}
${item(say(req, "Đã có từ trước", "Already present"), count(x.alreadyPresent, lang))}
${item(say(req, "Khớp với ghi tay", "Matched"), count(x.matched, lang))}
${item(say(req, "Phí ngân hàng", "Bank fees"), count(x.fees, lang))}
${item(say(req, "Cần phân loại", "To classify"), count(x.toClassify, lang))}
${item(say(req, "Chờ duyệt", "Waiting for verification"), count(o.unverified, lang), "unverified")}
${item(say(req, "Người nhập", "Imported by"), `${o.recordedBy} · ${timeVi(x.finishedAt)}`)}
</dl>`;
}

function reversalForm(req: Request, res: Response, o: ImportOverview, f: { value: string; error: string | null; problem: string | null; idem: string }): Html {
  const lang = langOf(req);
  const toReverse = o.entries - o.reversed;
  const id = "f-reason";
  return html`<h2 id="dao">${say(req, "Đảo cả lần nhập", "Reverse the whole import")}</h2>
<p>${say(req, "Dùng khi cả tệp đã được nhập vào nhầm cuộc vận động.", "For a file imported into the wrong campaign.")}
${say(req, `Sẽ ghi ${count(toReverse, lang)} bút toán đảo (mỗi bút toán ghi ngày của bút toán gốc; nếu kỳ đó đã khóa sổ thì ghi ngày hôm nay) và giải phóng ${count(released(o), lang)} dòng sao kê, trong một lần: sau đó có thể nhập lại chính tệp này vào đúng cuộc vận động.`,
    `This records ${count(toReverse, lang)} reversals (each dated as its original, or today when that period is closed) and releases ${count(released(o), lang)} bank lines, all at once: the same file can then be imported into the right campaign.`)}</p>
${o.matched ? html`<p>${say(req, `${count(o.matched, lang)} dòng khớp với bút toán ghi tay được giữ nguyên: nếu các bút toán đó sai, hãy đảo từng bút toán ở trang của nó.`,
    `${count(o.matched, lang)} lines matched to hand-recorded transfers are kept: reverse those entries one by one on their pages if they are wrong.`)}</p>` : ""}
${o.reversed ? html`<p>${say(req, `${count(o.reversed, lang)} bút toán đã được đảo từng cái trước đây, không đảo lại.`, `${count(o.reversed, lang)} entries were reversed one by one before and are not reversed again.`)}</p>` : ""}
${f.problem ? html`<div class="errors" role="alert">${f.problem}</div>` : ""}
<form method="post" action="/app/bank-imports/${o.summary.id}/reverse" class="entry" data-once novalidate>
<input type="hidden" name="_csrf" value="${sessionOf(res).csrfToken}"><input type="hidden" name="_idem" value="${f.idem}">
<label for="${id}">${say(req, "Lý do đảo", "Reason")}<input id="${id}" name="reason" value="${f.value}" required autocomplete="off"${f.error ? new Html(` aria-invalid="true" aria-describedby="${id}-error"`) : ""}>
${f.error ? html`<span class="field-error" id="${id}-error">${f.error}</span>` : ""}</label>
<button type="submit">${say(req, `Đảo cả lần nhập #${o.summary.id} (${count(toReverse, lang)} bút toán)`, `Reverse import #${o.summary.id} (${count(toReverse, lang)} entries)`)}</button></form>`;
}

/** The lines a reversal of the import releases: those it recorded, but not those matched to hand-recorded transfers. */
function released(o: ImportOverview): number {
  return o.summary.linesRead - o.summary.alreadyPresent - o.matched;
}

function entriesTable(req: Request, o: ImportOverview): Html | string {
  if (o.first.length === 0) return "";
  const lang = langOf(req);
  return html`<h2>${say(req, "Các bút toán của lần nhập", "The import's entries")}</h2>
<div class="scroll"><table class="list" data-testid="import-entries"><thead><tr><th scope="col">${say(req, "Số", "No.")}</th><th scope="col">${say(req, "Ngày", "Date")}</th><th scope="col">${say(req, "Loại", "Kind")}</th>
<th scope="col">${say(req, "Diễn giải", "Description")}</th><th scope="col" class="num">${say(req, "Số tiền", "Amount")}</th></tr></thead>
<tbody>${o.first.map((e) => html`<tr><td><a href="/app/entries/${e.id}">${e.seq}</a></td><td>${formatDateVi(e.entryDate)}</td><td>${KIND[e.kind]?.[lang] ?? e.kind}</td>
<td>${e.description}</td><td class="num">${formatDong(e.amountDong)}</td></tr>`)}</tbody></table></div>
${o.entries + o.matched > o.first.length ? html`<p class="muted">${say(req, `Hiện ${count(o.first.length, lang)} bút toán đầu tiên trên ${count(o.entries + o.matched, lang)}.`,
    `The first ${count(o.first.length, lang)} of ${count(o.entries + o.matched, lang)} entries.`)}</p>` : ""}`;
}

function notFound(req: Request, res: Response, page: Page): void {
  res.locals.problemCode = "bank_import_not_found";
  page(req, res, "404", html`<h1>${say(req, "Không có lần nhập sao kê này", "No such bank import")}</h1>
<p><a href="/app">${say(req, "Về trang tổng quan", "Back to the dashboard")}</a></p>`, null, 404);
}

// After an upload (bank.js announces it), the recent imports table is fetched again, and a file whose lines
// another campaign's import recorded already gets a warning naming that import.
const IMPORTS_JS = `
(function () {
  var form = document.getElementById("bank-upload");
  if (!form) return;
  var vi = document.documentElement.lang !== "en";
  var dots = function (n) { return vi ? String(n).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ".") : n.toLocaleString("en-US"); };
  form.addEventListener("soquy:imported", function (ev) {
    var s = ev.detail || {};
    fetch("/app/bank-imports/recent", { credentials: "same-origin" }).then(function (r) { return r.ok ? r.text() : null; }).then(function (t) {
      var old = document.getElementById("recent-imports");
      if (!t || !old) return;
      var box = document.createElement("div"); box.innerHTML = t;
      var fresh = box.querySelector("#recent-imports");
      if (fresh) old.replaceWith(fresh);
    }).catch(function () {});
    var result = document.getElementById("bank-result");
    (s.elsewhere || []).forEach(function (x) {
      var p = document.createElement("div"); p.className = "errors"; p.setAttribute("role", "alert"); p.setAttribute("data-testid", "elsewhere");
      p.appendChild(document.createTextNode(vi
        ? "Chú ý: " + dots(x.lines) + " dòng của tệp này đã được ghi vào cuộc vận động " + x.campaign + " (lần nhập #" + x.importId + "), nên không được ghi lại vào cuộc vận động này. Nếu lần nhập đó nhầm cuộc vận động, hãy đảo lần nhập đó rồi nhập lại tệp. "
        : "Note: " + dots(x.lines) + " lines of this file are already recorded in campaign " + x.campaign + " (import #" + x.importId + "), so they were not recorded again here. If that import went to the wrong campaign, reverse it and import the file again. "));
      var a = document.createElement("a"); a.href = "/app/bank-imports/" + x.importId + "#dao";
      a.textContent = vi ? "Mở lần nhập #" + x.importId : "Open import #" + x.importId;
      p.appendChild(a);
      result.appendChild(p);
    });
  });
})();
`;

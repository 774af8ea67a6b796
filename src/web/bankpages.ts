import { isUuid } from "../ledger/ids.js";
import { randomUUID } from "node:crypto";
import type { Request, Response, Router } from "express";
import type { Soquy } from "../context.js";
import { bankAccounts, parseOpeningDong } from "../db/bankimports.js";
import { recentImports } from "./screens/imports.js";
import { reconcile } from "../db/reconcile.js";
import { LedgerError } from "../ledger/codes.js";
import { MAX_STATEMENT_BYTES, spoolUpload } from "../imports/upload.js";
import { readConfig } from "../config.js";
import { formatDateVi, formatDong } from "../../reports/format.js";
import { langOf } from "./applayout.js";
import { count } from "./screens/common.js";
import { refusalText } from "./screens/refusals.js";
import { Html, html } from "./html.js";
import { checkCsrf, requireUser, type WebSession } from "./session.js";

// Bank statements in the workspace: upload the file the bank exported (CSV or
// .xlsx) with a live progress bar — the upload's own bytes, then the import's
// lines as the server reads and posts them — then the reconciliation view and
// the debits left to classify. The import is the same call as the API's, run as a
// job kept in PostgreSQL (src/db/importjobs.ts), so the page's polls may reach any
// process, and an import whose process stopped is reported failed with nothing written.

const XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

type Page = (req: Request, res: Response, title: string, body: Html, flash?: Html | string | null, status?: number) => void;

export function bankPages(s: Soquy, r: Router, page: Page): void {
  const T = (req: Request, vi: string, en: string) => (langOf(req) === "vi" ? vi : en);

  r.get("/bank-imports", requireUser(["treasurer"]), async (req, res) => {
    const sess = res.locals.session as WebSession;
    const committeeId = sess.user.committeeId;
    const campaigns = await s.store.listCampaigns(committeeId);
    const accounts = await bankAccounts(s.db.knex, committeeId);
    const saved = accounts.filter((a) => a.layout).map((a) => String((a.layout as { name?: string }).name ?? "")).filter(Boolean);
    page(req, res, T(req, "Sao kê ngân hàng", "Bank statements"), html`<h1>${T(req, "Nhập sao kê ngân hàng", "Import a bank statement")}</h1>
<p class="muted">${T(req, "Tải lên đúng tệp ngân hàng xuất (CSV hoặc Excel .xlsx). Mỗi giao dịch chỉ được ghi một lần, kể cả khi tải lại hoặc các sao kê trùng ngày; số dư in trên sao kê phải khớp, nếu không sẽ không ghi gì.",
      "Upload the file as the bank exported it (CSV or Excel .xlsx). Each transfer is recorded once, even when a file is uploaded again or statements overlap; every printed balance must add up, or nothing is written.")}</p>
<form id="bank-upload" class="entry" data-csrf="${sess.csrfToken}">
<label>${T(req, "Cuộc vận động", "Campaign")}<select name="campaign" required>${campaigns.map((c) => html`<option value="${c.code}">${c.name} (${c.code})</option>`)}</select></label>
<label>${T(req, "Số tài khoản ngân hàng", "Bank account number")}<input name="bankAccount" required list="bank-accounts" autocomplete="off" inputmode="numeric">
<datalist id="bank-accounts">${accounts.map((a) => html`<option value="${a.accountNo}">`)}</datalist></label>
<label>${T(req, "Mẫu sao kê", "Statement layout")}<select name="layout">
<option value="vcb">Vietcombank</option><option value="agribank">Agribank</option><option value="vietinbank">VietinBank</option>
${saved.map((n) => html`<option value="${n}">${n}</option>`)}</select></label>
<label>${T(req, "Số dư đầu kỳ (đồng, nếu biết)", "Opening balance (đồng, if known)")}<input name="openingBalance" inputmode="numeric" autocomplete="off"></label>
<label>${T(req, "Tệp sao kê", "Statement file")}<input type="file" name="file" accept=".csv,.xlsx,text/csv,${XLSX}" required></label>
<button type="submit">${T(req, "Tải lên và nhập", "Upload and import")}</button>
<div id="bank-progress" hidden>
<label>${T(req, "Tải lên", "Upload")} <progress id="upload-bar" max="100" value="0"></progress></label>
<label>${T(req, "Đọc và ghi sổ", "Reading and posting")} <progress id="import-bar" max="100"></progress></label>
<p id="import-status" role="status" aria-live="polite"></p></div>
<div id="bank-result" data-testid="bank-result"></div>
</form>
<h2>${T(req, "Đối chiếu tài khoản", "Reconcile an account")}</h2>
<form method="get" action="/app/bank-imports/reconciliation" class="filters">
<label>${T(req, "Số tài khoản", "Account")}<input name="account" required list="bank-accounts"></label>
<label>${T(req, "Từ ngày", "From")}<input type="date" name="from"></label><label>${T(req, "Đến ngày", "To")}<input type="date" name="to"></label>
<button type="submit">${T(req, "Đối chiếu", "Reconcile")}</button></form>
<h2>${T(req, "Các lần nhập gần đây", "Recent imports")}</h2>
${await recentImports(s, req, committeeId)}
<script src="/app/assets/bank.js" defer></script><script src="/app/assets/imports.js" defer></script>`);
  });

  r.get("/assets/bank.js", (_req, res) => void res.type("application/javascript").set("Cache-Control", "public, max-age=3600").send(BANK_JS));

  // The file arrives as the request body (no multipart parsing); the page polls the job meanwhile.
  r.post("/bank-imports/upload", requireUser(["treasurer"]), async (req, res) => {
    checkCsrf(req, res);
    const sess = res.locals.session as WebSession;
    const q = req.query as Record<string, string | undefined>;
    const jobId = isUuid(q.job) ? q.job.toLowerCase() : randomUUID();
    try {
      const summary = await s.importJobs.track({
        id: jobId, committeeId: sess.user.committeeId, startedBy: sess.user.principalId, campaign: String(q.campaign ?? ""), bankAccount: String(q.bankAccount ?? ""),
      }, async (job) => {
        const campaign = await s.ledger.campaign(sess.user.committeeId, String(q.campaign ?? ""));
        const upload = await spoolUpload(req, MAX_STATEMENT_BYTES, readConfig().uploadIdleMs);
        try {
          return await job.importStatement({
            committee: { id: sess.user.committeeId, code: sess.user.committeeCode }, campaign, bankAccountNo: String(q.bankAccount ?? ""),
            layout: String(q.layout ?? ""), recordedBy: sess.user.principalId, input: upload.open(), format: req.is(XLSX) ? "xlsx" : "csv",
            openingDong: q.openingBalance ? parseOpeningDong(q.openingBalance.replace(/[.\s]/g, "")) : null,
          }, upload.bytes);
        } finally {
          upload.remove();
        }
      });
      s.saoke.poke(); // a published campaign's sao kê shows the new lines
      res.status(201).json({ job: jobId, summary });
    } catch (error) {
      if (!(error instanceof LedgerError) || error.code === "database_busy") throw error;
      // text: the refusal in the page's language, with its line number and dates, for the page to show.
      const detail = { code: error.code, message: error.message, field: error.field, text: refusalText(error, langOf(req)) };
      res.locals.problemCode = error.code;
      res.status(error.code === "import_interrupted" ? 503 : 422).json({ job: jobId, error: detail });
    }
  });
  // Any process answers: the job is read from the database.
  r.get("/bank-imports/progress/:job", requireUser(["treasurer"]), async (req, res) => {
    const sess = res.locals.session as WebSession;
    const id = String(req.params.job);
    const job = isUuid(id) ? await s.importJobs.read(sess.user.committeeId, id) : null;
    if (!job) return void res.status(404).json({ phase: "unknown" });
    const phase = job.state === "done" || job.state === "failed" ? job.state : job.phase;
    res.set("Cache-Control", "no-store").json({ phase, done: job.linesDone, total: job.linesTotal, summary: job.summary, error: job.error });
  });

  r.get("/bank-imports/reconciliation", requireUser(), async (req, res) => {
    const sess = res.locals.session as WebSession;
    const q = req.query as Record<string, string | undefined>;
    const isDate = (v: string | undefined) => (v && /^\d{4}-\d{2}-\d{2}$/.test(v) ? v : undefined);
    let body: Html;
    try {
      const rec = await reconcile(s.db.knex, sess.user.committeeId, String(q.account ?? ""), { from: isDate(q.from), to: isDate(q.to) });
      const money = (v: string | null) => (v === null ? "—" : `${formatDong(BigInt(v))} đồng`);
      const toClassify = rec.onlyInBank.filter((l) => l.kind === "to_classify");
      body = html`<h1>${T(req, "Đối chiếu tài khoản", "Reconciliation of account")} ${rec.bankAccount}</h1>
<p><a href="/api/v1/bank-accounts/${rec.bankAccount}/reconciliation.csv${q.from || q.to ? `?${new URLSearchParams({ ...(isDate(q.from) ? { from: q.from! } : {}), ...(isDate(q.to) ? { to: q.to! } : {}) })}` : ""}">${T(req, "Tải CSV", "Download CSV")}</a></p>
<dl class="totals"><div><dt>${T(req, "Số dư theo ngân hàng", "Bank balance")}</dt><dd data-testid="bank-balance">${money(rec.bankBalanceDong)}</dd></div>
<div><dt>${T(req, "Số dư theo sổ", "Ledger balance")}</dt><dd data-testid="ledger-balance">${money(rec.ledgerBalanceDong)}</dd></div>
<div><dt>${T(req, "Chênh lệch", "Difference")}</dt><dd>${money(rec.differenceDong)}</dd></div>
<div><dt>${T(req, "Ghi từ sao kê", "Recorded from statements")}</dt><dd>${count(rec.recordedByImport, langOf(req))}</dd></div></dl>
<h2>${T(req, "Khớp với bút toán ghi tay", "Matched to hand-recorded transfers")} (${rec.matched.length})</h2>
<table class="list" data-testid="matched"><thead><tr><th scope="col">${T(req, "Ngày", "Date")}</th><th scope="col">${T(req, "Số CT", "Doc no.")}</th><th scope="col">${T(req, "Người ủng hộ", "Donor")}</th><th scope="col">${T(req, "Bút toán", "Entry")}</th><th scope="col" class="num">${T(req, "Số tiền", "Amount")}</th></tr></thead>
<tbody>${rec.matched.map((m) => html`<tr><td>${formatDateVi(m.date)}</td><td>${m.docRef}</td><td>${m.donorName}</td><td><a href="/app/entries/${m.entryId}">${m.entrySeq}</a></td><td class="num">${formatDong(BigInt(m.amountDong))}</td></tr>`)}</tbody></table>
<h2>${T(req, "Chỉ có trên sao kê — cần phân loại", "Only in the bank — to classify")} (${toClassify.length})</h2>
<p class="muted">${T(req, "Các khoản chi này không được tự ghi thành khoản hỗ trợ: thủ quỹ phân loại và ghi bút toán tương ứng.", "These debits are never guessed into disbursements: the treasurer classifies them and records the matching entry.")}</p>
<table class="list" data-testid="to-classify"><thead><tr><th scope="col">${T(req, "Dòng", "Line")}</th><th scope="col">${T(req, "Ngày", "Date")}</th><th scope="col">${T(req, "Nội dung", "Memo")}</th><th scope="col" class="num">${T(req, "Số tiền", "Amount")}</th></tr></thead>
<tbody>${toClassify.map((l) => html`<tr><td>${l.lineNo}</td><td>${formatDateVi(l.date)}</td><td>${l.memo}</td><td class="num">${l.direction === "D" ? "−" : ""}${formatDong(BigInt(l.amountDong))}</td></tr>`)}</tbody></table>
<h2>${T(req, "Chỉ có trong sổ", "Only in the ledger")} (${rec.onlyInLedger.length})</h2>
<table class="list" data-testid="only-ledger"><thead><tr><th scope="col">${T(req, "Ngày", "Date")}</th><th scope="col">${T(req, "Mã GD", "Reference")}</th><th scope="col">${T(req, "Người ủng hộ", "Donor")}</th><th scope="col" class="num">${T(req, "Số tiền", "Amount")}</th></tr></thead>
<tbody>${rec.onlyInLedger.map((l) => html`<tr><td><a href="/app/entries/${l.entryId}">${formatDateVi(l.date)}</a></td><td>${l.bankReference ?? ""}</td><td>${l.donorName}</td><td class="num">${formatDong(BigInt(l.amountDong))}</td></tr>`)}</tbody></table>
${rec.truncated ? html`<p class="muted">${T(req, "Danh sách đã cắt bớt; tải CSV để xem đủ.", "Lists cut short; the CSV has everything.")}</p>` : ""}`;
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      body = html`<h1>${T(req, "Đối chiếu tài khoản", "Reconciliation")}</h1><p class="bad">${refusalText(error, langOf(req))}</p>`;
      res.status(422);
    }
    page(req, res, T(req, "Đối chiếu", "Reconciliation"), body, null, res.statusCode);
  });
}

const BANK_JS = `
(function () {
  var form = document.getElementById("bank-upload");
  if (!form) return;
  var vi = document.documentElement.lang !== "en";
  // Counts as the page's language writes them: 5.000 in Vietnamese, 5,000 in English.
  var num = function (n) { return typeof n === "number" ? String(n).replace(/\\B(?=(\\d{3})+(?!\\d))/g, vi ? "." : ",") : String(n); };
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    var file = form.elements.file.files[0];
    if (!file) return;
    // A version 4 UUID from getRandomValues, which (unlike randomUUID) works over plain HTTP on a LAN too.
    var r16 = crypto.getRandomValues(new Uint8Array(16)); r16[6] = (r16[6] & 15) | 64; r16[8] = (r16[8] & 63) | 128;
    var hex = Array.prototype.map.call(r16, function (b) { return (b + 256).toString(16).slice(1); }).join("");
    var job = hex.slice(0, 8) + "-" + hex.slice(8, 12) + "-" + hex.slice(12, 16) + "-" + hex.slice(16, 20) + "-" + hex.slice(20);
    var q = new URLSearchParams({ job: job, campaign: form.elements.campaign.value, bankAccount: form.elements.bankAccount.value,
      layout: form.elements.layout.value });
    if (form.elements.openingBalance.value) q.set("openingBalance", form.elements.openingBalance.value);
    var box = document.getElementById("bank-progress"), up = document.getElementById("upload-bar"), imp = document.getElementById("import-bar");
    var status = document.getElementById("import-status"), result = document.getElementById("bank-result");
    box.hidden = false; result.textContent = ""; imp.removeAttribute("value");
    form.querySelector("button[type=submit]").disabled = true;
    var finished = false, lost = false;
    var busyText = function (seconds) {
      return vi ? "Máy chủ đang bận ghi sổ, còn khoảng " + seconds + " giây." : "The server is busy posting, about " + seconds + " s to go.";
    };
    var showSummary = function (s) {
      imp.max = 1; imp.value = 1;
      status.textContent = vi ? "Đã nhập xong." : "Imported.";
      result.innerHTML = "";
      var dl = document.createElement("dl"); dl.className = "totals";
      [[vi ? "Dòng đã đọc" : "Lines read", s.linesRead], [vi ? "Ghi mới" : "Recorded", s.recorded], [vi ? "Đã có từ trước" : "Already present", s.alreadyPresent],
       [vi ? "Khớp với ghi tay" : "Matched", s.matched], [vi ? "Phí ngân hàng" : "Bank fees", s.fees], [vi ? "Cần phân loại" : "To classify", s.toClassify],
       [vi ? "Số dư đã kiểm" : "Balances checked", s.balanceChecks]].forEach(function (kv) {
        var d = document.createElement("div"), t = document.createElement("dt"), v = document.createElement("dd");
        t.textContent = kv[0]; v.textContent = num(kv[1]); v.setAttribute("data-key", kv[0]); d.appendChild(t); d.appendChild(v); dl.appendChild(d);
      });
      result.appendChild(dl);
      var a = document.createElement("a"); a.href = "/app/bank-imports/reconciliation?account=" + encodeURIComponent(s.bankAccount);
      a.textContent = vi ? "Xem đối chiếu và các khoản cần phân loại" : "See the reconciliation and the lines to classify"; result.appendChild(a);
      form.dispatchEvent(new CustomEvent("soquy:imported", { detail: s })); // the recent-imports table refreshes
    };
    var showRefusal = function (text) {
      status.textContent = "";
      var p = document.createElement("p"); p.className = "bad"; p.setAttribute("role", "alert");
      p.textContent = (vi ? "Không nhập được, chưa ghi gì: " : "Refused, nothing written: ") + text;
      result.appendChild(p);
    };
    var end = function () { finished = true; clearInterval(poll); form.querySelector("button[type=submit]").disabled = false; };
    // Polls may reach any process; once the upload's own answer is lost (its process stopped), the job's end comes from them.
    var poll = setInterval(function () {
      fetch("/app/bank-imports/progress/" + job, { credentials: "same-origin" }).then(function (r) {
        if (r.status === 503) { status.textContent = busyText(r.headers.get("Retry-After") || "?"); return null; }
        return r.json();
      }).then(function (p) {
        if (!p || finished) return;
        if (p.phase === "reading" || p.phase === "posting") {
          if (p.total) { imp.max = p.total; imp.value = p.done; } else imp.removeAttribute("value");
          status.textContent = (vi ? (p.phase === "reading" ? "Đang đọc: " : "Đang ghi sổ: ") : (p.phase === "reading" ? "Reading: " : "Posting: ")) + num(p.done) + (vi ? " dòng" : " lines");
        } else if (lost && p.phase === "done" && p.summary) { end(); showSummary(p.summary); }
        else if (lost && p.phase === "failed") { end(); showRefusal((p.error && p.error.message) || ""); }
      }).catch(function () {});
    }, 400);
    var x = new XMLHttpRequest();
    x.open("POST", "/app/bank-imports/upload?" + q.toString());
    x.setRequestHeader("X-CSRF-Token", form.getAttribute("data-csrf"));
    x.setRequestHeader("Content-Type", /\.xlsx$/i.test(file.name) ? "${XLSX}" : "text/csv");
    x.upload.onprogress = function (ev) { if (ev.lengthComputable) { up.max = ev.total; up.value = ev.loaded; } };
    x.onerror = function () {
      lost = true;
      status.textContent = vi ? "Mất kết nối với máy chủ; đang hỏi lại kết quả…" : "The connection was lost; asking for the outcome…";
    };
    x.onload = function () {
      end();
      var body = {}; try { body = JSON.parse(x.responseText); } catch (err) {}
      if (x.status === 201 && body.summary) showSummary(body.summary);
      else if (x.status === 503 && !body.error) showRefusal(busyText(x.getResponseHeader("Retry-After") || "?"));
      else showRefusal((body.error && (body.error.text || body.error.message)) || String(x.status));
    };
    x.send(file);
  });
})();
`;

import express, { type Request, type Response, type Router } from "express";
import type { Soquy } from "../../context.js";
import { LedgerError } from "../../ledger/codes.js";
import type { Principal } from "../../ledger/types.js";
import { formatDateVi, formatDong } from "../../../reports/format.js";
import { langOf } from "../applayout.js";
import { Html, html } from "../html.js";
import { checkCsrf, requireUser, type WebSession } from "../session.js";

// The workspace's "Công khai sao kê": each campaign's bank statement decision — whether it is
// published, by which resolution, since when, how many lines the public side shows — and, for an
// approver, the form that records the committee's decision to publish or withdraw it. The same
// domain call as POST /api/v1/campaigns/:code/sao-ke (so the same rules and audit log).

type Page = (req: Request, res: Response, title: string, body: Html, flash?: Html | string | null, status?: number) => void;

const MESSAGES = {
  resolutionRef: { vi: "Ghi số và ngày của quyết định (1–200 ký tự), không ghi số điện thoại, số tài khoản hay e-mail: nội dung này được công khai.", en: "Give the decision's number and date (1–200 characters), no phone, account number or e-mail: it is shown to the public." },
  forbidden: { vi: "Chỉ người duyệt (không phải quản trị) quyết định công khai hoặc rút sao kê.", en: "Only an approver (not an admin) decides to publish or withdraw a statement." },
  campaign: { vi: "Không có cuộc vận động này.", en: "No such campaign." },
} as const;

const vietnamDay = (iso: string) => new Date(Date.parse(iso) + 7 * 3_600_000).toISOString().slice(0, 10);

export function saokeScreens(s: Soquy, r: Router, page: Page): void {
  const form = express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 20 });
  const T = (req: Request, vi: string, en: string) => (langOf(req) === "vi" ? vi : en);

  const screen = async (req: Request, res: Response, flash: Html | null, errors: Map<string, string> = new Map(), status = 200) => {
    const sess = res.locals.session as WebSession;
    const p = res.locals.principal as Principal;
    const approver = p.role === "approver" && p.personRole === "approver";
    const rows: Html[] = [];
    for (const c of await s.store.listCampaigns(p.committeeId)) {
      const h = await s.saoke.history(p.committeeCode, c.code);
      const d = h.state.decision;
      const published = d?.publish === true;
      const error = errors.get(c.code);
      rows.push(html`<article class="campaign" data-campaign="${c.code}"><h3>${c.name} <span class="muted">(${c.code})</span></h3>
<p data-testid="saoke-state">${published ? html`<strong class="ok">${T(req, "Đang công khai", "Published")}</strong>` : html`<strong>${T(req, "Chưa công khai", "Not published")}</strong>`}
${d ? html` · ${d.resolutionRef} · ${formatDateVi(vietnamDay(d.decidedAt))} · ${d.by}` : ""}
${published && h.state.all ? html` · ${T(req, "trang công khai đang có", "the public page shows")} ${formatDong(BigInt(h.state.all.lines))} ${T(req, "dòng", "lines")}` : ""}
${published ? html` · <a href="/c/${p.committeeCode}/${c.code}/sao-ke">${T(req, "Xem trang công khai", "Open the public page")}</a>` : ""}</p>
${approver ? html`<form method="post" action="/app/sao-ke" class="entry" data-once>
<input type="hidden" name="_csrf" value="${sess.csrfToken}"><input type="hidden" name="campaign" value="${c.code}">
<input type="hidden" name="publish" value="${published ? "false" : "true"}">
<label>${T(req, "Quyết định của ủy ban (số, ngày)", "The committee's decision (number, date)")}<input name="resolutionRef" required maxlength="200"
 placeholder="${T(req, "Quyết định số 12/QĐ-MTTQ ngày 10/9/2024", "Decision no. 12/QĐ-MTTQ of 10/9/2024")}"${error ? new Html(' aria-invalid="true"') : ""}></label>
${error ? html`<p class="field-error" role="alert">${error}</p>` : ""}
<button type="submit">${published ? T(req, "Rút, không công khai nữa", "Withdraw") : T(req, "Công khai sao kê", "Publish the statement")}</button></form>` : ""}
${h.decisions.length > 1 ? html`<details><summary>${T(req, "Các quyết định trước", "Earlier decisions")}</summary><ul>
${h.decisions.slice(1).map((x) => html`<li>${x.publish ? T(req, "Công khai", "Published") : T(req, "Rút", "Withdrawn")} · ${x.resolutionRef} · ${formatDateVi(vietnamDay(x.decidedAt))} · ${x.by}</li>`)}</ul></details>` : ""}
</article>`);
    }
    page(req, res, T(req, "Công khai sao kê", "Publish statements"), html`<h1>${T(req, "Công khai sao kê tài khoản", "Publish bank statements")}</h1>
<p class="muted">${T(req,
    "Khi ủy ban quyết định, mọi dòng sao kê đã nhập của cuộc vận động (và các lần nhập sau) được công khai để ai cũng tra cứu được: nội dung như ngân hàng in, che số điện thoại, e-mail và số tài khoản; tên người chuyển giữ nguyên như ngân hàng in. Rút quyết định thì trang công khai ẩn sao kê ngay.",
    "Once the committee decides, every imported statement line of the campaign (and every later import) is published for anyone to search: memos as the bank printed them, phones, e-mails and account numbers masked, senders' names as printed. Withdrawing hides it from the public at once.")}</p>
${rows}`, flash, status);
  };

  r.get("/sao-ke", requireUser(), (req, res) => screen(req, res, null));
  r.post("/sao-ke", form, requireUser(["approver"]), async (req, res) => {
    checkCsrf(req, res);
    const lang = langOf(req);
    const campaign = String(req.body.campaign ?? "");
    try {
      const r = await s.saoke.decide(res.locals.principal as Principal, campaign, {
        publish: req.body.publish === "true", resolutionRef: String(req.body.resolutionRef ?? "").slice(0, 400),
      });
      const what = r.decision.publish ? T(req, "Đã công khai sao kê của", "Published the statement of") : T(req, "Đã rút sao kê của", "Withdrew the statement of");
      await screen(req, res, html`${what} ${campaign}: ${r.decision.resolutionRef}.`, new Map(), r.created ? 201 : 200);
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      const text = error.field === "resolutionRef" ? MESSAGES.resolutionRef[lang] : error.code === "forbidden" ? MESSAGES.forbidden[lang]
        : error.code === "campaign_not_found" ? MESSAGES.campaign[lang] : error.message;
      res.locals.problemCode = error.code;
      await screen(req, res, html`<span class="bad">${text}</span>`, new Map([[campaign, text]]), error.code === "forbidden" ? 403 : 422);
    }
  });
}

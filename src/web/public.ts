import express, { type Request, type Response, type Router } from "express";
import type { Soquy } from "../context.js";
import { LedgerError } from "../ledger/codes.js";
import { DONORS_COUNTED } from "../ledger/donors.js";
import { parseAmountDong } from "../ledger/money.js";
import type { PublicFigures } from "../ledger/figures.js";
import { progressPercent } from "../ledger/figures.js";
import { formatDateVi, formatDecimalVi, formatDong } from "../../reports/format.js";
import { pressSentences, vietnamDate, type Lang } from "../../reports/press.js";
import { SELF_CHECK_STATUS, type CampaignTotals, type SelfCheckMatch, type StatementFacts } from "../public/service.js";
import { Html, html } from "./html.js";
import { maskText } from "../ledger/mask.js";

// The public transparency page (Nghị định 93/2021, Điều 14), server-rendered
// by the same service from the same verified figures as the API: a committee's
// campaigns with honest progress bars, totals by purpose and khu phố, the
// press sentences with a copy button, public statements with their digests,
// and the donor self-check. Vietnamese first, English with ?lang=en. No
// front-end framework: plain HTML, one small stylesheet, one small script.

const STATEMENT_WAIT_MS = 1_500;

const T = {
  vi: {
    title: "Công khai quỹ", campaigns: "Các cuộc vận động", verifiedNote: "Chỉ tính các khoản đã được kiểm duyệt.",
    asOf: "Số liệu tính đến", position: "Vị trí sổ", publication: "lần công bố", received: "Đã nhận", disbursed: "Đã chi",
    other: "Chi phí khác", balance: "Còn lại", target: "Mục tiêu", noTarget: "Không đặt mục tiêu", pledged: "Đăng ký ủng hộ (chưa phải tiền đã nhận)",
    donors: "Nhà hảo tâm", donations: "Lượt ủng hộ", households: "Hộ được hỗ trợ", byPurpose: "Đã chi theo mục đích",
    byArea: "Đã chi theo khu phố", byCategory: "Đã chi theo đối tượng", count: "Số lượt", amount: "Số tiền (đồng)",
    press: "Câu trích dẫn cho báo chí", copy: "Chép", copied: "Đã chép", statements: "Sao kê công khai", digest: "Mã kiểm tra SHA-256",
    pending: "đang tính…", check: "Tra cứu khoản ủng hộ của bạn", checkHelp: "Nhập số phiếu thu, hoặc mã giao dịch ngân hàng, hoặc số tiền và ngày ủng hộ.",
    receipt: "Số phiếu thu", bankRef: "Mã giao dịch ngân hàng", amountDong: "Số tiền (đồng)", date: "Ngày ủng hộ", name: "Một phần tên (nếu đã đồng ý công khai)",
    search: "Tra cứu", found: "Đã ghi sổ", notFound: "Không tìm thấy khoản nào khớp.", verified: "đã kiểm duyệt",
    reversed: "đã hủy (ghi nhầm)", seq: "số thứ tự", checkpoint: "Điểm kiểm tra có chữ ký", key: "Khóa công khai", permalink: "Liên kết cố định",
    english: "English", vietnamese: "Tiếng Việt", committees: "Ủy ban", inKind: "Hiện vật", goods: "hiện vật", quantity: "Số lượng",
    nothing: "Chưa có khoản nào được kiểm duyệt.", saoke: "Sao kê tài khoản ngân hàng: tra cứu, tải về, đối chiếu",
  },
  en: {
    title: "Public fund disclosure", campaigns: "Campaigns", verifiedNote: "Only entries verified by an approver are counted.",
    asOf: "Figures as of", position: "Ledger position", publication: "publication", received: "Received", disbursed: "Disbursed",
    other: "Other costs", balance: "Remaining", target: "Target", noTarget: "No target set", pledged: "Pledged (not money received)",
    donors: "Donors", donations: "Donations", households: "Households supported", byPurpose: "Disbursed by purpose",
    byArea: "Disbursed by area (khu phố)", byCategory: "Disbursed by category", count: "Count", amount: "Amount (đồng)",
    press: "Sentences for the press", copy: "Copy", copied: "Copied", statements: "Public statements", digest: "SHA-256 digest",
    pending: "computing…", check: "Check your donation", checkHelp: "Enter a receipt number, or a bank reference, or the amount and date.",
    receipt: "Receipt number", bankRef: "Bank reference", amountDong: "Amount (đồng)", date: "Date", name: "Part of the name (if published)",
    search: "Check", found: "Recorded", notFound: "No matching donation.", verified: "verified",
    reversed: "reversed (recorded by mistake)", seq: "sequence", checkpoint: "Signed checkpoint", key: "Public key", permalink: "Permanent link",
    english: "English", vietnamese: "Tiếng Việt", committees: "Committees", inKind: "In kind", goods: "goods", quantity: "Quantity",
    nothing: "Nothing verified yet.", saoke: "Bank statement: search, download, reconcile",
  },
} as const;


const PURPOSE: Record<Lang, Record<string, string>> = {
  vi: {
    gift_package: "Quà (suất quà)", house_new: "Xây nhà Đại đoàn kết", house_repair: "Sửa chữa nhà", livelihood: "Hỗ trợ sinh kế",
    schooling: "Học tập", health: "Y tế", relief_cash: "Hỗ trợ tiền mặt", infrastructure: "Công trình", regular_support: "Trợ cấp thường xuyên", other: "Khác",
  },
  en: {
    gift_package: "Gift packages", house_new: "New houses", house_repair: "House repairs", livelihood: "Livelihood", schooling: "Schooling",
    health: "Health", relief_cash: "Cash relief", infrastructure: "Infrastructure", regular_support: "Regular support", other: "Other",
  },
};
const CATEGORY: Record<Lang, Record<string, string>> = {
  vi: { poor: "Hộ nghèo", near_poor: "Hộ cận nghèo", hardship: "Hộ khó khăn", policy_family: "Gia đình chính sách", other: "Khác" },
  en: { poor: "Poor", near_poor: "Near-poor", hardship: "Hardship", policy_family: "Policy families", other: "Other" },
};

export function publicPages(s: Soquy): Router {
  const r = express.Router();
  r.get("/assets/public.css", (_req, res) => void res.type("text/css").set("Cache-Control", "public, max-age=3600").send(CSS));
  r.get("/assets/public.js", (_req, res) => void res.type("application/javascript").set("Cache-Control", "public, max-age=3600").send(JS));
  r.get("/", async (req, res) => {
    const lang = langOf(req);
    const committees = await s.store.listCommittees();
    const w = T[lang];
    send(res, lang, w.committees, html`<h1>${w.title}</h1><ul class="committees">${committees.map((c) =>
      html`<li><a href="/c/${c.code}${lang === "en" ? "?lang=en" : ""}">${c.name}</a></li>`)}</ul>`, "/");
  });
  const page = async (req: Request, res: Response, check: boolean) => {
    const lang = langOf(req);
    const code = String(req.params.committee ?? "");
    let result: Html | null = null;
    if (check) result = await selfCheck(s, code, req.query as Record<string, string>, lang);
    const t = await s.public.committeeTotals(code, {});
    const facts = new Map<number, StatementFacts | null>();
    const deadline = Date.now() + STATEMENT_WAIT_MS;
    for (const c of t.campaigns) facts.set(c.campaign.id, await s.public.statementFacts(c, Math.max(0, deadline - Date.now())));
    const [checkpoint] = await s.checkpoints().list(t.committee, 1, null);
    const saoke = await s.saoke.publishedCampaigns(t.committee.id);
    res.setHeader("Cache-Control", "no-store");
    // A statement still being cut shows as such: not an answer to keep until the next publication.
    if (t.campaigns.some((c) => c.publication.vseq > 0 && !facts.get(c.campaign.id))) res.locals.publicIncomplete = true;
    send(res, lang, t.committee.name, committeePage(t, facts, checkpoint ?? null, result, req.query as Record<string, string>, lang, saoke), `/c/${code}`);
  };
  r.get("/c/:committee", (req, res) => page(req, res, false));
  r.get("/c/:committee/check", (req, res) => page(req, res, true));
  return r;
}

function langOf(req: Request): Lang {
  return req.query.lang === "en" ? "en" : "vi";
}

function send(res: Response, lang: Lang, title: string, body: Html, path: string) {
  const other = lang === "vi" ? html`<a href="${path}?lang=en" hreflang="en" lang="en">${T.vi.english}</a>`
    : html`<a href="${path}" hreflang="vi" lang="vi">${T.en.vietnamese}</a>`;
  res.type("html").send(html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — soquy</title><link rel="icon" href="/favicon.svg" type="image/svg+xml"><link rel="stylesheet" href="/assets/public.css"><script src="/assets/public.js" defer></script></head>
<body><header class="top"><a class="brand" href="/${lang === "en" ? "?lang=en" : ""}">sổ quỹ</a><nav>${other}</nav></header>
<main>${body}</main><footer><p>soquy — ${lang === "vi" ? "sổ quỹ minh bạch, kiểm chứng được" : "an auditable fund book"} ·
<a href="/.well-known/soquy-key">${T[lang].key}</a> · <a href="/api/docs">API</a></p></footer></body></html>`.text);
}

const money = (v: bigint, lang: Lang) => (lang === "vi" ? formatDong(v) : v.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ","));
const qty = (q: string, lang: Lang) => (lang === "vi" ? formatDecimalVi(q) : q);
const when = (iso: string | null, lang: Lang) => {
  if (!iso) return "—";
  const d = vietnamDate(iso);
  const time = new Date(Date.parse(iso) + 7 * 3600_000).toISOString().slice(11, 16);
  return lang === "vi" ? `${time} ngày ${formatDateVi(d)}` : `${d} ${time} (UTC+7)`;
};

function committeePage(t: Awaited<ReturnType<Soquy["public"]["committeeTotals"]>>, facts: Map<number, StatementFacts | null>,
  checkpoint: { id: number; payload: { createdAt: string; number?: number } } | null, result: Html | null, q: Record<string, string>, lang: Lang,
  saoke: ReadonlySet<string> = new Set()): Html {
  const w = T[lang];
  const p = t.publication;
  const shown = t.campaigns;
  return html`
<h1>${t.committee.name}</h1>
<p class="asof">${w.asOf} <strong data-testid="as-of">${when(p.publishedAt, lang)}</strong> · ${w.verifiedNote}
<br><span class="muted">${w.position}: ${w.publication} ${p.vseq}, ${w.seq} ${p.headSeq}${p.headHash ? html`, <code title="${p.headHash}">${p.headHash.slice(0, 16)}…</code>` : ""}
${checkpoint ? html` · <a href="/api/v1/public/committees/${t.committee.code}/checkpoints/${checkpoint.id}">${w.checkpoint} #${checkpoint.payload.number ?? checkpoint.id}</a>` : ""}</span></p>
<section aria-labelledby="campaigns"><h2 id="campaigns">${w.campaigns}</h2>
<ul class="overview">${shown.map((c) => overviewItem(c, lang))}</ul>
${shown.map((c) => campaignCard(c, facts.get(c.campaign.id) ?? null, lang, saoke.has(c.campaign.code)))}
</section>
${selfCheckForm(t.committee.code, q, result, lang)}`;
}

function overviewItem(c: CampaignTotals, lang: Lang): Html {
  const f = c.figures;
  const pct = progressPercent(f.receivedDong, c.campaign.targetDong);
  return html`<li><a href="#${c.campaign.code}">${c.campaign.name}</a>
<span class="muted">${T[lang].received}: ${money(f.receivedDong, lang)} đồng${pct !== null ? ` (${pct}%)` : ""} · ${T[lang].disbursed}: ${money(f.disbursedDong, lang)} đồng</span></li>`;
}

function campaignCard(c: CampaignTotals, facts: StatementFacts | null, lang: Lang, saoke = false): Html {
  const w = T[lang];
  const f = c.figures;
  const target = c.campaign.targetDong;
  const pct = progressPercent(f.receivedDong, target);
  const width = pct === null ? 0 : Math.min(100, pct);
  const stmt = new URLSearchParams({ committee: c.committee.code, audience: "public", at: String(c.publication.vseq) });
  const permalink = `/api/v1/public/committees/${c.committee.code}/campaigns/${c.campaign.code}/totals?at=${c.publication.vseq}`;
  const sentences = pressSentences({
    campaignName: c.campaign.name, targetDong: target, receivedDong: f.receivedDong, disbursedDong: f.disbursedDong, otherOutDong: f.otherOutDong,
    balanceDong: f.balanceDong, openingDong: c.openingDong, donations: f.donations, donors: f.donors, households: f.households, disbursedUnits: f.disbursedUnits,
    pledgedDong: c.pledged.amountDong, pledges: c.pledged.count, asOf: c.publication.publishedAt, from: null, to: null,
  }, lang);
  return html`<article class="campaign" id="${c.campaign.code}" data-campaign="${c.campaign.code}">
<h3>${c.campaign.name}</h3>
${target !== null ? html`<div class="progress" role="img" aria-label="${money(f.receivedDong, lang)} / ${money(target, lang)} đồng (${pct}%)">
<div class="bar" style="width:${width}%"></div></div>
<p class="figure" data-testid="progress"><strong>${money(f.receivedDong, lang)}</strong> / ${money(target, lang)} đồng (${pct}%)</p>`
    : html`<p class="figure muted">${w.noTarget}</p>`}
${c.pledged.count > 0 ? html`<p class="pledged" data-testid="pledged">${w.pledged}: ${money(c.pledged.amountDong, lang)} đồng (${c.pledged.count})</p>` : ""}
<dl class="totals">
<div><dt>${w.received}</dt><dd data-testid="received">${money(f.receivedDong, lang)} đồng</dd></div>
<div><dt>${w.disbursed}</dt><dd data-testid="disbursed">${money(f.disbursedDong, lang)} đồng</dd></div>
${f.otherOutDong !== 0n ? html`<div><dt>${w.other}</dt><dd>${money(f.otherOutDong, lang)} đồng</dd></div>` : ""}
<div><dt>${w.balance}</dt><dd data-testid="balance">${money(f.balanceDong, lang)} đồng</dd></div>
<div><dt>${w.donors}</dt><dd>${f.donors === null ? "—" : money(BigInt(f.donors), lang)} (${money(BigInt(f.donations), lang)} ${w.donations.toLowerCase()})</dd></div>
<div><dt>${w.households}</dt><dd data-testid="households">${f.households ?? "—"}</dd></div>
</dl>
<p class="muted" data-testid="donors-counted">${DONORS_COUNTED[lang]}</p>
${breakdownTable(w.byPurpose, f.byPurpose, PURPOSE[lang], lang, "by-purpose")}
${breakdownTable(w.byArea, f.byArea, null, lang, "by-area")}
${breakdownTable(w.byCategory, f.byCategory, CATEGORY[lang], lang, "by-category")}
${unitsTable(f, lang)}
<details class="press" open><summary>${w.press}</summary><ul>
${sentences.map((x) => html`<li data-sentence="${x.id}"><q>${x.text}</q>
<button type="button" class="copy" data-copy="${x.text}" aria-label="${w.copy}: ${x.text}">${w.copy}</button></li>`)}
</ul><p class="muted"><a href="${permalink}">${w.permalink}</a></p></details>
<div class="downloads"><h4>${w.statements}</h4>
<a class="button" data-testid="csv" href="/api/v1/campaigns/${c.campaign.code}/statement.csv?${stmt.toString()}">CSV</a>
<a class="button" data-testid="pdf" href="/api/v1/campaigns/${c.campaign.code}/statement.pdf?${stmt.toString()}">PDF</a>
<p class="digest">${w.digest}: <code data-testid="digest">${facts?.digest ?? w.pending}</code></p>
${saoke ? html`<p><a class="button" data-testid="saoke" href="/c/${c.committee.code}/${c.campaign.code}/sao-ke${lang === "en" ? "?lang=en" : ""}">${w.saoke}</a></p>` : ""}</div>
</article>`;
}

function breakdownTable(title: string, rows: PublicFigures["byPurpose"], labels: Record<string, string> | null, lang: Lang, id: string): Html | "" {
  if (rows.length === 0) return "";
  const w = T[lang];
  return html`<table class="breakdown" data-testid="${id}"><caption>${title}</caption>
<thead><tr><th scope="col"></th><th scope="col">${w.count}</th><th scope="col">${w.amount}</th></tr></thead><tbody>
${rows.map((r) => html`<tr><th scope="row">${labels?.[r.key] ?? r.key}</th><td>${r.count}</td><td>${money(r.amountDong, lang)}</td></tr>`)}
</tbody></table>`;
}

function unitsTable(f: PublicFigures, lang: Lang): Html | "" {
  const w = T[lang];
  const rows = [...f.receivedUnits.map((u) => ({ ...u, dir: w.received })), ...f.disbursedUnits.map((u) => ({ ...u, dir: w.disbursed }))];
  if (rows.length === 0) return "";
  return html`<table class="breakdown" data-testid="units"><caption>${w.inKind}</caption>
<thead><tr><th scope="col"></th><th scope="col">${w.quantity}</th><th scope="col">${w.amount}</th></tr></thead><tbody>
${rows.map((u) => html`<tr><th scope="row">${u.dir}</th><td>${qty(u.quantity, lang)} ${u.unit}</td><td>${money(u.valueDong, lang)}</td></tr>`)}
</tbody></table>`;
}

function selfCheckForm(committee: string, q: Record<string, string>, result: Html | null, lang: Lang): Html {
  const w = T[lang];
  const v = (k: string) => (typeof q[k] === "string" ? q[k] : "");
  return html`<section id="tra-cuu" aria-labelledby="check-title" class="check"><h2 id="check-title">${w.check}</h2>
<p class="muted">${w.checkHelp}</p>
<form method="get" action="/c/${committee}/check#tra-cuu">
${lang === "en" ? html`<input type="hidden" name="lang" value="en">` : ""}
<label>${w.receipt}<input name="receipt" value="${v("receipt")}" placeholder="PT-2024-000001" autocapitalize="characters" autocomplete="off"></label>
<label>${w.bankRef}<input name="bankReference" value="${v("bankReference")}" autocomplete="off"></label>
<div class="row"><label>${w.amountDong}<input name="amountDong" value="${v("amountDong")}" inputmode="numeric" autocomplete="off"></label>
<label>${w.date}<input type="date" name="date" value="${v("date")}"></label></div>
<label>${w.name}<input name="name" value="${v("name")}" autocomplete="off"></label>
<button type="submit">${w.search}</button></form>
${result ? html`<div class="result" role="status" data-testid="check-result">${result}</div>` : ""}
</section>`;
}

async function selfCheck(s: Soquy, committee: string, q: Record<string, string>, lang: Lang): Promise<Html> {
  const w = T[lang];
  try {
    let found: SelfCheckMatch[];
    if (q.receipt?.trim()) {
      // As printed or as typed: "pt-2024-000012", " PT 2024 000012 " are the same receipt.
      const receipt = q.receipt.trim().toUpperCase().replace(/[\s_–—]+/g, "-");
      if (!/^PT-\d{4}-\d{6}$/.test(receipt)) throw new LedgerError("validation_failed", "a receipt number such as PT-2024-000012", "receipt");
      try {
        found = [(await s.public.receipt(committee, receipt)).match];
      } catch (error) {
        if (error instanceof LedgerError && error.code === "not_found") found = [];
        else throw error;
      }
    } else {
      const ref = q.bankReference?.trim();
      if (ref && !/^[A-Za-z0-9._/-]{6,64}$/.test(ref)) throw new LedgerError("validation_failed", "a bank reference of 6 to 64 letters or digits", "bankReference");
      const amountDong = q.amountDong ? parseAmountDong(q.amountDong.replace(/[.\s]/g, ""), "amountDong") : undefined;
      const name = q.name?.trim() ? q.name.trim().slice(0, 100) : undefined;
      if (name !== undefined && name.length < 2) throw new LedgerError("validation_failed", "at least 2 letters of the name", "name");
      found = (await s.public.selfCheck(committee, { bankReference: ref || undefined, amountDong, date: q.date || undefined, name })).found;
    }
    if (found.length === 0) return html`<p>${w.notFound}</p>`;
    return html`<ul>${found.map((m) => matchItem(m, lang))}</ul>`;
  } catch (error) {
    if (error instanceof LedgerError) return html`<p class="error">${checkError(error, lang)}</p>`;
    throw error;
  }
}

/** One answer of the self-check: a donation still awaiting verification shows neither its amount nor its donor. */
function matchItem(m: SelfCheckMatch, lang: Lang): Html {
  const w = T[lang];
  const date = lang === "vi" ? formatDateVi(m.date) : m.date;
  if (m.status === "awaiting_verification") {
    return html`<li><strong>${SELF_CHECK_STATUS[lang].awaiting_verification}</strong>: ${m.receiptNumber ?? ""} ${date} — ${m.campaignName}
${m.reversed ? html`— ${w.reversed} ` : ""}(${w.seq} ${m.sequence})</li>`;
  }
  return html`<li><strong>${w.found}</strong>: ${m.receiptNumber ?? ""} ${money(m.amountDong, lang)} đồng,
${date} — ${m.campaignName} — ${m.donorName ?? "Nhà hảo tâm"} —
${m.reversed ? w.reversed : w.verified} (${w.seq} ${m.sequence})</li>`;
}

/** The refusal in the page's language, from its result code and field. */
function checkError(e: LedgerError, lang: Lang): string {
  const vi = lang === "vi";
  if (e.code === "query_too_broad") {
    return vi ? "Có hơn 5 khoản khớp: hãy thêm một phần tên (nếu đã đồng ý công khai), hoặc tra bằng mã giao dịch ngân hàng."
      : "More than 5 donations match: add part of the name (if published), or use the bank reference.";
  }
  switch (e.field) {
    case "receipt": return vi ? "Số phiếu thu có dạng PT-2024-000012." : "A receipt number looks like PT-2024-000012.";
    case "bankReference": return vi ? "Hãy nhập số phiếu thu, mã giao dịch ngân hàng (ít nhất 6 ký tự), hoặc số tiền kèm ngày ủng hộ."
      : "Enter a receipt number, a bank reference (6 characters or more), or the amount with its date.";
    case "amountDong": return vi ? "Số tiền là số nguyên đồng, ví dụ 500000." : "The amount is whole đồng, e.g. 500000.";
    case "name": return vi ? "Nhập ít nhất 2 chữ của tên." : "Enter at least 2 letters of the name.";
    case "date": return vi ? "Ngày không hợp lệ." : "The date is not valid.";
    default: return maskText(e.message);
  }
}

const CSS = `
:root{--ink:#1d2327;--muted:#50575e;--accent:#a4161a;--bar:#1f6f43;--bg:#fbfaf7;--card:#fff;--line:#d7d3cc}
*{box-sizing:border-box}body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,"Noto Sans",sans-serif;color:var(--ink);background:var(--bg)}
header.top{display:flex;justify-content:space-between;align-items:center;padding:.6rem 1rem;background:var(--accent);color:#fff}
header.top a{color:#fff;font-weight:600;text-decoration:none}.brand{font-size:1.15rem}
main{max-width:60rem;margin:0 auto;padding:1rem}h1{font-size:1.45rem;line-height:1.25;margin:.5rem 0}h2{font-size:1.2rem;margin-top:1.5rem}
h3{margin:.2rem 0 .6rem;font-size:1.1rem}.muted{color:var(--muted);font-size:.9rem}.asof{margin-top:0}
ul.overview{padding-left:1.1rem}ul.overview li{margin:.3rem 0}ul.overview span{display:block}
.campaign{background:var(--card);border:1px solid var(--line);border-radius:.5rem;padding:1rem;margin:1rem 0}
.progress{height:1.1rem;background:#e7e3dc;border-radius:.3rem;overflow:hidden;border:1px solid #b9b3a9}.bar{height:100%;background:var(--bar)}
.figure{margin:.35rem 0 .6rem;font-size:1.05rem}.pledged{margin:.2rem 0;color:var(--muted);font-size:.92rem;border-left:4px dashed #b9b3a9;padding-left:.5rem}
dl.totals{display:grid;grid-template-columns:repeat(auto-fit,minmax(9.5rem,1fr));gap:.5rem;margin:.8rem 0}
dl.totals div{background:#f4f1ec;border-radius:.35rem;padding:.45rem .6rem}dt{font-size:.82rem;color:var(--muted)}dd{margin:0;font-weight:600}
table.breakdown{width:100%;border-collapse:collapse;margin:.8rem 0;font-size:.95rem}caption{text-align:left;font-weight:600;padding:.2rem 0}
table.breakdown th,table.breakdown td{border-bottom:1px solid var(--line);padding:.3rem .4rem;text-align:right}table.breakdown th[scope=row],table.breakdown thead th:first-child{text-align:left;font-weight:normal}
details.press ul{padding-left:1.1rem}details.press li{margin:.4rem 0}summary{font-weight:600;cursor:pointer}
button,.button{display:inline-block;font:inherit;font-size:.9rem;padding:.35rem .8rem;border-radius:.35rem;border:1px solid #7a1013;background:var(--accent);color:#fff;text-decoration:none;cursor:pointer}
button.copy{margin-left:.4rem;padding:.1rem .5rem;font-size:.8rem;background:#fff;color:var(--accent)}
.downloads h4{margin:.8rem 0 .3rem}.digest{font-size:.8rem;word-break:break-all;color:var(--muted)}
.check form{display:grid;gap:.6rem;max-width:32rem}.check label{display:grid;gap:.2rem;font-size:.92rem}.row{display:grid;grid-template-columns:1fr 1fr;gap:.6rem}
input{font:inherit;padding:.4rem .5rem;border:1px solid #8c8f94;border-radius:.3rem;background:#fff}
.result{margin-top:1rem;padding:.6rem .8rem;background:#eef6f0;border:1px solid #9cc7aa;border-radius:.35rem}.error{color:#8a1014}
a{color:#0b5cad}footer{max-width:60rem;margin:2rem auto;padding:0 1rem;color:var(--muted);font-size:.85rem}ul.committees li{margin:.4rem 0}
@media (max-width:30rem){main{padding:.6rem}.row{grid-template-columns:1fr}}
`;

const JS = `
document.addEventListener("click", function (e) {
  var b = e.target.closest ? e.target.closest("button.copy") : null;
  if (!b) return;
  var text = b.getAttribute("data-copy");
  var done = function () { var old = b.textContent; b.textContent = document.documentElement.lang === "en" ? "Copied" : "Đã chép"; b.setAttribute("data-copied", "true"); setTimeout(function () { b.textContent = old; }, 2000); };
  if (navigator.clipboard && navigator.clipboard.writeText) navigator.clipboard.writeText(text).then(done, done); else done();
});
`;

import express, { type Request, type Response, type Router } from "express";
import type { Soquy } from "../context.js";
import { LedgerError } from "../ledger/codes.js";
import { maskText } from "../ledger/mask.js";
import type { Lang, SearchInput } from "../ledger/saoke.js";
import type { PublishedLine, SaokeFile } from "../db/saoke.js";
import type { DayFigures, Reconciliation, SaokeView, SearchResult } from "../public/saoke.js";
import { formatDateVi, formatDong } from "../../reports/format.js";
import { Html, html } from "./html.js";

// The public sao kê page (/c/:committee/:campaign/sao-ke): one search box that finds a transfer by
// a name without diacritics, a reference or an amount written the Vietnamese way, filters for
// amounts and dates, results that read on a phone, the downloads with their digests, and the
// statement reconciled day by day with the verified ledger. Server-rendered like the rest of the
// public side (it works without JavaScript); Vietnamese first, English with ?lang=en.

const T = {
  vi: {
    title: "Sao kê tài khoản", decided: "Ủy ban đã quyết định công khai sao kê tài khoản ngân hàng của cuộc vận động này",
    privacy: "Sao kê được công khai đúng như ngân hàng in. Số điện thoại, địa chỉ e-mail và số tài khoản đều được che, chỉ để lại 3 chữ số cuối. Tên người chuyển tiền trong nội dung được giữ nguyên như ngân hàng in: đây là trang duy nhất công khai tên mà không hỏi ý từng người, vì ủy ban đã quyết định công khai sao kê ngân hàng (Nghị định 93/2021/NĐ-CP, Điều 14); các trang khác chỉ công khai tên của người đã đồng ý.",
    shown: "Đã cập nhật đến lần nhập sao kê số", lines: "dòng", search: "Tìm", searchLabel: "Tìm theo tên người chuyển, nội dung, mã giao dịch hoặc số tiền",
    placeholder: "ví dụ: nguyen van a, 5213.90595, 500.000", more: "Lọc thêm", amount: "Số tiền đúng", min: "Số tiền từ", max: "đến",
    from: "Từ ngày", to: "Đến ngày", found: (n: string) => `Tìm thấy ${n} dòng`, credits: "Ghi có (tiền vào)", debits: "Ghi nợ (tiền ra)",
    none: "Không có dòng nào khớp.", next: "Trang sau", first: "Về trang đầu", ref: "Mã GD", account: "TK", balance: "Số dư",
    verified: "đã kiểm duyệt trong sổ quỹ", awaiting: "đã ghi sổ, chờ kiểm duyệt", toClassify: "chưa phân loại trong sổ quỹ",
    downloads: "Tải sao kê (CSV)", whole: "Toàn bộ sao kê", digest: "SHA-256", day: "Ngày", imports: "Lấy từ các lần nhập sao kê",
    recon: "Đối chiếu từng ngày với sổ quỹ", opening: "Số dư đầu ngày", closing: "Số dư cuối ngày", ledger: "Sổ quỹ (đã kiểm duyệt)",
    difference: "Chênh lệch", why: "Giải thích", total: "Cộng", csv: "CSV",
    reconNote: "Sổ quỹ chỉ tính các bút toán đã được kiểm duyệt. Chênh lệch = ghi có − ghi nợ − sổ quỹ, và được giải thích bằng: các khoản chi chưa phân loại (chưa ghi vào sổ quỹ), các khoản đã ghi sổ nhưng chờ kiểm duyệt, và các khoản sổ quỹ ghi vào ngày khác hoặc không có trên sao kê.",
    whyToClassify: (n: number, v: string) => `${n} khoản chi chưa phân loại: −${v}`, whyAwaiting: (v: string) => `chờ kiểm duyệt: ${v}`,
    whyElsewhere: (v: string) => `ghi sổ ngày khác / không có trên sao kê: ${v}`, whyOther: (v: string) => `dòng của cuộc vận động khác cùng tài khoản: ${v}`,
    matches: "khớp", printed: "đúng số dư ngân hàng in", unknown: "—", lookFor: "Kết quả tìm kiếm", notPublished: "Sao kê chưa được công khai",
    recorded: "ghi nhận ngày", page: "Trang công khai của ủy ban", back: "Quay lại trang của ủy ban", error: "Chưa tìm được", dong: "đồng",
  },
  en: {
    title: "Bank statement", decided: "The committee decided to publish the bank statement of this campaign's account",
    privacy: "The statement is published as the bank printed it. Phone numbers, e-mail addresses and account numbers are masked but for their last 3 digits. Senders' names in the memos stay as the bank printed them: this is the one page that shows names without asking each person, because the committee decided to publish the bank's statement (Decree 93/2021/NĐ-CP, Article 14); every other page shows only the names of those who agreed.",
    shown: "Up to date with statement import no.", lines: "lines", search: "Search", searchLabel: "Search by sender's name, memo, reference or amount",
    placeholder: "e.g. nguyen van a, 5213.90595, 500.000", more: "More filters", amount: "Exact amount", min: "Amount from", max: "to",
    from: "From", to: "To", found: (n: string) => (n === "1" ? "1 line found" : `${n} lines found`), credits: "Credits (in)", debits: "Debits (out)",
    none: "No line matches.", next: "Next page", first: "First page", ref: "Ref.", account: "Acct", balance: "Balance",
    verified: "verified in the books", awaiting: "recorded, awaiting verification", toClassify: "not yet classified in the books",
    downloads: "Download (CSV)", whole: "Whole statement", digest: "SHA-256", day: "Day", imports: "From statement imports",
    recon: "Reconciled day by day with the books", opening: "Opening", closing: "Closing", ledger: "Books (verified)",
    difference: "Difference", why: "Explained", total: "Total", csv: "CSV",
    reconNote: "The books count verified entries only. Difference = credits − debits − books, explained by: debits not yet classified (not in the books), entries recorded but awaiting verification, and what the books record on another day or is not on the statement.",
    whyToClassify: (n: number, v: string) => `${n} debits to classify: −${v}`, whyAwaiting: (v: string) => `awaiting verification: ${v}`,
    whyElsewhere: (v: string) => `on another day / not on the statement: ${v}`, whyOther: (v: string) => `another campaign's lines on the account: ${v}`,
    matches: "matches", printed: "equals the balance the bank printed", unknown: "—", lookFor: "Search results", notPublished: "Statement not published",
    recorded: "recorded on", page: "The committee's public page", back: "Back to the committee's page", error: "Could not search", dong: "đồng",
  },
} as const;

const FIELDS = ["q", "amount", "min", "max", "from", "to", "after"] as const;

export function saokePages(s: Soquy): Router {
  const r = express.Router();
  r.get("/assets/saoke.css", (_req, res) => void res.type("text/css").set("Cache-Control", "public, max-age=3600").send(CSS));
  r.get("/c/:committee/:campaign/sao-ke", async (req, res) => {
    const lang: Lang = req.query.lang === "en" ? "en" : "vi";
    const committee = String(req.params.committee), campaign = String(req.params.campaign);
    let v: SaokeView;
    try {
      v = await s.saoke.view(committee, campaign, lang);
    } catch (error) {
      if (!(error instanceof LedgerError)) throw error;
      return send(res, 404, lang, T[lang].notPublished, html`<h1>${T[lang].notPublished}</h1><p class="error" role="alert">${error.message}</p>
<p><a href="/c/${committee}${lang === "en" ? "?lang=en" : ""}">${T[lang].back}</a></p>`, req);
    }
    const input = Object.fromEntries(FIELDS.map((k) => [k, typeof req.query[k] === "string" ? (req.query[k] as string) : undefined])) as SearchInput;
    const asked = FIELDS.some((k) => k !== "after" && (input[k] ?? "").trim() !== "");
    let result: SearchResult | null = null;
    let refusal: LedgerError | null = null;
    if (asked) {
      try {
        result = await s.saoke.search(v, input, lang);
      } catch (error) {
        if (!(error instanceof LedgerError)) throw error;
        refusal = error;
      }
    }
    const [recon, imports] = await Promise.all([s.saoke.reconciliation(v), s.saoke.imports(v)]);
    const body = html`${heading(v, lang)}
${searchForm(v, input, refusal, lang)}
${result ? results(v, input, result, lang) : ""}
${downloads(v, recon, imports, lang)}
${reconciliation(recon, lang)}`;
    send(res, refusal ? 422 : 200, lang, `${T[lang].title} — ${v.campaign.name}`, body, req);
  });
  return r;
}

function send(res: Response, status: number, lang: Lang, title: string, body: Html, req: Request) {
  const path = req.path;
  const query = new URLSearchParams(req.query as Record<string, string>);
  query.delete("lang");
  if (lang === "vi") query.set("lang", "en");
  const other = `${path}${query.size ? `?${query.toString()}` : ""}`;
  res.status(status).type("html").send(html`<!doctype html>
<html lang="${lang}"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>${title} — soquy</title><link rel="stylesheet" href="/assets/public.css"><link rel="stylesheet" href="/assets/saoke.css"></head>
<body><header class="top"><a class="brand" href="/${lang === "en" ? "?lang=en" : ""}">sổ quỹ</a><nav><a href="${other}" hreflang="${lang === "vi" ? "en" : "vi"}">${lang === "vi" ? "English" : "Tiếng Việt"}</a></nav></header>
<main class="saoke">${body}</main><footer><p>soquy — ${lang === "vi" ? "sổ quỹ minh bạch, kiểm chứng được" : "an auditable fund book"} · <a href="/api/docs">API</a></p></footer></body></html>`.text);
}

const money = (v: bigint, lang: Lang) => (lang === "vi" ? formatDong(v) : v.toString().replace(/\B(?=(\d{3})+(?!\d))/g, ","));
const day = (iso: string, lang: Lang) => (lang === "vi" ? formatDateVi(iso) : iso);
/** The day in Vietnam of an instant. */
const vietnamDay = (iso: string) => new Date(Date.parse(iso) + 7 * 3_600_000).toISOString().slice(0, 10);
const langQ = (lang: Lang) => (lang === "en" ? "?lang=en" : "");

function heading(v: SaokeView, lang: Lang): Html {
  const w = T[lang];
  const d = v.decision;
  return html`<p class="crumb"><a href="/c/${v.committee.code}${langQ(lang)}">${v.committee.name}</a></p>
<h1>${w.title}: ${v.campaign.name}</h1>
<p class="decision" data-testid="decision">${w.decided}: <strong>${d.resolutionRef}</strong> (${w.recorded} ${day(vietnamDay(d.decidedAt), lang)}).</p>
<p class="privacy muted" data-testid="privacy">${w.privacy}</p>
${v.all ? html`<p class="muted" data-testid="freshness">${w.shown} ${v.all.throughImport} · ${money(BigInt(v.all.lines), lang)} ${w.lines}</p>` : ""}`;
}

function searchForm(v: SaokeView, input: SearchInput, refusal: LedgerError | null, lang: Lang): Html {
  const w = T[lang];
  const val = (k: keyof SearchInput) => input[k] ?? "";
  const bad = (k: string) => (refusal?.field === k ? new Html(' aria-invalid="true" aria-describedby="search-error"') : "");
  const filtered = ["amount", "min", "max", "from", "to"].some((k) => (input[k as keyof SearchInput] ?? "") !== "");
  return html`<form class="search" method="get" action="/c/${v.committee.code}/${v.campaign.code}/sao-ke" role="search">
${lang === "en" ? html`<input type="hidden" name="lang" value="en">` : ""}
<label for="q">${w.searchLabel}</label>
<div class="box"><input id="q" name="q" type="search" value="${val("q")}" placeholder="${w.placeholder}" autocomplete="off" maxlength="200"${bad("q")}>
<button type="submit">${w.search}</button></div>
<details class="filters"${filtered || (refusal && refusal.field !== "q") ? new Html(" open") : ""}><summary>${w.more}</summary>
<div class="grid"><label>${w.amount}<input name="amount" value="${val("amount")}" inputmode="numeric" autocomplete="off"${bad("amount")}></label>
<label>${w.min}<input name="min" value="${val("min")}" inputmode="numeric" autocomplete="off"${bad("min")}></label>
<label>${w.max}<input name="max" value="${val("max")}" inputmode="numeric" autocomplete="off"${bad("max")}></label>
<label>${w.from}<input name="from" type="date" value="${val("from")}"${bad("from")}></label>
<label>${w.to}<input name="to" type="date" value="${val("to")}"${bad("to")}></label></div></details>
${refusal ? html`<p class="error" id="search-error" role="alert" data-testid="search-error"><strong>${w.error}:</strong> ${maskText(refusal.message)}</p>` : ""}
</form>`;
}

function results(v: SaokeView, input: SearchInput, r: SearchResult, lang: Lang): Html {
  const w = T[lang];
  const t = r.totals;
  const link = (after: string | null) => {
    const q = new URLSearchParams();
    for (const k of FIELDS) if (k !== "after" && input[k]) q.set(k, input[k]!);
    if (after) q.set("after", after);
    if (lang === "en") q.set("lang", "en");
    return `/c/${v.committee.code}/${v.campaign.code}/sao-ke?${q.toString()}#ket-qua`;
  };
  return html`<section id="ket-qua" aria-labelledby="results-title"><h2 id="results-title">${w.lookFor}</h2>
${t ? html`<p class="summary" data-testid="summary" role="status"><strong>${w.found(money(BigInt(t.count), lang))}</strong> · ${w.credits}: ${money(t.creditsDong, lang)} ${w.dong}
· ${w.debits}: ${money(t.debitsDong, lang)} ${w.dong}</p>`
    : html`<p class="summary note" data-testid="summary" role="status">${r.note}</p>`}
${r.items.length === 0 ? html`<p>${w.none}</p>` : html`<ol class="lines" data-testid="lines">${r.items.map((l) => lineItem(l, lang))}</ol>`}
<p class="pager">${input.after ? html`<a href="${link(null)}">${w.first}</a>` : ""}
${r.next ? html`<a class="button" rel="next" data-testid="next" href="${link(r.next)}">${w.next} →</a>` : ""}</p></section>`;
}

function lineItem(l: PublishedLine, lang: Lang): Html {
  const w = T[lang];
  const credit = l.direction === "C";
  const status = l.verified === null ? w.toClassify : l.verified ? w.verified : w.awaiting;
  return html`<li class="line" data-direction="${l.direction}"><div class="top"><span class="when">${day(l.date, lang)}${l.time ? ` ${l.time}` : ""}</span>
<span class="amount ${credit ? "in" : "out"}">${credit ? "+" : "−"}${money(BigInt(l.amountDong), lang)} ${w.dong}</span></div>
<p class="memo">${l.memo}</p>
<p class="meta">${l.reference ? html`${w.ref} <code>${l.reference}</code> · ` : ""}${w.account} ${maskText(l.bankAccount)}${l.balanceDong !== null ? html` · ${w.balance} ${money(BigInt(l.balanceDong), lang)}` : ""}
· <span class="status ${l.verified === null ? "todo" : l.verified ? "ok" : "wait"}">${status}</span></p></li>`;
}

function downloads(v: SaokeView, recon: Reconciliation, imports: Awaited<ReturnType<Soquy["saoke"]["imports"]>>, lang: Lang): Html {
  const w = T[lang];
  const base = `/api/v1/public/committees/${v.committee.code}/campaigns/${v.campaign.code}/sao-ke.csv`;
  const file = (f: SaokeFile | null, href: string, label: string) => (f ? html`<li><a class="button" href="${href}" download>${label}</a>
<span class="muted">${money(BigInt(f.lines), lang)} ${w.lines} · ${w.digest} <code class="digest">${f.sha256}</code></span></li>` : "");
  return html`<section aria-labelledby="downloads-title"><h2 id="downloads-title">${w.downloads}</h2>
<ul class="files" data-testid="downloads">${file(v.all, base, w.whole)}
${recon.days.map((d) => file(d.file, `${base}?day=${d.date}`, `${w.day} ${day(d.date, lang)}`))}</ul>
${imports.length ? html`<p class="muted">${w.imports}: ${imports.map((i, n) => html`${n ? "; " : ""}#${i.id} (${maskText(i.accountNo)}, ${i.firstDate ? day(i.firstDate, lang) : ""}–${i.lastDate ? day(i.lastDate, lang) : ""}, SHA-256 <code class="digest">${i.fileSha256.slice(0, 16)}…</code>)`)}</p>` : ""}
</section>`;
}

function reconciliation(r: Reconciliation, lang: Lang): Html {
  const w = T[lang];
  const m = (x: bigint | null) => (x === null ? w.unknown : money(x, lang));
  const why = (d: Pick<DayFigures, "toClassify" | "toClassifyDong" | "awaitingDong" | "elsewhereDong" | "otherDong" | "differenceDong">) => {
    if (d.differenceDong === 0n && d.otherDong === 0n) return html`<span class="ok">${w.matches}</span>`;
    const parts: string[] = [];
    if (d.toClassifyDong !== 0n) parts.push(w.whyToClassify(d.toClassify, money(d.toClassifyDong, lang)));
    if (d.awaitingDong !== 0n) parts.push(w.whyAwaiting(money(d.awaitingDong, lang)));
    if (d.elsewhereDong !== 0n) parts.push(w.whyElsewhere(money(d.elsewhereDong, lang)));
    if (d.otherDong !== 0n) parts.push(w.whyOther(money(d.otherDong, lang)));
    return html`${parts.map((p, i) => html`${i ? html`<br>` : ""}${p}`)}`;
  };
  const t = r.totals;
  return html`<section aria-labelledby="recon-title"><h2 id="recon-title">${w.recon}</h2>
<p class="muted">${w.reconNote}</p>
<div class="scroll" tabindex="0" role="region" aria-labelledby="recon-title"><table class="recon" data-testid="reconciliation"><thead><tr><th scope="col">${w.day}</th><th scope="col">${w.opening}</th>
<th scope="col">${w.credits}</th><th scope="col">${w.debits}</th><th scope="col">${w.closing}</th><th scope="col">${w.ledger}</th>
<th scope="col">${w.difference}</th><th scope="col">${w.why}</th></tr></thead><tbody>
${r.days.map((d) => html`<tr data-date="${d.date}"><th scope="row">${day(d.date, lang)}</th><td>${m(d.openingDong)}</td><td>${m(d.creditsDong)}</td>
<td>${m(d.debitsDong)}</td><td>${m(d.closingDong)}${d.printedClosingDong !== null && d.printedClosingDong === d.closingDong ? html` <span class="ok" title="${w.printed}">✓</span>` : ""}</td>
<td>${m(d.ledgerDong)}</td><td>${m(d.differenceDong)}</td><td class="why">${why(d)}</td></tr>`)}
</tbody><tfoot><tr><th scope="row">${w.total}</th><td></td><td>${m(t.creditsDong)}</td><td>${m(t.debitsDong)}</td><td></td><td>${m(t.ledgerDong)}</td>
<td>${m(t.differenceDong)}</td><td class="why">${why(t)}</td></tr></tfoot></table></div></section>`;
}

const CSS = `
main.saoke h1{font-size:1.3rem}.crumb{margin:.2rem 0;font-size:.9rem}.decision{background:#eef6f0;border:1px solid #9cc7aa;border-radius:.35rem;padding:.5rem .7rem}
.privacy{border-left:4px solid #b9b3a9;padding-left:.6rem}
form.search{display:grid;gap:.4rem;margin:1rem 0}form.search label{font-weight:600;font-size:.95rem}
form.search .box{display:flex;gap:.4rem}form.search .box input{flex:1;min-width:0;font-size:1.05rem;padding:.55rem .6rem}
form.search .box button{font-size:1rem;padding:.5rem 1rem}
details.filters .grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(9rem,1fr));gap:.5rem;margin-top:.4rem}
details.filters label{display:grid;gap:.2rem;font-weight:normal;font-size:.9rem}details.filters input{width:100%}
[aria-invalid=true]{border-color:#8a1014;outline:2px solid #8a1014}.error{color:#8a1014}
.summary{background:#f4f1ec;border-radius:.35rem;padding:.45rem .6rem}.summary.note{background:#fff8d6;border:1px solid #e0c36a}
ol.lines{list-style:none;padding:0;margin:.6rem 0}li.line{background:#fff;border:1px solid #d7d3cc;border-radius:.45rem;padding:.55rem .7rem;margin:.45rem 0}
li.line .top{display:flex;justify-content:space-between;gap:.5rem;align-items:baseline;flex-wrap:wrap}.when{color:#50575e;font-size:.88rem}
.amount{font-weight:700;white-space:nowrap}.amount.in{color:#1f6f43}.amount.out{color:#8a1014}
.memo{margin:.3rem 0;overflow-wrap:anywhere;font-size:.97rem}.meta{margin:0;color:#50575e;font-size:.82rem;overflow-wrap:anywhere}
.status.ok{color:#1f6f43}.status.wait{color:#7a5b00}.status.todo{color:#8a1014}.ok{color:#1f6f43;font-weight:600}
.pager{display:flex;gap:1rem;align-items:center;justify-content:space-between}
ul.files{list-style:none;padding:0}ul.files li{margin:.45rem 0;display:grid;gap:.15rem}code.digest{font-size:.72rem;word-break:break-all}
.scroll{overflow-x:auto;-webkit-overflow-scrolling:touch;border:1px solid #d7d3cc;border-radius:.35rem;background:#fff}
table.recon{border-collapse:collapse;font-size:.85rem;min-width:44rem;width:100%}table.recon th,table.recon td{padding:.35rem .45rem;border-bottom:1px solid #e5e1da;text-align:right;white-space:nowrap;vertical-align:top}
table.recon thead th{white-space:normal;vertical-align:bottom}table.recon thead th:first-child,table.recon thead th:last-child{text-align:left}table.recon th[scope=row]{text-align:left}
table.recon td.why{text-align:left;white-space:normal;min-width:11rem;font-size:.8rem}
table.recon thead th{background:#f4f1ec;position:sticky;top:0}table.recon tfoot th,table.recon tfoot td{font-weight:700}
`;

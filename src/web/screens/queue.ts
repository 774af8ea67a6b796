import { randomUUID } from "node:crypto";
import { isUuid } from "../../ledger/ids.js";
import express, { type Request, type Response, type Router } from "express";
import type { Logger } from "pino";
import type { Soquy } from "../../context.js";
import { QueueQueries, type QueueCounts, type QueueFilter } from "../../db/queue.js";
import { REFUSALS_KEPT, VerifyJobs, type JobProgress, type Refusal } from "../../db/verifyjobs.js";
import { MAX_VERIFY_BATCH, type VerifyOutcome } from "../../ledger/controls.js";
import type { Campaign, Principal } from "../../ledger/types.js";
import { formatDateVi, formatDong } from "../../../reports/format.js";
import { langOf, type Lang } from "../applayout.js";
import { Html, html } from "../html.js";
import { checkCsrf, requireUser } from "../session.js";
import { count, isIsoDate, principalOf, say, sessionOf, type Page } from "./common.js";
import { AMOUNT_FILTER, KIND, parseDongTyped } from "./labels.js";
import { refusalText } from "./refusals.js";

// The approver's queue: filters applied by PostgreSQL over the whole queue (campaign, dates, the person who
// recorded, the amount as Vietnamese type it, a bank import), a page of rows to tick, and "verify everything
// that matches" — a count, one confirmation, then a job the page polls while it runs. Every verification goes
// through the domain's one verify call, so the refusals are those of one by one, said in words.

/** Rows on one page of the queue; "select all" ticks them all, and the form's parser takes them all. */
export const QUEUE_PAGE = 500;

const FILTER_NAMES = ["campaign", "from", "to", "recorder", "min", "max", "import"] as const;
type FilterText = Partial<Record<(typeof FILTER_NAMES)[number], string>>;

interface ParsedFilter {
  text: FilterText;
  filter: QueueFilter;
  errors: Map<string, string>;
  campaign: Campaign | undefined;
}

export function queueScreens(s: Soquy, r: Router, page: Page): void {
  const queue = new QueueQueries(s.db.knex);
  const jobs = new VerifyJobs(s.db.knex);
  // Every row of a page ticked is one field each, with the form's own few.
  const ticked = express.urlencoded({ extended: false, limit: "256kb", parameterLimit: MAX_VERIFY_BATCH + 20 });
  const form = express.urlencoded({ extended: false, limit: "16kb", parameterLimit: 40 });

  const parse = async (req: Request, res: Response, source: Record<string, unknown>): Promise<ParsedFilter> => {
    const p = principalOf(res);
    const text: FilterText = {};
    for (const n of FILTER_NAMES) if (typeof source[n] === "string" && (source[n] as string).trim() !== "") text[n] = (source[n] as string).trim();
    const errors = new Map<string, string>();
    const filter: QueueFilter = {};
    const campaign = text.campaign ? (await s.store.listCampaigns(p.committeeId)).find((c) => c.code === text.campaign) : undefined;
    if (text.campaign && !campaign) errors.set("campaign", say(req, "Không có cuộc vận động này.", "No such campaign."));
    filter.campaignId = campaign?.id;
    for (const d of ["from", "to"] as const) {
      if (text[d] === undefined) continue;
      if (isIsoDate(text[d])) filter[d] = text[d];
      else errors.set(d, say(req, "Ngày không hợp lệ.", "Not a valid date."));
    }
    if (filter.from && filter.to && filter.to < filter.from) errors.set("to", say(req, "Ngày cuối phải sau ngày đầu.", "The last day comes after the first."));
    for (const a of ["min", "max"] as const) {
      if (text[a] === undefined) continue;
      const v = parseDongTyped(text[a]);
      if (v === null) errors.set(a, AMOUNT_FILTER[langOf(req)]);
      else filter[a] = v;
    }
    if (filter.min !== undefined && filter.max !== undefined && filter.max < filter.min) {
      errors.set("max", say(req, "Số tiền tối đa phải không nhỏ hơn số tiền tối thiểu.", "The largest amount is not below the smallest."));
    }
    for (const [name, key] of [["recorder", "recorder"], ["import", "importId"]] as const) {
      if (text[name] === undefined) continue;
      if (/^\d{1,15}$/.test(text[name])) filter[key] = Number(text[name]);
      else errors.set(name, say(req, "Hãy chọn trong danh sách.", "Choose from the list."));
    }
    return { text, filter, errors, campaign };
  };

  const queuePage = async (req: Request, res: Response, flash: Html | null, status = 200) => {
    const sess = sessionOf(res);
    const p = principalOf(res);
    const f = await parse(req, res, req.query as Record<string, unknown>);
    const after = /^\d{1,15}$/.test(String(req.query.after ?? "")) ? Number(req.query.after) : 0;
    const [campaigns, recorders, imports] = await Promise.all([
      s.store.listCampaigns(p.committeeId), queue.recorders(p.committeeId), queue.imports(p.committeeId),
    ]);
    const ok = f.errors.size === 0;
    const rows = ok ? await queue.page(p.committeeId, f.filter, p.personId, after, QUEUE_PAGE) : [];
    const counts = ok ? await queue.counts(p.committeeId, f.filter, p.personId) : null;
    const query = filterQuery(f.text);
    const lang = langOf(req);
    const err = (n: string) => f.errors.get(n) ?? null;
    page(req, res, say(req, "Chờ duyệt", "Verification queue"), html`<h1>${say(req, "Bút toán chờ duyệt", "Entries waiting for verification")}</h1>
<form method="get" action="/app/queue" class="filters" novalidate>
${select(req, "campaign", say(req, "Cuộc vận động", "Campaign"), f.text.campaign, campaigns.map((c) => [c.code, `${c.name} (${c.code})`]), err("campaign"))}
${field("from", say(req, "Từ ngày", "From"), f.text.from, err("from"), "date")}${field("to", say(req, "Đến ngày", "To"), f.text.to, err("to"), "date")}
${select(req, "recorder", say(req, "Người ghi", "Recorded by"), f.text.recorder, recorders.map((x) => [String(x.person), x.name]), err("recorder"))}
${field("min", say(req, "Từ số tiền (đồng)", "Smallest amount (đồng)"), f.text.min, err("min"), "text", "1.500.000")}
${field("max", say(req, "Đến số tiền (đồng)", "Largest amount (đồng)"), f.text.max, err("max"), "text")}
${select(req, "import", say(req, "Lần nhập sao kê", "Bank import"), f.text.import, imports.map((i) => [String(i.id), importLabel(i, lang)]), err("import"))}
<button type="submit">${say(req, "Lọc", "Filter")}</button> <a href="/app/queue">${say(req, "Bỏ lọc", "Clear")}</a></form>
${ok ? "" : html`<div class="errors" role="alert">${say(req, "Hãy sửa bộ lọc được đánh dấu.", "Please correct the marked filters.")}</div>`}
${counts && (counts.total > 0 || counts.approvedByMe > 0) ? countLine(req, counts) : ""}
${counts && counts.total > 0 ? html`<p><a class="button" href="/app/queue/verify-all${query}" data-testid="verify-all">${say(req,
    `Duyệt tất cả ${count(counts.total, lang)} bút toán khớp bộ lọc…`, `Verify all ${count(counts.total, lang)} matching entries…`)}</a></p>` : ""}
${rows.length ? html`<form method="post" action="/app/queue${query}" data-once><input type="hidden" name="_csrf" value="${sess.csrfToken}">
<div class="scroll"><table class="list" data-testid="queue"><thead><tr><th scope="col"><input type="checkbox" id="select-all" aria-label="${say(req, "Chọn tất cả", "Select all")}"></th>
<th scope="col">${say(req, "Số", "No.")}</th><th scope="col">${say(req, "Ngày", "Date")}</th><th scope="col">${say(req, "Loại", "Kind")}</th>
<th scope="col">${say(req, "Diễn giải", "Description")}</th><th scope="col">${say(req, "Người ghi", "Recorded by")}</th><th scope="col" class="num">${say(req, "Số tiền", "Amount")}</th></tr></thead>
<tbody>${rows.map((e) => html`<tr><td><input type="checkbox" name="ids" value="${e.id}" aria-label="${say(req, "Chọn bút toán số", "Select entry")} ${e.seq}"${e.mine || e.approvedByMe ? new Html(" disabled") : ""}></td>
<td><a href="/app/entries/${e.id}">${e.seq}</a></td><td>${formatDateVi(e.entryDate)}</td><td>${KIND[e.kind]?.[lang] ?? e.kind}${e.campaign ? html` <span class="muted">${e.campaign}</span>` : ""}</td>
<td>${e.description}${e.requiredApprovals === 2 ? html` <strong>(${say(req, `cần 2 người duyệt, đã có ${e.approvals}`, `needs 2 approvers, has ${e.approvals}`)})</strong>` : ""}${e.mine ? html` <em>(${say(req, "bạn ghi — người khác duyệt", "yours — someone else verifies")})</em>` : ""}${e.approvedByMe ? html` <em>(${say(req, "bạn đã duyệt — chờ người thứ hai", "you approved it — waiting for a second approver")})</em>` : ""}</td>
<td>${e.recorderName}</td><td class="num">${formatDong(e.amountDong)}</td></tr>`)}</tbody></table></div>
<button type="submit">${say(req, "Duyệt các bút toán đã chọn", "Verify the selected entries")}</button></form>
${rows.length === QUEUE_PAGE ? html`<p><a href="/app/queue${filterQuery(f.text, { after: String(rows.at(-1)!.seq) })}">${say(req, `${QUEUE_PAGE} bút toán tiếp theo`, `Next ${QUEUE_PAGE} entries`)}</a></p>` : ""}`
    : ok ? html`<p>${say(req, "Không có bút toán nào chờ duyệt khớp bộ lọc.", "No entry waiting for verification matches.")}</p>` : ""}
${importsTable(req, imports.filter((i) => i.waiting > 0))}`, flash, status);
  };

  r.get("/queue", requireUser(["approver"]), (req, res) => queuePage(req, res, null));
  r.post("/queue", ticked, requireUser(["approver"]), async (req, res) => {
    checkCsrf(req, res);
    const ids = ([] as unknown[]).concat(req.body.ids ?? []).filter((x): x is string => isUuid(x)).slice(0, MAX_VERIFY_BATCH);
    const outcomes = ids.length ? await s.controls.verifyMany(principalOf(res), ids) : [];
    const tally = tallyOf(outcomes);
    await queuePage(req, res, outcomeFlash(req, tally));
  });

  // "Verify everything that matches": the count and what will happen, once, before anything is done.
  r.get("/queue/verify-all", requireUser(["approver"]), async (req, res) => {
    const p = principalOf(res);
    const f = await parse(req, res, req.query as Record<string, unknown>);
    if (f.errors.size) return queuePage(req, res, null, 422);
    const counts = await queue.counts(p.committeeId, f.filter, p.personId);
    const lang = langOf(req);
    const sess = sessionOf(res);
    page(req, res, say(req, "Duyệt theo bộ lọc", "Verify what matches"), html`<h1>${say(req, "Duyệt tất cả bút toán khớp bộ lọc", "Verify every matching entry")}</h1>
<p>${describeFilter(req, f, await queue.imports(p.committeeId))}</p>
<p class="figure" data-testid="confirm-count"><strong>${count(counts.total, lang)}</strong> ${say(req, "bút toán sẽ được duyệt.", "entries will be verified.")}</p>
<ul>${counts.mine ? html`<li>${say(req, `${count(counts.mine, lang)} bút toán do chính bạn ghi sẽ bị từ chối: người khác phải duyệt.`, `${count(counts.mine, lang)} you recorded will be refused: someone else verifies them.`)}</li>` : ""}
${counts.twoApprovals ? html`<li>${say(req, `${count(counts.twoApprovals, lang)} bút toán cần hai người duyệt: sau lượt của bạn vẫn chờ người thứ hai.`, `${count(counts.twoApprovals, lang)} need two approvers: after yours they wait for a second.`)}</li>` : ""}
${counts.approvedByMe ? html`<li>${say(req, `${count(counts.approvedByMe, lang)} bút toán bạn đã duyệt trước đây không tính lại.`, `${count(counts.approvedByMe, lang)} you approved before are not counted again.`)}</li>` : ""}
<li>${say(req, "Bút toán ghi sau lúc này không được tính vào lần duyệt này.", "Entries recorded after now are not part of this.")}</li></ul>
${counts.total > 0 ? html`<form method="post" action="/app/queue/verify-all" data-once><input type="hidden" name="_csrf" value="${sess.csrfToken}">
<input type="hidden" name="_job" value="${randomUUID()}"><input type="hidden" name="through" value="${counts.lastSeq}">
${Object.entries(f.text).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<button type="submit">${say(req, `Xác nhận duyệt ${count(counts.total, lang)} bút toán`, `Verify ${count(counts.total, lang)} entries`)}</button></form>` : ""}
<p><a href="/app/queue${filterQuery(f.text)}">${say(req, "Quay lại hàng chờ", "Back to the queue")}</a></p>`);
  });

  r.post("/queue/verify-all", form, requireUser(["approver"]), async (req, res) => {
    checkCsrf(req, res);
    const p = principalOf(res);
    const f = await parse(req, res, req.body as Record<string, unknown>);
    const job = String(req.body._job ?? "");
    const through = /^\d{1,15}$/.test(String(req.body.through ?? "")) ? Number(req.body.through) : NaN;
    if (f.errors.size || !isUuid(job) || !Number.isSafeInteger(through)) return queuePage(req, res, null, 422);
    const filter = { ...f.filter, throughSeq: through };
    const counts = await queue.counts(p.committeeId, filter, p.personId);
    const created = await jobs.create({ id: job, committeeId: p.committeeId, startedBy: p.tokenId, description: filterQuery(f.text).slice(1) || "-", total: counts.total });
    if (created) void runJob(s, queue, jobs, p, job, filter, counts.total, res.locals.rootLog as Logger | undefined);
    res.redirect(303, `/app/queue/jobs/${job}`);
  });

  r.get("/queue/jobs/:id", requireUser(["approver"]), async (req, res) => {
    const p = principalOf(res);
    const job = await jobs.find(p.committeeId, String(req.params.id));
    const lang = langOf(req);
    if (!job) return page(req, res, "404", html`<h1>${say(req, "Không có công việc duyệt này", "No such verification job")}</h1><p><a href="/app/queue">${say(req, "Về hàng chờ", "Back to the queue")}</a></p>`, null, 404);
    const back = html`<p><a href="/app/queue">${say(req, "Về hàng chờ", "Back to the queue")}</a></p>`;
    const described = describeFilter(req, await parse(req, res, Object.fromEntries(new URLSearchParams(job.description))), await queue.imports(p.committeeId));
    const bar = html`<p><progress id="job-bar" max="${Math.max(job.total, 1)}" value="${job.done}" aria-label="${say(req, "Tiến độ duyệt", "Progress")}"></progress>
<span id="job-status" role="status" aria-live="polite">${count(job.done, lang)} / ${count(job.total, lang)} ${say(req, "bút toán", "entries")}</span></p>`;
    if (job.state === "running" && !job.stalled) {
      return page(req, res, say(req, "Đang duyệt", "Verifying"), html`<h1>${say(req, "Đang duyệt…", "Verifying…")}</h1><p>${described}</p>${bar}
<div id="verify-job" data-job="${job.id}" data-testid="job-running"></div>${back}<script src="/app/assets/queue.js" defer></script>`);
    }
    const tally = { approved: job.approved, verified: job.verified, refused: job.refused, refusals: job.refusals };
    const title = job.state === "done" ? say(req, "Đã duyệt xong", "Verification finished")
      : say(req, "Công việc duyệt dừng giữa chừng", "The verification stopped part-way");
    const why = job.state === "done" ? "" : html`<p class="bad">${say(req,
      "Máy chủ đã dừng công việc này trước khi xong. Những bút toán đã duyệt vẫn được giữ; mở lại hàng chờ để duyệt tiếp phần còn lại.",
      "The server stopped this job before it finished. What was verified stays verified; open the queue to verify the rest.")}</p>`;
    page(req, res, title, html`<h1>${title}</h1><p>${described}</p>${bar}${why}<div data-testid="job-result">${outcomeFlash(req, tally)}</div>${back}`);
  });

  r.get("/queue/jobs/:id/status", requireUser(["approver"]), async (req, res) => {
    const job = await jobs.find(principalOf(res).committeeId, String(req.params.id));
    res.set("Cache-Control", "no-store");
    if (!job) return void res.status(404).json({ state: "unknown" });
    res.json({ state: job.stalled ? "stalled" : job.state, done: job.done, total: job.total });
  });

  r.get("/assets/queue.js", (_req, res) => void res.type("application/javascript").set("Cache-Control", "public, max-age=3600").send(QUEUE_JS));
}

/** Verifies what the filter matched, a batch at a time through the domain's verify call, the job's row kept up to date. */
async function runJob(s: Soquy, queue: QueueQueries, jobs: VerifyJobs, p: Principal, id: string, filter: QueueFilter, total: number,
  log: Logger | undefined): Promise<void> {
  const progress: JobProgress = { done: 0, approved: 0, verified: 0, refused: 0, refusals: [] };
  let after = 0;
  try {
    for (;;) {
      const next = await queue.nextToVerify(p.committeeId, filter, p.personId, after, MAX_VERIFY_BATCH);
      if (next.length === 0) break;
      after = next.at(-1)!.seq;
      const t = tallyOf(await s.controls.verifyMany(p, next.map((x) => x.id)));
      progress.done = Math.min(total, progress.done + next.length);
      progress.approved += t.approved;
      progress.verified += t.verified;
      progress.refused += t.refused;
      progress.refusals = [...progress.refusals, ...t.refusals].slice(0, REFUSALS_KEPT);
      await jobs.progress(id, progress);
    }
    await jobs.finish(id, "done");
  } catch (error) {
    log?.error({ err: error, job: id }, "a bulk verification failed");
    await jobs.finish(id, "failed").catch(() => undefined);
  }
}

interface Tally {
  approved: number;
  verified: number;
  refused: number;
  refusals: Refusal[];
}

function tallyOf(outcomes: VerifyOutcome[]): Tally {
  const refused = outcomes.filter((o) => !o.ok);
  return {
    approved: outcomes.length - refused.length, verified: outcomes.filter((o) => o.ok && o.verified).length, refused: refused.length,
    refusals: refused.slice(0, REFUSALS_KEPT).map((o) => ({ id: o.id, seq: o.sequence, code: o.code ?? "" })),
  };
}

/** What a verification did, in words: how many approved, how many now count, which were refused and why. */
function outcomeFlash(req: Request, t: Tally): Html {
  const lang = langOf(req);
  const waiting = t.approved - t.verified;
  return html`${t.approved > 0 || t.refused === 0 ? html`<p data-testid="verified-count">${say(req, `Đã duyệt ${count(t.approved, lang)} bút toán.`, `Verified ${count(t.approved, lang)} entries.`)}
${waiting > 0 ? say(req, ` ${count(waiting, lang)} bút toán trong đó còn chờ người duyệt thứ hai.`, ` ${count(waiting, lang)} of them wait for a second approver.`) : ""}</p>` : ""}
${t.refused ? html`<div class="errors" role="alert"><p>${say(req, `Không duyệt được ${count(t.refused, lang)} bút toán:`, `${count(t.refused, lang)} were refused:`)}</p>
<ul data-testid="refusals">${t.refusals.map((x) => html`<li><a href="/app/entries/${x.id}">${say(req, "Bút toán số", "Entry")} ${x.seq ?? "?"}</a>: ${refusalText(x.code, lang)}</li>`)}</ul>
${t.refused > t.refusals.length ? html`<p>${say(req, `… và ${count(t.refused - t.refusals.length, lang)} bút toán khác.`, `… and ${count(t.refused - t.refusals.length, lang)} more.`)}</p>` : ""}</div>` : ""}`;
}

function countLine(req: Request, c: QueueCounts): Html {
  const lang = langOf(req);
  return html`<p data-testid="queue-count">${say(req, `Có ${count(c.total, lang)} bút toán chờ bạn duyệt khớp bộ lọc.`, `${count(c.total, lang)} matching entries wait for you.`)}
${c.approvedByMe ? say(req, ` ${count(c.approvedByMe, lang)} bút toán bạn đã duyệt đang chờ người thứ hai.`, ` ${count(c.approvedByMe, lang)} you approved wait for a second approver.`) : ""}</p>`;
}

function importsTable(req: Request, imports: Awaited<ReturnType<QueueQueries["imports"]>>): Html | string {
  if (imports.length === 0) return "";
  const lang = langOf(req);
  return html`<h2>${say(req, "Sao kê ngân hàng chờ duyệt", "Bank imports waiting for verification")}</h2>
<table class="list" data-testid="imports"><thead><tr><th scope="col">${say(req, "Lần nhập", "Import")}</th><th scope="col">${say(req, "Cuộc vận động", "Campaign")}</th>
<th scope="col">${say(req, "Tài khoản", "Account")}</th><th scope="col">${say(req, "Kỳ", "Period")}</th><th scope="col" class="num">${say(req, "Chờ duyệt", "Waiting")}</th><th scope="col"></th></tr></thead>
<tbody>${imports.map((i) => html`<tr><td><a href="/app/bank-imports/${i.id}">#${i.id}</a></td><td>${i.campaign}</td><td>${i.bankAccount}</td>
<td>${i.firstDate ? formatDateVi(i.firstDate) : ""}–${i.lastDate ? formatDateVi(i.lastDate) : ""}</td><td class="num">${count(i.waiting, lang)}</td>
<td><a href="/app/queue?import=${i.id}">${say(req, "Xem", "Show")}</a> · <a href="/app/queue/verify-all?import=${i.id}">${say(req, "Duyệt lần nhập này…", "Verify this import…")}</a></td></tr>`)}</tbody></table>`;
}

function importLabel(i: { id: number; campaign: string; firstDate: string | null; lastDate: string | null }, lang: Lang): string {
  const days = i.firstDate && i.lastDate ? ` ${formatDateVi(i.firstDate)}–${formatDateVi(i.lastDate)}` : "";
  return `${lang === "vi" ? "Lần nhập" : "Import"} #${i.id} · ${i.campaign}${days}`;
}

function describeFilter(req: Request, f: ParsedFilter, imports: Awaited<ReturnType<QueueQueries["imports"]>>): string {
  const lang = langOf(req);
  const parts: string[] = [];
  if (f.campaign) parts.push(`${say(req, "cuộc vận động", "campaign")} ${f.campaign.name} (${f.campaign.code})`);
  if (f.filter.from) parts.push(`${say(req, "từ ngày", "from")} ${formatDateVi(f.filter.from)}`);
  if (f.filter.to) parts.push(`${say(req, "đến ngày", "to")} ${formatDateVi(f.filter.to)}`);
  if (f.filter.min !== undefined) parts.push(`${say(req, "từ", "from")} ${formatDong(f.filter.min)} đồng`);
  if (f.filter.max !== undefined) parts.push(`${say(req, "đến", "up to")} ${formatDong(f.filter.max)} đồng`);
  if (f.filter.recorder !== undefined) parts.push(say(req, "một người ghi", "one recorder"));
  if (f.filter.importId !== undefined) {
    const i = imports.find((x) => x.id === f.filter.importId);
    parts.push(i ? importLabel(i, lang) : `${say(req, "lần nhập", "import")} #${f.filter.importId}`);
  }
  return `${say(req, "Bộ lọc", "Filter")}: ${parts.length ? parts.join("; ") : say(req, "tất cả bút toán chờ duyệt", "every entry waiting")}.`;
}

function filterQuery(text: FilterText, extra: Record<string, string> = {}): string {
  const q = new URLSearchParams({ ...Object.fromEntries(Object.entries(text).filter(([, v]) => v !== undefined)) as Record<string, string>, ...extra });
  const t = q.toString();
  return t ? `?${t}` : "";
}

function field(name: string, label: string, value: string | undefined, error: string | null, type: "date" | "text", placeholder?: string): Html {
  const id = `q-${name}`;
  return html`<label for="${id}">${label}<input id="${id}" name="${name}" type="${type}" value="${value ?? ""}"${type === "text" ? new Html(' inputmode="numeric" autocomplete="off"') : ""}${placeholder ? new Html(` placeholder="${placeholder}"`) : ""}${error ? new Html(` aria-invalid="true" aria-describedby="${id}-error"`) : ""}>
${error ? html`<span class="field-error" id="${id}-error">${error}</span>` : ""}</label>`;
}

function select(req: Request, name: string, label: string, value: string | undefined, options: [string, string][], error: string | null): Html {
  const id = `q-${name}`;
  return html`<label for="${id}">${label}<select id="${id}" name="${name}"${error ? new Html(` aria-invalid="true" aria-describedby="${id}-error"`) : ""}><option value="">${say(req, "Tất cả", "All")}</option>
${options.map(([v, l]) => html`<option value="${v}"${v === value ? new Html(" selected") : ""}>${l}</option>`)}</select>
${error ? html`<span class="field-error" id="${id}-error">${error}</span>` : ""}</label>`;
}

const QUEUE_JS = `
(function () {
  var box = document.getElementById("verify-job");
  if (!box) return;
  var vi = document.documentElement.lang !== "en";
  var bar = document.getElementById("job-bar"), status = document.getElementById("job-status");
  var dots = function (n) { return vi ? String(n).replace(/\\B(?=(\\d{3})+(?!\\d))/g, ".") : n.toLocaleString("en-US"); };
  var poll = function () {
    fetch("/app/queue/jobs/" + box.getAttribute("data-job") + "/status", { credentials: "same-origin" })
      .then(function (r) { return r.json(); })
      .then(function (j) {
        if (j.state === "running") {
          bar.max = Math.max(j.total, 1); bar.value = j.done;
          status.textContent = dots(j.done) + " / " + dots(j.total) + (vi ? " bút toán" : " entries");
          setTimeout(poll, 400);
        } else location.reload();
      })
      .catch(function () { setTimeout(poll, 2000); });
  };
  setTimeout(poll, 300);
})();
`;

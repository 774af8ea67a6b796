import type { NextFunction, Request, Response, Router } from "express";
import { langOf } from "../applayout.js";
import { html } from "../html.js";
import { SessionEnded } from "../session.js";
import { say, type Page } from "./common.js";

// A form sent after its session ended — signed out in another tab, or expired — is not thrown away: the
// answer is a sign-in form, with what was typed kept in the page (never in an address, never on the
// server). Signing in there takes the person back to the form, which fills itself in again (SCREENS_JS)
// for them to check and send; nothing was recorded meanwhile. A request that is not a form (the bank
// statement upload, the job polls) is told the same in its own terms.

/** Fields never kept: the old session's token, the form's own key, and passwords. */
const NOT_KEPT = /^(_csrf|_idem|_job|password|current|next)$/;

/** Where a form's page is, for the form that posted to `path`. */
export function formPageOf(path: string): string {
  const p = path.replace(/\/+$/, "");
  if (/^\/app\/users\/\d+\/disable$/.test(p)) return "/app/users";
  if (p === "/app/queue/verify-all") return "/app/queue";
  if (p.endsWith("/reverse")) return p.slice(0, -"/reverse".length);
  return p || "/app";
}

/** The error handler for SessionEnded, mounted last on the workspace's router. */
export function resumeScreens(r: Router, page: Page): void {
  r.use((error: unknown, req: Request, res: Response, next: NextFunction) => {
    if (!(error instanceof SessionEnded)) return next(error);
    res.locals.problemCode = "unauthorized";
    if (req.path === "/logout") return void res.redirect(303, "/app/login");
    const message = say(req, "Phiên đăng nhập đã kết thúc (có thể bạn đã đăng xuất ở một thẻ khác). Chưa ghi gì: hãy đăng nhập lại rồi gửi lại.",
      "Your session has ended (perhaps you signed out in another tab). Nothing was written: sign in again and send it again.");
    if (!req.is("application/x-www-form-urlencoded")) return void res.status(401).json({ error: { code: "session_ended", message } });
    const action = `/app${req.url}`;
    const kept = Object.entries((req.body ?? {}) as Record<string, unknown>).flatMap(([name, v]) =>
      NOT_KEPT.test(name) ? [] : ([] as unknown[]).concat(v).filter((x): x is string => typeof x === "string").map((x) => [name, x] as const));
    const back = formPageOf(`/app${req.path}`);
    const title = say(req, "Phiên đăng nhập đã kết thúc", "Your session has ended");
    page(req, res, title, html`<h1>${title}</h1>
<p>${say(req, "Có thể bạn đã đăng xuất ở một thẻ khác, hoặc đã lâu không dùng. Những gì bạn vừa nhập chưa được ghi sổ nhưng vẫn được giữ lại: đăng nhập lại, kiểm tra rồi gửi lại.",
      "You may have signed out in another tab, or been away for long. What you typed was not recorded but is kept: sign in again, check it and send it again.")}</p>
<form method="post" action="/app/login?next=${encodeURIComponent(back)}" class="entry" data-resume>
<label for="resume-login">${say(req, "Tên đăng nhập", "Login")}<input id="resume-login" name="login" autocomplete="username" required autofocus></label>
<label for="resume-password">${say(req, "Mật khẩu", "Password")}<input id="resume-password" name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">${say(req, "Đăng nhập và quay lại biểu mẫu", "Sign in and go back to the form")}</button></form>
<div hidden id="kept-form" data-action="${action}" data-lang="${langOf(req)}">${kept.map(([name, value]) => html`<input type="hidden" name="${name}" value="${value}">`)}</div>`,
    null, 401);
  });
}

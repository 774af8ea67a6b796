import { existsSync, mkdirSync, readdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { expect } from "chai";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import { resultCodes } from "../../src/ledger/codes.js";
import { KIND, METHOD } from "../../src/web/screens/labels.js";
import { codeWords } from "../../src/web/screens/refusals.js";

// Debian's Chromium driven by playwright-core, for the workspace's screens: signing in, axe-core's WCAG 2 A/AA
// rules, screenshots at phone and desktop width (SHOTS_DIR, default test-output/), and the check that a
// Vietnamese page shows no English label, no result code and no JSON.

export const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
export const shotsDir = path.resolve(process.env.SHOTS_DIR ?? "test-output");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export async function launch(): Promise<Browser> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
  mkdirSync(shotsDir, { recursive: true });
  return chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
}

export async function signIn(browser: Browser, base: string, login: string, password: string, width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  // As a Vietnamese browser shows it: dates as dd/mm/yyyy, the file picker's own button in Vietnamese.
  const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true, bypassCSP: true, locale: "vi-VN" });
  const page = await context.newPage();
  await page.goto(`${base}/app/login`);
  await page.getByLabel("Tên đăng nhập").fill(login);
  await page.getByLabel("Mật khẩu").fill(password);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.waitForURL(`${base}/app`);
  return { context, page };
}

export async function axe(page: Page, name: string): Promise<void> {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(o: object): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } })
      .axe.run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } });
    return r.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`);
  });
  expect(result, `axe violations on ${name}`).to.deep.equal([]);
}

/** The page at phone and desktop width, whole, or its top `maxHeight` pixels (a queue of 500 rows takes seconds to shoot whole). */
export async function shoot(page: Page, name: string, maxHeight?: number): Promise<void> {
  for (const [w, label] of [[390, "phone"], [1280, "desktop"]] as const) {
    await page.setViewportSize({ width: w, height: 900 });
    // Laid out and painted at the new width before the shot: a focused field otherwise keeps the old width's pixels.
    await page.evaluate(() => new Promise((done) => requestAnimationFrame(() => requestAnimationFrame(done))));
    const height = maxHeight === undefined ? undefined : Math.min(maxHeight, await page.evaluate(() => document.documentElement.scrollHeight));
    await page.screenshot({ path: path.join(shotsDir, `${name}-${label}.png`), fullPage: true, ...(height ? { clip: { x: 0, y: 0, width: w, height } } : {}) });
  }
  await page.setViewportSize({ width: 1280, height: 900 });
}

/**
 * The English the screens say when asked for English: every `T(req, vi, en)` / `say(req, vi, en)` of src/web read from
 * the source (a phrase of two words or more that differs from its Vietnamese), and the screens' tables.
 */
function screensEnglish(): string[] {
  const dir = path.resolve("src/web");
  const files = [...readdirSync(dir).map((f) => path.join(dir, f)), ...readdirSync(path.join(dir, "screens")).map((f) => path.join(dir, "screens", f))]
    .filter((f) => f.endsWith(".ts"));
  const said = /\b(?:T|say)\(req, "((?:[^"\\]|\\.)*)", "((?:[^"\\]|\\.)*)"\)/g;
  const out = new Set<string>();
  for (const f of files) {
    for (const m of readFileSync(f, "utf8").matchAll(said)) {
      const [vi, en] = [m[1]!, m[2]!];
      if (en !== vi && /^[A-Za-z][^${}]*\s[^${}]*[a-z]/.test(en) && !/[\\]/.test(en) && en.length >= 8) out.add(en);
    }
  }
  return [...out];
}

/** The English the screens' tables hold, result codes spelled as codes, and JSON: none of it on a page in Vietnamese. */
const english = [...new Set([...codeWords(), ...Object.values(KIND), ...Object.values(METHOD)].map((x) => x.en).concat(screensEnglish()))];
const codes = resultCodes.filter((c) => c.includes("_") || ["forbidden", "unauthorized"].includes(c));

export async function vietnameseOnly(page: Page, name: string): Promise<void> {
  expect(await page.locator("html").getAttribute("lang"), name).to.equal("vi");
  const text = await page.locator("body").innerText();
  for (const e of english) expect(text, `${name} shows English: ${e}`).not.to.contain(e);
  for (const c of codes) expect(text, `${name} shows a result code`).not.to.match(new RegExp(`\\b${c}\\b`));
  expect(text, `${name} shows JSON`).not.to.match(/[{[]\s*"/);
}

/** A form on the page as the browser would send it. */
export function formOf(page: Page, selector: string): Promise<Record<string, string>> {
  return page.locator(selector).evaluate((f) => Object.fromEntries(new FormData(f as HTMLFormElement) as unknown as Iterable<[string, string]>));
}

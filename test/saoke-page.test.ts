import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { expect } from "chai";
import { chromium, type Browser, type Page } from "playwright-core";
import type { Soquy } from "../src/context.js";
import { testServer } from "./support/http.js";
import { UserStore } from "../src/db/users.js";
import { hashPassword } from "../src/web/passwords.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee } from "./support/db.js";
import { generateStatement } from "./support/saoke.js";

// The public sao kê page in a real browser (Debian's Chromium, playwright-core) against the real
// service: reached from the committee's page, searched without diacritics on a phone, paged,
// refused in Vietnamese, switched to English, its CSV downloaded and checked against the digest it
// shows; and the workspace screen where an approver records the decision. Screenshots at phone and desktop width go to SAOKE_SHOTS (default /tmp/saoke-shots).

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const shots = process.env.SAOKE_SHOTS ?? "/tmp/saoke-shots";

describe("public sao kê page in a browser", function () {
  this.timeout(300_000);
  let s: Soquy;
  let server: Server;
  let base: string;
  let browser: Browser;
  let c: TestCommittee;
  const code = uniqueCode("YAGI").toUpperCase();

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    ({ s, server, base } = await testServer());
    c = await makeCommittee(s, "Ban Vận động cứu trợ tỉnh Yên Bái");
    await s.ledger.createCampaign(c.principals.treasurer, { code, name: "Ủng hộ đồng bào bị thiệt hại do bão số 3 (Yagi)", kind: "relief", startsOn: "2024-09-01" }, meta());
    const st = generateStatement(150, ["2024-09-10", "2024-09-11"]);
    const post = (p: string, token: string, body: string | object, type = "application/json") => fetch(`${base}/api/v1${p}`, {
      method: "POST", headers: { Authorization: `Bearer ${token}`, "Content-Type": type }, body: typeof body === "string" ? body : JSON.stringify(body),
    });
    const imported = await post(`/bank-imports?campaign=${code}&bankAccount=${st.account}&layout=vcb&openingBalance=${st.openingDong}`, c.tokens.treasurer, st.csv, "text/csv");
    expect(imported.status).to.equal(201);
    const decided = await post(`/campaigns/${code}/sao-ke`, c.tokens.approver, { publish: true, resolutionRef: "Quyết định số 12/QĐ-BVĐ ngày 10/9/2024" });
    expect(decided.status).to.equal(201);
    await s.saoke.settle();
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    mkdirSync(shots, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  const open = async (width: number, url: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true, locale: "vi-VN", bypassCSP: true });
    const page = await context.newPage();
    const res = await page.goto(`${base}${url}`);
    expect(res?.status()).to.equal(200);
    return page;
  };
  const noSideways = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth <= window.innerWidth);

  it("is linked from the committee's page and finds a name typed without diacritics, on a phone", async () => {
    const page = await open(390, `/c/${c.committee.code}`);
    await page.locator(`article[data-campaign="${code}"]`).getByTestId("saoke").click();
    await page.waitForURL(/\/sao-ke$/);
    expect(await page.getByTestId("decision").innerText()).to.contain("Quyết định số 12/QĐ-BVĐ ngày 10/9/2024");
    expect(await page.getByTestId("privacy").innerText()).to.contain("Tên người chuyển tiền trong nội dung được giữ nguyên như ngân hàng in");
    await page.screenshot({ path: path.join(shots, "saoke-phone-landing.png"), fullPage: true });
    await page.getByLabel("Tìm theo tên người chuyển, nội dung, mã giao dịch hoặc số tiền").fill("nguyen van a");
    await page.keyboard.press("Enter");
    await page.getByTestId("summary").waitFor();
    expect(await page.getByTestId("summary").innerText()).to.match(/^Tìm thấy 2 dòng · Ghi có \(tiền vào\): 552\.222 đồng/);
    const lines = page.getByTestId("lines").locator("li");
    expect(await lines.count()).to.equal(2);
    expect(await lines.nth(1).innerText()).to.contain("Nguyễn Văn A chuyển khoản ủng hộ đồng bào lũ lụt, SĐT *******678").and.contain("+52.222 đồng");
    expect(await page.locator("main").innerText()).not.to.contain("0912 345 678");
    expect(await noSideways(page)).to.equal(true);
    await page.screenshot({ path: path.join(shots, "saoke-phone-search.png"), fullPage: true });
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve("axe-core/axe.min.js") });
    const violations = await page.evaluate(async () => ((await (window as any).axe.run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } }))
      .violations as { id: string }[]).map((v) => v.id));
    expect(violations).to.deep.equal([]);
  });

  it("pages on with the next link, and refuses a one-letter search in Vietnamese beside the box", async () => {
    const page = await open(390, `/c/${c.committee.code}/${code}/sao-ke?from=2024-09-10&to=2024-09-11`);
    const first = await page.getByTestId("lines").locator("li").first().innerText();
    await page.getByTestId("next").click();
    await page.waitForURL(/after=/);
    expect(await page.getByTestId("lines").locator("li").first().innerText()).not.to.equal(first);
    await page.getByLabel("Tìm theo tên người chuyển, nội dung, mã giao dịch hoặc số tiền").fill("a");
    await page.keyboard.press("Enter");
    await page.getByTestId("search-error").waitFor();
    expect(await page.getByTestId("search-error").innerText()).to.equal("Chưa tìm được: Từ khóa cần ít nhất 2 chữ cái hoặc chữ số.");
    expect(await page.locator("#q").getAttribute("aria-invalid")).to.equal("true");
    await page.screenshot({ path: path.join(shots, "saoke-phone-refused.png"), fullPage: false });
  });

  it("shows the day-by-day reconciliation and downloads a day's CSV whose SHA-256 is the digest it shows", async () => {
    const page = await open(1280, `/c/${c.committee.code}/${code}/sao-ke?q=500.000`);
    const table = page.getByTestId("reconciliation");
    expect(await table.locator("tbody tr").count()).to.equal(2);
    expect(await table.locator("tbody tr").first().innerText()).to.contain("chờ kiểm duyệt");
    await page.screenshot({ path: path.join(shots, "saoke-desktop.png"), fullPage: true });
    await table.screenshot({ path: path.join(shots, "saoke-desktop-reconciliation.png") });
    const item = page.getByTestId("downloads").locator("li").nth(1);
    const shown = await item.locator("code.digest").innerText();
    const [download] = await Promise.all([page.waitForEvent("download"), item.locator("a").click()]);
    const file = path.join(shots, "saoke-day.csv");
    await download.saveAs(file);
    const bytes = readFileSync(file);
    expect(createHash("sha256").update(bytes).digest("hex")).to.equal(shown);
    expect(bytes.toString("utf8")).to.contain("NGUYEN VAN A").and.not.contain("0912 345 678");
  });

  it("switches to English and keeps the search", async () => {
    const page = await open(390, `/c/${c.committee.code}/${code}/sao-ke?q=tran+thi+mai`);
    await page.getByRole("link", { name: "English" }).click();
    await page.waitForURL(/lang=en/);
    expect(await page.locator("html").getAttribute("lang")).to.equal("en");
    expect(await page.getByTestId("summary").innerText()).to.match(/^\d+ lines? found/);
    expect(await page.locator("#q").inputValue()).to.equal("tran thi mai");
    expect(await noSideways(page)).to.equal(true);
    await page.screenshot({ path: path.join(shots, "saoke-phone-english.png"), fullPage: true });
  });

  it("lets an approver publish and withdraw in the workspace, refusing a resolution that holds a phone number beside the field", async () => {
    const other = uniqueCode("TET").toUpperCase();
    await s.ledger.createCampaign(c.principals.treasurer, { code: other, name: "Quà Tết 2025", kind: "tet_gifts", startsOn: "2024-12-01" }, meta());
    const users = new UserStore(s.db.knex);
    const password = "mật-khẩu-thử-sao-kê";
    for (const role of ["approver", "treasurer"] as const) {
      await users.create(c.committee.id, { login: `${c.committee.code}.${role}`, name: role === "approver" ? "Trần Văn Dũng" : "Nguyễn Thị Thu Hà", role, passwordHash: await hashPassword(password) });
    }
    const signIn = async (role: string) => {
      const context = await browser.newContext({ viewport: { width: 390, height: 900 }, bypassCSP: true });
      const page = await context.newPage();
      await page.goto(`${base}/app/login`);
      await page.getByLabel("Tên đăng nhập").fill(`${c.committee.code}.${role}`);
      await page.getByLabel("Mật khẩu").fill(password);
      await page.getByRole("button", { name: "Đăng nhập" }).click();
      await page.waitForURL(`${base}/app`);
      return page;
    };
    const page = await signIn("approver");
    await page.getByRole("link", { name: "Công khai sao kê" }).click();
    await page.waitForURL(/\/app\/sao-ke$/);
    const card = page.locator(`article[data-campaign="${other}"]`);
    expect(await card.getByTestId("saoke-state").innerText()).to.contain("Chưa công khai");
    await card.getByLabel("Quyết định của ủy ban (số, ngày)").fill("QĐ 3/QĐ-MTTQ, liên hệ 0912 345 678");
    await card.getByRole("button", { name: "Công khai sao kê" }).click();
    await page.locator(`article[data-campaign="${other}"] .field-error`).waitFor();
    expect(await page.locator(`article[data-campaign="${other}"] .field-error`).innerText()).to.contain("không ghi số điện thoại");
    await page.screenshot({ path: path.join(shots, "saoke-workspace-refused.png"), fullPage: true });
    await page.locator(`article[data-campaign="${other}"]`).getByLabel("Quyết định của ủy ban (số, ngày)").fill("Quyết định số 3/QĐ-MTTQ ngày 02/12/2024");
    await page.locator(`article[data-campaign="${other}"]`).getByRole("button", { name: "Công khai sao kê" }).click();
    await page.locator(".flash").waitFor();
    expect(await page.locator(".flash").innerText()).to.contain(`Đã công khai sao kê của ${other}`);
    expect(await page.locator(`article[data-campaign="${other}"]`).getByTestId("saoke-state").innerText()).to.contain("Đang công khai");
    await page.locator(`article[data-campaign="${other}"]`).getByLabel("Quyết định của ủy ban (số, ngày)").fill("Quyết định số 4/QĐ-MTTQ");
    await page.locator(`article[data-campaign="${other}"]`).getByRole("button", { name: "Rút, không công khai nữa" }).click();
    await page.locator(".flash").waitFor();
    expect(await page.locator(`article[data-campaign="${other}"]`).getByTestId("saoke-state").innerText()).to.contain("Chưa công khai");
    await page.screenshot({ path: path.join(shots, "saoke-workspace.png"), fullPage: true });
    expect((await fetch(`${base}/c/${c.committee.code}/${other}/sao-ke`)).status).to.equal(404);
    const treasurer = await signIn("treasurer");
    await treasurer.goto(`${base}/app/sao-ke`);
    expect(await treasurer.locator("form[action='/app/sao-ke']").count()).to.equal(0);
  });
});

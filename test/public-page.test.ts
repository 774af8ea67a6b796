import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import type { Server } from "node:http";
import { createRequire } from "node:module";
import path from "node:path";
import { expect } from "chai";
import { chromium, type Browser, type Page } from "playwright-core";
import type { Soquy } from "../src/context.js";
import { testServer } from "./support/http.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee } from "./support/db.js";

// The public transparency page in a real browser (Debian's Chromium driven by
// playwright-core) against the real service on the test database: read the
// figures, copy a press sentence, switch to English, run a donor check,
// download a statement and compare its digest with the one the page shows.
// Screenshots at phone and desktop width are kept in test-output/ to look at.

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const shots = path.resolve("test-output");

let s: Soquy;
let server: Server;
let base: string;
let browser: Browser;
let c: TestCommittee;
let receipt: string;
const VNN = uniqueCode("VNN").toUpperCase();

describe("public page in a browser", function () {
  this.timeout(120_000);

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    ({ s, server, base } = await testServer());

    c = await makeCommittee(s, "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường");
    const t = c.principals.treasurer;
    await s.ledger.createCampaign(t, { code: VNN, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", targetDong: "21000000", startsOn: "2024-01-01" }, meta());
    const ids: string[] = [];
    for (const [date, amount, name, publish] of [
      ["2024-01-08", 5_000_000, "Nguyễn Văn Tâm", true], ["2024-01-15", 2_000_000, "Trần Thị Mỹ Dung", false], ["2024-02-20", 1_000_000, "Lê Hoàng Nam", true],
    ] as const) {
      const r = await s.ledger.recordDonation(t, VNN, {
        receivedOn: date, amountDong: String(amount), method: "cash", donor: { name, kind: "individual", publishName: publish, phone: "0912 345 678" },
      }, meta());
      ids.push(r.entry.id);
      receipt ??= r.entry.receiptNumber!;
    }
    const gift = await s.ledger.recordDisbursement(t, VNN, {
      paidOn: "2024-02-25", amountDong: "1500000", method: "cash", purpose: "gift_package", quantity: "3", unit: "suất",
      beneficiary: { name: "Phạm Văn Bảy", category: "poor", area: "Khu phố 3" },
    }, meta());
    ids.push(gift.entry.id);
    // Pledges count as of a publication, like everything public: this one is recorded before the verification.
    await s.controls.addPledge(t, VNN, { pledgedOn: "2024-01-02", amountDong: "10000000", pledger: { name: "Công ty TNHH Minh Phát", kind: "business", publishName: true } }, meta());
    await s.controls.verify(c.principals.approver, ids);
    browser = await chromium.launch({
      executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"],
    });
    mkdirSync(shots, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  const open = async (width: number, url: string): Promise<Page> => {
    const context = await browser.newContext({ viewport: { width, height: 900 }, acceptDownloads: true, locale: "vi-VN", bypassCSP: true });
    await context.grantPermissions(["clipboard-read", "clipboard-write"], { origin: base });
    const page = await context.newPage();
    const res = await page.goto(`${base}${url}`);
    expect(res?.status()).to.equal(200);
    return page;
  };

  it("shows the verified figures with an honest progress bar and pledges apart", async () => {
    const page = await open(390, `/c/${c.committee.code}`);
    const card = page.locator(`article[data-campaign="${VNN}"]`);
    expect(await card.getByTestId("progress").innerText()).to.equal("8.000.000 / 21.000.000 đồng (38%)");
    const bar = await card.locator(".bar").evaluate((el) => (el as HTMLElement).style.width);
    expect(bar).to.equal("38%");
    expect(await card.getByTestId("received").innerText()).to.equal("8.000.000 đồng");
    expect(await card.getByTestId("balance").innerText()).to.equal("6.500.000 đồng");
    expect(await card.getByTestId("by-area").innerText()).to.contain("Khu phố 3");
    // A pledge is shown apart, never added to the bar or to what was received.
    expect(await card.getByTestId("pledged").innerText()).to.equal("Đăng ký ủng hộ (chưa phải tiền đã nhận): 10.000.000 đồng (1)");
    const text = await page.locator("main").innerText();
    expect(text).not.to.contain("0912").and.not.to.contain("Dung"); // no phone, no hidden name
    await page.screenshot({ path: path.join(shots, "public-page-phone.png"), fullPage: true });
    // Accessibility basics (labels, contrast, landmarks) with axe-core, run inside the page.
    await page.addScriptTag({ path: createRequire(import.meta.url).resolve("axe-core/axe.min.js") });
    const violations = await page.evaluate(async () => ((await (window as any).axe.run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } }))
      .violations as { id: string }[]).map((v) => v.id));
    expect(violations).to.deep.equal([]);
  });

  it("copies a press sentence that states the exact figures", async () => {
    const page = await open(1280, `/c/${c.committee.code}`);
    const item = page.locator(`article[data-campaign="${VNN}"] li[data-sentence="progress"]`);
    expect(await item.locator("q").innerText()).to.contain("vận động được 8.000.000/21.000.000 đồng (đạt 38%)");
    await item.locator("button.copy").click();
    await page.waitForSelector(`article[data-campaign="${VNN}"] li[data-sentence="progress"] button[data-copied="true"]`);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    expect(copied).to.equal("Quỹ “Vì người nghèo” năm 2024 vận động được 8.000.000/21.000.000 đồng (đạt 38%).");
    await page.screenshot({ path: path.join(shots, "public-page-desktop.png"), fullPage: true });
  });

  it("switches to English", async () => {
    const page = await open(1280, `/c/${c.committee.code}`);
    await page.getByRole("link", { name: "English" }).click();
    await page.waitForURL(/lang=en/);
    expect(await page.locator("html").getAttribute("lang")).to.equal("en");
    expect(await page.locator(`article[data-campaign="${VNN}"]`).getByTestId("progress").innerText()).to.equal("8,000,000 / 21,000,000 đồng (38%)");
    expect(await page.locator("main").innerText()).to.contain("has raised 8,000,000 of its 21,000,000 đồng target (38%)");
  });

  it("answers a donor check by receipt number, and refuses a vague one", async () => {
    const page = await open(390, `/c/${c.committee.code}`);
    await page.getByLabel("Số phiếu thu").fill(receipt);
    await page.getByRole("button", { name: "Tra cứu" }).click();
    const result = page.getByTestId("check-result");
    await result.waitFor();
    const text = await result.innerText();
    expect(text).to.contain("Đã ghi sổ").and.contain(receipt).and.contain("5.000.000 đồng").and.contain("đã kiểm duyệt");
    expect(text).not.to.contain("0912");
    await page.screenshot({ path: path.join(shots, "public-page-check.png"), fullPage: false });
    await page.getByLabel("Số phiếu thu").fill("");
    await page.getByLabel("Ngày ủng hộ").fill("2024-01-15");
    await page.getByRole("button", { name: "Tra cứu" }).click();
    await page.getByTestId("check-result").waitFor();
    expect(await page.getByTestId("check-result").innerText()).to.equal(
      "Hãy nhập số phiếu thu, mã giao dịch ngân hàng (ít nhất 6 ký tự), hoặc số tiền kèm ngày ủng hộ.");
  });

  it("downloads the public statement whose SHA-256 is the digest the page shows", async () => {
    const page = await open(1280, `/c/${c.committee.code}`);
    const card = page.locator(`article[data-campaign="${VNN}"]`);
    const shown = await card.getByTestId("digest").innerText();
    expect(shown).to.match(/^[0-9a-f]{64}$/);
    const [download] = await Promise.all([page.waitForEvent("download"), card.getByTestId("csv").click()]);
    const file = path.join(shots, "public-statement.csv");
    await download.saveAs(file);
    const bytes = readFileSync(file);
    expect(createHash("sha256").update(bytes).digest("hex")).to.equal(shown);
    expect(bytes.toString("utf8")).to.contain("Nguyễn Văn Tâm").and.not.contain("Trần Thị Mỹ Dung");
  });
});

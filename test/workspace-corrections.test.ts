import { mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Browser, Page } from "playwright-core";
import { generateVcb } from "../bench/bankimport.js";
import type { Soquy } from "../src/context.js";
import { principalOf, UserStore } from "../src/db/users.js";
import { todayInVietnam } from "../src/ledger/dates.js";
import type { Campaign, Principal } from "../src/ledger/types.js";
import { hashPassword } from "../src/web/passwords.js";
import { formatDong } from "../reports/format.js";
import { axe, launch, shoot, signIn, vietnameseOnly } from "./support/browser.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee } from "./support/db.js";
import { testServer } from "./support/http.js";

// Corrections in the workspace, in Debian's Chromium: a treasurer finds an entry in the list, reads its own
// page (postings, hash, who did what) and reverses it with a reason, dated in the open period because its own
// is closed; imports a statement into the wrong campaign (the recent imports refresh by themselves), is
// warned when the same file goes to another campaign, reverses the whole import in one step and imports it
// into the right campaign; and a form sent after the session ended in another tab keeps what was typed.

const LINES = Number(process.env.CORRECTIONS_IMPORT_LINES ?? 300);
const PASSWORD = "mật-khẩu-thử-2024";
const ACCOUNT = "0011009990001";
const OPENING = 10_847_182_843n;

describe("corrections in a browser", function () {
  this.timeout(600_000);
  let s: Soquy;
  let server: Server;
  let base: string;
  let browser: Browser;
  let c: TestCommittee;
  let treasurer: Principal;
  let approver: Principal;
  const CODE = uniqueCode("VNN").toUpperCase();
  const login = (role: string) => `${c.committee.code}.${role}`;
  let wrong: Campaign;
  let right: Campaign;
  let dir: string;
  let file: string;
  let closing: bigint;
  let donation: { id: string; seq: number };

  before(async () => {
    ({ s, server, base } = await testServer());
    c = await makeCommittee(s, "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường");
    const users = new UserStore(s.db.knex);
    const hash = await hashPassword(PASSWORD);
    treasurer = principalOf(await users.create(c.committee.id, { login: login("treasurer"), name: "Nguyễn Thị Thu Hà", role: "treasurer", passwordHash: hash }));
    approver = principalOf(await users.create(c.committee.id, { login: login("approver"), name: "Trần Văn Dũng", role: "approver", passwordHash: hash }));
    await s.ledger.createCampaign(treasurer, { code: CODE, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", startsOn: "2024-01-01",
      receivingException: "Quỹ vận động thường xuyên trong năm" }, meta());
    const make = async (name: string) => {
      const code = uniqueCode("QUY").toUpperCase();
      await s.ledger.createCampaign(treasurer, { code, name, kind: "relief", startsOn: "2024-09-01" }, meta());
      return s.ledger.campaign(c.committee.id, code);
    };
    wrong = await make("Quỹ cứu trợ lũ quét Lào Cai");
    right = await make("Ủng hộ đồng bào bị bão số 3");
    // A donation in January, verified, and January closed.
    const d = await s.ledger.recordDonation(treasurer, CODE, { receivedOn: "2024-01-05", amountDong: "2500000", method: "cash",
      donor: { name: "Võ Văn Kiệt", kind: "individual", publishName: true } }, meta());
    donation = { id: d.entry.id, seq: d.entry.sequence };
    await s.controls.verify(approver, [donation.id]);
    await s.controls.closePeriod(approver, { through: "2024-01-31" }, meta());
    browser = await launch();
    dir = mkdtempSync(path.join(tmpdir(), "soquy-corrections-"));
    file = path.join(dir, "sao-ke-vcb.csv");
    closing = await generateVcb(file, LINES);
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  const entries = async () => Number((await s.db.knex("journal_entries").where({ committee_id: c.committee.id }).count("* as n").first())!.n);

  it("reverses an entry from its own page, with a reason, dated in the open period because its own is closed", async () => {
    const { context, page } = await signIn(browser, base, login("treasurer"), PASSWORD);
    await page.getByRole("link", { name: "Bút toán", exact: true }).click();
    await page.waitForURL(/\/app\/entries$/);
    await axe(page, "entries");
    await page.getByTestId("entries").getByRole("link", { name: String(donation.seq), exact: true }).click();
    await page.waitForURL(new RegExp(`/app/entries/${donation.id}`));
    const stored = await s.store.findEntry(c.committee.id, donation.id);
    expect(await page.getByTestId("entry-hash").innerText()).to.equal(stored!.hash);
    expect(await page.getByTestId("entry-state").innerText()).to.equal("Đã duyệt.");
    const postings = await page.getByTestId("postings").innerText();
    expect(postings).to.contain(`1111.${CODE}`).and.contain(`5111.${CODE}`).and.contain("2.500.000");
    const history = await page.getByTestId("history").innerText();
    expect(history).to.contain("Nguyễn Thị Thu Hà ghi sổ").and.contain("Trần Văn Dũng duyệt");
    expect(await page.getByLabel("Ngày ghi bút toán đảo").inputValue(), "the original's period is closed: today").to.equal(todayInVietnam());
    expect(await page.locator("#f-entryDate-hint").innerText()).to.contain("Sổ đã khóa đến hết ngày 31/01/2024");
    await axe(page, "entry page");
    await vietnameseOnly(page, "entry page");
    await shoot(page, "entry-page");
    const before = await entries();
    // No reason: refused beside the field. A date in the closed period: refused beside the date, naming the close.
    await page.getByRole("button", { name: "Đảo bút toán" }).click();
    await page.waitForSelector("#f-reason-error");
    expect(await page.locator("#f-reason-error").innerText()).to.contain("Hãy ghi lý do");
    await page.getByLabel("Lý do đảo").fill("Ghi nhầm: khoản này thuộc quỹ khuyến học");
    await page.getByLabel("Ngày ghi bút toán đảo").fill("2024-01-10");
    await page.getByRole("button", { name: "Đảo bút toán" }).click();
    await page.waitForSelector("#f-entryDate-error");
    expect(await page.locator("#f-entryDate-error").innerText()).to.equal("Sổ đã khóa đến hết ngày 31/01/2024: ngày đảo phải sau ngày đó.");
    expect(await page.getByLabel("Ngày ghi bút toán đảo").getAttribute("aria-invalid")).to.equal("true");
    expect(await page.getByLabel("Lý do đảo").inputValue(), "what was typed stays").to.equal("Ghi nhầm: khoản này thuộc quỹ khuyến học");
    await vietnameseOnly(page, "entry refusal");
    await axe(page, "entry refusal");
    await shoot(page, "entry-refused");
    expect(await entries(), "nothing written").to.equal(before);
    await page.getByLabel("Ngày ghi bút toán đảo").fill(todayInVietnam());
    await page.getByRole("button", { name: "Đảo bút toán" }).click();
    await page.waitForSelector(".flash");
    expect(await page.locator(".flash").innerText()).to.match(/^Đã ghi bút toán đảo số \d+ ngày/);
    expect(await page.getByTestId("entry-state").innerText()).to.match(/^Đã bị đảo bởi bút toán số \d+\.$/);
    expect(await page.getByRole("button", { name: "Đảo bút toán" }).count(), "reversed once").to.equal(0);
    await shoot(page, "entry-reversed");
    await page.getByTestId("entry-state").getByRole("link").click();
    await page.waitForURL(/\/app\/entries\/[0-9a-f-]{36}$/);
    expect(await page.locator("main").innerText()).to.contain(`Đảo bút toán số ${donation.seq}: Ghi nhầm`).and.contain("Chờ duyệt (0/1 người).");
    expect(await page.getByRole("button", { name: "Đảo bút toán" }).count(), "a reversal is not reversed").to.equal(0);
    const reversal = (await s.store.listEntries(c.committee.id, { limit: 100 })).find((e) => e.reversalOf === donation.id)!;
    expect(reversal.entryDate).to.equal(todayInVietnam());
    expect(reversal.postings.map((p) => p.amountDong)).to.deep.equal(stored!.postings.map((p) => -p.amountDong));
    await vietnameseOnly(page, "reversal page");
    await shoot(page, "entry-reversal");
    await context.close();
  });

  const upload = async (page: Page, campaign: Campaign, opening: bigint | null) => {
    await page.goto(`${base}/app/bank-imports`);
    await page.getByLabel("Cuộc vận động").selectOption(campaign.code);
    await page.getByLabel("Số tài khoản ngân hàng").fill(ACCOUNT);
    await page.getByLabel("Mẫu sao kê").selectOption("vcb");
    if (opening !== null) await page.getByLabel("Số dư đầu kỳ (đồng, nếu biết)").fill(opening.toString());
    await page.getByLabel("Tệp sao kê").setInputFiles(file);
    await page.getByRole("button", { name: "Tải lên và nhập" }).click();
    await page.getByTestId("bank-result").locator("dl").waitFor({ timeout: 300_000 });
  };
  const read = (page: Page, key: string) => page.getByTestId("bank-result").locator(`[data-key="${key}"]`).innerText();
  const held = async (campaign: Campaign) => (await s.store.balancesAsOf(c.committee.id, null, campaign.accounts.bank.id))[0]!.balanceDong;

  it("reverses a whole import that went to the wrong campaign in one step, and imports the same file into the right one", async () => {
    const { context, page } = await signIn(browser, base, login("treasurer"), PASSWORD);
    await upload(page, wrong, OPENING);
    // The recent imports table shows the new import without reloading the page.
    const row = page.getByTestId("recent-imports").locator("tbody tr");
    await row.first().waitFor();
    expect(await row.count()).to.equal(1);
    expect(await row.first().innerText()).to.contain(wrong.code);
    const first = await s.db.knex("bank_imports").where({ committee_id: c.committee.id }).orderBy("id", "desc").first();
    expect(await read(page, "Ghi mới")).to.equal(String(first.recorded));

    // The same file again, into another campaign: nothing recorded, and a warning naming where the lines are.
    await upload(page, right, null);
    expect(await read(page, "Ghi mới")).to.equal("0");
    const warning = await page.getByTestId("elsewhere").innerText();
    expect(warning).to.contain(`${formatDong(BigInt(LINES))} dòng của tệp này đã được ghi vào cuộc vận động ${wrong.code} (lần nhập #${first.id})`);
    await page.waitForFunction(() => document.querySelectorAll("#recent-imports tbody tr").length === 2);
    await axe(page, "bank imports with a warning");
    await vietnameseOnly(page, "bank imports with a warning");
    await shoot(page, "import-warning");

    // One step, one confirmation: the import's page says what will happen, the button does it.
    await page.getByTestId("elsewhere").getByRole("link", { name: `Mở lần nhập #${first.id}` }).click();
    await page.waitForURL(new RegExp(`/app/bank-imports/${first.id}`));
    expect(await page.locator("main").innerText()).to.contain(`Sẽ ghi ${formatDong(BigInt(first.recorded))} bút toán đảo`)
      .and.contain(`giải phóng ${formatDong(BigInt(LINES))} dòng sao kê`);
    await axe(page, "import page");
    await vietnameseOnly(page, "import page");
    await shoot(page, "import-page");
    const before = await entries();
    await page.getByLabel("Lý do đảo").fill("Nhập nhầm vào quỹ cứu trợ lũ quét; đúng là quỹ bão số 3");
    const clicked = performance.now();
    await page.getByRole("button", { name: `Đảo cả lần nhập #${first.id} (${formatDong(BigInt(first.recorded))} bút toán)` }).click();
    await page.getByTestId("import-reversed").waitFor({ timeout: 300_000 });
    const reverseSeconds = (performance.now() - clicked) / 1000;
    expect(await page.getByTestId("import-reversed").innerText())
      .to.contain(`Đã đảo lần nhập #${first.id}: ghi ${formatDong(BigInt(first.recorded))} bút toán đảo`).and.contain(`giải phóng ${formatDong(BigInt(LINES))} dòng sao kê`);
    expect(await page.getByTestId("import-state").innerText()).to.contain("Đã đảo cả lần nhập").and.contain("Nhập nhầm vào quỹ cứu trợ lũ quét");
    expect(await page.getByRole("button", { name: /Đảo cả lần nhập/ }).count(), "once").to.equal(0);
    expect(await entries()).to.equal(before + first.recorded);
    expect(await held(wrong)).to.equal(0n);
    await vietnameseOnly(page, "import reversed");
    await shoot(page, "import-reversed");
    // Its entries link to their pages, which say the line was released.
    await page.getByTestId("import-entries").locator("tbody a").first().click();
    await page.waitForURL(/\/app\/entries\//);
    expect(await page.locator("main").innerText()).to.contain("dòng đã được giải phóng khi đảo cả lần nhập").and.contain("Đã bị đảo bởi");

    // Into the right campaign: every line recorded again, no warning, the account reconciles.
    const again = performance.now();
    await upload(page, right, null);
    console.log(`      ${LINES} lines: whole import reversed (click to page) ${reverseSeconds.toFixed(1)} s, imported again (upload to result) ${((performance.now() - again) / 1000).toFixed(1)} s`);
    expect(await read(page, "Ghi mới")).to.equal(String(first.recorded));
    expect(await page.getByTestId("elsewhere").count()).to.equal(0);
    await page.waitForFunction(() => document.querySelectorAll("#recent-imports tbody tr").length === 3);
    expect(await page.getByTestId("recent-imports").locator("tbody tr").nth(2).innerText()).to.contain("Đã đảo");
    await shoot(page, "import-right-campaign");
    expect(await held(right)).to.equal(closing - OPENING);
    await page.goto(`${base}/app/bank-imports/reconciliation?account=${ACCOUNT}`);
    expect(await page.getByTestId("bank-balance").innerText()).to.equal(`${formatDong(closing)} đồng`);
    expect(await page.getByTestId("ledger-balance").innerText()).to.equal(`${formatDong(closing)} đồng`);
    expect((await s.verify(c.committee.id)).ok).to.equal(true);
    await context.close();
  });

  it("keeps what was typed when the session ended in another tab, and asks to sign in again", async () => {
    const { context, page } = await signIn(browser, base, login("treasurer"), PASSWORD);
    await page.goto(`${base}/app/donations/new?campaign=${CODE}`);
    await page.getByLabel("Ngày nhận").fill("2024-03-05");
    await page.getByLabel("Số tiền (đồng)").fill("1.250.000");
    await page.getByLabel("Họ tên / tên đơn vị").fill("Nguyễn Văn An");
    await page.getByLabel("Đồng ý công khai tên").check();
    // Signed out in another tab of the same browser.
    const other = await context.newPage();
    await other.goto(`${base}/app`);
    await other.getByRole("button", { name: "Đăng xuất" }).click();
    await other.waitForURL(/\/app\/login/);
    await other.close();
    const before = await entries();
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.waitForSelector("#kept-form", { state: "attached" });
    expect(await page.locator("h1").innerText()).to.equal("Phiên đăng nhập đã kết thúc");
    expect(await entries(), "nothing recorded").to.equal(before);
    await axe(page, "session ended");
    await vietnameseOnly(page, "session ended");
    await shoot(page, "session-ended");
    await page.getByLabel("Tên đăng nhập").fill(login("treasurer"));
    await page.getByLabel("Mật khẩu").fill(PASSWORD);
    await page.getByRole("button", { name: "Đăng nhập và quay lại biểu mẫu" }).click();
    await page.waitForURL(/\/app\/donations\/new/);
    await page.getByTestId("restored").waitFor();
    expect(await page.getByLabel("Số tiền (đồng)").inputValue()).to.equal("1.250.000");
    expect(await page.getByLabel("Họ tên / tên đơn vị").inputValue()).to.equal("Nguyễn Văn An");
    expect(await page.getByLabel("Ngày nhận").inputValue()).to.equal("2024-03-05");
    expect(await page.getByLabel("Đồng ý công khai tên").isChecked()).to.equal(true);
    await shoot(page, "session-restored");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.waitForSelector(".flash");
    expect(await page.locator(".flash").innerText()).to.match(/Đã ghi sổ PT-2024-\d{6} — 1\.250\.000 đồng/);
    expect(await entries()).to.equal(before + 1);
    await context.close();
  });
});

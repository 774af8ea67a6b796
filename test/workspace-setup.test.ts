import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import type { Server } from "node:http";
import path from "node:path";
import { createRequire } from "node:module";
import { expect } from "chai";
import { chromium, type Browser, type BrowserContext, type Page } from "playwright-core";
import type { Soquy } from "../src/context.js";
import { UserStore } from "../src/db/users.js";
import { hashPassword } from "../src/web/passwords.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee } from "./support/db.js";
import { testServer } from "./support/http.js";
import { vietnameseOnly } from "./support/browser.js";

// The workspace a treasurer and an approver can run alone, in Debian's Chromium: every refusal in Vietnamese
// beside the field that caused it (and "correct the marked fields" only when one is marked), campaigns set up
// and corrected in the browser with their receiving windows beside the date fields, large amounts confirmed,
// bank import refusals, the audit log and checkpoints in Vietnamese, and Vietnamese pages for addresses that
// do not exist. Screenshots go to SOQUY_SHOTS (default test-output/).

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const shots = path.resolve(process.env.SOQUY_SHOTS ?? "test-output");
const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");
const PASSWORD = "mật-khẩu-thử-2024";

let s: Soquy;
let server: Server;
let base: string;
let browser: Browser;
let c: TestCommittee;
const login = (role: string) => `${c.committee.code}.${role}`;
const VNN = uniqueCode("VNN").toUpperCase();
const TET = uniqueCode("TET").toUpperCase();

async function signedIn(role: string, width = 1280): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext({ viewport: { width, height: 900 }, bypassCSP: true, locale: "vi-VN" });
  const page = await context.newPage();
  await page.goto(`${base}/app/login`);
  await page.getByLabel("Tên đăng nhập").fill(login(role));
  await page.getByLabel("Mật khẩu").fill(PASSWORD);
  await page.getByRole("button", { name: "Đăng nhập" }).click();
  await page.waitForURL(`${base}/app`);
  return { context, page };
}

async function axe(page: Page, name: string): Promise<void> {
  await page.addScriptTag({ content: axeSource });
  const result = await page.evaluate(async () => {
    const r = await (window as unknown as { axe: { run(o: object): Promise<{ violations: { id: string; impact: string; nodes: unknown[] }[] }> } })
      .axe.run({ runOnly: { type: "tag", values: ["wcag2a", "wcag2aa"] } });
    return r.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`);
  });
  expect(result, `axe violations on ${name}`).to.deep.equal([]);
}

async function shoot(page: Page, name: string): Promise<void> {
  for (const [w, label] of [[390, "phone"], [1280, "desktop"]] as const) {
    await page.setViewportSize({ width: w, height: 900 });
    await page.screenshot({ path: path.join(shots, `setup-${name}-${label}.png`), fullPage: true });
  }
}

/** The form's fields as the browser would post them. */
const formData = (page: Page, selector = "form.entry") =>
  page.locator(selector).first().evaluate((f) => Object.fromEntries(new FormData(f as HTMLFormElement) as unknown as Iterable<[string, string]>));

describe("workspace set-up and refusals in a browser", function () {
  this.timeout(240_000);

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing: apt-get install chromium (.ci/run does)`);
    ({ s, server, base } = await testServer());
    c = await makeCommittee(s, "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường");
    const t = c.principals.treasurer;
    await s.ledger.createCampaign(t, { code: VNN, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", targetDong: "21000000",
      startsOn: "2024-01-01", endsOn: "2024-06-30", receivingException: "Quỹ vận động thường xuyên trong năm" }, meta());
    await s.ledger.createCampaign(t, { code: TET, name: "Quà Tết Giáp Thìn 2024", kind: "tet_gifts", startsOn: "2023-12-15", endsOn: "2024-02-09" }, meta());
    // January closed: a donation, verified, and the books closed through 31/01/2024 (with its signed checkpoint).
    const d = await s.ledger.recordDonation(t, VNN, { receivedOn: "2024-01-05", amountDong: "5000000", method: "cash",
      donor: { name: "Nguyễn Văn An", kind: "individual", publishName: true } }, meta());
    await s.ledger.recordDonation(t, TET, { receivedOn: "2024-01-06", amountDong: "2000000", method: "cash",
      donor: { name: "Trần Thị Bình", kind: "individual", publishName: true } }, meta());
    const tetEntry = (await s.store.listEntries(c.committee.id, { limit: 10 })).at(-1)!;
    await s.controls.verify(c.principals.approver, [d.entry.id, tetEntry.id]);
    await s.closeAndSign(c.principals.approver, { through: "2024-01-31" }, meta());
    const users = new UserStore(s.db.knex);
    const hash = await hashPassword(PASSWORD);
    for (const [role, name] of [["treasurer", "Nguyễn Thị Thu Hà"], ["approver", "Trần Văn Dũng"], ["auditor", "Võ Thị Kim Loan"], ["admin", "Huỳnh Quốc Bảo"]] as const) {
      await users.create(c.committee.id, { login: login(role), name, role, passwordHash: hash });
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking"] });
    mkdirSync(shots, { recursive: true });
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  const entries = async () => (await s.store.listEntries(c.committee.id, { limit: 1000 })).length;

  it("marks the date of a donation in a closed period, and a purpose the campaign does not pay, beside their own fields", async () => {
    const { context, page } = await signedIn("treasurer");
    const before = await entries();
    await page.goto(`${base}/app/donations/new?campaign=${VNN}`);
    await page.getByLabel("Ngày nhận").fill("2024-01-20");
    await page.getByLabel("Số tiền (đồng)").fill("300000");
    await page.getByLabel("Họ tên / tên đơn vị").fill("Lê Văn Cường");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.waitForSelector(".field-error");
    expect(await page.locator("#f-receivedOn-error").innerText()).to.equal("Sổ đã khóa đến hết ngày 31/01/2024: hãy ghi bút toán điều chỉnh, đề ngày trong kỳ đang mở.");
    expect(await page.getByLabel("Ngày nhận").getAttribute("aria-invalid")).to.equal("true");
    expect(await page.locator(".errors").innerText()).to.contain("Hãy sửa các trường được đánh dấu.");
    await axe(page, "donation closed period");
    await shoot(page, "donation-closed-period");

    await page.goto(`${base}/app/disbursements/new?campaign=${TET}`);
    await page.getByLabel("Họ tên chủ hộ").fill("Lê Văn Bảy");
    await page.getByLabel("Khu phố / ấp").selectOption("Khu phố 2");
    await page.getByLabel("Mục đích").selectOption("house_repair");
    await page.getByLabel("Ngày chi").fill("2024-02-05");
    await page.getByLabel("Số tiền / giá trị (đồng)").fill("1000000");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.waitForSelector(".field-error");
    expect(await page.locator("#f-purpose-error").innerText()).to.equal("Cuộc vận động loại Quà Tết chỉ chi cho: trao quà (suất quà).");
    expect(await page.getByLabel("Mục đích").getAttribute("aria-invalid")).to.equal("true");
    await axe(page, "disbursement purpose");
    await shoot(page, "disbursement-purpose");
    expect(await entries()).to.equal(before);
    await context.close();
  });

  it("says a refusal that belongs to no field above the form, without asking to correct marked fields", async () => {
    const { context, page } = await signedIn("treasurer");
    await page.goto(`${base}/app/donations/new?campaign=${VNN}`);
    await page.getByLabel("Ngày nhận").fill("2024-03-05");
    await page.getByLabel("Số tiền (đồng)").fill("200000");
    await page.getByLabel("Họ tên / tên đơn vị").fill("Phạm Thị Dung");
    const form = await formData(page);
    expect((await context.request.post(`${base}/app/donations`, { form })).status()).to.equal(201);
    // The same rendered form sent again with another amount: the key was used for other content.
    const again = await context.request.post(`${base}/app/donations`, { form: { ...form, amountDong: "250000" } });
    expect(again.status()).to.equal(422);
    const body = await again.text();
    expect(body).to.contain("Biểu mẫu này đã được gửi với nội dung khác").and.not.contain("Hãy sửa các trường được đánh dấu").and.not.contain('aria-invalid="true"');
    await context.close();
  });

  it("shows the campaign's receiving window beside the date, and a refusal that names the window's dates", async () => {
    const { context, page } = await signedIn("treasurer");
    await page.goto(`${base}/app/donations/new?campaign=${VNN}`);
    expect(await page.locator("#f-receivedOn-note").innerText()).to.equal("Thời gian tiếp nhận: từ 01/01/2024 đến 30/6/2024.");
    await page.getByLabel("Cuộc vận động").selectOption(TET);
    expect(await page.locator("#f-receivedOn-note").innerText()).to.equal("Thời gian tiếp nhận: từ 15/12/2023 đến 09/02/2024.");
    await page.getByLabel("Cuộc vận động").selectOption(VNN);
    await page.getByLabel("Ngày nhận").fill("2024-09-10");
    await page.getByLabel("Số tiền (đồng)").fill("500000");
    await page.getByLabel("Họ tên / tên đơn vị").fill("Đỗ Văn Em");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.waitForSelector(".field-error");
    expect(await page.locator("#f-receivedOn-error").innerText()).to.contain("Ngày 10/9/2024 nằm ngoài thời gian tiếp nhận")
      .and.contain("từ 01/01/2024 đến 30/6/2024");
    await axe(page, "donation outside window");
    await shoot(page, "donation-outside-window");
    await page.goto(`${base}/app/disbursements/new?campaign=${TET}`);
    expect(await page.locator("#f-paidOn-note").innerText()).to.equal("Tiếp nhận từ 15/12/2023 đến 09/02/2024; hạn phân phối 29/02/2024 (20 ngày sau khi hết tiếp nhận).");
    await context.close();
  });

  it("sets up a campaign in the browser, refusing beside each field, then extends its window with an exception", async () => {
    const { context, page } = await signedIn("treasurer");
    await page.getByRole("link", { name: "Cuộc vận động", exact: true }).click();
    await page.waitForURL(/\/app\/campaigns$/);
    await axe(page, "campaigns");
    const code = uniqueCode("LU").toUpperCase().replace(/-/g, "");
    await page.locator("#f-code").fill("mã có dấu");
    await page.getByLabel("Tên cuộc vận động").fill("Ủng hộ đồng bào bị lũ 2024");
    await page.getByLabel("Loại").selectOption("relief");
    await page.getByLabel("Mục tiêu (đồng, nếu có)").fill("500.000.000");
    await page.getByLabel("Ngày phát động", { exact: true }).fill("2024-09-10");
    await page.getByLabel("Ngày kết thúc (nếu có)").fill("2024-09-01");
    await page.getByRole("button", { name: "Lập cuộc vận động" }).click();
    await page.waitForSelector(".field-error");
    expect(await page.locator("#f-code-error").innerText()).to.contain("Mã gồm chữ không dấu, số");
    await shoot(page, "campaign-refused");
    await page.locator("#f-code").fill(code);
    await page.getByRole("button", { name: "Lập cuộc vận động" }).click();
    await page.waitForSelector("#f-endsOn-error");
    expect(await page.locator("#f-endsOn-error").innerText()).to.equal("Ngày kết thúc không được trước ngày bắt đầu.");
    await page.getByLabel("Ngày kết thúc (nếu có)").fill("2024-10-31");
    await page.getByRole("button", { name: "Lập cuộc vận động" }).click();
    await page.waitForSelector(".flash");
    expect(await page.locator(".flash").innerText()).to.contain(`Đã lập cuộc vận động Ủng hộ đồng bào bị lũ 2024 (${code})`)
      .and.contain("Thời gian tiếp nhận: từ 10/9/2024 đến 31/10/2024.");
    expect(await page.locator(`tr[data-campaign="${code}"]`).innerText()).to.contain("500.000.000");
    await shoot(page, "campaigns");
    // A November transfer is refused, until the campaign records an exception and its last day.
    const november = () => s.ledger.recordDonation(c.principals.treasurer, code, { receivedOn: "2024-11-15", amountDong: "100000", method: "cash",
      donor: { name: "Võ Văn Phúc", kind: "individual", publishName: false } }, meta());
    expect(await november().then(() => null, (e: { code: string }) => e.code)).to.equal("donation_outside_receiving_window");
    await page.locator(`tr[data-campaign="${code}"]`).getByRole("link", { name: /Sửa/ }).click();
    await page.waitForURL(new RegExp(`/app/campaigns/${code}$`));
    expect(await page.locator("#f-code").isDisabled()).to.equal(true);
    await page.getByLabel("Ngoại lệ về thời gian tiếp nhận: lý do (nếu có)").fill("UBND phường cho phép nhận tiếp đến hết tháng 11 (Công văn 45/UBND)");
    await page.getByLabel("Nhận đến hết ngày (theo ngoại lệ)").fill("2024-11-30");
    await page.getByRole("button", { name: "Lưu" }).click();
    await page.waitForSelector(".flash");
    expect(await page.getByTestId("window").innerText()).to.contain("Thời gian tiếp nhận: từ 10/9/2024 đến 30/11/2024.");
    await axe(page, "campaign edit");
    await shoot(page, "campaign-edit");
    expect(await november().then(() => null, (e: { code: string }) => e.code)).to.equal(null);
    await context.close();
  });

  it("freezes a published campaign's name beside the field, and saying why", async () => {
    const { context, page } = await signedIn("admin");
    await page.goto(`${base}/app/campaigns/${VNN}`);
    expect(await page.getByLabel("Tên cuộc vận động").isDisabled()).to.equal(true);
    expect(await page.locator("#f-name-fixed").innerText()).to.contain("đã công khai số liệu");
    expect(await page.locator("#f-kind-shown-fixed").innerText()).to.contain("đã có bút toán");
    // Sent anyway (as by a stale page): refused beside the name, nothing changed.
    const form = await formData(page);
    const res = await context.request.post(`${base}/app/campaigns/${VNN}`, { form: { ...form, name: "Tên khác" } });
    expect(res.status()).to.equal(422);
    expect(await res.text()).to.contain('id="f-name-error"').and.contain("Không đổi được nữa");
    expect((await s.store.findCampaign(c.committee.id, VNN))!.name).to.equal("Quỹ “Vì người nghèo” năm 2024");
    await shoot(page, "campaign-frozen");
    await context.close();
  });

  it("asks to confirm an amount above the committee's threshold, and the threshold is the committee's to set", async () => {
    const { context, page } = await signedIn("treasurer");
    const before = await entries();
    await page.goto(`${base}/app/donations/new?campaign=${VNN}`);
    await page.getByLabel("Ngày nhận").fill("2024-03-10");
    await page.getByLabel("Số tiền (đồng)").fill("150.000.000");
    await page.getByLabel("Họ tên / tên đơn vị").fill("Công ty TNHH Thành Công");
    await page.getByLabel("Loại").selectOption("business");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.getByTestId("confirm-amount").waitFor();
    expect(await page.getByTestId("confirm-amount").innerText()).to.contain("150.000.000 đồng").and.contain("Một trăm năm mươi triệu đồng");
    expect(await entries()).to.equal(before);
    await axe(page, "confirm amount");
    await shoot(page, "confirm-amount");
    await page.getByLabel(/Tôi xác nhận số tiền/).check();
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.waitForSelector(".flash");
    expect(await page.locator(".flash").innerText()).to.contain("150.000.000 đồng");
    expect(await entries()).to.equal(before + 1);
    // The committee raises its threshold: the same amount no longer asks.
    await page.goto(`${base}/app/campaigns`);
    await page.getByLabel("Hỏi xác nhận khi số tiền trên (đồng)").fill("200.000.000");
    await page.getByRole("button", { name: "Lưu" }).click();
    await page.waitForSelector(".flash");
    await page.goto(`${base}/app/disbursements/new?campaign=${VNN}`);
    await page.getByLabel("Họ tên chủ hộ").fill("Lê Văn Bảy");
    await page.getByLabel("Khu phố / ấp").selectOption("Khu phố 2");
    await page.getByLabel("Mục đích").selectOption("house_new");
    await page.getByLabel("Ngày chi").fill("2024-03-12");
    await page.getByLabel("Số tiền / giá trị (đồng)").fill("150000000");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.waitForSelector(".flash");
    expect(await entries()).to.equal(before + 2);
    await context.close();
  });

  it("records goods on several lines, adding up their value, and says what is wrong when the lines and the amount disagree", async () => {
    const { context, page } = await signedIn("treasurer");
    const before = await entries();
    await page.goto(`${base}/app/donations/new?campaign=${VNN}&method=in_kind`);
    const item = (i: number, f: string) => page.locator(`[name='items[${i}].${f}']`);
    await page.getByLabel("Ngày nhận").fill("2024-03-10");
    await page.getByLabel("Họ tên / tên đơn vị").fill("Công ty TNHH Gạo Sạch Miền Tây");
    await item(0, "description").fill("Gạo ST25");
    await item(0, "quantity").fill("1.000");
    await item(0, "unit").fill("kg");
    await item(0, "unitValueDong").fill("25.000");
    expect(await page.locator("[data-items-total]").innerText()).to.equal("25.000.000");
    await page.getByRole("button", { name: "Thêm dòng hàng" }).click();
    await item(1, "description").waitFor();
    expect(await item(0, "description").inputValue(), "what was typed stays").to.equal("Gạo ST25");
    expect(await entries(), "adding a line writes nothing").to.equal(before);
    await item(1, "description").fill("Mì tôm");
    await item(1, "quantity").fill("2,5");
    await item(1, "unit").fill("thùng");
    await item(1, "unitValueDong").fill("120.000");
    expect(await page.locator("[data-items-total]").innerText()).to.equal("25.300.000");

    // An amount the lines do not add up to: said beside the amount, with both figures; nothing written.
    await page.getByLabel("Số tiền (đồng)").fill("25.000.000");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.waitForSelector(".field-error");
    expect(await page.locator("#f-amountDong-error").innerText())
      .to.equal("Các dòng hàng cộng lại 25.300.000 đồng, khác số tiền 25.000.000 đồng đã ghi: hãy sửa số tiền, hoặc để trống để hệ thống tự cộng.");
    expect(await entries()).to.equal(before);
    await vietnameseOnly(page, "goods mismatch");
    await axe(page, "goods mismatch");
    await shoot(page, "goods-mismatch");

    // A quantity that is no number is marked on its own line.
    await item(1, "quantity").fill("nhiều");
    await page.getByLabel("Số tiền (đồng)").fill("");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.waitForSelector(".field-error");
    expect(await page.locator("#f-items-1--quantity-error").innerText()).to.equal("Số lượng là số lớn hơn 0, ví dụ 10 hoặc 2,5.");
    expect(await entries()).to.equal(before);

    // The amount left empty is the lines' total.
    await item(1, "quantity").fill("2,5");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.waitForSelector(".flash");
    expect(await page.locator(".flash").innerText()).to.contain("25.300.000 đồng");
    expect(await entries()).to.equal(before + 1);
    const entry = await s.db.knex("journal_entries").where({ committee_id: c.committee.id }).orderBy("seq", "desc").first("id");
    const goods = await s.db.knex("entry_items").where({ entry_id: entry.id }).orderBy("line").select("description", "quantity", "unit", "unit_value_dong", "value_dong");
    expect(goods.map((g) => [g.description, Number(g.quantity), g.unit, String(g.unit_value_dong), String(g.value_dong)])).to.deep.equal([
      ["Gạo ST25", 1000, "kg", "25000", "25000000"], ["Mì tôm", 2.5, "thùng", "120000", "300000"]]);
    await context.close();
  });

  it("says a bank import's refusal in Vietnamese, with its line number and dates", async () => {
    const { context, page } = await signedIn("treasurer");
    const file = path.join(tmpdir(), `${uniqueCode("vcb")}.csv`);
    writeFileSync(file, "PageId,TNXDate,DocNo,Debit,Credit,Balance,TransactionDetails\n1,10/09/2024,5213.90595,,6.000,,HO XUAN DUNG chuyen tien\n");
    await page.goto(`${base}/app/bank-imports`);
    await page.getByLabel("Cuộc vận động").selectOption(VNN);
    await page.getByLabel("Số tài khoản ngân hàng").fill("0011009990777");
    await page.getByLabel("Mẫu sao kê").selectOption("vcb");
    await page.getByLabel("Số dư đầu kỳ (đồng, nếu biết)").fill("0");
    await page.getByLabel("Tệp sao kê").setInputFiles(file);
    await page.getByRole("button", { name: "Tải lên và nhập" }).click();
    const refusal = page.getByTestId("bank-result").locator("[role=alert]");
    await refusal.waitFor({ timeout: 60_000 });
    expect(await refusal.innerText()).to.equal(
      "Không nhập được, chưa ghi gì: Dòng 2: ngày 10/9/2024 nằm ngoài thời gian tiếp nhận của cuộc vận động " +
      `${VNN} (từ 01/01/2024 đến 30/6/2024). Chưa ghi dòng nào.`);
    await shoot(page, "bank-refused");
    await context.close();
  });

  it("reads the audit log and checkpoints in Vietnamese: people, roles, actions, Vietnam's time, reasons", async () => {
    const { context, page } = await signedIn("auditor");
    await page.getByRole("link", { name: "Nhật ký" }).click();
    await page.waitForURL(/\/app\/audit/);
    const table = await page.getByTestId("audit").innerText();
    expect(table).to.contain("Ghi thu ủng hộ").and.contain("Thủ quỹ / kế toán").and.contain("Nguyễn Thị Thu Hà").and.contain("Bị từ chối")
      .and.contain("Sổ đã khóa").and.contain("Mục đích chi này không thuộc cuộc vận động");
    expect(table).to.match(/\d{2}:\d{2}:\d{2} \d{2}\/\d{2}\/\d{4}/);
    expect(table, "no ISO times").to.not.match(/\d{4}-\d{2}-\d{2}T\d{2}:/);
    for (const raw of ["POST /app", "period_closed", "purpose_not_allowed"]) expect(table, raw).to.not.contain(raw);
    expect(table, "roles in Vietnamese").to.not.match(/\t(treasurer|approver|auditor|admin)\t|\((treasurer|approver|auditor|admin)\)/);
    await axe(page, "audit");
    await shoot(page, "audit");
    await page.getByRole("link", { name: "Điểm kiểm tra" }).click();
    await page.waitForURL(/\/app\/checkpoints/);
    const list = await page.locator("table.list").innerText();
    expect(list).to.contain("Khóa sổ").and.not.contain("period_close");
    expect(list).to.match(/\d{2}:\d{2}:\d{2} \d{2}\/\d{2}\/\d{4}/);
    await shoot(page, "checkpoints");
    await context.close();
  });

  it("finds a receipt typed in lower case on the public self-check, without the browser's English pattern message", async () => {
    const d = await s.ledger.recordDonation(c.principals.treasurer, VNN, { receivedOn: "2024-03-15", amountDong: "700000", method: "cash",
      donor: { name: "Hoàng Văn Giang", kind: "individual", publishName: true } }, meta());
    const context = await browser.newContext({ viewport: { width: 390, height: 900 }, bypassCSP: true, locale: "vi-VN" });
    const page = await context.newPage();
    await page.goto(`${base}/c/${c.committee.code}`);
    await page.getByLabel("Số phiếu thu").fill(` ${d.entry.receiptNumber!.toLowerCase()} `);
    await page.getByRole("button", { name: "Tra cứu" }).click();
    await page.getByTestId("check-result").waitFor();
    expect(await page.getByTestId("check-result").innerText()).to.contain(d.entry.receiptNumber!).and.contain("Đã ghi nhận, đang chờ kiểm duyệt");
    await shoot(page, "self-check");
    await context.close();
  });

  it("marks the password and user forms' refusals beside their fields, in Vietnamese, with the cursor on the first", async () => {
    const { context, page } = await signedIn("admin");
    await page.goto(`${base}/app/password`);
    await page.getByLabel("Mật khẩu hiện tại").fill(PASSWORD);
    await page.getByLabel(/^Mật khẩu mới/).fill("ngắn");
    await page.getByRole("button", { name: "Lưu" }).click();
    await page.waitForSelector("#f-next-error");
    expect(await page.locator("#f-next-error").innerText()).to.equal("Mật khẩu mới chưa đạt: cần ít nhất 10 ký tự.");
    expect(await page.evaluate(() => document.activeElement?.id)).to.equal("f-next");
    await page.goto(`${base}/app/users`);
    await page.getByLabel(/^Tên đăng nhập/).fill(login("treasurer"));
    await page.getByLabel("Họ tên").fill("Người trùng tên đăng nhập");
    await page.getByRole("button", { name: "Tạo" }).click();
    await page.waitForSelector("#f-login-error");
    expect(await page.locator("#f-login-error").innerText()).to.equal("Tên đăng nhập này đã có người dùng.");
    expect(await page.locator(".errors").innerText()).to.contain("Hãy sửa các trường được đánh dấu.");
    await axe(page, "users refused");
    await shoot(page, "users-refused");
    await context.close();
  });

  it("answers addresses that do not exist under /app and /c/ with a Vietnamese page and a way back; the API keeps problem+json", async () => {
    const { context, page } = await signedIn("treasurer");
    const app = await page.goto(`${base}/app/khong-co-trang-nay`);
    expect(app!.status()).to.equal(404);
    expect(app!.headers()["content-type"]).to.contain("text/html");
    expect(await page.locator("h1").innerText()).to.equal("Không tìm thấy trang");
    expect(await page.getByRole("link", { name: "Về trang tổng quan" }).getAttribute("href")).to.equal("/app");
    await axe(page, "404 app");
    await shoot(page, "404-app");
    const entry = await page.goto(`${base}/app/receipts/00000000-0000-4000-8000-000000000000.pdf`);
    expect(entry!.status()).to.equal(404);
    expect(await page.getByTestId("not-found").innerText()).to.contain("Không có trang nào ở địa chỉ này");
    const committee = await page.goto(`${base}/c/khong-co-uy-ban`);
    expect(committee!.status()).to.equal(404);
    expect(committee!.headers()["content-type"]).to.contain("text/html");
    expect(await page.locator("h1").innerText()).to.equal("Không tìm thấy trang");
    const sub = await page.goto(`${base}/c/${c.committee.code}/khong-co`);
    expect(sub!.status()).to.equal(404);
    expect(await page.getByRole("link", { name: "Về trang công khai của ủy ban" }).getAttribute("href")).to.equal(`/c/${c.committee.code}`);
    await axe(page, "404 public");
    await shoot(page, "404-public");
    const api = await context.request.get(`${base}/api/v1/khong-co`);
    expect(api.status()).to.equal(404);
    expect(api.headers()["content-type"]).to.contain("application/problem+json");
    const icon = await context.request.get(`${base}/favicon.ico`);
    expect(icon.status()).to.equal(200);
    expect(icon.headers()["content-type"]).to.equal("image/x-icon");
    await page.goto(`${base}/app`);
    expect(await page.locator("link[rel=icon]").getAttribute("href")).to.equal("/favicon.svg");
    expect((await context.request.get(`${base}/favicon.svg`)).headers()["content-type"]).to.contain("image/svg+xml");
    await context.close();
  });
});

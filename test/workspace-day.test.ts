import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import { generateVcb } from "../bench/bankimport.js";
import type { Soquy } from "../src/context.js";
import { UserStore } from "../src/db/users.js";
import { todayInVietnam } from "../src/ledger/dates.js";
import { hashPassword } from "../src/web/passwords.js";
import { formatDateVi, formatDong } from "../reports/format.js";
import { axe, launch, shoot, shotsDir, signIn, vietnameseOnly } from "./support/browser.js";
import { uniqueCode } from "./support/db.js";
import { testServer } from "./support/http.js";

// Issue #20's "done means": a ward's whole day in the workspace, in Debian's Chromium, in Vietnamese, as its
// treasurer and its approver would go through it — nothing written behind the browser's back but the committee
// and its people. The treasurer lists the khu phố, sets up a campaign launched three weeks ago, records cash
// (with its phiếu thu), a bank transfer (its giấy xác nhận) and goods on two lines, pays gift packages (a phiếu
// chi, the day's danh sách ký nhận) and a household found with the picker, imports the account's statement of
// the last ten days (5,000 lines, through the page's file input), and reverses a cash gift typed with a zero too
// many. The approver filters the queue to the import and verifies its 5,000 entries in one action, verifies the
// day's entries, closes the books through yesterday and signs its checkpoint. At the end the public page and
// the dashboard show what was recorded and verified. Every page: Vietnamese only, axe-core once per kind of
// page; every step shot at phone and desktop width as day-*.png (SHOTS_DIR), the printed forms beside them.

const LINES = Number(process.env.DAY_IMPORT_LINES ?? 5000);
const PASSWORD = "mật-khẩu-thử-2024";
const ACCOUNT = "0011009990001";
const OPENING = 10_847_182_843n;

const addDays = (iso: string, n: number) => new Date(Date.parse(`${iso}T00:00:00Z`) + n * 86_400_000).toISOString().slice(0, 10);
const dong = (n: bigint) => `${formatDong(n)} đồng`;

describe("a ward's day in the workspace: the treasurer's and the approver's", function () {
  this.timeout(300_000);
  this.bail(true); // each part of the day goes on from the one before
  let s: Soquy;
  let server: Server;
  let base: string;
  let browser: Browser;
  let dir: string;
  let committeeCode: string;
  const started = performance.now();
  const TODAY = todayInVietnam();
  const YESTERDAY = addDays(TODAY, -1);
  const LAUNCH = addDays(TODAY, -21);
  const CODE = `CUUTRO-${TODAY.slice(0, 4)}`;
  const NAME = "Ủng hộ đồng bào bị thiệt hại do lũ lụt";
  const login = (role: string) => `${committeeCode}.${role}`;
  const checked = new Set<string>(); // the kinds of page axe-core has checked

  // What the treasurer records, and so what the public page shows once it is verified.
  const cash = { an: 3_000_000n, binhTyped: 1_000_000n, binh: 100_000n };
  const bank = 10_000_000n;
  const goods = 500n * 25_000n + 20n * 120_000n;
  const gift = 500_000n;
  const health = 800_000n;
  let statement: { file: string; closing: bigint; credits: bigint; fees: bigint; feeLines: number };

  /** A page as the users see it: Vietnamese only, accessible (once per kind of page), and shot. */
  const look = async (page: Page, step: string, kind: string | null = null, maxHeight?: number) => {
    await vietnameseOnly(page, step);
    if (kind && !checked.has(kind)) {
      checked.add(kind);
      await axe(page, `${step} (${kind})`);
    }
    await shoot(page, `day-${step}`, maxHeight);
  };
  // Every page on the way, shot or not, is checked for English, result codes and JSON.
  const menu = async (page: Page, name: string, url: RegExp) => {
    await page.getByRole("navigation", { name: "Chức năng" }).getByRole("link", { name, exact: true }).click();
    await page.waitForURL(url);
    await vietnameseOnly(page, name);
  };
  /** A printed form the page links to, fetched with the page's session, kept as PDF and PNG beside the shots, read back. */
  const pdf = async (context: BrowserContext, href: string, name: string): Promise<string> => {
    const res = await context.request.get(`${base}${href}`);
    expect(res.status(), href).to.equal(200);
    expect(res.headers()["content-type"]).to.equal("application/pdf");
    const file = path.join(shotsDir, `day-${name}.pdf`);
    writeFileSync(file, await res.body());
    execFileSync("pdftoppm", ["-png", "-r", "80", "-f", "1", "-l", "1", "-singlefile", file, path.join(shotsDir, `day-${name}-pdf`)]);
    return execFileSync("pdftotext", ["-layout", file, "-"]).toString("utf8").replace(/\s+/g, " ");
  };
  const flash = async (page: Page) => {
    await page.waitForSelector(".flash");
    await vietnameseOnly(page, page.url());
    return page.locator(".flash").innerText();
  };

  before(async () => {
    ({ s, server, base } = await testServer());
    // The committee and its people are all that exists before the day: no areas, no campaign, no entry.
    const committee = await s.store.createCommittee(uniqueCode("phuong"), "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường");
    committeeCode = committee.code;
    const users = new UserStore(s.db.knex);
    const hash = await hashPassword(PASSWORD);
    for (const [role, name] of [["treasurer", "Nguyễn Thị Thu Hà"], ["approver", "Trần Văn Dũng"]] as const) {
      await users.create(committee.id, { login: login(role), name, role, passwordHash: hash });
    }
    // The bank's statement of the account for the last ten days, through yesterday.
    dir = mkdtempSync(path.join(tmpdir(), "soquy-day-"));
    const file = path.join(dir, `sao-ke-${ACCOUNT}.csv`);
    const closing = await generateVcb(file, LINES, addDays(TODAY, -10));
    let credits = 0n, fees = 0n, feeLines = 0;
    for (const line of readFileSync(file, "utf8").split("\r\n").slice(1).filter(Boolean)) {
      const [, , , debit, credit] = line.split(",");
      if (credit) credits += BigInt(credit.replace(/\./g, ""));
      if (debit) {
        fees += BigInt(debit.replace(/\./g, ""));
        feeLines++;
      }
    }
    expect(OPENING + credits - fees).to.equal(closing);
    statement = { file, closing, credits, fees, feeLines };
    browser = await launch();
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    if (dir) rmSync(dir, { recursive: true, force: true });
    console.log(`      the whole day took ${((performance.now() - started) / 1000).toFixed(1)} s`);
  });

  let wrongSeq = "";
  let receipt = "";

  it("the treasurer sets up the campaign, records cash, a transfer and goods, pays gift packages, imports the statement and reverses a mistake", async () => {
    const { context, page } = await signIn(browser, base, login("treasurer"), PASSWORD);
    expect(await page.locator("main").innerText()).to.contain("Chưa duyệt: 0");
    await look(page, "01-dashboard-empty", "dashboard");

    // The committee's khu phố and ấp, before any payment names one.
    await menu(page, "Khu phố / ấp", /\/app\/areas$/);
    for (const area of ["Khu phố 1", "Khu phố 2", "Ấp Tân Hòa"]) {
      await page.getByLabel("Thêm khu phố / ấp").fill(area);
      await page.getByRole("button", { name: "Thêm", exact: true }).click();
      expect(await flash(page)).to.contain(`Đã thêm ${area}.`);
    }
    expect(await page.getByTestId("areas").locator("li").allInnerTexts()).to.have.members(["Khu phố 1", "Khu phố 2", "Ấp Tân Hòa"]);
    await look(page, "02-areas", "areas");

    // The campaign, launched three weeks ago: its receiving window holds the statement's days and today.
    await menu(page, "Cuộc vận động", /\/app\/campaigns$/);
    expect(await page.locator("main").innerText()).to.contain("Chưa có cuộc vận động nào.");
    await page.getByLabel("Mã", { exact: true }).fill(CODE);
    await page.getByLabel("Tên cuộc vận động").fill(NAME);
    await page.getByLabel(/^Loại/).selectOption("relief");
    await page.getByLabel("Mục tiêu (đồng, nếu có)").fill("1.000.000.000");
    await page.getByLabel("Ngày phát động", { exact: true }).fill(LAUNCH);
    await page.getByLabel("Văn bản phát động (số, ngày)").fill(`Lời kêu gọi số 12/LKG-MTTQ ngày ${formatDateVi(LAUNCH)}`);
    await look(page, "03-campaign-form", "campaigns");
    await page.getByRole("button", { name: "Lập cuộc vận động" }).click();
    const window = `Thời gian tiếp nhận: từ ${formatDateVi(LAUNCH)} đến ${formatDateVi(addDays(LAUNCH, 90))}.`;
    expect(await flash(page)).to.contain(`Đã lập cuộc vận động ${NAME} (${CODE}).`).and.contain(window);
    expect(await page.getByTestId("campaigns").innerText()).to.contain(CODE).and.contain("Cứu trợ (thiên tai, dịch bệnh)").and.contain("1.000.000.000");
    await look(page, "04-campaign-created");

    // Cash, with its phiếu thu; today's date is already in the form.
    const donate = async (amount: bigint, donor: string, publish: boolean) => {
      await menu(page, "Ghi thu", /\/app\/donations\/new/);
      expect(await page.getByLabel("Ngày nhận").inputValue(), "the form is dated today").to.equal(TODAY);
      expect(await page.locator("#f-receivedOn-note").innerText()).to.equal(window);
      await page.getByLabel("Số tiền (đồng)").fill(formatDong(amount));
      await page.getByLabel("Họ tên / tên đơn vị").fill(donor);
      if (publish) await page.getByLabel("Đồng ý công khai tên").check();
      await page.getByRole("button", { name: "Ghi sổ" }).click();
      return flash(page);
    };
    const an = await donate(cash.an, "Nguyễn Văn An", true);
    receipt = /PT-\d{4}-\d{6}/.exec(an)![0];
    expect(an).to.contain(`Đã ghi sổ ${receipt} — ${dong(cash.an)}`);
    await look(page, "05-cash-recorded", "donation form");
    const receiptText = await pdf(context, (await page.getByTestId("receipt-link").getAttribute("href"))!, "06-phieu-thu");
    expect(receiptText).to.contain("PHIẾU THU").and.contain(receipt).and.contain(dong(cash.an)).and.contain("Ba triệu đồng").and.contain("Nguyễn Văn An").and.contain(NAME);

    // A gift of 100.000 đồng typed with a zero too many: recorded as it was typed, corrected at the end of the day.
    const wrong = await donate(cash.binhTyped, "Trần Thị Bình", false);
    wrongSeq = /số thứ tự (\d+)/.exec(wrong)![1]!;

    // A transfer the donor reported before the bank's statement came, with the giấy xác nhận the company asked for.
    await menu(page, "Ghi thu", /\/app\/donations\/new/);
    await page.getByRole("radio", { name: "Chuyển khoản" }).check();
    await page.getByLabel("Số tiền (đồng)").fill(formatDong(bank));
    await page.getByLabel("Số tài khoản nhận").fill("0071000123456");
    await page.getByLabel("Mã giao dịch").fill("FT26341987654");
    await page.getByLabel("Họ tên / tên đơn vị").fill("Công ty TNHH Minh Phát");
    await page.getByLabel(/^Loại/).selectOption("business");
    await page.getByLabel("Đồng ý công khai tên").check();
    await look(page, "07-transfer-form");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    expect(await flash(page)).to.contain(`— ${dong(bank)}`).and.contain("In giấy xác nhận cho người ủng hộ");
    const confirmation = await pdf(context, (await page.getByTestId("confirmation-link").getAttribute("href"))!, "08-giay-xac-nhan");
    expect(confirmation).to.contain("GIẤY XÁC NHẬN").and.contain("Công ty TNHH Minh Phát").and.contain("mã giao dịch FT26341987654").and.contain(dong(bank));

    // Goods on two lines; the amount left empty is their total.
    await menu(page, "Ghi thu", /\/app\/donations\/new/);
    await page.getByRole("radio", { name: "Hiện vật" }).check();
    const item = (i: number, f: string) => page.locator(`[name='items[${i}].${f}']`);
    await page.getByLabel("Họ tên / tên đơn vị").fill("Công ty TNHH Gạo Sạch Miền Tây");
    await page.getByLabel(/^Loại/).selectOption("business");
    await item(0, "description").fill("Gạo ST25");
    await item(0, "quantity").fill("500");
    await item(0, "unit").fill("kg");
    await item(0, "unitValueDong").fill("25.000");
    await page.getByRole("button", { name: "Thêm dòng hàng" }).click();
    await item(1, "description").fill("Mì tôm");
    await item(1, "quantity").fill("20");
    await item(1, "unit").fill("thùng");
    await item(1, "unitValueDong").fill("120.000");
    expect(await page.locator("[data-items-total]").innerText()).to.equal(formatDong(goods));
    await look(page, "09-goods-form");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    expect(await flash(page)).to.contain(`Đã ghi sổ khoản ủng hộ — ${dong(goods)}`);
    await look(page, "10-goods-recorded");

    // Gift packages to three households, each its phiếu chi; the first one printed.
    const pay = async (name: string, category: string, area: string) => {
      await menu(page, "Ghi chi", /\/app\/disbursements\/new/);
      await page.getByLabel("Họ tên chủ hộ").fill(name);
      await page.getByLabel("Đối tượng").selectOption(category);
      await page.getByLabel("Khu phố / ấp").selectOption(area);
      expect(await page.getByLabel("Mục đích").inputValue()).to.equal("gift_package");
      expect(await page.getByLabel("Ngày chi").inputValue()).to.equal(TODAY);
      await page.getByLabel("Số suất / số lượng").fill("1");
      await page.getByLabel("Số tiền / giá trị (đồng)").fill(formatDong(gift));
      await page.getByRole("button", { name: "Ghi sổ" }).click();
      return flash(page);
    };
    const first = await pay("Nguyễn Thị Lượm", "poor", "Khu phố 1");
    const voucher = /PC-\d{4}-\d{6}/.exec(first)![0];
    expect(first).to.contain(`Đã ghi sổ ${voucher} — ${dong(gift)}`).and.contain("In phiếu chi").and.contain(`Danh sách ký nhận ngày ${formatDateVi(TODAY)}`);
    await look(page, "11-gift-recorded", "disbursement form");
    const voucherText = await pdf(context, (await page.getByTestId("payment-voucher-link").getAttribute("href"))!, "12-phieu-chi");
    expect(voucherText).to.contain("PHIẾU CHI").and.contain(`Số: ${voucher}`).and.contain("Họ và tên người nhận tiền: Nguyễn Thị Lượm")
      .and.contain("Năm trăm nghìn đồng").and.contain(NAME);
    await pay("Phạm Văn Tâm", "near_poor", "Khu phố 2");
    await pay("Đặng Thị Khuê", "hardship", "Ấp Tân Hòa");

    // A household helped this morning, found again with the picker for the medicine the campaign also pays.
    await menu(page, "Ghi chi", /\/app\/disbursements\/new/);
    const search = page.getByRole("combobox", { name: "Tìm hộ đã nhận hỗ trợ: gõ tên, khu phố hoặc loại hộ" });
    await search.pressSequentially("luom");
    await page.getByRole("option", { name: "Nguyễn Thị Lượm · Khu phố 1 · Hộ nghèo" }).waitFor();
    await look(page, "13-household-picker", "household picker");
    await search.press("ArrowDown");
    await search.press("Enter");
    expect(await page.getByLabel("Khu phố / ấp").inputValue()).to.equal("Khu phố 1");
    await page.getByLabel("Mục đích").selectOption("health");
    await page.getByLabel("Số suất / số lượng").fill("");
    await page.getByLabel("Số tiền / giá trị (đồng)").fill(formatDong(health));
    await page.getByLabel("Diễn giải (không bắt buộc)").fill("Hỗ trợ tiền thuốc cho chồng bà Lượm");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    expect(await flash(page)).to.contain(`— ${dong(health)}`);

    // The day's danh sách ký nhận, for the households' signatures.
    await menu(page, "Danh sách ký nhận", /\/app\/distributions$/);
    expect(await page.getByTestId("distribution-days").innerText()).to.contain(`Cả ngày ${formatDateVi(TODAY)}`).and.contain(CODE)
      .and.contain(formatDong(3n * gift + health));
    await look(page, "14-distributions", "distributions");
    const list = await pdf(context, (await page.getByTestId("day-list").first().getAttribute("href"))!, "15-danh-sach-ky-nhan");
    expect(list).to.contain("DANH SÁCH KÝ NHẬN").and.contain("ĐÃ GHI SỔ").and.contain("Nguyễn Thị Lượm").and.contain("Phạm Văn Tâm")
      .and.contain("Đặng Thị Khuê").and.contain(formatDong(3n * gift + health));

    // The account's statement of the last ten days, through the page's file input, with its progress.
    await menu(page, "Sao kê ngân hàng", /\/app\/bank-imports$/);
    await page.getByLabel("Cuộc vận động").selectOption(CODE);
    await page.getByLabel("Số tài khoản ngân hàng").fill(ACCOUNT);
    await page.getByLabel("Mẫu sao kê").selectOption("vcb");
    await page.getByLabel("Số dư đầu kỳ (đồng, nếu biết)").fill(formatDong(OPENING));
    await page.getByLabel("Tệp sao kê").setInputFiles(statement.file);
    await look(page, "16-statement-form", "bank imports");
    await page.getByRole("button", { name: "Tải lên và nhập" }).click();
    await page.locator("#bank-progress").waitFor();
    await page.getByTestId("bank-result").locator("dl").waitFor({ timeout: 120_000 });
    const read = (key: string) => page.getByTestId("bank-result").locator(`[data-key="${key}"]`).innerText();
    expect(await read("Dòng đã đọc")).to.equal(formatDong(BigInt(LINES)));
    expect(await read("Ghi mới")).to.equal(formatDong(BigInt(LINES)));
    expect(await read("Phí ngân hàng")).to.equal(String(statement.feeLines));
    expect(await read("Số dư đã kiểm")).to.equal("10");
    await page.getByTestId("recent-imports").locator("tbody tr").first().waitFor();
    await look(page, "17-statement-imported");
    await page.getByRole("link", { name: "Xem đối chiếu và các khoản cần phân loại" }).click();
    await page.waitForURL(/reconciliation/);
    expect(await page.getByTestId("bank-balance").innerText()).to.equal(dong(statement.closing));
    expect(await page.getByTestId("ledger-balance").innerText()).to.equal(dong(statement.closing));
    expect(await page.locator("main").innerText()).to.contain(`Ghi từ sao kê\n${formatDong(BigInt(LINES))}`);
    await look(page, "18-reconciliation", "reconciliation");

    // The mistake: the entry opened by the number on its confirmation, reversed with the reason, then recorded right.
    await menu(page, "Bút toán", /\/app\/entries$/);
    await look(page, "19-entries", "entries", 2400);
    await page.getByLabel("Mở bút toán số").fill(wrongSeq);
    await page.getByRole("button", { name: "Mở", exact: true }).click();
    await page.waitForURL(new RegExp(`/app/entries/${wrongSeq}$`));
    expect(await page.locator("main").innerText()).to.contain("Trần Thị Bình").and.contain(formatDong(cash.binhTyped));
    expect(await page.getByLabel("Ngày ghi bút toán đảo").inputValue(), "the original's own day: its period is open").to.equal(TODAY);
    await page.getByLabel("Lý do đảo").fill("Ghi nhầm số tiền: bà Bình ủng hộ 100.000 đồng, không phải 1.000.000 đồng");
    await look(page, "20-entry-to-reverse", "entry page");
    await page.getByRole("button", { name: "Đảo bút toán" }).click();
    expect(await flash(page)).to.match(new RegExp(`^Đã ghi bút toán đảo số \\d+ ngày ${formatDateVi(TODAY)}\\.`));
    expect(await page.getByTestId("entry-state").innerText()).to.match(/^Đã bị đảo bởi bút toán số \d+\.$/);
    await look(page, "21-entry-reversed");
    expect(await donate(cash.binh, "Trần Thị Bình", false)).to.contain(`— ${dong(cash.binh)}`);

    // Nothing counts yet: the day's entries and the import's wait for the approver.
    await menu(page, "Tổng quan", /\/app$/);
    const waiting = LINES + 10; // the day's ten entries by hand, the reversal among them, and the import's
    expect(await page.locator("main").innerText()).to.contain(`Chưa duyệt: ${waiting >= 1000 ? "1.000+" : formatDong(BigInt(waiting))}`);
    await look(page, "22-dashboard-treasurer");
    await context.close();
  });

  let checkpoint = "";

  it("the approver filters the queue, verifies the 5,000 imported entries in one action and the day's by hand, and closes the books", async () => {
    const { context, page } = await signIn(browser, base, login("approver"), PASSWORD);
    await vietnameseOnly(page, "approver's dashboard");
    await menu(page, "Chờ duyệt", /\/app\/queue$/);
    // A page of 500 rows: its top is what the approver reads first (axe-core checks the queue once it is short).
    await look(page, "23-queue", null, 2400);

    // The import, filtered and verified in one action: its count, one confirmation, the job's progress.
    await page.getByLabel("Lần nhập sao kê").selectOption({ index: 1 });
    await page.getByRole("button", { name: "Lọc", exact: true }).click();
    await page.waitForURL(/import=\d+/);
    const n = formatDong(BigInt(LINES));
    expect(await page.getByTestId("queue-count").innerText()).to.contain(`Có ${n} bút toán chờ bạn duyệt khớp bộ lọc.`);
    await look(page, "24-queue-import", null, 2400);
    await page.getByTestId("verify-all").click();
    await page.waitForURL(/verify-all\?import=/);
    expect(await page.getByTestId("confirm-count").innerText()).to.equal(`${n} bút toán sẽ được duyệt.`);
    await look(page, "25-verify-import-confirm", "confirmation");
    const clicked = performance.now();
    await page.getByRole("button", { name: `Xác nhận duyệt ${n} bút toán` }).click();
    await page.waitForURL(/\/app\/queue\/jobs\//);
    await page.getByTestId("job-result").waitFor({ timeout: 120_000 });
    const verifySeconds = (performance.now() - clicked) / 1000;
    expect(await page.getByTestId("verified-count").innerText()).to.contain(`Đã duyệt ${n} bút toán.`);
    expect(await page.locator("#job-bar").evaluate((e) => (e as HTMLProgressElement).value === (e as HTMLProgressElement).max)).to.equal(true);
    await look(page, "26-verify-import-done", "job");
    console.log(`      ${n} imported entries verified in one action (click to result) in ${verifySeconds.toFixed(1)} s`);

    // Today's entries, recorded by hand: the mistake and its reversal go in the same batch, original first.
    await page.getByRole("link", { name: "Về hàng chờ" }).click();
    await page.waitForURL(/\/app\/queue$/);
    await vietnameseOnly(page, "queue after the import");
    await page.getByLabel("Từ ngày").fill(TODAY);
    await page.getByRole("button", { name: "Lọc", exact: true }).click();
    await page.waitForURL(/from=/);
    expect(await page.getByTestId("queue-count").innerText()).to.contain("Có 10 bút toán chờ bạn duyệt khớp bộ lọc.");
    const rows = await page.getByTestId("queue").locator("tbody").innerText();
    expect(rows).to.contain("Nguyễn Thị Thu Hà").and.contain(formatDong(goods)).and.contain(formatDong(health));
    await look(page, "27-queue-today", "queue");
    await page.locator("#select-all").check();
    await page.getByRole("button", { name: "Duyệt các bút toán đã chọn" }).click();
    expect(await flash(page)).to.contain("Đã duyệt 10 bút toán.").and.not.contain("Không duyệt được");
    expect(await page.locator("main").innerText()).to.contain("Không có bút toán nào chờ duyệt khớp bộ lọc.");
    await look(page, "28-queue-done");

    // Khóa sổ through yesterday, the statement's last day: the pre-check, then the close and its signed checkpoint.
    await menu(page, "Khóa sổ", /\/app\/periods$/);
    await page.getByLabel("Khóa đến hết ngày").fill(YESTERDAY);
    await page.getByRole("button", { name: "Kiểm tra trước" }).click();
    await page.waitForURL(/through=/);
    expect(await page.locator("main").innerText()).to.contain("Mọi bút toán đến ngày này đã được duyệt.");
    await page.getByLabel("Ghi chú").fill(`Khóa sổ sau khi đối chiếu sao kê tài khoản ${ACCOUNT}`);
    await look(page, "29-close-precheck", "periods");
    await page.getByRole("button", { name: "Khóa sổ và ký điểm kiểm tra" }).click();
    const closed = await flash(page);
    expect(closed).to.match(new RegExp(`^Đã khóa sổ đến ngày ${formatDateVi(YESTERDAY)}; điểm kiểm tra có chữ ký #\\d+\\.$`));
    checkpoint = /#(\d+)/.exec(closed)![1]!;
    expect(await page.locator("table.list tbody").innerText()).to.contain(formatDateVi(YESTERDAY));
    await look(page, "30-closed");

    await menu(page, "Điểm kiểm tra", /\/app\/checkpoints$/);
    const newest = page.locator("table.list tbody tr").first();
    expect(await newest.locator("td").first().innerText()).to.equal(checkpoint);
    expect(await newest.innerText()).to.contain("Khóa sổ");
    await look(page, "31-checkpoints", "checkpoints");
    await menu(page, "Kiểm tra chuỗi", /\/app\/verify$/);
    expect(await page.getByTestId("verify-result").innerText()).to.match(new RegExp(`^Toàn vẹn: ${formatDong(BigInt(LINES + 10))} bút toán`));
    await look(page, "32-chain-check", "verify");
    await context.close();
  });

  it("shows on the public page and the dashboard what was recorded and verified, signed by the day's checkpoint", async () => {
    const received = cash.an + cash.binh + bank + goods + statement.credits;
    const disbursed = 3n * gift + health;
    const balance = received - disbursed - statement.fees;
    const { context, page } = await signIn(browser, base, login("approver"), PASSWORD);
    const card = page.locator("article.campaign");
    const dashboard = await card.locator("dl.totals").innerText();
    expect(dashboard).to.contain(`Đã nhận\n${dong(received)}`).and.contain(`Đã chi\n${dong(disbursed)}`)
      .and.contain(`Chi phí khác\n${dong(statement.fees)}`).and.contain(`Còn lại\n${dong(balance)}`);
    expect(await page.locator("main").innerText()).to.contain("Chưa duyệt: 0");
    await look(page, "33-dashboard-end");
    await page.getByRole("link", { name: "Trang công khai" }).click();
    await page.waitForURL(new RegExp(`/c/${committeeCode}$`));
    const article = page.locator(`article[data-campaign="${CODE}"]`);
    expect(await article.getByTestId("received").innerText()).to.equal(dong(received));
    expect(await article.getByTestId("disbursed").innerText()).to.equal(dong(disbursed));
    expect(await article.getByTestId("balance").innerText()).to.equal(dong(balance));
    expect(await article.getByTestId("households").innerText()).to.equal("3");
    expect(await page.getByRole("link", { name: `Điểm kiểm tra có chữ ký #${checkpoint}` }).count()).to.equal(1);
    await look(page, "34-public", "public");
    // The donor of the morning finds the gift, now verified.
    await page.getByLabel("Số phiếu thu").fill(receipt);
    await page.getByRole("button", { name: "Tra cứu" }).click();
    await page.getByTestId("check-result").waitFor();
    expect(await page.getByTestId("check-result").innerText()).to.contain(receipt).and.contain("đã kiểm duyệt");
    await look(page, "35-public-self-check");
    await context.close();
  });
});

import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import type { Server } from "node:http";
import path from "node:path";
import { expect } from "chai";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { Soquy } from "../src/context.js";
import { principalOf, UserStore } from "../src/db/users.js";
import type { Principal } from "../src/ledger/types.js";
import { hashPassword } from "../src/web/passwords.js";
import { axe, launch, shoot, shotsDir, signIn, vietnameseOnly } from "./support/browser.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee } from "./support/db.js";
import { testServer } from "./support/http.js";

// A ward treasurer gets every printed form from the workspace, in Debian's Chromium: records a cash gift and
// prints its phiếu chi from the confirmation and from the entry's page; is told in Vietnamese why a payment by
// bank has none and that another committee's entry is not there; prints the day's danh sách ký nhận from the
// recorded days, plans the next one from the households helped before (nothing written, a wrong quantity
// refused beside its field); and prints a giấy xác nhận for a bank donor. Each PDF is read back with pdftotext
// and rendered to PNG beside the screenshots (test-output/).

const PASSWORD = "mật-khẩu-thử-2024";
const DAY = "2024-02-05";
const docs = path.join(shotsDir, "documents");

describe("printed forms in a browser", function () {
  this.timeout(300_000);
  let s: Soquy;
  let server: Server;
  let base: string;
  let browser: Browser;
  let c: TestCommittee;
  let other: TestCommittee;
  let treasurer: Principal;
  let context: BrowserContext;
  let page: Page;
  const TET = uniqueCode("TET").toUpperCase();
  const ids: Record<string, { id: string; seq: number }> = {};
  let theirs: string;

  /** A PDF the page links to, fetched with the page's session, kept, rendered to PNG and read back. */
  const pdf = async (href: string, name: string): Promise<string> => {
    const res = await context.request.get(`${base}${href}`);
    expect(res.status(), `${href}: ${await res.text()}`).to.equal(200);
    expect(res.headers()["content-type"]).to.equal("application/pdf");
    return keep(await res.body(), name);
  };
  const keep = (body: Buffer, name: string): string => {
    const file = path.join(docs, `${name}.pdf`);
    writeFileSync(file, body);
    execFileSync("pdftoppm", ["-png", "-r", "70", "-f", "1", "-l", "1", "-singlefile", file, path.join(docs, name)]);
    return execFileSync("pdftotext", ["-layout", file, "-"]).toString("utf8").replace(/\s+/g, " ");
  };

  before(async () => {
    mkdirSync(docs, { recursive: true });
    ({ s, server, base } = await testServer());
    c = await makeCommittee(s, "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường");
    other = await makeCommittee(s, "Ủy ban MTTQ xã Bình Hiệp");
    const users = new UserStore(s.db.knex);
    treasurer = principalOf(await users.create(c.committee.id, { login: `${c.committee.code}.thuquy`, name: "Nguyễn Thị Thu Hà", role: "treasurer", passwordHash: await hashPassword(PASSWORD) }));
    await s.ledger.createCampaign(treasurer, { code: TET, name: "Quà Tết Giáp Thìn 2024", kind: "tet_gifts", startsOn: "2024-01-01" }, meta());
    const give = async (key: string, input: Parameters<Soquy["ledger"]["recordDonation"]>[2]) => {
      const w = await s.ledger.recordDonation(treasurer, TET, input, meta());
      ids[key] = { id: w.entry.id, seq: w.entry.sequence };
    };
    await give("cash", { receivedOn: "2024-01-10", amountDong: "30000000", method: "cash", donor: { name: "Võ Văn Kiệt", kind: "individual", publishName: true } });
    await give("bank", {
      receivedOn: "2024-01-12", amountDong: "10000000", method: "bank", bankAccount: "0071000123456", bankReference: "FT24012987654",
      donor: { name: "Công ty TNHH Minh Phát", kind: "business", publishName: false },
    });
    const pay = async (key: string, name: string, area: string, method: "cash" | "bank") => {
      const w = await s.ledger.recordDisbursement(treasurer, TET, {
        paidOn: DAY, amountDong: "1300000", method, purpose: "gift_package", quantity: "1", unit: "suất", beneficiary: { name, category: "poor", area },
      }, meta());
      ids[key] = { id: w.entry.id, seq: w.entry.sequence };
    };
    await pay("luom", "Nguyễn Thị Lượm", "Khu phố 1", "cash");
    await pay("tam", "Phạm Văn Tâm", "Khu phố 2", "bank");
    await pay("khue", "Đặng Thị Khuê", "Khu phố 1", "cash");
    // Another committee's entry, which this committee's treasurer must not reach.
    const code = uniqueCode("X").toUpperCase();
    await s.ledger.createCampaign(other.principals.treasurer, { code, name: "Quỹ Vì người nghèo xã Bình Hiệp", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
    await s.ledger.recordDonation(other.principals.treasurer, code, { receivedOn: "2024-01-10", amountDong: "5000000", method: "cash", donor: { name: "A", kind: "individual", publishName: false } }, meta());
    theirs = (await s.ledger.recordDisbursement(other.principals.treasurer, code, { paidOn: DAY, amountDong: "1000000", method: "cash", purpose: "gift_package",
      beneficiary: { name: "Hộ Bình Hiệp", category: "poor", area: "Ấp 1" } }, meta())).entry.id;
    browser = await launch();
    ({ context, page } = await signIn(browser, base, `${c.committee.code}.thuquy`, PASSWORD));
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
  });

  it("prints the phiếu chi of a cash gift from the recording's confirmation and from the entry's page", async () => {
    await page.getByRole("link", { name: "Ghi chi", exact: true }).click();
    await page.waitForURL(/disbursements\/new/);
    await page.getByLabel("Cuộc vận động").selectOption(TET);
    await page.getByLabel("Họ tên chủ hộ").fill("Trần Văn Đạt");
    await page.getByLabel("Đối tượng").selectOption("near_poor");
    await page.getByLabel("Khu phố / ấp").selectOption("Khu phố 2");
    await page.getByLabel("Ngày chi").fill(DAY);
    await page.getByLabel("Số suất / số lượng").fill("1");
    await page.getByLabel("Số tiền / giá trị (đồng)").fill("1.250.000");
    await page.getByRole("button", { name: "Ghi sổ" }).click();
    await page.waitForSelector(".flash");
    const flash = await page.locator(".flash").innerText();
    const voucher = /PC-2024-\d{6}/.exec(flash)![0];
    expect(flash).to.contain(`Đã ghi sổ ${voucher} — 1.250.000 đồng`).and.contain("In phiếu chi").and.contain("Danh sách ký nhận ngày 05/02/2024");
    await axe(page, "payment recorded");
    await vietnameseOnly(page, "payment recorded");
    await shoot(page, "documents-payment-recorded");
    const href = (await page.getByTestId("payment-voucher-link").getAttribute("href"))!;
    const text = await pdf(href, "phieu-chi-tu-form");
    expect(text).to.contain("PHIẾU CHI").and.contain(`Số: ${voucher}`).and.contain("Ngày 05 tháng 02 năm 2024")
      .and.contain("Họ và tên người nhận tiền: Trần Văn Đạt").and.contain("Địa chỉ: Khu phố 2 — Đối tượng: Hộ cận nghèo")
      .and.contain("Số tiền: 1.250.000 đồng").and.contain("Viết bằng chữ: Một triệu hai trăm năm mươi nghìn đồng")
      .and.contain("Quà Tết Giáp Thìn 2024").and.contain("Nguyễn Thị Thu Hà").and.contain("NGƯỜI NHẬN TIỀN");

    // The same voucher from the entry's own page.
    const entryId = /payment-vouchers\/([0-9a-f-]{36})\.pdf/.exec(href)![1]!;
    await page.goto(`${base}/app/entries/${entryId}`);
    await axe(page, "entry page with its documents");
    await vietnameseOnly(page, "entry page with its documents");
    await shoot(page, "documents-entry-page");
    expect(await page.getByTestId("payment-voucher-link").innerText()).to.equal("In phiếu chi");
    expect(await pdf((await page.getByTestId("payment-voucher-link").getAttribute("href"))!, "phieu-chi-tu-but-toan")).to.contain(`Số: ${voucher}`);
    expect(await page.getByTestId("confirmation-link").count(), "a payment has no giấy xác nhận").to.equal(0);
  });

  it("says in Vietnamese why a payment by bank has no phiếu chi, and that another committee's entry is not there", async () => {
    await page.goto(`${base}/app/entries/${ids.tam!.id}`);
    expect(await page.getByTestId("payment-voucher-link").count(), "no link where there is no voucher").to.equal(0);
    const bank = await page.goto(`${base}/app/payment-vouchers/${ids.tam!.id}.pdf`);
    expect(bank!.status()).to.equal(409);
    expect(await page.locator("h1").innerText()).to.equal("Không in được phiếu chi");
    expect(await page.getByTestId("document-refusal").innerText()).to.equal(
      "Khoản chi này trả bằng chuyển khoản nên không có phiếu chi: phiếu chi chỉ lập cho khoản chi tiền mặt. Chứng từ của khoản chi là sao kê hoặc ủy nhiệm chi của ngân hàng.");
    await axe(page, "no voucher for a bank payment");
    await vietnameseOnly(page, "no voucher for a bank payment");
    await shoot(page, "documents-refused-bank");
    const foreign = await page.goto(`${base}/app/payment-vouchers/${theirs}.pdf`);
    expect(foreign!.status()).to.equal(404);
    expect(await page.getByTestId("document-refusal").innerText()).to.equal("Không có bút toán này.");
    expect(await page.locator("main").innerText()).not.to.contain("Bình Hiệp");
    await vietnameseOnly(page, "another committee's entry");
    await shoot(page, "documents-refused-foreign");
    const donation = await page.goto(`${base}/app/payment-vouchers/${ids.cash!.id}.pdf`);
    expect(donation!.status()).to.equal(409);
    expect(await page.getByTestId("document-refusal").innerText()).to.equal("Bút toán này không phải khoản chi nên không có phiếu chi.");
  });

  it("prints the danh sách ký nhận of a recorded day, whole and by area", async () => {
    await page.goto(`${base}/app`);
    await page.getByRole("link", { name: "Danh sách ký nhận", exact: true }).click();
    await page.waitForURL(/\/app\/distributions$/);
    const table = await page.getByTestId("distribution-days").innerText();
    expect(table).to.contain("05/02/2024").and.contain("Quà Tết Giáp Thìn 2024").and.contain("Trao quà (suất quà)").and.contain("5.150.000");
    await axe(page, "signing lists");
    await vietnameseOnly(page, "signing lists");
    await shoot(page, "documents-distributions");
    const whole = await pdf((await page.getByTestId("day-list").first().getAttribute("href"))!, "danh-sach-ky-nhan-ca-ngay");
    expect(whole).to.contain("DANH SÁCH KÝ NHẬN").and.contain("ĐÃ GHI SỔ — lập từ 4 khoản chi đã ghi")
      .and.contain("Nguyễn Thị Lượm").and.contain("Phạm Văn Tâm").and.contain("Đặng Thị Khuê").and.contain("Trần Văn Đạt")
      .and.contain("Cộng: 4 hộ 4 suất 5.150.000").and.contain("Năm triệu một trăm năm mươi nghìn đồng").and.not.contain("Bình Hiệp");
    const area = await pdf((await page.getByRole("link", { name: "Khu phố 1", exact: true }).getAttribute("href"))!, "danh-sach-ky-nhan-kp1");
    expect(area).to.contain("Khu phố / ấp: Khu phố 1").and.contain("Nguyễn Thị Lượm").and.contain("Đặng Thị Khuê").and.not.contain("Trần Văn Đạt");
    // The form for any day: a day without payments is said so, in Vietnamese.
    await page.getByLabel("Ngày trao").fill("2024-02-07");
    await page.getByRole("button", { name: "In danh sách" }).click();
    await page.waitForSelector("[data-testid=document-refusal]");
    expect(await page.getByTestId("document-refusal").innerText()).to.equal("Không có khoản chi nào của cuộc vận động Quà Tết Giáp Thìn 2024 ngày 07/02/2024.");
    await vietnameseOnly(page, "no payments that day");
  });

  it("plans the next distribution's list from the households helped before, refusing a bad quantity beside its field, writing nothing", async () => {
    const entries = async () => Number((await s.db.knex("journal_entries").where({ committee_id: c.committee.id }).count("* as n").first())!.n);
    const before = await entries();
    await page.goto(`${base}/app/distributions`);
    await page.getByTestId("plan-link").click();
    await page.waitForURL(/\/app\/distributions\/plan$/);
    await page.getByLabel("Hộ của khu phố / ấp").selectOption("Khu phố 1");
    await page.getByRole("button", { name: "Lọc" }).click();
    await page.waitForURL(/area=/);
    const boxes = page.locator("input[name=h]");
    expect(await boxes.count(), "Khu phố 1's households").to.equal(2);
    await page.getByLabel("Cuộc vận động").selectOption(TET);
    await page.getByLabel("Ngày trao (dự kiến)").fill("2025-01-20");
    await page.getByLabel("Số lượng mỗi hộ").fill("0");
    await page.getByRole("button", { name: "In danh sách dự kiến" }).click();
    await page.waitForSelector("#f-quantity-error");
    expect(await page.locator("#f-quantity-error").innerText()).to.equal("Số lượng là số lớn hơn 0, ví dụ 1 hoặc 1,5 (tối đa 3 chữ số thập phân).");
    expect(await page.getByLabel("Số lượng mỗi hộ").getAttribute("aria-invalid")).to.equal("true");
    expect(await page.getByLabel("Ngày trao (dự kiến)").inputValue(), "what was typed stays").to.equal("2025-01-20");
    await axe(page, "planned list refused");
    await vietnameseOnly(page, "planned list refused");
    await shoot(page, "documents-plan-refused");
    await page.getByLabel("Số lượng mỗi hộ").fill("1");
    await page.getByLabel("Giá trị mỗi hộ (đồng, không bắt buộc)").fill("1.300.000");
    await page.getByLabel("Số dòng trống thêm vào cuối").fill("4");
    await page.getByLabel(/Đặng Thị Khuê/).uncheck();
    await shoot(page, "documents-plan");
    // The browser opens the PDF in its own viewer (inline, to print); what the form sent is sent again to read it.
    const [response] = await Promise.all([page.waitForResponse(/\/app\/distributions\/plan\.pdf$/), page.getByRole("button", { name: "In danh sách dự kiến" }).click()]);
    expect(response.status()).to.equal(200);
    expect(response.headers()["content-disposition"]).to.equal(`inline; filename="danh-sach-ky-nhan-${TET}-2025-01-20-khu-pho-1-du-kien.pdf"`);
    const sent = response.request().postData()!;
    expect(new URLSearchParams(sent).getAll("h"), "the household ticked, not the one unticked").to.have.length(1);
    const again = await context.request.post(`${base}/app/distributions/plan.pdf`, { data: sent, headers: { "content-type": "application/x-www-form-urlencoded" } });
    expect(again.status()).to.equal(200);
    const text = keep(await again.body(), "danh-sach-du-kien");
    expect(text).to.contain("DỰ KIẾN").and.contain("chưa ghi sổ").and.contain("Ngày trao: ngày 20 tháng 01 năm 2025 — Khu phố / ấp: Khu phố 1")
      .and.contain("Nguyễn Thị Lượm").and.contain("Cộng: 1 hộ 1 suất 1.300.000").and.contain("Một triệu ba trăm nghìn đồng")
      .and.contain("Nguyễn Thị Thu Hà").and.not.contain("Đặng Thị Khuê");
    expect(await entries(), "a planned list writes nothing").to.equal(before);
  });

  it("prints a giấy xác nhận for a bank donor from the donation's page", async () => {
    await page.goto(`${base}/app/entries/${ids.bank!.id}`);
    const href = (await page.getByTestId("confirmation-link").getAttribute("href"))!;
    await shoot(page, "documents-donation-page");
    const text = await pdf(href, "giay-xac-nhan");
    expect(text).to.contain("GIẤY XÁC NHẬN").and.contain(`Số: ${ids.bank!.seq}/GXN`).and.contain("Người / đơn vị ủng hộ: Công ty TNHH Minh Phát")
      .and.contain("Chuyển khoản vào tài khoản 0071000123456, mã giao dịch FT24012987654").and.contain("Số tiền: 10.000.000 đồng")
      .and.contain("Bằng chữ: Mười triệu đồng").and.contain("CHỦ TỊCH");
    await context.close();
  });
});

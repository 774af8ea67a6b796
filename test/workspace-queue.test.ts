import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import type { Server } from "node:http";
import { tmpdir } from "node:os";
import path from "node:path";
import { expect } from "chai";
import type { Browser } from "playwright-core";
import { generateVcb } from "../bench/bankimport.js";
import type { Soquy } from "../src/context.js";
import { createTokenFor } from "../src/context.js";
import { importStatement, type ImportSummary } from "../src/db/bankimports.js";
import { principalOf, UserStore } from "../src/db/users.js";
import type { Principal } from "../src/ledger/types.js";
import { hashPassword } from "../src/web/passwords.js";
import { formatDong } from "../reports/format.js";
import { axe, formOf, launch, shoot, signIn, vietnameseOnly } from "./support/browser.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee } from "./support/db.js";
import { testServer } from "./support/http.js";

// The approver's day with a bank import, in Debian's Chromium: "Chọn tất cả" ticks a whole page of 500 and
// they are verified at once; a refusal reads as a sentence; the queue is filtered in PostgreSQL (a bank
// import, an amount typed as 1.500.000, the person who recorded); an import of QUEUE_IMPORT_LINES entries
// (1,200 by default: more than two pages of the queue; the approver's day, workspace-day.test.ts, verifies 5,000) is verified in one action, with its count, one confirmation and its progress; the same
// refusals come back from that job as one by one. Screenshots in SHOTS_DIR (default test-output/).

const LINES = Number(process.env.QUEUE_IMPORT_LINES ?? 1200);
const PASSWORD = "mật-khẩu-thử-2024";

describe("the approver's queue in a browser", function () {
  this.timeout(600_000);
  let s: Soquy;
  let server: Server;
  let base: string;
  let browser: Browser;
  let c: TestCommittee;
  let treasurer: Principal;
  let treasurerUser: number;
  const CODE = uniqueCode("VNN").toUpperCase();
  const YAGI = uniqueCode("YAGI").toUpperCase();
  const login = (role: string) => `${c.committee.code}.${role}`;
  let dir: string;
  let original: string;
  let reversal: string;

  before(async () => {
    ({ s, server, base } = await testServer());
    c = await makeCommittee(s, "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường");
    const users = new UserStore(s.db.knex);
    const hash = await hashPassword(PASSWORD);
    for (const [role, name, as] of [["treasurer", "Nguyễn Thị Thu Hà", "treasurer"], ["approver", "Trần Văn Dũng", "approver"], ["approver2", "Lê Minh Tâm", "approver"]] as const) {
      const u = await users.create(c.committee.id, { login: login(role), name, role: as, passwordHash: hash });
      if (role === "treasurer") {
        treasurer = principalOf(u);
        treasurerUser = u.id;
      }
    }
    await s.ledger.createCampaign(treasurer, { code: CODE, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", startsOn: "2024-01-01",
      receivingException: "Quỹ vận động thường xuyên trong năm" }, meta());
    await s.ledger.createCampaign(treasurer, { code: YAGI, name: "Ủng hộ đồng bào bị bão số 3", kind: "relief", startsOn: "2024-09-01" }, meta());
    // 520 cash donations, then one more and its reversal dated in March.
    for (let i = 0; i < 520; i += 130) {
      await Promise.all(Array.from({ length: 130 }, (_, j) => s.ledger.recordDonation(treasurer, CODE, {
        receivedOn: `2024-02-${String(1 + ((i + j) % 28)).padStart(2, "0")}`, amountDong: String(100_000 + (i + j) * 1_000), method: "cash",
        donor: { name: `Nhà hảo tâm số ${i + j}`, kind: "individual", publishName: false },
      }, meta())));
    }
    original = (await s.ledger.recordDonation(treasurer, CODE, { receivedOn: "2024-01-20", amountDong: "2500000", method: "cash",
      donor: { name: "Võ Văn Kiệt", kind: "individual", publishName: true } }, meta())).entry.id;
    reversal = (await s.ledger.reverse(treasurer, original, { reason: "Ghi nhầm số tiền", entryDate: "2024-03-20" }, meta())).entry.id;
    browser = await launch();
    dir = mkdtempSync(path.join(tmpdir(), "soquy-queue-"));
  });

  after(async () => {
    await browser?.close();
    await new Promise((r) => server?.close(r));
    rmSync(dir, { recursive: true, force: true });
  });

  it("verifies the 500 rows “Chọn tất cả” ticks in one go, and says why one is refused in Vietnamese", async () => {
    const { context, page } = await signIn(browser, base, login("approver"), PASSWORD);
    await page.goto(`${base}/app/queue`);
    await page.locator("#select-all").check();
    expect(await page.locator("input[name=ids]:checked").count()).to.equal(500);
    await page.getByRole("button", { name: "Duyệt các bút toán đã chọn" }).click();
    await page.waitForSelector(".flash");
    expect(await page.locator(".flash").innerText()).to.contain("Đã duyệt 500 bút toán.");
    // A reversal whose original is not verified yet: refused, with the reason in words.
    await page.goto(`${base}/app/queue?from=2024-03-01`);
    await page.locator(`input[name=ids][value="${reversal}"]`).check();
    await page.getByRole("button", { name: "Duyệt các bút toán đã chọn" }).click();
    await page.waitForSelector(".flash");
    const flash = await page.locator(".flash").innerText();
    expect(flash).to.contain("Không duyệt được 1 bút toán").and.contain("Bút toán đảo chỉ được duyệt sau bút toán gốc");
    await vietnameseOnly(page, "queue after a refusal");
    await axe(page, "queue after a refusal");
    await shoot(page, "queue-refusal");
    await context.close();
  });

  let imported: ImportSummary;

  it(`filters the queue over a bank import and verifies its ${LINES.toLocaleString("en-US")} entries in one action, with their count and progress`, async () => {
    const file = path.join(dir, "sao-ke.csv");
    await generateVcb(file, LINES);
    const started = performance.now();
    imported = await importStatement(s.db.knex, {
      committee: c.committee, campaign: await s.ledger.campaign(c.committee.id, YAGI), bankAccountNo: "0011009990001", layout: "vcb",
      openingDong: 10_847_182_843n, recordedBy: treasurer.tokenId, input: createReadStream(file),
    });
    const importSeconds = (performance.now() - started) / 1000;
    // The treasurer's own API token records too: the queue still lists the person once.
    const token = await createTokenFor(s, treasurer, "treasurer", "Phần mềm kế toán (thuquy)", treasurerUser);
    const viaToken = (await s.store.findPrincipal((await import("../src/context.js")).hashToken(token)))!;
    await s.ledger.recordDonation(viaToken, CODE, { receivedOn: "2024-02-15", amountDong: "750000", method: "cash",
      donor: { name: "Công ty TNHH Hòa Bình", kind: "business", publishName: true } }, meta());

    const { context, page } = await signIn(browser, base, login("approver"), PASSWORD);
    await page.getByRole("link", { name: "Chờ duyệt" }).click();
    await page.waitForURL(/\/app\/queue/);
    const recorders = await page.getByLabel("Người ghi").locator("option").allInnerTexts();
    expect(recorders.filter((x) => x === "Nguyễn Thị Thu Hà"), "one person, listed once").to.have.length(1);

    // An amount typed wrong is refused beside its field.
    await page.getByLabel("Từ số tiền (đồng)").fill("1,5");
    await page.getByRole("button", { name: "Lọc", exact: true }).click();
    await page.waitForSelector(".field-error");
    expect(await page.locator("#q-min-error").innerText()).to.contain("ví dụ 1.500.000");
    expect(await page.getByLabel("Từ số tiền (đồng)").getAttribute("aria-invalid")).to.equal("true");
    await vietnameseOnly(page, "queue with a wrong amount");

    // The import and the amounts of a million đồng or more, typed as Vietnamese write them.
    await page.getByLabel("Lần nhập sao kê").selectOption(String(imported.id));
    await page.getByLabel("Từ số tiền (đồng)").fill("1.000.000");
    await page.getByRole("button", { name: "Lọc", exact: true }).click();
    await page.waitForURL(/min=1\.000\.000/);
    const big = await s.db.knex.raw(`select count(*)::int as n from bank_lines b join postings p on p.entry_id = b.entry_id and p.amount_dong >= 1000000
      where b.import_id = ?`, [imported.id]);
    expect(await page.getByTestId("queue-count").innerText()).to.contain(`Có ${formatDong(BigInt(big.rows[0].n))} bút toán`);
    const amounts = await page.getByTestId("queue").locator("tbody td.num").allInnerTexts();
    expect(amounts.length).to.equal(Math.min(500, big.rows[0].n));
    for (const a of amounts) expect(Number(a.replace(/\./g, ""))).to.be.at.least(1_000_000);
    await axe(page, "queue filtered");
    await vietnameseOnly(page, "queue filtered");
    await shoot(page, "queue-filtered");

    // "Verify this import": the count, one confirmation, the job's progress, the result.
    await page.goto(`${base}/app/queue`);
    await page.getByTestId("imports").getByRole("link", { name: "Duyệt lần nhập này…" }).first().click();
    await page.waitForURL(/verify-all\?import=/);
    expect(await page.getByTestId("confirm-count").innerText()).to.equal(`${formatDong(BigInt(imported.recorded))} bút toán sẽ được duyệt.`);
    await axe(page, "confirmation");
    await vietnameseOnly(page, "confirmation");
    await shoot(page, "queue-confirm");
    const clicked = performance.now();
    await page.getByRole("button", { name: `Xác nhận duyệt ${formatDong(BigInt(imported.recorded))} bút toán` }).click();
    await page.waitForURL(/\/app\/queue\/jobs\//);
    if (await page.getByTestId("job-running").count()) await shoot(page, "queue-job-running");
    await page.getByTestId("job-result").waitFor({ timeout: 300_000 });
    const verifySeconds = (performance.now() - clicked) / 1000;
    expect(await page.getByTestId("verified-count").innerText()).to.contain(`Đã duyệt ${formatDong(BigInt(imported.recorded))} bút toán.`);
    expect(await page.locator("#job-bar").evaluate((e) => (e as HTMLProgressElement).value === (e as HTMLProgressElement).max)).to.equal(true);
    await axe(page, "job done");
    await vietnameseOnly(page, "job done");
    await shoot(page, "queue-job-done");
    const left = await s.db.knex.raw(`select count(*)::int as n from bank_lines b where b.import_id = ? and b.entry_id is not null
      and not exists (select 1 from entry_verified v where v.entry_id = b.entry_id)`, [imported.id]);
    expect(left.rows[0].n).to.equal(0);
    console.log(`      ${LINES} lines: import ${importSeconds.toFixed(1)} s, verify in the browser (click to result) ${verifySeconds.toFixed(1)} s`);
    await context.close();
  });

  it("gives the same refusals from a bulk job as one by one, and says who must still approve", async () => {
    // Between two campaigns: two approvers, and a resolution.
    await s.ledger.recordGeneral(treasurer, {
      entryDate: "2024-03-25", description: "Chuyển 100.000 đồng tiền mặt sang quỹ cứu trợ bão số 3", resolutionRef: "Nghị quyết 01/NQ-MTTQ",
      postings: [{ account: `1111.${YAGI}`, amountDong: "100000" }, { account: `1111.${CODE}`, amountDong: "-100000" }],
    }, meta());
    const { context, page } = await signIn(browser, base, login("approver"), PASSWORD);
    await page.goto(`${base}/app/queue/verify-all?from=2024-03-01&to=2024-03-31`);
    expect(await page.getByTestId("confirm-count").innerText()).to.equal("2 bút toán sẽ được duyệt.");
    expect(await page.locator("main").innerText()).to.contain("1 bút toán cần hai người duyệt");
    await page.getByRole("button", { name: "Xác nhận duyệt 2 bút toán" }).click();
    await page.getByTestId("job-result").waitFor();
    const result = await page.getByTestId("job-result").innerText();
    expect(result).to.contain("Đã duyệt 1 bút toán.").and.contain("1 bút toán trong đó còn chờ người duyệt thứ hai")
      .and.contain("Không duyệt được 1 bút toán").and.contain("Bút toán đảo chỉ được duyệt sau bút toán gốc");
    await vietnameseOnly(page, "job with refusals");
    await shoot(page, "queue-job-refusals");
    // The approver's own approval is in: the queue says it waits for someone else, and the box cannot be ticked.
    await page.goto(`${base}/app/queue?from=2024-03-25`);
    expect(await page.locator("tbody").innerText()).to.contain("bạn đã duyệt — chờ người thứ hai");
    // A form sent twice starts one job.
    await page.goto(`${base}/app/queue/verify-all?from=2024-01-01&to=2024-01-31`);
    const form = await formOf(page, "form[action='/app/queue/verify-all']");
    const [a, b] = await Promise.all([0, 1].map(() => context.request.post(`${base}/app/queue/verify-all`, { form, maxRedirects: 0 })));
    expect([a!.status(), b!.status()]).to.deep.equal([303, 303]);
    const jobs = await s.db.knex("verify_jobs").where({ committee_id: c.committee.id }).count("* as n").first();
    expect(Number(jobs!.n)).to.equal(3);
    await context.close();
    // The second approver completes the transfer.
    const second = await signIn(browser, base, login("approver2"), PASSWORD);
    await second.page.goto(`${base}/app/queue?from=2024-03-25&to=2024-03-25`);
    await second.page.locator("#select-all").check();
    await second.page.getByRole("button", { name: "Duyệt các bút toán đã chọn" }).click();
    await second.page.waitForSelector(".flash");
    expect(await second.page.locator(".flash").innerText()).to.contain("Đã duyệt 1 bút toán.").and.not.contain("chờ người duyệt thứ hai");
    await second.context.close();
  });
});

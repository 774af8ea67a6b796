import { expect } from "chai";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Express } from "express";
import request from "supertest";
import { createToken, hashToken, type Soquy } from "../src/context.js";
import { UserStore } from "../src/db/users.js";
import { hashPassword } from "../src/web/passwords.js";
import { formatDong } from "../reports/format.js";
import { makeCommittee, testOwnerKnex, uniqueCode, type TestCommittee } from "./support/db.js";
import { testApp } from "./support/http.js";
import { layoutPages, ledgerColumn, ledgerRows, occurrences, within, wordPages } from "./support/pdftext.js";

// The statement PDF an auditor signs, made by the service from a real ledger and read back with pdftotext:
// the closing balance split by cash, bank and goods, each equal to its account's balance in the ledger (the
// cash line to the cash box); money moved between two campaigns by a resolution on lines of its own, and in the
// summary; a donor named once in a row; voucher numbers whole; the committee's long name whole; and the amount
// in words the way the committee writes it, set in its workspace by its admin or treasurer, on the statement and
// on the receipt, while the CSV (whose digest checkpoints sign) keeps its bytes.

const PASSWORD = "mật-khẩu-sổ-quỹ-2024";
const COMMITTEE = "Ủy ban Mặt trận Tổ quốc Việt Nam phường Nguyễn Thái Bình, quận 1, Thành phố Hồ Chí Minh";
const TO_B = "Nghị quyết số 05/NQ-BTT ngày 28/02/2024";
const FROM_B = "Biên bản họp Ban Thường trực số 7/BB-MTTQ";

let app: Express;
let s: Soquy;
let c: TestCommittee;
let A: string;
let B: string;
let dir: string;
let n = 0;
let receiptId: string;
const ids: string[] = [];

const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on("data", (d: Buffer) => chunks.push(d));
  res.on("end", () => cb(null, Buffer.concat(chunks)));
};
const post = (p: string, body: object) =>
  request(app).post(p).set("Authorization", `Bearer ${c.tokens.treasurer}`).set("Idempotency-Key", `signed-${Date.now()}-${++n}`).send(body);
const get = (p: string, token?: string) => {
  const r = request(app).get(p).buffer(true).parse(binary);
  return token ? r.set("Authorization", `Bearer ${token}`) : r;
};

/** The statement PDF of a campaign, kept as a file: the auditor's (every entry) or the public's (verified entries). */
async function statementPdf(code: string, audience: "auditor" | "public"): Promise<{ file: string; digest: string }> {
  const res = audience === "auditor"
    ? await get(`/api/v1/campaigns/${code}/statement.pdf?audience=auditor`, c.tokens.auditor).expect(200)
    : await get(`/api/v1/campaigns/${code}/statement.pdf?committee=${c.committee.code}`).expect(200);
  const file = path.join(dir, `${code}-${audience}-${++n}.pdf`);
  writeFileSync(file, res.body as Buffer);
  return { file, digest: String(res.headers["x-statement-digest"]) };
}

/** An account's balance through a day, as the ledger's own API gives it. */
async function balance(account: string, asOf: string, verified = false): Promise<bigint> {
  const res = await request(app).get(`/api/v1/accounts/${account}/balance?asOf=${asOf}${verified ? "&verified=true" : ""}`)
    .set("Authorization", `Bearer ${c.tokens.auditor}`).expect(200);
  return BigInt(res.body.balanceDong);
}

const parseDong = (t: string): bigint => BigInt(t.replace(/\./g, ""));

/** The figures after a label on the first line of a page holding it. */
function figures(page: string, label: string): bigint[] {
  const line = page.split("\n").find((l) => l.includes(label));
  expect(line, label).to.not.equal(undefined);
  return [...line!.slice(line!.indexOf(label) + label.length).matchAll(/\d{1,3}(?:\.\d{3})*/g)].map((m) => parseDong(m[0]));
}

/** Signs a workspace user in; gives the agent and a fresh CSRF token from the campaigns page. */
async function signIn(role: "admin" | "treasurer" | "approver" | "auditor") {
  const agent = request.agent(app);
  await agent.post("/app/login").type("form").send({ login: `${c.committee.code}.${role}`, password: PASSWORD }).expect(303);
  const page = async () => (await agent.get("/app/campaigns").expect(200)).text;
  const csrf = async () => /name="_csrf" value="([^"]+)"/.exec(await page())![1]!;
  return { agent, csrf, page };
}

describe("the statement PDF an auditor signs, from the ledger", function () {
  this.timeout(120_000);

  before(async () => {
    ({ app, s } = await testApp());
    dir = mkdtempSync(path.join(tmpdir(), "soquy-signed-"));
    c = await makeCommittee(s, COMMITTEE);
    const users = new UserStore(s.db.knex);
    for (const role of ["admin", "treasurer", "approver", "auditor"] as const) {
      await users.create(c.committee.id, { login: `${c.committee.code}.${role}`, name: `${role} thử`, role, passwordHash: await hashPassword(PASSWORD) });
    }
    A = uniqueCode("TET").toUpperCase();
    B = uniqueCode("VNN").toUpperCase();
    await post("/api/v1/campaigns", { code: A, name: "Quà Tết Giáp Thìn 2024", kind: "tet_gifts", startsOn: "2024-01-01", receivingException: "Vận động cả năm" }).expect(201);
    await post("/api/v1/campaigns", { code: B, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", startsOn: "2024-01-01", receivingException: "Vận động cả năm" }).expect(201);
    const keep = (r: request.Response) => (ids.push(r.body.id), r);
    const donate = (code: string, body: object) => post(`/api/v1/campaigns/${code}/donations`, body).expect(201).then(keep);
    const pay = (body: object) => post(`/api/v1/campaigns/${A}/disbursements`, body).expect(201).then(keep);
    const cash = (day: string, amount: string, name: string) =>
      ({ receivedOn: day, amountDong: amount, method: "cash", donor: { name, kind: "individual", publishName: true } });
    // A: cash, bank and rice in; a gift paid in cash and one in rice; money moved in from B and out to B by resolutions
    await donate(A, cash("2024-01-05", "5000000", "Nguyễn Thị Thu Hà"));
    receiptId = (await donate(A, cash("2024-01-06", "1005000", "Lê Văn Tư"))).body.id;
    await donate(A, { receivedOn: "2024-01-08", amountDong: "3052222", method: "bank", bankReference: "FT24008123", bankAccount: "0011009990001",
      donor: { name: "Trần Văn Đức", kind: "individual", publishName: true } });
    await donate(A, { receivedOn: "2024-01-10", amountDong: "3000000", method: "in_kind", donor: { name: "Công ty TNHH Lúa Vàng", kind: "business", publishName: true },
      items: [{ description: "Gạo", quantity: "200", unit: "kg", unitValueDong: "15000", valuationBasis: "giá hóa đơn" }] });
    await donate(B, cash("2024-01-12", "10000000", "Hội Doanh nhân trẻ"));
    await pay({ paidOn: "2024-02-01", amountDong: "350000", method: "cash", purpose: "gift_package", quantity: 1, unit: "suất",
      beneficiary: { name: "Phạm Thị Hồng", category: "poor", area: "Khu phố 1" } });
    await pay({ paidOn: "2024-02-02", amountDong: "1000000", method: "in_kind", purpose: "gift_package", quantity: 50, unit: "kg",
      beneficiary: { name: "Đặng Văn Ơn", category: "hardship", area: "Khu phố 2" } });
    const moves: string[] = [];
    const move = (day: string, description: string, resolutionRef: string, postings: [string, string][]) =>
      post("/api/v1/entries", { entryDate: day, description, resolutionRef, postings: postings.map(([account, amountDong]) => ({ account, amountDong })) })
        .expect(201).then(keep).then((r) => moves.push(r.body.id));
    await move("2024-02-10", "Điều chuyển bổ sung quà Tết", TO_B, [[`1111.${A}`, "2000000"], [`4611.${A}`, "-2000000"], [`4611.${B}`, "2000000"], [`1111.${B}`, "-2000000"]]);
    await move("2024-03-01", "Điều chuyển số dư chuyển khoản", FROM_B, [[`1121.${B}`, "1500000"], [`4611.${B}`, "-1500000"], [`4611.${A}`, "1500000"], [`1121.${A}`, "-1500000"]]);
    // A statement's period runs by default to its campaign's last entry of its own: entries between campaigns (which
    // belong to neither) count only inside it.
    await donate(A, cash("2024-03-05", "200000", "Võ Thị Ngọc Ánh"));
    await donate(B, cash("2024-03-05", "100000", "Huỳnh Văn Lợi"));
    // every entry verified (an entry between campaigns by two approvers), so the public statement shows them all
    await s.controls.verify(c.principals.approver, ids);
    const second = await s.store.findPrincipal(hashToken(await createToken(s, c.committee.id, "approver", "Người duyệt thứ hai")));
    await s.controls.verify(second!, moves);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("splits the closing balance by cash, bank and goods, each equal to its account in the ledger, the cash line to the cash box", async () => {
    for (const audience of ["auditor", "public"] as const) {
      const { file } = await statementPdf(A, audience);
      const pages = await layoutPages(file);
      const ledgerLast = pages.find((p) => p.includes("Cộng phát sinh"))!;
      const to = "2024-03-05"; // the campaign's last entry: the statement's default end
      const cash = await balance(`1111.${A}`, to, audience === "public");
      const bank = await balance(`1121.${A}`, to, audience === "public");
      const goods = await balance(`1561.${A}`, to, audience === "public");
      // the cash box, counted by hand: 5.000.000 + 1.005.000 − 350.000 + 2.000.000 moved in + 200.000
      expect(cash, audience).to.equal(7_855_000n);
      expect([bank, goods], audience).to.deep.equal([1_552_222n, 2_000_000n]);
      for (const page of [ledgerLast, pages.at(-1)!]) {
        expect(figures(page, "Tiền mặt (tồn quỹ tiền mặt)"), audience).to.deep.equal([cash]);
        expect(figures(page, "Tiền gửi ngân hàng"), audience).to.deep.equal([bank]);
        expect(figures(page, "Hiện vật (quy ra tiền)"), audience).to.deep.equal([goods]);
      }
      expect(figures(ledgerLast, "Số dư cuối kỳ"), audience).to.deep.equal([cash + bank + goods]);
    }
  });

  it("shows money moved between campaigns on lines of its own, and explains it in the summary, on both campaigns' statements", async () => {
    const { file } = await statementPdf(A, "auditor");
    const pages = await layoutPages(file);
    const S = pages.findIndex((p) => p.includes("TỔNG HỢP THU CHI")); // the summary, after the ledger (the auditor's people pages follow it)
    const rows = (await wordPages(file)).slice(0, S).flatMap((p) => ledgerRows(p)).map((r) => r.description);
    expect(rows).to.include(`Điều chuyển bổ sung quà Tết – nhận từ ${B} theo ${TO_B}`);
    // too long for two lines: the description is cut, never the other campaign or the resolution
    expect(rows.find((r) => r.startsWith("Điều chuyển số dư"))).to.match(new RegExp(`^Điều chuyển số dư.*… – chuyển sang ${B} theo ${FROM_B}$`));
    const ledger = pages.slice(0, S).join("\n");
    expect(ledger.split("\n").filter((l) => l.includes("Điều chuyển") && /\d{2}\/\d{1,2}\/2024/.test(l))).to.have.length(2);
    const summary = pages[S]!.replace(/ +/g, " ");
    for (const t of ["7. Điều chuyển giữa các cuộc vận động", "Nhận từ cuộc vận động khác: 2.000.000 đồng", "Chuyển sang cuộc vận động khác: 1.500.000 đồng",
      `${B} – Quỹ “Vì người nghèo” năm 2024`, `Theo: ${TO_B}`, `Theo: ${FROM_B}`]) expect(summary, t).to.include(t);
    // received by method counts donations only: the money moved in is not a donation
    const receivedTotal = pages[S]!.split("\n").find((l) => /^Cộng\s/.test(l))!; // the first table's, at the left edge
    expect(figures(receivedTotal, "Cộng")[0]).to.equal(5_000_000n + 1_005_000n + 3_052_222n + 3_000_000n + 200_000n);
    expect(figures(pages.at(-1)!, "nhận điều chuyển từ cuộc vận động khác")).to.deep.equal([2_000_000n]);
    expect(figures(pages.at(-1)!, "chuyển sang cuộc vận động khác")).to.deep.equal([1_500_000n]);
    // the other side: B's statement shows the same two moves the other way round
    const other = await layoutPages((await statementPdf(B, "auditor")).file);
    const bSummary = other.find((p) => p.includes("TỔNG HỢP THU CHI"))!.replace(/ +/g, " ");
    expect(bSummary).to.include("Nhận từ cuộc vận động khác: 1.500.000 đồng").and.include("Chuyển sang cuộc vận động khác: 2.000.000 đồng").and.include(`${A} – Quà Tết`);
    // the CSV still lists them as what they are: general entries
    const csv = (await get(`/api/v1/campaigns/${A}/statement.csv?audience=auditor`, c.tokens.auditor).expect(200)).body.toString("utf8") as string;
    expect(csv.split("\r\n").filter((l) => l.includes(",general,"))).to.have.length(2);
  });

  it("names each donor and household once in its row, and keeps voucher numbers whole in their column", async () => {
    const { file } = await statementPdf(A, "auditor");
    const page = (await wordPages(file))[0]!;
    const rows = ledgerRows(page);
    expect(rows.length).to.be.greaterThan(5);
    for (const who of ["Nguyễn Thị Thu Hà", "Lê Văn Tư", "Trần Văn Đức", "Công ty TNHH Lúa Vàng", "Phạm Thị Hồng", "Đặng Văn Ơn"]) {
      const row = rows.find((r) => r.description.includes(who));
      expect(row, who).to.not.equal(undefined);
      expect(occurrences(row!.description, who), row!.description).to.equal(1);
    }
    const csv = (await get(`/api/v1/campaigns/${A}/statement.csv?audience=auditor`, c.tokens.auditor).expect(200)).body.toString("utf8") as string;
    const vouchers = [...csv.matchAll(/,(P[TC]-\d{4}-\d{6}),/g)].map((m) => m[1]!);
    expect(vouchers.length).to.equal(4);
    const col = ledgerColumn("voucher");
    for (const v of vouchers) {
      const found = page.filter((w) => w.text === v);
      expect(found, v).to.have.length(1);
      expect(within(found[0]!, col), v).to.equal(true);
    }
  });

  it("fits the committee's long name in the heading, whole", async () => {
    const page = (await wordPages((await statementPdf(A, "auditor")).file))[0]!;
    const title = page.find((w) => w.text === "SỔ")!;
    const left = page.filter((w) => w.yMax < title.yMin + 0.01 && w.xMax < 514)
      .sort((a, b) => (Math.abs(a.yMin - b.yMin) > 1 ? a.yMin - b.yMin : a.xMin - b.xMin)).map((w) => w.text);
    expect(left.join(" ")).to.equal(`${COMMITTEE.toLocaleUpperCase("vi")} Mã đơn vị: ${c.committee.code}`);
  });

  it("writes amounts in words as the committee chose in its workspace, on the statement and the receipt; the CSV keeps its bytes", async () => {
    const closing = 7_855_000n + 1_552_222n + 2_000_000n;
    expect(formatDong(closing)).to.equal("11.407.222");
    const words = async () => (await layoutPages((await statementPdf(A, "auditor")).file)).map((p) => p.replace(/\s+/g, " "));
    const receipt = async (agent: ReturnType<typeof request.agent>) => {
      const res = await agent.get(`/app/receipts/${receiptId}.pdf`).buffer(true).parse(binary).expect(200);
      const file = path.join(dir, `receipt-${++n}.pdf`);
      writeFileSync(file, res.body as Buffer);
      return (await layoutPages(file)).join(" ").replace(/\s+/g, " ");
    };
    const csvBefore = (await get(`/api/v1/campaigns/${A}/statement.csv?audience=auditor`, c.tokens.auditor).expect(200)).body as Buffer;
    // what the committee's documents said before it chose: "linh", "nghìn"
    const before = await words();
    expect(before.at(-1)).to.include("Bằng chữ: Mười một triệu bốn trăm linh bảy nghìn hai trăm hai mươi hai đồng");
    const admin = await signIn("admin");
    expect(await receipt(admin.agent)).to.include("Bằng chữ: Một triệu không trăm linh năm nghìn đồng");
    const form = await admin.page();
    expect(form).to.include('name="wordsZeroTens"').and.include('name="wordsThousand"').and.include("Một triệu một trăm linh năm nghìn đồng");

    // an approver or an auditor may not change it
    for (const role of ["approver", "auditor"] as const) {
      const other = await signIn(role);
      const token = /name="_csrf" value="([^"]+)"/.exec((await other.agent.get("/app/tokens")).text)?.[1] ?? "";
      await other.agent.post("/app/settings").type("form").send({ _csrf: token, confirmAbove: "100.000.000", wordsZeroTens: "lẻ", wordsThousand: "ngàn" }).expect(403);
    }
    // a word not offered is refused beside its field, and nothing is kept (not even the valid threshold)
    const bad = await admin.agent.post("/app/settings").type("form")
      .send({ _csrf: await admin.csrf(), confirmAbove: "250.000.000", wordsZeroTens: "lẽ", wordsThousand: "ngàn" }).expect(422);
    expect(bad.text).to.include('<span class="field-error" id="f-wordsZeroTens-error">Chọn “linh” hoặc “lẻ”.</span>');
    expect(bad.text).not.to.include('id="f-wordsThousand-error"');
    const kept = await s.db.knex("committees").where({ id: c.committee.id }).first("confirm_above_dong", "words_zero_tens", "words_thousand");
    expect(kept).to.deep.equal({ confirm_above_dong: "100000000", words_zero_tens: "linh", words_thousand: "nghìn" });

    // the admin chooses the southern words
    await admin.agent.post("/app/settings").type("form")
      .send({ _csrf: await admin.csrf(), confirmAbove: "100.000.000", wordsZeroTens: "lẻ", wordsThousand: "ngàn" }).expect(200);
    const after = await words();
    for (const page of [after.find((p) => p.includes("Cộng phát sinh")), after.at(-1)]) expect(page).to.include("Bằng chữ: Mười một triệu bốn trăm lẻ bảy ngàn hai trăm hai mươi hai đồng");
    expect(after.join(" ")).not.to.include("linh bảy nghìn");
    expect(await receipt(admin.agent)).to.include("Bằng chữ: Một triệu không trăm lẻ năm ngàn đồng");
    const csvAfter = (await get(`/api/v1/campaigns/${A}/statement.csv?audience=auditor`, c.tokens.auditor).expect(200)).body as Buffer;
    expect(csvAfter.equals(csvBefore), "the CSV's bytes").to.equal(true);

    // the treasurer may set it too: back to the standard words, and a form without them keeps them
    const treasurer = await signIn("treasurer");
    await treasurer.agent.post("/app/settings").type("form")
      .send({ _csrf: await treasurer.csrf(), confirmAbove: "100.000.000", wordsZeroTens: "linh", wordsThousand: "nghìn" }).expect(200);
    await treasurer.agent.post("/app/settings").type("form").send({ _csrf: await treasurer.csrf(), confirmAbove: "120.000.000" }).expect(200);
    expect(await s.db.knex("committees").where({ id: c.committee.id }).first("confirm_above_dong", "words_zero_tens", "words_thousand"))
      .to.deep.equal({ confirm_above_dong: "120000000", words_zero_tens: "linh", words_thousand: "nghìn" });
    expect((await words()).at(-1)).to.include("Bằng chữ: Mười một triệu bốn trăm linh bảy nghìn hai trăm hai mươi hai đồng");
  });

  it("refuses a word the database does not know, even from the owner", async () => {
    const owner = await testOwnerKnex();
    let err: unknown;
    try {
      await owner("committees").where({ id: c.committee.id }).update({ words_thousand: "ngan" });
    } catch (e) {
      err = e;
    }
    expect((err as { code?: string }).code).to.equal("23514");
  });
});

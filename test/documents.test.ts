import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { expect } from "chai";
import type { Express } from "express";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { Documents } from "../src/documents/service.js";
import { LedgerError } from "../src/ledger/codes.js";
import type { Principal } from "../src/ledger/types.js";
import { renderSignListPdf, signListPages } from "../reports/signlist.js";
import { makeCommittee, meta, uniqueCode, type TestCommittee } from "./support/db.js";
import { testApp } from "./support/http.js";

// The committee's printed forms over the API, read back with poppler's pdftotext: the phiếu chi of a cash
// payment (its number, date, household, purpose, amount in figures and in words, accounts, signatures), the
// danh sách ký nhận of a day's gift distribution (recorded: the day's payments, reversed ones left out, by area;
// planned: the households chosen, nothing written), the giấy xác nhận of bank and in-kind donations; and the
// refusals: a non-cash payment's phiếu chi, another committee's entry, no token.

const out = path.resolve("test-output", "documents");
const binary = (res: request.Response, cb: (err: Error | null, body: Buffer) => void) => {
  const chunks: Buffer[] = [];
  res.on("data", (d: Buffer) => chunks.push(d));
  res.on("end", () => cb(null, Buffer.concat(chunks)));
};

/** The PDF's text as pdftotext lays it out, and the same with every run of white space made one space. */
function pdfText(name: string, body: Buffer): { layout: string; flat: string; pages: number } {
  const file = path.join(out, name);
  writeFileSync(file, body);
  const layout = execFileSync("pdftotext", ["-layout", file, "-"]).toString("utf8");
  const pages = Number(/Pages:\s+(\d+)/.exec(execFileSync("pdfinfo", [file]).toString("utf8"))![1]);
  return { layout, flat: layout.replace(/\s+/g, " "), pages };
}

describe("printed forms: phiếu chi, danh sách ký nhận, giấy xác nhận", function () {
  this.timeout(120_000);
  let app: Express;
  let s: Soquy;
  let c: TestCommittee;
  let other: TestCommittee;
  let t: Principal;
  const TET = uniqueCode("TET").toUpperCase();
  const DAY = "2024-02-05";
  const ids: Record<string, { id: string; seq: number; voucher: string | null }> = {};
  const get = (p: string, token: string | null = c.tokens.treasurer) => {
    const r = request(app).get(p).buffer(true).parse(binary);
    return token ? r.set("Authorization", `Bearer ${token}`) : r;
  };
  const json = (res: request.Response) => JSON.parse((res.body as Buffer).toString("utf8"));

  before(async () => {
    mkdirSync(out, { recursive: true });
    ({ app, s } = await testApp());
    c = await makeCommittee(s, "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường");
    other = await makeCommittee(s, "Ủy ban MTTQ xã khác");
    t = c.principals.treasurer;
    await s.ledger.createCampaign(t, { code: TET, name: "Quà Tết Giáp Thìn 2024", kind: "tet_gifts", startsOn: "2024-01-01" }, meta());
    const give = async (key: string, input: Parameters<Soquy["ledger"]["recordDonation"]>[2]) => {
      const w = await s.ledger.recordDonation(t, TET, input, meta());
      ids[key] = { id: w.entry.id, seq: w.entry.sequence, voucher: w.entry.receiptNumber };
    };
    await give("cash", { receivedOn: "2024-01-10", amountDong: "50000000", method: "cash", donor: { name: "Võ Văn Kiệt", kind: "individual", publishName: true } });
    await give("bank", {
      receivedOn: "2024-01-12", amountDong: "5000000", method: "bank", bankAccount: "0071000123456", bankReference: "FT24012987654",
      donor: { name: "Công ty TNHH Minh Phát", kind: "business", publishName: false },
    });
    await give("goods", {
      receivedOn: "2024-01-15", amountDong: "5500000", method: "in_kind", donor: { name: "Cửa hàng gạo Thanh Tâm", kind: "business", publishName: true },
      items: [
        { description: "Gạo ST25", quantity: "100", unit: "kg", unitValueDong: "20000", valuationBasis: "Giá bán lẻ tại chợ Kiến Tường ngày 15/01/2024" },
        { description: "Dầu ăn", quantity: "10", unit: "thùng", unitValueDong: "350000", valuationBasis: "Giá bán lẻ tại chợ Kiến Tường ngày 15/01/2024" },
      ],
    });
    await give("wrong", { receivedOn: "2024-01-16", amountDong: "100000", method: "cash", donor: { name: "Ghi nhầm", kind: "individual", publishName: false } });
    await s.ledger.reverse(t, ids.wrong!.id, { reason: "Ghi nhầm", entryDate: "2024-01-17" }, meta());
    const pay = async (key: string, name: string, category: "poor" | "near_poor" | "hardship" | "policy_family", area: string, amountDong: string,
      method: "cash" | "bank" | "in_kind" = "cash", paidOn = DAY, quantity = "1", unit = "suất") => {
      const w = await s.ledger.recordDisbursement(t, TET, {
        paidOn, amountDong, method, purpose: "gift_package", quantity, unit, beneficiary: { name, category, area },
      }, meta());
      ids[key] = { id: w.entry.id, seq: w.entry.sequence, voucher: w.entry.receiptNumber };
    };
    await pay("luom", "Nguyễn Thị Lượm", "poor", "Khu phố 1", "1300000");
    await pay("dat", "Trần Văn Đạt", "near_poor", "Khu phố 2", "1300000");
    await pay("tham", "Lê Thị Thắm", "hardship", "Khu phố 1", "1005000");
    await pay("tam", "Phạm Văn Tâm", "policy_family", "Khu phố 2", "1300000", "bank");
    await pay("truong", "Huỳnh Văn Trường", "poor", "Khu phố 1", "200000", "in_kind", DAY, "10", "kg");
    await pay("yen", "Đỗ Thị Yến", "poor", "Khu phố 1", "1300000");
    await s.ledger.reverse(t, ids.yen!.id, { reason: "Hộ đã nhận ở đợt khác", entryDate: DAY }, meta());
    await pay("later", "Bùi Thị Huyền", "poor", "Khu phố 3", "1300000", "cash", "2024-02-06");
  });

  describe("phiếu chi", () => {
    it("prints a cash payment's voucher: number, date, household, purpose, amount in figures and words, accounts, signatures", async () => {
      const res = await get(`/api/v1/entries/${ids.luom!.id}/payment-voucher.pdf`).expect(200);
      expect(res.headers["content-type"]).to.equal("application/pdf");
      expect(res.headers["cache-control"]).to.equal("no-store");
      expect(res.headers["content-disposition"]).to.equal(`inline; filename="phieu-chi-${ids.luom!.voucher}.pdf"`);
      expect(ids.luom!.voucher).to.match(/^PC-2024-\d{6}$/);
      const { layout, flat, pages } = pdfText("phieu-chi.pdf", res.body);
      expect(pages).to.equal(1);
      expect(layout).to.contain("PHIẾU CHI").and.contain("Mẫu số C41-BB").and.contain("ỦY BAN MTTQ VIỆT NAM PHƯỜNG 2, THỊ XÃ KIẾN TƯỜNG");
      expect(flat).to.contain(`Số: ${ids.luom!.voucher}`).and.contain("Ngày 05 tháng 02 năm 2024");
      expect(flat).to.contain("Họ và tên người nhận tiền: Nguyễn Thị Lượm").and.contain("Địa chỉ: Khu phố 1 — Đối tượng: Hộ nghèo");
      expect(flat).to.contain("Nội dung chi: Trao quà (suất quà) — 1 suất.").and.contain(`Quà Tết Giáp Thìn 2024 (${TET})`);
      expect(flat).to.contain("Số tiền: 1.300.000 đồng").and.contain("Viết bằng chữ: Một triệu ba trăm nghìn đồng");
      expect(flat).to.contain(`Nợ: 6111.${TET}`).and.contain(`Có: 1111.${TET}`);
      for (const sign of ["CHỦ TỊCH / TRƯỞNG BAN", "KẾ TOÁN", "THỦ QUỸ", "NGƯỜI NHẬN TIỀN", "Đã nhận đủ số tiền (viết bằng chữ):"]) expect(flat).to.contain(sign);
      expect(flat, "the treasurer who recorded it, under Thủ quỹ").to.contain("treasurer test");
      const e = await s.store.findEntry(c.committee.id, ids.luom!.id);
      expect(flat).to.contain(`Sổ quỹ: bút toán số ${ids.luom!.seq} · mã SHA-256 ${e!.hash}`);
      expect(flat).not.to.contain("ĐÃ ĐẢO");
    });

    it("reads an odd amount in words, and says in red that a reversed payment's voucher is void", async () => {
      const tham = pdfText("phieu-chi-tham.pdf", (await get(`/api/v1/entries/${ids.tham!.id}/payment-voucher.pdf`).expect(200)).body);
      expect(tham.flat).to.contain("Số tiền: 1.005.000 đồng").and.contain("Viết bằng chữ: Một triệu không trăm linh năm nghìn đồng").and.contain(ids.tham!.voucher!);
      const yen = pdfText("phieu-chi-dao.pdf", (await get(`/api/v1/entries/${ids.yen!.id}/payment-voucher.pdf`).expect(200)).body);
      const reversal = await s.store.reversalOf(c.committee.id, ids.yen!.id);
      const r = await s.store.findEntry(c.committee.id, reversal!);
      expect(yen.flat).to.contain(`ĐÃ ĐẢO: khoản chi này đã bị đảo bởi bút toán số ${r!.seq} (ngày 05 tháng 02 năm 2024). Phiếu chi không còn giá trị thanh toán.`);
    });

    it("writes the amount in words as the committee does (\"lẻ\", \"ngàn\"), on the phiếu chi, the list and the giấy xác nhận alike", async () => {
      const { saveSettings, confirmAbove } = await import("../src/db/settings.js");
      const confirmAboveDong = await confirmAbove(s.db.knex, c.committee.id);
      await saveSettings(s.db.knex, c.committee.id, { confirmAboveDong, words: { zeroTens: "lẻ", thousand: "ngàn" } });
      try {
        const tham = pdfText("phieu-chi-tham-le.pdf", (await get(`/api/v1/entries/${ids.tham!.id}/payment-voucher.pdf`).expect(200)).body);
        expect(tham.flat).to.contain("Viết bằng chữ: Một triệu không trăm lẻ năm ngàn đồng");
        expect(tham.flat).not.to.contain("nghìn");
      } finally {
        await saveSettings(s.db.knex, c.committee.id, { confirmAboveDong, words: { zeroTens: "linh", thousand: "nghìn" } });
      }
    });

    it("refuses, in Vietnamese, a payment by bank or in kind, a donation, another committee's entry and a call without a token", async () => {
      const bank = await get(`/api/v1/entries/${ids.tam!.id}/payment-voucher.pdf`).expect(409);
      expect(bank.headers["content-type"]).to.match(/^application\/problem\+json/);
      expect(json(bank)).to.include({ code: "document_not_applicable", field: "id" });
      expect(json(bank).detail).to.contain(`Khoản chi số ${ids.tam!.seq} trả bằng chuyển khoản, không có phiếu chi: phiếu chi chỉ lập cho khoản chi tiền mặt`);
      const goods = json(await get(`/api/v1/entries/${ids.truong!.id}/payment-voucher.pdf`).expect(409));
      expect(goods.detail).to.contain("trả bằng hiện vật, không có phiếu chi");
      const donation = json(await get(`/api/v1/entries/${ids.cash!.id}/payment-voucher.pdf`).expect(409));
      expect(donation.detail).to.contain(`Bút toán số ${ids.cash!.seq} không phải khoản chi nên không có phiếu chi`);
      const foreign = json(await get(`/api/v1/entries/${ids.luom!.id}/payment-voucher.pdf`, other.tokens.treasurer).expect(404));
      expect(foreign).to.include({ code: "entry_not_found" });
      expect(foreign.detail).to.contain("Không có bút toán").and.not.contain("Lượm");
      expect(json(await get("/api/v1/entries/not-an-id/payment-voucher.pdf").expect(404)).code).to.equal("entry_not_found");
      const anonymous = await get(`/api/v1/entries/${ids.luom!.id}/payment-voucher.pdf`, null).expect(401);
      expect(anonymous.body.toString("utf8")).not.to.contain("Lượm");
    });

    it("is printed for every role of the committee (approver, auditor, admin too)", async () => {
      for (const role of ["approver", "auditor", "admin"] as const) await get(`/api/v1/entries/${ids.dat!.id}/payment-voucher.pdf`, c.tokens[role]).expect(200);
    });
  });

  describe("danh sách ký nhận", () => {
    it("lists a recorded day's households with what each received and room to sign, reversed payments and other days left out", async () => {
      const res = await get(`/api/v1/campaigns/${TET}/sign-list.pdf?date=${DAY}`).expect(200);
      expect(res.headers["content-disposition"]).to.equal(`inline; filename="danh-sach-ky-nhan-${TET}-${DAY}.pdf"`);
      const { layout, flat } = pdfText("danh-sach-ky-nhan.pdf", res.body);
      expect(layout).to.contain("DANH SÁCH KÝ NHẬN").and.contain("Ký nhận (ký, ghi rõ");
      expect(flat).to.contain(`Trao quà (suất quà) — Quà Tết Giáp Thìn 2024 (${TET})`).and.contain("Ngày trao: ngày 05 tháng 02 năm 2024 — Tất cả khu phố / ấp");
      expect(flat).to.contain(`ĐÃ GHI SỔ — lập từ 5 khoản chi đã ghi (bút toán số ${ids.luom!.seq} đến ${ids.truong!.seq}); không gồm 1 khoản đã đảo.`);
      // By area, then by name (Vietnamese order): Khu phố 1 (Huỳnh, Lê, Nguyễn), then Khu phố 2 (Phạm, Trần).
      const order = ["Huỳnh Văn Trường", "Lê Thị Thắm", "Nguyễn Thị Lượm", "Phạm Văn Tâm", "Trần Văn Đạt"].map((n) => layout.indexOf(n));
      expect(order.every((x) => x > 0)).to.equal(true);
      expect([...order].sort((a, b) => a - b)).to.deep.equal(order);
      // A row and the line under it (a cell's second line), as one text.
      const lines = layout.split("\n");
      const row = (name: string) => {
        const i = lines.findIndex((l) => l.includes(name));
        return `${lines[i]} ${lines[i + 1]}`.replace(/\s+/g, " ");
      };
      expect(row("Nguyễn Thị Lượm")).to.match(new RegExp(`^ ?3 Nguyễn Thị Lượm Khu phố 1 Hộ nghèo Trao quà \\(suất quà\\) 1 suất 1\\.300\\.000 ${ids.luom!.voucher} ?$`));
      expect(row("Lê Thị Thắm")).to.contain("Hộ khó khăn").and.contain("1.005.000").and.contain(ids.tham!.voucher!);
      expect(row("Phạm Văn Tâm")).to.contain("Gia đình chính sách").and.contain(`CK · bút toán ${ids.tam!.seq}`);
      expect(row("Huỳnh Văn Trường")).to.contain("10 kg").and.contain("200.000").and.match(new RegExp(`Hiện vật · bút .*toán ${ids.truong!.seq}`));
      expect(flat).not.to.contain("Đỗ Thị Yến").and.not.to.contain("Bùi Thị Huyền");
      expect(flat).to.contain("Cộng: 5 hộ").and.match(/Cộng: 5 hộ 4 suất 5\.105\.000 .*10 kg/).and.contain("5.105.000");
      expect(flat).to.contain("Tổng số tiền (viết bằng chữ): Năm triệu một trăm linh năm nghìn đồng");
      for (const sign of ["NGƯỜI LẬP DANH SÁCH", "THỦ QUỸ", "KẾ TOÁN", "CHỦ TỊCH / TRƯỞNG BAN"]) expect(flat).to.contain(sign);
      expect(flat).to.contain("Trang 1/1").and.contain("đã ghi sổ");
    });

    it("runs over pages with the column heads on each, every page numbered, the totals and signatures on the last", async () => {
      const surnames = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Võ"];
      const given = ["Văn An", "Thị Bình", "Hữu Cường", "Thị Dung", "Minh Đức"];
      for (let i = 0; i < 30; i++) {
        await s.ledger.recordDisbursement(t, TET, { paidOn: "2024-02-08", amountDong: "300000", method: "cash", purpose: "gift_package", quantity: "1", unit: "suất",
          beneficiary: { name: `${surnames[i % 6]} ${given[Math.floor(i / 6)]}`, category: "poor", area: `Khu phố ${(i % 4) + 1}` } }, meta());
      }
      const { layout, flat, pages } = pdfText("danh-sach-nhieu-trang.pdf", (await get(`/api/v1/campaigns/${TET}/sign-list.pdf?date=2024-02-08`).expect(200)).body);
      expect(pages).to.equal(signListPages(30)).and.equal(3);
      for (let n = 1; n <= 3; n++) expect(flat).to.contain(`Trang ${n}/3`);
      expect(layout.split("\f").map((page) => page.includes("Họ và tên chủ hộ")), "column heads on the pages with rows").to.deep.equal([true, true, false, false]);
      const lastPage = layout.split("\f")[2]!.replace(/\s+/g, " ");
      expect(lastPage).to.contain("Cộng: 30 hộ 30 suất 9.000.000").and.contain("Chín triệu đồng").and.contain("CHỦ TỊCH / TRƯỞNG BAN");
      for (let i = 0; i < 30; i++) expect(flat).to.contain(`${surnames[i % 6]} ${given[Math.floor(i / 6)]}`);
    });

    it("prints one area's list, and refuses a day without payments, a bad date and another committee's campaign", async () => {
      const one = pdfText("danh-sach-kp1.pdf", (await get(`/api/v1/campaigns/${TET}/sign-list.pdf?date=${DAY}&area=${encodeURIComponent("Khu phố 1")}&purpose=gift_package`).expect(200)).body);
      expect(one.flat).to.contain("Khu phố / ấp: Khu phố 1").and.contain("Nguyễn Thị Lượm").and.contain("Cộng: 3 hộ").and.contain("2.505.000");
      expect(one.flat).not.to.contain("Trần Văn Đạt");
      const none = json(await get(`/api/v1/campaigns/${TET}/sign-list.pdf?date=2024-02-07`).expect(404));
      expect(none).to.include({ code: "not_found", field: "date" });
      expect(none.detail).to.contain(`Không có khoản chi nào của cuộc vận động ${TET} ngày 2024-02-07`);
      expect(json(await get(`/api/v1/campaigns/${TET}/sign-list.pdf?date=2024-02-30`).expect(422)).field).to.equal("date");
      expect(json(await get(`/api/v1/campaigns/${TET}/sign-list.pdf`).expect(422)).field).to.equal("query.date");
      expect(json(await get(`/api/v1/campaigns/${TET}/sign-list.pdf?date=${DAY}`, other.tokens.auditor).expect(404)).code).to.equal("campaign_not_found");
      await get(`/api/v1/campaigns/${TET}/sign-list.pdf?date=${DAY}`, null).expect(401);
    });

    it("plans a list before the day from the households chosen, with empty rows, and writes nothing", async () => {
      const docs = new Documents(s.store, s.db.knex);
      const named = ["Đỗ Thị Yến", "Huỳnh Văn Trường", "Lê Thị Thắm", "Nguyễn Thị Lượm", "Phạm Văn Tâm", "Trần Văn Đạt", "Bùi Thị Huyền"];
      const known = (await docs.households(t)).filter((h) => named.includes(h.name));
      expect(known.map((h) => h.name), "by area, then by name in Vietnamese order").to.deep.equal(named);
      const chosen = known.filter((h) => h.area !== "Khu phố 3" && h.name !== "Đỗ Thị Yến").map((h) => h.id);
      const entries = async () => Number((await s.db.knex("journal_entries").where({ committee_id: c.committee.id }).count("* as n").first())!.n);
      const before = await entries();
      const plan = await docs.plannedSignList(t, TET, {
        date: "2025-01-20", purpose: "gift_package", households: chosen, quantity: "1", unit: "suất", amountDong: "1.300.000", blankRows: 3,
      }, "2025-01-10");
      expect(await entries()).to.equal(before);
      const file = path.join(out, "danh-sach-du-kien.pdf");
      const chunks: Buffer[] = [];
      const { PassThrough } = await import("node:stream");
      const sink = new PassThrough();
      sink.on("data", (d: Buffer) => chunks.push(d));
      await renderSignListPdf(plan, sink);
      const { layout, flat } = pdfText(path.basename(file), Buffer.concat(chunks));
      expect(flat).to.contain("DỰ KIẾN — lập ngày 10 tháng 01 năm 2025, trước ngày trao: chưa ghi sổ").and.contain("Ngày trao: ngày 20 tháng 01 năm 2025");
      for (const n of ["Huỳnh Văn Trường", "Lê Thị Thắm", "Nguyễn Thị Lượm", "Phạm Văn Tâm", "Trần Văn Đạt"]) expect(flat).to.contain(n);
      expect(flat).not.to.contain("Đỗ Thị Yến");
      const numbered = layout.split("\n").map((l) => l.trim()).filter((l) => /^\d+\b/.test(l)).map((l) => Number(/^\d+/.exec(l)![0]));
      expect(numbered, "five households, then three empty numbered rows").to.deep.equal([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(flat).to.contain("Cộng: 5 hộ").and.contain("5 suất").and.contain("6.500.000").and.contain("Sáu triệu năm trăm nghìn đồng");
      expect(flat).to.contain("DỰ KIẾN, chưa ghi sổ").and.contain("Ngày ...... tháng ...... năm ......");
    });

    it("refuses a plan naming another committee's household, a purpose the campaign does not pay, or a bad quantity", async () => {
      const docs = new Documents(s.store, s.db.knex);
      const theirs = { code: uniqueCode("X").toUpperCase() };
      await s.ledger.createCampaign(other.principals.treasurer, { code: theirs.code, name: "Quỹ khác", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
      await s.ledger.recordDonation(other.principals.treasurer, theirs.code, { receivedOn: "2024-01-10", amountDong: "2000000", method: "cash", donor: { name: "A", kind: "individual", publishName: false } }, meta());
      await s.ledger.recordDisbursement(other.principals.treasurer, theirs.code, { paidOn: "2024-01-11", amountDong: "1000000", method: "cash", purpose: "gift_package",
        beneficiary: { name: "Hộ xã khác", category: "poor", area: "Ấp 1" } }, meta());
      const foreignHousehold = (await docs.households(other.principals.treasurer))[0]!.id;
      const base = { date: "2025-01-20", purpose: "gift_package" as const, households: [foreignHousehold], quantity: "1", unit: "suất", blankRows: 0 };
      const refusal = async (plan: Partial<typeof base> & Record<string, unknown>) => {
        try {
          await docs.plannedSignList(t, TET, { ...base, ...plan } as never);
        } catch (e) {
          if (e instanceof LedgerError) return [e.code, e.field];
        }
        return null;
      };
      expect(await refusal({})).to.deep.equal(["validation_failed", "households"]);
      expect(await refusal({ households: [], blankRows: 0 })).to.deep.equal(["validation_failed", "households"]);
      expect(await refusal({ households: [], blankRows: 2, purpose: "house_new" as never })).to.deep.equal(["purpose_not_allowed_for_campaign", "purpose"]);
      expect(await refusal({ households: [], blankRows: 2, quantity: "0" })).to.deep.equal(["validation_failed", "quantity"]);
      expect(await refusal({ households: [], blankRows: 2, quantity: "1.5" })).to.deep.equal(["validation_failed", "quantity"]);
      expect(await refusal({ households: [], blankRows: 2, unit: " " })).to.deep.equal(["validation_failed", "unit"]);
      expect(await refusal({ households: [], blankRows: 2, amountDong: "12,5" })).to.deep.equal(["amount_not_whole_dong", "amountDong"]);
      expect(await refusal({ households: [], blankRows: 2, date: "2025-02-30" })).to.deep.equal(["invalid_date", "date"]);
      expect(await refusal({ households: [], blankRows: 2, area: "Nhà bà Lượm" })).to.deep.equal(["area_not_listed", "area"]);
    });
  });

  describe("giấy xác nhận", () => {
    it("confirms a bank donation to its donor: name, amount in figures and words, account and reference, ledger number, signatures", async () => {
      const res = await get(`/api/v1/entries/${ids.bank!.id}/confirmation.pdf`).expect(200);
      expect(res.headers["content-disposition"]).to.equal(`inline; filename="giay-xac-nhan-${ids.bank!.seq}.pdf"`);
      const { layout, flat } = pdfText("giay-xac-nhan-ck.pdf", res.body);
      expect(layout).to.contain("GIẤY XÁC NHẬN").and.contain("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM").and.contain("Độc lập - Tự do - Hạnh phúc");
      expect(flat).to.contain(`Số: ${ids.bank!.seq}/GXN`).and.contain("Người / đơn vị ủng hộ: Công ty TNHH Minh Phát");
      expect(flat).to.contain(`Ủng hộ cuộc vận động: Quà Tết Giáp Thìn 2024 (${TET})`).and.contain("Ngày nhận: 12/01/2024");
      expect(flat).to.contain("Hình thức: Chuyển khoản vào tài khoản 0071000123456, mã giao dịch FT24012987654");
      expect(flat).to.contain("Số tiền: 5.000.000 đồng").and.contain("Bằng chữ: Năm triệu đồng").and.contain(`Ghi sổ quỹ: bút toán số ${ids.bank!.seq}.`);
      expect(flat).to.contain("THỦ QUỸ").and.contain("TM. BAN THƯỜNG TRỰC").and.contain("CHỦ TỊCH");
      expect(flat, "nobody else's name").not.to.contain("Lượm").and.not.to.contain("Võ Văn Kiệt");
    });

    it("lists an in-kind donation's goods with their values, and cites a cash donation's phiếu thu", async () => {
      const goods = pdfText("giay-xac-nhan-hien-vat.pdf", (await get(`/api/v1/entries/${ids.goods!.id}/confirmation.pdf`).expect(200)).body);
      expect(goods.flat).to.contain("Người / đơn vị ủng hộ: Cửa hàng gạo Thanh Tâm").and.contain("Hình thức: Hiện vật");
      const line = (n: string) => goods.layout.split("\n").find((l) => l.includes(n))!.replace(/\s+/g, " ").trim();
      expect(line("Gạo ST25")).to.equal("1 Gạo ST25 100 kg 20.000 2.000.000");
      expect(line("Dầu ăn")).to.equal("2 Dầu ăn 10 thùng 350.000 3.500.000");
      expect(goods.flat).to.contain("Căn cứ định giá: Giá bán lẻ tại chợ Kiến Tường ngày 15/01/2024");
      expect(goods.flat).to.contain("Tổng giá trị: 5.500.000 đồng").and.contain("Bằng chữ: Năm triệu năm trăm nghìn đồng");
      const cash = pdfText("giay-xac-nhan-tien-mat.pdf", (await get(`/api/v1/entries/${ids.cash!.id}/confirmation.pdf`).expect(200)).body);
      expect(cash.flat).to.contain(`Hình thức: Tiền mặt, phiếu thu số ${ids.cash!.voucher}`).and.contain("Năm mươi triệu đồng");
    });

    it("refuses a payment, a reversed donation and another committee's donation", async () => {
      const pay = json(await get(`/api/v1/entries/${ids.luom!.id}/confirmation.pdf`).expect(409));
      expect(pay).to.include({ code: "document_not_applicable" });
      expect(pay.detail).to.contain("không phải khoản ủng hộ nên không cấp giấy xác nhận");
      const reversed = json(await get(`/api/v1/entries/${ids.wrong!.id}/confirmation.pdf`).expect(409));
      expect(reversed.detail).to.contain(`Khoản ủng hộ số ${ids.wrong!.seq} đã bị đảo`);
      expect(json(await get(`/api/v1/entries/${ids.bank!.id}/confirmation.pdf`, other.tokens.treasurer).expect(404)).code).to.equal("entry_not_found");
    });
  });
});

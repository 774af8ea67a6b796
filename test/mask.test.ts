import { expect } from "chai";
import { maskText, OTHER_AREA, PrivateNames, publicArea } from "../src/ledger/mask.js";

// The one masking function, on the shapes the issue names: what must go and
// what must stay readable.

describe("maskText: the public masking", () => {
  let names: PrivateNames;
  before(() => {
    names = new PrivateNames();
    names.add("Lê Thị Kín", "L.T.K.");
    names.add("Trần Văn Nghèo", "Nhà hảo tâm");
    names.add("An", "A."); // one word: never a key
    names.add("Nguyễn Văn Tư 0912 345 678", "Nhà hảo tâm");
  });

  it("masks phone numbers in any grouping, +84 included, keeping the last 3 digits", () => {
    for (const [text, masked] of [
      ["0912345678", "*******678"], ["0912 345 678", "*******678"], ["0912  345  678", "*******678"], ["0912/345/678", "*******678"],
      ["0912.345.678", "*******678"], ["091-234-5678", "*******678"], ["+84 912 345 678", "********678"], ["+84912345678", "********678"],
      ["sđt:0912345678.", "sđt:*******678."], ["0912 / 345 / 678", "*******678"], ["02723 841 234", "********234"],
    ] as const) expect(maskText(text), text).to.equal(masked);
  });

  it("masks bank account and ID numbers (8 or more digits in any grouping) and e-mail addresses", () => {
    expect(maskText("STK 1903 4567 8901 23 tại VCB")).to.equal("STK ***********123 tại VCB");
    expect(maskText("CCCD 079-203-004-567")).to.equal("CCCD *********567");
    expect(maskText("TK 0011001932418")).to.equal("TK **********418");
    expect(maskText("liên hệ kin.le@gmail.com hoặc KIN@EXAMPLE.VN")).to.equal("liên hệ ***@*** hoặc ***@***");
  });

  it("keeps dates, school years, voucher numbers and amounts with thousands separators readable", () => {
    for (const text of [
      "ngày 01/03/2024", "ngày 1/3/2024", "01.03.2024", "2024-03-01", "năm học 2023-2024", "theo PT-2024-000123 và PC-2024-000001",
      "10.000.000 đ", "1.250.000 ₫", "50,000", "trao 607 suất trị giá 214.700.000 đồng", "Nghị quyết 05/NQ-MTTQ", "Khu phố 3",
      "ngày 01/03/2024 chi 10.000.000 đ theo PC-2024-000123",
    ]) expect(maskText(text), text).to.equal(text);
    expect(maskText("ngày 01/03/2024 gọi 0912345678")).to.equal("ngày 01/03/2024 gọi *******678");
    expect(maskText("PT-2024-000123 0912 345 678")).to.equal("PT-2024-000123 *******678");
  });

  it("masks names not agreed to be published, whole words, whatever the case, diacritics or spacing", () => {
    expect(maskText("Nhận qua LÊ THỊ KÍN", names)).to.equal("Nhận qua L.T.K.");
    expect(maskText("gửi thay tran van ngheo.", names)).to.equal("gửi thay Nhà hảo tâm.");
    expect(maskText("Lê  Thị   Kín và Tran Van  NGHEO", names)).to.equal("L.T.K. và Nhà hảo tâm");
    expect(maskText("chuyển cho nguyen van tu", names)).to.equal("chuyển cho Nhà hảo tâm");
    // Whole words only, and one-word names mask nothing.
    expect(maskText("Lê Thị Kínx; an sinh xã hội; Anh Lê Thị", names)).to.equal("Lê Thị Kínx; an sinh xã hội; Anh Lê Thị");
  });

  it("shows an area from the committee's list, and any other as Khác", () => {
    const listed = new Set(["Khu phố 1", "Ấp Tân Hòa"]);
    expect(publicArea("Khu phố 1", listed)).to.equal("Khu phố 1");
    expect(publicArea("Nhà bà Đỗ Thị X, sđt 0987654321", listed)).to.equal(OTHER_AREA);
  });
});

import type { DonorKind } from "../src/ledger/types.js";

// The donations the bench records, the same for the HTTP load and the SQL
// baselines: odd amounts, a mix of bank transfers (each with its own bank
// reference) and cash (each takes the next receipt number), donors who give
// more than once, some anonymous, some businesses, Vietnamese names.

export interface DonationSpec {
  key: string; // Idempotency-Key
  receivedOn: string;
  amountDong: bigint;
  method: "bank" | "cash";
  donor: { name?: string; kind: DonorKind; publishName: boolean; phone?: string };
  bankAccount?: string;
  bankReference?: string;
}

const AMOUNTS = [3000n, 10000n, 52222n, 5888n, 1000000n, 200000n, 500000n, 68000n, 88888n, 150000n, 2000000n, 36500n,
  1234567n, 7777n, 100000n, 300000n, 25000n, 5000000n, 99999n, 12345n];
const FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"];
const MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Hoài"];
const GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Khoa", "Lan", "Linh", "Long", "Mai", "Nam",
  "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Uyên", "Việt", "Xuân", "Yến"];
const BUSINESS = ["Công ty TNHH Thương mại Hòa Bình", "Công ty CP Xây dựng Sông Hồng", "Hộ kinh doanh Tạp hóa Minh Tâm",
  "Công ty TNHH Dược phẩm An Khang", "Ngân hàng TMCP Đông Á — Chi nhánh Hải Châu", "Hợp tác xã Nông nghiệp Tân Phú"];
const BANK_ACCOUNT = "0011009990001";

/** A small deterministic PRNG (mulberry32), so runs are comparable. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const pick = <T>(r: () => number, list: readonly T[]): T => list[Math.floor(r() * list.length)]!;

export class DonationSource {
  private n = 0;
  private readonly r: () => number;

  /** `days`: how many days of the campaign's window the donations fall on (from 2025-01-01). */
  constructor(private readonly prefix: string, seed: number, private readonly days = 89) {
    this.r = rng(seed);
  }

  next(): DonationSpec {
    const r = this.r;
    const n = ++this.n;
    // Inside the campaign's receiving window (it starts 2025-01-01; donations are taken for 90 days).
    const day = 1 + Math.floor(r() * this.days); // 2025-01-01 … 2025-03-30 by default
    const receivedOn = new Date(Date.UTC(2025, 0, day)).toISOString().slice(0, 10);
    const amountDong = pick(r, AMOUNTS);
    const method = r() < 0.65 ? "bank" : "cash";
    const k = r();
    let donor: DonationSpec["donor"];
    if (k < 0.1) donor = { kind: "anonymous", publishName: false };
    else if (k < 0.18) donor = { name: pick(r, BUSINESS), kind: "business", publishName: true };
    else {
      // ~4,300 distinct people: many give more than once (the donor row is then found, not inserted).
      const name = `${pick(r, FAMILY)} ${pick(r, MIDDLE)} ${pick(r, GIVEN)}`;
      donor = { name, kind: "individual", publishName: r() < 0.5 };
      if (r() < 0.3) donor.phone = `09${String(Math.floor(r() * 1e8)).padStart(8, "0")}`;
    }
    const spec: DonationSpec = { key: `${this.prefix}-${n}`, receivedOn, amountDong, method, donor };
    if (method === "bank") {
      spec.bankAccount = BANK_ACCOUNT;
      spec.bankReference = `FT${receivedOn.slice(2, 4)}${receivedOn.slice(5, 7)}${this.prefix.toUpperCase()}${String(n).padStart(7, "0")}`;
    }
    return spec;
  }
}

/** The JSON body of POST /campaigns/:code/donations. */
export function donationBody(d: DonationSpec): string {
  return JSON.stringify({
    receivedOn: d.receivedOn,
    amountDong: d.amountDong.toString(),
    method: d.method,
    donor: d.donor,
    ...(d.bankAccount ? { bankAccount: d.bankAccount, bankReference: d.bankReference } : {}),
  });
}

import { UserStore } from "../src/db/users.js";
import { generatePassword, hashPassword } from "../src/web/passwords.js";
import { createHash } from "node:crypto";
import { createToken, hashToken, type Soquy } from "../src/context.js";
import { todayInVietnam } from "../src/ledger/dates.js";
import type { CampaignInput, DisbursementInput, DonationInput, GeneralEntryInput, WriteMeta } from "../src/ledger/service.js";
import type { BeneficiaryCategory, Principal, Role } from "../src/ledger/types.js";

// Demo data: two real committees and the figures their reports published
// (see /work/shared/DOMAIN.md, "Real figures for demo data and tests").
// Everything is written through the ledger's own commands, so every entry is
// validated, hash-chained and numbered exactly as an API request would be.
//
// The published headline figures are real; the individual donors,
// households, bank accounts, references and phone numbers are invented (but
// deterministic: the demo is identical on every machine).
//
// Phường 2, thị xã Kiến Tường (Long An), first half of 2024
//   VNN2024    received   8.000.000 of a 21.000.000 target (11 donations;
//              one more recorded twice by mistake and reversed, "Ghi trùng")
//   TET2024    received 222.058.110 (cash 40.000.000, bank 42.058.110, goods 140.000.000)
//              607 suất: 562 × 350.000 + 45 × 400.000 = 214.700.000 ("trên 214 triệu")
//                400 goods packages (poor, near-poor) of 10 kg gạo + mì + dầu ăn + nước mắm,
//                162 cash packages (hardship) of 350.000, 45 cash packages (policy families) of 400.000
//              35.000.000 moved bank → cash before paying; bank fee 11.000 (account 6421)
//              left: 7.347.110 (cash 300.000, bank 7.047.110, goods 0)
//   SINHKE2024 received 3.000.000, paid 3.000.000 livelihood aid to one household
// Thị trấn Gò Quao (Kiên Giang), first half of 2022
//   DDK2022    received 150.000.000, paid 3 × 50.000.000 new Great Solidarity houses
//   TET2022    received 424.503.000, 1.126 suất in 20 groups (5 khu phố × 4 categories):
//                396 cash packages × 500.000 + 730 goods packages × 300.000 = 417.000.000
//   VNN2022    received 266.500.000, paid 265.000.000: a rural bridge 220.000.000 and
//                15 households × 6 months × 500.000 regular support = 45.000.000
//   committee total disbursed 832.000.000 ("trên 800 triệu")

export interface DemoToken {
  committee: string;
  role: Role;
  name: string;
  token: string;
}
export type DemoTokens = DemoToken[];

/** A workspace account per committee and role, with the password generated for it (demo only). */
export interface DemoUser {
  committee: string;
  role: Role;
  login: string;
  password: string;
}

/** How many writes go to the ledger at once; the group committer batches them into one transaction. */
const CHUNK = 50;

export async function seedDemo(s: Soquy): Promise<{ created: boolean; tokens: DemoTokens; users: DemoUser[] }> {
  if ((await s.store.listCommittees()).length > 0) return { created: false, tokens: [], users: [] };
  const plans = [phuong2KienTuong(), ttGoQuao()];
  // Committees and tokens one after another, so their ids are the same on every run.
  const tokens: DemoTokens = [];
  const ready: { plan: CommitteePlan; treasurer: Principal; approver: Principal }[] = [];
  for (const plan of plans) {
    const committee = await s.store.createCommittee(plan.code, plan.name);
    const principals: Partial<Record<Role, Principal | null>> = {};
    for (const [role, name] of Object.entries(plan.tokens) as [Role, string][]) {
      const token = await createToken(s, committee.id, role, name);
      tokens.push({ committee: plan.code, role, name, token });
      principals[role] = await s.store.findPrincipal(hashToken(token));
    }
    const { treasurer, approver } = principals;
    if (!treasurer || !approver) throw new Error(`seed: the treasurer or approver of ${plan.code} was not found`);
    for (const area of plan.areas) await s.ledger.addArea(treasurer, area);
    ready.push({ plan, treasurer, approver });
  }
  // Each committee has its own hash chain and writer queue: record them side by side.
  await Promise.all(ready.map(({ plan, treasurer }) => record(s, plan, treasurer)));
  for (const { plan, approver } of ready) await review(s, plan, approver);
  // After the history (its entries, publications and signed checkpoints keep their bytes): a campaign open from today,
  // so the first donation a newcomer types, dated today, is accepted.
  const today = todayInVietnam();
  for (const { plan, treasurer } of ready) {
    const key = `seed-${plan.code}-open-campaign`;
    await s.ledger.createCampaign(treasurer, openCampaign(today), { idempotencyKey: key, requestHash: createHash("sha256").update(key, "utf8").digest("hex") });
  }
  // People for the browser workspace: one per role, named like the tokens.
  const users: DemoUser[] = [];
  const accounts = new UserStore(s.db.knex);
  for (const { plan, treasurer } of ready) {
    for (const [role, name] of Object.entries(plan.tokens) as [Role, string][]) {
      const login = `${plan.code}.${role}`;
      const password = generatePassword();
      await accounts.create(treasurer.committeeId, { login, name, role, passwordHash: await hashPassword(password) });
      users.push({ committee: plan.code, role, login, password });
    }
  }
  return { created: true, tokens, users };
}

/** The campaign each demo committee has open on the day the demo is loaded: 90 days from that day, every purpose allowed. */
export function openCampaign(today: string): CampaignInput {
  const [y, m, d] = today.split("-");
  return {
    code: `VNN${y}-${m}`, name: `Quỹ “Vì người nghèo” — đợt vận động từ ${d}/${m}/${y}`, kind: "for_the_poor", targetDong: 50_000_000, startsOn: today,
    launchDocument: `Kế hoạch vận động ngày ${d}/${m}/${y} (dữ liệu mẫu)`,
  };
}

// The approver (maker-checker) verifies what the treasurer recorded — all of
// it up to plan.verifyThrough, leaving later entries in the queue — and closes
// the books where the committee held its six-month review (sơ kết).
async function review(s: Soquy, plan: CommitteePlan, approver: Principal): Promise<void> {
  const ids: string[] = [];
  for (let after = 0; ;) {
    const page = await s.store.listEntries(approver.committeeId, { afterSeq: after, limit: 1000 });
    ids.push(...page.filter((e) => e.entryDate <= plan.verifyThrough).map((e) => e.id));
    if (page.length < 1000) break;
    after = page.at(-1)!.seq;
  }
  for (let i = 0; i < ids.length; i += 1000) {
    const outcomes = await s.controls.verify(approver, ids.slice(i, i + 1000));
    const refused = outcomes.find((o) => !o.ok);
    if (refused) throw new Error(`seed ${plan.code}: verifying ${refused.id} failed: ${refused.code}`);
  }
  if (plan.closeThrough) {
    const key = `seed-${plan.code}-close`;
    // The close is anchored by a signed checkpoint, as a close through the API is.
    await s.closeAndSign(approver, { through: plan.closeThrough, note: "Sơ kết 6 tháng đầu năm" },
      { idempotencyKey: key, requestHash: createHash("sha256").update(key, "utf8").digest("hex") });
  }
}

// ---------------------------------------------------------------------------
// Running a committee's plan

interface CommitteePlan {
  code: string;
  name: string;
  /** The approver verifies entries dated up to here; later ones wait in the queue. */
  verifyThrough: string;
  /** Books closed through this date (khóa sổ), if the committee has closed them. */
  closeThrough: string | null;
  tokens: Record<Role, string>;
  /** The committee's khu phố: a disbursement names one of them. */
  areas: string[];
  campaigns: CampaignInput[];
  ops: Op[];
}

type Op =
  | { kind: "donation"; date: string; campaign: string; input: DonationInput; tag?: string }
  | { kind: "disbursement"; date: string; campaign: string; input: DisbursementInput }
  | { kind: "general"; date: string; input: GeneralEntryInput }
  | { kind: "reversal"; date: string; of: string; reason: string };

async function record(s: Soquy, plan: CommitteePlan, p: Principal): Promise<void> {
  let n = 0;
  const meta = (): WriteMeta => {
    const idempotencyKey = `seed-${plan.code}-${++n}`;
    return { idempotencyKey, requestHash: createHash("sha256").update(idempotencyKey, "utf8").digest("hex") };
  };
  for (const c of plan.campaigns) {
    await s.ledger.createCampaign(p, c, meta());
    await s.ledger.campaign(p.committeeId, c.code); // warm the cache: later calls queue in call order
  }
  // In date order, as a treasurer would enter them (stable: same-day entries keep their order).
  const ops = plan.ops.map((op, i) => ({ op, i })).sort((a, b) => a.op.date.localeCompare(b.op.date) || a.i - b.i)
    .map((x) => ({ op: x.op, meta: meta() }));
  const tagged = new Map<string, string>();
  const run = async ({ op, meta: m }: { op: Op; meta: WriteMeta }) => {
    try {
      switch (op.kind) {
        case "donation": {
          const r = await s.ledger.recordDonation(p, op.campaign, op.input, m);
          if (op.tag) tagged.set(op.tag, r.entry.id);
          return;
        }
        case "disbursement":
          await s.ledger.recordDisbursement(p, op.campaign, op.input, m);
          return;
        case "general":
          await s.ledger.recordGeneral(p, op.input, m);
          return;
        case "reversal": {
          const id = tagged.get(op.of);
          if (!id) throw new Error(`no entry tagged ${op.of}`);
          await s.ledger.reverse(p, id, { reason: op.reason, entryDate: op.date }, m);
          return;
        }
      }
    } catch (error) {
      throw new Error(`seed ${plan.code} ${m.idempotencyKey} (${op.kind} ${op.date}) failed: ${(error as Error).message}`, { cause: error });
    }
  };
  // Donations and disbursements go in concurrent chunks; a chunk never mixes
  // the two, so every payment is submitted after the money it draws on.
  for (let i = 0; i < ops.length;) {
    const first = ops[i]!;
    if (first.op.kind !== "donation" && first.op.kind !== "disbursement") {
      await run(first);
      i++;
      continue;
    }
    const chunk = [first];
    for (i++; i < ops.length && chunk.length < CHUNK && ops[i]!.op.kind === first.op.kind; i++) chunk.push(ops[i]!);
    await Promise.all(chunk.map(run));
  }
}

// ---------------------------------------------------------------------------
// Small helpers to write the data compactly

type DonorSpec = {
  date: string;
  name?: string;
  kind: "individual" | "business" | "organisation" | "anonymous";
  publish?: boolean;
  phone?: string;
  note?: string;
  tag?: string;
};

function cash(campaign: string, d: DonorSpec, amountDong: number): Op {
  return { kind: "donation", date: d.date, campaign, tag: d.tag, input: { receivedOn: d.date, amountDong, method: "cash", donor: donor(d), note: d.note } };
}

function bank(campaign: string, account: string, d: DonorSpec, amountDong: number, seq: number): Op {
  return {
    kind: "donation", date: d.date, campaign, tag: d.tag,
    input: { receivedOn: d.date, amountDong, method: "bank", donor: donor(d), bankAccount: account, bankReference: bankRef(d.date, seq), note: d.note },
  };
}

type Item = { description: string; quantity: number; unit: string; unitValueDong: number };

function goods(campaign: string, d: DonorSpec, items: Item[], valuationBasis: string): Op {
  const amountDong = items.reduce((sum, it) => sum + it.quantity * it.unitValueDong, 0);
  return {
    kind: "donation", date: d.date, campaign, tag: d.tag,
    input: {
      receivedOn: d.date, amountDong, method: "in_kind", donor: donor(d), note: d.note,
      items: items.map((it) => ({ ...it, valuationBasis })),
    },
  };
}

function donor(d: DonorSpec): DonationInput["donor"] {
  return { name: d.name, kind: d.kind, publishName: d.publish ?? d.kind !== "anonymous", phone: d.phone };
}

/** A bank's transaction reference, like "FT24015" + 5 digits: deterministic, unique per seed. */
function bankRef(date: string, seq: number): string {
  const [y, m, d] = date.split("-").map(Number) as [number, number, number];
  const dayOfYear = Math.round((Date.UTC(y, m - 1, d) - Date.UTC(y, 0, 0)) / 86_400_000);
  const tail = (seq * 7919 + dayOfYear * 104_729) % 100_000;
  return `FT${String(y % 100).padStart(2, "0")}${String(dayOfYear).padStart(3, "0")}${String(tail).padStart(5, "0")}${String(seq).padStart(2, "0")}`;
}

function general(date: string, description: string, postings: [string, number][]): Op {
  return { kind: "general", date, input: { entryDate: date, description, postings: postings.map(([account, amountDong]) => ({ account, amountDong })) } };
}

const categoryWords: Record<BeneficiaryCategory, string> = {
  poor: "hộ nghèo", near_poor: "hộ cận nghèo", hardship: "hộ có hoàn cảnh khó khăn", policy_family: "gia đình chính sách", other: "",
};

/** A small seeded generator (mulberry32): integer arithmetic only, the same on every machine. */
function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Surnames weighted roughly as in the Mekong Delta (Huỳnh and Võ are common in the South).
const surnames: [string, number][] = [
  ["Nguyễn", 30], ["Trần", 11], ["Lê", 9], ["Phạm", 6], ["Huỳnh", 6], ["Võ", 6], ["Phan", 4], ["Trương", 3],
  ["Đặng", 2], ["Bùi", 2], ["Đỗ", 2], ["Ngô", 2], ["Hồ", 2], ["Dương", 2], ["Lý", 2], ["Lâm", 2], ["Đoàn", 1],
  ["Châu", 1], ["Mai", 1], ["Tô", 1], ["Cao", 1], ["Đinh", 1], ["Tạ", 1], ["Lưu", 1],
];
const maleMiddle = ["Văn", "Văn", "Văn", "Văn", "Minh", "Thanh", "Hoàng", "Quốc", "Hữu", "Công", "Tấn", "Phước"];
const femaleMiddle = ["Thị", "Thị", "Thị", "Thị", "Thị Thu", "Thị Ngọc", "Thị Kim", "Thị Mỹ", "Thị Thanh", "Thị Hồng"];
const maleGiven = [
  "Hùng", "Dũng", "Tâm", "Phúc", "Lộc", "Tài", "Hải", "Sơn", "Bình", "Hòa", "Tư", "Năm", "Sáu", "Bảy", "Tám", "Chín",
  "Mười", "Út", "Lợi", "Thắng", "Nghĩa", "Trung", "Hiếu", "Nhân", "Thành", "Tuấn", "Khánh", "Long", "Hậu", "Tốt",
  "Mến", "Lành", "Đực", "Sang", "Quang", "Thiện", "Hưng", "Phong", "Kiệt", "Danh",
];
const femaleGiven = [
  "Lan", "Hoa", "Hồng", "Cúc", "Mai", "Hạnh", "Nga", "Loan", "Thủy", "Hương", "Liên", "Nhung", "Trang", "Yến",
  "Phượng", "Ánh", "Xuân", "Thảo", "Tuyết", "Hai", "Ba", "Út", "Lệ", "Gấm", "Nguyệt", "Sương", "Điệp", "Huệ",
  "Lựu", "Đào", "Lài", "Tươi", "Thắm", "Bé", "Dung", "Diễm",
];

function householdNames(count: number, seed: number): string[] {
  const rnd = seededRandom(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rnd() * list.length)]!;
  const totalWeight = surnames.reduce((sum, [, w]) => sum + w, 0);
  const surname = () => {
    let r = rnd() * totalWeight;
    for (const [name, w] of surnames) if ((r -= w) < 0) return name;
    return surnames[0]![0];
  };
  const seen = new Set<string>();
  const out: string[] = [];
  while (out.length < count) {
    const female = rnd() < 0.55; // many recipient households are headed by widows and elderly women
    const name = `${surname()} ${pick(female ? femaleMiddle : maleMiddle)} ${pick(female ? femaleGiven : maleGiven)}`.normalize("NFC");
    if (seen.has(name)) continue;
    seen.add(name);
    out.push(name);
  }
  return out;
}

// ---------------------------------------------------------------------------
// Phường 2, thị xã Kiến Tường, tỉnh Long An — first half of 2024

function phuong2KienTuong(): CommitteePlan {
  const bankAccount = "7504201001234"; // invented: Agribank, thị xã Kiến Tường
  const ops: Op[] = [];
  let bankSeq = 0;
  const viaBank = (campaign: string, d: DonorSpec, amount: number) => bank(campaign, bankAccount, d, amount, ++bankSeq);

  // Quỹ "Vì người nghèo" 2024: 8.000.000 received of 21.000.000.
  const V = "VNN2024";
  ops.push(
    cash(V, { date: "2024-01-08", name: "Nguyễn Văn Tâm", kind: "individual", phone: "0900 000 101" }, 500_000),
    viaBank(V, { date: "2024-01-15", name: "Công ty TNHH Thương mại Dịch vụ Phát Đạt", kind: "business" }, 2_000_000),
    cash(V, { date: "2024-02-20", kind: "anonymous" }, 200_000),
    cash(V, { date: "2024-03-05", name: "Chi hội Phụ nữ Khu phố 2", kind: "organisation" }, 350_000),
    viaBank(V, { date: "2024-03-18", name: "Trần Thị Mỹ Dung", kind: "individual", publish: false }, 1_000_000),
    cash(V, { date: "2024-04-10", name: "Doanh nghiệp tư nhân Tấn Lộc", kind: "business", phone: "0900 000 102" }, 1_500_000),
    viaBank(V, { date: "2024-04-22", kind: "anonymous", note: "Chuyển khoản liên ngân hàng, không ghi tên người gửi" }, 50_000),
    cash(V, { date: "2024-05-09", name: "Cán bộ, công chức Đảng ủy - UBND Phường 2", kind: "organisation", note: "Ủng hộ một ngày lương" }, 1_200_000),
    cash(V, { date: "2024-05-27", name: "Lê Hoàng Nam", kind: "individual" }, 300_000),
    // The same receipt typed in a second time, then reversed the next day.
    cash(V, { date: "2024-05-27", name: "Lê Hoàng Nam", kind: "individual", tag: "duplicate" }, 300_000),
    { kind: "reversal", date: "2024-05-28", of: "duplicate", reason: "Ghi trùng" },
    viaBank(V, { date: "2024-06-12", name: "Huỳnh Thị Ngọc Trâm", kind: "individual", publish: false, phone: "0900 000 103" }, 500_000),
    cash(V, { date: "2024-06-20", name: "Võ Minh Khoa", kind: "individual" }, 400_000),
  );

  // Quà Tết Giáp Thìn 2024 (Tết: 10/02/2024).
  const T = "TET2024";
  const marketPrice = "Giá bán lẻ tại chợ Kiến Tường tháng 01/2024";
  ops.push(
    // Goods: 400 packages of 10 kg gạo (15.000/kg), 1 thùng mì (110.000), 1 chai dầu ăn (50.000), 1 chai nước mắm (40.000).
    goods(T, { date: "2024-01-10", name: "Công ty TNHH Xay xát Lúa gạo Thạnh Hưng", kind: "business" },
      [{ description: "Gạo", quantity: 2_500, unit: "kg", unitValueDong: 15_000 }], marketPrice),
    goods(T, { date: "2024-01-12", name: "Doanh nghiệp tư nhân Kim Ngân", kind: "business" },
      [{ description: "Gạo", quantity: 1_500, unit: "kg", unitValueDong: 15_000 }], marketPrice),
    goods(T, { date: "2024-01-15", name: "Đại lý Tạp hóa Hồng Phúc", kind: "business" },
      [{ description: "Mì gói (thùng 30 gói)", quantity: 250, unit: "thùng", unitValueDong: 110_000 }], "Theo hóa đơn bán hàng của nhà tài trợ"),
    goods(T, { date: "2024-01-18", name: "Hội Doanh nhân trẻ thị xã Kiến Tường", kind: "organisation" },
      [{ description: "Mì gói (thùng 30 gói)", quantity: 150, unit: "thùng", unitValueDong: 110_000 }], marketPrice),
    goods(T, { date: "2024-01-22", name: "Cửa hàng Bách hóa Minh Châu", kind: "business", phone: "0900 000 104" }, [
      { description: "Dầu ăn (chai 1 lít)", quantity: 400, unit: "chai", unitValueDong: 50_000 },
      { description: "Nước mắm (chai 750 ml)", quantity: 400, unit: "chai", unitValueDong: 40_000 },
    ], "Theo hóa đơn bán hàng của nhà tài trợ"),
    // Cash: 40.000.000.
    cash(T, { date: "2024-01-04", name: "Nguyễn Thị Bích Ngọc", kind: "individual" }, 2_000_000),
    cash(T, { date: "2024-01-05", name: "Ban điều hành Khu phố 1", kind: "organisation", note: "Vận động trong khu phố" }, 3_500_000),
    cash(T, { date: "2024-01-08", kind: "anonymous" }, 500_000),
    cash(T, { date: "2024-01-09", name: "Phạm Quốc Hưng", kind: "individual", phone: "0900 000 105" }, 8_000_000),
    cash(T, { date: "2024-01-11", name: "Ban điều hành Khu phố 2", kind: "organisation", note: "Vận động trong khu phố" }, 4_200_000),
    cash(T, { date: "2024-01-12", name: "Trương Văn Lợi", kind: "individual" }, 1_000_000),
    cash(T, { date: "2024-01-15", name: "Ban điều hành Khu phố 3", kind: "organisation", note: "Vận động trong khu phố" }, 3_800_000),
    cash(T, { date: "2024-01-16", name: "Hộ kinh doanh Tiệm vàng Kim Phát", kind: "business" }, 5_000_000),
    cash(T, { date: "2024-01-17", name: "Ban điều hành Khu phố 4", kind: "organisation", note: "Vận động trong khu phố" }, 3_100_000),
    cash(T, { date: "2024-01-18", name: "Đoàn Thị Hồng", kind: "individual", publish: false }, 300_000),
    cash(T, { date: "2024-01-19", name: "Ban điều hành Khu phố 5", kind: "organisation", note: "Vận động trong khu phố" }, 3_600_000),
    cash(T, { date: "2024-01-22", name: "Ban điều hành Khu phố 6", kind: "organisation", note: "Vận động trong khu phố" }, 2_900_000),
    cash(T, { date: "2024-01-23", name: "Nhà thuốc Tâm An", kind: "business" }, 1_500_000),
    cash(T, { date: "2024-01-24", name: "Lý Thanh Phong", kind: "individual" }, 600_000),
    // Bank: 42.058.110 (odd amounts are real).
    viaBank(T, { date: "2024-01-03", name: "Công ty TNHH Vật liệu xây dựng Hưng Thịnh", kind: "business" }, 10_000_000),
    viaBank(T, { date: "2024-01-06", name: "Nguyễn Hoàng Phúc", kind: "individual" }, 2_000_000),
    viaBank(T, { date: "2024-01-10", kind: "anonymous", note: "Chuyển khoản liên ngân hàng, không ghi tên người gửi" }, 1_000_000),
    viaBank(T, { date: "2024-01-11", name: "Hội đồng hương Kiến Tường tại TP. Hồ Chí Minh", kind: "organisation" }, 15_000_000),
    viaBank(T, { date: "2024-01-14", name: "Võ Thị Thanh Thủy", kind: "individual", publish: false }, 3_000_000),
    viaBank(T, { date: "2024-01-16", name: "Công ty TNHH MTV Nông sản Mộc Hóa", kind: "business" }, 5_000_000),
    viaBank(T, { date: "2024-01-19", kind: "anonymous" }, 52_222),
    viaBank(T, { date: "2024-01-20", name: "Trần Minh Khang", kind: "individual" }, 500_000),
    viaBank(T, { date: "2024-01-22", name: "Tập thể giáo viên Trường THCS Phường 2", kind: "organisation" }, 3_500_000),
    viaBank(T, { date: "2024-01-23", kind: "anonymous" }, 5_888),
    viaBank(T, { date: "2024-01-24", name: "Dương Văn Sang", kind: "individual" }, 2_000_000),
    general("2024-01-26", "Rút tiền gửi ngân hàng nhập quỹ tiền mặt để chi quà Tết Giáp Thìn", [["1111.TET2024", 35_000_000], ["1121.TET2024", -35_000_000]]),
    general("2024-01-31", "Phí dịch vụ SMS Banking tháng 01/2024, tài khoản Quà Tết", [["6421", 11_000], ["1121.TET2024", -11_000]]),
  );
  // 607 packages to households of 6 khu phố, one khu phố a day, then policy families.
  const perArea: Record<Exclude<BeneficiaryCategory, "other">, number[]> = {
    poor: [28, 35, 31, 26, 33, 27], // 180
    near_poor: [36, 41, 38, 33, 40, 32], // 220
    hardship: [25, 30, 29, 24, 28, 26], // 162
    policy_family: [7, 9, 8, 6, 8, 7], // 45
  };
  const names = householdNames(607, 2024_02_10);
  let next = 0;
  const days = ["2024-01-29", "2024-01-30", "2024-01-31", "2024-02-01", "2024-02-02", "2024-02-03"];
  for (const [k, day] of days.entries()) {
    const area = `Khu phố ${k + 1}`;
    for (const category of ["poor", "near_poor", "hardship", "policy_family"] as const) {
      for (let j = 0; j < perArea[category][k]!; j++) {
        const name = names[next++]!;
        const inKind = category === "poor" || category === "near_poor";
        const date = category === "policy_family" ? "2024-02-05" : day;
        ops.push({
          kind: "disbursement", date, campaign: T,
          input: {
            paidOn: date, amountDong: category === "policy_family" ? 400_000 : 350_000, method: inKind ? "in_kind" : "cash",
            beneficiary: { name, category, area }, purpose: "gift_package", quantity: 1, unit: "suất",
            description: `Trao quà Tết Giáp Thìn cho ${categoryWords[category]} ${name} (${area})`,
            note: inKind ? "10 kg gạo, 1 thùng mì, 1 chai dầu ăn, 1 chai nước mắm" : undefined,
          },
        });
      }
    }
  }

  // Livelihood aid: 3.000.000 seed capital for one household.
  const S = "SINHKE2024";
  ops.push(
    cash(S, { date: "2024-03-12", name: "Hội Nông dân Phường 2", kind: "organisation" }, 1_000_000),
    cash(S, { date: "2024-03-20", name: "Công ty TNHH Chăn nuôi Phú An", kind: "business" }, 2_000_000),
    {
      kind: "disbursement", date: "2024-04-16", campaign: S,
      input: {
        paidOn: "2024-04-16", amountDong: 3_000_000, method: "cash",
        beneficiary: { name: "Trần Văn Út", category: "poor", area: "Khu phố 4" }, purpose: "livelihood",
        description: "Hỗ trợ vốn sinh kế (mua 02 con heo giống) cho hộ nghèo Trần Văn Út (Khu phố 4)",
        note: "Hộ cam kết thoát nghèo; Ban điều hành Khu phố 4 theo dõi",
      },
    },
  );

  return {
    code: "phuong2-kientuong",
    verifyThrough: "2024-05-31",
    areas: ["Khu phố 1", "Khu phố 2", "Khu phố 3", "Khu phố 4", "Khu phố 5", "Khu phố 6"],
    closeThrough: null,
    name: "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường, tỉnh Long An",
    tokens: {
      treasurer: "Thủ quỹ Nguyễn Thị Thu Hà",
      approver: "Chủ tịch Ủy ban MTTQ Trần Văn Dũng",
      auditor: "Trưởng ban Thanh tra nhân dân Võ Thị Kim Loan",
      admin: "Cán bộ văn phòng Huỳnh Quốc Bảo",
    },
    campaigns: [
      {
        code: V, name: "Quỹ “Vì người nghèo” năm 2024", kind: "for_the_poor", targetDong: 21_000_000,
        startsOn: "2024-01-01", endsOn: "2024-06-30",
        receivingException: "Quỹ “Vì người nghèo” vận động thường xuyên trong năm (Điều lệ Quỹ), không phải cuộc vận động 90 ngày",
      },
      { code: T, name: "Quà Tết Giáp Thìn 2024", kind: "tet_gifts", startsOn: "2023-12-15", endsOn: "2024-02-09" },
      {
        code: S, name: "Hỗ trợ sinh kế năm 2024", kind: "livelihood", targetDong: 3_000_000,
        startsOn: "2024-03-01", endsOn: "2024-05-31",
      },
    ],
    ops,
  };
}

// ---------------------------------------------------------------------------
// Thị trấn Gò Quao, huyện Gò Quao, tỉnh Kiên Giang — first half of 2022

function ttGoQuao(): CommitteePlan {
  const bankAccount = "7706205012345"; // invented: Agribank, huyện Gò Quao
  const ops: Op[] = [];
  let bankSeq = 0;
  const viaBank = (campaign: string, d: DonorSpec, amount: number) => bank(campaign, bankAccount, d, amount, ++bankSeq);
  const staff = "Cán bộ, công chức, viên chức thị trấn Gò Quao";
  const districtFund = "Ban Vận động Quỹ “Vì người nghèo” huyện Gò Quao";

  // Nhà Đại đoàn kết: 3 new houses × 50.000.000 (the level before 11/2024).
  const D = "DDK2022";
  ops.push(
    viaBank(D, { date: "2022-01-14", name: districtFund, kind: "organisation", note: "Hỗ trợ xây mới 02 căn nhà Đại đoàn kết" }, 100_000_000),
    cash(D, { date: "2022-02-21", name: "Công ty TNHH Thủy sản Phước Hưng", kind: "business" }, 20_000_000),
    cash(D, { date: "2022-03-03", name: staff, kind: "organisation" }, 12_500_000),
    cash(D, { date: "2022-03-10", name: "Nguyễn Văn Hậu", kind: "individual", phone: "0900 000 201" }, 5_000_000),
    cash(D, { date: "2022-03-15", kind: "anonymous" }, 2_500_000),
    cash(D, { date: "2022-03-18", name: "Lâm Quốc Việt", kind: "individual" }, 10_000_000),
  );
  const houses: [string, string, BeneficiaryCategory, string, "cash" | "bank"][] = [
    ["2022-03-28", "Danh Sóc", "poor", "Khu phố 2", "bank"],
    ["2022-04-26", "Nguyễn Thị Hai", "poor", "Khu phố 4", "bank"],
    ["2022-06-08", "Thị Sa Ly", "near_poor", "Khu phố 5", "cash"],
  ];
  for (const [date, name, category, area, method] of houses) {
    ops.push({
      kind: "disbursement", date, campaign: D,
      input: {
        paidOn: date, amountDong: 50_000_000, method, beneficiary: { name, category, area }, purpose: "house_new",
        quantity: 1, unit: "căn", description: `Hỗ trợ xây mới nhà Đại đoàn kết cho ${categoryWords[category]} ${name} (${area})`,
      },
    });
  }

  // Quà Tết Nhâm Dần 2022 (Tết: 01/02/2022): 1.126 suất.
  const T = "TET2022";
  const price2022 = "Giá bán lẻ tại chợ Gò Quao tháng 01/2022";
  ops.push(
    // Goods: 730 packages of 10 kg gạo (12.000/kg), 1 thùng mì (85.000), 1 chai dầu ăn (50.000), 1 kg đường (20.000), 1 chai nước mắm (25.000).
    goods(T, { date: "2022-01-05", name: "Công ty TNHH Lương thực Phú Lợi", kind: "business" },
      [{ description: "Gạo", quantity: 4_000, unit: "kg", unitValueDong: 12_000 }], price2022),
    goods(T, { date: "2022-01-07", name: "Hội Chữ thập đỏ huyện Gò Quao", kind: "organisation" },
      [{ description: "Gạo", quantity: 3_300, unit: "kg", unitValueDong: 12_000 }], price2022),
    goods(T, { date: "2022-01-10", name: "Doanh nghiệp tư nhân Thành Phát", kind: "business" },
      [{ description: "Mì gói (thùng 30 gói)", quantity: 730, unit: "thùng", unitValueDong: 85_000 }], "Theo hóa đơn bán hàng của nhà tài trợ"),
    goods(T, { date: "2022-01-12", name: "Cửa hàng Tạp hóa Bảy Liên", kind: "business", phone: "0900 000 202" }, [
      { description: "Dầu ăn (chai 1 lít)", quantity: 730, unit: "chai", unitValueDong: 50_000 },
      { description: "Đường cát trắng", quantity: 730, unit: "kg", unitValueDong: 20_000 },
    ], price2022),
    goods(T, { date: "2022-01-13", name: "Cơ sở sản xuất nước mắm Hai Thạnh", kind: "business" },
      [{ description: "Nước mắm (chai 500 ml)", quantity: 730, unit: "chai", unitValueDong: 25_000 }], "Theo giá bán sỉ của cơ sở"),
    // Bank: 142.003.000.
    viaBank(T, { date: "2022-01-04", name: districtFund, kind: "organisation", note: "Hỗ trợ 160 suất quà Tết" }, 80_000_000),
    viaBank(T, { date: "2022-01-06", name: "Công ty Cổ phần Xây dựng Kiên Long", kind: "business" }, 30_000_000),
    viaBank(T, { date: "2022-01-08", name: "Hội đồng hương Gò Quao tại TP. Hồ Chí Minh", kind: "organisation" }, 25_000_000),
    viaBank(T, { date: "2022-01-11", name: "Phan Thị Kim Cương", kind: "individual", publish: false }, 5_000_000),
    viaBank(T, { date: "2022-01-12", kind: "anonymous", note: "Chuyển khoản liên ngân hàng, không ghi tên người gửi" }, 3_000),
    viaBank(T, { date: "2022-01-14", name: "Nguyễn Thanh Bình", kind: "individual" }, 2_000_000),
    // Cash: 63.500.000.
    cash(T, { date: "2022-01-05", name: staff, kind: "organisation", note: "Ủng hộ một ngày lương" }, 15_000_000),
    cash(T, { date: "2022-01-07", name: "Ban điều hành Khu phố 1", kind: "organisation", note: "Vận động trong khu phố" }, 6_500_000),
    cash(T, { date: "2022-01-08", name: "Ban điều hành Khu phố 2", kind: "organisation", note: "Vận động trong khu phố" }, 7_200_000),
    cash(T, { date: "2022-01-09", name: "Hộ kinh doanh Vựa lúa Tư Hùng", kind: "business" }, 10_000_000),
    cash(T, { date: "2022-01-10", name: "Ban điều hành Khu phố 3", kind: "organisation", note: "Vận động trong khu phố" }, 5_800_000),
    cash(T, { date: "2022-01-10", name: "Lâm Văn Tốt", kind: "individual" }, 1_000_000),
    cash(T, { date: "2022-01-11", name: "Ban điều hành Khu phố 4", kind: "organisation", note: "Vận động trong khu phố" }, 6_100_000),
    cash(T, { date: "2022-01-12", name: "Ban điều hành Khu phố 5", kind: "organisation", note: "Vận động trong khu phố" }, 5_400_000),
    cash(T, { date: "2022-01-13", kind: "anonymous" }, 2_000_000),
    cash(T, { date: "2022-01-15", name: "Tập thể giáo viên Trường Tiểu học thị trấn Gò Quao", kind: "organisation" }, 4_500_000),
    general("2022-01-17", "Rút tiền gửi ngân hàng nhập quỹ tiền mặt để chi quà Tết Nhâm Dần", [["1111.TET2022", 135_000_000], ["1121.TET2022", -135_000_000]]),
  );
  // 20 groups (5 khu phố × 4 categories), each paid against a signed list.
  const groups: Record<Exclude<BeneficiaryCategory, "other">, number[]> = {
    poor: [38, 45, 41, 36, 44], // 204, cash 500.000
    near_poor: [52, 60, 55, 49, 58], // 274, goods 300.000
    hardship: [96, 84, 90, 101, 85], // 456, goods 300.000
    policy_family: [40, 36, 39, 40, 37], // 192, cash 500.000
  };
  const days2022 = ["2022-01-20", "2022-01-21", "2022-01-22", "2022-01-24", "2022-01-25"];
  for (const [k, date] of days2022.entries()) {
    const area = `Khu phố ${k + 1}`;
    for (const category of ["poor", "near_poor", "hardship", "policy_family"] as const) {
      const quantity = groups[category][k]!;
      const inKind = category === "near_poor" || category === "hardship";
      const words = categoryWords[category];
      ops.push({
        kind: "disbursement", date, campaign: T,
        input: {
          paidOn: date, amountDong: quantity * (inKind ? 300_000 : 500_000), method: inKind ? "in_kind" : "cash",
          beneficiary: { name: `Các ${words} ${area} (${quantity} hộ, danh sách ký nhận kèm theo)`, category, area },
          purpose: "gift_package", quantity, unit: "suất",
          description: `Trao ${quantity} suất quà Tết Nhâm Dần cho ${words} ${area}`,
          note: inKind ? "Mỗi suất: 10 kg gạo, 1 thùng mì, 1 chai dầu ăn, 1 kg đường, 1 chai nước mắm" : "Mỗi suất 500.000 đồng tiền mặt",
        },
      });
    }
  }

  // Quỹ "Vì người nghèo" 2022: a rural bridge and 15 households on regular support.
  const V = "VNN2022";
  ops.push(
    viaBank(V, { date: "2022-01-04", name: districtFund, kind: "organisation", note: "Hỗ trợ xây dựng cầu nông thôn" }, 120_000_000),
    viaBank(V, { date: "2022-02-15", name: "Công ty TNHH Xây dựng Thuận Phát", kind: "business" }, 50_000_000),
    viaBank(V, { date: "2022-03-02", name: "Trịnh Văn Lực", kind: "individual", note: "Việt kiều, quê Khu phố 3", phone: "0900 000 203" }, 30_000_000),
    viaBank(V, { date: "2022-04-05", name: "Công ty TNHH Thủy sản Phước Hưng", kind: "business" }, 20_000_000),
    cash(V, { date: "2022-01-03", name: staff, kind: "organisation" }, 15_000_000),
    cash(V, { date: "2022-01-06", name: "Hộ kinh doanh Vựa lúa Tư Hùng", kind: "business" }, 10_000_000),
    cash(V, { date: "2022-02-18", kind: "anonymous" }, 5_000_000),
    cash(V, { date: "2022-03-10", name: "Trần Thị Thu Sương", kind: "individual" }, 3_000_000),
    cash(V, { date: "2022-04-12", name: "Doanh nghiệp tư nhân Xăng dầu Hòa Thuận", kind: "business" }, 10_000_000),
    cash(V, { date: "2022-05-09", name: "Lê Minh Trí", kind: "individual", publish: false }, 2_000_000),
    cash(V, { date: "2022-06-03", name: "Hội Cựu chiến binh thị trấn Gò Quao", kind: "organisation" }, 1_500_000),
    {
      kind: "disbursement", date: "2022-05-20", campaign: V,
      input: {
        paidOn: "2022-05-20", amountDong: 220_000_000, method: "bank",
        beneficiary: { name: "Nhân dân Khu phố 3 (cầu bê tông kênh Hai Lành)", category: "other", area: "Khu phố 3" },
        purpose: "infrastructure", quantity: 1, unit: "công trình",
        description: "Chi xây dựng cầu bê tông nông thôn kênh Hai Lành, Khu phố 3",
        note: "Thanh toán theo dự toán được duyệt và biên bản nghiệm thu",
      },
    },
  );
  const supported: [string, string][] = [
    ["Danh Hiền", "Khu phố 1"], ["Thị Nhung", "Khu phố 2"], ["Nguyễn Văn Tư", "Khu phố 1"], ["Lê Thị Út", "Khu phố 3"],
    ["Trần Văn Chín", "Khu phố 2"], ["Danh Sên", "Khu phố 4"], ["Phạm Thị Mười", "Khu phố 5"], ["Huỳnh Văn Lắm", "Khu phố 3"],
    ["Thị Hương", "Khu phố 4"], ["Võ Thị Tám", "Khu phố 5"], ["Nguyễn Thị Lụa", "Khu phố 1"], ["Lâm Văn Đực", "Khu phố 2"],
    ["Danh Thanh", "Khu phố 3"], ["Trương Thị Bảy", "Khu phố 4"], ["Sơn Thị Hoa", "Khu phố 5"],
  ];
  const paydays = ["2022-01-25", "2022-02-25", "2022-03-25", "2022-04-25", "2022-05-25", "2022-06-24"];
  for (const [m, date] of paydays.entries()) {
    for (const [name, area] of supported) {
      ops.push({
        kind: "disbursement", date, campaign: V,
        input: {
          paidOn: date, amountDong: 500_000, method: "cash",
          beneficiary: { name, category: "hardship", area }, purpose: "regular_support", quantity: 1, unit: "tháng",
          description: `Trợ cấp thường xuyên tháng ${String(m + 1).padStart(2, "0")}/2022 cho hộ đặc biệt khó khăn ${name} (${area})`,
        },
      });
    }
  }

  return {
    code: "tt-goquao",
    verifyThrough: "2022-06-30",
    areas: ["Khu phố 1", "Khu phố 2", "Khu phố 3", "Khu phố 4", "Khu phố 5"],
    closeThrough: "2022-06-30",
    name: "Ủy ban MTTQ Việt Nam thị trấn Gò Quao, huyện Gò Quao, tỉnh Kiên Giang",
    tokens: {
      treasurer: "Thủ quỹ Lâm Thị Ngọc Hân",
      approver: "Chủ tịch Ủy ban MTTQ Danh Văn Thành",
      auditor: "Trưởng ban Thanh tra nhân dân Nguyễn Văn Khởi",
      admin: "Cán bộ văn phòng Trần Thanh Tùng",
    },
    campaigns: [
      {
        code: D, name: "Xây dựng nhà Đại đoàn kết năm 2022", kind: "solidarity_house", targetDong: 150_000_000,
        startsOn: "2022-01-01", endsOn: "2022-06-30",
      },
      { code: T, name: "Quà Tết Nhâm Dần 2022", kind: "tet_gifts", startsOn: "2022-01-01", endsOn: "2022-01-31" },
      {
        code: V, name: "Quỹ “Vì người nghèo” năm 2022", kind: "for_the_poor", startsOn: "2022-01-01", endsOn: "2022-06-30",
        receivingException: "Quỹ “Vì người nghèo” vận động thường xuyên trong năm (Điều lệ Quỹ), không phải cuộc vận động 90 ngày",
      },
    ],
    ops,
  };
}

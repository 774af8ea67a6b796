import { rng } from "./data.js";
import type { Soquy } from "../src/context.js";
import { typedDonorIdentity, normaliseKey } from "../src/ledger/donors.js";
import { donationDraft, reversalDraft, sealEntry } from "../src/ledger/entries.js";
import { newEntryId } from "../src/ledger/ids.js";
import type { EntryRow } from "../src/ledger/store.js";
import type { Campaign, CommittedEntry, EntryDraft, Purpose } from "../src/ledger/types.js";

// A ledger for the verify bench, written through the store's own write path: entries made by the ledger core
// (donationDraft, reversalDraft, sealEntry) and written in batches by insertEntries (soquy_append_entries, every
// trigger on: the hash chain checked at commit, balances kept, vouchers gap-free, references and windows), then
// published by an approver's verifications (withVerifications), which keep the public figures. Every kind of entry
// verify reads: bank, cash and in-kind donations (with their goods), cash and bank disbursements (some with a
// quantity), transfers between the two campaigns (two approvals and a resolution), reversals.

export interface GeneratedLedger {
  entries: number;
  published: number;
  seconds: number;
  publishSeconds: number;
}

const FAMILY = ["Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Huỳnh", "Phan", "Vũ", "Võ", "Đặng", "Bùi", "Đỗ", "Hồ", "Ngô", "Dương", "Lý"];
const MIDDLE = ["Văn", "Thị", "Hữu", "Đức", "Minh", "Ngọc", "Thanh", "Quốc", "Thu", "Hoài"];
const GIVEN = ["An", "Bình", "Châu", "Dũng", "Giang", "Hà", "Hải", "Hạnh", "Hùng", "Khoa", "Lan", "Linh", "Long", "Mai", "Nam",
  "Nga", "Phúc", "Quân", "Sơn", "Tâm", "Thảo", "Trang", "Tuấn", "Uyên", "Việt", "Xuân", "Yến"];
const AMOUNTS = [3000n, 10000n, 52222n, 5888n, 1000000n, 200000n, 500000n, 68000n, 88888n, 150000n, 2000000n, 36500n, 1234567n, 100000n];
const AREAS = ["Khu phố 1", "Khu phố 2", "Khu phố 3", "Ấp Tân Hòa", "Tổ 5, phường An Hòa"];
const PURPOSES: Purpose[] = ["gift_package", "house_repair", "schooling", "health", "relief_cash", "regular_support"];
const BATCH = 2_000;
const DAY_MS = 86_400_000;

/**
 * n entries in `committee`'s two campaigns (made here, starting 2025-01-01), recorded by `recordedBy` and
 * published by the two approvers; the chain is valid and verify must say ok.
 */
export async function generateLedger(s: Soquy, committee: { id: number; code: string }, n: number, people: {
  treasurer: number; admin: number; approvers: [number, number];
}, log: (line: string) => void = () => {}): Promise<GeneratedLedger> {
  const t0 = performance.now();
  const r = rng(20_26);
  const int = (k: number) => Math.floor(r() * k);
  const pick = <T>(xs: readonly T[]): T => xs[int(xs.length)]!;
  for (const a of AREAS) await s.store.addArea(committee.id, a, null);
  const principal = (await s.store.findPrincipal(await tokenHashOf(s, people.admin)))!;
  const campaigns: Campaign[] = [];
  for (const [code, name] of [["VNN-2025", "Quỹ Vì người nghèo 2025"], ["LULUT-2025", "Ủng hộ đồng bào lũ lụt 2025"]] as const) {
    await s.ledger.createCampaign(principal, { code, name, kind: "for_the_poor", startsOn: "2025-01-01" },
      { idempotencyKey: `bench-verify-${code}`, requestHash: "0".repeat(64) });
    campaigns.push(await s.ledger.campaign(committee.id, code));
  }
  const books = new Map<string, number>();
  for (const b of await s.db.knex("receipt_books").where({ committee_id: committee.id }).select("id", "series", "code")) {
    if (b.series === b.code) books.set(b.series, Number(b.id));
  }
  const numbers = new Map<string, number>();
  const balance = new Map<number, bigint>();
  const held = (accountId: number) => balance.get(accountId) ?? 0n;
  const reversible: CommittedEntry[] = [];
  let head = { seq: 0, hash: "0".repeat(64) };
  const start = Date.parse("2025-01-01T00:00:00Z");

  for (let done = 0; done < n;) {
    const rows: EntryRow[] = [];
    const size = Math.min(BATCH, n - done);
    for (let i = 0; i < size; i++) {
      const k = done + i;
      const day = Math.min(89, Math.floor((k / n) * 90));
      const entryDate = new Date(start + day * DAY_MS).toISOString().slice(0, 10);
      const c = campaigns[k % 7 === 0 ? 1 : 0]!;
      const roll = r();
      let draft: EntryDraft | null = null;
      if (roll < 0.08) {
        // A disbursement, when the campaign holds the money.
        const method = roll < 0.06 ? "cash" : "bank";
        const asset = c.accounts[method];
        const amountDong = pick(AMOUNTS) * 2n;
        if (held(asset.id) >= amountDong) {
          const name = `${pick(FAMILY)} ${pick(MIDDLE)} ${pick(GIVEN)}`;
          const area = pick(AREAS);
          const category = pick(["poor", "near_poor", "hardship", "policy_family"] as const);
          const purpose = pick(PURPOSES);
          const counted = r() < 0.3;
          draft = {
            id: newEntryId(), kind: "disbursement", entryDate, description: `Chi hỗ trợ cho ${name} (${area})`,
            campaign: { id: c.id, code: c.code }, reversalOf: null, resolutionRef: null, requiredApprovals: 1,
            postings: [{ account: c.accounts.expense, amountDong }, { account: asset, amountDong: -amountDong }],
            voucherSeries: method === "cash" ? "PC" : null, donation: null, items: [],
            disbursement: { method, beneficiaryName: name, category, area, purpose, quantity: counted ? `${1 + int(20)}.000` : null,
              unit: counted ? "suất" : null, note: r() < 0.2 ? "Theo danh sách được duyệt" : null },
            donorIdentity: null,
            beneficiaryIdentity: { key: [name, category, area].map(normaliseKey).join("|"), name, kind: category, area },
          };
        }
      } else if (roll < 0.09) {
        // A transfer between the two campaigns, by resolution.
        const [from, to] = k % 2 ? [campaigns[0]!, campaigns[1]!] : [campaigns[1]!, campaigns[0]!];
        const amountDong = pick(AMOUNTS);
        if (held(from.accounts.bank.id) >= amountDong) {
          draft = {
            id: newEntryId(), kind: "general", entryDate, description: `Điều chuyển từ ${from.code} sang ${to.code}`, campaign: null,
            reversalOf: null, resolutionRef: `NQ-${1 + int(40)}/2025`, requiredApprovals: 2,
            postings: [{ account: to.accounts.bank, amountDong }, { account: from.accounts.bank, amountDong: -amountDong }],
            voucherSeries: null, donation: null, items: [], disbursement: null, donorIdentity: null, beneficiaryIdentity: null,
          };
        }
      } else if (roll < 0.1 && reversible.length > 0) {
        const original = reversible.splice(int(reversible.length), 1)[0]!;
        const debit = original.postings.find((p) => p.amountDong > 0)!;
        if (held(debit.account.id) >= debit.amountDong) {
          draft = reversalDraft(original, `Đảo bút toán số ${original.seq}: ghi nhầm số tiền`, entryDate);
        }
      }
      if (!draft) {
        const m = r();
        const method = m < 0.62 ? "bank" : m < 0.98 ? "cash" : "in_kind";
        const name = r() < 0.1 ? "Nhà hảo tâm ẩn danh" : `${pick(FAMILY)} ${pick(MIDDLE)} ${pick(GIVEN)}`;
        const kind = name === "Nhà hảo tâm ẩn danh" ? "anonymous" : "individual";
        const phone = kind === "individual" && r() < 0.3 ? `09${String(int(1e8)).padStart(8, "0")}` : null;
        const qty = 1 + int(50);
        const amountDong = method === "in_kind" ? BigInt(qty) * 105_000n : pick(AMOUNTS);
        draft = donationDraft(c, {
          entryDate, amountDong, description: `Nhận ủng hộ của ${name}`,
          donation: {
            method, donorName: name, donorKind: kind, publishName: kind !== "anonymous" && r() < 0.5,
            bankAccount: method === "bank" ? "0011009990001" : null,
            bankReference: method === "bank" ? `FT25${String(k + 1).padStart(10, "0")}` : null,
            note: method === "bank" && r() < 0.3 ? "ung ho nguoi ngheo" : null,
          },
          items: method === "in_kind" ? [{ description: "Mì tôm (thùng 30 gói)", quantity: `${qty}.000`, unit: "thùng",
            unitValueDong: 105_000n, valueDong: amountDong, valuationBasis: "Giá thị trường tại thời điểm nhận" }] : [],
          donor: typedDonorIdentity(name, kind, phone),
        });
      }
      let voucher: EntryRow["voucher"] = null;
      let voucherNo: string | null = null;
      if (draft.voucherSeries) {
        const year = Number(entryDate.slice(0, 4));
        const key = `${draft.voucherSeries}-${year}`;
        const number = (numbers.get(key) ?? 0) + 1;
        numbers.set(key, number);
        voucher = { bookId: books.get(draft.voucherSeries)!, year, number };
        voucherNo = `${draft.voucherSeries}-${year}-${String(number).padStart(6, "0")}`;
      }
      const recordedAt = new Date(start + (k / n) * 90 * DAY_MS).toISOString();
      const e = sealEntry(draft, { committeeId: committee.id, committeeCode: committee.code, recordedBy: people.treasurer, recordedAt,
        idempotencyKey: `bench-verify-${k}`, voucherNo }, head);
      head = { seq: e.seq, hash: e.hash };
      for (const p of e.postings) balance.set(p.account.id, held(p.account.id) + p.amountDong);
      if (e.kind === "donation" && reversible.length < 1000 && r() < 0.05) reversible.push(e);
      rows.push({ entry: e, voucher });
    }
    await s.store.withCommitteeLock(committee.id, (tx) => tx.insertEntries(rows, []));
    done += size;
    if (done % 100_000 === 0 || done === n) log(`  generated ${done.toLocaleString("en-US")} entries (${((performance.now() - t0) / 1000).toFixed(0)} s)`);
  }
  const written = performance.now();

  // Published: every entry but the last 3 % (not yet verified), in sequence order, a page at a time. A transfer
  // needs both approvers; the others one.
  const publishable = Math.floor(n * 0.97);
  const [one, two] = people.approvers;
  for (let after = 0; after < publishable;) {
    const page = await s.db.knex("journal_entries").where({ committee_id: committee.id }).where("seq", ">", after)
      .where("seq", "<=", Math.min(publishable, after + 10_000)).orderBy("seq").select("id", "required_approvals");
    if (page.length === 0) break;
    await s.store.withVerifications(committee.id, async (v) => {
      await v.add(one, page.map((x) => x.id));
      const twice = page.filter((x) => Number(x.required_approvals) === 2).map((x) => x.id);
      if (twice.length) await v.add(two, twice);
    });
    after += page.length;
  }
  const published = Number((await s.db.knex("entry_verified").where({ committee_id: committee.id }).count("* as n"))[0]!.n);
  return { entries: n, published, seconds: (written - t0) / 1000, publishSeconds: (performance.now() - written) / 1000 };
}

async function tokenHashOf(s: Soquy, tokenId: number): Promise<string> {
  const row = await s.db.knex("api_tokens").where({ id: tokenId }).first("token_hash");
  return row.token_hash as string;
}

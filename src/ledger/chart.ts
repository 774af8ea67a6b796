import type { Account } from "./types.js";

// The chart of accounts. A committee has a few accounts of its own; each
// campaign gets six, so its money stays apart down to the asset (Nghị định
// 93/2021: a campaign's money pays only its own purpose).
type AccountSpec = Pick<Account, "code" | "name" | "type" | "role">;

export const committeeAccounts: AccountSpec[] = [
  { code: "1111", name: "Tiền mặt chưa phân bổ", type: "asset", role: "cash" },
  { code: "1121", name: "Tiền gửi ngân hàng chưa phân bổ", type: "asset", role: "bank" },
  { code: "1361", name: "Phải thu cấp trên", type: "asset", role: "receivable" },
  { code: "3361", name: "Phải nộp cấp trên", type: "liability", role: "payable" },
  { code: "4611", name: "Nguồn quỹ chung", type: "net_assets", role: "fund" },
  { code: "6421", name: "Phí ngân hàng", type: "expense", role: "fee" },
];

export function campaignAccounts(campaignCode: string, campaignName: string): AccountSpec[] {
  const c = campaignCode;
  return [
    { code: `1111.${c}`, name: `Tiền mặt — ${campaignName}`, type: "asset", role: "cash" },
    { code: `1121.${c}`, name: `Tiền gửi ngân hàng — ${campaignName}`, type: "asset", role: "bank" },
    { code: `1561.${c}`, name: `Hiện vật nhận ủng hộ — ${campaignName}`, type: "asset", role: "goods" },
    { code: `4611.${c}`, name: `Nguồn quỹ — ${campaignName}`, type: "net_assets", role: "fund" },
    { code: `5111.${c}`, name: `Thu ủng hộ — ${campaignName}`, type: "income", role: "income" },
    { code: `6111.${c}`, name: `Chi hỗ trợ — ${campaignName}`, type: "expense", role: "expense" },
  ];
}

export const assetRoleByMethod = { cash: "cash", bank: "bank", in_kind: "goods" } as const;

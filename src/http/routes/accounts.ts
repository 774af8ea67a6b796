import { z } from "zod";
import type { Soquy } from "../../context.js";
import { fail } from "../../ledger/codes.js";
import { parseIsoDate } from "../../ledger/dates.js";
import type { AccountBalance } from "../../ledger/store.js";
import { allRoles, defineRoute } from "../route.js";
import { accountBalanceResponse, accountCode, asOfQuery, trialBalanceResponse, verifyResponse } from "../schemas.js";

export function accountRoutes(s: Soquy) {
  const codesById = async (committeeId: number) =>
    new Map((await s.store.listCampaigns(committeeId)).map((c) => [c.id, c.code]));
  const view = (b: AccountBalance, campaigns: Map<number, string>) => ({
    code: b.account.code,
    name: b.account.name,
    type: b.account.type,
    campaign: b.account.campaignId === null ? null : campaigns.get(b.account.campaignId) ?? null,
    balanceDong: b.balanceDong.toString(),
  });
  return [
    defineRoute({
      method: "get", path: "/accounts", tag: "Accounts", summary: "List the chart of accounts with balances", roles: allRoles,
      responses: { 200: { description: "Accounts", schema: z.object({ items: z.array(accountBalanceResponse) }) } },
      async handle({ principal }) {
        const campaigns = await codesById(principal.committeeId);
        const rows = await s.store.listAccounts(principal.committeeId);
        return { status: 200, body: { items: rows.map((b) => view(b, campaigns)) } };
      },
    }),
    defineRoute({
      method: "get", path: "/accounts/:code/balance", tag: "Accounts", summary: "Read an account's balance", roles: allRoles,
      params: z.strictObject({ code: accountCode }), query: asOfQuery,
      responses: { 200: { description: "Balance at the end of asOf (or now)", schema: accountBalanceResponse.extend({ asOf: z.string().nullable() }) } },
      async handle({ principal, params, query }) {
        const asOf = query.asOf ? parseIsoDate(query.asOf, "asOf") : null;
        const account = (await s.store.accountsByCode(principal.committeeId, [params.code])).get(params.code);
        if (!account) fail("not_found", `no account with code ${params.code}`, "code");
        const [row] = await s.store.balancesAsOf(principal.committeeId, asOf, account.id, query.verified === "true");
        return { status: 200, body: { ...view(row!, await codesById(principal.committeeId)), asOf } };
      },
    }),
    defineRoute({
      method: "get", path: "/trial-balance", tag: "Accounts", summary: "Read the trial balance", roles: allRoles, query: asOfQuery,
      responses: { 200: { description: "Every account's balance; the total is always 0", schema: trialBalanceResponse } },
      async handle({ principal, query }) {
        const asOf = query.asOf ? parseIsoDate(query.asOf, "asOf") : null;
        const rows = await s.store.balancesAsOf(principal.committeeId, asOf, undefined, query.verified === "true");
        const campaigns = await codesById(principal.committeeId);
        const total = rows.reduce((sum, r) => sum + r.balanceDong, 0n);
        return { status: 200, body: { asOf, accounts: rows.map((b) => view(b, campaigns)), totalDong: total.toString() } };
      },
    }),
    defineRoute({
      method: "get", path: "/ledger/verify", tag: "Ledger", summary: "Verify the hash chain", roles: ["auditor", "approver", "admin"],
      responses: { 200: { description: "What the walk found", schema: verifyResponse } },
      async handle({ principal }) {
        return { status: 200, body: await s.verify(principal.committeeId) };
      },
    }),
  ];
}

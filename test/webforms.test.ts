import { expect } from "chai";
import type { Server } from "node:http";
import type { Soquy } from "../src/context.js";
import { UserStore } from "../src/db/users.js";
import { hashPassword } from "../src/web/passwords.js";
import { makeCommittee, meta, uniqueCode } from "./support/db.js";
import { testServer } from "./support/http.js";

// A workspace form's fields are named like the API's (donor.name, items[0].quantity) and nested into its body: a
// field named for an object's own machinery (__proto__, constructor.prototype) must write nowhere — one such post
// used to add a property to every object of the process and bring it down — and a name that collides with another
// (donor beside donor.name) is a refusal, never a 500.

describe("workspace forms' field names", function () {
  this.timeout(120_000);
  let s: Soquy;
  let server: Server;
  let base: string;
  before(async () => ({ s, server, base } = await testServer()));
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("writes nothing onto the process's objects and answers 4xx, whatever the fields are called", async () => {
    const tc = await makeCommittee(s, "Ủy ban MTTQ phường Tên Trường");
    const code = uniqueCode("VNN").toUpperCase();
    await s.ledger.createCampaign(tc.principals.treasurer, { code, name: "Quỹ Vì người nghèo", kind: "for_the_poor", startsOn: "2024-01-01",
      receivingException: "Quỹ thường xuyên" }, meta());
    const login = `${tc.committee.code}.thuquy`;
    await new UserStore(s.db.knex).create(tc.committee.id, { login, name: "Nguyễn Thị Thu", role: "treasurer", passwordHash: await hashPassword("một mật khẩu đủ dài") });
    const signedIn = await fetch(`${base}/app/login`, { method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ login, password: "một mật khẩu đủ dài" }) });
    const cookie = signedIn.headers.get("set-cookie")!.split(";")[0]!;
    const form = await (await fetch(`${base}/app/donations/new?campaign=${code}`, { headers: { Cookie: cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(form)![1]!;
    const before = await s.db.knex("journal_entries").where({ committee_id: tc.committee.id }).count("* as n").first();
    const post = (path: string, fields: [string, string][]) => fetch(`${base}${path}`, {
      method: "POST", redirect: "manual", headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams([["_csrf", csrf], ["campaign", code], ["receivedOn", "2024-03-01"], ["paidOn", "2024-03-01"], ["amountDong", "100000"],
        ["method", "cash"], ...fields]),
    });
    for (const [path, fields] of [
      ["/app/donations", [["constructor.prototype.polluted", "1"], ["donor.name", "An"], ["donor.kind", "individual"]]],
      ["/app/donations", [["__proto__.polluted", "1"], ["donor.name", "An"], ["donor.kind", "individual"]]],
      ["/app/donations", [["donor", "x"], ["donor.name", "An"], ["donor.kind", "individual"]]],
      ["/app/disbursements", [["beneficiary.__proto__.polluted", "1"], ["beneficiary.name", "Lê Văn Tư"]]],
    ] as [string, [string, string][]][]) {
      const r = await post(path, fields);
      expect(r.status, `${path} ${JSON.stringify(fields)}`).to.be.within(400, 499);
      expect(({} as Record<string, unknown>).polluted, "nothing was written onto Object.prototype").to.equal(undefined);
    }
    expect((await fetch(`${base}/health`)).status).to.equal(200);
    expect((await fetch(`${base}/metrics`)).status).to.equal(200);
    expect(await s.db.knex("journal_entries").where({ committee_id: tc.committee.id }).count("* as n").first()).to.deep.equal(before);
  });

  it("answers a form sent after its session ended, on every screen, and a threshold beyond the largest amount, without a 500", async () => {
    const r = await fetch(`${base}/app/distributions/plan.pdf`, { method: "POST", redirect: "manual",
      headers: { "Content-Type": "application/x-www-form-urlencoded" }, body: new URLSearchParams({ h: "1" }) });
    expect(r.status, "a form without a session").to.be.within(400, 499);
    const tc = await makeCommittee(s, "Ủy ban MTTQ phường Ngưỡng Lớn");
    const login = `${tc.committee.code}.thuquy`;
    await new UserStore(s.db.knex).create(tc.committee.id, { login, name: "Trần Văn Ngưỡng", role: "treasurer", passwordHash: await hashPassword("một mật khẩu đủ dài") });
    const signedIn = await fetch(`${base}/app/login`, { method: "POST", redirect: "manual", headers: { "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ login, password: "một mật khẩu đủ dài" }) });
    const cookie = signedIn.headers.get("set-cookie")!.split(";")[0]!;
    const page = await (await fetch(`${base}/app/campaigns`, { headers: { Cookie: cookie } })).text();
    const csrf = /name="_csrf" value="([^"]+)"/.exec(page)![1]!;
    const big = await fetch(`${base}/app/settings`, { method: "POST", redirect: "manual", headers: { Cookie: cookie, "Content-Type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams({ _csrf: csrf, confirmAbove: "1000000000000001", wordsZeroTens: "linh", wordsThousand: "nghìn" }) });
    expect(big.status).to.equal(422);
  });
});

import { randomBytes } from "node:crypto";
import { PGlite } from "@electric-sql/pglite";
import { expect } from "chai";
import knexFactory from "knex";
import { hashToken, type Soquy, wire } from "../src/context.js";
import { migrate, openDatabase } from "../src/db/connect.js";
import { verifyChain } from "../src/ledger/verify.js";
import { seedDemo, type DemoTokens } from "../seeds/demo.js";
import { testSigningKeyFile } from "./support/db.js";

// The demo data must reproduce the figures the two committees published
// (DOMAIN.md, "Real figures for demo data and tests"). It runs on a database
// of its own: seedDemo only writes into an empty one.

describe("demo seed", function () {
  this.timeout(120_000);
  let s: Soquy;
  let tokens: DemoTokens;
  let seeded: Awaited<ReturnType<typeof seedDemo>>;
  let dropDatabase: (() => Promise<void>) | null = null;

  before(async () => {
    // A database of its own takes the owner's rights to create (and to migrate, as the service's role never does).
    const url = process.env.TEST_DATABASE_OWNER_URL || process.env.TEST_DATABASE_URL || undefined;
    let databaseUrl: string | undefined;
    if (url) {
      const name = `soquy_seed_${randomBytes(6).toString("hex")}`;
      const server = new URL(url);
      server.pathname = "/postgres";
      const admin = knexFactory({ client: "pg", connection: server.toString(), pool: { min: 0, max: 1 } });
      await admin.raw(`create database ${name}`);
      await admin.destroy();
      const target = new URL(url);
      target.pathname = `/${name}`;
      databaseUrl = target.toString();
      dropDatabase = async () => {
        const k = knexFactory({ client: "pg", connection: server.toString(), pool: { min: 0, max: 1 } });
        try {
          await k.raw(`drop database if exists ${name}`);
        } finally {
          await k.destroy();
        }
      };
    }
    const db = await openDatabase(databaseUrl ? { databaseUrl } : { pglite: new PGlite() });
    await migrate(db.knex);
    s = wire(db, { signingKeyFile: testSigningKeyFile });
    const started = performance.now();
    const result = await seedDemo(s);
    console.log(`      seedDemo took ${Math.round(performance.now() - started)} ms on ${db.kind}`);
    expect(result.created).to.equal(true);
    tokens = result.tokens;
    seeded = result;
  });

  after(async () => {
    await s?.close();
    await dropDatabase?.();
  });

  async function committeeId(code: string): Promise<number> {
    const c = await s.store.findCommittee(code);
    expect(c, code).to.not.equal(null);
    return c!.id;
  }

  async function figures(committee: string, campaign: string) {
    const c = await s.ledger.campaign(await committeeId(committee), campaign);
    return { campaign: c, f: await s.store.campaignFigures(c) };
  }

  it("creates the two committees with their names as recorded at the time", async () => {
    const committees = await s.store.listCommittees();
    expect(committees.map((c) => [c.code, c.name])).to.deep.equal([
      ["phuong2-kientuong", "Ủy ban MTTQ Việt Nam Phường 2, thị xã Kiến Tường, tỉnh Long An"],
      ["tt-goquao", "Ủy ban MTTQ Việt Nam thị trấn Gò Quao, huyện Gò Quao, tỉnh Kiên Giang"],
    ]);
  });

  it("hands out one working token per role and committee", async () => {
    expect(tokens).to.have.length(8);
    for (const t of tokens) {
      const p = await s.store.findPrincipal(hashToken(t.token));
      expect(p, `${t.committee} ${t.role}`).to.include({ committeeCode: t.committee, role: t.role, name: t.name });
    }
    const treasurer = tokens.find((t) => t.committee === "phuong2-kientuong" && t.role === "treasurer");
    expect(treasurer?.name).to.equal("Thủ quỹ Nguyễn Thị Thu Hà");
  });

  it("Phường 2 Kiến Tường: Quỹ Vì người nghèo 8.000.000 raised of a 21.000.000 target", async () => {
    const { campaign, f } = await figures("phuong2-kientuong", "VNN2024");
    expect(campaign.kind).to.equal("for_the_poor");
    expect(campaign.targetDong).to.equal(21_000_000n);
    expect(f.receivedDong).to.equal(8_000_000n);
    expect(f.receivedByMethod.cash + f.receivedByMethod.bank + f.receivedByMethod.in_kind).to.equal(8_000_000n);
    expect(f.receivedByMethod.cash > 0n).to.equal(true);
    expect(f.receivedByMethod.bank > 0n).to.equal(true);
    expect(f.donations).to.equal(11); // the duplicate and its reversal are not counted
  });

  it("Phường 2 Kiến Tường: 607 Tết packages worth over 214 million (and under 215 million)", async () => {
    const { campaign, f } = await figures("phuong2-kientuong", "TET2024");
    expect(campaign.kind).to.equal("tet_gifts");
    const packages = f.disbursedQuantities.find((q) => q.unit === "suất");
    expect(Number(packages?.quantity)).to.equal(607);
    expect(packages!.valueDong > 214_000_000n && packages!.valueDong < 215_000_000n).to.equal(true);
    expect(packages!.valueDong).to.equal(214_700_000n);
    expect(f.disbursedDong).to.equal(214_700_000n);
    expect(f.disbursements).to.equal(607);
    expect(f.households).to.equal(607);
    expect(f.receivedByMethod.in_kind).to.equal(140_000_000n);
    expect(f.receivedQuantities.find((q) => q.unit === "kg")).to.deep.include({ quantity: "4000.000", valueDong: 60_000_000n });
    expect(f.holdingsDong.goods).to.equal(0n);

    const entries = await s.store.listEntries(campaign.committeeId, { campaignId: campaign.id, limit: 5000 });
    const gifts = entries.filter((e) => e.kind === "disbursement");
    expect(new Set(gifts.map((e) => e.disbursement!.area))).to.deep.equal(
      new Set(["Khu phố 1", "Khu phố 2", "Khu phố 3", "Khu phố 4", "Khu phố 5", "Khu phố 6"]));
    expect(new Set(gifts.map((e) => e.disbursement!.category))).to.deep.equal(new Set(["poor", "near_poor", "hardship", "policy_family"]));
    expect(new Set(gifts.map((e) => e.disbursement!.method))).to.deep.equal(new Set(["cash", "in_kind"]));
    for (const e of gifts) expect(e.entryDate >= "2024-01-25" && e.entryDate <= "2024-02-09", e.entryDate).to.equal(true);
  });

  it("Phường 2 Kiến Tường: 3.000.000 livelihood aid", async () => {
    const { campaign, f } = await figures("phuong2-kientuong", "SINHKE2024");
    expect(campaign.kind).to.equal("livelihood");
    expect(f.disbursedDong).to.equal(3_000_000n);
    expect(f.receivedDong >= 3_000_000n).to.equal(true);
    const entries = await s.store.listEntries(campaign.committeeId, { campaignId: campaign.id, limit: 100 });
    expect(entries.filter((e) => e.kind === "disbursement").map((e) => e.disbursement!.purpose)).to.deep.equal(["livelihood"]);
  });

  it("Phường 2 Kiến Tường: a duplicate recorded by mistake is reversed, and a bank fee is booked", async () => {
    const id = await committeeId("phuong2-kientuong");
    const entries = await s.store.listEntries(id, { limit: 5000 });
    const reversals = entries.filter((e) => e.kind === "reversal");
    expect(reversals).to.have.length(1);
    expect(reversals[0]!.description).to.match(/Ghi trùng$/);
    const original = entries.find((e) => e.id === reversals[0]!.reversalOf);
    expect(original?.kind).to.equal("donation");
    const fee = entries.filter((e) => e.kind === "general" && e.postings.some((p) => p.account.code === "6421"));
    expect(fee).to.have.length(1);
    expect(fee[0]!.postings.map((p) => [p.account.code, p.amountDong])).to.deep.equal([["6421", 11_000n], ["1121.TET2024", -11_000n]]);
    for (const e of entries) expect(e.entryDate >= "2024-01-01" && e.entryDate <= "2024-06-30", e.entryDate).to.equal(true);
  });

  it("Thị trấn Gò Quao: 03 Great Solidarity houses of 50.000.000 each", async () => {
    const { campaign, f } = await figures("tt-goquao", "DDK2022");
    expect(campaign.kind).to.equal("solidarity_house");
    expect(f.disbursedQuantities).to.deep.equal([{ unit: "căn", quantity: "3.000", valueDong: 150_000_000n }]);
    expect(f.disbursements).to.equal(3);
    const entries = await s.store.listEntries(campaign.committeeId, { campaignId: campaign.id, limit: 100 });
    const houses = entries.filter((e) => e.kind === "disbursement");
    expect(houses.map((e) => e.disbursement!.purpose)).to.deep.equal(["house_new", "house_new", "house_new"]);
    expect(houses.map((e) => e.postings.find((p) => p.amountDong > 0n)!.amountDong)).to.deep.equal([50_000_000n, 50_000_000n, 50_000_000n]);
  });

  it("Thị trấn Gò Quao: 1.126 Tết packages, a rural bridge and 15 households on regular support", async () => {
    const tet = await figures("tt-goquao", "TET2022");
    expect(Number(tet.f.disbursedQuantities.find((q) => q.unit === "suất")?.quantity)).to.equal(1126);
    const vnn = await figures("tt-goquao", "VNN2022");
    const entries = await s.store.listEntries(vnn.campaign.committeeId, { campaignId: vnn.campaign.id, limit: 1000 });
    const paid = entries.filter((e) => e.kind === "disbursement").map((e) => e.disbursement!);
    expect(paid.filter((d) => d.purpose === "infrastructure")).to.have.length(1);
    const regular = paid.filter((d) => d.purpose === "regular_support");
    expect(new Set(regular.map((d) => `${d.beneficiaryName}|${d.area}`)).size).to.equal(15);
    const all = await s.store.listEntries(vnn.campaign.committeeId, { limit: 5000 });
    for (const e of all) expect(e.entryDate >= "2022-01-01" && e.entryDate <= "2022-06-30", e.entryDate).to.equal(true);
    for (const e of all.filter((x) => x.campaign?.code === "TET2022")) expect(e.entryDate.slice(0, 7), e.description).to.equal("2022-01");
  });

  it("Thị trấn Gò Quao: total disbursed is over 800 million đồng", async () => {
    const id = await committeeId("tt-goquao");
    let total = 0n;
    for (const c of await s.store.listCampaigns(id)) total += (await s.store.campaignFigures(c)).disbursedDong;
    expect(total > 800_000_000n, String(total)).to.equal(true);
    expect(total).to.equal(832_000_000n);
  });

  it("balances and verifies the hash chain of both committees", async () => {
    for (const code of ["phuong2-kientuong", "tt-goquao"]) {
      const id = await committeeId(code);
      const balances = await s.store.balancesAsOf(id, null);
      expect(balances.reduce((sum, b) => sum + b.balanceDong, 0n), code).to.equal(0n);
      for (const b of balances) {
        if (b.account.type === "asset") expect(b.balanceDong >= 0n, b.account.code).to.equal(true);
      }
      const report = await verifyChain(s.store, id);
      expect(report.ok, `${code}: ${report.reason}`).to.equal(true);
      expect(report.checked).to.be.greaterThan(0);
    }
  });

  it("gives each committee a workspace account per role that signs in with its generated password", async () => {
    const { UserStore } = await import("../src/db/users.js");
    const { signIn } = await import("../src/web/session.js");
    const users = new UserStore(s.db.knex);
    expect(seeded.users.map((u) => u.login)).to.include.members(["phuong2-kientuong.treasurer", "tt-goquao.approver"]);
    const u = seeded.users.find((x) => x.login === "phuong2-kientuong.approver")!;
    expect((await signIn(users, u.login, u.password, false)).ok).to.equal(true);
    expect((await signIn(users, u.login, "not the password", false)).ok).to.equal(false);
    expect((await users.byLogin(u.login))!.role).to.equal("approver");
  });

  it("opens a campaign per committee from the day it is loaded, so a newcomer's first donation, dated today, is accepted", async () => {
    const { todayInVietnam } = await import("../src/ledger/dates.js");
    const { openCampaign } = await import("../seeds/demo.js");
    const today = todayInVietnam();
    for (const t of tokens.filter((x) => x.role === "treasurer")) {
      const p = (await s.store.findPrincipal(hashToken(t.token)))!;
      const open = await s.ledger.campaign(p.committeeId, openCampaign(today).code);
      expect(open).to.include({ startsOn: today, kind: "for_the_poor", receivingException: null });
      const d = await s.ledger.recordDonation(p, open.code, { receivedOn: today, amountDong: "500000", method: "cash",
        donor: { name: "Người mới thử", kind: "individual", publishName: false } }, { idempotencyKey: `newcomer-${t.committee}`, requestHash: "e".repeat(64) });
      expect(d.entry.receiptNumber).to.match(/^PT-\d{4}-\d{6}$/);
    }
    // The historical campaigns are all still there (the seed reports' figures are checked above).
    expect((await s.store.listCampaigns(await committeeId("tt-goquao"))).map((c) => c.code)).to.include.members(["DDK2022", "TET2022", "VNN2022"]);
  });

  it("keeps the bytes of the statements its history's checkpoints signed", async () => {
    const { prepareStatement } = await import("../src/statements/builder.js");
    const committee = (await s.store.findCommittee("tt-goquao"))!;
    const [checkpoint] = await s.checkpoints().list(committee, 1, null);
    expect(checkpoint, "the close of 30/6/2022 is signed").to.not.equal(undefined);
    const signed = checkpoint!.payload.campaigns.filter((c) => c.statement);
    expect(signed.map((c) => c.code)).to.have.members(["DDK2022", "TET2022", "VNN2022"]);
    const p = (await s.publicQueries.publication(committee.id, { vseq: checkpoint!.payload.publication.number }))!;
    for (const c of signed) {
      const st = await prepareStatement(s.statements, committee, await s.ledger.campaign(committee.id, c.code),
        { audience: "public", publication: { vseq: p.vseq, headSeq: p.headSeq, headHash: p.headHash! } });
      st.dispose();
      expect(st.digest, c.code).to.equal(c.statement!.digest);
    }
  });

  it("writes nothing when run a second time", async () => {
    const count = async () => Number((await s.db.knex("journal_entries").count("* as n").first())?.n);
    const before = { entries: await count(), committees: (await s.store.listCommittees()).length };
    const again = await seedDemo(s);
    expect(again).to.deep.equal({ created: false, tokens: [], users: [] });
    expect({ entries: await count(), committees: (await s.store.listCommittees()).length }).to.deep.equal(before);
  });
});

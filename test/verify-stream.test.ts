import { expect } from "chai";
import { type ChainReader, walkCommitteeChain } from "../src/db/chain.js";
import { publishedSumsSql } from "../src/db/public.js";
import { createToken, hashToken, type Soquy } from "../src/context.js";
import type { EntryLinks } from "../src/ledger/store.js";
import type { CommittedEntry, Principal } from "../src/ledger/types.js";
import { verifyChain } from "../src/ledger/verify.js";
import { makeCommittee, meta, testOwnerKnex, testSoquy, uniqueCode, type TestCommittee } from "./support/db.js";

// Verify reads the chain once, streamed (COPY on PostgreSQL) or a page at a time (PGlite, or inside a transaction).
// Both readers must give exactly the entries the ledger's other reads give (listEntries, a page at a time), with
// the same links, on a ledger with every kind of entry — and with text that COPY has to escape. And the kept
// public figures are checked against a set-wise sum that must agree with soquy_entry_figures entry by entry.

let s: Soquy;
let t: TestCommittee;
let onServer: boolean;

type Walked = { entry: CommittedEntry; links: EntryLinks }[];

async function walk(committeeId: number, reader: ChainReader): Promise<Walked> {
  const rows: Walked = [];
  await walkCommitteeChain(s.db.knex, committeeId, (entry, links) => rows.push({ entry, links }), reader);
  return rows;
}

/** The paged walk as the ledger's other reads make it: listEntries, a page of 3 at a time. */
async function listed(committeeId: number): Promise<CommittedEntry[]> {
  const out: CommittedEntry[] = [];
  for (let after = 0; ;) {
    const page = await s.store.listEntries(committeeId, { afterSeq: after, limit: 3 });
    out.push(...page);
    if (page.length < 3) return out;
    after = page.at(-1)!.seq;
  }
}

describe("verify's reading of the chain", function () {
  this.timeout(120_000);

  before(async () => {
    s = await testSoquy();
    onServer = s.db.kind === "postgres";
    t = await makeCommittee(s, "Ủy ban MTTQ phường Đọc Chuỗi");
    const tr: Principal = t.principals.treasurer;
    const L = s.ledger;
    const [vnn, tet] = [uniqueCode("VNN").toUpperCase(), uniqueCode("TET").toUpperCase()];
    for (const [code, kind] of [[vnn, "for_the_poor"], [tet, "tet_gifts"]] as const) {
      await L.createCampaign(tr, { code, name: `Quỹ \\ "${kind}"\tnăm 2024`, kind, startsOn: "2024-01-01", receivingException: "Quỹ thường xuyên" }, meta("rd"));
    }
    const donor = (name: string, kind: "individual" | "business" | "organisation" | "anonymous" = "individual", publishName = true) =>
      ({ name, kind, publishName });
    const ids: string[] = [];
    const keep = (r: { entry: { id: string } }) => (ids.push(r.entry.id), r);
    keep(await L.recordDonation(tr, vnn, {
      receivedOn: "2024-01-05", amountDong: "20000000", method: "cash", donor: donor("Nguyễn Văn Ánh"),
      note: "Dòng một\ndòng hai\ttab \\ gạch chéo \\N không phải null", description: "Thu tiền mặt \\\\ \"trích dẫn\" ☃",
    }, meta("rd")));
    keep(await L.recordDonation(tr, vnn, {
      receivedOn: "2024-01-06", amountDong: "15000000", method: "bank", bankAccount: "0071000123456", bankReference: "FT24006123456",
      donor: { ...donor("Công ty TNHH Minh Phát", "business"), phone: "0912 345 678" }, note: "Chuyển khoản Vietcombank",
    }, meta("rd")));
    keep(await L.recordDonation(tr, vnn, {
      receivedOn: "2024-01-08", amountDong: "23500000", method: "in_kind", donor: donor("Hội Doanh nhân trẻ", "organisation"),
      items: [
        { description: "Gạo ST25\t(bao 50 kg)", quantity: "500", unit: "kg", unitValueDong: "25000", valuationBasis: "Giá thị trường ngày nhận" },
        { description: "Mì tôm Hảo Hảo", quantity: "100", unit: "thùng", unitValueDong: "110000", valuationBasis: "Hóa đơn mua hàng" },
      ],
    }, meta("rd")));
    keep(await L.recordDonation(tr, tet, { receivedOn: "2024-01-10", amountDong: "30000000", method: "cash", donor: donor("", "anonymous", false) }, meta("rd")));
    const small = keep(await L.recordDonation(tr, vnn, { receivedOn: "2024-01-12", amountDong: "500000", method: "cash", donor: donor("Trần Thị Bình", "individual", false) }, meta("rd")));
    keep(await L.recordDisbursement(tr, vnn, {
      paidOn: "2024-01-20", amountDong: "2000000", method: "cash", purpose: "house_repair", quantity: "1.5", unit: "căn",
      beneficiary: { name: "Lê Văn Cường", category: "poor", area: "Khu phố 3" }, note: "Sửa mái tôn",
    }, meta("rd")));
    keep(await L.recordDisbursement(tr, vnn, {
      paidOn: "2024-01-21", amountDong: "1250000", method: "in_kind", purpose: "gift_package", quantity: "50", unit: "suất",
      beneficiary: { name: "Đỗ Thị Hạnh", category: "near_poor", area: "Ấp Tân Hòa" },
    }, meta("rd")));
    const gift = keep(await L.recordDisbursement(tr, tet, {
      paidOn: "2024-02-05", amountDong: "500000", method: "cash", purpose: "gift_package", quantity: "1", unit: "suất",
      beneficiary: { name: "Phạm Văn Đức", category: "hardship", area: "Khu phố 4; ấp 2: Hòa Bình" },
    }, meta("rd")));
    keep(await L.recordDisbursement(tr, vnn, {
      paidOn: "2024-02-06", amountDong: "3000000", method: "bank", purpose: "schooling", beneficiary: { name: "Võ Thị Lan", category: "hardship", area: "Khu phố 2" },
    }, meta("rd")));
    keep(await L.recordGeneral(tr, {
      entryDate: "2024-01-31", description: "Phí chuyển khoản tháng 1",
      postings: [{ account: "6421", amountDong: "11000" }, { account: `1121.${vnn}`, amountDong: "-11000" }],
    }, meta("rd")));
    keep(await L.recordGeneral(tr, {
      entryDate: "2024-02-07", description: "Điều chuyển tiền mặt sang Quỹ quà Tết", resolutionRef: "NQ 05/NQ-MTTQ ngày 06/02/2024",
      postings: [{ account: `1111.${tet}`, amountDong: "1000000" }, { account: `1111.${vnn}`, amountDong: "-1000000" }],
    }, meta("rd")));
    keep(await L.reverse(tr, small.entry.id, { reason: "Ghi trùng phiếu thu", entryDate: "2024-02-08" }, meta("rd")));
    keep(await L.reverse(tr, gift.entry.id, { reason: "Chi nhầm hộ", entryDate: "2024-02-09" }, meta("rd")));
    const goods = keep(await L.recordDonation(tr, tet, {
      receivedOn: "2024-02-10", amountDong: "990000", method: "in_kind", donor: donor("Cửa hàng Bình An", "business"),
      items: [{ description: "Bánh chưng", quantity: "9", unit: "cái", unitValueDong: "110000", valuationBasis: "Giá bán lẻ" }],
    }, meta("rd")));
    keep(await L.reverse(tr, goods.entry.id, { reason: "Hàng trả lại", entryDate: "2024-02-10" }, meta("rd")));
    // Published, all but the last: the transfer between campaigns by two approvers.
    const second = (await s.store.findPrincipal(hashToken(await createToken(s, t.committee.id, "approver", "Người duyệt thứ hai"))))!;
    await s.controls.verify(t.principals.approver, ids.slice(0, -1));
    await s.controls.verify(second, [ids[10]!]);
  });

  it("gives every kind of entry, as listEntries gives it, with the same links whichever reader", async () => {
    const reference = await listed(t.committee.id);
    expect(new Set(reference.map((e) => e.kind))).to.deep.equal(new Set(["donation", "disbursement", "general", "reversal"]));
    expect(reference.some((e) => e.items.length === 2 && e.voucherNo === null)).to.equal(true);
    expect(reference.filter((e) => e.voucherNo !== null).length).to.be.greaterThan(3);
    const paged = await walk(t.committee.id, "paged");
    expect(paged.map((x) => x.entry)).to.deep.equal(reference);
    if (onServer) expect(await walk(t.committee.id, "copy")).to.deep.equal(paged);
    expect(paged[0]!.entry.donation!.note).to.equal("Dòng một\ndòng hai\ttab \\ gạch chéo \\N không phải null");
    expect(await verifyChain(s.store, t.committee.id)).to.include({ ok: true, checked: reference.length });
  });

  it("reads the same rows after they were changed behind the ledger's back, and verify reports the same", async function () {
    // A committee of its own, changed by the owner with triggers off and committed: COPY reads committed rows only.
    const x = await makeCommittee(s, "Ủy ban MTTQ xã Bị Sửa");
    const code = uniqueCode("SUA").toUpperCase();
    await s.ledger.createCampaign(x.principals.treasurer, { code, name: "Quỹ bị sửa", kind: "for_the_poor", startsOn: "2024-01-01", receivingException: "x" }, meta("rd"));
    for (let i = 0; i < 4; i++) {
      await s.ledger.recordDonation(x.principals.treasurer, code, { receivedOn: "2024-01-05", amountDong: String(1000 + i), method: "cash",
        donor: { name: `Người ${i}`, kind: "individual", publishName: true } }, meta("rd"));
    }
    const owner = await testOwnerKnex();
    await owner.transaction(async (trx) => {
      await trx.raw("set local session_replication_role = replica");
      const [e2, e3] = await trx("journal_entries").where({ committee_id: x.committee.id }).whereIn("seq", [2, 3]).orderBy("seq").select("id");
      await trx("donations").where({ entry_id: e2.id }).update({ note: "sửa\\lén\r\n" });
      await trx("postings").where({ entry_id: e3.id, line: 2 }).update({ committee_id: t.committee.id });
    });
    const paged = await walk(x.committee.id, "paged");
    expect(paged[1]!.entry.donation!.note).to.equal("sửa\\lén\r\n");
    if (onServer) expect(await walk(x.committee.id, "copy")).to.deep.equal(paged);
    const report = await verifyChain(s.store, x.committee.id);
    expect(report).to.include({ ok: false, firstBrokenSeq: 2 });
  });

  it("the set-wise sum of the published entries equals soquy_entry_figures summed entry by entry", async () => {
    const all = Number.MAX_SAFE_INTEGER;
    const perEntry = (await s.db.knex.raw(`select f.campaign_id, f.entry_date, f.metric, f.key, sum(f.amount_dong) as amount_dong,
        sum(f.quantity) as quantity, sum(f.n) as n
      from entry_verified ev cross join lateral soquy_entry_figures(ev.entry_id) f
      where ev.committee_id = ? and ev.vseq <= ? group by 1, 2, 3, 4`, [t.committee.id, all])).rows;
    const setWise = (await s.db.knex.raw(publishedSumsSql, [t.committee.id, all])).rows;
    // Rows whose sums are all zero say nothing (the check reads a missing row as zeros).
    const norm = (rows: Record<string, any>[]) => rows
      .map((r) => [String(r.campaign_id), String(r.entry_date), r.metric, r.key, BigInt(r.amount_dong), Number(r.quantity).toFixed(3), BigInt(r.n)] as const)
      .filter((r) => r[4] !== 0n || r[5] !== "0.000" || r[6] !== 0n)
      .map((r) => r.map(String).join("|")).sort();
    expect(perEntry.length).to.be.greaterThan(10);
    const metrics = new Set(perEntry.map((r: Record<string, any>) => r.metric));
    for (const m of ["asset", "income", "expense", "received", "received_unit", "purpose", "category", "area", "disbursed_unit"]) {
      expect(metrics.has(m), m).to.equal(true);
    }
    expect(norm(setWise)).to.deep.equal(norm(perEntry));
    expect(await s.store.publicFiguresMismatch(t.committee.id)).to.equal(null);
  });

  it("pages end at the head seen after the campaigns were read: an entry recorded meanwhile in a new campaign is not read half", async () => {
    const c = await makeCommittee(s, "Ủy ban MTTQ phường Ghi Trong Khi Kiểm");
    const first = uniqueCode("VNN").toUpperCase();
    await s.ledger.createCampaign(c.principals.treasurer, { code: first, name: "Quỹ Vì người nghèo", kind: "for_the_poor", startsOn: "2024-01-01",
      receivingException: "Quỹ thường xuyên" }, meta("mw"));
    await s.ledger.recordDonation(c.principals.treasurer, first, { receivedOn: "2024-01-05", amountDong: "100000", method: "cash",
      donor: { name: "Nguyễn Văn Sớm", kind: "individual", publishName: true } }, meta("mw"));
    // Right after the walk reads the committee's campaigns and books, another request sets up a campaign and records in it (on PGlite, between two
    // of the walk's queries; on PostgreSQL, on another connection).
    const client = s.db.knex.client as unknown as { acquireConnection(): Promise<{ query: (...a: unknown[]) => Promise<unknown> }> };
    const acquire = client.acquireConnection.bind(client);
    let headRead = false;
    let injected: Promise<unknown> | null = null;
    const later = uniqueCode("TET").toUpperCase();
    const wrapped = new Map<{ query: (...a: unknown[]) => Promise<unknown> }, (...a: unknown[]) => Promise<unknown>>();
    client.acquireConnection = async () => {
      if (headRead && !injected) {
        injected = (async () => {
          await s.ledger.createCampaign(c.principals.treasurer, { code: later, name: "Quà Tết", kind: "tet_gifts", startsOn: "2024-01-01" }, meta("mw"));
          await s.ledger.recordDonation(c.principals.treasurer, later, { receivedOn: "2024-01-06", amountDong: "200000", method: "cash",
            donor: { name: "Trần Thị Muộn", kind: "individual", publishName: true } }, meta("mw"));
        })();
        await injected;
      }
      const conn = await acquire();
      if (wrapped.has(conn)) return conn;
      const query = conn.query;
      wrapped.set(conn, query);
      conn.query = async (...a: unknown[]) => {
        const r = await query.apply(conn, a);
        const text = typeof a[0] === "string" ? a[0] : (a[0] as { text?: string } | undefined)?.text ?? "";
        if (text.startsWith("select id, series, code, committee_id from receipt_books")) headRead = true; // the last of the reads before the pages
        return r;
      };
      return conn;
    };
    let walked: Walked;
    try {
      walked = await walk(c.committee.id, "paged");
    } finally {
      client.acquireConnection = acquire;
      for (const [conn, query] of wrapped) conn.query = query;
    }
    expect(injected, "the other request ran while the walk was under way").not.to.equal(null);
    expect(walked.map((w) => w.entry.seq)).to.deep.equal([1]);
    const report = await verifyChain(s.store, c.committee.id);
    expect(report, report.reason ?? "").to.include({ ok: true, checked: 2 });
  });
});

import { expect } from "chai";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Soquy } from "../src/context.js";
import { LedgerError } from "../src/ledger/codes.js";
import { makeCommittee, meta, type TestCommittee, testSoquy, uniqueCode, testOwnerKnex } from "./support/db.js";

// Checkpoints anchored outside the database. The attack: whoever holds the database's owner rights
// changes a donation of 1.002 đồng to 1, moves the kept balances to match, recomputes every later
// hash with soquy's own SQL functions and deletes the committee's checkpoints. verify then says ok;
// a copy of the checkpoints exported before the attack says otherwise.

async function rewriteHistory(committeeId: number, entryId: string): Promise<void> {
  await (await testOwnerKnex()).transaction(async (trx) => {
    await trx.raw("set local session_replication_role = replica"); // what an owner can do: no trigger fires
    const legs = (await trx.raw("select account_id, amount_dong from postings where entry_id = ?", [entryId])).rows as { account_id: string; amount_dong: string }[];
    for (const leg of legs) {
      const delta = BigInt(leg.amount_dong) > 0n ? -1001n : 1001n;
      await trx.raw("update postings set amount_dong = amount_dong + ? where entry_id = ? and account_id = ?", [delta.toString(), entryId, leg.account_id]);
      await trx.raw("update account_balances set balance_dong = balance_dong + ? where account_id = ?", [delta.toString(), leg.account_id]);
    }
    const { rows } = await trx.raw("select id, seq from journal_entries where committee_id = ? and seq >= (select seq from journal_entries where id = ?) order by seq", [committeeId, entryId]);
    for (const r of rows as { id: string; seq: string }[]) {
      await trx.raw(`update journal_entries set
          prev_hash = coalesce((select hash from journal_entries where committee_id = ? and seq = ? - 1), repeat('0', 64)),
          hash = soquy_entry_hash(coalesce((select hash from journal_entries where committee_id = ? and seq = ? - 1), repeat('0', 64)), soquy_entry_canonical(id))
        where id = ?`, [committeeId, r.seq, committeeId, r.seq, r.id]);
    }
    await trx.raw("delete from checkpoints where committee_id = ?", [committeeId]);
  });
}

describe("checkpoints anchored outside the database", () => {
  let s: Soquy;
  let tc: TestCommittee;
  let dir: string;
  let tampered: string;
  const code = uniqueCode("ANCHOR").toUpperCase();

  before(async () => {
    s = await testSoquy();
    dir = mkdtempSync(path.join(tmpdir(), "soquy-anchors-"));
    tc = await makeCommittee(s, "Ủy ban MTTQ phường Neo Ngoài");
    const t = tc.principals.treasurer;
    await s.ledger.createCampaign(t, { code, name: "Quỹ cứu trợ", kind: "relief", startsOn: "2024-09-01" }, meta());
    const ids: string[] = [];
    for (const amount of ["52222", "1002", "10000", "5888", "3000"]) {
      ids.push((await s.ledger.recordDonation(t, code, { receivedOn: "2024-09-10", amountDong: amount, method: "cash",
        donor: { name: "Nhà hảo tâm", kind: "anonymous", publishName: false } }, meta())).entry.id);
    }
    tampered = ids[1]!;
    await s.checkpoints().create(tc.committee, "on_demand", null);
    await s.checkpoints().create(tc.committee, "on_demand", null);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("exports every checkpoint to a file of its own, and never rewrites one", async () => {
    const out = path.join(dir, "copies");
    expect(await s.checkpoints().exportTo(tc.committee, out)).to.deep.equal({ written: 2, present: 0 });
    expect(await s.checkpoints().exportTo(tc.committee, out)).to.deep.equal({ written: 0, present: 2 });
    const [first] = readdirSync(out).sort();
    const file = path.join(out, first!);
    const original = readFileSync(file, "utf8");
    writeFileSync(file, original.replace('"signature": "', '"signature": "AA'));
    const refused = await s.checkpoints().exportTo(tc.committee, out).catch((e) => e);
    expect(refused).to.be.instanceOf(LedgerError);
    expect((refused as Error).message).to.match(/never overwritten/);
    writeFileSync(file, original);
    expect((await s.verify(tc.committee.id, { checkpoints: out })).ok).to.equal(true);
  });

  it("catches the owner's rewrite of history that verify alone passes", async () => {
    const out = path.join(dir, "copies");
    await rewriteHistory(tc.committee.id, tampered);
    const alone = await s.verify(tc.committee.id);
    expect(alone.ok, "the attack passes verify without outside copies").to.equal(true);
    const amount = (await s.db.knex.raw("select max(amount_dong)::text as m from postings where entry_id = ?", [tampered])).rows[0].m;
    expect(amount).to.equal("1");
    const report = await s.verify(tc.committee.id, { checkpoints: out });
    expect(report.ok).to.equal(false);
    expect(report.reason).to.match(/exported checkpoint #\d+/);
  });

  it("numbers a committee's checkpoints 1, 2, 3 inside what they sign, and names a number deleted from the middle", async () => {
    const x = await makeCommittee(s, "Ủy ban MTTQ xã Đánh Số");
    const made: Awaited<ReturnType<ReturnType<Soquy["checkpoints"]>["create"]>>[] = [];
    for (let i = 0; i < 3; i++) made.push(await s.checkpoints().create(x.committee, "on_demand", null));
    expect(made.map((c) => c.payload.number)).to.deep.equal([1, 2, 3]);
    expect((await s.verify(x.committee.id)).ok).to.equal(true);
    // PostgreSQL itself refuses a number out of turn, or one its payload does not sign.
    const row = await s.db.knex("checkpoints").where({ id: made[2]!.id }).first();
    const { id: _id, ...copy } = row;
    const refused = await s.db.knex("checkpoints").insert({ ...copy, number: 7 }).then(() => null, (e: { code: string }) => e.code);
    expect(refused).to.equal("SQ016");
    const unsigned = await s.db.knex("checkpoints").insert({ ...copy, number: 4 }).then(() => null, (e: { code: string }) => e.code);
    expect(unsigned).to.equal("SQ016");
    await (await testOwnerKnex()).transaction(async (trx) => {
      await trx.raw("set local session_replication_role = replica");
      await trx("checkpoints").where({ id: made[1]!.id }).del();
    });
    const report = await s.verify(x.committee.id);
    expect(report.ok).to.equal(false);
    expect(report.reason).to.equal("checkpoint number 2 is missing (the next is 3): a checkpoint was deleted");
  });

  it("refuses a folder it cannot make, a file that does not parse, and a copy whose signature fails", async () => {
    const blocker = path.join(dir, "a-file");
    writeFileSync(blocker, "x");
    const cannot = await s.checkpoints().exportTo(tc.committee, path.join(blocker, "sub")).catch((e) => e);
    expect(cannot).to.be.instanceOf(LedgerError);
    expect((cannot as Error).message).to.match(/cannot make the folder/);

    const broken = path.join(dir, `${tc.committee.code}-checkpoint-99999999.json`);
    writeFileSync(broken, "{ not json");
    const unreadable = await s.verify(tc.committee.id, { checkpoints: broken }).catch((e) => e);
    expect(unreadable).to.be.instanceOf(LedgerError);
    expect((unreadable as Error).message).to.match(/is not a checkpoint file/);

    const [first] = readdirSync(path.join(dir, "copies")).sort();
    const copy = JSON.parse(readFileSync(path.join(dir, "copies", first!), "utf8"));
    const forged = path.join(dir, "forged.json");
    writeFileSync(forged, JSON.stringify({ ...copy, payload: copy.payload.replace('"reason":"on_demand"', '"reason":"period_close"') }));
    const report = await s.verify(tc.committee.id, { checkpoints: forged });
    expect(report.ok).to.equal(false);
    expect(report.reason).to.match(/signature does not match/);
  });
});

describe("checkpoints made at once", () => {
  it("take consecutive numbers, none refused (two approvers signing at the same moment)", async () => {
    const s = await testSoquy();
    const x = await makeCommittee(s, "Ủy ban MTTQ xã Cùng Lúc");
    const made = await Promise.all(Array.from({ length: 4 }, () => s.checkpoints().create(x.committee, "on_demand", null)));
    expect(made.map((c) => c.payload.number).sort()).to.deep.equal([1, 2, 3, 4]);
    expect((await s.verify(x.committee.id)).ok).to.equal(true);
  });
});

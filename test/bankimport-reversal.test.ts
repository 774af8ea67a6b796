import { expect } from "chai";
import { createReadStream, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { generateVcb } from "../bench/bankimport.js";
import { importStatement, type ImportSummary } from "../src/db/bankimports.js";
import { reconcile } from "../src/db/reconcile.js";
import { LedgerError } from "../src/ledger/codes.js";
import { verifyChain } from "../src/ledger/verify.js";
import type { Soquy } from "../src/context.js";
import type { Campaign } from "../src/ledger/types.js";
import { makeCommittee, meta, testOwnerKnex, testSoquy, uniqueCode, type TestCommittee } from "./support/db.js";

// A bank import that went to the wrong campaign, reversed as a whole: every entry it recorded gets its
// reversal, its lines are released (kept, never deleted), and the same file then goes into the right
// campaign, its lines recorded again as their next generation. PostgreSQL refuses a release the rules
// do not allow and a line recorded again without one.

const ACCOUNT = "0011009990001";
const OPENING = 10_847_182_843n;
const LINES = 300;

describe("reversing a bank import", function () {
  let s: Soquy;
  let tc: TestCommittee;
  let wrong: Campaign;
  let right: Campaign;
  let dir: string;
  let file: string;
  let closing: bigint;

  before(async () => {
    s = await testSoquy();
    tc = await makeCommittee(s, "Ban Vận động cứu trợ (đảo sao kê)");
    const make = async (name: string) => {
      const code = uniqueCode("YAGI").toUpperCase();
      await s.ledger.createCampaign(tc.principals.treasurer, { code, name, kind: "relief", startsOn: "2024-09-01" }, meta());
      return s.ledger.campaign(tc.committee.id, code);
    };
    wrong = await make("Quỹ khuyến học (nhập nhầm)");
    right = await make("Ủng hộ đồng bào bị bão số 3");
    dir = mkdtempSync(path.join(tmpdir(), "soquy-reversal-"));
    file = path.join(dir, "sao-ke.csv");
    closing = await generateVcb(file, LINES);
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (campaign: Campaign, opening: bigint | null): Promise<ImportSummary> => importStatement(s.db.knex, {
    committee: tc.committee, campaign, bankAccountNo: ACCOUNT, layout: "vcb", openingDong: opening,
    recordedBy: tc.principals.treasurer.tokenId, input: createReadStream(file),
  });
  const refusal = (p: Promise<unknown>) => p.then(() => null, (e: unknown) => {
    if (e instanceof LedgerError) return e.code;
    return (e as { code?: string }).code ?? String(e);
  });
  const bankHeld = async (c: Campaign) => (await s.store.balancesAsOf(tc.committee.id, null, c.accounts.bank.id))[0]!.balanceDong;

  let first: ImportSummary;

  it("warns when the file's lines are already recorded in another campaign, and records none of them again", async () => {
    first = await run(wrong, OPENING);
    expect(first).to.include({ linesRead: LINES, alreadyPresent: 0, closingDong: closing.toString() });
    expect(first.elsewhere).to.equal(undefined);
    const again = await run(right, null);
    expect(again).to.include({ recorded: 0, alreadyPresent: LINES });
    expect(again.elsewhere).to.deep.equal([{ importId: first.id, campaign: wrong.code, lines: LINES }]);
    expect(await bankHeld(right)).to.equal(0n);
  });

  it("reverses every entry of the import in one step and releases its lines, once", async () => {
    const key = meta();
    const before = await bankHeld(wrong);
    expect(before).to.equal(closing - OPENING);
    const r = await s.ledger.reverseImport(tc.principals.treasurer, first.id, { reason: "Nhập nhầm cuộc vận động" }, key);
    expect(r.replayed).to.equal(false);
    expect(r.response).to.include({ import: first.id, campaign: wrong.code, reversed: first.recorded, released: LINES, keptMatched: 0 });
    expect(await bankHeld(wrong)).to.equal(0n);
    const reversals = await s.db.knex("journal_entries").where({ committee_id: tc.committee.id, kind: "reversal" }).count("* as n").first();
    expect(Number(reversals!.n)).to.equal(first.recorded);
    // Released, never deleted: the lines are still there, each with its release.
    const lines = await s.db.knex("bank_lines").where({ committee_id: tc.committee.id }).count("* as n").first();
    expect(Number(lines!.n)).to.equal(LINES);
    const released = await s.db.knex("bank_line_releases").where({ committee_id: tc.committee.id, reversal_id: r.response.reversal }).count("* as n").first();
    expect(Number(released!.n)).to.equal(LINES);
    // The same key answers the same; another attempt is refused.
    const replay = await s.ledger.reverseImport(tc.principals.treasurer, first.id, { reason: "Nhập nhầm cuộc vận động" }, key);
    expect(replay).to.deep.equal({ response: r.response, replayed: true });
    expect(await refusal(s.ledger.reverseImport(tc.principals.treasurer, first.id, { reason: "lần hai" }, meta()))).to.equal("bank_import_already_reversed");
    expect(await refusal(s.ledger.reverseImport(tc.principals.treasurer, first.id + 10_000, { reason: "không có" }, meta()))).to.equal("bank_import_not_found");
    expect(await refusal(s.ledger.reverseImport(tc.principals.treasurer, first.id, { reason: "  " }, meta()))).to.equal("validation_failed");
  });

  it("then imports the same file into the right campaign, its lines recorded again, and the account reconciles", async () => {
    const second = await run(right, null);
    expect(second).to.include({ linesRead: LINES, recorded: first.recorded, alreadyPresent: 0, closingDong: closing.toString() });
    expect(second.elsewhere).to.equal(undefined);
    expect(await bankHeld(right)).to.equal(closing - OPENING);
    const generations = await s.db.knex("bank_lines").where({ committee_id: tc.committee.id }).groupBy("generation").orderBy("generation")
      .select("generation", s.db.knex.raw("count(*)::int as n"));
    expect(generations).to.deep.equal([{ generation: 0, n: LINES }, { generation: 1, n: LINES }]);
    const rec = await reconcile(s.db.knex, tc.committee.id, ACCOUNT, {});
    expect(rec).to.include({ bankBalanceDong: closing.toString(), ledgerBalanceDong: closing.toString(), differenceDong: "0", recordedByImport: first.recorded });
    expect((await run(right, null))).to.include({ recorded: 0, alreadyPresent: LINES });
    expect((await verifyChain(s.store, tc.committee.id)).ok).to.equal(true);
  });

  it("is refused by PostgreSQL: a release before the line's entry is reversed, a line recorded again unreleased, a release changed", async () => {
    const knex = await testOwnerKnex();
    const c = tc.committee.id;
    const line = await knex("bank_lines").where({ committee_id: c, generation: 1 }).whereNotNull("entry_id").first();
    const reversal = await knex("bank_import_reversals").where({ committee_id: c }).first();
    const code = (p: Promise<unknown>) => p.then(() => null, (e: { code?: string }) => e.code);
    // Generation 1's entry is not reversed, and the reversal is of another import.
    expect(await code(knex("bank_line_releases").insert({ committee_id: c, bank_account_id: line.bank_account_id, entry_date: line.entry_date,
      line_key: line.line_key, generation: 1, reversal_id: reversal.id }))).to.equal("SQ018");
    expect(await code(knex("bank_lines").insert({ ...line, generation: 2, import_id: line.import_id }))).to.equal("SQ018");
    expect(await code(knex("bank_line_releases").where({ committee_id: c }).del())).to.equal("SQ010");
    expect(await code(knex("bank_import_reversals").where({ committee_id: c }).update({ reason: "khác" }))).to.equal("SQ010");
    // With the service's own credentials, a reversal row that releases not the whole standing import: refused at commit
    // (it would take lines out of the bank's record and the public sao kê, and block the import's real reversal).
    const standing = await s.db.knex("bank_lines").where({ committee_id: c, generation: 1 }).first("import_id", "bank_account_id", "entry_date", "line_key");
    expect(await code(s.db.knex.transaction(async (trx) => {
      const [row] = await trx("bank_import_reversals").insert({ committee_id: c, import_id: standing.import_id, reason: "giả", reversed_by: reversal.reversed_by,
        entries: 0, released: 0 }).returning("id");
      void row;
    }))).to.equal("SQ018");
    expect(await s.db.knex("bank_import_reversals").where({ committee_id: c, import_id: standing.import_id }).first()).to.equal(undefined);
  });
});

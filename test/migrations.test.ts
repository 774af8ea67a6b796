import { execFile } from "node:child_process";
import { readdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { expect } from "chai";
import type { Knex } from "knex";
import { migrations } from "../knexfile.js";
import { migrate, openDatabase } from "../src/db/connect.js";
import { wire } from "../src/context.js";

// The migrations that change how the ledger's rules are checked (not what they
// are) go down and up again cleanly, on a database of their own, so a
// deployment can step back. The rules themselves are attacked in
// invariants.test.ts on whatever database the suite runs.

const stepped = ["20261207000046_saoke.ts", "20261207000037_publication_time_not_ahead.ts", "20261207000036_checkpoint_numbers.ts", "20261207000035_public_generations.ts", "20261207000034_triggers_run_as_owner.ts", "20261207000032_fresh_statistics.ts", "20261207000030_areas.ts", "20261207000029_people.ts", "20261203000028_publish_per_statement.ts", "20261203000027_import_row_first.ts", "20261202000026_pending_checks_uncompressed.ts", "20261202000025_bank_lines_by_day.ts", "20261202000024_audit_token_committee.ts", "20261202000023_idempotency_entry_reference.ts", "20261202000022_fewer_entry_probes.ts", "20261202000021_unsorted_entry_facts.ts", "20261201000020_one_number_per_publication.ts", "20261201000019_cheaper_statement_checks.ts", "20261201000018_binary_line_keys.ts", "20261201000017_pinned_search_path.ts", "20261201000016_balance_check_probes.ts", "20261201000015_append_skips_empty.ts", "20261201000014_entry_facts.ts", "20261201000013_key_lookup_plans.ts", "20261201000011_set_based_references.ts", "20261201000010_cheap_hex_checks.ts"];

async function foreignKeys(knex: Knex): Promise<number> {
  const { rows } = await knex.raw("select count(*)::int as n from pg_constraint where contype = 'f'");
  return rows[0].n;
}

async function settings(knex: Knex, fn: string): Promise<string[]> {
  const { rows } = await knex.raw("select coalesce(proconfig, '{}') as c from pg_proc where proname = ?", [fn]);
  return rows[0].c;
}

async function columnType(knex: Knex, table: string, column: string): Promise<string> {
  const { rows } = await knex.raw("select data_type from information_schema.columns where table_name = ? and column_name = ?", [table, column]);
  return rows[0].data_type;
}

/**
 * How the commit checks' queue stores its ids (migration 0026), bank_lines' primary key (migration 0025) and
 * which function keeps bank_imports append-only (migration 0027).
 */
async function layoutOf(knex: Knex): Promise<{ storage: string; key: string; imports: string; publish: string }> {
  const { rows } = await knex.raw(`select (select attstorage from pg_attribute where attrelid = 'pending_entry_checks'::regclass
      and attname = 'entry_ids') as storage, (select pg_get_constraintdef(oid) from pg_constraint where conname = 'bank_lines_pkey') as key,
      (select tgfoid::regproc::text from pg_trigger where tgname = 'bank_imports_append_only') as imports,
      (select string_agg(tgfoid::regproc::text || case when tgtype & 1 = 1 then ' per row' else ' per statement' end, ', ' order by tgname)
        from pg_trigger where tgname in ('entry_verifications_mark', 'entry_verified_figures', 'entry_verified_publish')) as publish`);
  return rows[0];
}

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
/** `npm run knex --`, without npm in between (its exit status and output are knex's own). */
const knexCli = ["--import", "tsx", `${root}node_modules/knex/bin/cli.js`, "--knexfile", `${root}knexfile.ts`];

const perStatement = "soquy_mark_verified_rows per statement, soquy_publish_verified_rows per statement"; // migration 0028

describe("migrations", function () {
  this.timeout(120_000);

  it("steps back over the migrations that change how rules are checked, and forward again", async () => {
    const db = await openDatabase({ pglite: new PGlite() });
    try {
      await migrate(db.knex);
      const after = await foreignKeys(db.knex);
      expect(await settings(db.knex, "soquy_check_entries")).to.have.members(["plan_cache_mode=force_generic_plan", "enable_seqscan=off", "jit=off", "search_path=public, pg_temp"]);
      const { rows: hex } = await db.knex.raw("select pg_get_constraintdef(oid) as d from pg_constraint where conname = 'journal_entries_hash_check'");
      expect(hex[0].d).to.include("octet_length");
      expect(await layoutOf(db.knex)).to.deep.equal({ storage: "e", key: "PRIMARY KEY (committee_id, bank_account_id, entry_date, line_key)",
        imports: "soquy_forbid_change_after_commit", publish: perStatement });

      for (const name of stepped) {
        const [, down] = (await db.knex.migrate.down(migrations)) as [number, string[]];
        expect(down).to.deep.equal([name]);
      }
      // The foreign keys are back (less people's three, 0030's three: areas, statement formats, a disbursement's listed
      // area, public_generations' one, and the public sao kê's eight), the old spelling check too, and the commit check
      // keeps its one setting.
      expect(await foreignKeys(db.knex)).to.equal(after + 23 - 3 - 3 - 1 - 8);
      const { rows: old } = await db.knex.raw("select pg_get_constraintdef(oid) as d from pg_constraint where conname = 'journal_entries_hash_check'");
      expect(old[0].d).to.include("{64}");
      expect(await layoutOf(db.knex)).to.deep.equal({ storage: "x", key: "PRIMARY KEY (committee_id, bank_account_id, line_key)",
        imports: "soquy_forbid_change", publish: "soquy_mark_verified per row, soquy_publish_figures per row, soquy_publish_number per row" });
      expect(await settings(db.knex, "soquy_check_entries")).to.deep.equal(["plan_cache_mode=force_generic_plan"]);
      const { rows: triggers } = await db.knex.raw(
        "select tgname from pg_trigger where tgname in ('journal_entries_open_period', 'donations_receiving_window', 'disbursements_purpose')");
      expect(triggers).to.have.length(3);
      expect(await columnType(db.knex, "bank_lines", "line_key")).to.equal("text");

      expect(await migrate(db.knex)).to.deep.equal([...stepped].reverse());
      expect(await foreignKeys(db.knex)).to.equal(after);
      expect(await columnType(db.knex, "bank_lines", "line_key")).to.equal("bytea");
      expect(await layoutOf(db.knex)).to.deep.equal({ storage: "e", key: "PRIMARY KEY (committee_id, bank_account_id, entry_date, line_key)",
        imports: "soquy_forbid_change_after_commit", publish: perStatement });
    } finally {
      await db.close();
    }
  });

  it("gives every existing token a person: a workspace user's tokens are that user, any other token a person of its own", async () => {
    const db = await openDatabase({ pglite: new PGlite() });
    try {
      await migrate(db.knex);
      // Back to just before people (0029), whatever came after it.
      while ((await db.knex.migrate.down(migrations) as [number, string[]])[1][0] !== "20261207000029_people.ts");
      const k = db.knex;
      const s = wire(db);
      const c = await s.store.createCommittee("mig-people", "Ủy ban thử");
      const token = async (role: string, name: string, extra: object = {}) =>
        Number((await k("api_tokens").insert({ committee_id: c.id, role, name, token_hash: Math.random().toString(16).slice(2).padEnd(64, "0"), ...extra }).returning("id"))[0].id);
      const principal = await token("approver", "Trần Duyệt", { user_principal: true });
      const [u] = await k("users").insert({ committee_id: c.id, login: "tran.duyet", name: "Trần Duyệt", role: "approver", principal_id: principal, password_hash: "scrypt$x" }).returning("id");
      const made = await token("approver", "Máy thứ hai (tran.duyet)", { created_by_user: u.id });
      const alone = await token("treasurer", "Thủ quỹ (dòng lệnh)");
      // One person verified one entry twice, once per token (what the old rule let through): history stays as it was.
      const treasurer = { tokenId: alone, committeeId: Number(c.id), committeeCode: "mig-people", role: "treasurer" as const, name: "t", personId: 0, personRole: "treasurer" as const };
      await s.ledger.createCampaign(treasurer, { code: "MIG", name: "Quỹ", kind: "for_the_poor", startsOn: "2024-01-01", receivingException: "x" }, { idempotencyKey: "mig-1", requestHash: "a".repeat(64) });
      const d = await s.ledger.recordDonation(treasurer, "MIG", { receivedOn: "2024-01-05", amountDong: "1000", method: "cash",
        donor: { name: "Nguyễn Văn An", kind: "individual", publishName: true } }, { idempotencyKey: "mig-2", requestHash: "b".repeat(64) });
      for (const by of [principal, made]) await k("entry_verifications").insert({ entry_id: d.entry.id, committee_id: c.id, verified_by: by });
      await migrate(db.knex);
      const kept = await k("entry_verifications").where({ entry_id: d.entry.id }).orderBy("verified_by").pluck("person_id");
      const refused = await k("entry_verifications").insert({ entry_id: d.entry.id, committee_id: c.id, verified_by: made }).then(() => null, (e: { code: string }) => e.code);
      expect(refused, "the person has verified it: a third time is refused").to.equal("SQ011");
      const persons = await k("api_tokens").whereIn("id", [principal, made, alone]).orderBy("id").pluck("person_id");
      const user = await k("users").where({ id: u.id }).first("person_id");
      expect(persons[0]).to.equal(user.person_id);
      expect(persons[1]).to.equal(user.person_id);
      expect(persons[2]).not.to.equal(user.person_id);
      expect(kept.map((x: string | null) => (x === null ? null : Number(x)))).to.deep.equal([Number(user.person_id), null]);
      const people = await k("people").where({ committee_id: c.id }).orderBy("id").select("name", "role");
      expect(people).to.deep.equal([{ name: "Trần Duyệt", role: "approver" }, { name: "Thủ quỹ (dòng lệnh)", role: "treasurer" }]);
      const audited = await k("audit_log").where({ committee_id: c.id, action: "person created" }).pluck("target");
      expect(audited).to.have.length(2);
      expect(audited[0]).to.contain("from an existing user");
    } finally {
      await db.close();
    }
  });

  it("knex's own CLI reads knexfile.ts: every migration in the folder is applied to the suite's database [PostgreSQL]", async function () {
    const url = process.env.TEST_DATABASE_OWNER_URL || process.env.TEST_DATABASE_URL; // knex's CLI migrates as the owner
    if (!url) this.skip();
    const db = await openDatabase({ databaseUrl: url });
    try {
      await migrate(db.knex); // as every suite does first; a no-op once one has
    } finally {
      await db.close();
    }
    const files = readdirSync(migrations.directory as string).filter((f) => f.endsWith(".ts")).sort();
    const { stdout } = await run(process.execPath, [...knexCli, "migrate:list"], { env: { ...process.env, DATABASE_URL: url } });
    expect(stdout).to.include(`Found ${files.length} Completed Migration file/files.`);
    for (const f of files) expect(stdout).to.include(f);
    expect(stdout).to.include("No Pending Migration files Found.");
  });

  it("knex's own CLI without DATABASE_URL says what to do instead", async () => {
    const env = { ...process.env };
    delete env.DATABASE_URL;
    const failed = await run(process.execPath, [...knexCli, "migrate:list"], { env }).then(() => null, (e: { code: number; stderr: string }) => e);
    expect(failed?.code).to.equal(1);
    expect(failed?.stderr).to.include("set DATABASE_URL").and.include("npm run cli -- migrate");
  });
});

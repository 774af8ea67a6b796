import { execFile } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { PGlite } from "@electric-sql/pglite";
import { expect } from "chai";
import type { Knex } from "knex";
import { legacyMigrations, migrations } from "../knexfile.js";
import { migrate, openDatabase, pendingMigrations } from "../src/db/connect.js";
import { BASELINE, deadFunctions, legacyNames, LegacySchema, upgradeLegacy } from "../src/db/legacy.js";
import { triggersRunAsOwner } from "../src/db/privileges.js";
import { wire } from "../src/context.js";
import { compareSchemas, dumpSchema, schemaObjects, tokens } from "./support/schemadump.js";

// The schema is built by the SQL baseline (the rule files of sql/) and the migrations after it; the chain the
// baseline replaced (migrations/legacy/) still brings forward a database it left part-way. The rules themselves are
// attacked in invariants.test.ts on whatever database the suite runs.

/** The newest migrations after the baseline that step back cleanly, newest first (add yours here when its down() undoes its up()). */
const stepped: string[] = ["20261207000052_reversal_releases_whole.ts", "20261207000051_analyze_in_imports.ts", "20261207000050_statement_pdf.ts", "20261207000047_saoke_released_lines.ts", "20261207000046_saoke.ts", "20261207000043_verify_jobs.ts", "20261207000042_bank_line_releases.ts", "20261207000041_shared_rate_limits.ts", "20261207000040_bank_import_jobs.ts", "20261207000038_receiving_windows.ts"];

/**
 * Rules a migration after the baseline changed in their sql/ file. The baseline runs the files as they are now, so on
 * the old chain's schema it already gives these their new text; each is the old chain's token for token otherwise
 * (git keeps the comparison as it stood when the baseline was made, with this list empty).
 */
const changedSinceBaseline = [
  "FUNCTION soquy_check_new_donations()", // 20261207000038: an exception extends the receiving window
];

/** Every migration of the folder, in the order they run: the baseline first. */
const folder = () => readdirSync(migrations.directory as string).filter((f) => f.endsWith(".ts")).sort();

async function settings(knex: Knex, fn: string): Promise<string[]> {
  const { rows } = await knex.raw("select coalesce(proconfig, '{}') as c from pg_proc where proname = ?", [fn]);
  return rows[0].c;
}

/** What the catalog says of the schema's functions, triggers, constraints and columns, in one comparable text. */
async function fingerprint(knex: Knex): Promise<string> {
  const { rows } = await knex.raw(`select string_agg(x, E'\\n' order by x) as f from (
      select 'function ' || p.oid::regprocedure || ' ' || md5(pg_get_functiondef(p.oid)) as x from pg_proc p where p.pronamespace = 'public'::regnamespace
      union all select 'trigger ' || t.tgname || ' ' || pg_get_triggerdef(t.oid) from pg_trigger t where not t.tgisinternal
      union all select 'constraint ' || c.conname || ' ' || pg_get_constraintdef(c.oid) from pg_constraint c where c.connamespace = 'public'::regnamespace
      -- a column's place among the live ones (a column dropped and added again takes a new attnum, the same place)
      union all select 'column ' || a.attrelid::regclass || '.' || a.attname || ' ' || format_type(a.atttypid, a.atttypmod) || ' '
          || row_number() over (partition by a.attrelid order by a.attnum)
        from pg_attribute a join pg_class r on r.oid = a.attrelid
        where r.relnamespace = 'public'::regnamespace and r.relkind = 'r' and a.attnum > 0 and not a.attisdropped) s`);
  return rows[0].f;
}

/** The old chain, one migration at a time, up to and with `last`. */
async function legacyUpTo(knex: Knex, last: string): Promise<void> {
  for (;;) {
    const [, applied] = (await knex.migrate.up(legacyMigrations)) as [number, string[]];
    if (applied.length === 0) throw new Error(`${last} is not in migrations/legacy/`);
    if (applied[0] === last) return;
  }
}

async function functionsPresent(knex: Knex, names: readonly string[]): Promise<string[]> {
  const { rows } = await knex.raw("select p.oid::regprocedure::text as f from pg_proc p where p.pronamespace = 'public'::regnamespace");
  const present = new Set(rows.map((r: { f: string }) => r.f));
  return names.filter((n) => present.has(n));
}

async function refusal(promise: Promise<unknown>): Promise<Error | null> {
  return promise.then(() => null, (e: Error) => e);
}

const run = promisify(execFile);
const root = fileURLToPath(new URL("..", import.meta.url));
/** `npm run knex --`, without npm in between (its exit status and output are knex's own). */
const knexCli = ["--import", "tsx", `${root}node_modules/knex/bin/cli.js`, "--knexfile", `${root}knexfile.ts`];

describe("migrations", function () {
  this.timeout(300_000);

  it("steps back over the migrations after the SQL baseline and forward again; the baseline itself is not undone", async () => {
    const db = await openDatabase({ pglite: new PGlite() });
    try {
      const applied = await migrate(db.knex);
      expect(applied).to.deep.equal(folder());
      expect(applied[0]).to.equal(BASELINE);
      const built = await fingerprint(db.knex);
      expect(await settings(db.knex, "soquy_check_entries")).to.have.members(["plan_cache_mode=force_generic_plan", "enable_seqscan=off", "jit=off", "search_path=public, pg_temp"]);
      for (const name of stepped) {
        const [, down] = (await db.knex.migrate.down(migrations)) as [number, string[]];
        expect(down).to.deep.equal([name]);
      }
      if (stepped.length === applied.length - 1) {
        const undone = await refusal(db.knex.migrate.down(migrations));
        expect(undone?.message).to.include("the SQL baseline is the first migration and is not undone");
      }
      expect(await migrate(db.knex)).to.deep.equal([...stepped].reverse());
      expect(await fingerprint(db.knex)).to.equal(built);
      expect(await migrate(db.knex)).to.deep.equal([]);
    } finally {
      await db.close();
    }
  });

  it("refuses a database the old chain left part-way, naming the command; that command brings it forward to the baseline's schema", async () => {
    const fresh = await openDatabase({ pglite: new PGlite() });
    const old = await openDatabase({ pglite: new PGlite() });
    try {
      await migrate(fresh.knex);
      await legacyUpTo(old.knex, "20261201000020_one_number_per_publication.ts");
      for (const attempt of [migrate(old.knex), pendingMigrations(old.knex), old.knex.migrate.latest(migrations)]) {
        const e = await refusal(attempt);
        expect(e?.message).to.include("stopped at 20261201000020_one_number_per_publication.ts").and.include("npm run --silent cli -- db upgrade-legacy");
      }
      expect(await refusal(migrate(old.knex))).to.be.instanceOf(LegacySchema);
      const { rows: before } = await old.knex.raw("select count(*)::int as n from knex_migrations");
      expect(before[0].n).to.equal(legacyNames().indexOf("20261201000020_one_number_per_publication.ts") + 1);

      const rest = await upgradeLegacy(old.knex);
      expect(rest).to.deep.equal(legacyNames().slice(legacyNames().indexOf("20261202000021_unsorted_entry_facts.ts")));
      expect(await functionsPresent(old.knex, deadFunctions)).to.deep.equal([...deadFunctions]);
      expect(await migrate(old.knex)).to.deep.equal(folder());
      expect(await functionsPresent(old.knex, deadFunctions)).to.deep.equal([]);
      // Built either way, the same functions (same text), triggers, constraints and columns.
      expect(await fingerprint(old.knex)).to.equal(await fingerprint(fresh.knex));
      expect(await pendingMigrations(old.knex)).to.deep.equal([]);
    } finally {
      await old.close();
      await fresh.close();
    }
  });

  it("gives every existing token a person when the old chain's people migration runs: a workspace user's tokens are that user, any other token a person of its own", async () => {
    const db = await openDatabase({ pglite: new PGlite() });
    const s = wire(db);
    try {
      await legacyUpTo(db.knex, "20261203000028_publish_per_statement.ts");
      const k = db.knex;
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
      await upgradeLegacy(db.knex);
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
      await s.close(); // and its statistics keeper
    }
  });

  it("the CLI refuses an embedded database the old chain left part-way, and `db upgrade-legacy` brings it forward", async () => {
    const dataDir = mkdtempSync(path.join(tmpdir(), "soquy-legacy-"));
    const cli = (...args: string[]) => run(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { cwd: root, env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", DATABASE_OWNER_URL: "" } })
      .then(({ stdout, stderr }) => ({ code: 0, stdout, stderr }), (e: { code: number; stdout: string; stderr: string }) => e);
    try {
      const db = await openDatabase({ dataDir, holder: "cli" });
      try {
        await legacyUpTo(db.knex, "20261201000020_one_number_per_publication.ts");
      } finally {
        await db.close();
      }
      const refused = await cli("migrate");
      expect(refused.code).to.equal(2);
      expect(refused.stderr).to.include("stopped at 20261201000020_one_number_per_publication.ts").and.include("npm run --silent cli -- db upgrade-legacy");
      const upgraded = await cli("db", "upgrade-legacy");
      expect(upgraded.code, upgraded.stderr).to.equal(0);
      expect(upgraded.stdout).to.include("20261202000021_unsorted_entry_facts.ts").and.include(BASELINE).and.include("schema is up to date");
      const again = await cli("migrate");
      expect(again.code, again.stderr).to.equal(0);
      expect(again.stdout.trim()).to.equal("schema is up to date");
    } finally {
      rmSync(dataDir, { recursive: true, force: true });
    }
  });

  it("builds the same schema both ways: pg_dump of the old chain and of the baseline differ by the dead functions alone [PostgreSQL]", async function () {
    const ownerUrl = process.env.TEST_DATABASE_OWNER_URL || process.env.TEST_DATABASE_URL;
    if (!ownerUrl) return this.skip(); // pg_dump reads a PostgreSQL server: there is none in an embedded run
    const admin = await openDatabase({ databaseUrl: ownerUrl, poolMax: 1 });
    const suffix = `${process.pid}_${Date.now() % 100000}`;
    const names = [`soquy_chain_${suffix}`, `soquy_base_${suffix}`];
    const urlOf = (name: string) => { const u = new URL(ownerUrl); u.pathname = `/${name}`; return u.toString(); };
    try {
      const { rows } = await admin.knex.raw("select rolcreatedb or rolsuper as can from pg_roles where rolname = current_user");
      if (!rows[0].can) return this.skip(); // the owner may not create the two scratch databases
      for (const name of names) await admin.knex.raw(`create database ${name} template template0 encoding 'UTF8'`);
      const [chainUrl, baseUrl] = names.map(urlOf) as [string, string];

      // Today's chain as it ran (its runner made trigger functions run as the owner after it), then the baseline alone, then the rest.
      const chain = await openDatabase({ databaseUrl: chainUrl, poolMax: 2 });
      let legacyDump: string, baselineDump: string;
      try {
        await chain.knex.migrate.latest(legacyMigrations);
        await chain.knex.raw(triggersRunAsOwner);
        legacyDump = await dumpSchema(chainUrl);
        const [, first] = (await chain.knex.migrate.up(migrations)) as [number, string[]];
        expect(first).to.deep.equal([BASELINE]);
        baselineDump = await dumpSchema(chainUrl);
        await migrate(chain.knex);
      } finally {
        await chain.close();
      }
      const base = await openDatabase({ databaseUrl: baseUrl, poolMax: 2 });
      try {
        await migrate(base.knex);
      } finally {
        await base.close();
      }

      // The baseline on the old chain's schema drops the dead functions; every other object is the same, token for token
      // (the rule files lay some bodies out for reading).
      const legacy = schemaObjects(legacyDump);
      const squashed = schemaObjects(baselineDump);
      expect(legacy.size).to.be.greaterThan(300);
      expect(compareSchemas(legacy, squashed, (a, b) => tokens(a) === tokens(b))).to.deep.equal({
        onlyLeft: deadFunctions.map((f) => `FUNCTION ${f}`).sort(), onlyRight: [], changed: [...changedSinceBaseline].sort(),
      });
      // Built from the old chain and brought forward, or built fresh: the same dump, byte for byte, and the same purposes.
      expect(compareSchemas(schemaObjects(await dumpSchema(chainUrl)), schemaObjects(await dumpSchema(baseUrl)))).to.deep.equal({ onlyLeft: [], onlyRight: [], changed: [] });
      const purposes = async (url: string) => {
        const db = await openDatabase({ databaseUrl: url, poolMax: 1 });
        try {
          return await db.knex("campaign_purposes").orderBy(["kind", "purpose"]).select("kind", "purpose");
        } finally {
          await db.close();
        }
      };
      const kept = await purposes(chainUrl);
      expect(kept).to.have.length(30);
      expect(await purposes(baseUrl)).to.deep.equal(kept);
    } finally {
      for (const name of names) await admin.knex.raw(`drop database if exists ${name} with (force)`);
      await admin.close();
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
    const files = folder();
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

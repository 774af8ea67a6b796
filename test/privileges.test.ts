import { expect } from "chai";
import type { Knex } from "knex";
import { execFile } from "node:child_process";
import { promisify } from "node:util";
import { openDatabase } from "../src/db/connect.js";
import { grantServicePrivileges } from "../src/db/privileges.js";
import { testOwnerKnex, testSoquy } from "./support/db.js";

// As the service's role, each way to rewrite history is refused by PostgreSQL itself. With
// TEST_DATABASE_OWNER_URL the tests already run as the service's role; without it (TEST_DATABASE_URL
// is the owner) this file makes a role of its own, grants it, and connects as it.
const onServer = Boolean(process.env.TEST_DATABASE_URL);
const run = promisify(execFile);

function asRole(url: string, role: string, password: string): string {
  const u = new URL(url);
  u.username = role;
  u.password = password;
  return u.toString();
}

/** The service's privileges, as a list: every table, column, sequence, function and schema right the role holds. */
async function privileges(owner: Knex, role: string): Promise<string[]> {
  const { rows } = await owner.raw(`
    select 'table ' || c.relname || ' ' || a.privilege_type from pg_class c, aclexplode(c.relacl) a
      where c.relnamespace = 'public'::regnamespace and a.grantee = to_regrole(?)
    union all select 'column ' || c.relname || '.' || t.attname || ' ' || a.privilege_type from pg_attribute t join pg_class c on c.oid = t.attrelid, aclexplode(t.attacl) a
      where c.relnamespace = 'public'::regnamespace and a.grantee = to_regrole(?)
    union all select 'function ' || p.oid::regprocedure || ' ' || a.privilege_type || ' ' || p.prosecdef from pg_proc p, aclexplode(p.proacl) a
      where p.pronamespace = 'public'::regnamespace and a.grantee = to_regrole(?)
    union all select 'default ' || d.defaclobjtype::text || ' ' || a.privilege_type from pg_default_acl d, aclexplode(d.defaclacl) a where a.grantee = to_regrole(?)
    order by 1`, [role, role, role, role]);
  return rows.map((r: { "?column?": string }) => Object.values(r)[0] as string);
}

async function refusal(knex: Knex, sql: string): Promise<{ code?: string; message: string } | null> {
  const trx = await knex.transaction();
  try {
    await trx.raw(sql);
    return null;
  } catch (error) {
    return error as { code?: string; message: string };
  } finally {
    await trx.rollback().catch(() => undefined);
  }
}

describe("the service's role on PostgreSQL (least privilege)", function () {
  let app: Knex;
  let role: string;
  let madeHere: { close(): Promise<void> } | null = null;
  before(async function () {
    if (!onServer) this.skip(); // PGlite is always the superuser
    const service = (await testSoquy()).db.knex;
    if (process.env.TEST_DATABASE_OWNER_URL) {
      app = service;
      role = (await service.raw("select current_user as me")).rows[0].me;
      return;
    }
    role = `soquy_lp_test_${process.pid}`;
    const password = `p${process.pid}x${Date.now()}`;
    await service.raw(`drop role if exists ${role}`);
    await service.raw(`create role ${role} login password '${password}'`);
    await grantServicePrivileges(service, role);
    const db = await openDatabase({ databaseUrl: asRole(process.env.TEST_DATABASE_URL!, role, password), poolMax: 2 });
    madeHere = db;
    app = db.knex;
  });
  after(async () => {
    if (!madeHere) return;
    await madeHere.close();
    const owner = await testOwnerKnex();
    const [{ db }] = (await owner.raw("select current_database() as db")).rows;
    await owner.raw(`revoke all on database ${db} from ${role}`);
    await owner.raw(`drop owned by ${role}`);
    await owner.raw(`drop role ${role}`);
  });
  const attacks: [string, string][] = [
    ["UPDATE journal_entries", "update journal_entries set description = description"],
    ["DELETE journal_entries", "delete from journal_entries"],
    ["UPDATE postings", "update postings set amount_dong = amount_dong"],
    ["DELETE postings", "delete from postings"],
    ["UPDATE donations", "update donations set note = note"],
    ["DELETE donations", "delete from donations"],
    ["UPDATE account_balances", "update account_balances set balance_dong = balance_dong"],
    ["DELETE account_balances", "delete from account_balances"],
    ["DELETE checkpoints", "delete from checkpoints"],
    ["TRUNCATE postings", "truncate postings cascade"],
    ["ALTER TABLE … DISABLE TRIGGER", "alter table postings disable trigger user"],
    ["DROP TRIGGER", "drop trigger postings_append_only on postings"],
    ["CREATE FUNCTION", "create function public.soquy_lp_probe() returns int language sql as 'select 1'"],
    ["SET session_replication_role", "set local session_replication_role = replica"],
    ["DROP TABLE", "drop table audit_log"],
  ];
  for (const [what, sql] of attacks) {
    it(`refuses ${what}`, async () => {
      const error = await refusal(app, sql);
      expect(error, `${what} ran`).to.not.equal(null);
      expect(error!.code, error!.message).to.equal("42501"); // insufficient_privilege, not a trigger's refusal
    });
  }
});

describe("db grant", function () {
  const cli = (env: Record<string, string>, ...args: string[]) =>
    run("node", ["--import", "tsx", "src/cli.ts", ...args], { env: { ...process.env, ...env } }).then(
      (r) => ({ code: 0, out: r.stdout, err: r.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout, err: e.stderr }));
  let ownerUrl: string;
  before(async function () {
    if (!onServer) this.skip();
    await testSoquy();
    ownerUrl = process.env.TEST_DATABASE_OWNER_URL || process.env.TEST_DATABASE_URL!;
  });

  it("is idempotent: granting the same role again changes nothing", async () => {
    const owner = await testOwnerKnex();
    const role = `soquy_lp_again_${process.pid}`;
    await owner.raw(`drop role if exists ${role}`);
    await owner.raw(`create role ${role} nologin`);
    try {
      // What it should not have goes: a stray right is revoked.
      await owner.raw(`grant update, delete, truncate on postings to ${role}`);
      const first = await cli({ DATABASE_OWNER_URL: ownerUrl, DATABASE_URL: ownerUrl }, "db", "grant", "--role", role);
      expect(first.code, first.err).to.equal(0);
      const once = await privileges(owner, role);
      expect(once).to.include("table journal_entries SELECT").and.include("table journal_entries INSERT");
      expect(once).to.include("column users.password_hash UPDATE").and.include("column bank_imports.finished_at UPDATE");
      expect(once.filter((p) => /^table .* (UPDATE|DELETE|TRUNCATE|TRIGGER)$/.test(p)), "no table-wide UPDATE, DELETE, TRUNCATE or TRIGGER").to.deep.equal([]);
      expect(once).to.not.include("table account_balances INSERT");
      const again = await cli({ DATABASE_OWNER_URL: ownerUrl, DATABASE_URL: ownerUrl }, "db", "grant", "--role", role);
      expect(again.code, again.err).to.equal(0);
      expect(await privileges(owner, role)).to.deep.equal(once);
      const { rows } = await owner.raw("select count(*)::int as n from pg_proc where pronamespace = 'public'::regnamespace and prorettype = 'trigger'::regtype and not prosecdef");
      expect(rows[0].n, "every trigger function runs as the owner").to.equal(0);
    } finally {
      const [{ db }] = (await owner.raw("select current_database() as db")).rows;
      await owner.raw(`revoke all on database ${db} from ${role}`);
      await owner.raw(`drop owned by ${role}`);
      await owner.raw(`drop role ${role}`);
    }
  });

  it("refuses a role that does not exist in one line, exit 2, nothing changed", async () => {
    const r = await cli({ DATABASE_OWNER_URL: ownerUrl, DATABASE_URL: ownerUrl }, "db", "grant", "--role", "soquy_lp_nobody");
    expect(r.code).to.equal(2);
    expect(r.err.trim().split("\n")).to.have.length(1);
    expect(r.err).to.contain("there is no role soquy_lp_nobody");
  });

  it("refuses a wrong owner URL in one line, exit 2", async () => {
    const wrong = asRole(ownerUrl, "soquy_lp_nobody", "x");
    const r = await cli({ DATABASE_OWNER_URL: wrong, DATABASE_URL: ownerUrl }, "db", "grant", "--role", "postgres");
    expect(r.code).to.equal(2);
    expect(r.err.trim().split("\n")).to.have.length(1);
    expect(r.err).to.contain("cannot connect with DATABASE_OWNER_URL");
  });

  it("refuses an owner URL whose role does not own the schema, and a superuser as the service's role", async () => {
    if (!process.env.TEST_DATABASE_OWNER_URL) return; // needs a second, non-owner role: the service's
    const notOwner = await cli({ DATABASE_OWNER_URL: process.env.TEST_DATABASE_URL!, DATABASE_URL: ownerUrl }, "db", "grant", "--role", "postgres");
    expect(notOwner.code).to.equal(2);
    expect(notOwner.err).to.match(/superuser|does not own the schema/);
  });
});

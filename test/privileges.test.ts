import { expect } from "chai";
import type { Knex } from "knex";
import { execFile, spawn } from "node:child_process";
import { createServer } from "node:net";
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

/** Starts the server on a free port; resolves with its output once it listens (then stops it) or exits. */
async function startServer(env: Record<string, string>): Promise<{ code: number | null; out: string }> {
  const port = await new Promise<number>((ok) => {
    const srv = createServer().listen(0, "127.0.0.1", () => {
      const p = (srv.address() as { port: number }).port;
      srv.close(() => ok(p));
    });
  });
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      env: { ...process.env, ...env, PORT: String(port), NODE_ENV: "production", SOQUY_DEMO: "0", LOG_LEVEL: "warn" }, stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    const timer = setTimeout(() => (child.kill("SIGKILL"), reject(new Error(`no start in 60 s: ${out}`))), 60_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("soquy is listening")) child.kill("SIGTERM");
    };
    child.stdout.on("data", onData);
    child.stderr.on("data", onData);
    child.on("exit", (code) => (clearTimeout(timer), resolve({ code, out })));
  });
}

describe("the service's role on PostgreSQL (least privilege)", function () {
  let app: Knex;
  let appUrl: string;
  let role: string;
  let madeHere: { close(): Promise<void> } | null = null;
  before(async function () {
    if (!onServer) this.skip(); // PGlite is always the superuser
    const service = (await testSoquy()).db.knex;
    if (process.env.TEST_DATABASE_OWNER_URL) {
      app = service;
      appUrl = process.env.TEST_DATABASE_URL!;
      role = (await service.raw("select current_user as me")).rows[0].me;
      return;
    }
    role = `soquy_lp_test_${process.pid}`;
    const password = `p${process.pid}x${Date.now()}`;
    await service.raw(`drop role if exists ${role}`);
    await service.raw(`create role ${role} login password '${password}'`);
    await grantServicePrivileges(service, role);
    appUrl = asRole(process.env.TEST_DATABASE_URL!, role, password);
    const db = await openDatabase({ databaseUrl: appUrl, poolMax: 2 });
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
  it("reads, inserts and locks what the service needs (the whole suite runs as this role in CI)", async () => {
    const { rows } = await app.raw("select id from committees order by id limit 1 for no key update");
    expect(rows.length).to.be.at.most(1);
    await app.transaction(async (trx) => {
      await trx.raw("create temp table soquy_lp_staging (n int) on commit drop");
      await trx.raw("insert into soquy_lp_staging values (1)");
    });
  });

  it("refreshes the ledger's statistics inside a bank import: its own ANALYZE is skipped, the owner's function's is not", async () => {
    const conn = (await app.client.acquireConnection()) as { query(sql: string): Promise<unknown>; on(e: "notice", f: (n: { message: string }) => void): void;
      removeAllListeners(e: string): void };
    const notices: string[] = [];
    conn.on("notice", (n) => notices.push(n.message));
    try {
      await conn.query("analyze journal_entries");
      expect(notices.join(" | "), "a non-owner's ANALYZE is skipped").to.match(/skipping "journal_entries"/);
      notices.length = 0;
      await conn.query("begin");
      await conn.query("select soquy_analyze_ledger()");
      await conn.query("commit");
      expect(notices, "the import's ANALYZE runs as the owner").to.deep.equal([]);
      // Held to the end of an import's transaction, its lock makes another import's ANALYZE go on without, never wait.
      await conn.query("begin");
      await conn.query("select soquy_analyze_ledger()");
      await app.transaction(async (trx) => {
        await trx.raw("set local lock_timeout = '2s'");
        await trx.raw("select soquy_analyze_ledger()");
      });
      await conn.query("commit");
    } finally {
      conn.removeAllListeners("notice");
      await app.client.releaseConnection(conn);
    }
  });

  it("starts the server without migrating, and refuses to start while a migration is pending, naming it and the command", async () => {
    const owner = await testOwnerKnex();
    const last = (await owner.raw("select * from knex_migrations order by id desc limit 1")).rows[0];
    const ok = await startServer({ DATABASE_URL: appUrl });
    expect(ok.out).to.contain("soquy is listening");
    expect(ok.out).to.not.contain("owns the schema");
    await owner.raw("delete from knex_migrations where id = ?", [last.id]);
    try {
      const refused = await startServer({ DATABASE_URL: appUrl });
      expect(refused.code).to.equal(2);
      expect(refused.out.trim().split("\n")).to.have.length(1);
      expect(refused.out).to.contain(last.name).and.contain("npm run --silent cli -- migrate").and.contain("db grant");
    } finally {
      await owner("knex_migrations").insert(last);
    }
  });

  it("an owner's DATABASE_URL still starts the server, and the start-up log warns once", async () => {
    const ownerUrl = process.env.TEST_DATABASE_OWNER_URL || process.env.TEST_DATABASE_URL!;
    const r = await startServer({ DATABASE_URL: ownerUrl });
    expect(r.out).to.contain("soquy is listening");
    expect(r.out.split("owns the schema").length - 1).to.equal(1);
  });

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

  it("refuses a superuser as the service's role, and an owner URL whose role does not own the schema", async () => {
    const superuser = await cli({ DATABASE_OWNER_URL: ownerUrl, DATABASE_URL: ownerUrl }, "db", "grant", "--role", "postgres");
    expect(superuser.code).to.equal(2);
    expect(superuser.err).to.contain("postgres is a superuser");
    if (!process.env.TEST_DATABASE_OWNER_URL) return; // the second case needs a role that is not the owner: the service's
    const notOwner = await cli({ DATABASE_OWNER_URL: process.env.TEST_DATABASE_URL!, DATABASE_URL: ownerUrl }, "db", "grant", "--role", new URL(process.env.TEST_DATABASE_URL!).username);
    expect(notOwner.code).to.equal(2);
    expect(notOwner.err).to.contain("does not own the schema");
  });
});

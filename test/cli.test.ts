import { expect } from "chai";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { hashToken, openSoquy, type Soquy } from "../src/context.js";
import { testOwnerKnex, uniqueCode } from "./support/db.js";

// The CLI as a user runs it: a separate process on a real database — an
// on-disk PGlite folder, or the test PostgreSQL when TEST_DATABASE_URL is set.
const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");
const pgUrl = process.env.TEST_DATABASE_URL;

describe("CLI", function () {
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(path.join(tmpdir(), "soquy-cli-"));
    if (pgUrl) await testOwnerKnex(); // the schema is migrated by its owner before the service's role uses it
  });
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  async function cli(...args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
    const env = { ...process.env, DATA_DIR: dataDir, DATABASE_URL: pgUrl ?? "", DATABASE_OWNER_URL: process.env.TEST_DATABASE_OWNER_URL ?? "" };
    try {
      const { stdout, stderr } = await run(process.execPath, ["--import", "tsx", "src/cli.ts", ...args], { cwd: root, env });
      return { code: 0, stdout, stderr };
    } catch (error) {
      const e = error as { code: number; stdout: string; stderr: string };
      return { code: e.code, stdout: e.stdout, stderr: e.stderr };
    }
  }

  async function open(): Promise<Soquy> {
    return openSoquy(pgUrl ? { databaseUrl: pgUrl } : { dataDir, holder: "server" });
  }

  it("creates a committee and a token, printing only the token", async () => {
    const code = uniqueCode("cli");
    const created = await cli("committee", "create", "--code", code, "--name", "Ủy ban MTTQ Phường 1");
    expect(created.code, created.stderr).to.equal(0);
    expect(created.stdout.trim()).to.equal(code);
    const token = await cli("token", "create", "--committee", code, "--role", "treasurer", "--name", "Thủ quỹ Lê Thị Hoa");
    expect(token.code, token.stderr).to.equal(0);
    expect(token.stdout).to.match(/^sq_[A-Za-z0-9_-]{43}\n$/);
    const s = await open();
    try {
      const p = await s.store.findPrincipal(hashToken(token.stdout.trim()));
      expect(p).to.include({ committeeCode: code, role: "treasurer", name: "Thủ quỹ Lê Thị Hoa" });
    } finally {
      await s.close();
    }
    const list = await cli("committee", "list");
    expect(list.stdout).to.contain(`${code}\tỦy ban MTTQ Phường 1`);
  });

  it("names the field when arguments are wrong", async () => {
    const bad = await cli("token", "create", "--committee", "x", "--role", "boss", "--name", "y");
    expect(bad.code).to.equal(2);
    expect(bad.stderr).to.contain("validation_failed: --role must be one of");
    const missing = await cli("committee", "create", "--code", uniqueCode("m"));
    expect(missing.code).to.equal(2);
    expect(missing.stderr).to.contain("--name is required");
    const unknown = await cli("frobnicate");
    expect(unknown.code).to.equal(2);
  });

  it("sets up a campaign, printing its receiving window, and refuses bad arguments in one line naming the option", async function () {
    this.timeout(400_000); // nine CLI runs, each opening the embedded database
    const code = uniqueCode("cam");
    await cli("committee", "create", "--code", code, "--name", "Ủy ban MTTQ Phường 3");
    const args = ["campaign", "create", "--committee", code, "--code", "TET2027", "--name", "Quà Tết Đinh Mùi 2027", "--kind", "tet_gifts"];
    const made = await cli(...args, "--starts-on", "2026-12-01", "--ends-on", "2027-01-31", "--target", "150.000.000");
    expect(made.code, made.stderr).to.equal(0);
    expect(made.stdout).to.equal("TET2027\treceives from 2026-12-01 to 2027-01-31\n");
    const s = await open();
    try {
      const c = await s.store.findCampaign((await s.store.findCommittee(code))!.id, "TET2027");
      expect(c).to.include({ name: "Quà Tết Đinh Mùi 2027", kind: "tet_gifts", targetDong: 150_000_000n, startsOn: "2026-12-01", endsOn: "2027-01-31" });
    } finally {
      await s.close();
    }
    const refused = async (extra: string[], says: string, base = args) => {
      const r = await cli(...base, ...extra);
      expect(r.code, r.stdout).to.equal(2);
      expect(r.stderr.trim().split("\n"), "one line").to.have.length(1);
      expect(r.stderr).to.contain(says);
    };
    await refused(["--starts-on", "2026-12-01"], "campaign_code_taken");
    const other = args.map((a) => (a === "TET2027" ? "TET2028" : a));
    await refused(["--starts-on", "01/12/2026"], "--starts-on: must be a date as YYYY-MM-DD", other);
    await refused(["--starts-on", "2026-12-01", "--ends-on", "2026-11-01"], "--ends-on", other);
    await refused(["--starts-on", "2026-12-01", "--target", "nhiều"], "--target", other);
    await refused([], "--starts-on is required", other);
    await refused(["--starts-on", "2026-12-01"], "--kind must be one of", other.map((a) => (a === "tet_gifts" ? "tet" : a)));
  });

  it("verifies the chain, and reports the first broken sequence after tampering", async () => {
    const code = uniqueCode("v");
    await cli("committee", "create", "--code", code, "--name", "Ủy ban MTTQ xã Kiểm Tra");
    let s = await open();
    try {
      const committee = await s.store.findCommittee(code);
      const token = (await import("../src/context.js")).createToken;
      const t = await token(s, committee!.id, "treasurer", "Thủ quỹ");
      const p = (await s.store.findPrincipal(hashToken(t)))!;
      await s.ledger.createCampaign(p, { code: "VNN", name: "Vì người nghèo", kind: "for_the_poor", startsOn: "2024-01-01" }, { idempotencyKey: "c", requestHash: "0".repeat(64) });
      for (let i = 1; i <= 3; i++) {
        await s.ledger.recordDonation(p, "VNN", {
          receivedOn: "2024-01-0" + i, amountDong: String(i * 10000), method: "cash",
          donor: { name: `Nhà hảo tâm ${i}`, kind: "individual", publishName: false },
        }, { idempotencyKey: `d${i}`, requestHash: String(i).repeat(64) });
      }
    } finally {
      await s.close();
    }
    const ok = await cli("verify", "--committee", code);
    expect(ok.code, ok.stderr).to.equal(0);
    expect(ok.stdout).to.match(new RegExp(`${code}: 3 entries checked, ok`));

    s = await open();
    try {
      // What a superuser could do behind the application's back.
      await (pgUrl ? await testOwnerKnex() : s.db.knex).transaction(async (trx) => {
        await trx.raw("set local session_replication_role = replica");
        await trx.raw(
          "update journal_entries set description = 'Nhận ủng hộ 1 đồng' where seq = 2 and committee_id = (select id from committees where code = ?)",
          [code],
        );
      });
    } finally {
      await s.close();
    }
    const broken = await cli("verify", "--committee", code);
    expect(broken.code).to.equal(1);
    expect(broken.stdout).to.contain(`${code}: 2 entries checked, broken at sequence 2`);
  });

  it("refuses clearly while the server holds the embedded data folder", async function () {
    if (pgUrl) this.skip(); // the lock guards PGlite folders only
    const s = await openSoquy({ dataDir, holder: "server" });
    try {
      const r = await cli("committee", "list");
      expect(r.code).to.equal(3);
      expect(r.stderr).to.match(/in use by the server \(pid \d+/);
    } finally {
      await s.close();
    }
    const after = await cli("committee", "list");
    expect(after.code).to.equal(0);
  });
});

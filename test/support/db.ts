import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { PGlite } from "@electric-sql/pglite";
import type { Knex } from "knex";
import { type Database, openDatabase, migrate } from "../../src/db/connect.js";
import { grantServicePrivileges } from "../../src/db/privileges.js";
import { createToken, type Soquy, wire } from "../../src/context.js";
import type { Campaign, Committee, Principal, Role } from "../../src/ledger/types.js";

// One real database per test process: PostgreSQL when TEST_DATABASE_URL is
// set, otherwise an in-memory PGlite. Suites stay apart by each creating its
// own committees (the ledger's unit of isolation), never by mocking. With
// TEST_DATABASE_OWNER_URL too, the owner migrates and grants TEST_DATABASE_URL's
// role the service's privileges, and the tests run as that role, as production does.
let shared: Promise<Soquy> | null = null;
let owner: Promise<Database> | null = null;

const ownerUrl = () => (process.env.TEST_DATABASE_URL && process.env.TEST_DATABASE_OWNER_URL) || undefined;

/**
 * The schema owner's connection, for the tests that tamper behind the service's back (with
 * triggers off, or as an owner would): the service's own when it is the owner (PGlite, or no
 * TEST_DATABASE_OWNER_URL).
 */
export async function testOwnerKnex(): Promise<Knex> {
  const url = ownerUrl();
  if (!url) return (await testSoquy()).db.knex;
  await testSoquy();
  return (await owner!).knex;
}

// The suites read public answers right after what they publish: kept answers are checked against the
// public generation on every request here (the service's default trusts it for a second).
process.env.PUBLIC_CACHE_CHECK_MS ??= "0";
// Each app a suite makes counts its own rate limits, as the suites expect, also on PostgreSQL (where the
// service's default counts in the database, shared by every app on it); the shared counts have their
// own tests (sharedlimits.test.ts).
process.env.RATE_LIMIT_STORE ??= "memory";

/** A signing key of this test process's own, in a temporary folder. */
const keyDir = mkdtempSync(path.join(tmpdir(), "soquy-key-"));
export const testSigningKeyFile = path.join(keyDir, "signing-key.pem");
process.once("exit", () => rmSync(keyDir, { recursive: true, force: true }));

export function testSoquy(): Promise<Soquy> {
  shared ??= (async () => {
    const url = process.env.TEST_DATABASE_URL || undefined;
    const db = await openDatabase(url ? { databaseUrl: url } : { pglite: new PGlite() });
    const asOwner = ownerUrl();
    if (asOwner) {
      owner = openDatabase({ databaseUrl: asOwner, poolMax: 4 });
      const o = await owner;
      await migrate(o.knex);
      const [{ me }] = (await db.knex.raw("select current_user as me")).rows;
      await grantServicePrivileges(o.knex, me);
    } else {
      await migrate(db.knex);
    }
    return wire(db, { signingKeyFile: testSigningKeyFile });
  })();
  return shared;
}

export async function closeTestSoquy(): Promise<void> {
  if (!shared) return;
  const s = await shared;
  shared = null;
  await s.close();
  if (owner) await (await owner).close();
  owner = null;
}

export function uniqueCode(prefix = "t"): string {
  return `${prefix}-${randomBytes(5).toString("hex")}`;
}

export interface TestCommittee {
  committee: Committee;
  tokens: Record<Role, string>;
  principals: Record<Role, Principal>;
}

/** The areas every test committee lists (a disbursement names one of its committee's areas). */
export const TEST_AREAS = [
  ...Array.from({ length: 10 }, (_, i) => `Khu phố ${i + 1}`), ...Array.from({ length: 10 }, (_, i) => `Tổ ${i + 1}`),
  "Ấp 1", "Ấp 2", "Ấp 3", "Ấp Tân Hòa", "Ấp Tân Hưng", "Tổ 3, phường Bến Thành", "Tổ 5, phường An Hòa", "Khu phố 4; ấp 2: Hòa Bình", "=Khu 3, ấp \"2\"",
];

export async function addAreas(s: Soquy, committeeId: number, names: readonly string[] = TEST_AREAS): Promise<void> {
  for (const n of names) await s.store.addArea(committeeId, n, null);
}

export async function makeCommittee(s: Soquy, name = "Ủy ban MTTQ phường thử"): Promise<TestCommittee> {
  const committee = await s.store.createCommittee(uniqueCode("c"), name);
  await addAreas(s, committee.id);
  const tokens = {} as Record<Role, string>;
  const principals = {} as Record<Role, Principal>;
  for (const role of ["treasurer", "approver", "auditor", "admin"] as const) {
    tokens[role] = await createToken(s, committee.id, role, `${role} test`);
    const { hashToken } = await import("../../src/context.js");
    const p = await s.store.findPrincipal(hashToken(tokens[role]));
    if (!p) throw new Error("token just created is found");
    principals[role] = p;
  }
  return { committee, tokens, principals };
}

let keyCounter = 0;
export function meta(prefix = "k") {
  keyCounter++;
  return { idempotencyKey: `${prefix}-${keyCounter}-${randomBytes(4).toString("hex")}`, requestHash: randomBytes(32).toString("hex") };
}

export interface LedgerFixture {
  s: Soquy;
  tc: TestCommittee;
  p: Principal;
  c: Campaign;
  committeeId: number;
}

/** A fresh committee with one For-the-Poor campaign, written to by its treasurer. */
export async function ledgerFixture(code: string, startsOn: string, receivingException?: string): Promise<LedgerFixture> {
  const s = await testSoquy();
  const tc = await makeCommittee(s);
  const p = tc.principals.treasurer;
  await s.ledger.createCampaign(p, { code, name: "Quỹ Vì người nghèo 2025", kind: "for_the_poor", startsOn, receivingException }, meta());
  return { s, tc, p, c: await s.ledger.campaign(tc.committee.id, code), committeeId: tc.committee.id };
}

import { expect } from "chai";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { pino } from "pino";
import request from "supertest";
import { wire } from "../src/context.js";
import { openDatabase } from "../src/db/connect.js";
import { createApp } from "../src/http/app.js";
import { Signer } from "../src/public/signing.js";
import { makeCommittee, testSoquy } from "./support/db.js";

// Several processes, one key: in production soquy never makes a signing key of its own (a key made by
// whichever process signed first would make every other process's checkpoints fail verify); it signs
// with the file the operator gives every process, and refuses, before writing anything, without it.

/** A second service on its own connection to the suite's database, as a second process would be. */
async function secondService(keyFile: string) {
  const shared = await testSoquy();
  const url = process.env.TEST_DATABASE_URL;
  if (!url) return { s: wire(shared.db, { signingKeyFile: keyFile }), close: async () => {} }; // PGlite: one process holds the folder
  const db = await openDatabase({ databaseUrl: url });
  return { s: wire(db, { signingKeyFile: keyFile }), close: () => db.close() };
}

function inProduction<T>(work: () => Promise<T>): Promise<T> {
  const before = process.env.NODE_ENV;
  process.env.NODE_ENV = "production";
  return work().finally(() => {
    if (before === undefined) delete process.env.NODE_ENV;
    else process.env.NODE_ENV = before;
  });
}

describe("the checkpoint signing key in production", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), "soquy-keys-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it("is never made by a process: closing the books and signing are refused with 503 before anything is written", () => inProduction(async () => {
    const missing = path.join(dir, "never-made.pem");
    const { s, close } = await secondService(missing);
    try {
      const tc = await makeCommittee(s, "Ủy ban MTTQ phường Không Khóa");
      const app = createApp(s, pino({ level: "silent" }));
      const res = await request(app).post("/api/v1/periods").set("Authorization", `Bearer ${tc.tokens.approver}`)
        .set("Idempotency-Key", "close-without-key").send({ through: "2024-06-30" });
      expect(res.status).to.equal(503);
      expect(res.body.code).to.equal("signing_key_missing");
      expect(res.body.detail).to.contain(missing).and.to.contain("key create");
      expect(await s.db.knex("period_closes").where({ committee_id: tc.committee.id }).count("* as n").first()).to.deep.include({ n: "0" });
      const ckpt = await request(app).post("/api/v1/checkpoints").set("Authorization", `Bearer ${tc.tokens.approver}`).send({});
      expect(ckpt.status).to.equal(503);
      const { existsSync } = await import("node:fs");
      expect(existsSync(missing)).to.equal(false);
    } finally {
      await close();
    }
  }));

  it("is the operator's file, shared: a checkpoint signed by one process verifies in another", () => inProduction(async () => {
    const file = path.join(dir, "shared.pem");
    Signer.fromFile(file); // what `cli key create --out` does, once
    const a = await secondService(file);
    const b = await secondService(file);
    try {
      const tc = await makeCommittee(a.s, "Ủy ban MTTQ phường Hai Tiến Trình");
      const signed = await a.s.checkpoints().create(tc.committee, "on_demand", null);
      expect(signed.keyId).to.equal(b.s.signer().info.keyId);
      const report = await b.s.verify(tc.committee.id);
      expect(report.ok, report.reason ?? "").to.equal(true);
    } finally {
      await a.close();
      await b.close();
    }
  }));
});

describe("a committee's own checkpoint key", () => {
  let dir: string;
  before(() => (dir = mkdtempSync(path.join(tmpdir(), "soquy-committee-keys-"))));
  after(() => rmSync(dir, { recursive: true, force: true }));

  /** A service wired with these settings (read when it is wired, as at start). */
  async function serviceWith(env: Record<string, string>) {
    const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
    Object.assign(process.env, env);
    try {
      return wire((await testSoquy()).db, { signingKeyFile: path.join(dir, "service.pem") });
    } finally {
      for (const [k, v] of Object.entries(saved)) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
  }

  it("signs that committee's checkpoints, is listed by /.well-known/soquy-key, and stays trusted once retired", async () => {
    const keysDir = path.join(dir, "committees");
    const own = await makeCommittee(await testSoquy(), "Ủy ban MTTQ phường Khóa Riêng");
    const other = await makeCommittee(await testSoquy(), "Ủy ban MTTQ phường Khóa Chung");
    const { mkdirSync, unlinkSync } = await import("node:fs");
    mkdirSync(keysDir);
    const ownKey = Signer.fromFile(path.join(keysDir, `${own.committee.code}.pem`));
    const s = await serviceWith({ SOQUY_SIGNING_KEYS_DIR: keysDir });
    const a = await s.checkpoints().create(own.committee, "on_demand", null);
    const b = await s.checkpoints().create(other.committee, "on_demand", null);
    expect(a.keyId).to.equal(ownKey.info.keyId);
    expect(b.keyId).to.equal(s.signer().info.keyId).and.not.equal(ownKey.info.keyId);
    expect((await s.verify(own.committee.id)).ok).to.equal(true);

    const app = createApp(s, pino({ level: "silent" }));
    const one = (await request(app).get(`/.well-known/soquy-key?committee=${own.committee.code}`).expect(200)).body;
    expect(one).to.include({ keyId: ownKey.info.keyId, committee: own.committee.code });
    const all = (await request(app).get("/.well-known/soquy-key").expect(200)).body;
    expect(all.keyId).to.equal(s.signer().info.keyId);
    expect(all.keys).to.deep.include({ ...ownKey.info, committee: own.committee.code, status: "current" });
    await request(app).get("/.well-known/soquy-key?committee=no-such-committee").expect(404);

    // The committee's key taken out of use: its old checkpoint fails until the key is named retired.
    unlinkSync(path.join(keysDir, `${own.committee.code}.pem`));
    const after = await serviceWith({ SOQUY_SIGNING_KEYS_DIR: keysDir });
    const broken = await after.verify(own.committee.id);
    expect(broken.ok).to.equal(false);
    expect(broken.reason).to.contain(ownKey.info.keyId);
    const retired = await serviceWith({ SOQUY_SIGNING_KEYS_DIR: keysDir, SOQUY_RETIRED_KEYS: `${own.committee.code}:${ownKey.info.publicKey}` });
    expect((await retired.verify(own.committee.id)).ok).to.equal(true);
    expect((await retired.verify(other.committee.id)).ok).to.equal(true);
  });
});

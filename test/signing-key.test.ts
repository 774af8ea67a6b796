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

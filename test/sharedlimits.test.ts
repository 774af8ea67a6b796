import { expect } from "chai";
import type { Express } from "express";
import type { Knex } from "knex";
import { pino } from "pino";
import request from "supertest";
import { wire, type Soquy } from "../src/context.js";
import { openDatabase } from "../src/db/connect.js";
import { createApp } from "../src/http/app.js";
import { makeCommittee, testSigningKeyFile, testSoquy, testOwnerKnex } from "./support/db.js";
import { startService, type ServiceProcess } from "./support/service.js";

// The limits that protect something — requests without a token (sign-in among them), the donor
// self-check, refused tokens — counted in PostgreSQL (RATE_LIMIT_STORE=database), so that N service
// processes allow what one would; answers the public cache keeps are served without asking it.
// Each test speaks for a client address of its own (X-Forwarded-For behind TRUST_PROXY=1), and starts
// early in a window (windows are aligned to the database's clock), so that no window ends mid-test.

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let client = 0;
const newClient = () => `10.${(process.pid >> 8) & 255}.${process.pid & 255}.${++client}`;

/** Waits, if need be, until the current window of `windowMs` has at least 10 s left. */
async function freshWindow(knex: Knex, windowMs: number): Promise<void> {
  const { rows } = await knex.raw("select (extract(epoch from clock_timestamp()) * 1000)::float8 as ms");
  const left = windowMs - (Number(rows[0].ms) % windowMs);
  if (left < 10_000) await sleep(left + 200);
}

/** An app made with these variables (read as it is made, as at a process's start). */
function appWith(s: Soquy, env: Record<string, string>): Express {
  const saved = Object.fromEntries(Object.keys(env).map((k) => [k, process.env[k]]));
  Object.assign(process.env, env);
  try {
    return createApp(s, pino({ level: "silent" }));
  } finally {
    for (const [k, v] of Object.entries(saved)) {
      if (v === undefined) delete process.env[k];
      else process.env[k] = v;
    }
  }
}

describe("rate limits shared through the database", function () {
  this.timeout(300_000);
  let s: Soquy;
  let second: Soquy;
  let closeSecond = async () => {};
  before(async () => {
    s = await testSoquy();
    // A second service on its own pool, as a second process is (PGlite: the same database, one process holds it).
    const url = process.env.TEST_DATABASE_URL;
    const db = url ? await openDatabase({ databaseUrl: url, poolMax: 2 }) : s.db;
    second = wire(db, { signingKeyFile: testSigningKeyFile });
    closeSecond = async () => {
      await second.statistics.stop();
      if (db !== s.db) await db.close();
    };
  });
  after(() => closeSecond());

  // RATE_LIMIT_PER_MINUTE=1: one request a 60 s window; SELF_CHECK_PER_MINUTE=15: fifteen a 60 s window.
  const limits = { RATE_LIMIT_PER_MINUTE: "1", SELF_CHECK_PER_MINUTE: "15", TRUST_PROXY: "1" };

  it("allow two services together what one allows, where each counting for itself allowed twice that", async () => {
    await freshWindow(s.db.knex, 60_000);
    const hit = (app: Express, who: string) => request(app).get("/api/openapi.json").set("X-Forwarded-For", who);
    const [a, b] = [appWith(s, { ...limits, RATE_LIMIT_STORE: "database" }), appWith(second, { ...limits, RATE_LIMIT_STORE: "database" })];
    const who = newClient();
    const first = await hit(a, who);
    const refused = await hit(b, who);
    expect([first.status, refused.status]).to.deep.equal([200, 429]);
    expect(refused.body.code).to.equal("rate_limited");
    expect(Number(refused.headers["retry-after"])).to.be.within(1, 60);
    expect((await hit(a, who)).status).to.equal(429);
    expect((await hit(b, newClient())).status, "another address has its own count").to.equal(200);
    // What each process counting alone gave: one request each.
    const [ma, mb] = [appWith(s, { ...limits, RATE_LIMIT_STORE: "memory" }), appWith(second, { ...limits, RATE_LIMIT_STORE: "memory" })];
    const alone = newClient();
    expect([(await hit(ma, alone)).status, (await hit(mb, alone)).status]).to.deep.equal([200, 200]);
  });

  it("count a failed sign-in and the donor self-check across services, and refused tokens at most one more each", async () => {
    await freshWindow(s.db.knex, 60_000);
    const tc = await makeCommittee(s, "Ủy ban MTTQ phường Giới Hạn Chung");
    const [a, b] = [appWith(s, { ...limits, RATE_LIMIT_STORE: "database" }), appWith(second, { ...limits, RATE_LIMIT_STORE: "database" })];
    // A wrong password on A spends the address's one anonymous request of the window: B refuses the next.
    const who = newClient();
    const login = await request(a).post("/app/login").set("X-Forwarded-For", who).type("form").send({ login: "khong.co", password: "sai mật khẩu" });
    expect(login.status).to.equal(401);
    expect((await request(b).post("/app/login").set("X-Forwarded-For", who).type("form").send({ login: "khong.co", password: "x" })).status).to.equal(429);
    // The self-check: fifteen a window from one address, whichever service answers (the general limit off here).
    const checks = { ...limits, RATE_LIMIT_PER_MINUTE: "0", RATE_LIMIT_STORE: "database" };
    const [c, d] = [appWith(s, checks), appWith(second, checks)];
    const asker = newClient();
    const statuses: number[] = [];
    for (let i = 0; i < 16; i++) {
      const app = i % 2 === 0 ? c : d;
      statuses.push((await request(app).get("/api/v1/public/receipts/PT-2024-000001").query({ committee: tc.committee.code }).set("X-Forwarded-For", asker)).status);
    }
    expect(statuses.slice(0, 15).every((x) => x !== 429), statuses.join(",")).to.equal(true);
    expect(statuses[15], statuses.join(",")).to.equal(429);
    // Refused tokens: the window's one, plus one more in the other service before it learns; then refused everywhere.
    const guesser = newClient();
    const guess = (app: Express) => request(app).get("/api/v1/campaigns").set("X-Forwarded-For", guesser)
      .set("Authorization", `Bearer sq_${"x".repeat(43)}`).then((r) => r.status);
    const guesses = [await guess(a), await sleepThen(() => guess(b)), await sleepThen(() => guess(a)), await guess(b)];
    expect(guesses).to.deep.equal([401, 401, 429, 429]);
    // A valid token from another address is never counted.
    expect((await request(a).get("/api/v1/campaigns").set("X-Forwarded-For", newClient()).set("Authorization", `Bearer ${tc.tokens.auditor}`)).status).to.equal(200);
  });

  it("keep one row per client and window, which the sweep deletes once the window has ended", async () => {
    const owner = await testOwnerKnex();
    const who = newClient();
    await s.rateCounts.hit("anonymous", who, 60_000);
    await owner.raw("insert into rate_limit_hits (limiter, client, window_ends, hits) values ('anonymous', ?, now() - interval '1 minute', 7)", [who]);
    const rows = () => s.db.knex("rate_limit_hits").where({ client: who }).count("* as n").first().then((r) => Number(r!.n));
    expect(await rows()).to.equal(2);
    expect(await s.rateCounts.sweep()).to.be.at.least(1);
    expect(await rows()).to.equal(1);
  });

  describe("in two service processes on one PostgreSQL", function () {
    let a: ServiceProcess | undefined;
    let b: ServiceProcess | undefined;
    before(async function () {
      if (!process.env.TEST_DATABASE_URL) this.skip(); // one process holds the embedded database's folder
      await testSoquy();
      const env = { DATABASE_URL: process.env.TEST_DATABASE_URL!, ...limits, RATE_LIMIT_STORE: "database", PUBLIC_CACHE_CHECK_MS: "60000" };
      [a, b] = await Promise.all([startService(env), startService(env)]);
    });
    after(async () => {
      await a?.stop();
      await b?.stop();
    });

    it("the limit is the deployment's, the first refusal is audited once, and a kept public page is served without counting", async () => {
      const tc = await makeCommittee(s, "Ủy ban MTTQ phường Hai Tiến Trình (giới hạn)");
      const page = `/c/${tc.committee.code}`;
      const keeper = newClient();
      expect((await fetch(`${a!.base}${page}`, { headers: { "X-Forwarded-For": keeper } })).status).to.equal(200); // made and kept
      await freshWindow(s.db.knex, 60_000);
      const who = newClient();
      const get = (base: string, path: string) => fetch(`${base}${path}`, { headers: { "X-Forwarded-For": who } });
      const first = await get(a!.base, "/api/openapi.json");
      const second = await get(b!.base, "/api/openapi.json");
      const third = await get(a!.base, "/api/openapi.json");
      expect([first.status, second.status, third.status]).to.deep.equal([200, 429, 429]);
      const counted = () => s.db.knex("rate_limit_hits").where({ client: who }).sum("hits as n").first().then((r) => Number(r!.n));
      const before = await counted();
      expect(before).to.equal(3);
      // The page A keeps: served whatever the limit says, and never counted (no round trip to the database for it).
      for (let i = 0; i < 3; i++) expect((await get(a!.base, page)).status).to.equal(200);
      expect(await counted()).to.equal(before);
      // The refusals are audited once, by whichever process gave the first.
      const ids = [second.headers.get("x-request-id")!, third.headers.get("x-request-id")!];
      const audited = () => s.db.knex("audit_log").whereIn("request_id", ids).select("request_id", "outcome");
      for (let i = 0; i < 100 && (await audited()).length === 0; i++) await sleep(100); // written in groups every 50 ms
      expect(await audited()).to.deep.equal([{ request_id: ids[0], outcome: 429 }]);
    });
  });
});

async function sleepThen<T>(work: () => Promise<T>): Promise<T> {
  // A refused token is counted as its answer is sent, off the request path: the next request of the same client comes after.
  await sleep(200);
  return work();
}

import { expect } from "chai";
import type { Express } from "express";
import { pino } from "pino";
import request from "supertest";
import type { Soquy } from "../src/context.js";
import { createApp } from "../src/http/app.js";
import { makeCommittee, meta, type TestCommittee, testSoquy, uniqueCode } from "./support/db.js";

// The public side served from what each publication produced: a publication changes the ETag and the
// content of every public answer, on every process; a kept answer is served with validators any proxy
// can use; nothing a token sees is cacheable.

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

describe("public answers kept per publication", () => {
  let s: Soquy;
  let tc: TestCommittee;
  let a: Express;
  let b: Express;
  const code = uniqueCode("CACHE").toUpperCase();
  let n = 0;

  async function publishDonation(amount: string): Promise<void> {
    const id = (await s.ledger.recordDonation(tc.principals.treasurer, code, { receivedOn: "2024-03-0" + (1 + (n++ % 9)), amountDong: amount, method: "cash",
      donor: { name: "Nhà hảo tâm", kind: "anonymous", publishName: false } }, meta())).entry.id;
    await s.controls.verify(tc.principals.approver, [id]);
  }

  before(async () => {
    s = await testSoquy();
    tc = await makeCommittee(s, "Ủy ban MTTQ phường Bộ Đệm");
    await s.ledger.createCampaign(tc.principals.treasurer, { code, name: "Quỹ Vì người nghèo", kind: "for_the_poor", startsOn: "2024-01-01" }, meta());
    await publishDonation("100000");
    // Two processes: each its own kept answers, asking PostgreSQL for the generation every time.
    const env = { PUBLIC_CACHE_CHECK_MS: "0", RATE_LIMIT_PER_MINUTE: "0" };
    a = appWith(s, env);
    b = appWith(s, env);
  });

  const paths = () => [
    `/api/v1/public/committees/${tc.committee.code}/campaigns/${code}/totals`,
    `/api/v1/public/committees/${tc.committee.code}/campaigns`,
    `/api/v1/public/committees/${tc.committee.code}/totals`,
    `/api/v1/public/committees/${tc.committee.code}/campaigns/${code}/press`,
    `/c/${tc.committee.code}`,
    `/c/${tc.committee.code}?lang=en`,
  ];

  it("answer with a strong ETag, Last-Modified and a public Cache-Control, and 304 for a matching validator", async () => {
    for (const path of paths()) {
      const first = await request(a).get(path).expect(200);
      expect(first.headers.etag, path).to.match(/^"g\d+-[\w-]{22}"$/);
      expect(first.headers["cache-control"], path).to.equal("public, max-age=5, stale-while-revalidate=60");
      expect(Date.parse(first.headers["last-modified"]!), path).to.be.greaterThan(0);
      const again = await request(a).get(path).expect(200);
      expect(again.headers.etag).to.equal(first.headers.etag);
      expect(again.text).to.equal(first.text);
      await request(a).get(path).set("If-None-Match", first.headers.etag!).expect(304);
      await request(a).get(path).set("If-Modified-Since", first.headers["last-modified"]!).expect(304);
    }
  });

  it("change ETag and content with every publication, on every process", async () => {
    const before = new Map<string, { etag: string; text: string }>();
    for (const path of paths()) {
      for (const app of [a, b]) {
        const r = await request(app).get(path).expect(200);
        before.set(path, { etag: r.headers.etag!, text: r.text });
      }
    }
    await publishDonation("52222");
    for (const path of paths()) {
      for (const app of [a, b]) {
        const r = await request(app).get(path).expect(200);
        expect(r.headers.etag, path).to.not.equal(before.get(path)!.etag);
        expect(r.text, path).to.not.equal(before.get(path)!.text);
        await request(app).get(path).set("If-None-Match", before.get(path)!.etag).expect(200);
      }
    }
    const totals = await request(b).get(paths()[0]!).expect(200);
    expect(totals.body.totals?.receivedDong ?? totals.body.figures?.receivedDong ?? JSON.stringify(totals.body)).to.contain("152222");
  });

  it("remember nothing for committee codes that do not exist, however many are asked for", async () => {
    const { PublicCache } = await import("../src/http/publiccache.js");
    const kept = new PublicCache(s.db.knex, { checkMs: 60_000, maxAgeSeconds: 5, staleSeconds: 60, maxBytes: 1 << 20 });
    const app = (await import("express")).default();
    app.use(kept.middleware());
    app.use((_req, res) => void res.status(404).json({ code: "committee_not_found" }));
    for (let i = 0; i < 50; i++) await request(app).get(`/c/${uniqueCode("nope")}`).expect(404);
    await request(app).get(`/c/${tc.committee.code}`).expect(404);
    expect((kept as unknown as { generations: Map<string, unknown> }).generations.size).to.equal(1);
  });

  it("keep a permalink for good, and never let a shared cache keep what a token or the self-check sees", async () => {
    const at = await request(a).get(`${paths()[0]}?at=1`).expect(200);
    expect(at.headers["cache-control"]).to.equal("public, max-age=31536000, immutable");
    const withToken = await request(a).get(paths()[0]!).set("Authorization", `Bearer ${tc.tokens.auditor}`).expect(200);
    expect(withToken.headers["cache-control"]).to.equal("no-store");
    const own = await request(a).get(`/api/v1/campaigns/${code}`).set("Authorization", `Bearer ${tc.tokens.treasurer}`).expect(200);
    expect(own.headers["cache-control"]).to.equal("no-store");
    const check = await request(a).get("/api/v1/public/donations").query({ committee: tc.committee.code, amountDong: "100000", date: "2024-03-01" });
    expect(check.headers["cache-control"]).to.equal("no-store");
  });
});

import { expect } from "chai";
import knexFactory from "knex";
import { pino } from "pino";
import request from "supertest";
import { wire } from "../src/context.js";
import { openDatabase } from "../src/db/connect.js";
import { parseHostList } from "../src/db/hosts.js";
import { createApp } from "../src/http/app.js";
import { testSigningKeyFile } from "./support/db.js";

// A primary and its standby in one DATABASE_URL, as libpq reads it; and an honest 503 while neither
// answers (a failover), never a 500. The failover itself is scripts/standby-drill.ts.
const server = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

describe("a database URL with several hosts", () => {
  it("is read host by host, with target_session_attrs kept out of each host's URL", () => {
    const l = parseHostList("postgres://soquy:pw@db-a:5433,[::1],db-b/soquy?application_name=x&target_session_attrs=read-write")!;
    expect(l.hosts).to.deep.equal([{ host: "db-a", port: 5433 }, { host: "[::1]", port: 5432 }, { host: "db-b", port: 5432 }]);
    expect(l.readWrite).to.equal(true);
    expect(l.urlFor(0)).to.equal("postgres://soquy:pw@db-a:5433/soquy?application_name=x");
    expect(l.urlFor(2)).to.equal("postgres://soquy:pw@db-b:5432/soquy?application_name=x");
    expect(parseHostList("postgres://soquy@db-a:5432/soquy")).to.equal(null);
    expect(() => parseHostList("postgres://u@a,b/db?target_session_attrs=standby")).to.throw(/not supported/);
  });

  it("connects through the first host that answers", async () => {
    const m = /^(postgres(?:ql)?:\/\/[^@/]*@)([^/]+)(\/.*)$/.exec(server)!;
    const db = await openDatabase({ databaseUrl: `${m[1]}127.0.0.1:1,${m[2]}${m[3]}${m[3]!.includes("?") ? "&" : "?"}target_session_attrs=read-write` });
    try {
      expect((await db.knex.raw("select 1 as one")).rows[0].one).to.equal(1);
    } finally {
      await db.close();
    }
  });

  it("answers 503 database_unavailable with Retry-After while no host answers, and /ready says so", async () => {
    const knex = knexFactory({ client: "pg", connection: "postgres://postgres@127.0.0.1:1/none", pool: { min: 0, max: 2 }, acquireConnectionTimeout: 3000 });
    const app = createApp(wire({ knex, kind: "postgres", where: "nowhere", close: () => knex.destroy() }, { signingKeyFile: testSigningKeyFile }), pino({ level: "silent" }));
    try {
      const res = await request(app).get("/api/v1/campaigns").set("Authorization", `Bearer sq_${"a".repeat(43)}`);
      expect(res.status).to.equal(503);
      expect(res.body.code).to.equal("database_unavailable");
      expect(res.headers["retry-after"]).to.equal("1");
      const ready = await request(app).get("/ready");
      expect(ready.status).to.equal(503);
    } finally {
      await knex.destroy();
    }
  });
});

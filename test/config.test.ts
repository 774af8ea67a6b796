import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { ConfigError, configTable, readConfig, variables } from "../src/config.js";

// One validated configuration: a bad value stops the start with one line naming the variable, the
// value and what is allowed; the README's table is the module's own.
const root = path.resolve(import.meta.dirname, "..");

describe("configuration", () => {
  it("reads the defaults from an empty environment", () => {
    const c = readConfig({});
    expect(c).to.include({ databaseUrl: undefined, dataDir: "data", port: 3000, host: "127.0.0.1", demo: true, production: false,
      rateLimitPerMinute: 120, selfCheckPerMinute: 30, logLevel: "info", importTiming: false });
    expect(c.retiredKeys).to.deep.equal([]);
  });

  it("treats an empty value as unset", () => {
    expect(readConfig({ DATABASE_URL: "", PORT: "" })).to.include({ databaseUrl: undefined, port: 3000 });
  });

  const bad: [string, string, RegExp][] = [
    ["SELF_CHECK_PER_MINUTE", "abc", /whole number from 0/],
    ["SELF_CHECK_PER_MINUTE", "-1", /whole number from 0/],
    ["RATE_LIMIT_PER_MINUTE", "-5", /whole number from 0/],
    ["PORT", "70000", /whole number from 1 to 65535/],
    ["PORT", "3000.5", /whole number/],
    ["DATABASE_URL", "mysql://x@y/z", /postgres:\/\//],
    ["LOG_LEVEL", "loud", /one of fatal/],
    ["SOQUY_DEMO", "yes", /0 or 1/],
    ["PUBLIC_URL", "soquy.example", /http/],
    ["SOQUY_RETIRED_KEYS", "not a key!", /base64/],
  ];
  for (const [name, value, allowed] of bad) {
    it(`refuses ${name}=${value}, naming the variable, the value and what is allowed`, () => {
      let error: unknown;
      try {
        readConfig({ [name]: value });
      } catch (e) {
        error = e;
      }
      expect(error).to.be.instanceOf(ConfigError);
      const message = (error as Error).message;
      expect(message).to.contain(name).and.to.contain(JSON.stringify(value)).and.to.match(allowed);
      expect(message).to.not.contain("\n");
    });
  }

  it("loads the demo only on the embedded default outside production, unless told otherwise", () => {
    const demo = (env: NodeJS.ProcessEnv) => readConfig(env).demo;
    const server = { DATABASE_URL: "postgres://u@h/db" };
    expect(demo({})).to.equal(true);
    expect(demo({ SOQUY_DEMO: "0" })).to.equal(false);
    expect(demo({ NODE_ENV: "production" })).to.equal(false);
    expect(demo({ NODE_ENV: "production", SOQUY_DEMO: "1" })).to.equal(false);
    expect(demo(server)).to.equal(false);
    expect(demo({ ...server, SOQUY_DEMO: "1" })).to.equal(true);
  });

  it("is the table in the README, and the CLI prints it", () => {
    expect(readFileSync(path.join(root, "README.md"), "utf8")).to.contain(configTable());
    const run = spawnSync(process.execPath, ["--import", "tsx", "src/cli.ts", "config"], { cwd: root, encoding: "utf8", env: { ...process.env, DATABASE_URL: "" } });
    expect(run.status).to.equal(0);
    expect(run.stdout.trim()).to.equal(configTable());
  });

  it("lists every variable the source reads", () => {
    const read = new Set<string>();
    const walk = (dir: string) => {
      for (const f of readdirSync(dir, { withFileTypes: true })) {
        const p = path.join(dir, f.name);
        if (f.isDirectory()) walk(p);
        else if (p.endsWith(".ts")) for (const m of readFileSync(p, "utf8").matchAll(/process\.env\.([A-Z_]+)/g)) read.add(m[1]!);
      }
    };
    walk(path.join(root, "src"));
    expect([...read].filter((name) => !(name in variables))).to.deep.equal([]);
  });
});

describe("npm start with a bad or production configuration", function () {
  let dataDir: string;
  before(() => (dataDir = mkdtempSync(path.join(tmpdir(), "soquy-config-"))));
  after(() => rmSync(dataDir, { recursive: true, force: true }));

  it("stops at once with one line when a variable is bad, touching nothing", () => {
    const run = spawnSync(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: root, encoding: "utf8", timeout: 60_000, env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", SELF_CHECK_PER_MINUTE: "abc" },
    });
    expect(run.status).to.equal(2);
    expect(run.stderr.trim()).to.equal('soquy: SELF_CHECK_PER_MINUTE="abc" is not allowed: a whole number from 0 to 100000');
    expect(existsSync(path.join(dataDir, "pgdata"))).to.equal(false);
  });

  it("in production loads no demo data into an empty embedded database, and says which mode it runs in", async function () {
    if (process.env.TEST_DATABASE_URL) this.skip(); // the embedded default is what this checks
    const port = 30_000 + (process.pid % 20_000);
    const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: root, stdio: ["ignore", "pipe", "pipe"],
      env: { ...process.env, DATA_DIR: dataDir, DATABASE_URL: "", NODE_ENV: "production", PORT: String(port), LOG_LEVEL: "warn" },
    });
    try {
      let out = "";
      await new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no start-up line:\n${out}`)), 120_000);
        const onData = (d: Buffer) => {
          out += d.toString();
          if (/user create/.test(out)) { clearTimeout(timer); resolve(); }
        };
        child.stdout.on("data", onData);
        child.stderr.on("data", onData);
        child.on("exit", (code) => reject(new Error(`exited ${code}:\n${out}`)));
      });
      expect(out).to.contain("production, no demo data").and.to.contain("cli -- user create");
      expect(existsSync(path.join(dataDir, "demo-tokens.json"))).to.equal(false);
      const res = await fetch(`http://127.0.0.1:${port}/api/v1/public/committees/phuong2-kientuong/campaigns`);
      expect(res.status).to.equal(404);
    } finally {
      child.kill("SIGKILL");
      await new Promise((resolve) => child.once("close", resolve));
    }
  });
});

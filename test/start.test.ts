import { expect } from "chai";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";

// What the README promises: `npm start` on a fresh folder serves the API on
// the embedded database with the demo data, prints its URL and the demo
// tokens, and lets go of the folder when stopped.
const root = path.resolve(import.meta.dirname, "..");

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

function waitFor(child: ChildProcess, pattern: RegExp, ms: number): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = "";
    const timer = setTimeout(() => reject(new Error(`timed out waiting for ${pattern}; output:\n${out}`)), ms);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (pattern.test(out)) {
        clearTimeout(timer);
        resolve(out);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    child.on("exit", (code) => reject(new Error(`exited with ${code} before ${pattern}; output:\n${out}`)));
  });
}

describe("npm start on a fresh embedded database", function () {
  let dataDir: string;
  let child: ChildProcess | undefined;

  before(function () {
    if (process.env.TEST_DATABASE_URL) this.skip(); // the embedded default is what this checks
    dataDir = mkdtempSync(path.join(tmpdir(), "soquy-start-"));
  });
  after(() => {
    child?.kill("SIGKILL");
    if (dataDir) rmSync(dataDir, { recursive: true, force: true });
  });

  it("serves the demo data, prints URL and tokens, and releases the folder on SIGTERM", async () => {
    const port = await freePort();
    child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
      cwd: root,
      env: { ...process.env, DATA_DIR: dataDir, PORT: String(port), DATABASE_URL: "", LOG_LEVEL: "warn" },
      stdio: ["ignore", "pipe", "pipe"],
    });
    const out = await waitFor(child, /listening on http:\/\/127\.0\.0\.1:\d+/, 180_000);
    expect(out).to.contain(`http://127.0.0.1:${port}`);
    expect(out).to.contain("demo-tokens.json");
    const tokens = JSON.parse(readFileSync(path.join(dataDir, "demo-tokens.json"), "utf8")) as { committee: string; role: string; token: string }[];
    const treasurer = tokens.find((t) => t.committee === "phuong2-kientuong" && t.role === "treasurer");
    expect(treasurer, "a demo treasurer token").to.not.equal(undefined);
    expect(out).to.contain(treasurer!.token);

    const res = await fetch(`http://127.0.0.1:${port}/api/v1/campaigns/VNN2024`, { headers: { Authorization: `Bearer ${treasurer!.token}` } });
    expect(res.status).to.equal(200);
    const body = (await res.json()) as { totals: { receivedDong: string; targetDong: string; progressPercent: number } };
    expect(body.totals).to.include({ receivedDong: "8000000", targetDong: "21000000", progressPercent: 38 });
    expect(existsSync(path.join(dataDir, "soquy.lock"))).to.equal(true);

    const exited = new Promise<number | null>((resolve) => child!.on("exit", resolve));
    child.kill("SIGTERM");
    expect(await exited).to.equal(0);
    expect(existsSync(path.join(dataDir, "soquy.lock"))).to.equal(false);
  });
});

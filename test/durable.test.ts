import { expect } from "chai";
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { openDatabase } from "../src/db/connect.js";

// The embedded default keeps real books: a commit is acknowledged only once it is on stable
// storage. PGlite starts PostgreSQL with fsync off unless soquy says otherwise.
const root = path.resolve(import.meta.dirname, "..");
const child = path.join(root, "test/support/durable-child.ts");

function hasStrace(): boolean {
  return spawnSync("strace", ["-V"]).status === 0;
}

describe("the embedded database is durable", function () {
  let dataDir: string;
  before(function () {
    if (process.env.TEST_DATABASE_URL) this.skip(); // the embedded default is what this checks
    dataDir = mkdtempSync(path.join(tmpdir(), "soquy-durable-"));
  });
  after(() => dataDir && rmSync(dataDir, { recursive: true, force: true }));

  it("runs PostgreSQL with fsync on, syncing the WAL with fsync()", async () => {
    const db = await openDatabase({ dataDir });
    try {
      expect((await db.knex.raw("show fsync")).rows[0].fsync).to.equal("on");
      expect((await db.knex.raw("show wal_sync_method")).rows[0].wal_sync_method).to.equal("fsync");
    } finally {
      await db.close();
    }
  });

  it("syncs the disk at least once per acknowledged commit (strace counts the fdatasync calls)", function () {
    if (!hasStrace()) throw new Error("strace is needed for this test (apt-get install strace)");
    const commits = 60;
    const run = spawnSync("strace", ["-f", "-c", "-e", "trace=fsync,fdatasync", process.execPath, "--import", "tsx", child, dataDir, String(commits)],
      { cwd: root, encoding: "utf8", timeout: 120_000 });
    expect(run.status, run.stderr).to.equal(0);
    expect(run.stdout.match(/^acked /gm)?.length).to.equal(commits);
    // strace -c's row: % time, seconds, usecs/call, calls, [errors,] syscall.
    const calls = /^\s*[\d.]+\s+[\d.]+\s+\d+\s+(\d+)\s+(?:\d+\s+)?fdatasync\s*$/m.exec(run.stderr);
    expect(calls, run.stderr).to.not.equal(null);
    expect(Number(calls![1])).to.be.at.least(commits);
  });

  it("keeps every acknowledged commit when the process is killed mid-write", async () => {
    const proc = spawn(process.execPath, ["--import", "tsx", child, dataDir, "100000"], { cwd: root, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    await new Promise<void>((resolve, reject) => {
      proc.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if ((out.match(/^acked /gm)?.length ?? 0) >= 150) {
          proc.kill("SIGKILL");
          resolve();
        }
      });
      proc.on("exit", (code) => (code === null ? resolve() : reject(new Error(`exited ${code}`))));
    });
    await new Promise((resolve) => proc.once("close", resolve));
    const acked = [...out.matchAll(/^acked (\d+)$/gm)].map((m) => Number(m[1]));
    const db = await openDatabase({ dataDir });
    try {
      const present = new Set((await db.knex("acked").select("id")).map((r: { id: number }) => Number(r.id)));
      expect(acked.filter((id) => !present.has(id))).to.deep.equal([]);
    } finally {
      await db.close();
    }
  });
});

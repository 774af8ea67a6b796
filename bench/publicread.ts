import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { once } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import { dbUrl } from "./machine.js";

// The public side in a news spike: wrk with 256 connections on the public page of a committee, its
// campaign list and a campaign's totals, while a donation is recorded and published every second, on
// PostgreSQL and on the embedded default. The baseline is the same app serving a static file of the
// same size through the same middleware, in the same run; and a 304 for a matching If-None-Match
// beside the static file's own 304. Goals: each answer ≥ 0.5 × its static baseline with p99 < 50 ms,
// and the 304 at least as fast as the static one.
//   node --import tsx bench/publicread.ts    (PUBLICREAD_DB=postgres|pglite|both, PUBLICREAD_SECONDS=10,
//   PUBLICREAD_CONNECTIONS=256; wrk from Debian's package: apt-get install wrk)

const SECONDS = Number(process.env.PUBLICREAD_SECONDS ?? 10);
const CONNECTIONS = Number(process.env.PUBLICREAD_CONNECTIONS ?? 256);
const COMMITTEE = "phuong2-kientuong";
const CAMPAIGN = "BAO2026";

interface Wrk { rps: number; p99Ms: number; non2xx: number; requests: number }

function wrk(url: string, headers: string[] = []): Wrk {
  const args = ["-t2", `-c${CONNECTIONS}`, `-d${SECONDS}s`, "--latency", "--timeout", "5s", ...headers.flatMap((h) => ["-H", h]), url];
  const out = execFileSync("wrk", args, { encoding: "utf8" });
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? NaN);
  const p99 = /\s99%\s+([\d.]+)(us|ms|s)/.exec(out);
  const p99Ms = p99 ? Number(p99[1]) * (p99[2] === "us" ? 0.001 : p99[2] === "s" ? 1000 : 1) : NaN;
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
  return { rps, p99Ms, non2xx, requests };
}

async function startServer(env: NodeJS.ProcessEnv): Promise<{ child: ChildProcess; port: number; tokens: { committee: string; role: string; token: string }[] }> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/publicread-server.ts"], { env: { ...process.env, ...env }, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  const [msg] = (await once(child, "message")) as [{ port: number; tokens: { committee: string; role: string; token: string }[] }];
  return { child, ...msg };
}

async function staticTwin(child: ChildProcess, name: string, bytes: number): Promise<void> {
  child.send({ staticFile: { name, bytes } });
  for (;;) {
    const [m] = (await once(child, "message")) as [{ staticReady?: string }];
    if (m.staticReady === name) return;
  }
}

/** Records and publishes a donation every second through the API, until stopped. */
function publisher(base: string, treasurer: string, approver: string) {
  let stop = false;
  let published = 0;
  let failed = 0;
  let n = 0;
  const post = (p: string, token: string, body: unknown) => fetch(`${base}/api/v1${p}`, {
    method: "POST", body: JSON.stringify(body),
    headers: { Authorization: `Bearer ${token}`, "Content-Type": "application/json", "Idempotency-Key": `publicread-${process.pid}-${++n}` },
  });
  const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
  const running = (async () => {
    while (!stop) {
      const started = Date.now();
      try {
        const d = await post(`/campaigns/${CAMPAIGN}/donations`, treasurer, { receivedOn: today, amountDong: String(10_000 + n), method: "cash",
          donor: { name: "Nhà hảo tâm", kind: "anonymous", publishName: false } });
        if (d.status === 201) {
          const id = ((await d.json()) as { id: string }).id;
          const v = await post(`/entries/${id}/verify`, approver, {});
          if (v.status < 300) published++;
          else await v.arrayBuffer();
        } else await d.arrayBuffer();
      } catch {
        failed++; // a connection refused under the load: the next second tries again
      }
      await new Promise((r) => setTimeout(r, Math.max(0, 1000 - (Date.now() - started))));
    }
  })();
  return { stop: async () => { stop = true; await running; return { published, failed }; } };
}

/** A GET after a wrk run: the server may have dropped the pooled connection a first try reuses. */
async function fetchAgain(url: string): Promise<Response> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await fetch(url);
    } catch (error) {
      if (attempt >= 5) throw error;
      await new Promise((r) => setTimeout(r, 200));
    }
  }
}

async function measure(kind: "postgres" | "pglite", adminUrl: string, log: (l: string) => void): Promise<string[]> {
  const dir = mkdtempSync(path.join(tmpdir(), "soquy-publicread-"));
  const dbName = `soquy_publicread_${process.pid}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  if (kind === "postgres") {
    await admin.connect();
    await admin.query(`create database ${dbName}`);
  }
  const server = await startServer(kind === "postgres" ? { DATABASE_URL: dbUrl(adminUrl, dbName), DATA_DIR: dir } : { DATABASE_URL: "", DATA_DIR: dir });
  const base = `http://127.0.0.1:${server.port}`;
  const token = (role: string) => server.tokens.find((t) => t.committee === COMMITTEE && t.role === role)!.token;
  const lines: string[] = [];
  try {
    const today = new Date(Date.now() + 7 * 3_600_000).toISOString().slice(0, 10);
    const made = await fetch(`${base}/api/v1/campaigns`, {
      method: "POST", headers: { Authorization: `Bearer ${token("treasurer")}`, "Content-Type": "application/json", "Idempotency-Key": "publicread-campaign" },
      body: JSON.stringify({ code: CAMPAIGN, name: "Quỹ cứu trợ bão lũ", kind: "relief", startsOn: today }),
    });
    if (made.status !== 201) throw new Error(`campaign: ${made.status} ${await made.text()}`);
    const paths: [string, string][] = [
      ["public page", `/c/${COMMITTEE}`],
      ["campaign list", `/api/v1/public/committees/${COMMITTEE}/campaigns`],
      ["campaign totals", `/api/v1/public/committees/${COMMITTEE}/campaigns/VNN2024/totals`],
    ];
    const pub = publisher(base, token("treasurer"), token("approver"));
    for (const [label, p] of paths) {
      const first = await fetchAgain(`${base}${p}`);
      const bytes = (await first.arrayBuffer()).byteLength;
      const name = `${label.replace(/\W+/g, "-")}.bin`;
      await staticTwin(server.child, name, bytes);
      const baseline = wrk(`${base}/${name}`);
      const live = wrk(`${base}${p}`);
      const ratio = live.rps / baseline.rps;
      const met = ratio >= 0.5 && live.p99Ms < 50 && live.non2xx === 0;
      const line = `public read (${kind}), ${label}, ${CONNECTIONS} connections, a publication a second: ${live.rps.toFixed(0)} answers/s, p99 ${live.p99Ms.toFixed(1)} ms` +
        `${live.non2xx ? `, ${live.non2xx} not 2xx` : ""}; static file of ${bytes} bytes ${baseline.rps.toFixed(0)}/s, p99 ${baseline.p99Ms.toFixed(1)} ms; ` +
        `ratio ${ratio.toFixed(2)}   goal ≥ 0.5 and p99 < 50 ms: ${met ? "met" : "MISSED"}`;
      log(line);
      lines.push(line);
    }
    const { published, failed } = await pub.stop();
    log(`  (${published} publications during the run${failed ? `, ${failed} attempts refused a connection` : ""})`);
    // 304s, with nothing being published: a validator is only good until the next publication.
    const [, totals] = paths[2]!;
    const etag = (await fetchAgain(`${base}${totals}`)).headers.get("etag")!;
    const staticTag = (await fetchAgain(`${base}/campaign-totals.bin`)).headers.get("etag")!;
    const notModified = wrk(`${base}${totals}`, [`If-None-Match: ${etag}`]);
    const staticNotModified = wrk(`${base}/campaign-totals.bin`, [`If-None-Match: ${staticTag}`]);
    const met = notModified.rps >= staticNotModified.rps;
    const line = `public read (${kind}), 304 for a matching If-None-Match: ${notModified.rps.toFixed(0)}/s, p99 ${notModified.p99Ms.toFixed(1)} ms; ` +
      `the static file's 304 ${staticNotModified.rps.toFixed(0)}/s   goal ≥ the static 304: ${met ? "met" : "MISSED"}`;
    log(line);
    lines.push(line);
  } finally {
    server.child.disconnect();
    await once(server.child, "exit");
    rmSync(dir, { recursive: true, force: true });
    if (kind === "postgres") {
      await admin.query(`drop database if exists ${dbName} with (force)`);
      await admin.end();
    }
  }
  return lines;
}

export async function runPublicReadBench(adminUrl: string, log: (line: string) => void = console.log): Promise<string[]> {
  try {
    execFileSync("wrk", ["--version"], { stdio: "ignore" });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return ["public read: skipped (no wrk: apt-get install wrk)"];
  }
  const which = process.env.PUBLICREAD_DB ?? "both";
  const lines: string[] = [];
  for (const kind of ["postgres", "pglite"] as const) if (which === "both" || which === kind) lines.push(...(await measure(kind, adminUrl, log)));
  return lines;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  await runPublicReadBench(process.env.BENCH_DATABASE_URL || "postgres://postgres@127.0.0.1:5432/postgres");
}

import { spawn } from "node:child_process";
import { once } from "node:events";
import http from "node:http";
import { performance } from "node:perf_hooks";
import type { Soquy } from "../src/context.js";

// Public totals on a committee with a million entries: answered from the kept
// sums, never by scanning the ledger (goal p99 < 20 ms). Measured over real
// HTTP on keep-alive connections to the service in its own process
// (bench/public-server.ts), one client and eight at once, beside two baselines
// from the same run:
// GET /health (the HTTP and express floor) and the scan the kept sums avoid
// (the campaign's verified figures summed from the postings).

export interface PublicBenchResult {
  line: string;
  met: boolean;
}

export async function measurePublicTotals(s: Soquy, databaseUrl: string, committee: string, campaign: string, entries: number,
  log: (line: string) => void): Promise<PublicBenchResult> {
  const child = spawn(process.execPath, ["--import", "tsx", "bench/public-server.ts"], {
    env: { ...process.env, DATABASE_URL: databaseUrl }, stdio: ["ignore", "inherit", "inherit", "ipc"],
  });
  const [msg] = (await once(child, "message")) as [{ port: number }];
  const port = msg.port;
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  try {
    const totals = `/api/v1/public/committees/${committee}/campaigns/${campaign}/totals`;
    const first = await get(port, agent, totals);
    const body = JSON.parse(first.body);
    if (first.status !== 200) throw new Error(`totals answered ${first.status}: ${first.body.slice(0, 300)}`);
    // The permalink (a pinned publication) is served from its snapshot, as later readers get it.
    const permalink = body.permalink as string;
    await get(port, agent, permalink);
    const figures = await s.public.campaignTotals(committee, campaign, {});
    const c = figures.campaign;
    const t0 = performance.now();
    const scanned = await s.store.campaignFigures(c, true);
    const scanMs = performance.now() - t0;
    if (scanned.receivedDong !== figures.figures.receivedDong) {
      throw new Error(`kept sums say ${figures.figures.receivedDong} received, the scan ${scanned.receivedDong}`);
    }
    const n = Number(process.env.PUBLIC_REQUESTS ?? 2000);
    const f = (x: { p50: number; p99: number; rps: number }) => `p50 ${x.p50.toFixed(1)} ms, p99 ${x.p99.toFixed(1)} ms, ${x.rps.toFixed(0)} req/s`;
    const health1 = await load(port, agent, "/health", n, 1);
    const live1 = await load(port, agent, totals, n, 1);
    const health = await load(port, agent, "/health", n, 8);
    const live = await load(port, agent, totals, n, 8);
    const pinned = await load(port, agent, permalink, n, 8);
    const met = live1.p99 < 20 && live.p99 < 20 && pinned.p99 < 20;
    log(`  public totals over ${entries.toLocaleString("en")} entries (${figures.figures.donations.toLocaleString("en")} verified donations, ` +
      `${body.receivedDong} đồng), ${n} requests each, service in its own process:`);
    log(`       one client: totals ${f(live1)}; GET /health ${f(health1)}`);
    log(`       8 clients:  totals ${f(live)}; permalink ${f(pinned)}; GET /health ${f(health)}`);
    log(`       baseline: the same verified figures by scanning the ledger: ${(scanMs / 1000).toFixed(2)} s`);
    return {
      line: `public totals, ${entries.toLocaleString("en")} entries: p99 ${live1.p99.toFixed(1)} ms (1 client), ${live.p99.toFixed(1)} ms ` +
        `(8 clients), permalink ${pinned.p99.toFixed(1)} ms (baseline /health p99 ${health1.p99.toFixed(1)} / ${health.p99.toFixed(1)} ms; ` +
        `scanning instead ${(scanMs / 1000).toFixed(2)} s)   goal p99 < 20 ms: ${met ? "met" : "MISSED"}`,
      met,
    };
  } finally {
    agent.destroy();
    child.disconnect();
    await once(child, "exit");
  }
}

function get(port: number, agent: http.Agent, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: "127.0.0.1", port, path, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on("data", (c: Buffer) => chunks.push(c));
      res.on("end", () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
    });
    req.on("error", reject);
  });
}

async function load(port: number, agent: http.Agent, path: string, n: number, concurrency: number) {
  const times: number[] = [];
  let next = 0;
  const started = performance.now();
  const worker = async () => {
    while (next < n) {
      next++;
      const t = performance.now();
      const r = await get(port, agent, path);
      if (r.status !== 200) throw new Error(`${path} answered ${r.status}`);
      times.push(performance.now() - t);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const total = performance.now() - started;
  times.sort((a, b) => a - b);
  const q = (p: number) => times[Math.min(times.length - 1, Math.floor(p * times.length))]!;
  return { p50: q(0.5), p99: q(0.99), rps: (times.length * 1000) / total };
}

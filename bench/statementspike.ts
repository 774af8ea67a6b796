import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import express from "express";
import { pino } from "pino";
import type { Soquy } from "../src/context.js";
import { createApp, createServer } from "../src/http/app.js";

// A news spike on a public statement: 20 downloads at once of the public CSV of a big campaign, cut at
// its current publication (the link the public page gives). The statement is made once (timed apart),
// then served from its file. The baseline is the same app serving a static file of the same size
// through the same middleware, 20 at once, in the same run. The downloads are curl processes, so the
// clients do not share the service's event loop. Goal: the same bytes as a single download, ≥ 0.5 × the
// baseline's throughput, the service's RSS < 400 MB (the service runs in this process, so its RSS
// includes the bench's own few MB).

const run = promisify(execFile);
const DOWNLOADS = 20;

interface Burst { seconds: number; bytes: number; sha256: Set<string> }

async function burst(url: string, dir: string): Promise<Burst> {
  const t = performance.now();
  const files = Array.from({ length: DOWNLOADS }, (_, i) => path.join(dir, `d${i}`));
  await Promise.all(files.map((f) => run("curl", ["-sf", "-o", f, url])));
  const seconds = (performance.now() - t) / 1000;
  const sha256 = new Set<string>();
  let bytes = 0;
  for (const f of files) {
    const r = await run("sha256sum", [f]);
    sha256.add(r.stdout.split(" ")[0]!);
    bytes += Number((await run("stat", ["-c", "%s", f])).stdout.trim());
    rmSync(f, { force: true });
  }
  return { seconds, bytes, sha256 };
}

export async function measureStatementSpike(s: Soquy, committeeCode: string, campaignCode: string, log: (l: string) => void): Promise<{ line: string; met: boolean }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), "soquy-spike-"));
  const staticDir = path.join(dir, "static");
  const saved = process.env.RATE_LIMIT_PER_MINUTE;
  process.env.RATE_LIMIT_PER_MINUTE = "0";
  const app = createApp(s, pino({ level: "warn" }), express.static(staticDir, { etag: true, lastModified: true }));
  if (saved === undefined) delete process.env.RATE_LIMIT_PER_MINUTE;
  else process.env.RATE_LIMIT_PER_MINUTE = saved;
  const server = createServer(app);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  let peakRss = 0;
  const sampler = setInterval(() => (peakRss = Math.max(peakRss, process.memoryUsage.rss())), 50);
  try {
    const committee = (await s.store.findCommittee(committeeCode))!;
    const at = (await s.publicQueries.currentPublication(committee.id)).vseq;
    const url = `${base}/api/v1/campaigns/${campaignCode}/statement.csv?committee=${committeeCode}&audience=public&at=${at}`;
    const t = performance.now();
    const one = path.join(dir, "single");
    await run("curl", ["-sf", "-o", one, url]);
    const makeSeconds = (performance.now() - t) / 1000;
    const singleSha = createHash("sha256").update(readFileSync(one)).digest("hex");
    const bytes = statSync(one).size;
    rmSync(one);
    mkdirSync(staticDir);
    writeFileSync(path.join(staticDir, "twin.csv"), Buffer.alloc(bytes, 0x61));
    peakRss = 0;
    const live = await burst(url, dir);
    const baseline = await burst(`${base}/twin.csv`, dir);
    const liveMBs = live.bytes / 1e6 / live.seconds;
    const baseMBs = baseline.bytes / 1e6 / baseline.seconds;
    const same = live.sha256.size === 1 && live.sha256.has(singleSha);
    const met = same && liveMBs >= 0.5 * baseMBs && peakRss < 400 * 2 ** 20;
    const line = `public statement spike: ${DOWNLOADS} concurrent downloads of the ${(bytes / 1e6).toFixed(0)} MB public CSV (publication ${at}): ` +
      `${liveMBs.toFixed(0)} MB/s${same ? ", every one the single download's bytes" : ", BYTES DIFFER"}, peak RSS ${(peakRss / 2 ** 20).toFixed(0)} MB ` +
      `(made once first in ${makeSeconds.toFixed(1)} s); static file of the same size ${baseMBs.toFixed(0)} MB/s, ratio ${(liveMBs / baseMBs).toFixed(2)}   ` +
      `goal same bytes, ≥ 0.5, < 400 MB: ${met ? "met" : "MISSED"}`;
    log(line);
    return { line, met };
  } finally {
    clearInterval(sampler);
    await new Promise((r) => server.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
}

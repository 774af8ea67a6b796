import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";

// Summarises a V8 .cpuprofile (from BENCH_PROFILE=1 npm run bench, written to
// /tmp/prof): self time by package / source file, and the top functions.
//   node --import tsx bench/cpuprofile.ts [file-or-dir, default /tmp/prof (largest file: the main thread)]

interface Node {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface Profile {
  nodes: Node[];
  startTime: number;
  endTime: number;
  samples: number[];
  timeDeltas: number[];
}

let file = process.argv[2] ?? "/tmp/prof";
if (statSync(file).isDirectory()) {
  const newest = readdirSync(file).filter((f) => f.endsWith(".cpuprofile"))
    .map((f) => path.join(file, f)).sort((a, b) => statSync(b).size - statSync(a).size)[0]; // the main thread (tsx adds a loader thread)
  if (!newest) throw new Error(`no .cpuprofile in ${file}`);
  file = newest;
}
const p = JSON.parse(readFileSync(file, "utf8")) as Profile;
const byId = new Map(p.nodes.map((n) => [n.id, n]));
const selfUs = new Map<number, number>();
p.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (p.timeDeltas[i] ?? 0)));
const totalUs = p.endTime - p.startTime;

function where(url: string): string {
  if (!url) return "(native / V8)";
  const m = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url);
  if (m) return m[1]!;
  if (url.startsWith("node:")) return url;
  const i = url.indexOf("/src/");
  if (i >= 0) return url.slice(i + 1).replace(/^file:\/\//, "");
  const j = url.indexOf("/bench/");
  if (j >= 0) return url.slice(j + 1);
  return url.replace(/^file:\/\//, "");
}

const byWhere = new Map<string, number>();
const byFn = new Map<string, number>();
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  const name = n.callFrame.functionName || "(anonymous)";
  const w = name === "(idle)" || name === "(program)" || name === "(garbage collector)" ? name : where(n.callFrame.url);
  byWhere.set(w, (byWhere.get(w) ?? 0) + us);
  const fn = `${name}  ${where(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;
  byFn.set(fn, (byFn.get(fn) ?? 0) + us);
}
const idle = byWhere.get("(idle)") ?? 0;
const busy = totalUs - idle;
console.log(`${file}\n${(totalUs / 1e6).toFixed(1)} s profiled, busy ${(busy / 1e6).toFixed(1)} s (${((busy / totalUs) * 100).toFixed(0)}% of one core)`);
const show = (title: string, m: Map<string, number>, n: number) => {
  console.log(`\n${title} (self time, % of busy):`);
  for (const [k, us] of [...m.entries()].filter(([k]) => k !== "(idle)").sort((a, b) => b[1] - a[1]).slice(0, n)) {
    console.log(`  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${k}`);
  }
};
show("by package / file", byWhere, 25);

// The same, with native frames (writev, hashing, JSON…) charged to the JavaScript that called them.
const parentOf = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
const byCaller = new Map<string, number>();
for (const [id, us] of selfUs) {
  let cur: number | undefined = id;
  let label = "(native / V8)";
  const own = byId.get(id)!.callFrame.functionName;
  if (own === "(idle)" || own === "(program)" || own === "(garbage collector)") label = own;
  else {
    for (; cur !== undefined; cur = parentOf.get(cur)) {
      const url = byId.get(cur)!.callFrame.url;
      if (url) {
        label = where(url);
        break;
      }
    }
  }
  byCaller.set(label, (byCaller.get(label) ?? 0) + us);
}
show("by package / file, native time charged to its caller", byCaller, 25);
show("top functions", byFn, 30);

// Inclusive time of a few interesting subtrees (by function name anywhere in the stack).
const parent = new Map<number, number>();
for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const inclusive = (pred: (n: Node) => boolean) => {
  let us = 0;
  for (const [id, t] of selfUs) {
    for (let cur: number | undefined = id; cur !== undefined; cur = parent.get(cur)) {
      if (pred(byId.get(cur)!)) {
        us += t;
        break;
      }
    }
  }
  return us;
};
const probes: [string, (n: Node) => boolean][] = [
  ["pino (logger, child loggers)", (n) => n.callFrame.url.includes("node_modules/pino")],
  ["helmet", (n) => n.callFrame.url.includes("node_modules/helmet")],
  ["zod parsing", (n) => n.callFrame.url.includes("node_modules/zod")],
  ["knex (query building, runner)", (n) => n.callFrame.url.includes("node_modules/knex")],
  ["pg (protocol, parsing)", (n) => /node_modules\/(pg|pg-protocol|pg-types)\//.test(n.callFrame.url)],
  ["express + router + body-parser", (n) => /node_modules\/(express|router|body-parser|raw-body|iconv-lite|type-is|qs)\//.test(n.callFrame.url)],
  ["node:http (server)", (n) => n.callFrame.url.startsWith("node:_http")],
  ["garbage collector", (n) => n.callFrame.functionName === "(garbage collector)"],
];
console.log("\ninclusive time of subtrees (a frame counted once, first match up the stack):");
for (const [label, pred] of probes) {
  const us = inclusive(pred);
  console.log(`  ${((us / busy) * 100).toFixed(1).padStart(5)}%  ${(us / 1e3).toFixed(0).padStart(7)} ms  ${label}`);
}

import { expect } from "chai";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import path from "node:path";

// The folders depend on each other in one direction (README, "Layout"): a file imports only its own layer and
// the layers before it. A new folder or file at the top of src/ must be given a layer here before it passes.
const root = path.resolve(import.meta.dirname, "..");

/** The layers, first to last. A layer names folders (every file under them) and single files. */
export const layers: readonly (readonly string[])[] = [
  ["src/ledger"], // the pure core
  ["src/config.ts", "src/processes.ts"], // the environment read once, a process probe: they import nothing of the project
  ["src/imports"], // reading bank statements
  ["src/db", "knexfile.ts"], // the stores
  ["src/statements"], // the statement builder and its canonical CSV
  ["reports"], // documents
  ["src/public", "src/documents"], // public figures, checkpoints, the public sao kê; the committee's printed forms
  ["src/metrics.ts", "src/context.ts"], // the service assembled
  ["src/http", "src/web"], // routes and pages: app.ts mounts the pages, the pages parse forms with the API's schemas
  ["seeds"], // demo data, written through the service
  ["src/main.ts", "src/cli.ts", "src/bankcli.ts"], // the programs
];

/** Packages a folder never imports, and folders it never imports even where the order would let it. */
const forbidden: { folder: string; packages: RegExp; folders: string[]; why: string }[] = [
  { folder: "src/ledger", packages: /^(express|knex|pg|pg-.*|@electric-sql\/pglite.*|helmet)$/, folders: [],
    why: "the pure core: no HTTP, no database" },
  { folder: "reports", packages: /^(express|knex|pg|pg-.*|@electric-sql\/pglite.*|helmet)$/, folders: ["src/db"],
    why: "documents render what they are given: no HTTP, no database" },
];

/**
 * Imports that run against the order and stay, each with the reason. Empty: none does. An entry that no longer
 * matches an import fails the test too, so the list never outlives what it excuses.
 */
const knownExceptions: { from: string; to: string; why: string }[] = [];

/** Every module a file's text imports: static imports and re-exports, side-effect imports, dynamic import(). */
export function importsOf(text: string): string[] {
  // Comment lines go (//, /* and the * lines of a block); a URL's "//" or a route's "/*" inside a string stays.
  const code = text.replace(/^\s*(\/\/|\/\*|\*).*$/gm, "");
  const found: string[] = [];
  const statement = /^\s*(?:import|export)\s+(?:type\s+)?(?:[\w$]+\s*,?\s*)?(?:\{[^}]*\}|\*(?:\s+as\s+[\w$]+)?)?\s*from\s*["']([^"']+)["']/gm;
  for (const m of code.matchAll(statement)) found.push(m[1]!);
  for (const m of code.matchAll(/^\s*import\s*["']([^"']+)["']/gm)) found.push(m[1]!);
  for (const m of code.matchAll(/\bimport\(\s*["']([^"']+)["']\s*\)/g)) found.push(m[1]!);
  return found;
}

/** The layer a file of the project belongs to, by its path from the root ("src/db/store.ts"). */
export function layerOf(file: string): number {
  return layers.findIndex((layer) => layer.some((p) => file === p || file.startsWith(`${p}/`)));
}

/** The folder or file of a layer that holds a file (for messages and the allow-list). */
function unitOf(file: string): string {
  return layers.flat().find((p) => file === p || file.startsWith(`${p}/`)) ?? file;
}

interface Edge { from: string; specifier: string }

/** A relative import, resolved to the project's .ts file it names (NodeNext: "./x.js" is ./x.ts). */
function resolve(from: string, specifier: string): string {
  const target = path.posix.normalize(path.posix.join(path.posix.dirname(from), specifier));
  return target.replace(/\.js$/, ".ts");
}

/** What is wrong with a set of imports: against the order, or forbidden to the folder. */
export function problems(edges: readonly Edge[]): string[] {
  const out: string[] = [];
  for (const e of edges) {
    if (!e.specifier.startsWith(".")) {
      const pkg = e.specifier.startsWith("@") ? e.specifier.split("/").slice(0, 2).join("/") : e.specifier.split("/")[0]!;
      for (const f of forbidden) {
        if (unitOf(e.from) === f.folder && f.packages.test(pkg)) out.push(`${e.from} imports ${pkg} (${f.folder}: ${f.why})`);
      }
      continue;
    }
    const to = resolve(e.from, e.specifier);
    const a = layerOf(e.from), b = layerOf(to);
    if (b > a) out.push(`${e.from} imports ${to}: ${unitOf(to)} comes after ${unitOf(e.from)}`);
    for (const f of forbidden) {
      if (unitOf(e.from) === f.folder && f.folders.includes(unitOf(to))) out.push(`${e.from} imports ${to} (${f.folder}: ${f.why})`);
    }
  }
  return out;
}

function sources(): string[] {
  const files: string[] = [];
  const walk = (dir: string) => {
    for (const f of readdirSync(path.join(root, dir), { withFileTypes: true })) {
      const p = `${dir}/${f.name}`;
      if (f.isDirectory()) walk(p);
      else if (/\.ts$/.test(f.name) && !f.name.endsWith(".d.ts")) files.push(p);
    }
  };
  for (const dir of ["src", "reports", "seeds"]) walk(dir);
  return files;
}

describe("layout: the folders' order", () => {
  it("reads every form of import and nothing in comments or strings that only look like one", () => {
    const text = [
      `import { a,`, `  b } from "../db/store.js";`, `import type { C } from "./c.js";`, `import D, { e } from "d";`,
      `import * as f from "node:fs";`, `export * from "./g.js";`, `export { h } from "../h.js";`, `import "./side.js";`,
      `const x = await import("../late.js");`, `type P = import("../ledger/types.js").Principal;`,
      `// import { no } from "../commented.js";`, `/** Whole đồng from "500.000" */`, `const s = "import from here";`,
    ].join("\n");
    expect(importsOf(text).sort()).to.deep.equal(
      ["../db/store.js", "./c.js", "d", "node:fs", "./g.js", "../h.js", "./side.js", "../late.js", "../ledger/types.js"].sort());
  });

  it("reports an import of a later folder and a forbidden package, and passes the order's own", () => {
    expect(problems([{ from: "src/db/reconcile.ts", specifier: "../../reports/csv.js" }]))
      .to.deep.equal(["src/db/reconcile.ts imports reports/csv.ts: reports comes after src/db"]);
    expect(problems([{ from: "src/ledger/x.ts", specifier: "knex" }])).to.have.length(1);
    expect(problems([{ from: "reports/x.ts", specifier: "../src/db/store.js" }])).to.have.length(1);
    expect(problems([{ from: "src/http/app.ts", specifier: "../web/public.js" }])).to.deep.equal([]);
    expect(problems([{ from: "src/cli.ts", specifier: "./db/store.js" }])).to.deep.equal([]);
  });

  const files = sources();
  const edges: Edge[] = files.flatMap((from) =>
    importsOf(readFileSync(path.join(root, from), "utf8")).map((specifier) => ({ from, specifier })));

  it("places every file of src/, reports/ and seeds/ in a layer", () => {
    expect(files.length).to.be.greaterThan(100);
    expect(files.filter((f) => layerOf(f) < 0)).to.deep.equal([]);
  });

  it("finds each relative import's file", () => {
    expect(edges.length).to.be.greaterThan(500);
    const missing = edges.filter((e) => e.specifier.startsWith(".")).map((e) => resolve(e.from, e.specifier))
      .filter((f) => !existsSync(path.join(root, f)));
    expect(missing).to.deep.equal([]);
  });

  it("leaves the queries to src/db: routes and pages build none (no knex(…), no .raw(…))", () => {
    const queries = files.filter((f) => f.startsWith("src/http/") || f.startsWith("src/web/")).flatMap((f) =>
      readFileSync(path.join(root, f), "utf8").split("\n").flatMap((line, i) =>
        /^\s*(\/\/|\*)/.test(line) || !/\b(knex|trx)\s*\(|\.raw\s*\(/.test(line) ? [] : [`${f}:${i + 1}: ${line.trim()}`]));
    expect(queries).to.deep.equal([]);
  });

  it("imports nothing later in the order, and src/ledger and reports/ nothing they must not", () => {
    const excused = (p: string) => knownExceptions.some((k) => p.startsWith(`${k.from} imports ${k.to}`));
    expect(problems(edges).filter((p) => !excused(p))).to.deep.equal([]);
    const stale = knownExceptions.filter((k) => !problems(edges).some((p) => p.startsWith(`${k.from} imports ${k.to}`)));
    expect(stale, "known exceptions that no import needs any more").to.deep.equal([]);
  });
});

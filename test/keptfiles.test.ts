import { expect } from "chai";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { KeptFiles } from "../src/public/keptfiles.js";

// The keeper behind public statements and the sao kê downloads: one making per key however many ask at
// once, and a folder bounded in bytes and in files, so many small statements (every from/to a reader
// may type) cannot grow it, or its index in memory, without end.

describe("kept files", () => {
  let root: string;
  beforeEach(() => (root = mkdtempSync(path.join(tmpdir(), "soquy-kept-test-"))));
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  const writer = (text: string, made: { n: number }) => async (partial: string) => {
    made.n++;
    await new Promise((r) => setTimeout(r, 20));
    writeFileSync(partial, text);
    return { bytes: Buffer.byteLength(text), facts: text };
  };

  it("makes a file once for the requests that ask for it meanwhile, and serves it after", async () => {
    const files = new KeptFiles<string>({ prefix: "soquy-kept-test-a-", maxBytes: 1024, root });
    try {
      const made = { n: 0 };
      const all = await Promise.all(Array.from({ length: 20 }, () => files.get("k", writer("một", made))));
      expect(made.n).to.equal(1);
      expect(new Set(all.map((k) => k.file)).size).to.equal(1);
      expect((await files.find("k"))!.facts).to.equal("một");
      const handle = (await files.open("k", all[0]!))!;
      expect((await handle.readFile()).toString()).to.equal("một");
      await handle.close();
    } finally {
      files.close();
    }
  });

  it("keeps at most maxFiles files, the ones read least recently going first, however small they are", async () => {
    const files = new KeptFiles<string>({ prefix: "soquy-kept-test-b-", maxBytes: 1024 * 1024, maxFiles: 3, root });
    try {
      const made = { n: 0 };
      for (const k of ["a", "b", "c"]) await files.get(k, writer(k, made));
      await files.find("a"); // read again: b is now the least recently read
      await new Promise((r) => setTimeout(r, 5));
      const d = await files.get("d", writer("d", made));
      expect(files.count).to.equal(3);
      expect(await files.find("b")).to.equal(null);
      for (const k of ["a", "c", "d"]) expect(await files.find(k), k).not.to.equal(null);
      expect(readdirSync(files.dir).filter((n) => !n.endsWith(".partial"))).to.have.length(3);
      expect(existsSync(d.file)).to.equal(true);
      expect(made.n).to.equal(4);
    } finally {
      files.close();
    }
    expect(existsSync(files.dir)).to.equal(false);
  });

  it("opens nothing for a file the bound removed, and forgets it so the next request makes it again", async () => {
    const files = new KeptFiles<string>({ prefix: "soquy-kept-test-c-", maxBytes: 1, root });
    try {
      const made = { n: 0 };
      const first = await files.get("a", writer("aaaa", made));
      await files.get("b", writer("bbbb", made));
      expect(await files.open("a", first)).to.equal(null);
      await files.get("a", writer("aaaa", made));
      expect(made.n).to.equal(3);
    } finally {
      files.close();
    }
  });
});

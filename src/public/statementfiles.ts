import { createHash, randomBytes } from "node:crypto";
import { createWriteStream, mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { open as openFile, rename, type FileHandle } from "node:fs/promises";
import { finished } from "node:stream/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { renderStatementPdf } from "../../reports/pdf.js";
import type { StatementQueries } from "../db/statements.js";
import type { Campaign, Committee } from "../ledger/types.js";
import { prepareStatement, type PreparedStatement } from "../statements/builder.js";
import type { StatementFormat } from "../statements/types.js";

// The public statement of a publication, made once and then served from a file. A statement cut at
// publication N (`?at=N`, the link every public page and press sentence gives) never changes, so on
// the day a story runs the thousands who download it read the same file instead of each one
// streaming and hashing the whole campaign again: the first request makes it, the ones that arrive
// meanwhile wait for that one, and everyone after reads the file.
//
// The files are this process's own (a folder under the system's temporary folder, removed at close
// and, after a crash, by the next start): files shared between processes would need a key that
// names the database too, and a second process making its own copy once costs one statement.
// Public statements hold only what the public may see anyway. The folder is bounded: the files
// read least recently go first.

export type StatementKind = "csv" | "pdf";

export interface PublicationCut { vseq: number; headSeq: number; headHash: string }

export interface StatementRequest {
  committee: Committee;
  campaign: Campaign;
  publication: PublicationCut;
  from?: string | undefined;
  to?: string | undefined;
}

/** What a kept file holds, for the response's headers and the public page's facts. */
export interface StoredStatement {
  file: string;
  bytes: number;
  /** SHA-256 of the file's bytes (for the CSV: the statement digest checkpoints sign). */
  sha256: string;
  /** The digest of the CSV of the same cut (the PDF prints it in its footer). */
  digest: string;
  name: string;
  position: { seq: number; hash: string };
  format: StatementFormat;
  lines: number;
  inDong: bigint;
  outDong: bigint;
  openingDong: bigint;
  closingDong: bigint;
  from: string;
  to: string;
  usedAt: number;
}

/** The key of a public statement download: what the request names, so a kept file is found without the database. */
export function statementKey(committee: string, campaign: string, vseq: number, from: string | undefined, to: string | undefined, kind: StatementKind): string {
  return `${committee}|${campaign}|${vseq}|${from ?? ""}|${to ?? ""}|${kind}`;
}

const DIR_PREFIX = "soquy-public-statements-";

export class StatementFiles {
  private readonly dir: string;
  private readonly kept = new Map<string, Promise<StoredStatement>>();
  /** The files made, by key (a subset of kept: those no longer being made). */
  private readonly made = new Map<string, StoredStatement>();
  /** Statements made since start (each one a full pass over its campaign's rows). */
  makings = 0;

  constructor(private readonly statements: StatementQueries, private readonly maxBytes: number, root = tmpdir()) {
    sweepDeadProcesses(root);
    this.dir = path.join(root, `${DIR_PREFIX}${process.pid}-${randomBytes(4).toString("hex")}`);
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
  }

  /** A file already made for this request key (no database work), or null. */
  async find(key: string): Promise<StoredStatement | null> {
    const kept = this.kept.get(key);
    if (!kept) return null;
    const stored = await kept.catch(() => null);
    if (stored) stored.usedAt = Date.now();
    return stored;
  }

  /** The kept file opened for reading, or null (and forgotten) when the bound removed it. */
  async open(key: string, stored: StoredStatement): Promise<FileHandle | null> {
    try {
      return await openFile(stored.file, "r");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
      if (this.made.get(key) === stored) {
        this.made.delete(key);
        this.kept.delete(key);
      }
      return null;
    }
  }

  /** The statement file for this cut, made now unless it is kept or being made. */
  get(key: string, kind: StatementKind, req: StatementRequest | (() => Promise<StatementRequest>)): Promise<StoredStatement> {
    let kept = this.kept.get(key);
    if (!kept) {
      kept = (typeof req === "function" ? req() : Promise.resolve(req)).then((r) => this.make(kind, r));
      this.kept.set(key, kept);
      kept.then((stored) => {
        if (this.kept.get(key) !== kept) return rmSync(stored.file, { force: true }); // closed meanwhile
        this.made.set(key, stored);
        this.bound(key);
      }, () => this.kept.delete(key));
    }
    return kept;
  }

  close(): void {
    this.kept.clear();
    this.made.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }

  private async make(kind: StatementKind, req: StatementRequest): Promise<StoredStatement> {
    this.makings++;
    const st = await prepareStatement(this.statements, req.committee, req.campaign, {
      audience: "public", from: req.from, to: req.to, publication: req.publication,
    });
    const base = `${req.committee.code}-${req.campaign.code}-p${req.publication.vseq}-${st.header.from}-${st.header.to}`;
    const file = path.join(this.dir, `${base}.${kind}`);
    const partial = `${file}.${randomBytes(4).toString("hex")}.partial`;
    try {
      const hashed = new HashingWriter(partial);
      if (kind === "csv") await st.writeCsv(hashed.stream);
      else await renderPdf(st, hashed.stream);
      const { bytes, sha256 } = await hashed.done();
      await rename(partial, file);
      const h = st.header;
      return {
        file, bytes, sha256, digest: st.digest, name: `soquy-${h.committee.code}-${h.campaign.code}-${h.from}-${h.to}-public.${kind}`,
        position: h.position, format: h.format, lines: st.totals.lines, inDong: st.totals.inDong, outDong: st.totals.outDong,
        openingDong: h.openingDong, closingDong: st.totals.closingDong, from: h.from, to: h.to, usedAt: Date.now(),
      };
    } catch (error) {
      rmSync(partial, { force: true });
      throw error;
    } finally {
      st.dispose();
    }
  }

  /** Removes the files read least recently until the folder fits its bound (never the one just made). */
  private bound(justMade: string): void {
    const made = [...this.made].filter(([key]) => key !== justMade);
    const newest = this.made.get(justMade);
    let total = made.reduce((sum, [, s]) => sum + s.bytes, newest?.bytes ?? 0);
    made.sort((a, b) => a[1].usedAt - b[1].usedAt);
    for (const [key, stored] of made) {
      if (total <= this.maxBytes) break;
      this.kept.delete(key);
      this.made.delete(key);
      total -= stored.bytes;
      // A download already reading it keeps its open handle; the name goes now.
      rmSync(stored.file, { force: true });
    }
  }
}

async function renderPdf(st: PreparedStatement, out: NodeJS.WritableStream): Promise<void> {
  await renderStatementPdf({
    header: st.header, totals: st.totals, summary: st.summary, digest: st.digest, lines: st.lines(), lineCount: st.totals.lines,
    people: st.people,
  }, out);
}

/** A file stream that hashes what goes through it. */
class HashingWriter {
  private readonly hash = createHash("sha256");
  private bytes = 0;
  readonly stream;

  constructor(file: string) {
    const out = createWriteStream(file, { mode: 0o600 });
    const write = out.write.bind(out) as (chunk: unknown, ...rest: unknown[]) => boolean;
    out.write = ((chunk: unknown, ...rest: unknown[]) => {
      const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk as string, typeof rest[0] === "string" ? (rest[0] as BufferEncoding) : "utf8");
      this.hash.update(buf);
      this.bytes += buf.length;
      return write(buf, ...rest.filter((r) => typeof r === "function"));
    }) as typeof out.write;
    this.stream = out;
  }

  async done(): Promise<{ bytes: number; sha256: string }> {
    if (!this.stream.writableEnded) this.stream.end();
    await finished(this.stream);
    return { bytes: this.bytes, sha256: this.hash.digest("hex") };
  }
}

/** Folders left by processes that are gone (a crash skips close()). */
function sweepDeadProcesses(root: string): void {
  let names: string[];
  try {
    names = readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    if (!name.startsWith(DIR_PREFIX)) continue;
    const pid = Number(name.slice(DIR_PREFIX.length).split("-")[0]);
    if (!Number.isSafeInteger(pid) || pid <= 0 || alive(pid)) continue;
    try {
      if (statSync(path.join(root, name)).isDirectory()) rmSync(path.join(root, name), { recursive: true, force: true });
    } catch {
      // another process swept it first
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

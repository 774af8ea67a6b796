import { createHash } from "node:crypto";
import { createWriteStream } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import { finished } from "node:stream/promises";
import type { StatementQueries } from "../db/statements.js";
import type { Campaign, Committee } from "../ledger/types.js";
import { prepareStatement } from "../statements/builder.js";
import { writeStatementPdf } from "../../reports/pdf.js";
import type { StatementFormat } from "../statements/types.js";
import { KeptFiles, type KeptFile } from "./keptfiles.js";

// The public statement of a publication, made once and then served from a file. A statement cut at
// publication N (`?at=N`, the link every public page and press sentence gives) never changes, so on
// the day a story runs the thousands who download it read the same file instead of each one
// streaming and hashing the whole campaign again. Keeping the files (one making at a time, the bound,
// the sweep after a crash) is KeptFiles'; public statements hold only what the public may see anyway.

export type StatementKind = "csv" | "pdf";

export interface PublicationCut { vseq: number; headSeq: number; headHash: string }

export interface StatementRequest {
  committee: Committee;
  campaign: Campaign;
  publication: PublicationCut;
  from?: string | undefined;
  to?: string | undefined;
}

/** What a kept statement's making found, for the response's headers and the public page's facts. */
export interface StatementFacts {
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
}

/** A kept statement file: where it is, its size, and what it holds. */
export type StoredStatement = KeptFile<StatementFacts>;

/** The key of a public statement download: what the request names, so a kept file is found without the database. */
export function statementKey(committee: string, campaign: string, vseq: number, from: string | undefined, to: string | undefined, kind: StatementKind): string {
  return `${committee}|${campaign}|${vseq}|${from ?? ""}|${to ?? ""}|${kind}`;
}

/** Statements narrowed to dates (from, to) kept at the most: any caller may type a new range. */
const RANGED_FILES = 200;

export class StatementFiles {
  /** The permalinks (a publication's whole statement), apart from ranges anyone may type, which cannot push them out. */
  private readonly whole: KeptFiles<StatementFacts>;
  private readonly ranged: KeptFiles<StatementFacts>;
  /** Statements made since start (each one a full pass over its campaign's rows). */
  makings = 0;

  constructor(private readonly statements: StatementQueries, maxBytes: number, root?: string, rangedFiles = RANGED_FILES) {
    this.whole = new KeptFiles({ prefix: "soquy-public-statements-", maxBytes, root });
    this.ranged = new KeptFiles({ prefix: "soquy-public-ranges-", maxBytes: Math.ceil(maxBytes / 4), maxFiles: rangedFiles, root });
  }

  /** A file already made for this request key (no database work), or null. */
  find(key: string): Promise<StoredStatement | null> {
    return this.keeper(key).find(key);
  }

  /** The kept file opened for reading, or null (and forgotten) when the bound removed it. */
  open(key: string, stored: StoredStatement): Promise<FileHandle | null> {
    return this.keeper(key).open(key, stored);
  }

  /** The statement file for this cut, made now unless it is kept or being made. */
  get(key: string, kind: StatementKind, req: StatementRequest | (() => Promise<StatementRequest>)): Promise<StoredStatement> {
    return this.keeper(key).get(key, async (partial) => this.make(kind, typeof req === "function" ? await req() : req, partial));
  }

  close(): void {
    this.whole.close();
    this.ranged.close();
  }

  /** Which keeper holds a key: statementKey puts from and to in its fourth and fifth parts. */
  private keeper(key: string): KeptFiles<StatementFacts> {
    const [, , , from, to] = key.split("|");
    return from || to ? this.ranged : this.whole;
  }

  private async make(kind: StatementKind, req: StatementRequest, partial: string): Promise<{ bytes: number; facts: StatementFacts }> {
    this.makings++;
    const st = await prepareStatement(this.statements, req.committee, req.campaign, {
      audience: "public", from: req.from, to: req.to, publication: req.publication,
    });
    try {
      const hashed = new HashingWriter(partial);
      if (kind === "csv") await st.writeCsv(hashed.stream);
      else await writeStatementPdf(st, hashed.stream);
      const { bytes, sha256 } = await hashed.done();
      const h = st.header;
      return {
        bytes,
        facts: {
          sha256, digest: st.digest, name: `soquy-${h.committee.code}-${h.campaign.code}-${h.from}-${h.to}-public.${kind}`,
          position: h.position, format: h.format, lines: st.totals.lines, inDong: st.totals.inDong, outDong: st.totals.outDong,
          openingDong: h.openingDong, closingDong: st.totals.closingDong, from: h.from, to: h.to,
        },
      };
    } finally {
      st.dispose();
    }
  }
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

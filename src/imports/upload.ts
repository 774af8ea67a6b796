import { randomBytes } from "node:crypto";
import { createReadStream, createWriteStream, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { Transform } from "node:stream";
import { LedgerError } from "../ledger/codes.js";

/** The largest statement file accepted. */
export const MAX_STATEMENT_BYTES = 512 * 1024 * 1024;

/** Passes bytes on until there are more than max, then fails with payload_too_large. */
export function limited(max: number) {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _enc, done) {
      seen += chunk.length;
      if (seen > max) done(new LedgerError("payload_too_large", `a statement file is at most ${max / 1024 / 1024} MB`));
      else done(null, chunk);
    },
  });
}

// A statement upload is read to a temporary file before the import starts: the import takes the
// committee's write lock and a database connection (PGlite's only one), and a slow client must hold
// neither while its bytes trickle in. An upload that sends nothing for `idleMs` is ended.

export interface Spooled {
  /** The uploaded bytes, from the start. */
  open(): Readable;
  /** How many there are. */
  bytes: number;
  remove(): void;
}

/** An incoming body: what spoolUpload needs of an HTTP request. */
type Upload = Readable & { destroy(error?: Error): unknown };

export async function spoolUpload(req: Upload, maxBytes: number, idleMs: number): Promise<Spooled> {
  const file = path.join(tmpdir(), `soquy-upload-${process.pid}-${randomBytes(8).toString("hex")}`);
  const remove = () => rmSync(file, { force: true });
  const limit = limited(maxBytes);
  let idle: NodeJS.Timeout | null = null;
  const arm = () => {
    if (idle) clearTimeout(idle);
    // Ending the pipeline, not the socket: the client still gets its answer.
    idle = setTimeout(() => limit.destroy(new LedgerError("upload_timeout",
      `the upload sent nothing for ${Math.round(idleMs / 1000)} s and was ended; send the file again`)), idleMs);
  };
  arm();
  req.on("data", arm);
  try {
    await pipeline(req, limit, createWriteStream(file, { mode: 0o600 }));
    return { open: () => createReadStream(file), bytes: statSync(file).size, remove };
  } catch (error) {
    remove();
    if (error instanceof LedgerError) throw error;
    throw new LedgerError("upload_timeout", "the upload was cut off before its end; send the file again");
  } finally {
    if (idle) clearTimeout(idle);
    req.off("data", arm);
  }
}

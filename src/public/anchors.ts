import { existsSync, mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fail } from "../ledger/codes.js";
import type { Anchor } from "../ledger/verify.js";
import type { CheckpointPayload } from "./checkpoints.js";
import { importPublicKey, publicKeyInfo, verifySignature, type PublicKeyInfo } from "./signing.js";

// A checkpoint is worth what its copies outside the database are worth: whoever runs the database can
// delete checkpoints with the rows they vouch for, and rewrite a chain so that it verifies again. An
// exported checkpoint is a file holding the exact signed text, its signature and the public key;
// `verify --checkpoints` checks the chain against every such file and that the database still holds
// each checkpoint unchanged. Exporting never rewrites a file it wrote before.

export const EXPORT_FORMAT = "soquy-checkpoint-file/1";

export interface ExportedCheckpoint {
  format: typeof EXPORT_FORMAT;
  committee: string;
  id: number;
  /** The signed text exactly (canonical JSON): a re-serialised copy would not verify. */
  payload: string;
  signature: string;
  key: PublicKeyInfo;
}

export interface StoredForExport { id: number; payload: string; signature: string; keyId: string }

export function exportFileName(committee: string, id: number): string {
  return `${committee}-checkpoint-${String(id).padStart(8, "0")}.json`;
}

/** Writes each checkpoint not yet in the folder; a file already there must hold the same checkpoint. */
export function exportCheckpoints(committee: string, stored: StoredForExport[], keys: Map<string, PublicKeyInfo>, dir: string): { written: number; present: number } {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (error) {
    fail("validation_failed", `cannot make the folder ${dir}: ${(error as Error).message}`, "out");
  }
  let written = 0;
  let present = 0;
  for (const c of stored) {
    const key = keys.get(c.keyId);
    if (!key) fail("validation_failed", `checkpoint #${c.id} is signed by key ${c.keyId}, which this service does not hold (set SOQUY_RETIRED_KEYS)`, "committee");
    const file = path.join(dir, exportFileName(committee, c.id));
    const body: ExportedCheckpoint = { format: EXPORT_FORMAT, committee, id: c.id, payload: c.payload, signature: c.signature, key };
    const text = `${JSON.stringify(body, null, 2)}\n`;
    if (existsSync(file)) {
      if (readFileSync(file, "utf8") !== text) {
        fail("validation_failed", `${file} holds another checkpoint #${c.id} than the database's: the database or the file was changed (never overwritten)`, "out");
      }
      present++;
      continue;
    }
    try {
      writeFileSync(file, text, { flag: "wx", mode: 0o644 });
    } catch (error) {
      fail("validation_failed", `cannot write ${file}: ${(error as Error).message}`, "out");
    }
    written++;
  }
  return { written, present };
}

/** The exported checkpoints of a committee in a file or a folder, oldest first; a file that does not parse is refused. */
export function readExported(where: string, committee: string): ExportedCheckpoint[] {
  if (!existsSync(where)) fail("validation_failed", `${where} does not exist`, "checkpoints");
  const files = statSync(where).isDirectory()
    ? readdirSync(where).filter((f) => f.startsWith(`${committee}-checkpoint-`) && f.endsWith(".json")).map((f) => path.join(where, f))
    : [where];
  const out: ExportedCheckpoint[] = [];
  for (const file of files) {
    let c: ExportedCheckpoint;
    try {
      c = JSON.parse(readFileSync(file, "utf8")) as ExportedCheckpoint;
    } catch (error) {
      fail("validation_failed", `${file} is not a checkpoint file (${(error as Error).message})`, "checkpoints");
    }
    if (c.format !== EXPORT_FORMAT || typeof c.payload !== "string" || typeof c.signature !== "string" || !c.key?.publicKey) {
      fail("validation_failed", `${file} is not a ${EXPORT_FORMAT} file`, "checkpoints");
    }
    if (c.committee === committee) out.push(c);
  }
  return out.sort((a, b) => a.id - b.id);
}

export interface ExternalCheck {
  anchors: Anchor[];
  /** The first exported checkpoint the database no longer holds as it was, if any. */
  missing: string | null;
}

/**
 * Anchors from exported copies. A copy's signature must hold under a key this service trusts (the
 * copy names its key; a copy whose key the service does not trust cannot vouch for anything), and
 * the database must still hold the same checkpoint.
 */
export function externalAnchors(exported: ExportedCheckpoint[], trusted: Set<string>, held: Map<number, string>): ExternalCheck {
  const anchors: Anchor[] = [];
  let missing: string | null = null;
  for (const c of exported) {
    const label = `exported checkpoint #${c.id}`;
    const key = importPublicKey(c.key.publicKey);
    const keyId = publicKeyInfo(key).keyId;
    const payload = JSON.parse(c.payload) as CheckpointPayload;
    anchors.push({
      label: trusted.has(keyId) ? label : `${label} (key ${keyId}, not trusted by this service)`,
      seq: payload.ledger.sequence, hash: payload.ledger.hash ?? "",
      signatureOk: trusted.has(keyId) && verifySignature(c.payload, c.signature, key),
    });
    if (missing === null && held.get(c.id) !== c.payload) missing = `${label} is ${held.has(c.id) ? "changed" : "no longer"} in the database`;
  }
  return { anchors, missing };
}

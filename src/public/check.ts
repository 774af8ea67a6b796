import { createHash, type KeyObject } from "node:crypto";
import { CHECKPOINT_FORMATS, type CheckpointPayload } from "./checkpoints.js";
import { canonicalJson, verifySignature } from "./signing.js";

// The standalone check a reader runs offline: is this downloaded public
// statement the one a signed checkpoint vouches for, and does it add up?
// No database, no network: the CSV bytes, the checkpoint JSON and a public key.

export interface CheckReport {
  ok: boolean;
  /** What was checked and held, in reading order. */
  passed: string[];
  /** What did not hold; empty when ok. */
  problems: string[];
  campaign: string | null;
  digest: string;
}

export interface CheckpointFile {
  payload: CheckpointPayload;
  signature: string;
  keyId?: string;
}

export function checkStatement(csv: Buffer, checkpoint: CheckpointFile, key: KeyObject, keyId: string): CheckReport {
  const passed: string[] = [];
  const problems: string[] = [];
  const digest = createHash("sha256").update(csv).digest("hex");
  const report = (campaign: string | null): CheckReport => ({ ok: problems.length === 0, passed, problems, campaign, digest });

  const p = checkpoint.payload;
  if (!(CHECKPOINT_FORMATS as readonly unknown[]).includes(p?.format)) {
    problems.push(`the checkpoint's format is ${JSON.stringify(p?.format)}, not one of ${CHECKPOINT_FORMATS.join(", ")}`);
    return report(null);
  }
  if (p.keyId !== keyId) problems.push(`the checkpoint names key ${p.keyId}, but the key given is ${keyId}`);
  if (verifySignature(canonicalJson(p), String(checkpoint.signature), key)) passed.push(`Ed25519 signature valid (key ${keyId})`);
  else problems.push("the checkpoint's signature does not match its contents and this key: it was altered or signed by another key");

  let parsed: ParsedStatement;
  try {
    parsed = parseStatementCsv(csv);
  } catch (error) {
    problems.push(`the statement cannot be read: ${(error as Error).message}`);
    return report(null);
  }
  passed.push(`statement read: ${parsed.lines} entry lines`);
  if (parsed.rowsAddUp.length === 0) passed.push("opening + in − out = closing, and every running balance follows");
  else problems.push(...parsed.rowsAddUp);

  const c = p.campaigns.find((x) => x.statement?.digest === digest) ?? p.campaigns.find((x) => x.code === parsed.campaign);
  if (!c) {
    problems.push(`the checkpoint has no campaign ${parsed.campaign ?? "(unnamed)"}`);
    return report(parsed.campaign);
  }
  if (!c.statement) {
    problems.push(`the checkpoint has no public statement for campaign ${c.code}`);
    return report(c.code);
  }
  const s = c.statement;
  const format = s.format ?? "soquy-statement/1";
  if (parsed.format === format) passed.push(`statement format ${format}, as signed`);
  else problems.push(`the statement is in format ${parsed.format}, the checkpoint signed ${format}`);
  if (s.digest === digest) passed.push(`SHA-256 of the file equals the digest signed for ${c.code}: ${digest}`);
  else problems.push(`SHA-256 of the file is ${digest}; the checkpoint signed ${s.digest} for ${c.code}`);
  const pos = `${p.publication.sequence}:${p.publication.hash}`;
  if (`${parsed.positionSeq}:${parsed.positionHash}` === pos) passed.push(`cut at the checkpoint's ledger position ${p.publication.sequence}`);
  else problems.push(`the statement was cut at ${parsed.positionSeq}:${parsed.positionHash}, the checkpoint at ${pos}`);
  const same = (label: string, file: bigint | number, signed: string | number) => {
    if (String(file) === String(signed)) passed.push(`${label} ${file} as signed`);
    else problems.push(`${label}: the statement says ${file}, the checkpoint ${signed}`);
  };
  same("lines", parsed.lines, s.lines);
  same("opening", parsed.openingDong, s.openingDong);
  same("in", parsed.inDong, s.inDong);
  same("out", parsed.outDong, s.outDong);
  same("closing", parsed.closingDong, s.closingDong);
  same("closing balance against the signed campaign balance", parsed.closingDong, c.balanceDong);
  return report(c.code);
}

export interface ParsedStatement {
  campaign: string | null;
  /** From the opening row's entry_id cell; empty there in format v1. */
  format: string;
  lines: number;
  openingDong: bigint;
  inDong: bigint;
  outDong: bigint;
  closingDong: bigint;
  positionSeq: string;
  positionHash: string;
  /** Arithmetic that does not hold, if any. */
  rowsAddUp: string[];
}

/** Reads a soquy statement CSV (src/statements/csv.ts) and re-adds it. */
export function parseStatementCsv(bytes: Buffer): ParsedStatement {
  let text = bytes.toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  const rows = parseCsv(text);
  const header = rows[0];
  if (!header || header[0] !== "row_type" || header.length !== 16) throw new Error("the first row is not a soquy statement header");
  const col = (name: string) => header.indexOf(name);
  const [iIn, iOut, iBal, iSeq, iHash, iDesc] = ["in_dong", "out_dong", "balance_dong", "sequence", "entry_hash", "description"].map(col);
  const opening = rows[1];
  const closing = rows[rows.length - 1];
  if (opening?.[0] !== "opening" || closing?.[0] !== "closing") throw new Error("the opening or closing row is missing");
  const int = (v: string | undefined, where: string) => {
    if (v === undefined || !/^-?\d+$/.test(v)) throw new Error(`${where}: ${JSON.stringify(v)} is not a whole number of đồng`);
    return BigInt(v);
  };
  const problems: string[] = [];
  const openingDong = int(opening[iBal!], "opening balance");
  let balance = openingDong;
  let inDong = 0n;
  let outDong = 0n;
  let lines = 0;
  for (let i = 2; i < rows.length - 1; i++) {
    const r = rows[i]!;
    if (r[0] !== "entry") throw new Error(`row ${i + 1} is ${JSON.stringify(r[0])}, expected an entry`);
    const a = int(r[iIn!], `row ${i + 1} in_dong`);
    const b = int(r[iOut!], `row ${i + 1} out_dong`);
    balance += a - b;
    inDong += a;
    outDong += b;
    lines++;
    if (int(r[iBal!], `row ${i + 1} balance_dong`) !== balance && problems.length < 10) {
      problems.push(`row ${i + 1} (sequence ${r[iSeq!]}): running balance ${r[iBal!]}, but the rows add up to ${balance}`);
    }
  }
  const closingIn = int(closing[iIn!], "closing in_dong");
  const closingOut = int(closing[iOut!], "closing out_dong");
  const closingDong = int(closing[iBal!], "closing balance");
  if (closingIn !== inDong) problems.push(`closing row says in ${closingIn}, rows add up to ${inDong}`);
  if (closingOut !== outDong) problems.push(`closing row says out ${closingOut}, rows add up to ${outDong}`);
  if (closingDong !== openingDong + inDong - outDong) problems.push(`closing ${closingDong} ≠ opening ${openingDong} + in ${inDong} − out ${outDong}`);
  const m = /^Số dư đầu kỳ — (\S+) /.exec(opening[iDesc!] ?? "");
  return {
    campaign: m?.[1] ?? null, format: opening[col("entry_id")] || "soquy-statement/1", lines, openingDong, inDong, outDong, closingDong,
    positionSeq: closing[iSeq!] ?? "", positionHash: closing[iHash!] ?? "", rowsAddUp: problems,
  };
}

/** RFC 4180: quoted cells may hold commas, quotes ("") and line breaks; rows end with CRLF. */
export function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let cell = "";
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]!;
    if (quoted) {
      if (ch === '"' && text[i + 1] === '"') { cell += '"'; i++; } else if (ch === '"') quoted = false;
      else cell += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ",") { row.push(cell); cell = ""; } else if (ch === "\r" && text[i + 1] === "\n") {
      row.push(cell); rows.push(row); row = []; cell = ""; i++;
    } else cell += ch;
  }
  if (quoted) throw new Error("a quoted cell is not closed");
  if (cell !== "" || row.length > 0) { row.push(cell); rows.push(row); }
  return rows;
}

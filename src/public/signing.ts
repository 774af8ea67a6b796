import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, sign, verify, type KeyObject } from "node:crypto";
import { fail } from "../ledger/codes.js";
import { readConfig } from "../config.js";
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";

// Ed25519 signing of checkpoints. The private key lives in a file outside the
// database (whoever can write the database must not be able to forge a
// checkpoint): SOQUY_SIGNING_KEY_FILE, or DATA_DIR/signing-key.pem, made on
// first use with mode 600. Pure crypto here; no database.

export interface PublicKeyInfo {
  algorithm: "Ed25519";
  keyId: string; // first 16 hex digits of SHA-256 over the raw 32-byte public key
  publicKey: string; // raw 32 bytes, base64
  publicKeyPem: string;
}

export class Signer {
  readonly info: PublicKeyInfo;

  private constructor(private readonly key: KeyObject) {
    this.info = publicKeyInfo(createPublicKey(key));
  }

  /**
   * Loads the key file, or makes one when it does not exist yet and `create` allows it. In production
   * it never does: several processes must sign with one key the operator provides, and a key made by
   * whichever process signed first would make the others' checkpoints fail `verify`.
   */
  static fromFile(file: string, create = true): Signer {
    if (!existsSync(file) && !create) {
      fail("signing_key_missing", `no signing key at ${file}: in production soquy never makes one of its own. ` +
        `Make it once (npm run --silent cli -- key create --out ${file}) and give that file to every process`);
    }
    if (!existsSync(file)) {
      mkdirSync(path.dirname(file), { recursive: true });
      const { privateKey } = generateKeyPairSync("ed25519");
      writeFileSync(file, privateKey.export({ type: "pkcs8", format: "pem" }), { mode: 0o600, flag: "wx" });
      chmodSync(file, 0o600);
    }
    const key = createPrivateKey(readFileSync(file));
    if (key.asymmetricKeyType !== "ed25519") throw new Error(`${file} does not hold an Ed25519 private key`);
    return new Signer(key);
  }

  static fromEnv(dataDir: string): Signer {
    return Signer.fromFile(readConfig().signingKeyFile || path.join(dataDir, "signing-key.pem"));
  }

  /** Base64 Ed25519 signature over the UTF-8 bytes of the text. */
  sign(text: string): string {
    return sign(null, Buffer.from(text, "utf8"), this.key).toString("base64");
  }
}

export function publicKeyInfo(pub: KeyObject): PublicKeyInfo {
  const jwk = pub.export({ format: "jwk" });
  const raw = Buffer.from(jwk.x!, "base64url");
  return {
    algorithm: "Ed25519",
    keyId: createHash("sha256").update(raw).digest("hex").slice(0, 16),
    publicKey: raw.toString("base64"),
    publicKeyPem: String(pub.export({ type: "spki", format: "pem" })),
  };
}

/** A public key from its raw base64 form or PEM. */
export function importPublicKey(text: string): KeyObject {
  const t = text.trim();
  if (t.startsWith("-----BEGIN")) return createPublicKey(t);
  const raw = Buffer.from(t, "base64");
  if (raw.length !== 32) throw new Error("an Ed25519 public key is 32 bytes");
  return createPublicKey({ key: { kty: "OKP", crv: "Ed25519", x: raw.toString("base64url") }, format: "jwk" });
}

export function verifySignature(text: string, signatureBase64: string, pub: KeyObject): boolean {
  const sig = Buffer.from(signatureBase64, "base64");
  if (sig.length !== 64) return false;
  return verify(null, Buffer.from(text, "utf8"), pub, sig);
}

/**
 * Canonical JSON: object keys sorted, no whitespace, strings as JSON.stringify
 * writes them. Checkpoints hold only strings, integers, booleans and null, so
 * the same payload always gives the same bytes to sign.
 */
export function canonicalJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(canonicalJson).join(",")}]`;
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    return `{${Object.keys(o).sort().filter((k) => o[k] !== undefined).map((k) => `${JSON.stringify(k)}:${canonicalJson(o[k])}`).join(",")}}`;
  }
  if (typeof v === "number" && !Number.isSafeInteger(v)) throw new Error(`checkpoints hold integers only, got ${v}`);
  return JSON.stringify(v);
}

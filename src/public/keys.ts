import { existsSync, readdirSync } from "node:fs";
import path from "node:path";
import { importPublicKey, publicKeyInfo, type PublicKeyInfo, Signer } from "./signing.js";

// The checkpoint keys of a service. One key signs for every committee unless a committee has one of
// its own (`<code>.pem` in SOQUY_SIGNING_KEYS_DIR: a province may want its wards' checkpoints signed by
// keys their own officers keep). Keys taken out of use stay trusted for the checkpoints they signed:
// SOQUY_RETIRED_KEYS, each `<base64>` (every committee) or `<code>:<base64>` (one committee).

export interface ListedKey extends PublicKeyInfo {
  /** The committee the key is for; null: the service's key, for every committee without one of its own. */
  committee: string | null;
  status: "current" | "retired";
}

export interface KeyRingOptions {
  defaultFile: string;
  committeeDir: string | undefined;
  retired: string[];
  /** Whether the default key may be made on first use (never in production); asked when it is first needed. */
  create: () => boolean;
}

export class KeyRing {
  private readonly signers = new Map<string, Signer>();
  private fallback: Signer | null = null;

  constructor(private readonly opts: KeyRingOptions) {}

  /** The service's own key. */
  defaultSigner(): Signer {
    return (this.fallback ??= Signer.fromFile(this.opts.defaultFile, this.opts.create()));
  }

  /** The key that signs this committee's checkpoints now. */
  signerFor(committee: string): Signer {
    const own = this.ownFile(committee);
    if (!own) return this.defaultSigner();
    let signer = this.signers.get(committee);
    if (!signer) {
      signer = Signer.fromFile(own, false);
      this.signers.set(committee, signer);
    }
    return signer;
  }

  /** Every key whose signature on this committee's checkpoints is accepted, by key id. */
  trusted(committee: string): Map<string, PublicKeyInfo> {
    const keys = new Map<string, PublicKeyInfo>();
    for (const k of this.list(committee)) keys.set(k.keyId, k);
    return keys;
  }

  /**
   * The current and retired keys of one committee (or of every committee with a key of its own, read
   * from the keys folder once) and the service's own, for /.well-known/soquy-key.
   */
  list(committee: string | null = null): ListedKey[] {
    const out: ListedKey[] = [{ ...this.defaultSigner().info, committee: null, status: "current" }];
    for (const code of committee === null ? this.committeesWithKeys() : [committee]) {
      if (this.ownFile(code)) out.push({ ...this.signerFor(code).info, committee: code, status: "current" });
    }
    for (const entry of this.opts.retired) {
      const m = /^([a-z0-9][a-z0-9-]{1,62}):(.+)$/.exec(entry);
      const owner = m ? m[1]! : null;
      if (committee !== null && owner !== null && owner !== committee) continue;
      out.push({ ...publicKeyInfo(importPublicKey(m ? m[2]! : entry)), committee: owner, status: "retired" });
    }
    return out;
  }

  private committeesWithKeys(): string[] {
    if (!this.opts.committeeDir || !existsSync(this.opts.committeeDir)) return [];
    return readdirSync(this.opts.committeeDir).filter((f) => f.endsWith(".pem")).map((f) => f.slice(0, -4)).sort();
  }

  private ownFile(committee: string): string | null {
    if (!this.opts.committeeDir || !/^[a-z0-9][a-z0-9-]{1,62}$/.test(committee)) return null;
    const file = path.join(this.opts.committeeDir, `${committee}.pem`);
    return existsSync(file) ? file : null;
  }
}

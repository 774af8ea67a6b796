import type { PublicQueries, StoredCheckpoint } from "../db/public.js";
import { fail } from "../ledger/codes.js";
import type { Committee } from "../ledger/types.js";
import type { PublicService } from "./service.js";
import type { Anchor } from "../ledger/verify.js";
import type { StatementFormat } from "../statements/types.js";
import { canonicalJson, importPublicKey, publicKeyInfo, verifySignature, type Signer } from "./signing.js";

// Signed checkpoints: at each period close and on demand, the committee's
// chain head and each campaign's verified totals, with the digest of its
// public statement cut at the same publication, signed with Ed25519. A reader
// holding the public key checks a downloaded statement against it offline
// (`cli check-statement`), and a ledger cut back after a checkpoint is caught.

export const CHECKPOINT_FORMAT = "soquy-checkpoint/1";
const STATEMENT_WAIT_MS = 10 * 60_000;

export interface CheckpointPayload {
  format: typeof CHECKPOINT_FORMAT;
  keyId: string;
  committee: { code: string; name: string };
  reason: "period_close" | "on_demand";
  periodThrough: string | null;
  createdAt: string;
  ledger: { sequence: number; hash: string | null };
  publication: { number: number; publishedAt: string | null; sequence: number; hash: string | null };
  campaigns: {
    code: string;
    name: string;
    receivedDong: string;
    disbursedDong: string;
    otherOutDong: string;
    balanceDong: string;
    donations: number;
    disbursements: number;
    statement: null | {
      audience: "public";
      /** The statement's format; absent in checkpoints signed before formats were named: "soquy-statement/1". */
      format?: StatementFormat;
      from: string;
      to: string;
      lines: number;
      openingDong: string;
      inDong: string;
      outDong: string;
      closingDong: string;
      digest: string;
    };
  }[];
}

export interface SignedCheckpoint {
  id: number;
  payload: CheckpointPayload;
  signature: string;
  keyId: string;
}

export class Checkpoints {
  constructor(
    private readonly pub: PublicService,
    private readonly q: PublicQueries,
    private readonly signer: Signer,
    private readonly head: (committeeId: number) => Promise<{ seq: number; hash: string }>,
  ) {}

  async create(committee: Committee, reason: "period_close" | "on_demand", by: number | null,
    close: { id: number; through: string } | null = null): Promise<SignedCheckpoint> {
    if (close) {
      const existing = await this.q.checkpointOfClose(committee.id, close.id);
      if (existing) return view(existing);
    }
    const head = await this.head(committee.id);
    const totals = await this.pub.committeeTotals(committee.code, {});
    const campaigns: CheckpointPayload["campaigns"] = [];
    for (const t of totals.campaigns) {
      const facts = await this.pub.statementFacts(t, STATEMENT_WAIT_MS);
      const f = t.figures;
      campaigns.push({
        code: t.campaign.code, name: t.campaign.name, receivedDong: f.receivedDong.toString(), disbursedDong: f.disbursedDong.toString(),
        otherOutDong: f.otherOutDong.toString(), balanceDong: f.balanceDong.toString(), donations: f.donations, disbursements: f.disbursements,
        statement: facts && {
          audience: "public", format: facts.format, from: facts.from, to: facts.to, lines: facts.lines, openingDong: facts.openingDong.toString(),
          inDong: facts.inDong.toString(), outDong: facts.outDong.toString(), closingDong: facts.closingDong.toString(), digest: facts.digest,
        },
      });
    }
    const p = totals.publication;
    const payload: CheckpointPayload = {
      format: CHECKPOINT_FORMAT, keyId: this.signer.info.keyId, committee: { code: committee.code, name: committee.name },
      reason, periodThrough: close?.through ?? null, createdAt: new Date().toISOString(),
      ledger: { sequence: head.seq, hash: head.seq === 0 ? null : head.hash },
      publication: { number: p.vseq, publishedAt: p.publishedAt, sequence: p.headSeq, hash: p.headHash },
      campaigns,
    };
    const text = canonicalJson(payload);
    const stored = await this.q.insertCheckpoint({
      committeeId: committee.id, reason, periodCloseId: close?.id ?? null, createdBy: by, vseq: p.vseq, headSeq: head.seq,
      headHash: head.seq === 0 ? "0".repeat(64) : head.hash, payload: text, signature: this.signer.sign(text), keyId: this.signer.info.keyId,
      createdAt: payload.createdAt,
    });
    return view(stored);
  }

  /** The chain heads signed so far, each with whether its signature still holds (for verify). */
  async anchors(committeeId: number): Promise<Anchor[]> {
    // The current key and any retired ones (SOQUY_RETIRED_KEYS: raw public keys, base64, comma-separated).
    const keys = new Map([[this.signer.info.keyId, importPublicKey(this.signer.info.publicKey)]]);
    for (const k of (process.env.SOQUY_RETIRED_KEYS ?? "").split(",").map((x) => x.trim()).filter(Boolean)) {
      const pub = importPublicKey(k);
      keys.set(publicKeyInfo(pub).keyId, pub);
    }
    const out: Anchor[] = [];
    for (let before: number | null = null; ;) {
      const page = await this.q.checkpoints(committeeId, 500, before);
      for (const c of page) {
        const p = JSON.parse(c.payload) as CheckpointPayload;
        const key = keys.get(c.keyId);
        // A checkpoint signed by a key we do not hold cannot vouch for anything: reported, never skipped.
        out.push({
          label: key ? `checkpoint #${c.id}` : `checkpoint #${c.id} (key ${c.keyId}, not this service's nor a retired one)`,
          seq: p.ledger.sequence, hash: p.ledger.hash ?? "", signatureOk: key !== undefined && verifySignature(c.payload, c.signature, key),
        });
      }
      if (page.length < 500) return out;
      before = page.at(-1)!.id;
    }
  }

  async list(committee: Committee, limit: number, before: number | null): Promise<SignedCheckpoint[]> {
    return (await this.q.checkpoints(committee.id, limit, before)).map(view);
  }

  async get(committee: Committee, id: number): Promise<SignedCheckpoint> {
    const c = await this.q.checkpoint(committee.id, id);
    if (!c) fail("not_found", `no checkpoint ${id} in committee ${committee.code}`, "id");
    return view(c);
  }
}

function view(c: StoredCheckpoint): SignedCheckpoint {
  return { id: c.id, payload: JSON.parse(c.payload) as CheckpointPayload, signature: c.signature, keyId: c.keyId };
}

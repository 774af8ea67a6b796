import type { PublicQueries, StoredCheckpoint } from "../db/public.js";
import { fail } from "../ledger/codes.js";
import { retryable } from "../db/sqlstates.js";
import type { Committee } from "../ledger/types.js";
import type { PublicService } from "./service.js";
import type { Anchor } from "../ledger/verify.js";
import type { StatementFormat } from "../statements/types.js";
import { canonicalJson, importPublicKey, verifySignature } from "./signing.js";
import type { KeyRing } from "./keys.js";
import { exportCheckpoints, type ExternalCheck, externalAnchors, readExported } from "./anchors.js";

// Signed checkpoints: at each period close and on demand, the committee's
// chain head and each campaign's verified totals, with the digest of its
// public statement cut at the same publication, signed with Ed25519. A reader
// holding the public key checks a downloaded statement against it offline
// (`cli check-statement`), and a ledger cut back after a checkpoint is caught.

// Format 2 adds `people`; checkpoints signed in format 1 keep their bytes and still verify.
export const CHECKPOINT_FORMAT = "soquy-checkpoint/2";
export const CHECKPOINT_FORMATS = ["soquy-checkpoint/1", CHECKPOINT_FORMAT] as const;
const STATEMENT_WAIT_MS = 10 * 60_000;

export interface CheckpointPayload {
  format: (typeof CHECKPOINT_FORMATS)[number];
  /** Format 2 on: the committee's own count of its checkpoints, 1, 2, 3… (a gap means one was deleted). */
  number?: number;
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
  /**
   * Format 2 on: every person of the committee who ever held a token, with their role and when they began
   * and stopped acting, so an approver who appeared just before a close shows. Ids, never names (public).
   */
  people?: CheckpointPerson[];
}

export interface CheckpointPerson {
  id: number;
  role: string;
  createdAt: string;
  disabledAt: string | null;
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
    private readonly keys: KeyRing,
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
    const signer = this.keys.signerFor(committee.code);
    const people = await this.q.people(committee.id);
    // The committee's next number is taken when the row goes in; another process (or request) signing
    // at the same moment may take it first, and PostgreSQL refuses the second: sign again with the next.
    for (let attempt = 1; ; attempt++) {
      const number = await this.q.nextCheckpointNumber(committee.id);
      const payload: CheckpointPayload = {
        format: CHECKPOINT_FORMAT, number, keyId: signer.info.keyId, committee: { code: committee.code, name: committee.name },
        reason, periodThrough: close?.through ?? null, createdAt: new Date().toISOString(),
        ledger: { sequence: head.seq, hash: head.seq === 0 ? null : head.hash },
        publication: { number: p.vseq, publishedAt: p.publishedAt, sequence: p.headSeq, hash: p.headHash },
        campaigns,
        people,
      };
      const text = canonicalJson(payload);
      try {
        return view(await this.q.insertCheckpoint({
          committeeId: committee.id, reason, periodCloseId: close?.id ?? null, createdBy: by, vseq: p.vseq, headSeq: head.seq,
          headHash: head.seq === 0 ? "0".repeat(64) : head.hash, payload: text, signature: signer.sign(text), keyId: signer.info.keyId,
          createdAt: payload.createdAt, number,
        }));
      } catch (error) {
        if (!takenMeanwhile(error) || attempt >= MAX_SIGN_ATTEMPTS) throw error;
        const existing = close && (await this.q.checkpointOfClose(committee.id, close.id));
        if (existing) return view(existing); // the same close, signed by the other request
      }
    }
  }

  /** Every checkpoint of the committee, oldest first, as stored. */
  private async all(committeeId: number): Promise<StoredCheckpoint[]> {
    const out: StoredCheckpoint[] = [];
    for (let before: number | null = null; ;) {
      const page = await this.q.checkpoints(committeeId, 500, before);
      out.push(...page);
      if (page.length < 500) return out.reverse();
      before = page.at(-1)!.id;
    }
  }

  /** Copies every signed checkpoint of the committee to files in a folder (never rewriting one). */
  async exportTo(committee: Committee, dir: string): Promise<{ written: number; present: number }> {
    return exportCheckpoints(committee.code, await this.all(committee.id), this.keys.trusted(committee.code), dir);
  }

  /** Anchors from exported copies in a file or folder, and the first one the database no longer holds. */
  async external(committee: Committee, where: string): Promise<ExternalCheck> {
    const exported = readExported(where, committee.code);
    const held = new Map((await this.all(committee.id)).map((c) => [c.id, c.payload]));
    return externalAnchors(exported, new Set(this.keys.trusted(committee.code).keys()), held);
  }

  /** The chain heads signed so far, each with whether its signature still holds (for verify). */
  async anchors(committee: Committee): Promise<Anchor[]> {
    const keys = new Map([...this.keys.trusted(committee.code)].map(([id, info]) => [id, importPublicKey(info.publicKey)]));
    const stored = await this.all(committee.id);
    const out: Anchor[] = stored.map((c) => {
      const p = JSON.parse(c.payload) as CheckpointPayload;
      const key = keys.get(c.keyId);
      // A checkpoint signed by a key we do not hold cannot vouch for anything: reported, never skipped.
      return {
        label: key ? `checkpoint #${c.id}` : `checkpoint #${c.id} (key ${c.keyId}, not this service's nor a retired one)`,
        seq: p.ledger.sequence, hash: p.ledger.hash ?? "", signatureOk: key !== undefined && verifySignature(c.payload, c.signature, key),
        problem: p.number !== undefined && p.number !== c.number ? `checkpoint #${c.id} signs number ${p.number} but is stored as ${c.number}` : undefined,
      };
    });
    const gap = numberGap(stored.map((c) => c.number));
    if (gap) out.push({ label: `checkpoint number ${gap.missing}`, seq: 0, hash: "", signatureOk: true, problem: gap.text });
    return out;
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

const MAX_SIGN_ATTEMPTS = 10;

/** A number (or a close's one checkpoint) another signer took between reading and writing (src/db/sqlstates.ts). */
const takenMeanwhile = retryable;

/** The first number missing from a committee's checkpoints (1, 2, 3…), if any. */
function numberGap(numbers: number[]): { missing: number; text: string } | null {
  const sorted = [...numbers].sort((a, b) => a - b);
  for (let i = 0; i < sorted.length; i++) {
    if (sorted[i] !== i + 1) {
      return { missing: i + 1, text: `checkpoint number ${i + 1} is missing (the next is ${sorted[i]}): a checkpoint was deleted` };
    }
  }
  return null;
}

function view(c: StoredCheckpoint): SignedCheckpoint {
  return { id: c.id, payload: JSON.parse(c.payload) as CheckpointPayload, signature: c.signature, keyId: c.keyId };
}

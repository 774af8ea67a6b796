import { isUuid } from "../ledger/ids.js";
import type { Knex } from "knex";

// A bulk verification's progress, kept in PostgreSQL (migration 0043) so that any process serving the
// committee can tell the page how far it has come. The process that started the job updates it after
// each batch; the entries' verifications are the ledger's own rows, written by the domain's verify call.

/** At most this many refusals are kept with a job, to be listed on its page (the count is kept in full). */
export const REFUSALS_KEPT = 100;

/** A running job not updated for this long has stopped (its process ended). */
export const STALLED_MS = 120_000;

export interface Refusal {
  id: string;
  seq: number | null;
  code: string;
}

export interface VerifyJob {
  id: string;
  committeeId: number;
  startedBy: number;
  description: string;
  total: number;
  done: number;
  approved: number;
  verified: number;
  refused: number;
  refusals: Refusal[];
  state: "running" | "done" | "failed";
  startedAt: string;
  updatedAt: string;
  /** Running but not updated for STALLED_MS: its process ended before it finished. */
  stalled: boolean;
}

export interface JobProgress {
  done: number;
  approved: number;
  verified: number;
  refused: number;
  refusals: Refusal[];
}

export class VerifyJobs {
  constructor(private readonly knex: Knex) {}

  /** A new job; the same id twice (a form sent twice) makes one job: false when it existed already. */
  async create(job: { id: string; committeeId: number; startedBy: number; description: string; total: number }): Promise<boolean> {
    const rows = await this.knex("verify_jobs").insert({
      id: job.id, committee_id: job.committeeId, started_by: job.startedBy, description: job.description, total: job.total,
    }).onConflict("id").ignore().returning("id");
    return rows.length === 1;
  }

  async progress(id: string, p: JobProgress): Promise<void> {
    await this.knex("verify_jobs").where({ id }).update({
      done: p.done, approved: p.approved, verified: p.verified, refused: p.refused, refusals: JSON.stringify(p.refusals.slice(0, REFUSALS_KEPT)),
      updated_at: new Date(),
    });
  }

  async finish(id: string, state: "done" | "failed"): Promise<void> {
    await this.knex("verify_jobs").where({ id }).update({ state, updated_at: new Date() });
  }

  async find(committeeId: number, id: string): Promise<VerifyJob | null> {
    if (!isUuid(id)) return null;
    const r = await this.knex("verify_jobs").where({ id, committee_id: committeeId })
      .first("*", this.knex.raw("now() - updated_at > make_interval(secs => ?) as stalled", [STALLED_MS / 1000]));
    if (!r) return null;
    return {
      id: r.id, committeeId: Number(r.committee_id), startedBy: Number(r.started_by), description: r.description, total: r.total, done: r.done,
      approved: r.approved, verified: r.verified, refused: r.refused, refusals: r.refusals as Refusal[], state: r.state,
      startedAt: (r.started_at as Date).toISOString(), updatedAt: (r.updated_at as Date).toISOString(), stalled: r.state === "running" && r.stalled === true,
    };
  }
}

import { randomBytes } from "node:crypto";
import type { Knex } from "knex";
import type { Principal, Role } from "../ledger/types.js";
import { createHash } from "node:crypto";

// Users of the browser workspace and their sessions. Each user acts through
// an api_tokens row of their own whose secret is never issued (only a hash of
// random bytes is stored), so the domain code sees an ordinary principal.

/** One of a committee's people, as an auditor lists them: who could act, in which role, from when to when. */
export interface PersonRow {
  id: number;
  name: string;
  role: Role;
  createdAt: string;
  disabledAt: string | null;
}

/** A new person of the committee (PostgreSQL writes its audit row). */
export async function createPerson(db: Knex | Knex.Transaction, committeeId: number, name: string, role: Role): Promise<number> {
  const [row] = await db("people").insert({ committee_id: committeeId, name, role }).returning("id");
  return Number(row.id);
}

/** The committee's people, oldest first. */
export async function listPeople(db: Knex, committeeId: number): Promise<PersonRow[]> {
  const rows = await db("people").where({ committee_id: committeeId }).orderBy("id").select("id", "name", "role", "created_at", "disabled_at");
  const iso = (v: unknown) => (v instanceof Date ? v.toISOString() : new Date(String(v)).toISOString());
  return rows.map((r) => ({ id: Number(r.id), name: r.name, role: r.role, createdAt: iso(r.created_at), disabledAt: r.disabled_at === null ? null : iso(r.disabled_at) }));
}

export interface UserRow {
  id: number;
  committeeId: number;
  committeeCode: string;
  committeeName: string;
  login: string;
  name: string;
  role: Role;
  principalId: number;
  personId: number;
  passwordHash: string;
  failedAttempts: number;
  lockedUntil: Date | null;
  disabled: boolean;
}

export interface SessionRow {
  user: UserRow;
  csrfToken: string;
  expiresAt: Date;
}

export class UserStore {
  constructor(private readonly knex: Knex) {}

  async create(committeeId: number, u: { login: string; name: string; role: Role; passwordHash: string }): Promise<UserRow> {
    return this.knex.transaction(async (trx) => {
      const person = await createPerson(trx, committeeId, u.name, u.role);
      const [t] = await trx("api_tokens").insert({
        committee_id: committeeId, role: u.role, name: u.name, token_hash: createHash("sha256").update(randomBytes(32)).digest("hex"), user_principal: true,
        person_id: person,
      }).returning("id");
      await trx("users").insert({
        committee_id: committeeId, login: u.login, name: u.name, role: u.role, principal_id: t.id, password_hash: u.passwordHash, person_id: person,
      });
      return (await this.byLogin(u.login, trx))!;
    });
  }

  async byLogin(login: string, db: Knex | Knex.Transaction = this.knex): Promise<UserRow | null> {
    const row = await this.base(db).where("u.login", login).first();
    return row ? toUser(row) : null;
  }

  async list(committeeId: number): Promise<UserRow[]> {
    return (await this.base(this.knex).where("u.committee_id", committeeId).orderBy("u.id")).map(toUser);
  }

  /**
   * Counts a password attempt before the password is checked, in one statement, so that
   * concurrent guesses cannot slip past the limit; null when the account is locked. A lock
   * that has run out starts the count again.
   */
  async reserveAttempt(userId: number, lockFor: { attempts: number; ms: number }): Promise<number | null> {
    const r = await this.knex.raw(`update users set
        failed_attempts = case when locked_until is not null and locked_until <= now() then 1 else failed_attempts + 1 end,
        locked_until = case
          when (case when locked_until is not null and locked_until <= now() then 1 else failed_attempts + 1 end) >= ?
          then now() + (? * interval '1 millisecond') else null end
      where id = ? and (locked_until is null or locked_until <= now() or failed_attempts < ?)
      returning failed_attempts`, [lockFor.attempts, lockFor.ms, userId, lockFor.attempts]);
    return r.rows.length ? Number(r.rows[0].failed_attempts) : null;
  }

  async succeeded(userId: number): Promise<void> {
    await this.knex("users").where({ id: userId }).update({ failed_attempts: 0, locked_until: null });
  }

  /** Disables a user: no sign-in, sessions ended, their principal and the tokens they made revoked. */
  async disable(committeeId: number, userId: number): Promise<boolean> {
    return this.knex.transaction(async (trx) => {
      const [u] = await trx("users").where({ id: userId, committee_id: committeeId }).whereNull("disabled_at")
        .update({ disabled_at: trx.fn.now() }).returning(["principal_id", "person_id"]);
      if (!u) return false;
      await trx("people").where({ id: u.person_id }).whereNull("disabled_at").update({ disabled_at: trx.fn.now() });
      await trx("api_tokens").where({ committee_id: committeeId }).whereNull("revoked_at")
        .where((q) => q.where("id", u.principal_id).orWhere("created_by_user", userId)).update({ revoked_at: trx.fn.now() });
      await trx("user_sessions").where({ user_id: userId }).whereNull("ended_at").update({ ended_at: trx.fn.now() });
      return true;
    });
  }

  async setPassword(userId: number, passwordHash: string): Promise<void> {
    await this.knex("users").where({ id: userId }).update({ password_hash: passwordHash, password_changed_at: this.knex.fn.now() });
  }

  async startSession(userId: number, idHash: string, csrfToken: string, expiresAt: Date): Promise<void> {
    await this.knex("user_sessions").insert({ id_hash: idHash, user_id: userId, csrf_token: csrfToken, expires_at: expiresAt });
  }

  async session(idHash: string): Promise<SessionRow | null> {
    const row = await this.base(this.knex).join("user_sessions as s", "s.user_id", "u.id")
      .where("s.id_hash", idHash).whereNull("s.ended_at").where("s.expires_at", ">", this.knex.fn.now())
      .first("s.csrf_token", "s.expires_at");
    if (!row) return null;
    return { user: toUser(row), csrfToken: row.csrf_token, expiresAt: row.expires_at };
  }

  async endSession(idHash: string): Promise<void> {
    await this.knex("user_sessions").where({ id_hash: idHash }).update({ ended_at: this.knex.fn.now() });
  }

  async endSessions(userId: number, except: string | null): Promise<void> {
    const q = this.knex("user_sessions").where({ user_id: userId }).whereNull("ended_at");
    if (except) q.whereNot("id_hash", except);
    await q.update({ ended_at: this.knex.fn.now() });
  }

  private base(db: Knex | Knex.Transaction) {
    return db("users as u").join("committees as c", "c.id", "u.committee_id").join("api_tokens as t", "t.id", "u.principal_id")
      .select("u.*", "c.code as committee_code", "c.name as committee_name", "t.revoked_at");
  }
}

export function principalOf(u: UserRow): Principal {
  return {
    tokenId: u.principalId, committeeId: u.committeeId, committeeCode: u.committeeCode, role: u.role, name: u.name, personId: u.personId, personRole: u.role,
  };
}

function toUser(r: Record<string, any>): UserRow {
  return {
    id: Number(r.id), committeeId: Number(r.committee_id), committeeCode: r.committee_code, committeeName: r.committee_name, login: r.login,
    name: r.name, role: r.role, principalId: Number(r.principal_id), personId: Number(r.person_id), passwordHash: r.password_hash, failedAttempts: Number(r.failed_attempts),
    lockedUntil: r.locked_until ?? null, disabled: r.disabled_at !== null || r.revoked_at !== null,
  };
}

import type { Knex } from "knex";
import { pendingMigrations } from "./connect.js";
import { readSqlFile, splitStatements } from "./sqlfiles.js";

// The service's role on PostgreSQL: it reads every table and inserts rows, updates only the columns
// the service updates (listed below, each with the code that needs it), and owns nothing, so it
// cannot ALTER, DROP, disable a trigger, TRUNCATE or create a function. The ledger's triggers write
// what the role may not (kept balances, public figures, the commit-check queue, publication numbers):
// they run as the schema's owner (SECURITY DEFINER, search_path pinned).

/**
 * The columns the service updates, by table. Every UPDATE, ON CONFLICT DO UPDATE and row lock the
 * service issues is here:
 * - users: sign-in attempts and lock (db/users.ts reserveAttempt, succeeded), disabling (disable),
 *   a new password (setPassword);
 * - user_sessions: ending sessions (db/users.ts disable, endSession, endSessions);
 * - api_tokens: revoking (db/users.ts disable), the workspace's token naming its maker (web/workspace.ts);
 * - bank_accounts: the opening balance anchor (db/bankimports.ts) and a saved layout
 *   (http/routes/bankimports.ts, insert … on conflict do update);
 * - bank_imports: the import's summary at its end (db/bankimports.ts);
 * - bank_import_jobs: a job's state, progress, heartbeat and outcome (db/importjobs.ts);
 * - rate_limit_hits: a window's count (http/ratelimit.ts, insert … on conflict do update);
 * - verify_jobs: a bulk verification's progress as it runs (db/verifyjobs.ts);
 * - saoke_days, saoke_files: the public sao kê's figures and digests, made again after each import shown
 *   (public/saoke.ts, insert … on conflict do update);
 * - committees: `select … for no key update` (db/store.ts, db/bankimports.ts: the committee's write
 *   lock) needs UPDATE on one column; `code` is the one whose change the database refuses
 *   (committees_frozen_codes), so the grant allows the lock and no change; the threshold above which
 *   the workspace asks to confirm an amount and how the committee writes amounts in words (db/settings.ts
 *   saveSettings);
 * - campaigns: what may still change of a campaign (db/store.ts updateCampaign); the database refuses
 *   what its use has frozen (soquy_check_campaign_change) and keeps every change (campaign_changes).
 */
export const updatableColumns: Record<string, readonly string[]> = {
  users: ["failed_attempts", "locked_until", "disabled_at", "password_hash", "password_changed_at"],
  user_sessions: ["ended_at"],
  api_tokens: ["revoked_at", "created_by_user"],
  bank_accounts: ["opening_balance_dong", "opening_date", "layout"],
  bank_imports: [
    "file_sha256", "lines_read", "recorded", "already_present", "matched", "fees", "to_classify", "balance_checks",
    "opening_balance_dong", "closing_balance_dong", "first_date", "last_date", "finished_at",
  ],
  bank_import_jobs: [
    "state", "phase", "lines_done", "lines_total", "import_id", "error_code", "error_message", "error_field", "heartbeat_at", "finished_at",
  ],
  rate_limit_hits: ["hits"],
  committees: ["code", "confirm_above_dong", "words_zero_tens", "words_thousand"],
  campaigns: [
    "name", "kind", "target_dong", "starts_on", "ends_on", "launch_document", "receiving_exception", "receiving_exception_until", "distribution_days",
  ],
  people: ["disabled_at"],
  verify_jobs: ["done", "approved", "verified", "refused", "refusals", "state", "updated_at"],
  saoke_days: ["credits", "credits_dong", "debits", "debits_dong", "to_classify", "to_classify_dong", "fees", "fees_dong", "other_dong",
    "opening_dong", "closing_dong", "printed_closing_dong"],
  saoke_files: ["through_import", "imports", "lines", "bytes", "sha256", "credits_dong", "debits_dong", "updated_at"],
};

/** The tables the ledger keeps itself, through its triggers: the service's role reads them and never writes them. */
export const keptTables = ["account_balances", "public_figures", "public_heads", "public_reach", "pending_entry_checks", "entry_verified",
  "public_generations", "statement_formats", "campaign_changes", "saoke_published"] as const;

/**
 * Every trigger function of the schema runs as its owner, with a pinned search_path (sql/definer.sql). Trigger
 * functions take no arguments and cannot be called except by their triggers, so this gives the service's role no
 * new power: it lets the rules write the tables the ledger keeps itself, which the role cannot write (their guards
 * still refuse any write not made by a trigger). Run again after any migration (connect.ts migrate) and by
 * `db grant`, so trigger functions added later are covered too; re-running it changes nothing.
 */
export const triggersRunAsOwner = onlyStatement("definer.sql");

function onlyStatement(file: string): string {
  const statements = splitStatements(readSqlFile(file));
  if (statements.length !== 1) throw new Error(`sql/${file} holds one statement, not ${statements.length}`);
  return statements[0]!;
}

export class GrantError extends Error {
  override name = "GrantError";
}

function ident(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** The schema's owner: the owner of knex's migrations table (the role that ran the migrations). */
async function schemaOwner(knex: Knex): Promise<string | null> {
  const { rows } = await knex.raw("select tableowner from pg_tables where schemaname = 'public' and tablename = 'knex_migrations'");
  return rows[0]?.tableowner ?? null;
}

/** Whether this connection's role owns the schema (or is a superuser): it migrates; any other role only checks. */
export async function holdsOwnerRights(knex: Knex): Promise<boolean> {
  const { rows } = await knex.raw(`select r.rolsuper or coalesce(pg_has_role(current_user, t.tableowner, 'USAGE'), has_schema_privilege('public', 'CREATE')) as owner
    from pg_roles r left join pg_tables t on t.schemaname = 'public' and t.tablename = 'knex_migrations'
    where r.rolname = current_user`);
  return rows[0]?.owner === true;
}

/** The statements that give `role` exactly the service's privileges, whatever it held before. */
export function grantStatements(role: string, database: string): string[] {
  const r = ident(role);
  const updates = Object.entries(updatableColumns).map(([table, columns]) => `grant update (${columns.join(", ")}) on ${table} to ${r}`);
  return [
    `revoke all on all tables in schema public from ${r}`,
    `revoke all on all sequences in schema public from ${r}`,
    `revoke all on all functions in schema public from ${r}`,
    `revoke create on schema public from ${r}`,
    `revoke create on database ${ident(database)} from ${r}`,
    `grant usage on schema public to ${r}`,
    // Temporary tables: a bank import stages its statement in them.
    `grant connect, temporary on database ${ident(database)} to ${r}`,
    `grant select, insert on all tables in schema public to ${r}`,
    `revoke insert on knex_migrations, knex_migrations_lock, ${keptTables.join(", ")} from ${r}`,
    ...updates,
    `grant usage on all sequences in schema public to ${r}`,
    `grant execute on all functions in schema public to ${r}`,
    // Tables and sequences the owner adds later are readable and insertable at once; run `db grant` again after
    // migrating all the same, for the update columns and the trigger functions.
    `alter default privileges in schema public grant select, insert on tables to ${r}`,
    `alter default privileges in schema public grant usage on sequences to ${r}`,
    triggersRunAsOwner,
  ];
}

/**
 * Grants `role` exactly the service's privileges, connected as the schema's owner. Checks first and
 * changes nothing when the role is missing, is a superuser or shares the owner's rights, when this
 * connection is not the owner, or when migrations are pending.
 */
export async function grantServicePrivileges(owner: Knex, role: string): Promise<void> {
  const [me] = (await owner.raw("select current_user as me, current_database() as db")).rows as { me: string; db: string }[];
  const { rows } = await owner.raw("select rolsuper, rolbypassrls from pg_roles where rolname = ?", [role]);
  if (rows.length === 0) throw new GrantError(`there is no role ${role} on this server: create it first (create role ${role} login password '…')`);
  if (rows[0].rolsuper) throw new GrantError(`${role} is a superuser: no grant can limit it; give the service a role of its own`);
  const tablesOwner = await schemaOwner(owner);
  if (!tablesOwner) throw new GrantError(`the database ${me!.db} has no soquy schema: run \`npm run --silent cli -- migrate\` with DATABASE_OWNER_URL first`);
  if (!(await holdsOwnerRights(owner))) throw new GrantError(`DATABASE_OWNER_URL connects as ${me!.me}, who does not own the schema (its owner is ${tablesOwner})`);
  const [{ member }] = (await owner.raw("select pg_has_role(?, ?, 'USAGE') as member", [role, tablesOwner])).rows;
  if (member) throw new GrantError(`${role} holds the rights of the schema's owner ${tablesOwner}: give the service a role that is not the owner nor a member of it`);
  const pending = await pendingMigrations(owner);
  if (pending.length) throw new GrantError(`migrations are pending (${pending.join(", ")}): run \`npm run --silent cli -- migrate\` first`);
  await owner.transaction(async (trx) => {
    for (const sql of grantStatements(role, me!.db)) await trx.raw(sql);
  });
}

import type { Knex } from "knex";
import { triggersRunAsOwner } from "../../src/db/privileges.js";

// The service may run as a role that owns nothing (src/db/privileges.ts, `cli db grant`): it cannot
// write the tables the ledger keeps itself (account_balances, public_figures, public_heads,
// public_reach, pending_entry_checks, entry_verified) nor lock rows it may not update. The triggers
// that keep them run as the schema's owner, with a pinned search_path. Trigger functions take no
// arguments and cannot be called except by their triggers, so the role gains no power it could use
// at will, and the guards on those tables still refuse any write not made by a trigger.
// connect.ts migrate() and `db grant` apply the same rule again, for trigger functions added later:
// one statement, kept in src/db/privileges.ts.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(triggersRunAsOwner);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(`do $$
  declare f regprocedure;
  begin
    for f in select p.oid::regprocedure from pg_proc p
      where p.pronamespace = 'public'::regnamespace and p.prorettype = 'trigger'::regtype and p.prosecdef
    loop
      execute format('alter function %s security invoker', f);
    end loop;
  end $$`);
}

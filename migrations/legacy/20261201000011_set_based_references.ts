import type { Knex } from "knex";

function assert(ok: boolean, what: string): asserts ok {
  if (!ok) throw new Error(`migration 0011: ${what}`);
}

// References checked once per statement instead of once per row.
//
// A foreign key is checked by a row trigger that runs a query and takes a
// KEY SHARE lock on the parent row, ~10–13 µs a row here. A donation fired
// about fifteen of them (entry → committee, campaign, token; each posting →
// account and entry; donation → entry, campaign, donor; voucher; idempotency
// key; donor; and every audit row → committee and token), and an imported bank
// line about thirteen. Worse, every writer and the audit inserts lock the same
// few parent rows (the committee, the token, the campaign) at once, so those
// locks become MultiXacts. The parents here are never deleted and their ids
// never change (triggers below and in migrations 0002–0006 refuse it), so a
// reference can only be broken by the row that makes it: checking the new
// rows of a statement against their parents, once, at the end of the
// statement — where the row triggers of a foreign key fire too — keeps the
// same guarantee. The errors keep the foreign keys' SQLSTATE (23503), names
// and wording.
//
// Parents are probed by a correlated subquery with LIMIT (a SubPlan, always an
// index probe per key): a young ledger's statistics can make a join plan scan
// a table that the same transaction keeps growing.
//
// The three BEFORE ROW rules (open period, receiving window, disbursement
// purpose) move into the same statement checks, run first as before, and the
// "postings and details only with their entry" probe now also answers "does
// the entry exist in this committee", so it replaces the entry foreign keys.
// The unique index on journal_entries.reversal_of becomes partial: a null
// reversal_of (every entry but a reversal) no longer adds an index entry.
// Foreign keys the write path does not cross (approvals, closes, public
// figures, users…) stay as they are.

interface Reference {
  constraint: string;
  table: string;
  columns: string[];
  parent: string;
  parentColumns: string[];
  /** Keys mostly differ row by row: probe each row rather than the distinct keys first. */
  perRow?: boolean;
}

const ref = (table: string, columns: string[], parent: string, parentColumns: string[], perRow = false): Reference => ({
  constraint: `${table}_${columns.join("_")}_fkey`, table, columns, parent, parentColumns, perRow,
});
const byCommittee = (table: string, column: string, parent: string, perRow = false) =>
  ref(table, ["committee_id", column], parent, ["committee_id", "id"], perRow);
const entryOf = (table: string) => byCommittee(table, "entry_id", "journal_entries", true);

/** The foreign keys this migration replaces, grouped by the table that holds them. */
const replaced: Record<string, Reference[]> = {
  journal_entries: [
    ref("journal_entries", ["committee_id"], "committees", ["id"]),
    byCommittee("journal_entries", "campaign_id", "campaigns"),
    byCommittee("journal_entries", "recorded_by", "api_tokens"),
    byCommittee("journal_entries", "reversal_of", "journal_entries", true),
  ],
  postings: [byCommittee("postings", "account_id", "accounts"), entryOf("postings")],
  vouchers: [byCommittee("vouchers", "book_id", "receipt_books"), entryOf("vouchers")],
  donations: [byCommittee("donations", "campaign_id", "campaigns"), byCommittee("donations", "donor_id", "donors", true), entryOf("donations")],
  entry_items: [entryOf("entry_items")],
  disbursements: [
    byCommittee("disbursements", "campaign_id", "campaigns"), byCommittee("disbursements", "beneficiary_id", "beneficiaries", true),
    entryOf("disbursements"),
  ],
  idempotency_keys: [ref("idempotency_keys", ["committee_id"], "committees", ["id"])],
  donors: [ref("donors", ["committee_id"], "committees", ["id"])],
  beneficiaries: [ref("beneficiaries", ["committee_id"], "committees", ["id"])],
  bank_lines: [
    byCommittee("bank_lines", "bank_account_id", "bank_accounts"), byCommittee("bank_lines", "import_id", "bank_imports"),
    byCommittee("bank_lines", "entry_id", "journal_entries", true),
  ],
  audit_log: [ref("audit_log", ["committee_id"], "committees", ["id"]), ref("audit_log", ["token_id"], "api_tokens", ["id"])],
};

/** Tables whose rows come only with their entry (migration 0002): their entry reference is part of that probe. */
const withTheirEntry = new Set(["postings", "vouchers", "donations", "entry_items", "disbursements"]);

/** Parents referred to by the rows above whose ids were not yet frozen, with the columns to freeze. */
const frozenIds: [table: string, columns: string[]][] = [
  ["committees", ["id"]],
  ["campaigns", ["id", "committee_id"]],
  ["api_tokens", ["id", "committee_id"]],
  ["receipt_books", ["id", "committee_id"]],
  ["bank_accounts", ["id", "committee_id"]],
];

/**
 * A statement's checks are one query: each check is a branch that yields the first failure it finds (in
 * insertion order) as (rank, SQLSTATE, constraint, message, detail), and the lowest rank is raised. One
 * query instead of one per check: at a handful of rows a statement, what a check costs is mostly starting
 * its query (~50–80 µs each here), and a donation's statements ran some twenty of them.
 */
type Branch = string;

function failure(rank: number, code: string, constraint: string | null, message: string, detail: string | null, from: string): Branch {
  return `(select ${rank} as rank, '${code}'::text as code, ${constraint ? `'${constraint}'` : "null"}::text as constraint_name,
        ${message} as message, ${detail ?? "null"}::text as detail
      ${from} limit 1)`;
}

/**
 * One reference: the first new key with no parent fails with the foreign key's own error. Keys that repeat
 * (a committee, a campaign, an account) are probed once each. The parent is probed by its id alone (its
 * primary key) and its committee compared after: a probe that also filtered on committee_id could be
 * planned, on stale statistics, through another index led by committee_id.
 */
function referenceBranch(r: Reference, rank: number): Branch {
  const present = r.columns.map((c) => `k.${c} is not null`).join(" and ");
  const keys = r.perRow ? "new_rows" : `(select distinct ${r.columns.join(", ")} from new_rows)`;
  const id = r.columns[r.columns.length - 1]!;
  assert(r.parentColumns[r.parentColumns.length - 1] === "id", "references end on the parent's id");
  const parentMissing = r.columns.length === 1
    ? `(select true from ${r.parent} p where p.id = k.${id} limit 1) is null`
    : `(select p.committee_id from ${r.parent} p where p.id = k.${id} limit 1) is distinct from k.committee_id`;
  return failure(rank, "23503", r.constraint,
    `'insert or update on table "${r.table}" violates foreign key constraint "${r.constraint}"'`,
    `format('Key (${r.columns.join(", ")})=(${r.columns.map(() => "%s").join(", ")}) is not present in table "${r.parent}".', ${r.columns.map((c) => `k.${c}`).join(", ")})`,
    `from ${keys} k where ${present} and ${parentMissing}`);
}

/**
 * Postings and details only with their entry, in the transaction that inserted it (soquy_entry_is_new of
 * migration 0002): one probe per row, by the entry's id, answers "is there such an entry in this committee"
 * (else the old foreign key's 23503, ranked before anything else the statement finds, as the foreign key's
 * row trigger fired first) and "is it new" (else SQ001/SQ003: a committed entry never gains rows).
 */
function entryBranch(table: string): Branch {
  const r = entryOf(table);
  const what = table === "postings" ? "postings cannot be added to it" : `a ${table} row cannot be added to it`;
  return `(select case when x.status = 'missing' then -1 else 90 end as rank,
        case when x.status = 'missing' then '23503' else '${table === "postings" ? "SQ001" : "SQ003"}' end::text as code,
        case when x.status = 'missing' then '${r.constraint}' end::text as constraint_name,
        case when x.status = 'missing' then 'insert or update on table "${table}" violates foreign key constraint "${r.constraint}"'
          else format('entry %s is already committed: ${what}', x.entry_id) end as message,
        case when x.status = 'missing'
          then format('Key (committee_id, entry_id)=(%s, %s) is not present in table "journal_entries".', x.committee_id, x.entry_id) end::text as detail
      from (select n.committee_id, n.entry_id, coalesce((select case
          when e.committee_id <> n.committee_id then 'missing'
          when pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | e.xmin::text::bigint)::text::xid8) = 'in progress' then 'new'
          else 'committed' end
        from journal_entries e where e.id = n.entry_id limit 1), 'missing') as status
      from new_rows n offset 0) x
      where x.status <> 'new' order by x.status = 'missing' desc limit 1)`;
}

/**
 * The entries the rows belong to are queued for the commit check again, so rows added after an early check
 * (SET CONSTRAINTS … IMMEDIATE) are checked too: before, the entry's one queued check had already run and
 * nothing looked at them. Entries the latest queued row already holds (the usual case: they were inserted
 * by the statement before) are not queued twice: that row's own deferred check, which checks the ids it
 * was inserted with and cannot be withdrawn, will check them with all their rows. (Queued rows are never
 * updated, migration 0017; a deleted one still has its check run.)
 */
const queueAgain = `
    insert into pending_entry_checks (committee_id, entry_ids)
      select k.committee_id, array_agg(k.entry_id) from (select distinct committee_id, entry_id from new_rows) k
      left join (select q.committee_id, u.id from (select committee_id, entry_ids from pending_entry_checks order by id desc limit 1) q
          cross join lateral unnest(q.entry_ids) as u(id)) latest
        on latest.id = k.entry_id and latest.committee_id = k.committee_id
      where latest.id is null
      group by k.committee_id;`;

/** The rules that were BEFORE ROW triggers: they rank before the reference checks, as they met the rows first. */
const rules: Record<string, Branch> = {
  // Was soquy_check_open_period (migration 0003).
  journal_entries: failure(-2, "SQ007", null, "format('the books are closed through %s: an entry dated %s is refused', c.closed, n.entry_date)", null,
    `from new_rows n
      join (select k.committee_id, (select max(through_date) from period_closes p where p.committee_id = k.committee_id) as closed
        from (select distinct committee_id from new_rows) k) c on c.committee_id = n.committee_id
      where n.entry_date <= c.closed`),
  // Was soquy_check_receiving_window (migration 0003).
  donations: failure(-2, "SQ013", null, "format('a donation dated %s is outside the campaign''s receiving window', x.entry_date)", null,
    `from (
        select (select e.entry_date from journal_entries e where e.id = n.entry_id limit 1) as entry_date, c.starts_on, c.ends_on
        from new_rows n join campaigns c on c.id = n.campaign_id
        where c.receiving_exception is null offset 0
      ) x where x.entry_date < x.starts_on or x.entry_date > x.starts_on + 90 or (x.ends_on is not null and x.entry_date > x.ends_on)`),
  // Was soquy_check_disbursement_purpose (migration 0003).
  disbursements: failure(-2, "SQ012", null, "format('purpose %s is not allowed for this campaign''s kind', k.purpose)", null,
    `from (select distinct campaign_id, purpose from new_rows) k
      where not exists (select 1 from campaigns c join campaign_purposes p on p.kind = c.kind where c.id = k.campaign_id and p.purpose = k.purpose)`),
};

/** One statement trigger function per table: its checks in one query, then queueing the commit check. */
function checkFunction(table: string): string {
  const refs = replaced[table]!.filter((r) => !(withTheirEntry.has(table) && r.columns.includes("entry_id")));
  const branches = [
    ...(rules[table] ? [rules[table]!] : []),
    ...refs.map((r, i) => referenceBranch(r, i)),
    ...(withTheirEntry.has(table) ? [entryBranch(table)] : []),
  ];
  const queue = table === "journal_entries"
    ? `
    insert into pending_entry_checks (committee_id, entry_ids)
      select committee_id, array_agg(id) from new_rows group by committee_id;`
    : withTheirEntry.has(table) ? queueAgain : "";
  return `create function soquy_check_new_${table}() returns trigger language plpgsql as $$
  declare
    bad record;
  begin
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      ${branches.join("\n      union all ")}
    ) f order by f.rank limit 1;
    if found and bad.constraint_name is not null then
      raise exception using errcode = bad.code, constraint = bad.constraint_name, message = bad.message, detail = bad.detail;
    elsif found then
      raise exception using errcode = bad.code, message = bad.message;
    end if;${queue}
    return null;
  end $$`;
}

/**
 * The trigger that runs it. Names keep the order of the triggers they replace: postings' check fires before
 * postings_balances, journal_entries' before nothing else of its own.
 */
function triggerName(table: string): string {
  if (table === "journal_entries") return "journal_entries_queue_checks";
  if (table === "postings") return "postings_added_with_their_entry";
  if (withTheirEntry.has(table)) return `${table}_with_their_entry`;
  return `${table}_references`;
}

const oldRowRules: [trigger: string, table: string, fn: string][] = [
  ["journal_entries_open_period", "journal_entries", "soquy_check_open_period"],
  ["donations_receiving_window", "donations", "soquy_check_receiving_window"],
  ["disbursements_purpose", "disbursements", "soquy_check_disbursement_purpose"],
];

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create function soquy_forbid_key_change() returns trigger language plpgsql as $$
  begin
    raise exception using errcode = 'SQ010',
      message = format('the ids of %s never change: other rows refer to them', TG_TABLE_NAME);
  end $$`);
  for (const [table, columns] of frozenIds) {
    const old = columns.map((c) => `OLD.${c}`).join(", ");
    const now = columns.map((c) => `NEW.${c}`).join(", ");
    await knex.raw(`create trigger ${table}_frozen_ids before update on ${table}
      for each row when ((${old}) is distinct from (${now})) execute function soquy_forbid_key_change()`);
  }
  // Tokens are revoked, never deleted: entries, approvals and the audit log name them.
  await knex.raw(`create trigger api_tokens_no_delete before delete on api_tokens for each row execute function soquy_forbid_change()`);
  for (const table of ["api_tokens", "bank_accounts"]) {
    await knex.raw(`create trigger ${table}_no_truncate before truncate on ${table} for each statement execute function soquy_forbid_change()`);
  }

  for (const refs of Object.values(replaced)) {
    for (const r of refs) await knex.raw(`alter table ${r.table} drop constraint ${r.constraint}`);
  }
  await knex.raw("alter table journal_entries drop constraint journal_entries_reversal_of_key");
  await knex.raw("create unique index journal_entries_reversal_of_key on journal_entries (reversal_of) where reversal_of is not null");

  for (const [trigger, table] of oldRowRules) await knex.raw(`drop trigger ${trigger} on ${table}`);
  for (const table of Object.keys(replaced)) {
    await knex.raw(checkFunction(table));
    const name = triggerName(table);
    await knex.raw(`drop trigger if exists ${name} on ${table}`);
    await knex.raw(`create trigger ${name} after insert on ${table}
      referencing new table as new_rows for each statement execute function soquy_check_new_${table}()`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const table of Object.keys(replaced)) {
    const name = triggerName(table);
    await knex.raw(`drop trigger ${name} on ${table}`);
    await knex.raw(`drop function soquy_check_new_${table}()`);
    if (table === "journal_entries") {
      await knex.raw(`create trigger journal_entries_queue_checks after insert on journal_entries
        referencing new table as new_entries for each statement execute function soquy_queue_entry_checks()`);
    } else if (withTheirEntry.has(table)) {
      await knex.raw(`create trigger ${name} after insert on ${table}
        referencing new table as new_rows for each statement execute function soquy_check_with_their_entries()`);
    }
  }
  for (const [trigger, table, fn] of oldRowRules) {
    await knex.raw(`create trigger ${trigger} before insert on ${table} for each row execute function ${fn}()`);
  }
  await knex.raw("drop index journal_entries_reversal_of_key");
  await knex.raw("alter table journal_entries add constraint journal_entries_reversal_of_key unique (reversal_of)");
  for (const refs of Object.values(replaced)) {
    for (const r of refs) {
      await knex.raw(`alter table ${r.table} add constraint ${r.constraint}
        foreign key (${r.columns.join(", ")}) references ${r.parent} (${r.parentColumns.join(", ")})`);
    }
  }
  for (const table of ["api_tokens", "bank_accounts"]) await knex.raw(`drop trigger ${table}_no_truncate on ${table}`);
  await knex.raw("drop trigger api_tokens_no_delete on api_tokens");
  for (const [table] of frozenIds) await knex.raw(`drop trigger ${table}_frozen_ids on ${table}`);
  await knex.raw("drop function soquy_forbid_key_change()");
}

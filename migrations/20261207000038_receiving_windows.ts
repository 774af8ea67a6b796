import type { Knex } from "knex";
import { pinnedSearchPath, runSqlFile } from "../src/db/sqlfiles.js";

// Receiving windows that an exception extends instead of switching off, campaigns that can be set up and
// corrected in the workspace, and the committee's threshold for amounts that ask for confirmation.
//
// 1. A recorded receiving exception (Nghị định 93/2021: money beyond 90 days or after the end date) used to
//    switch the window off in both directions: dates before the launch and any date after. It now extends
//    the close to its own last day (receiving_exception_until), or to the end date without one; never before
//    the launch, never shorter than the window without it. Only an exception with neither date (a fund
//    raised all year round) has no close: sql/references.sql (soquy_check_new_donations) says it, run again here.
// 2. A campaign's fields may be corrected (campaigns gain UPDATE for the service's role, src/db/privileges.ts),
//    within rules PostgreSQL keeps too (soquy_check_campaign_change): the code never changes (it already
//    could not: campaigns_frozen_codes); the name and launch date are frozen once anything is published or
//    checkpointed after the campaign was set up (a public statement cut there prints them, a checkpoint
//    signs its digest); the kind and launch date once an entry is recorded on the campaign (its donations and
//    payments were checked against them). Every change is kept, before and after, in campaign_changes,
//    written by the trigger alone and append-only: a campaign's history is never overwritten. Those rules are
//    sql/campaigns.sql, run here once the table exists.
// 3. committees.confirm_above_dong: the workspace asks the treasurer to confirm an amount above it.

/** The window as it stood before, for down(): an exception switched it off. */
const windowBefore = `      from (
        select n.entry_date, c.starts_on, c.ends_on
        from entries n join campaigns c on c.id = n.campaign_id
        where c.receiving_exception is null offset 0
      ) x where x.entry_date < x.starts_on or x.entry_date > x.starts_on + 90 or (x.ends_on is not null and x.entry_date > x.ends_on) limit 1)`;

/** soquy_check_new_donations as the legacy chain left it (migration 0022), for down(). */
const donationsCheck = (window: string) => `create or replace function soquy_check_new_donations() returns trigger language plpgsql
  set enable_seqscan = off set jit = off security definer as $function$
  declare
    bad record;
  begin
    -- each donation's entry read once: its date for the receiving window, its status for "with its entry"
    with entries as materialized (
      select n.committee_id, n.entry_id, n.campaign_id, j.entry_date, coalesce(j.status, 'missing') as status
      from new_rows n left join lateral (select e.entry_date, case
          when e.committee_id <> n.committee_id then 'missing'
          when pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | e.xmin::text::bigint)::text::xid8) = 'in progress' then 'new'
          else 'committed' end as status
        from journal_entries e where e.id = n.entry_id limit 1) j on true
    )
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      (select -2 as rank, 'SQ013'::text as code, null::text as constraint_name,
        format('a donation dated %s is outside the campaign''s receiving window', x.entry_date) as message, null::text as detail
${window}
      union all (select 0 as rank, '23503'::text as code, 'donations_committee_id_campaign_id_fkey'::text as constraint_name,
        'insert or update on table "donations" violates foreign key constraint "donations_committee_id_campaign_id_fkey"' as message, format('Key (committee_id, campaign_id)=(%s, %s) is not present in table "campaigns".', k.committee_id, k.campaign_id)::text as detail
      from (select distinct committee_id, campaign_id from new_rows) k where k.committee_id is not null and k.campaign_id is not null and (select p.committee_id from campaigns p where p.id = k.campaign_id limit 1) is distinct from k.committee_id limit 1)
      union all (select 1 as rank, '23503'::text as code, 'donations_committee_id_donor_id_fkey'::text as constraint_name,
        'insert or update on table "donations" violates foreign key constraint "donations_committee_id_donor_id_fkey"' as message, format('Key (committee_id, donor_id)=(%s, %s) is not present in table "donors".', k.committee_id, k.donor_id)::text as detail
      from (select distinct committee_id, donor_id from new_rows) k where k.committee_id is not null and k.donor_id is not null and (select p.committee_id from donors p where p.id = k.donor_id limit 1) is distinct from k.committee_id limit 1)
      union all (select case when x.status = 'missing' then -1 else 90 end as rank,
        case when x.status = 'missing' then '23503' else 'SQ003' end::text as code,
        case when x.status = 'missing' then 'donations_committee_id_entry_id_fkey' end::text as constraint_name,
        case when x.status = 'missing' then 'insert or update on table "donations" violates foreign key constraint "donations_committee_id_entry_id_fkey"'
          else format('entry %s is already committed: a donations row cannot be added to it', x.entry_id) end as message,
        case when x.status = 'missing'
          then format('Key (committee_id, entry_id)=(%s, %s) is not present in table "journal_entries".', x.committee_id, x.entry_id) end::text as detail
      from (select n.committee_id, n.entry_id, n.status from entries n offset 0) x
      where x.status <> 'new' order by x.status = 'missing' desc limit 1)
    ) f order by f.rank limit 1;
    if found and bad.constraint_name is not null then
      raise exception using errcode = bad.code, constraint = bad.constraint_name, message = bad.message, detail = bad.detail;
    elsif found then
      raise exception using errcode = bad.code, message = bad.message;
    end if;
    insert into pending_entry_checks (committee_id, entry_ids)
      select k.committee_id, array_agg(k.entry_id) from (select distinct committee_id, entry_id from new_rows) k
      left join (select q.committee_id, u.id from (select committee_id, entry_ids from pending_entry_checks order by id desc limit 1) q
          cross join lateral unnest(q.entry_ids) as u(id)) latest
        on latest.id = k.entry_id and latest.committee_id = k.committee_id
      where latest.id is null
      group by k.committee_id;
    return null;
  end $function$`;

const statements = [
  `alter table campaigns add column receiving_exception_until date`,
  `alter table campaigns add constraint campaigns_exception_until check (receiving_exception_until is null
    or (receiving_exception is not null and receiving_exception_until >= starts_on))`,
  `alter table committees add column confirm_above_dong bigint not null default 100000000
    check (confirm_above_dong > 0 and confirm_above_dong <= 1000000000000000)`,
  `create table campaign_changes (
    id bigint generated by default as identity primary key,
    committee_id bigint not null,
    campaign_id bigint not null,
    changed_at timestamptz(3) not null default now(),
    before jsonb not null,
    after jsonb not null,
    foreign key (committee_id, campaign_id) references campaigns(committee_id, id)
  )`,
  `create index campaign_changes_campaign on campaign_changes (campaign_id, id)`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
  await runSqlFile(knex, "references.sql");
  await runSqlFile(knex, "campaigns.sql");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop table if exists campaign_changes");
  await knex.raw("drop trigger if exists campaigns_changes_kept on campaigns");
  await knex.raw("drop trigger if exists campaigns_frozen_when_used on campaigns");
  for (const fn of ["soquy_guard_campaign_changes()", "soquy_keep_campaign_change()", "soquy_check_campaign_change()"]) {
    await knex.raw(`drop function if exists ${fn}`);
  }
  await knex.raw(donationsCheck(windowBefore));
  await pinnedSearchPath(knex, "soquy_check_new_donations()");
  await knex.raw("alter table committees drop column if exists confirm_above_dong");
  await knex.raw("alter table campaigns drop constraint if exists campaigns_exception_until");
  await knex.raw("alter table campaigns drop column if exists receiving_exception_until");
}

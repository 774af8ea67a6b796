-- References, checked once per statement, and the rules that meet a row first: the open period, the receiving
-- window and the purposes allowed.
--
-- Rules:
-- - Every reference a written row makes names a row of its own committee: an entry's committee, campaign, token
--   and reversed entry; a posting's account; a voucher's book; a donation's campaign and donor; a disbursement's
--   campaign and beneficiary; an idempotency record's entry; a bank line's account, import and entry; an audit
--   record's committee, and its token of that committee. The parents are never deleted and their ids never change
--   (guards.sql), so checking the new rows of a statement once, at its end, keeps a foreign key's guarantee, with
--   its SQLSTATE, name and wording, and no row lock on the parents every writer shares.
-- - Postings and details (vouchers, donations, items, disbursements) come only with their entry, in the
--   transaction that inserted it: a committed entry never gains rows. The entries they belong to are queued for
--   the commit check again (entries.sql), so rows added after an early check are checked too.
-- - Nothing is dated on or before the committee's last period close.
-- - A donation is dated inside its campaign's receiving window: from its start, at most 90 days, never after its
--   end; a recorded exception (Nghị định 93/2021) extends the close to its own last day, or to the end date without
--   one, never before the start and never shorter; only an exception with neither date has no close.
-- - A disbursement's purpose is one its campaign's kind allows (campaign_purposes, controls.sql).
-- The checks of a statement are one query (starting a query costs more than a check at a few rows); the first
-- failure by rank is raised: the period, window and purpose rules first, then references in column order, a row
-- of another transaction's entry last.
--
-- SQLSTATEs:
--   23503  a reference to a row that is not there, or is another committee's (the foreign key's own error)
--   SQ001  postings added to an entry already committed
--   SQ003  a voucher, donation, item or disbursement added to an entry already committed
--   SQ007  an entry dated on or before the last period close
--   SQ012  a disbursement's purpose is not allowed for its campaign's kind
--   SQ013  a donation dated outside its campaign's receiving window

create or replace function soquy_check_new_journal_entries() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    bad record;
  begin
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      (select -2 as rank, 'SQ007'::text as code, null::text as constraint_name,
        format('the books are closed through %s: an entry dated %s is refused', c.closed, n.entry_date) as message, null::text as detail
      from new_rows n
      join (select k.committee_id, (select max(through_date) from period_closes p where p.committee_id = k.committee_id) as closed
        from (select distinct committee_id from new_rows) k) c on c.committee_id = n.committee_id
      where n.entry_date <= c.closed limit 1)
      union all (select 0 as rank, '23503'::text as code, 'journal_entries_committee_id_fkey'::text as constraint_name,
        'insert or update on table "journal_entries" violates foreign key constraint "journal_entries_committee_id_fkey"' as message,
        format('Key (committee_id)=(%s) is not present in table "committees".', k.committee_id)::text as detail
      from (select distinct committee_id from new_rows) k
      where k.committee_id is not null
        and (select true from committees p where p.id = k.committee_id limit 1) is null limit 1)
      union all (select 1 as rank, '23503'::text as code, 'journal_entries_committee_id_campaign_id_fkey'::text as constraint_name,
        'insert or update on table "journal_entries" violates foreign key constraint "journal_entries_committee_id_campaign_id_fkey"' as message,
        format('Key (committee_id, campaign_id)=(%s, %s) is not present in table "campaigns".', k.committee_id, k.campaign_id)::text as detail
      from (select distinct committee_id, campaign_id from new_rows) k
      where k.committee_id is not null and k.campaign_id is not null
        and (select p.committee_id from campaigns p where p.id = k.campaign_id limit 1) is distinct from k.committee_id limit 1)
      union all (select 2 as rank, '23503'::text as code, 'journal_entries_committee_id_recorded_by_fkey'::text as constraint_name,
        'insert or update on table "journal_entries" violates foreign key constraint "journal_entries_committee_id_recorded_by_fkey"' as message,
        format('Key (committee_id, recorded_by)=(%s, %s) is not present in table "api_tokens".', k.committee_id, k.recorded_by)::text as detail
      from (select distinct committee_id, recorded_by from new_rows) k
      where k.committee_id is not null and k.recorded_by is not null
        and (select p.committee_id from api_tokens p where p.id = k.recorded_by limit 1) is distinct from k.committee_id limit 1)
      union all (select 3 as rank, '23503'::text as code, 'journal_entries_committee_id_reversal_of_fkey'::text as constraint_name,
        'insert or update on table "journal_entries" violates foreign key constraint "journal_entries_committee_id_reversal_of_fkey"' as message,
        format('Key (committee_id, reversal_of)=(%s, %s) is not present in table "journal_entries".', k.committee_id, k.reversal_of)::text as detail
      from new_rows k where k.committee_id is not null and k.reversal_of is not null
        and (select p.committee_id from journal_entries p where p.id = k.reversal_of limit 1) is distinct from k.committee_id limit 1)
    ) f order by f.rank limit 1;
    if found and bad.constraint_name is not null then
      raise exception using errcode = bad.code, constraint = bad.constraint_name, message = bad.message, detail = bad.detail;
    elsif found then
      raise exception using errcode = bad.code, message = bad.message;
    end if;
    insert into pending_entry_checks (committee_id, entry_ids)
      select committee_id, array_agg(id) from new_rows group by committee_id;
    return null;
  end $$;
create or replace trigger journal_entries_queue_checks after insert on journal_entries
  referencing new table as new_rows for each statement execute function soquy_check_new_journal_entries();

-- Named to fire before postings_balances (balances.sql): triggers of one event fire in name order.
create or replace function soquy_check_new_postings() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    bad record;
  begin
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      (select 0 as rank, '23503'::text as code, 'postings_committee_id_account_id_fkey'::text as constraint_name,
        'insert or update on table "postings" violates foreign key constraint "postings_committee_id_account_id_fkey"' as message,
        format('Key (committee_id, account_id)=(%s, %s) is not present in table "accounts".', k.committee_id, k.account_id)::text as detail
      from (select distinct committee_id, account_id from new_rows) k
      where k.committee_id is not null and k.account_id is not null
        and (select p.committee_id from accounts p where p.id = k.account_id limit 1) is distinct from k.committee_id limit 1)
      union all (select case when x.status = 'missing' then -1 else 90 end as rank,
        case when x.status = 'missing' then '23503' else 'SQ001' end::text as code,
        case when x.status = 'missing' then 'postings_committee_id_entry_id_fkey' end::text as constraint_name,
        case when x.status = 'missing' then 'insert or update on table "postings" violates foreign key constraint "postings_committee_id_entry_id_fkey"'
          else format('entry %s is already committed: postings cannot be added to it', x.entry_id) end as message,
        case when x.status = 'missing'
          then format('Key (committee_id, entry_id)=(%s, %s) is not present in table "journal_entries".', x.committee_id, x.entry_id) end::text as detail
      from (select n.committee_id, n.entry_id, coalesce((select case
          when e.committee_id <> n.committee_id then 'missing'
          when pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | e.xmin::text::bigint)::text::xid8) = 'in progress' then 'new'
          else 'committed' end
        from journal_entries e where e.id = n.entry_id limit 1), 'missing') as status
      from (select distinct committee_id, entry_id from new_rows) n offset 0) x
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
  end $$;
create or replace trigger postings_added_with_their_entry after insert on postings
  referencing new table as new_rows for each statement execute function soquy_check_new_postings();

create or replace function soquy_check_new_vouchers() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    bad record;
  begin
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      (select 0 as rank, '23503'::text as code, 'vouchers_committee_id_book_id_fkey'::text as constraint_name,
        'insert or update on table "vouchers" violates foreign key constraint "vouchers_committee_id_book_id_fkey"' as message,
        format('Key (committee_id, book_id)=(%s, %s) is not present in table "receipt_books".', k.committee_id, k.book_id)::text as detail
      from (select distinct committee_id, book_id from new_rows) k
      where k.committee_id is not null and k.book_id is not null
        and (select p.committee_id from receipt_books p where p.id = k.book_id limit 1) is distinct from k.committee_id limit 1)
      union all (select case when x.status = 'missing' then -1 else 90 end as rank,
        case when x.status = 'missing' then '23503' else 'SQ003' end::text as code,
        case when x.status = 'missing' then 'vouchers_committee_id_entry_id_fkey' end::text as constraint_name,
        case when x.status = 'missing' then 'insert or update on table "vouchers" violates foreign key constraint "vouchers_committee_id_entry_id_fkey"'
          else format('entry %s is already committed: a vouchers row cannot be added to it', x.entry_id) end as message,
        case when x.status = 'missing'
          then format('Key (committee_id, entry_id)=(%s, %s) is not present in table "journal_entries".', x.committee_id, x.entry_id) end::text as detail
      from (select n.committee_id, n.entry_id, coalesce((select case
          when e.committee_id <> n.committee_id then 'missing'
          when pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | e.xmin::text::bigint)::text::xid8) = 'in progress' then 'new'
          else 'committed' end
        from journal_entries e where e.id = n.entry_id limit 1), 'missing') as status
      from new_rows n offset 0) x
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
  end $$;
create or replace trigger vouchers_with_their_entry after insert on vouchers
  referencing new table as new_rows for each statement execute function soquy_check_new_vouchers();

create or replace function soquy_check_new_donations() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
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
      from (
        -- the day it stops receiving (null: never), as receivingWindow in src/ledger/earmarks.ts says it
        select n.entry_date, c.starts_on, case
          when c.receiving_exception is null then least(c.starts_on + 90, coalesce(c.ends_on, c.starts_on + 90))
          when coalesce(c.receiving_exception_until, c.ends_on) is null then null
          else greatest(least(c.starts_on + 90, coalesce(c.ends_on, c.starts_on + 90)), coalesce(c.receiving_exception_until, c.ends_on))
          end as closes
        from entries n join campaigns c on c.id = n.campaign_id offset 0
      ) x where x.entry_date < x.starts_on or x.entry_date > x.closes limit 1)
      union all (select 0 as rank, '23503'::text as code, 'donations_committee_id_campaign_id_fkey'::text as constraint_name,
        'insert or update on table "donations" violates foreign key constraint "donations_committee_id_campaign_id_fkey"' as message,
        format('Key (committee_id, campaign_id)=(%s, %s) is not present in table "campaigns".', k.committee_id, k.campaign_id)::text as detail
      from (select distinct committee_id, campaign_id from new_rows) k
      where k.committee_id is not null and k.campaign_id is not null
        and (select p.committee_id from campaigns p where p.id = k.campaign_id limit 1) is distinct from k.committee_id limit 1)
      union all (select 1 as rank, '23503'::text as code, 'donations_committee_id_donor_id_fkey'::text as constraint_name,
        'insert or update on table "donations" violates foreign key constraint "donations_committee_id_donor_id_fkey"' as message,
        format('Key (committee_id, donor_id)=(%s, %s) is not present in table "donors".', k.committee_id, k.donor_id)::text as detail
      from (select distinct committee_id, donor_id from new_rows) k
      where k.committee_id is not null and k.donor_id is not null
        and (select p.committee_id from donors p where p.id = k.donor_id limit 1) is distinct from k.committee_id limit 1)
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
  end $$;
create or replace trigger donations_with_their_entry after insert on donations
  referencing new table as new_rows for each statement execute function soquy_check_new_donations();

create or replace function soquy_check_new_entry_items() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    bad record;
  begin
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      (select case when x.status = 'missing' then -1 else 90 end as rank,
        case when x.status = 'missing' then '23503' else 'SQ003' end::text as code,
        case when x.status = 'missing' then 'entry_items_committee_id_entry_id_fkey' end::text as constraint_name,
        case when x.status = 'missing' then 'insert or update on table "entry_items" violates foreign key constraint "entry_items_committee_id_entry_id_fkey"'
          else format('entry %s is already committed: a entry_items row cannot be added to it', x.entry_id) end as message,
        case when x.status = 'missing'
          then format('Key (committee_id, entry_id)=(%s, %s) is not present in table "journal_entries".', x.committee_id, x.entry_id) end::text as detail
      from (select n.committee_id, n.entry_id, coalesce((select case
          when e.committee_id <> n.committee_id then 'missing'
          when pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | e.xmin::text::bigint)::text::xid8) = 'in progress' then 'new'
          else 'committed' end
        from journal_entries e where e.id = n.entry_id limit 1), 'missing') as status
      from (select distinct committee_id, entry_id from new_rows) n offset 0) x
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
  end $$;
create or replace trigger entry_items_with_their_entry after insert on entry_items
  referencing new table as new_rows for each statement execute function soquy_check_new_entry_items();

create or replace function soquy_check_new_disbursements() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    bad record;
  begin
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      (select -2 as rank, 'SQ012'::text as code, null::text as constraint_name,
        format('purpose %s is not allowed for this campaign''s kind', k.purpose) as message, null::text as detail
      from (select distinct campaign_id, purpose from new_rows) k
      where not exists (select 1 from campaigns c join campaign_purposes p on p.kind = c.kind where c.id = k.campaign_id and p.purpose = k.purpose) limit 1)
      union all (select 0 as rank, '23503'::text as code, 'disbursements_committee_id_campaign_id_fkey'::text as constraint_name,
        'insert or update on table "disbursements" violates foreign key constraint "disbursements_committee_id_campaign_id_fkey"' as message,
        format('Key (committee_id, campaign_id)=(%s, %s) is not present in table "campaigns".', k.committee_id, k.campaign_id)::text as detail
      from (select distinct committee_id, campaign_id from new_rows) k
      where k.committee_id is not null and k.campaign_id is not null
        and (select p.committee_id from campaigns p where p.id = k.campaign_id limit 1) is distinct from k.committee_id limit 1)
      union all (select 1 as rank, '23503'::text as code, 'disbursements_committee_id_beneficiary_id_fkey'::text as constraint_name,
        'insert or update on table "disbursements" violates foreign key constraint "disbursements_committee_id_beneficiary_id_fkey"' as message,
        format('Key (committee_id, beneficiary_id)=(%s, %s) is not present in table "beneficiaries".', k.committee_id, k.beneficiary_id)::text as detail
      from new_rows k where k.committee_id is not null and k.beneficiary_id is not null
        and (select p.committee_id from beneficiaries p where p.id = k.beneficiary_id limit 1) is distinct from k.committee_id limit 1)
      union all (select case when x.status = 'missing' then -1 else 90 end as rank,
        case when x.status = 'missing' then '23503' else 'SQ003' end::text as code,
        case when x.status = 'missing' then 'disbursements_committee_id_entry_id_fkey' end::text as constraint_name,
        case when x.status = 'missing' then 'insert or update on table "disbursements" violates foreign key constraint "disbursements_committee_id_entry_id_fkey"'
          else format('entry %s is already committed: a disbursements row cannot be added to it', x.entry_id) end as message,
        case when x.status = 'missing'
          then format('Key (committee_id, entry_id)=(%s, %s) is not present in table "journal_entries".', x.committee_id, x.entry_id) end::text as detail
      from (select n.committee_id, n.entry_id, coalesce((select case
          when e.committee_id <> n.committee_id then 'missing'
          when pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | e.xmin::text::bigint)::text::xid8) = 'in progress' then 'new'
          else 'committed' end
        from journal_entries e where e.id = n.entry_id limit 1), 'missing') as status
      from new_rows n offset 0) x
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
  end $$;
create or replace trigger disbursements_with_their_entry after insert on disbursements
  referencing new table as new_rows for each statement execute function soquy_check_new_disbursements();

create or replace function soquy_check_new_idempotency_keys() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    bad record;
  begin
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      (select 0 as rank, '23503'::text as code, 'idempotency_keys_committee_id_fkey'::text as constraint_name,
        'insert or update on table "idempotency_keys" violates foreign key constraint "idempotency_keys_committee_id_fkey"' as message,
        format('Key (committee_id)=(%s) is not present in table "committees".', k.committee_id)::text as detail
      from (select distinct committee_id from new_rows) k
      where k.committee_id is not null
        and (select true from committees p where p.id = k.committee_id limit 1) is null limit 1)
      union all (select 1 as rank, '23503'::text as code, 'idempotency_keys_committee_id_entry_id_fkey'::text as constraint_name,
        'insert or update on table "idempotency_keys" violates foreign key constraint "idempotency_keys_committee_id_entry_id_fkey"' as message,
        format('Key (committee_id, entry_id)=(%s, %s) is not present in table "journal_entries".', k.committee_id, k.entry_id)::text as detail
      from (select distinct committee_id, entry_id from new_rows) k
      where k.entry_id is not null
        and (select p.committee_id from journal_entries p where p.id = k.entry_id limit 1) is distinct from k.committee_id limit 1)
    ) f order by f.rank limit 1;
    if found and bad.constraint_name is not null then
      raise exception using errcode = bad.code, constraint = bad.constraint_name, message = bad.message, detail = bad.detail;
    elsif found then
      raise exception using errcode = bad.code, message = bad.message;
    end if;
    return null;
  end $$;
create or replace trigger idempotency_keys_references after insert on idempotency_keys
  referencing new table as new_rows for each statement execute function soquy_check_new_idempotency_keys();

create or replace function soquy_check_new_donors() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    bad record;
  begin
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      (select 0 as rank, '23503'::text as code, 'donors_committee_id_fkey'::text as constraint_name,
        'insert or update on table "donors" violates foreign key constraint "donors_committee_id_fkey"' as message,
        format('Key (committee_id)=(%s) is not present in table "committees".', k.committee_id)::text as detail
      from (select distinct committee_id from new_rows) k
      where k.committee_id is not null
        and (select true from committees p where p.id = k.committee_id limit 1) is null limit 1)
    ) f order by f.rank limit 1;
    if found and bad.constraint_name is not null then
      raise exception using errcode = bad.code, constraint = bad.constraint_name, message = bad.message, detail = bad.detail;
    elsif found then
      raise exception using errcode = bad.code, message = bad.message;
    end if;
    return null;
  end $$;
create or replace trigger donors_references after insert on donors
  referencing new table as new_rows for each statement execute function soquy_check_new_donors();

create or replace function soquy_check_new_beneficiaries() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    bad record;
  begin
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      (select 0 as rank, '23503'::text as code, 'beneficiaries_committee_id_fkey'::text as constraint_name,
        'insert or update on table "beneficiaries" violates foreign key constraint "beneficiaries_committee_id_fkey"' as message,
        format('Key (committee_id)=(%s) is not present in table "committees".', k.committee_id)::text as detail
      from (select distinct committee_id from new_rows) k
      where k.committee_id is not null
        and (select true from committees p where p.id = k.committee_id limit 1) is null limit 1)
    ) f order by f.rank limit 1;
    if found and bad.constraint_name is not null then
      raise exception using errcode = bad.code, constraint = bad.constraint_name, message = bad.message, detail = bad.detail;
    elsif found then
      raise exception using errcode = bad.code, message = bad.message;
    end if;
    return null;
  end $$;
create or replace trigger beneficiaries_references after insert on beneficiaries
  referencing new table as new_rows for each statement execute function soquy_check_new_beneficiaries();

create or replace function soquy_check_new_bank_lines() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    bad record;
  begin
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      (select 0 as rank, '23503'::text as code, 'bank_lines_committee_id_bank_account_id_fkey'::text as constraint_name,
        'insert or update on table "bank_lines" violates foreign key constraint "bank_lines_committee_id_bank_account_id_fkey"' as message,
        format('Key (committee_id, bank_account_id)=(%s, %s) is not present in table "bank_accounts".', k.committee_id, k.bank_account_id)::text as detail
      from (select distinct committee_id, bank_account_id from new_rows) k
      where k.committee_id is not null and k.bank_account_id is not null
        and (select p.committee_id from bank_accounts p where p.id = k.bank_account_id limit 1) is distinct from k.committee_id limit 1)
      union all (select 1 as rank, '23503'::text as code, 'bank_lines_committee_id_import_id_fkey'::text as constraint_name,
        'insert or update on table "bank_lines" violates foreign key constraint "bank_lines_committee_id_import_id_fkey"' as message,
        format('Key (committee_id, import_id)=(%s, %s) is not present in table "bank_imports".', k.committee_id, k.import_id)::text as detail
      from (select distinct committee_id, import_id from new_rows) k
      where k.committee_id is not null and k.import_id is not null
        and (select p.committee_id from bank_imports p where p.id = k.import_id limit 1) is distinct from k.committee_id limit 1)
      union all (select 2 as rank, '23503'::text as code, 'bank_lines_committee_id_entry_id_fkey'::text as constraint_name,
        'insert or update on table "bank_lines" violates foreign key constraint "bank_lines_committee_id_entry_id_fkey"' as message,
        format('Key (committee_id, entry_id)=(%s, %s) is not present in table "journal_entries".', k.committee_id, k.entry_id)::text as detail
      from new_rows k where k.committee_id is not null and k.entry_id is not null
        and (select p.committee_id from journal_entries p where p.id = k.entry_id limit 1) is distinct from k.committee_id limit 1)
    ) f order by f.rank limit 1;
    if found and bad.constraint_name is not null then
      raise exception using errcode = bad.code, constraint = bad.constraint_name, message = bad.message, detail = bad.detail;
    elsif found then
      raise exception using errcode = bad.code, message = bad.message;
    end if;
    return null;
  end $$;
create or replace trigger bank_lines_references after insert on bank_lines
  referencing new table as new_rows for each statement execute function soquy_check_new_bank_lines();

create or replace function soquy_check_new_audit_log() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    bad record;
  begin
    select f.code, f.constraint_name, f.message, f.detail into bad from (
      (select 0 as rank, '23503'::text as code, 'audit_log_committee_id_fkey'::text as constraint_name,
        'insert or update on table "audit_log" violates foreign key constraint "audit_log_committee_id_fkey"' as message,
        format('Key (committee_id)=(%s) is not present in table "committees".', k.committee_id)::text as detail
      from (select distinct committee_id from new_rows) k
      where k.committee_id is not null
        and (select true from committees p where p.id = k.committee_id limit 1) is null limit 1)
      union all (select 1 as rank, '23503'::text as code, 'audit_log_token_id_fkey'::text as constraint_name,
        'insert or update on table "audit_log" violates foreign key constraint "audit_log_token_id_fkey"' as message,
        format('Key (token_id)=(%s) is not present in table "api_tokens".', k.token_id)::text as detail
      from (select distinct token_id from new_rows) k
      where k.token_id is not null
        and (select true from api_tokens p where p.id = k.token_id limit 1) is null limit 1)
      union all (select 2 as rank, '23503'::text as code, 'audit_log_committee_id_token_id_fkey'::text as constraint_name,
        'insert or update on table "audit_log" violates foreign key constraint "audit_log_committee_id_token_id_fkey"' as message,
        format('Key (committee_id, token_id)=(%s, %s) is not present in table "api_tokens".', k.committee_id, k.token_id)::text as detail
      from (select distinct committee_id, token_id from new_rows) k
      where k.token_id is not null
        and (select p.committee_id from api_tokens p where p.id = k.token_id limit 1) is distinct from k.committee_id limit 1)
    ) f order by f.rank limit 1;
    if found and bad.constraint_name is not null then
      raise exception using errcode = bad.code, constraint = bad.constraint_name, message = bad.message, detail = bad.detail;
    elsif found then
      raise exception using errcode = bad.code, message = bad.message;
    end if;
    return null;
  end $$;
create or replace trigger audit_log_references after insert on audit_log
  referencing new table as new_rows for each statement execute function soquy_check_new_audit_log();

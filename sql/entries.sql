-- Entries: the canonical text, the hash chain and the commit check.
--
-- Rules, checked at COMMIT for every entry the transaction inserted (and again for an entry that gained rows
-- after an early check, SET CONSTRAINTS … IMMEDIATE):
-- - an entry has at least two postings, summing to zero;
-- - each committee's entries are numbered 1, 2, 3… and chained: prev_hash is the hash of the entry before
--   (64 zeros for the first), and hash = SHA-256(prev_hash ‖ canonical text), recomputed here;
-- - an entry that moves money between campaigns needs a resolution reference and two approvals;
-- - a reversal negates every posting of the entry it reverses;
-- - its shape: a donation has its donation row and a disbursement its disbursement row, naming the entry's own
--   campaign; a donation is +amount on its campaign's asset for its method (cash, bank, goods) and −amount on the
--   campaign's income; a disbursement +amount on the campaign's expense and −amount on that asset; goods are
--   listed as items worth exactly the amount, and only for an in-kind donation.
-- Each entry meets the checks in this order, and the first failing entry (in insertion order) is reported.
--
-- The canonical text (v1), the same byte for byte as src/ledger/canonical.ts: a sequence of fields, each
-- "<UTF-8 byte length>:<text>;" (NULL as "~;"): soquy-entry-v1, committee code, sequence, id, entry date,
-- recorded-at (UTC, ms), kind, campaign code, description, recorded-by token id, idempotency key, reversal-of,
-- resolution reference; "postings", their count, then line, account code and amount for each; "voucher", its
-- number; for a donation "donation", method, donor name, donor kind, publish flag, bank account, bank reference,
-- note; then "item", line, description, quantity (3 decimals), unit, unit value, value, valuation basis per item;
-- for a disbursement "disbursement", method, beneficiary name, category, area, purpose, quantity, unit, note.
--
-- SQLSTATEs:
--   SQ001  an entry's postings number fewer than two or do not sum to zero
--   SQ002  the chain is broken: no predecessor, or prev_hash is not the hash before
--   SQ003  hash does not match the entry's content
--   SQ006  a reversal does not negate every posting of the entry it reverses
--   SQ009  an entry between campaigns without a resolution reference and two approvals
--   SQ014  an entry's shape does not match its kind, campaign and method

-- SQL functions inline into the queries that call them (the commit check, verify): stable, as convert_to is.
create or replace function soquy_entry_hash(p_prev text, p_canonical text) returns text
  language sql stable
as $$
    select encode(sha256(convert_to(p_prev || p_canonical, 'UTF8')), 'hex')
  $$;

-- One entry's rows read once: its canonical text and the facts the commit check needs (how many postings, their
-- sum, the campaigns they touch (2: two or more), the amount and its counter-posting for a donation or
-- disbursement, the items and their value). Postings and items come in line order from a subquery, so no
-- aggregate sorts per entry.
create or replace function soquy_entries_facts(p_ids uuid[]) returns table (
    n bigint, id uuid, canonical text, committee_id bigint, seq bigint, kind text, campaign_id bigint, prev_hash text, hash text,
    required_approvals smallint, resolution_ref text, reversal_of uuid,
    donation boolean, donation_method text, donation_campaign bigint, disbursement boolean, disbursement_method text, disbursement_campaign bigint,
    postings bigint, postings_total numeric, postings_campaigns bigint, amount bigint, counter_posted boolean,
    items bigint, items_value numeric
  )
  language sql stable
as $$
    select ids.n, e.id,
      coalesce(octet_length('soquy-entry-v1')::text || ':' || 'soquy-entry-v1' || ';', '~;')
      || coalesce(octet_length(cm.code)::text || ':' || cm.code || ';', '~;')
      || coalesce(octet_length(e.seq::text)::text || ':' || e.seq::text || ';', '~;')
      || coalesce(octet_length(e.id::text)::text || ':' || e.id::text || ';', '~;')
      || coalesce(octet_length(to_char(e.entry_date, 'YYYY-MM-DD'))::text || ':' || to_char(e.entry_date, 'YYYY-MM-DD') || ';', '~;')
      || coalesce(octet_length(to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))::text || ':' || to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') || ';', '~;')
      || coalesce(octet_length(e.kind)::text || ':' || e.kind || ';', '~;')
      || coalesce(octet_length(cp.code)::text || ':' || cp.code || ';', '~;')
      || coalesce(octet_length(e.description)::text || ':' || e.description || ';', '~;')
      || coalesce(octet_length(e.recorded_by::text)::text || ':' || e.recorded_by::text || ';', '~;')
      || coalesce(octet_length(e.idempotency_key)::text || ':' || e.idempotency_key || ';', '~;')
      || coalesce(octet_length(e.reversal_of::text)::text || ':' || e.reversal_of::text || ';', '~;')
      || coalesce(octet_length(e.resolution_ref)::text || ':' || e.resolution_ref || ';', '~;')
      || coalesce(octet_length('postings')::text || ':' || 'postings' || ';', '~;')
      || coalesce(octet_length(p.n::text)::text || ':' || p.n::text || ';', '~;')
      || coalesce(p.lines, '')
      || coalesce(octet_length('voucher')::text || ':' || 'voucher' || ';', '~;')
      || coalesce(octet_length(v.voucher_no)::text || ':' || v.voucher_no || ';', '~;')
      || case when d.entry_id is null then '' else
           coalesce(octet_length('donation')::text || ':' || 'donation' || ';', '~;')
        || coalesce(octet_length(d.method)::text || ':' || d.method || ';', '~;')
        || coalesce(octet_length(d.donor_name)::text || ':' || d.donor_name || ';', '~;')
        || coalesce(octet_length(d.donor_kind)::text || ':' || d.donor_kind || ';', '~;')
        || coalesce(octet_length(d.publish_name::text)::text || ':' || d.publish_name::text || ';', '~;')
        || coalesce(octet_length(d.bank_account)::text || ':' || d.bank_account || ';', '~;')
        || coalesce(octet_length(d.bank_reference)::text || ':' || d.bank_reference || ';', '~;')
        || coalesce(octet_length(d.note)::text || ':' || d.note || ';', '~;') end
      || coalesce(i.lines, '')
      || case when b.entry_id is null then '' else
           coalesce(octet_length('disbursement')::text || ':' || 'disbursement' || ';', '~;')
        || coalesce(octet_length(b.method)::text || ':' || b.method || ';', '~;')
        || coalesce(octet_length(b.beneficiary_name)::text || ':' || b.beneficiary_name || ';', '~;')
        || coalesce(octet_length(b.category)::text || ':' || b.category || ';', '~;')
        || coalesce(octet_length(b.area)::text || ':' || b.area || ';', '~;')
        || coalesce(octet_length(b.purpose)::text || ':' || b.purpose || ';', '~;')
        || coalesce(octet_length(b.quantity::text)::text || ':' || b.quantity::text || ';', '~;')
        || coalesce(octet_length(b.unit)::text || ':' || b.unit || ';', '~;')
        || coalesce(octet_length(b.note)::text || ':' || b.note || ';', '~;') end,
      e.committee_id, e.seq, e.kind, e.campaign_id, e.prev_hash, e.hash, e.required_approvals, e.resolution_ref, e.reversal_of,
      d.entry_id is not null, d.method, d.campaign_id, b.entry_id is not null, b.method, b.campaign_id,
      p.n, p.total, p.campaigns, p.amount, coalesce(-p.amount = any(p.counter), false),
      i.n, i.value
    from unnest(p_ids) with ordinality as ids(id, n)
    join journal_entries e on e.id = ids.id
    join committees cm on cm.id = e.committee_id
    left join campaigns cp on cp.id = e.campaign_id
    left join vouchers v on v.entry_id = e.id
    left join donations d on d.entry_id = e.id
    left join disbursements b on b.entry_id = e.id
    cross join lateral (
      select count(*) as n,
        string_agg(
             coalesce(octet_length(x.line::text)::text || ':' || x.line::text || ';', '~;')
          || coalesce(octet_length(x.code)::text || ':' || x.code || ';', '~;')
          || coalesce(octet_length(x.amount_dong::text)::text || ':' || x.amount_dong::text || ';', '~;'), '')
          filter (where x.account is not null) as lines,
        coalesce(sum(x.amount_dong), 0) as total,
        -- 2 stands for two or more
        case when min(x.campaign_id) is null then 0 when min(x.campaign_id) = max(x.campaign_id) then 1 else 2 end as campaigns,
        -- a donation's or disbursement's amount: its positive posting on the campaign's account for its method
        max(case
          when d.entry_id is not null and x.campaign_id = e.campaign_id and x.amount_dong > 0
            and x.role = case d.method when 'in_kind' then 'goods' else d.method end then x.amount_dong
          when b.entry_id is not null and x.campaign_id = e.campaign_id and x.amount_dong > 0 and x.role = 'expense' then x.amount_dong
        end) as amount,
        -- what the other side may be: postings on the campaign's income (a donation) or on the account its method pays from
        array_agg(x.amount_dong) filter (where x.campaign_id = e.campaign_id and x.role = case
          when d.entry_id is not null then 'income'
          else case b.method when 'in_kind' then 'goods' else b.method end
        end) as counter
      -- in line order, the account joined inside: nothing between this order and the aggregate
      from (select x.line, x.amount_dong, a.id as account, a.code, a.campaign_id, a.role
        from postings x left join accounts a on a.id = x.account_id where x.entry_id = e.id order by x.line) x
    ) p
    cross join lateral (
      select count(*) as n, coalesce(sum(x.value_dong), 0) as value,
        string_agg(
             coalesce(octet_length('item')::text || ':' || 'item' || ';', '~;')
          || coalesce(octet_length(x.line::text)::text || ':' || x.line::text || ';', '~;')
          || coalesce(octet_length(x.description)::text || ':' || x.description || ';', '~;')
          || coalesce(octet_length(x.quantity::text)::text || ':' || x.quantity::text || ';', '~;')
          || coalesce(octet_length(x.unit)::text || ':' || x.unit || ';', '~;')
          || coalesce(octet_length(x.unit_value_dong::text)::text || ':' || x.unit_value_dong::text || ';', '~;')
          || coalesce(octet_length(x.value_dong::text)::text || ':' || x.value_dong::text || ';', '~;')
          || coalesce(octet_length(x.valuation_basis)::text || ':' || x.valuation_basis || ';', '~;'), '') as lines
      from (select * from entry_items x where x.entry_id = e.id order by x.line) x
    ) i
  $$;

create or replace function soquy_entries_canonical(p_ids uuid[]) returns table (id uuid, canonical text)
  language sql stable
as $$
    select f.id, f.canonical from soquy_entries_facts(p_ids) f
  $$;

create or replace function soquy_entry_canonical(p_id uuid) returns text
  language sql stable
as $$
    select c.canonical from soquy_entries_canonical(array[p_id]) c
  $$;

-- The commit check, for a set of entries in one query. Planned once per session (generic plan), with sequential
-- scans priced out: it only fetches rows by key.
create or replace function soquy_check_entries(p_ids uuid[]) returns void
  language plpgsql set plan_cache_mode = force_generic_plan set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    f text[];
  begin
    select failure into f from (
      select e.n, case
        -- the entry's shape
        when (e.kind = 'donation') <> e.donation or (e.kind = 'disbursement') <> e.disbursement then
          array['SQ014', format('entry %s: a %s entry has %s donation and %s disbursement rows', e.id, e.kind,
            case when e.donation then 'a' else 'no' end, case when e.disbursement then 'a' else 'no' end)]
        when (e.donation and e.donation_campaign is distinct from e.campaign_id)
            or (e.disbursement and e.disbursement_campaign is distinct from e.campaign_id) then
          array['SQ014', format('entry %s: its %s row names another campaign than the entry', e.id, e.kind)]
        when not e.donation and not e.disbursement and e.items > 0 then
          array['SQ014', format('entry %s: only an in-kind donation lists items', e.id)]
        when (e.donation or e.disbursement) and (e.postings <> 2 or e.amount is null or not e.counter_posted) then
          array['SQ014', format('entry %s: its postings do not match a %s of its campaign by its method', e.id, e.kind)]
        when (e.donation or e.disbursement)
            and ((e.donation_method = 'in_kind') <> (e.items > 0) or (e.items > 0 and e.items_value <> e.amount)) then
          array['SQ014', format('entry %s: an in-kind donation lists goods worth exactly its amount, and only it lists goods', e.id)]
        -- the chain link, balance, approvals, hash and reversal
        when e.seq <> 1 and pred.hash is null then
          array['SQ002', format('entry %s: sequence %s has no predecessor in its committee', e.id, e.seq)]
        when e.prev_hash <> case when e.seq = 1 then repeat('0', 64) else pred.hash end then
          array['SQ002', format('entry %s: prev_hash is not the hash of sequence %s', e.id, e.seq - 1)]
        when e.postings < 2 or e.postings_total <> 0 then
          array['SQ001', format('entry %s: %s postings summing to %s (needs at least 2, summing to 0)', e.id, e.postings, e.postings_total)]
        when e.required_approvals <> case when e.postings_campaigns >= 2 then 2 else 1 end
            or (e.required_approvals = 2 and e.resolution_ref is null) then
          array['SQ009', format('entry %s: an entry between campaigns needs a resolution reference and 2 approvals', e.id)]
        when e.hash <> soquy_entry_hash(e.prev_hash, e.canonical) then
          array['SQ003', format('entry %s: hash does not match its content', e.id)]
        when e.reversal_of is not null and exists (
            select account_id from (
              select account_id, amount_dong from postings where entry_id = e.id
              union all
              select account_id, amount_dong from postings where entry_id = e.reversal_of
            ) both_entries group by account_id having sum(amount_dong) <> 0) then
          array['SQ006', format('entry %s: a reversal must negate every posting of entry %s', e.id, e.reversal_of)]
      end as failure
      from soquy_entries_facts(p_ids) e
      left join journal_entries pred on pred.committee_id = e.committee_id and pred.seq = e.seq - 1
    ) checked
    where failure is not null
    order by n
    limit 1;
    if f is not null then
      raise exception using errcode = f[1], message = f[2];
    end if;
  end $$;

-- The queue (pending_entry_checks) is filled by the statement checks of references.sql; each queued row's deferred
-- trigger checks the ids it was inserted with, at COMMIT, and removes the row.
create or replace function soquy_run_entry_checks() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  begin
    perform soquy_check_entries(NEW.entry_ids);
    delete from pending_entry_checks where id = NEW.id;
    return null;
  end $$;

drop trigger if exists pending_entry_checks_run on pending_entry_checks;
create constraint trigger pending_entry_checks_run after insert on pending_entry_checks
  deferrable initially deferred for each row execute function soquy_run_entry_checks();

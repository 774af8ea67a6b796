-- Public figures (Nghị định 93/2021, Điều 14) that a journalist can cite and anyone can check.
--
-- Rules:
-- - The public sees verified entries only. An entry is published when its approvals are in: it takes the next
--   publication number of its committee (vseq, 1, 2, 3… without a gap), the time (between the last publication's
--   and now, to the millisecond) and the chain head it was published at (a point of the chain not before the last
--   publication's). The figures at publication V are a pure function of the entries published up to V, so a
--   permalink (?at=V) answers the same for good.
-- - A reversal is published only after the entry it reverses, so published figures never go below what was
--   published before.
-- - public_heads, public_figures and public_reach are kept here, once per statement of approvals: each
--   publication adds the entry's contribution (soquy_entry_figures, its one definition, also used to recompute and
--   check the kept figures) to one row per campaign, document date, metric and key, so answering never scans the
--   ledger; the distinct counts of donors and households move when a party's count leaves or returns to zero.
-- - Any insert into entry_verified is checked for the same (an insert of its own could otherwise publish an entry
--   no approver verified, or number it out of order).
--
-- SQLSTATEs:
--   SQ010  entry_verified rows not numbered, dated or pointed at the chain as the ledger numbers them
--   SQ011  an entry published before its approvals are in
--   SQ015  a reversal published before the entry it reverses

-- One entry's contribution. Amounts come from the entry's own postings (a reversal's are already negated); the
-- details (method, purpose, household, goods) come from the entry it reverses, with counts and quantities negated.
-- Income and expense that no donation or disbursement explains (a general entry) get their own key, so that
-- received = Σ by method and disbursed = Σ by purpose always hold.
create or replace function soquy_entry_figures(p_entry uuid) returns table (
    committee_id bigint, campaign_id bigint, entry_date date, metric text, key text, amount_dong numeric, quantity numeric, n bigint
  )
  language sql stable
as $$
    with e as (
      select j.id, j.committee_id, j.entry_date, coalesce(j.reversal_of, j.id) as src,
        case when j.reversal_of is null then 1 else -1 end as sign
      from journal_entries j where j.id = p_entry
    ),
    p as (
      select a.campaign_id, a.role, a.type, sum(x.amount_dong) as amount
      from e join postings x on x.entry_id = e.id join accounts a on a.id = x.account_id
      where a.campaign_id is not null
      group by a.campaign_id, a.role, a.type
    ),
    d as (
      select d.campaign_id, d.method, d.donor_id,
        -(select coalesce(sum(amount), 0) from p where p.campaign_id = d.campaign_id and p.role = 'income') as amount
      from e join donations d on d.entry_id = e.src
    ),
    b as (
      select b.campaign_id, b.purpose, b.category, b.area, b.unit, b.quantity, b.beneficiary_id,
        (select coalesce(sum(amount), 0) from p where p.campaign_id = b.campaign_id and p.role = 'expense') as amount
      from e join disbursements b on b.entry_id = e.src
    )
    select e.committee_id, p.campaign_id, e.entry_date,
      case when p.type = 'asset' then 'asset' else p.role end, case when p.type = 'asset' then p.role else '' end,
      p.amount, 0::numeric, 0::bigint
    from e, p where p.type = 'asset' or p.role in ('income', 'expense')
    union all
    select e.committee_id, d.campaign_id, e.entry_date, 'received', d.method, d.amount, 0, e.sign from e, d
    union all
    -- income and expense that no donation or disbursement explains (a general entry): their own key,
    -- so that received = Σ by method and disbursed = Σ by purpose always hold
    select e.committee_id, p.campaign_id, e.entry_date, case p.role when 'income' then 'received' else 'purpose' end, 'other',
      case p.role when 'income' then -p.amount else p.amount end, 0, 0
    from e, p
    where (p.role = 'income' and not exists (select 1 from d where d.campaign_id = p.campaign_id))
       or (p.role = 'expense' and not exists (select 1 from b where b.campaign_id = p.campaign_id))
    union all
    select e.committee_id, i_d.campaign_id, e.entry_date, 'received_unit', i.unit, e.sign * sum(i.value_dong), e.sign * sum(i.quantity), e.sign
    from e join entry_items i on i.entry_id = e.src join donations i_d on i_d.entry_id = e.src
    group by e.committee_id, i_d.campaign_id, e.entry_date, i.unit, e.sign
    union all
    select e.committee_id, b.campaign_id, e.entry_date, m.metric, m.key, b.amount, 0, e.sign
    from e, b, lateral (values ('purpose', b.purpose), ('category', b.category), ('area', b.area)) as m(metric, key)
    union all
    select e.committee_id, b.campaign_id, e.entry_date, 'disbursed_unit', b.unit, b.amount, e.sign * b.quantity, e.sign
    from e, b where b.unit is not null
  $$;

-- Which donor or household an entry reached (an anonymous donation counts as a donor of its own).
create or replace function soquy_entry_reach(p_entry uuid) returns table (campaign_id bigint, kind text, party_id bigint, n bigint)
  language sql stable
as $$
    with e as (
      select coalesce(j.reversal_of, j.id) as src, case when j.reversal_of is null then 1 else -1 end as sign
      from journal_entries j where j.id = p_entry
    )
    -- an anonymous donor cannot be told apart from another: each anonymous donation counts as one donor
    select d.campaign_id, 'donor', case when d.donor_kind = 'anonymous' then -abs(hashtextextended(e.src::text, 0)) - 1 else d.donor_id end,
      e.sign::bigint
    from e join donations d on d.entry_id = e.src
    union all
    select b.campaign_id, 'household', b.beneficiary_id, e.sign::bigint from e join disbursements b on b.entry_id = e.src
  $$;

-- The approvals of a statement publish the entries they complete, in one insert: each committee's publication row
-- locked first (in committee order), numbered on from the last publication in ledger order (an original before its
-- reversal), each with the chain head.
create or replace function soquy_mark_verified_rows() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    at timestamptz;
  begin
    -- Each committee's publication row (made on first use), locked in committee order before its numbers
    -- are taken: publication numbers and the heads they record then rise together, whatever approvers run at
    -- once, and a publication committed meanwhile is seen by the insert below.
    insert into public_heads (committee_id, vseq, published_at, head_seq, head_hash)
      select distinct committee_id, 0, clock_timestamp(), 0, repeat('0', 64) from new_rows
      on conflict (committee_id) do nothing;
    perform 1 from public_heads where committee_id in (select committee_id from new_rows) order by committee_id for update;
    -- One time for the statement's publications, to the millisecond published_at keeps: rounded instead (when
    -- the column stores it), it could be up to half a millisecond ahead of the clock the check below reads.
    at := date_trunc('milliseconds', clock_timestamp());
    insert into entry_verified (entry_id, committee_id, verified_at, vseq, published_at, head_seq, head_hash)
      select n.entry_id, n.committee_id, n.verified_at, ph.vseq + row_number() over (partition by n.committee_id order by j.seq),
        greatest(at, ph.published_at), h.seq, h.hash
      from (select entry_id, min(committee_id) as committee_id, min(verified_at) as verified_at from new_rows group by entry_id) n
      -- one probe per entry (the transition table's size is unknown to the planner, which would scan the ledger)
      cross join lateral (select e.seq, e.required_approvals from journal_entries e where e.id = n.entry_id limit 1) j
      join public_heads ph on ph.committee_id = n.committee_id
      cross join lateral (select e.seq, e.hash from journal_entries e where e.committee_id = n.committee_id order by e.seq desc limit 1) h
      where (select count(*) from entry_verifications v where v.entry_id = n.entry_id) >= j.required_approvals
        and not exists (select 1 from entry_verified p where p.entry_id = n.entry_id) -- published already: no second number
      order by n.committee_id, j.seq;
    return null;
  end $$;
create or replace trigger entry_verifications_mark after insert on entry_verifications
  referencing new table as new_rows for each statement execute function soquy_mark_verified_rows();

-- What any insert into entry_verified must hold, then public_heads brought to the last publication once, the
-- figures summed per key and upserted once, and each party's count walked in publication order.
create or replace function soquy_publish_verified_rows() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    bad text;
  begin
    perform 1 from public_heads where committee_id in (select committee_id from new_verified) order by committee_id for update;
    -- What any insert into entry_verified must hold, per committee: numbers that continue its publications
    -- without a gap; one chain point, an entry of the chain, not before the last publication's (entries may be
    -- recorded while approvers verify: the head is where it was, not where it is); times not before the last
    -- publication's, not after now, and not going back as the numbers go up.
    select f.bad into bad from (select s.committee_id, case
        when ph.committee_id is null or s.first <> ph.vseq + 1 or s.last <> ph.vseq + s.n then
          format('publication numbers %s to %s do not continue from %s without a gap', s.first, s.last, coalesce(ph.vseq, 0))
        when s.heads > 1 or s.head_seq < ph.head_seq or not exists (select 1 from journal_entries e
            where e.committee_id = s.committee_id and e.seq = s.head_seq and e.hash = s.head_hash) then
          'a publication records a point of the chain, and not one before the last publication''s'
        when s.earliest < ph.published_at or s.latest > clock_timestamp() or s.back then
          'a publication is dated between the one before it and now'
      end as bad
    from (select t.committee_id, count(*) as n, min(t.vseq) as first, max(t.vseq) as last,
        count(distinct (t.head_seq, t.head_hash)) as heads, min(t.head_seq) as head_seq, min(t.head_hash) as head_hash,
        min(t.published_at) as earliest, max(t.published_at) as latest, bool_or(t.published_at < t.before) as back
      from (select v.*, lag(v.published_at) over (partition by v.committee_id order by v.vseq) as before from new_verified v) t
      group by t.committee_id) s
    left join public_heads ph on ph.committee_id = s.committee_id) f
    where f.bad is not null
    order by f.committee_id
    limit 1;
    if bad is not null then
      raise exception using errcode = 'SQ010', message = format('entry_verified is numbered by the ledger itself: %s', bad);
    end if;
    -- Each entry read once for both: published only once verified (an insert of its own into entry_verified
    -- would otherwise put an entry no approver verified into the public figures), and a reversal only after
    -- the entry it reverses.
    select case when a.n < j.required_approvals then 'SQ011' else 'SQ015' end into bad
      from new_verified v
      cross join lateral (select e.required_approvals, e.reversal_of from journal_entries e where e.id = v.entry_id limit 1) j
      cross join lateral (select count(*) as n from entry_verifications x where x.entry_id = v.entry_id) a
      where a.n < j.required_approvals
        or (j.reversal_of is not null and not exists (select 1 from entry_verified o where o.entry_id = j.reversal_of and o.vseq < v.vseq))
      order by v.vseq
      limit 1;
    if bad = 'SQ011' then
      raise exception using errcode = 'SQ011', message = 'an entry is published only once its approvals are in';
    elsif bad = 'SQ015' then
      raise exception using errcode = 'SQ015',
        message = 'verify the entry a reversal reverses before the reversal itself';
    end if;
    update public_heads ph set vseq = x.vseq, published_at = x.published_at, head_seq = x.head_seq, head_hash = x.head_hash
      from (select distinct on (committee_id) committee_id, vseq, published_at, head_seq, head_hash from new_verified
        order by committee_id, vseq desc) x
      where ph.committee_id = x.committee_id;
    insert into public_figures as pf (committee_id, campaign_id, entry_date, metric, key, amount_dong, quantity, n)
      select min(f.committee_id), f.campaign_id, f.entry_date, f.metric, f.key, sum(f.amount_dong), sum(f.quantity), sum(f.n)
      from new_verified v cross join lateral soquy_entry_figures(v.entry_id) f
      group by f.campaign_id, f.entry_date, f.metric, f.key
      on conflict (campaign_id, entry_date, metric, key) do update
        set amount_dong = pf.amount_dong + excluded.amount_dong, quantity = pf.quantity + excluded.quantity, n = pf.n + excluded.n;
    -- Each party's count walked in publication order from where it stood: the distinct count moves on the
    -- day of the entry that takes a party from zero, or back to zero.
    with reach as (
      select v.vseq, v.committee_id, j.entry_date, x.campaign_id, x.kind, x.party_id, x.n, row_number() over () as k
      from new_verified v cross join lateral (select e.entry_date from journal_entries e where e.id = v.entry_id limit 1) j
        cross join lateral soquy_entry_reach(v.entry_id) x
    ),
    walked as (
      select r.committee_id, r.campaign_id, r.entry_date, r.kind, r.n,
        coalesce((select pr.n from public_reach pr where pr.campaign_id = r.campaign_id and pr.kind = r.kind and pr.party_id = r.party_id), 0)
          + sum(r.n) over (partition by r.campaign_id, r.kind, r.party_id order by r.vseq, r.k) as now_n
      from reach r
    ),
    kept as (
      insert into public_reach as pr (committee_id, campaign_id, kind, party_id, n)
        select min(r.committee_id), r.campaign_id, r.kind, r.party_id, sum(r.n) from reach r group by r.campaign_id, r.kind, r.party_id
        on conflict (campaign_id, kind, party_id) do update set n = pr.n + excluded.n
    )
    insert into public_figures as pf (committee_id, campaign_id, entry_date, metric, key, n)
      select min(w.committee_id), w.campaign_id, w.entry_date, case w.kind when 'donor' then 'donors' else 'households' end, '', sum(sign(w.n))
      from walked w where (w.n > 0 and w.now_n = w.n) or (w.n < 0 and w.now_n = 0)
      group by w.campaign_id, w.entry_date, w.kind
      on conflict (campaign_id, entry_date, metric, key) do update set n = pf.n + excluded.n;
    return null;
  end $$;
create or replace trigger entry_verified_figures after insert on entry_verified
  referencing new table as new_verified for each statement execute function soquy_publish_verified_rows();

-- A value is already rounded to its column's type when a BEFORE trigger sees it, so public_heads.published_at keeps
-- full precision and this cuts it to the millisecond it has reached (never ahead of the clock).
create or replace function soquy_publication_time_not_ahead() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    NEW.published_at := date_trunc('milliseconds', NEW.published_at);
    return NEW;
  end $$;
create or replace trigger public_heads_time_not_ahead before insert or update of published_at on public_heads
  for each row execute function soquy_publication_time_not_ahead();

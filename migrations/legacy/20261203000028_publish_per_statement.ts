import type { Knex } from "knex";
import { pinnedSearchPath } from "./20261201000017_pinned_search_path.js";

// An approver's batch is published by one statement, not one entry at a time.
//
// Verifying an entry ran three row triggers (migrations 0003, 0005, 0020):
// entry_verifications_mark inserted its entry_verified row; that row's
// entry_verified_publish locked the committee's publication row, took the next
// publication number and bumped public_heads; and entry_verified_figures added
// the entry to the public figures and to the reach of its donor or household,
// a few upserts each. A batch of 1,000 imported transfers took ~1 s (~0.9 ms an
// entry, 90 % of it in these triggers; public_heads, updated once per entry,
// left a version per entry that each later lookup walked), so an approver
// verifying a million-line bank import in bulk would wait 15–20 minutes.
// Now, once per statement, over its transition tables:
// - entry_verifications_mark locks the committees' publication rows, then
//   publishes the entries this statement's approvals complete (and that are not
//   published yet) in one insert, numbered on from the last publication in
//   ledger order (an original before its reversal), each with the chain head;
// - entry_verified_figures checks what any insert into entry_verified must
//   hold, in place of the row trigger that used to number it: numbers
//   continuing the committee's without a gap, one point of the chain not
//   before the last publication's, a time between the last publication's and
//   now, the entry's approvals in (new: an insert of its own could publish an
//   entry no approver verified), a reversal only after the entry it reverses;
//   then brings public_heads to the last publication once, sums the figures
//   per key and upserts each key once, and walks each party's count in
//   publication order from where it stood, so that a donor or household
//   counted once more, or for the last time, moves the distinct count on the
//   same day as it did row by row.
// The kept sums come out the same (verify recomputes them from the published
// entries and compares); what the approvals path refuses, and with which
// SQLSTATE, does not change. The row functions (soquy_mark_verified,
// soquy_publish_number, soquy_publish_figures) stay, unused, for down().

// As every ledger function since migrations 0013 and 0017 (the search path is pinned in up()).
const settings = "set enable_seqscan = off set jit = off";

const markSql = `create function soquy_mark_verified_rows() returns trigger language plpgsql ${settings} as $$
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
  end $$`;

const publishSql = `create function soquy_publish_verified_rows() returns trigger language plpgsql ${settings} as $$
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
  end $$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(markSql);
  await knex.raw(publishSql);
  for (const fn of ["soquy_mark_verified_rows()", "soquy_publish_verified_rows()"]) await pinnedSearchPath(knex, fn);
  await knex.raw("drop trigger entry_verified_publish on entry_verified");
  await knex.raw("drop trigger entry_verifications_mark on entry_verifications");
  await knex.raw(`create trigger entry_verifications_mark after insert on entry_verifications
    referencing new table as new_rows for each statement execute function soquy_mark_verified_rows()`);
  await knex.raw("drop trigger entry_verified_figures on entry_verified");
  await knex.raw(`create trigger entry_verified_figures after insert on entry_verified
    referencing new table as new_verified for each statement execute function soquy_publish_verified_rows()`);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("create trigger entry_verified_publish before insert on entry_verified for each row execute function soquy_publish_number()");
  await knex.raw("drop trigger entry_verified_figures on entry_verified");
  await knex.raw("create trigger entry_verified_figures after insert on entry_verified for each row execute function soquy_publish_figures()");
  await knex.raw("drop trigger entry_verifications_mark on entry_verifications");
  await knex.raw("create trigger entry_verifications_mark after insert on entry_verifications for each row execute function soquy_mark_verified()");
  await knex.raw("drop function soquy_publish_verified_rows()");
  await knex.raw("drop function soquy_mark_verified_rows()");
}

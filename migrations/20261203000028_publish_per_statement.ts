import type { Knex } from "knex";
import { pinnedSearchPath } from "./20261201000017_pinned_search_path.js";
import { restateFunction } from "./20261201000019_cheaper_statement_checks.js";

// An approver's batch is published by one statement, not one per entry.
//
// Verifying an entry ran two row triggers (migrations 0003 and 0005):
// entry_verifications_mark inserted its entry_verified row, and that row's
// entry_verified_figures added the entry to the public figures and the reach
// of its donor or household, a few upserts each, one entry at a time. A batch
// of 1,000 imported transfers took ~1 s (~0.9 ms an entry, 90 % of it in these
// two triggers), so an approver verifying a million-line bank import in bulk
// would wait 15–20 minutes. Now both run once per statement over its
// transition table:
// - the entries this statement's approvals complete are published by one
//   insert, in ledger order (an original before its reversal, as before);
//   entry_verified_publish still numbers each row as it goes in;
// - their figures are summed per key first and upserted once per key; reach is
//   walked per party in publication order from its count before the
//   statement, so a donor or household counted once more, or for the last
//   time, moves the distinct count on the same day as it did row by row.
// - entry_verified_publish takes each row's number from the last row numbered
//   (visible to it within the statement) instead of bumping public_heads row
//   by row: a row updated 1,000 times in one transaction leaves 1,000
//   versions that every later lookup of it walks. public_heads is brought up
//   to its last publication once, at the end of the statement.
// The kept sums come out the same (verify recomputes them from the published
// entries and compares); what is refused does not change.

/** soquy_publish_number's body as migrations 0005 and 0020 left it. */
const numberRowByRow = `
  declare
    orig uuid;
    h record;
  begin
    select reversal_of into orig from journal_entries where id = NEW.entry_id;
    if orig is not null and not exists (select 1 from entry_verified where entry_id = orig) then
      raise exception using errcode = 'SQ015',
        message = 'verify the entry a reversal reverses before the reversal itself';
    end if;
    -- The committee's publication row is locked first, and the chain head read after: publication
    -- numbers and the heads they record then rise together, whatever approvers run at once.
    insert into public_heads (committee_id, vseq, published_at, head_seq, head_hash)
      values (NEW.committee_id, 0, clock_timestamp(), 0, repeat('0', 64)) on conflict (committee_id) do nothing;
    perform 1 from public_heads where committee_id = NEW.committee_id for update;
    if exists (select 1 from entry_verified where entry_id = NEW.entry_id) then
      return null; -- published already: no second number
    end if;
    select seq, hash into h from journal_entries where committee_id = NEW.committee_id order by seq desc limit 1;
    update public_heads ph set vseq = ph.vseq + 1, published_at = greatest(clock_timestamp(), ph.published_at), head_seq = h.seq, head_hash = h.hash
      where ph.committee_id = NEW.committee_id
      returning vseq, published_at into NEW.vseq, NEW.published_at;
    NEW.head_seq := h.seq;
    NEW.head_hash := h.hash;
    return NEW;
  end `;

/** The same rules; the last number read from the rows, public_heads bumped by the statement. */
const numberFromLastRow = `
  declare
    orig uuid;
    ph record;
    last record;
    h record;
  begin
    select reversal_of into orig from journal_entries where id = NEW.entry_id;
    if orig is not null and not exists (select 1 from entry_verified where entry_id = orig) then
      raise exception using errcode = 'SQ015',
        message = 'verify the entry a reversal reverses before the reversal itself';
    end if;
    -- The committee's publication row is locked first (again, by the transaction holding it, changes
    -- nothing), and the last number and the chain head read after: publication numbers and the heads
    -- they record then rise together, whatever approvers run at once.
    select vseq, published_at into ph from public_heads where committee_id = NEW.committee_id for update;
    if not found then
      insert into public_heads (committee_id, vseq, published_at, head_seq, head_hash)
        values (NEW.committee_id, 0, clock_timestamp(), 0, repeat('0', 64)) on conflict (committee_id) do nothing;
      select vseq, published_at into ph from public_heads where committee_id = NEW.committee_id for update;
    end if;
    if exists (select 1 from entry_verified where entry_id = NEW.entry_id) then
      return null; -- published already: no second number
    end if;
    -- public_heads is brought up to date once per statement (soquy_publish_verified_rows); the rows this
    -- statement numbered before this one are visible here, and the last of them holds the last number.
    select vseq, published_at into last from entry_verified where committee_id = NEW.committee_id order by vseq desc limit 1;
    select seq, hash into h from journal_entries where committee_id = NEW.committee_id order by seq desc limit 1;
    NEW.vseq := greatest(ph.vseq, coalesce(last.vseq, 0)) + 1;
    NEW.published_at := greatest(clock_timestamp(), ph.published_at, last.published_at);
    NEW.head_seq := h.seq;
    NEW.head_hash := h.hash;
    return NEW;
  end `;

// As every ledger function since migrations 0013 and 0017 (the search path is pinned in up()).
const settings = "set enable_seqscan = off set jit = off";

const markSql = `create function soquy_mark_verified_rows() returns trigger language plpgsql ${settings} as $$
  begin
    insert into entry_verified (entry_id, committee_id, verified_at)
      select n.entry_id, n.committee_id, n.verified_at
      from (select entry_id, min(committee_id) as committee_id, min(verified_at) as verified_at from new_rows group by entry_id) n
      -- one probe per entry (the transition table's size is unknown to the planner, which would scan the ledger)
      cross join lateral (select e.seq, e.required_approvals from journal_entries e where e.id = n.entry_id limit 1) j
      where (select count(*) from entry_verifications v where v.entry_id = n.entry_id) >= j.required_approvals
      order by j.seq
      on conflict (entry_id) do nothing;
    return null;
  end $$`;

const publishSql = `create function soquy_publish_verified_rows() returns trigger language plpgsql ${settings} as $$
  begin
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
  await restateFunction(knex, "soquy_publish_number()", numberRowByRow, numberFromLastRow);
  await knex.raw("drop trigger entry_verifications_mark on entry_verifications");
  await knex.raw(`create trigger entry_verifications_mark after insert on entry_verifications
    referencing new table as new_rows for each statement execute function soquy_mark_verified_rows()`);
  await knex.raw("drop trigger entry_verified_figures on entry_verified");
  await knex.raw(`create trigger entry_verified_figures after insert on entry_verified
    referencing new table as new_verified for each statement execute function soquy_publish_verified_rows()`);
}

export async function down(knex: Knex): Promise<void> {
  await restateFunction(knex, "soquy_publish_number()", numberFromLastRow, numberRowByRow);
  await knex.raw("drop trigger entry_verified_figures on entry_verified");
  await knex.raw("create trigger entry_verified_figures after insert on entry_verified for each row execute function soquy_publish_figures()");
  await knex.raw("drop trigger entry_verifications_mark on entry_verifications");
  await knex.raw("create trigger entry_verifications_mark after insert on entry_verifications for each row execute function soquy_mark_verified()");
  await knex.raw("drop function soquy_publish_verified_rows()");
  await knex.raw("drop function soquy_mark_verified_rows()");
}

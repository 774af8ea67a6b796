-- Balances: the kept balance of every account, and no asset below zero.
--
-- Rules:
-- - account_balances holds each account's balance, kept here once per statement of postings (so a payment's
--   check never scans the ledger; verify recomputes it from the postings).
-- - No asset account goes below zero at any entry, in chain order, even when one statement carries many entries.
--   An account cannot go below zero anywhere in that order if it would not even with all of the statement's credits
--   to it taken first: that one pass clears every donation and almost every other statement, and the ordered
--   check (each posting's entry looked up by id, a running sum per account) runs only when it cannot.
--
-- SQLSTATEs:
--   SQ005  an asset account would go below zero

create or replace function soquy_apply_balances() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  begin
    if exists (
      select 1 from (select np.account_id, sum(least(np.amount_dong, 0)) as credits from new_postings np group by np.account_id) w
      join accounts a on a.id = w.account_id
      left join account_balances b on b.account_id = w.account_id
      where a.type = 'asset' and coalesce(b.balance_dong, 0) + w.credits < 0
    ) and exists (
      select 1 from (
        select per_entry.account_id,
          sum(per_entry.amount) over (partition by per_entry.account_id order by per_entry.seq) as running
        from (
          select np.account_id, np.seq, sum(np.amount_dong) as amount
          from (select x.account_id, x.amount_dong, (select e.seq from journal_entries e where e.id = x.entry_id) as seq
            from new_postings x offset 0) np
          group by np.account_id, np.seq
        ) per_entry
      ) r
      join accounts a on a.id = r.account_id
      left join account_balances b on b.account_id = r.account_id
      where a.type = 'asset' and coalesce(b.balance_dong, 0) + r.running < 0
    ) then
      raise exception using errcode = 'SQ005', message = 'an asset account would go below zero';
    end if;
    insert into account_balances (account_id, committee_id, balance_dong)
      select account_id, min(committee_id), sum(amount_dong) from new_postings group by account_id
      on conflict (account_id) do update set balance_dong = account_balances.balance_dong + excluded.balance_dong;
    return null;
  end $$;
create or replace trigger postings_balances after insert on postings
  referencing new table as new_postings for each statement execute function soquy_apply_balances();

-- The public sao kê: a committee's decision to publish a campaign's bank statement, and the lines it shows. Run by
-- the migration that added its tables (20261207000046), after they exist; not by the baseline.
--
-- Rules:
-- - Publishing or withdrawing a sao kê is decided by an approver person, with a token of their own; each decision
--   is kept (append-only) and the latest one is what the public side shows (saoke_published, kept by the trigger).
-- - A published line is an imported bank line of the campaign, as the bank printed it (that import's recording of
--   the line: a line imported again after a reversal is its next generation, under the new import). Published
--   lines never change; one leaves only when its bank line was released by the reversal of its import, so the
--   same statement imported again is shown once (soquy_withdraw_released_saoke_lines, run by the service).
-- - A decision or a new file of the sao kê bumps the committee's public generation (generations.sql).
--
-- SQLSTATEs:
--   SQ019  a sao kê decision not made by an approver person with a token of their own
--   SQ020  a published sao kê line that is not an imported bank line of the campaign as the bank printed it
--   SQ021  a published sao kê line removed while its bank line still stands (its import not reversed)


create or replace function soquy_check_saoke_decision() returns trigger
  language plpgsql set search_path = public, pg_temp
as $$
  begin
    if not exists (select 1 from api_tokens t join people p on p.id = t.person_id
        where t.id = NEW.decided_by and t.committee_id = NEW.committee_id and t.person_id = NEW.person_id and t.revoked_at is null
          and t.role = 'approver' and p.role = 'approver' and p.disabled_at is null) then
      raise exception using errcode = 'SQ019',
        message = 'publishing or withdrawing a sao kê is decided by an approver person, with a token of their own';
    end if;
    return NEW;
  end $$;

create or replace function soquy_keep_saoke_published() returns trigger
  language plpgsql set search_path = public, pg_temp
as $$
  begin
    insert into saoke_published (campaign_id, committee_id, decision_id, published)
      values (NEW.campaign_id, NEW.committee_id, NEW.id, NEW.publish)
      on conflict (campaign_id) do update set decision_id = excluded.decision_id, published = excluded.published;
    return null;
  end $$;

create or replace function soquy_check_saoke_lines() returns trigger
  language plpgsql set search_path = public, pg_temp
as $$
  begin
    if exists (select 1 from changed n
        left join bank_lines b on b.committee_id = n.committee_id and b.bank_account_id = n.bank_account_id
          and b.entry_date = n.entry_date and b.line_key = n.line_key and b.import_id = n.import_id
        left join bank_imports i on i.id = b.import_id
        where b.line_key is null or i.campaign_id is distinct from n.campaign_id
          or (b.import_id, b.line_no, b.direction, b.amount_dong, b.balance_dong, b.kind, b.entry_id, b.time_of_day)
            is distinct from (n.import_id, n.line_no, n.direction, n.amount_dong, n.balance_dong, n.kind, n.entry_id, n.time_of_day)) then
      raise exception using errcode = 'SQ020',
        message = 'a published sao kê line must be an imported bank line of the campaign, as the bank printed it';
    end if;
    return null;
  end $$;

create or replace function soquy_check_saoke_line_removal() returns trigger
  language plpgsql set search_path = public, pg_temp
as $$
  begin
    if not exists (select 1 from bank_lines b join bank_line_releases r on r.committee_id = b.committee_id
          and r.bank_account_id = b.bank_account_id and r.entry_date = b.entry_date and r.line_key = b.line_key and r.generation = b.generation
        where b.committee_id = OLD.committee_id and b.bank_account_id = OLD.bank_account_id and b.entry_date = OLD.entry_date
          and b.line_key = OLD.line_key and b.import_id = OLD.import_id) then
      raise exception using errcode = 'SQ021',
        message = 'a published sao kê line leaves only when its bank line was released by the reversal of its import';
    end if;
    return OLD;
  end $$;

-- The published lines whose bank lines were released by reversals after `after_reversal` (an id of
-- bank_import_reversals), taken out with the figures of the days left without a line; the campaigns whose sao kê
-- changed, for the service to make their files again. Runs as the owner: the service's role deletes nothing itself.
create or replace function soquy_withdraw_released_saoke_lines(after_reversal bigint) returns bigint[]
  language plpgsql security definer set search_path = public, pg_temp
as $$
  declare
    changed bigint[];
  begin
    with gone as (
      delete from saoke_lines s using bank_line_releases r, bank_lines b
      where r.reversal_id > after_reversal
        and b.committee_id = r.committee_id and b.bank_account_id = r.bank_account_id and b.entry_date = r.entry_date
        and b.line_key = r.line_key and b.generation = r.generation
        and s.committee_id = b.committee_id and s.bank_account_id = b.bank_account_id and s.entry_date = b.entry_date
        and s.line_key = b.line_key and s.import_id = b.import_id
      returning s.campaign_id)
    select coalesce(array_agg(distinct campaign_id), '{}') into changed from gone;
    if cardinality(changed) > 0 then
      delete from saoke_days d where d.campaign_id = any(changed) and not exists (select 1 from saoke_lines s
        where s.campaign_id = d.campaign_id and s.entry_date = d.entry_date and s.bank_account_id = d.bank_account_id);
      delete from saoke_files f where f.campaign_id = any(changed) and f.scope <> 'all' and not exists (select 1 from saoke_lines s
        where s.campaign_id = f.campaign_id and to_char(s.entry_date, 'YYYY-MM-DD') = f.scope);
    end if;
    return changed;
  end $$;

create or replace trigger saoke_decisions_check before insert on saoke_decisions for each row execute function soquy_check_saoke_decision();
create or replace trigger saoke_decisions_keep after insert on saoke_decisions for each row execute function soquy_keep_saoke_published();
create or replace trigger saoke_decisions_append_only before update or delete on saoke_decisions for each row execute function soquy_forbid_change();
create or replace trigger saoke_published_guard before insert or update or delete on saoke_published for each row execute function soquy_guard_public();
create or replace trigger saoke_lines_no_update before update on saoke_lines for each row execute function soquy_forbid_change();
create or replace trigger saoke_lines_removal before delete on saoke_lines for each row execute function soquy_check_saoke_line_removal();
create or replace trigger saoke_decisions_no_truncate before truncate on saoke_decisions for each statement execute function soquy_forbid_change();
create or replace trigger saoke_lines_no_truncate before truncate on saoke_lines for each statement execute function soquy_forbid_change();
create or replace trigger saoke_lines_check after insert on saoke_lines referencing new table as changed for each statement execute function soquy_check_saoke_lines();
create or replace trigger saoke_decisions_public_generation after insert on saoke_decisions referencing new table as changed for each statement execute function soquy_bump_public_generation();
create or replace trigger saoke_files_public_generation_insert after insert on saoke_files referencing new table as changed for each statement execute function soquy_bump_public_generation();
create or replace trigger saoke_files_public_generation_update after update on saoke_files referencing new table as changed for each statement execute function soquy_bump_public_generation();

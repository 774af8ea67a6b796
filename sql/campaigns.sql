-- Campaigns corrected after they are set up, within rules, every change kept. Run by the migration that added
-- campaign_changes (20261207000038), after that table exists; not by the baseline.
--
-- Rules:
-- - A campaign's code never changes (guards.sql: campaigns_frozen_codes).
-- - Its name and launch date are frozen once anything is published or checkpointed after it was set up: a public
--   statement cut there prints them, and a checkpoint signs that statement's digest.
-- - Its kind and launch date are frozen once an entry is recorded on it: its donations and payments were checked
--   against them (the receiving window, the purposes its kind allows).
-- - Every change is kept, before and after, in campaign_changes, written by the trigger alone and append-only.
--
-- SQLSTATEs:
--   SQ010  campaign_changes written directly, or a kept change updated, deleted or truncated
--   SQ017  a frozen field of a campaign changed

create or replace function soquy_check_campaign_change() returns trigger
  language plpgsql set search_path = public, pg_temp
as $$
  declare
    published boolean;
    used boolean;
  begin
    if NEW.name is distinct from OLD.name or NEW.starts_on is distinct from OLD.starts_on then
      select exists (select 1 from public_heads h where h.committee_id = OLD.committee_id and h.published_at >= OLD.created_at)
        or exists (select 1 from checkpoints k where k.committee_id = OLD.committee_id and k.created_at >= OLD.created_at) into published;
      if published then
        raise exception using errcode = 'SQ017', message = format(
          'campaign %s was published or checkpointed after it was set up: its name and launch date no longer change', OLD.code);
      end if;
    end if;
    if NEW.kind is distinct from OLD.kind or NEW.starts_on is distinct from OLD.starts_on then
      select exists (select 1 from journal_entries e where e.campaign_id = OLD.id)
        or exists (select 1 from accounts a join postings p on p.account_id = a.id where a.campaign_id = OLD.id) into used;
      if used then
        raise exception using errcode = 'SQ017', message = format(
          'campaign %s has entries, checked against its kind and launch date: they no longer change', OLD.code);
      end if;
    end if;
    return NEW;
  end $$;
create or replace trigger campaigns_frozen_when_used before update on campaigns
  for each row execute function soquy_check_campaign_change();

create or replace function soquy_keep_campaign_change() returns trigger
  language plpgsql set search_path = public, pg_temp
as $$
  begin
    insert into campaign_changes (committee_id, campaign_id, before, after)
      values (NEW.committee_id, NEW.id, to_jsonb(OLD) - 'created_at', to_jsonb(NEW) - 'created_at');
    return null;
  end $$;
create or replace trigger campaigns_changes_kept after update on campaigns
  for each row when (OLD.* is distinct from NEW.*) execute function soquy_keep_campaign_change();

create or replace function soquy_guard_campaign_changes() returns trigger
  language plpgsql set search_path = public, pg_temp
as $$
  begin
    if pg_trigger_depth() < 2 then
      raise exception using errcode = 'SQ010', message = 'campaign_changes is kept by the ledger itself and cannot be written directly';
    end if;
    return NEW;
  end $$;
create or replace trigger campaign_changes_guard before insert on campaign_changes
  for each row execute function soquy_guard_campaign_changes();
create or replace trigger campaign_changes_append_only before update or delete on campaign_changes
  for each row execute function soquy_forbid_change();
create or replace trigger campaign_changes_no_truncate before truncate on campaign_changes
  for each statement execute function soquy_forbid_change();

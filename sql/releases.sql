-- A bank import undone: its lines released, never deleted, and recorded again as their next generation. Run by the
-- migration that added bank_import_reversals and bank_line_releases (20261207000042), after those tables exist; not
-- by the baseline; run again by 20261207000052, which added the whole-import rule.
--
-- Rules:
-- - A line is released only by the reversal of the import that recorded it, only once the entry recording it is
--   reversed, and never when it was matched to a hand-recorded transfer (that entry is not the import's).
-- - A reversal releases its import whole: by the end of its transaction every line of the import not matched to a
--   hand-recorded transfer is released by it (so each entry the import recorded is reversed too). A reversal row
--   alone cannot take some of an import's lines out of the bank's record (and of the public sao kê).
-- - A line is recorded again (generation n > 0) only after generation n - 1 was released.
-- - Reversals and releases are append-only (their triggers call soquy_forbid_change, guards.sql).
--
-- SQLSTATEs:
--   SQ018  a bank line released or recorded again against these rules

create or replace function soquy_check_line_release() returns trigger
language plpgsql set search_path = public, pg_temp
as $$
declare
    line record;
begin
    select l.import_id, l.entry_id, l.matched, r.import_id as reversed_import into line
      from bank_lines l, bank_import_reversals r
      where l.committee_id = NEW.committee_id and l.bank_account_id = NEW.bank_account_id and l.entry_date = NEW.entry_date
        and l.line_key = NEW.line_key and l.generation = NEW.generation and r.committee_id = NEW.committee_id and r.id = NEW.reversal_id;
    if not found or line.import_id <> line.reversed_import then
      raise exception using errcode = 'SQ018', message = 'a bank line is released only by the reversal of the import that recorded it';
    end if;
    if line.matched then
      raise exception using errcode = 'SQ018', message = 'a bank line matched to a hand-recorded transfer stays with that entry: it is not released';
    end if;
    if line.entry_id is not null and not exists (select 1 from journal_entries e where e.reversal_of = line.entry_id) then
      raise exception using errcode = 'SQ018', message = format('bank line %s is released only once entry %s, which records it, is reversed', NEW.line_key, line.entry_id);
    end if;
    return NEW;
end $$;
create or replace trigger bank_line_releases_check before insert on bank_line_releases for each row execute function soquy_check_line_release();
create or replace function soquy_check_line_generation() returns trigger
language plpgsql set search_path = public, pg_temp
as $$
begin
    if not exists (select 1 from bank_line_releases r where r.committee_id = NEW.committee_id and r.bank_account_id = NEW.bank_account_id
        and r.entry_date = NEW.entry_date and r.line_key = NEW.line_key and r.generation = NEW.generation - 1) then
      raise exception using errcode = 'SQ018', message = format('bank line %s is recorded again only after its recording %s was released', NEW.line_key, NEW.generation - 1);
    end if;
    return NEW;
end $$;
-- Only lines recorded again pay for the check: generation 0 (every line of a first import) skips it.
create or replace trigger bank_lines_generation before insert on bank_lines for each row when (NEW.generation > 0)
execute function soquy_check_line_generation();

create or replace function soquy_check_reversal_whole() returns trigger
language plpgsql set search_path = public, pg_temp
as $$
begin
    if exists (select 1 from bank_lines l
        where l.committee_id = NEW.committee_id and l.import_id = NEW.import_id and not l.matched
          and not exists (select 1 from bank_line_releases r where r.committee_id = l.committee_id and r.bank_account_id = l.bank_account_id
            and r.entry_date = l.entry_date and r.line_key = l.line_key and r.generation = l.generation and r.reversal_id = NEW.id)) then
      raise exception using errcode = 'SQ018', message = format('reversal %s of import %s must release every line of the import not matched to a hand-recorded transfer', NEW.id, NEW.import_id);
    end if;
    return null;
end $$;
-- Checked at commit: the reversal row is written before the releases that name it.
drop trigger if exists bank_import_reversals_whole on bank_import_reversals;
create constraint trigger bank_import_reversals_whole after insert on bank_import_reversals deferrable initially deferred
for each row execute function soquy_check_reversal_whole();

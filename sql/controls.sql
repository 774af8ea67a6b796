-- Controls an auditor relies on: voucher numbers, maker-checker verification, period close, and the purposes
-- each kind of campaign may pay for (Nghị định 93/2021). The open period, the receiving window and a
-- disbursement's purpose are checked on each statement's new rows, in references.sql.
--
-- Rules:
-- - Receipt and payment vouchers spell their book, year and number, and are numbered without a gap per book and
--   year (checked at COMMIT).
-- - Only an approver person verifies an entry, never one they recorded, and once whatever token they use
--   (person_id is taken from the token here, unique per entry).
-- - Only an approver person closes a period; a period closes after the last close, and only when every entry
--   dated on or before it is verified.
-- - The purposes each kind of campaign may pay for.
--
-- SQLSTATEs:
--   SQ004  a voucher number that does not spell its book, year and number, or leaves a gap
--   SQ007  a period close on or before the last one
--   SQ008  a period close over entries not all verified
--   SQ011  a verification or close by someone who may not: not an approver person, the person who recorded
--          the entry, or a person who verified it already

create or replace function soquy_check_voucher() returns trigger
  language plpgsql security definer set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  declare
    b record;
  begin
    select series, code into b from receipt_books where id = NEW.book_id;
    if NEW.voucher_no <> (case when b.code = b.series then b.series else b.series || '-' || b.code end)
        || '-' || NEW.year || '-' || lpad(NEW.number::text, 6, '0') then
      raise exception using errcode = 'SQ004',
        message = format('voucher_no %s does not spell its book, year and number', NEW.voucher_no);
    end if;
    if NEW.number > 1 and not exists (
      select 1 from vouchers where book_id = NEW.book_id and year = NEW.year and number = NEW.number - 1
    ) then
      raise exception using errcode = 'SQ004',
        message = format('voucher %s leaves a gap: number %s of its book and year is missing', NEW.voucher_no, NEW.number - 1);
    end if;
    return null;
  end $$;
drop trigger if exists vouchers_gap_free on vouchers;
create constraint trigger vouchers_gap_free after insert on vouchers
  deferrable initially deferred for each row execute function soquy_check_voucher();

create or replace function soquy_check_verification() returns trigger
  language plpgsql security definer set search_path = public, pg_temp set enable_seqscan = off set jit = off
as $$
  declare
    recorder bigint;
    v record;
  begin
    select t.person_id into recorder from journal_entries j join api_tokens t on t.id = j.recorded_by where j.id = NEW.entry_id;
    select t.role, t.person_id, p.role as person_role into v from api_tokens t join people p on p.id = t.person_id where t.id = NEW.verified_by;
    if v.role is distinct from 'approver' or v.person_role is distinct from 'approver' then
      raise exception using errcode = 'SQ011', message = 'only an approver may verify an entry';
    end if;
    if recorder = v.person_id then
      raise exception using errcode = 'SQ011', message = 'an entry is never verified by the person who recorded it';
    end if;
    NEW.person_id := v.person_id;
    if exists (select 1 from entry_verifications x where x.entry_id = NEW.entry_id and x.person_id = v.person_id) then
      raise exception using errcode = 'SQ011', message = 'a person verifies an entry once, whatever token they use';
    end if;
    return NEW;
  end $$;
create or replace trigger entry_verifications_rules before insert on entry_verifications
  for each row execute function soquy_check_verification();

create or replace function soquy_check_close() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    if exists (select 1 from period_closes where committee_id = NEW.committee_id and through_date >= NEW.through_date) then
      raise exception using errcode = 'SQ007', message = format('the books are already closed through %s or later', NEW.through_date);
    end if;
    if exists (
      select 1 from journal_entries e where e.committee_id = NEW.committee_id and e.entry_date <= NEW.through_date
        and not exists (select 1 from entry_verified v where v.entry_id = e.id)
    ) then
      raise exception using errcode = 'SQ008', message = format('entries dated on or before %s are not all verified', NEW.through_date);
    end if;
    if not exists (select 1 from api_tokens t join people p on p.id = t.person_id where t.id = NEW.closed_by and t.role = 'approver' and p.role = 'approver') then
      raise exception using errcode = 'SQ011', message = 'only an approver may close a period';
    end if;
    return NEW;
  end $$;
create or replace trigger period_closes_rules before insert on period_closes
  for each row execute function soquy_check_close();

insert into campaign_purposes (kind, purpose) values
  ('for_the_poor', 'gift_package'), ('for_the_poor', 'house_new'), ('for_the_poor', 'house_repair'), ('for_the_poor', 'livelihood'),
  ('for_the_poor', 'schooling'), ('for_the_poor', 'health'), ('for_the_poor', 'relief_cash'), ('for_the_poor', 'infrastructure'),
  ('for_the_poor', 'regular_support'), ('for_the_poor', 'other'),
  ('tet_gifts', 'gift_package'),
  ('solidarity_house', 'house_new'), ('solidarity_house', 'house_repair'),
  ('livelihood', 'livelihood'),
  ('relief', 'relief_cash'), ('relief', 'gift_package'), ('relief', 'health'), ('relief', 'house_repair'), ('relief', 'house_new'),
  ('relief', 'other'),
  ('other', 'gift_package'), ('other', 'house_new'), ('other', 'house_repair'), ('other', 'livelihood'), ('other', 'schooling'),
  ('other', 'health'), ('other', 'relief_cash'), ('other', 'infrastructure'), ('other', 'regular_support'), ('other', 'other')
on conflict (kind, purpose) do nothing;

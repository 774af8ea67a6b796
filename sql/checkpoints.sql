-- Signed checkpoints: each committee numbers its own 1, 2, 3…
--
-- Rules:
-- - A checkpoint takes the next number of its committee, no gap, and from format 2 the number its payload signs is
--   the row's: a checkpoint deleted from the middle leaves a gap verify names, and an exported copy says which
--   number it was. (Checkpoints are append-only: guards.sql.)
--
-- SQLSTATEs:
--   SQ016  a checkpoint number that is not the committee's next, or not the number its payload signs (two signers
--          at once: the second signs again with the next number)

create or replace function soquy_check_checkpoint_number() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  declare
    last bigint;
    signed text;
  begin
    select max(number) into last from checkpoints where committee_id = NEW.committee_id;
    if NEW.number <> coalesce(last, 0) + 1 then
      raise exception using errcode = 'SQ016', message = format('checkpoint number %s of committee %s must be %s', NEW.number, NEW.committee_id, coalesce(last, 0) + 1);
    end if;
    signed := NEW.payload::jsonb ->> 'number';
    if NEW.payload::jsonb ->> 'format' <> 'soquy-checkpoint/1' and (signed is null or signed <> NEW.number::text) then
      raise exception using errcode = 'SQ016', message = format('checkpoint number %s is not the number its payload signs (%s)', NEW.number, coalesce(signed, 'none'));
    end if;
    return NEW;
  end $$;
create or replace trigger checkpoints_number before insert on checkpoints for each row execute function soquy_check_checkpoint_number();

-- Public generations: a number per committee that every change to what the public can see of it bumps.
--
-- Rules:
-- - A publication (entries becoming verified), a signed checkpoint, a campaign made or edited, an area added to its
--   list, a committee made or renamed: each bumps the committee's generation, once per statement however many rows
--   it wrote. Public answers are kept by the service keyed by this number, so a news spike is served without
--   touching the ledger, and every process agrees when to drop them (the number lives here, not in one process).
--
-- SQLSTATEs: none.

create or replace function soquy_bump_public_generation() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    insert into public_generations as g (committee_id, generation, changed_at)
      select committee_id, 1, clock_timestamp() from (select distinct committee_id from changed) c
    on conflict (committee_id) do update set generation = g.generation + 1, changed_at = excluded.changed_at;
    return null;
  end $$;
create or replace trigger entry_verified_public_generation after insert on entry_verified
  referencing new table as changed for each statement execute function soquy_bump_public_generation();
create or replace trigger checkpoints_public_generation after insert on checkpoints
  referencing new table as changed for each statement execute function soquy_bump_public_generation();
create or replace trigger campaigns_public_generation_insert after insert on campaigns
  referencing new table as changed for each statement execute function soquy_bump_public_generation();
create or replace trigger campaigns_public_generation_update after update on campaigns
  referencing new table as changed for each statement execute function soquy_bump_public_generation();
create or replace trigger areas_public_generation after insert on areas
  referencing new table as changed for each statement execute function soquy_bump_public_generation();

create or replace function soquy_bump_committee_generation() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    insert into public_generations as g (committee_id, generation, changed_at)
        select id, 1, clock_timestamp() from (select distinct id from changed) c
      on conflict (committee_id) do update set generation = g.generation + 1, changed_at = excluded.changed_at;
    return null;
  end $$;
create or replace trigger committees_public_generation_insert after insert on committees
  referencing new table as changed for each statement execute function soquy_bump_committee_generation();
create or replace trigger committees_public_generation_update after update on committees
  referencing new table as changed for each statement execute function soquy_bump_committee_generation();

-- People and their tokens: maker-checker compares people, not tokens.
--
-- Rules:
-- - A token carries its person's role, except that an admin's integration tokens may be treasurer or auditor
--   tokens (they act as the admin), so only an approver person holds an approver token; a disabled person holds
--   no new token; a token keeps its person and role for good.
-- - A person is only ever disabled, once; nothing else of them changes.
-- - Every person made or disabled leaves a row in the audit log.
--
-- SQLSTATEs:
--   SQ010  a change to a person other than disabling them once
--   SQ011  a token its person may not hold, or a token whose person or role changes

create or replace function soquy_check_token_person() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  declare
    p record;
  begin
    if TG_OP = 'UPDATE' then
      if NEW.person_id is distinct from OLD.person_id or NEW.role is distinct from OLD.role or NEW.committee_id is distinct from OLD.committee_id then
        raise exception using errcode = 'SQ011', message = 'a token keeps its person and its role';
      end if;
      return NEW;
    end if;
    select role, disabled_at into p from people where id = NEW.person_id;
    if p.disabled_at is not null then
      raise exception using errcode = 'SQ011', message = 'a disabled person holds no new token';
    end if;
    if not (NEW.role = p.role or (p.role = 'admin' and NEW.role in ('treasurer', 'auditor'))) then
      raise exception using errcode = 'SQ011', message = format('a person with role %s cannot hold a %s token', p.role, NEW.role);
    end if;
    return NEW;
  end $$;
create or replace trigger api_tokens_person_rules before insert or update on api_tokens
  for each row execute function soquy_check_token_person();

create or replace function soquy_check_person_change() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    if NEW.id <> OLD.id or NEW.committee_id <> OLD.committee_id or NEW.name <> OLD.name or NEW.role <> OLD.role
       or NEW.created_at <> OLD.created_at or OLD.disabled_at is not null or NEW.disabled_at is null then
      raise exception using errcode = 'SQ010', message = 'a person is only ever disabled, once; nothing else of them changes';
    end if;
    return NEW;
  end $$;
create or replace trigger people_change before update on people for each row execute function soquy_check_person_change();

create or replace function soquy_audit_person() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    insert into audit_log (at, committee_id, action, target, outcome, request_id)
      values (now(), NEW.committee_id, case when TG_OP = 'INSERT' then 'person created' else 'person disabled' end,
              format('person %s (%s): %s', NEW.id, NEW.role, left(NEW.name, 200)), case when TG_OP = 'INSERT' then 201 else 200 end,
              gen_random_uuid());
    return null;
  end $$;
create or replace trigger people_audit after insert or update on people for each row execute function soquy_audit_person();

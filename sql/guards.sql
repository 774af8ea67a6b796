-- Guards: history is never rewritten.
--
-- Rules:
-- - The ledger's rows are append-only: journal entries, postings, vouchers, donations, items, disbursements,
--   idempotency records, accounts, donors, beneficiaries, verifications, publications, period closes, pledges,
--   the audit log, the purposes table, public snapshots, checkpoints, bank lines; none of them is updated,
--   deleted or truncated. A mistake is corrected with a reversing entry.
-- - A bank import's row may be completed by the transaction that wrote it, and never after it committed.
-- - Codes are part of every entry's hashed text (committees, campaigns, receipt books): they never change; and
--   the ids other rows refer to never change (committees, campaigns, tokens, receipt books, bank accounts), so a
--   reference checked once stays true. Tokens are revoked, never deleted; a bank account's opening balance is set
--   once.
-- - The tables the ledger keeps itself (account_balances, public_heads, public_figures, public_reach,
--   pending_entry_checks) are written only by its triggers (trigger depth 2 and more); queued commit checks are
--   never updated, by anyone.
-- - The list of areas and the statement formats are append-only.
--
-- SQLSTATEs:
--   SQ010  a write the ledger refuses: an update, delete or truncate of an append-only row, a changed code or
--          id, a direct write to a table the ledger keeps itself
--   42501  an update, delete or truncate of areas or statement_formats

-- The append-only rule, for every table that keeps history.
create or replace function soquy_forbid_change() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    raise exception using errcode = 'SQ010',
      message = format('%s is append-only: %s is not allowed; correct a mistake with a reversing entry', TG_TABLE_NAME, TG_OP);
  end $$;

-- bank_imports: "written by this transaction" is the row's xmin, widened to the current epoch, being a transaction
-- still in progress (a transaction sees no other one's uncommitted rows, so that is this one or one of its
-- savepoints). An xmin that widened lies in the future belongs to the previous epoch, and a frozen or forgotten one
-- has no status: both are committed rows, refused.
create or replace function soquy_forbid_change_after_commit() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  declare
    row_xid xid8;
    status text;
  begin
    if TG_OP = 'UPDATE' then
      row_xid := ((pg_current_xact_id()::text::bigint >> 32 << 32) | OLD.xmin::text::bigint)::text::xid8;
      begin
        status := pg_xact_status(row_xid);
      exception when others then
        status := null; -- "in the future": an xmin of the previous epoch
      end;
      if status = 'in progress' then
        return NEW;
      end if;
    end if;
    raise exception using errcode = 'SQ010',
      message = format('%s is append-only: %s is not allowed; correct a mistake with a reversing entry', TG_TABLE_NAME, TG_OP);
  end $$;

create or replace function soquy_forbid_key_change() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    raise exception using errcode = 'SQ010',
      message = format('the ids of %s never change: other rows refer to them', TG_TABLE_NAME);
  end $$;

create or replace function soquy_append_only() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    raise exception '% is append-only', TG_TABLE_NAME using errcode = '42501';
  end $$;

-- The tables the ledger keeps itself: written by its triggers only.
create or replace function soquy_guard_balances() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    if pg_trigger_depth() < 2 then
      raise exception using errcode = 'SQ010',
        message = 'account_balances is kept by the ledger itself and cannot be written directly';
    end if;
    return case when TG_OP = 'DELETE' then OLD else NEW end;
  end $$;

create or replace function soquy_guard_public() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    if pg_trigger_depth() < 2 then
      raise exception using errcode = 'SQ010',
        message = format('%s is kept by the ledger itself and cannot be written directly', TG_TABLE_NAME);
    end if;
    return case when TG_OP = 'DELETE' then OLD else NEW end;
  end $$;

create or replace function soquy_guard_pending_checks() returns trigger
  language plpgsql security definer set search_path = public, pg_temp
as $$
  begin
    if TG_OP = 'UPDATE' or pg_trigger_depth() < 2 then
      raise exception using errcode = 'SQ010',
        message = 'pending_entry_checks is kept by the ledger itself and cannot be written directly';
    end if;
    return case when TG_OP = 'DELETE' then OLD else NEW end;
  end $$;

-- Append-only: no update, no delete, no truncate.
create or replace trigger journal_entries_append_only before update or delete on journal_entries for each row execute function soquy_forbid_change();
create or replace trigger journal_entries_no_truncate before truncate on journal_entries for each statement execute function soquy_forbid_change();
create or replace trigger postings_append_only before update or delete on postings for each row execute function soquy_forbid_change();
create or replace trigger postings_no_truncate before truncate on postings for each statement execute function soquy_forbid_change();
create or replace trigger vouchers_append_only before update or delete on vouchers for each row execute function soquy_forbid_change();
create or replace trigger vouchers_no_truncate before truncate on vouchers for each statement execute function soquy_forbid_change();
create or replace trigger donations_append_only before update or delete on donations for each row execute function soquy_forbid_change();
create or replace trigger donations_no_truncate before truncate on donations for each statement execute function soquy_forbid_change();
create or replace trigger entry_items_append_only before update or delete on entry_items for each row execute function soquy_forbid_change();
create or replace trigger entry_items_no_truncate before truncate on entry_items for each statement execute function soquy_forbid_change();
create or replace trigger disbursements_append_only before update or delete on disbursements for each row execute function soquy_forbid_change();
create or replace trigger disbursements_no_truncate before truncate on disbursements for each statement execute function soquy_forbid_change();
create or replace trigger idempotency_keys_append_only before update or delete on idempotency_keys for each row execute function soquy_forbid_change();
create or replace trigger idempotency_keys_no_truncate before truncate on idempotency_keys for each statement execute function soquy_forbid_change();
create or replace trigger accounts_append_only before update or delete on accounts for each row execute function soquy_forbid_change();
create or replace trigger accounts_no_truncate before truncate on accounts for each statement execute function soquy_forbid_change();
create or replace trigger donors_append_only before update or delete on donors for each row execute function soquy_forbid_change();
create or replace trigger donors_no_truncate before truncate on donors for each statement execute function soquy_forbid_change();
create or replace trigger beneficiaries_append_only before update or delete on beneficiaries for each row execute function soquy_forbid_change();
create or replace trigger beneficiaries_no_truncate before truncate on beneficiaries for each statement execute function soquy_forbid_change();
create or replace trigger entry_verifications_append_only before update or delete on entry_verifications for each row execute function soquy_forbid_change();
create or replace trigger entry_verifications_no_truncate before truncate on entry_verifications for each statement execute function soquy_forbid_change();
create or replace trigger entry_verified_append_only before update or delete on entry_verified for each row execute function soquy_forbid_change();
create or replace trigger entry_verified_no_truncate before truncate on entry_verified for each statement execute function soquy_forbid_change();
create or replace trigger period_closes_append_only before update or delete on period_closes for each row execute function soquy_forbid_change();
create or replace trigger period_closes_no_truncate before truncate on period_closes for each statement execute function soquy_forbid_change();
create or replace trigger pledges_append_only before update or delete on pledges for each row execute function soquy_forbid_change();
create or replace trigger pledges_no_truncate before truncate on pledges for each statement execute function soquy_forbid_change();
create or replace trigger audit_log_append_only before update or delete on audit_log for each row execute function soquy_forbid_change();
create or replace trigger audit_log_no_truncate before truncate on audit_log for each statement execute function soquy_forbid_change();
create or replace trigger campaign_purposes_append_only before update or delete on campaign_purposes for each row execute function soquy_forbid_change();
create or replace trigger campaign_purposes_no_truncate before truncate on campaign_purposes for each statement execute function soquy_forbid_change();
create or replace trigger public_snapshots_append_only before update or delete on public_snapshots for each row execute function soquy_forbid_change();
create or replace trigger public_snapshots_no_truncate before truncate on public_snapshots for each statement execute function soquy_forbid_change();
create or replace trigger checkpoints_append_only before update or delete on checkpoints for each row execute function soquy_forbid_change();
create or replace trigger checkpoints_no_truncate before truncate on checkpoints for each statement execute function soquy_forbid_change();
create or replace trigger bank_lines_append_only before update or delete on bank_lines for each row execute function soquy_forbid_change();
create or replace trigger bank_lines_no_truncate before truncate on bank_lines for each statement execute function soquy_forbid_change();

-- A bank import's row is completed by its own transaction, and frozen once committed.
create or replace trigger bank_imports_append_only before update or delete on bank_imports for each row execute function soquy_forbid_change_after_commit();
create or replace trigger bank_imports_no_truncate before truncate on bank_imports for each statement execute function soquy_forbid_change();

-- Codes in the hashed text never change; these rows are never deleted.
create or replace trigger committees_frozen_codes before update on committees
  for each row when ((OLD.code) is distinct from (NEW.code)) execute function soquy_forbid_change();
create or replace trigger committees_no_delete before delete on committees for each row execute function soquy_forbid_change();
create or replace trigger committees_no_truncate before truncate on committees for each statement execute function soquy_forbid_change();
create or replace trigger campaigns_frozen_codes before update on campaigns
  for each row when ((OLD.code, OLD.committee_id) is distinct from (NEW.code, NEW.committee_id)) execute function soquy_forbid_change();
create or replace trigger campaigns_no_delete before delete on campaigns for each row execute function soquy_forbid_change();
create or replace trigger campaigns_no_truncate before truncate on campaigns for each statement execute function soquy_forbid_change();
create or replace trigger receipt_books_frozen_codes before update on receipt_books
  for each row when ((OLD.code, OLD.series, OLD.committee_id) is distinct from (NEW.code, NEW.series, NEW.committee_id)) execute function soquy_forbid_change();
create or replace trigger receipt_books_no_delete before delete on receipt_books for each row execute function soquy_forbid_change();
create or replace trigger receipt_books_no_truncate before truncate on receipt_books for each statement execute function soquy_forbid_change();

-- Ids other rows refer to never change: a reference checked once stays true.
create or replace trigger committees_frozen_ids before update on committees
  for each row when ((OLD.id) is distinct from (NEW.id)) execute function soquy_forbid_key_change();
create or replace trigger campaigns_frozen_ids before update on campaigns
  for each row when ((OLD.id, OLD.committee_id) is distinct from (NEW.id, NEW.committee_id)) execute function soquy_forbid_key_change();
create or replace trigger api_tokens_frozen_ids before update on api_tokens
  for each row when ((OLD.id, OLD.committee_id) is distinct from (NEW.id, NEW.committee_id)) execute function soquy_forbid_key_change();
create or replace trigger receipt_books_frozen_ids before update on receipt_books
  for each row when ((OLD.id, OLD.committee_id) is distinct from (NEW.id, NEW.committee_id)) execute function soquy_forbid_key_change();
create or replace trigger bank_accounts_frozen_ids before update on bank_accounts
  for each row when ((OLD.id, OLD.committee_id) is distinct from (NEW.id, NEW.committee_id)) execute function soquy_forbid_key_change();

-- Tokens are revoked, never deleted: entries, approvals and the audit log name them. People are disabled, never deleted.
create or replace trigger api_tokens_no_delete before delete on api_tokens for each row execute function soquy_forbid_change();
create or replace trigger api_tokens_no_truncate before truncate on api_tokens for each statement execute function soquy_forbid_change();
create or replace trigger people_no_delete before delete on people for each row execute function soquy_forbid_change();
create or replace trigger people_no_truncate before truncate on people for each statement execute function soquy_forbid_change();

-- A bank account's anchor (its opening balance) is set once; its saved layout may change.
create or replace trigger bank_accounts_anchor_frozen before update on bank_accounts
  for each row when (OLD.opening_date is not null and (OLD.opening_balance_dong, OLD.opening_date, OLD.account_no, OLD.committee_id)
    is distinct from (NEW.opening_balance_dong, NEW.opening_date, NEW.account_no, NEW.committee_id))
  execute function soquy_forbid_change();
create or replace trigger bank_accounts_no_delete before delete on bank_accounts for each row execute function soquy_forbid_change();
create or replace trigger bank_accounts_no_truncate before truncate on bank_accounts for each statement execute function soquy_forbid_change();

-- Kept by the ledger itself.
create or replace trigger account_balances_guard before insert or update or delete on account_balances for each row execute function soquy_guard_balances();
create or replace trigger account_balances_no_truncate before truncate on account_balances for each statement execute function soquy_forbid_change();
create or replace trigger public_heads_guard before insert or update or delete on public_heads for each row execute function soquy_guard_public();
create or replace trigger public_heads_no_truncate before truncate on public_heads for each statement execute function soquy_forbid_change();
create or replace trigger public_figures_guard before insert or update or delete on public_figures for each row execute function soquy_guard_public();
create or replace trigger public_figures_no_truncate before truncate on public_figures for each statement execute function soquy_forbid_change();
create or replace trigger public_reach_guard before insert or update or delete on public_reach for each row execute function soquy_guard_public();
create or replace trigger public_reach_no_truncate before truncate on public_reach for each statement execute function soquy_forbid_change();
create or replace trigger pending_entry_checks_guard before insert or update or delete on pending_entry_checks for each row execute function soquy_guard_pending_checks();
create or replace trigger pending_entry_checks_no_truncate before truncate on pending_entry_checks for each statement execute function soquy_forbid_change();

-- The list of areas and the statement formats.
create or replace trigger areas_append_only before update or delete on areas for each row execute function soquy_append_only();
create or replace trigger areas_no_truncate before truncate on areas for each statement execute function soquy_append_only();
create or replace trigger statement_formats_append_only before update or delete on statement_formats for each row execute function soquy_append_only();
create or replace trigger statement_formats_no_truncate before truncate on statement_formats for each statement execute function soquy_append_only();

-- Batch writes: the group committer's two calls (src/ledger/writer.ts, src/db/store.ts).
--
-- Rules: none of their own. Both are transport, bought with design and not with durability: every trigger,
-- constraint and deferred check fires as for separate statements, and they grant nothing a client could not do
-- with plain SELECTs and INSERTs.
-- - soquy_batch_context: what a batch reads under the committee's lock before planning (chain head, stored
--   idempotency responses, declared bank references, last closed date, last voucher numbers), in one call whose
--   plan the session keeps. Keys and bank references are probed one by one (LIMIT), so the plan never depends on
--   statistics.
-- - soquy_append_entries: one batch's INSERTs from one JSON document, one statement each in the order the
--   separate INSERTs would run, each only when it has rows (an INSERT of no rows still fires its statement
--   triggers).
--
-- SQLSTATEs: none of their own (those of the rules the INSERTs meet).

create or replace function soquy_batch_context(p_committee bigint, p json) returns json
  language plpgsql stable set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  begin
    return json_build_object(
      'head', (select json_build_array(seq, hash) from journal_entries where committee_id = p_committee order by seq desc limit 1),
      'closed', (select max(through_date) from period_closes where committee_id = p_committee),
      'stored', (select coalesce(json_agg(json_build_array(k.key, k.request_hash, k.response)), '[]')
        from json_array_elements_text(p->'keys') as x(key)
        cross join lateral (select key, request_hash, response from idempotency_keys
          where committee_id = p_committee and key = x.key limit 1) k),
      'refs', (select coalesce(json_agg(json_build_array(d.bank_account, d.bank_reference)), '[]')
        from json_to_recordset(p->'refs') as x(a text, r text)
        cross join lateral (select bank_account, bank_reference from donations
          where committee_id = p_committee and coalesce(bank_account, '') = x.a and bank_reference = x.r and bank_reference is not null
          limit 1) d),
      'vouchers', (select coalesce(json_agg(json_build_array(b.series, x.year, b.id, b.code,
          coalesce((select max(v.number) from vouchers v where v.book_id = b.id and v.year = x.year), 0))), '[]')
        from json_to_recordset(p->'vouchers') as x(series text, year int)
        join receipt_books b on b.committee_id = p_committee and b.series = x.series and b.code = x.series));
  end $$;

create or replace function soquy_append_entries(p_committee bigint,
    p_donors json, p_beneficiaries json, p_entries json, p_postings json, p_vouchers json, p_donations json, p_items json,
    p_disbursements json, p_idempotency json) returns void
  language plpgsql set enable_seqscan = off set jit = off set search_path = public, pg_temp
as $$
  begin
    if json_array_length(p_donors) > 0 then
      insert into donors (committee_id, identity_key, name, kind, phone)
        select p_committee, x.identity_key, x.name, x.kind, x.phone
        from json_to_recordset(p_donors) as x(identity_key text, name text, kind text, phone text)
        on conflict (committee_id, identity_key) do nothing;
    end if;
    if json_array_length(p_beneficiaries) > 0 then
      insert into beneficiaries (committee_id, identity_key, name, category, area)
        select p_committee, x.identity_key, x.name, x.category, x.area
        from json_to_recordset(p_beneficiaries) as x(identity_key text, name text, category text, area text)
        on conflict (committee_id, identity_key) do nothing;
    end if;
    if json_array_length(p_entries) > 0 then
      insert into journal_entries (id, committee_id, seq, entry_date, recorded_at, kind, description, campaign_id, recorded_by,
          idempotency_key, reversal_of, resolution_ref, required_approvals, prev_hash, hash)
        select x.id, p_committee, x.seq, x.entry_date, x.recorded_at, x.kind, x.description, x.campaign_id, x.recorded_by,
          x.idempotency_key, x.reversal_of, x.resolution_ref, x.required_approvals, x.prev_hash, x.hash
        from json_to_recordset(p_entries) as x(id uuid, seq bigint, entry_date date, recorded_at timestamptz,
          kind text, description text, campaign_id bigint, recorded_by bigint, idempotency_key text, reversal_of uuid,
          resolution_ref text, required_approvals smallint, prev_hash text, hash text)
        order by x.seq;
    end if;
    if json_array_length(p_postings) > 0 then
      insert into postings (entry_id, committee_id, line, account_id, amount_dong)
        select x.entry_id, p_committee, x.line, x.account_id, x.amount_dong
        from json_to_recordset(p_postings) as x(entry_id uuid, line smallint, account_id bigint, amount_dong bigint);
    end if;
    if json_array_length(p_vouchers) > 0 then
      insert into vouchers (committee_id, book_id, year, number, voucher_no, entry_id)
        select p_committee, x.book_id, x.year, x.number, x.voucher_no, x.entry_id
        from json_to_recordset(p_vouchers) as x(book_id bigint, year int, number int, voucher_no text, entry_id uuid);
    end if;
    if json_array_length(p_donations) > 0 then
      insert into donations (entry_id, committee_id, campaign_id, method, donor_id, donor_name, donor_kind, publish_name,
          bank_account, bank_reference, note)
        select x.entry_id, p_committee, x.campaign_id, x.method,
          (select d.id from donors d where d.committee_id = p_committee and d.identity_key = x.donor_key),
          x.donor_name, x.donor_kind, x.publish_name, x.bank_account, x.bank_reference, x.note
        from json_to_recordset(p_donations) as x(entry_id uuid, campaign_id bigint, method text, donor_key text,
          donor_name text, donor_kind text, publish_name boolean, bank_account text, bank_reference text, note text);
    end if;
    if json_array_length(p_items) > 0 then
      insert into entry_items (entry_id, committee_id, line, description, quantity, unit, unit_value_dong, value_dong, valuation_basis)
        select x.entry_id, p_committee, x.line, x.description, x.quantity, x.unit, x.unit_value_dong, x.value_dong, x.valuation_basis
        from json_to_recordset(p_items) as x(entry_id uuid, line smallint, description text, quantity numeric,
          unit text, unit_value_dong bigint, value_dong bigint, valuation_basis text);
    end if;
    if json_array_length(p_disbursements) > 0 then
      insert into disbursements (entry_id, committee_id, campaign_id, method, beneficiary_id, beneficiary_name, category, area,
          purpose, quantity, unit, note)
        select x.entry_id, p_committee, x.campaign_id, x.method,
          (select b.id from beneficiaries b where b.committee_id = p_committee and b.identity_key = x.beneficiary_key),
          x.beneficiary_name, x.category, x.area, x.purpose, x.quantity, x.unit, x.note
        from json_to_recordset(p_disbursements) as x(entry_id uuid, campaign_id bigint, method text,
          beneficiary_key text, beneficiary_name text, category text, area text, purpose text, quantity numeric, unit text,
          note text);
    end if;
    if json_array_length(p_idempotency) > 0 then
      insert into idempotency_keys (committee_id, key, request_hash, entry_id, response)
        select p_committee, x.key, x.request_hash, x.entry_id, x.response
        from json_to_recordset(p_idempotency) as x(key text, request_hash text, entry_id uuid, response jsonb);
    end if;
  end $$;

import type { Knex } from "knex";

// One round trip for a whole batch of entries. The group committer used to
// send one INSERT per table (donors, beneficiaries, entries, postings,
// vouchers, donations, items, disbursements, idempotency keys) plus the
// lookups between them, each waiting on the service's event loop while the
// committee's lock was held. This function runs the same INSERTs, one after
// the other inside the database, from one JSON document. It is only a
// transport: every trigger, constraint and deferred check fires exactly as for
// separate statements (each INSERT here is its own statement, so each sees
// the rows of the ones before it), and it grants nothing a client could not
// do with plain INSERTs.
const statements = [
  `create function soquy_append_entries(p_committee bigint, p json) returns void language plpgsql as $$
  begin
    insert into donors (committee_id, identity_key, name, kind, phone)
      select p_committee, x.identity_key, x.name, x.kind, x.phone
      from json_to_recordset(p->'donors') as x(identity_key text, name text, kind text, phone text)
      on conflict (committee_id, identity_key) do nothing;
    insert into beneficiaries (committee_id, identity_key, name, category, area)
      select p_committee, x.identity_key, x.name, x.category, x.area
      from json_to_recordset(p->'beneficiaries') as x(identity_key text, name text, category text, area text)
      on conflict (committee_id, identity_key) do nothing;
    insert into journal_entries (id, committee_id, seq, entry_date, recorded_at, kind, description, campaign_id, recorded_by,
        idempotency_key, reversal_of, resolution_ref, required_approvals, prev_hash, hash)
      select x.id, p_committee, x.seq, x.entry_date, x.recorded_at, x.kind, x.description, x.campaign_id, x.recorded_by,
        x.idempotency_key, x.reversal_of, x.resolution_ref, x.required_approvals, x.prev_hash, x.hash
      from json_to_recordset(p->'entries') as x(id uuid, seq bigint, entry_date date, recorded_at timestamptz,
        kind text, description text, campaign_id bigint, recorded_by bigint, idempotency_key text, reversal_of uuid,
        resolution_ref text, required_approvals smallint, prev_hash text, hash text)
      order by x.seq;
    insert into postings (entry_id, committee_id, line, account_id, amount_dong)
      select x.entry_id, p_committee, x.line, x.account_id, x.amount_dong
      from json_to_recordset(p->'postings') as x(entry_id uuid, line smallint, account_id bigint, amount_dong bigint);
    insert into vouchers (committee_id, book_id, year, number, voucher_no, entry_id)
      select p_committee, x.book_id, x.year, x.number, x.voucher_no, x.entry_id
      from json_to_recordset(p->'vouchers') as x(book_id bigint, year int, number int, voucher_no text, entry_id uuid);
    insert into donations (entry_id, committee_id, campaign_id, method, donor_id, donor_name, donor_kind, publish_name,
        bank_account, bank_reference, note)
      select x.entry_id, p_committee, x.campaign_id, x.method,
        (select d.id from donors d where d.committee_id = p_committee and d.identity_key = x.donor_key),
        x.donor_name, x.donor_kind, x.publish_name, x.bank_account, x.bank_reference, x.note
      from json_to_recordset(p->'donations') as x(entry_id uuid, campaign_id bigint, method text, donor_key text,
        donor_name text, donor_kind text, publish_name boolean, bank_account text, bank_reference text, note text);
    insert into entry_items (entry_id, committee_id, line, description, quantity, unit, unit_value_dong, value_dong, valuation_basis)
      select x.entry_id, p_committee, x.line, x.description, x.quantity, x.unit, x.unit_value_dong, x.value_dong, x.valuation_basis
      from json_to_recordset(p->'items') as x(entry_id uuid, line smallint, description text, quantity numeric,
        unit text, unit_value_dong bigint, value_dong bigint, valuation_basis text);
    insert into disbursements (entry_id, committee_id, campaign_id, method, beneficiary_id, beneficiary_name, category, area,
        purpose, quantity, unit, note)
      select x.entry_id, p_committee, x.campaign_id, x.method,
        (select b.id from beneficiaries b where b.committee_id = p_committee and b.identity_key = x.beneficiary_key),
        x.beneficiary_name, x.category, x.area, x.purpose, x.quantity, x.unit, x.note
      from json_to_recordset(p->'disbursements') as x(entry_id uuid, campaign_id bigint, method text,
        beneficiary_key text, beneficiary_name text, category text, area text, purpose text, quantity numeric, unit text,
        note text);
    insert into idempotency_keys (committee_id, key, request_hash, entry_id, response)
      select p_committee, x.key, x.request_hash, x.entry_id, x.response
      from json_to_recordset(p->'idempotency') as x(key text, request_hash text, entry_id uuid, response jsonb);
  end $$`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop function if exists soquy_append_entries(bigint, json)");
}

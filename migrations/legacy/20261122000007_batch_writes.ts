import type { Knex } from "knex";

// Batched writes, bought with design and not with durability.
//
// 1. One round trip for a whole batch of entries. The group committer used to
//    send one INSERT per table (donors, beneficiaries, entries, postings,
//    vouchers, donations, items, disbursements, idempotency keys) plus the
//    lookups between them, each waiting on the service's event loop while the
//    committee's lock was held. soquy_append_entries runs the same INSERTs,
//    one after the other inside the database, from one JSON document. It is
//    only a transport: every trigger, constraint and deferred check fires as
//    for separate statements (each INSERT is its own statement and sees the
//    rows of the ones before it), and it grants nothing a client could not do
//    with plain INSERTs.
//
// 2. The same rules as before, checked per statement and per transaction
//    instead of per row. The per-row deferred triggers on journal_entries
//    (soquy_check_entry_shape, soquy_check_entry: chain link, balance,
//    approvals, SHA-256 of the canonical text, reversal) ran some thirty
//    queries for every entry at COMMIT. Now an AFTER INSERT statement trigger
//    on journal_entries queues the ids the statement inserted in
//    pending_entry_checks, whose deferred constraint trigger checks them all
//    at COMMIT in one set-based query (soquy_check_entries) and removes the
//    queued row. The canonical text is built for a set of entries at once
//    (soquy_entries_canonical); soquy_entry_canonical(id) is that same
//    definition for one entry. Each entry meets the checks in the order the
//    two old triggers applied them, and the first failing entry (in insertion
//    order) is reported with the old SQLSTATE and message.
//    The "rows only with their entry" checks on postings and details run once
//    per statement over its transition table instead of once per row.
//    Unchanged: the BEFORE ROW rule triggers (open period, receiving window,
//    disbursement purpose, which must meet a row before any other check), the
//    per-statement balance trigger, the gap-free voucher check, append-only,
//    foreign keys and every constraint.
/** One batch's INSERTs (exported: migration 0015 restates it and restores it on the way down). */
export const appendEntriesSql = `create function soquy_append_entries(p_committee bigint,
      p_donors json, p_beneficiaries json, p_entries json, p_postings json, p_vouchers json, p_donations json, p_items json, p_disbursements json, p_idempotency json) returns void language plpgsql as $$
  begin
    insert into donors (committee_id, identity_key, name, kind, phone)
      select p_committee, x.identity_key, x.name, x.kind, x.phone
      from json_to_recordset(p_donors) as x(identity_key text, name text, kind text, phone text)
      on conflict (committee_id, identity_key) do nothing;
    insert into beneficiaries (committee_id, identity_key, name, category, area)
      select p_committee, x.identity_key, x.name, x.category, x.area
      from json_to_recordset(p_beneficiaries) as x(identity_key text, name text, category text, area text)
      on conflict (committee_id, identity_key) do nothing;
    insert into journal_entries (id, committee_id, seq, entry_date, recorded_at, kind, description, campaign_id, recorded_by,
        idempotency_key, reversal_of, resolution_ref, required_approvals, prev_hash, hash)
      select x.id, p_committee, x.seq, x.entry_date, x.recorded_at, x.kind, x.description, x.campaign_id, x.recorded_by,
        x.idempotency_key, x.reversal_of, x.resolution_ref, x.required_approvals, x.prev_hash, x.hash
      from json_to_recordset(p_entries) as x(id uuid, seq bigint, entry_date date, recorded_at timestamptz,
        kind text, description text, campaign_id bigint, recorded_by bigint, idempotency_key text, reversal_of uuid,
        resolution_ref text, required_approvals smallint, prev_hash text, hash text)
      order by x.seq;
    insert into postings (entry_id, committee_id, line, account_id, amount_dong)
      select x.entry_id, p_committee, x.line, x.account_id, x.amount_dong
      from json_to_recordset(p_postings) as x(entry_id uuid, line smallint, account_id bigint, amount_dong bigint);
    insert into vouchers (committee_id, book_id, year, number, voucher_no, entry_id)
      select p_committee, x.book_id, x.year, x.number, x.voucher_no, x.entry_id
      from json_to_recordset(p_vouchers) as x(book_id bigint, year int, number int, voucher_no text, entry_id uuid);
    insert into donations (entry_id, committee_id, campaign_id, method, donor_id, donor_name, donor_kind, publish_name,
        bank_account, bank_reference, note)
      select x.entry_id, p_committee, x.campaign_id, x.method,
        (select d.id from donors d where d.committee_id = p_committee and d.identity_key = x.donor_key),
        x.donor_name, x.donor_kind, x.publish_name, x.bank_account, x.bank_reference, x.note
      from json_to_recordset(p_donations) as x(entry_id uuid, campaign_id bigint, method text, donor_key text,
        donor_name text, donor_kind text, publish_name boolean, bank_account text, bank_reference text, note text);
    insert into entry_items (entry_id, committee_id, line, description, quantity, unit, unit_value_dong, value_dong, valuation_basis)
      select x.entry_id, p_committee, x.line, x.description, x.quantity, x.unit, x.unit_value_dong, x.value_dong, x.valuation_basis
      from json_to_recordset(p_items) as x(entry_id uuid, line smallint, description text, quantity numeric,
        unit text, unit_value_dong bigint, value_dong bigint, valuation_basis text);
    insert into disbursements (entry_id, committee_id, campaign_id, method, beneficiary_id, beneficiary_name, category, area,
        purpose, quantity, unit, note)
      select x.entry_id, p_committee, x.campaign_id, x.method,
        (select b.id from beneficiaries b where b.committee_id = p_committee and b.identity_key = x.beneficiary_key),
        x.beneficiary_name, x.category, x.area, x.purpose, x.quantity, x.unit, x.note
      from json_to_recordset(p_disbursements) as x(entry_id uuid, campaign_id bigint, method text,
        beneficiary_key text, beneficiary_name text, category text, area text, purpose text, quantity numeric, unit text,
        note text);
    insert into idempotency_keys (committee_id, key, request_hash, entry_id, response)
      select p_committee, x.key, x.request_hash, x.entry_id, x.response
      from json_to_recordset(p_idempotency) as x(key text, request_hash text, entry_id uuid, response jsonb);
  end $$`;

const statements = [
  // What a batch reads under the committee lock before planning, in one call
  // whose plan is kept by the session (a statement sent with its values is
  // planned again each time). Bank references are matched on the unique
  // index's own expression, one index probe each: the LIMIT keeps the planner
  // from a scan of every bank donation of the committee.
  `create function soquy_batch_context(p_committee bigint, p json) returns json language plpgsql stable as $$
  begin
    return json_build_object(
      'head', (select json_build_array(seq, hash) from journal_entries where committee_id = p_committee order by seq desc limit 1),
      'closed', (select max(through_date) from period_closes where committee_id = p_committee),
      'stored', (select coalesce(json_agg(json_build_array(k.key, k.request_hash, k.response)), '[]')
        from json_array_elements_text(p->'keys') as x(key)
        join idempotency_keys k on k.committee_id = p_committee and k.key = x.key),
      'refs', (select coalesce(json_agg(json_build_array(d.bank_account, d.bank_reference)), '[]')
        from json_to_recordset(p->'refs') as x(a text, r text)
        cross join lateral (select bank_account, bank_reference from donations
          where committee_id = p_committee and coalesce(bank_account, '') = x.a and bank_reference = x.r and bank_reference is not null
          limit 1) d),
      'vouchers', (select coalesce(json_agg(json_build_array(b.series, x.year, b.id, b.code,
          coalesce((select max(v.number) from vouchers v where v.book_id = b.id and v.year = x.year), 0))), '[]')
        from json_to_recordset(p->'vouchers') as x(series text, year int)
        join receipt_books b on b.committee_id = p_committee and b.series = x.series and b.code = x.series));
  end $$`,
  appendEntriesSql,
];

const detailTables = ["vouchers", "donations", "entry_items", "disbursements"];

/**
 * soquy_field(v) of migration 0002 written out: "<utf8 byte length>:<text>;",
 * NULL as "~;" (octet_length of NULL is NULL, so the whole concatenation is).
 * Inlining the SQL function ~40 times made planning the checks take ~17 ms,
 * paid again whenever an ANALYZE invalidates the session's plan.
 */
export function field(expr: string): string {
  return `coalesce(octet_length(${expr})::text || ':' || ${expr} || ';', '~;')`;
}

// The first failing check of the first failing entry (in the order given),
// with the SQLSTATE and message of the per-row triggers this replaces
// (exported: migration 0013 restates one of its subqueries).
export const checkEntriesSql = `create function soquy_check_entries(p_ids uuid[]) returns void language plpgsql as $$
  declare
    f text[];
  begin
    select failure into f from (
      select ids.n, case
        -- the entry's shape (was soquy_check_entry_shape)
        when (e.kind = 'donation') <> (d.entry_id is not null) or (e.kind = 'disbursement') <> (b.entry_id is not null) then
          array['SQ014', format('entry %s: a %s entry has %s donation and %s disbursement rows', e.id, e.kind,
            case when d.entry_id is null then 'no' else 'a' end, case when b.entry_id is null then 'no' else 'a' end)]
        when d.entry_id is null and b.entry_id is null and it.n > 0 then
          array['SQ014', format('entry %s: only an in-kind donation lists items', e.id)]
        when (d.entry_id is not null or b.entry_id is not null) and (ps.n <> 2 or ps.amount is null or not exists (
            select 1 from postings p join accounts a on a.id = p.account_id
            where p.entry_id = e.id and a.campaign_id = e.campaign_id and p.amount_dong = -ps.amount
              and a.role = case
                when d.entry_id is not null then 'income'
                else case b.method when 'in_kind' then 'goods' else b.method end
              end)) then
          array['SQ014', format('entry %s: its postings do not match a %s of its campaign by its method', e.id, e.kind)]
        when (d.entry_id is not null or b.entry_id is not null)
            and ((d.method = 'in_kind') <> (it.n > 0) or (it.n > 0 and it.value <> ps.amount)) then
          array['SQ014', format('entry %s: an in-kind donation lists goods worth exactly its amount, and only it lists goods', e.id)]
        -- the chain link, balance, approvals, hash and reversal (was soquy_check_entry)
        when e.seq <> 1 and pred.hash is null then
          array['SQ002', format('entry %s: sequence %s has no predecessor in its committee', e.id, e.seq)]
        when e.prev_hash <> case when e.seq = 1 then repeat('0', 64) else pred.hash end then
          array['SQ002', format('entry %s: prev_hash is not the hash of sequence %s', e.id, e.seq - 1)]
        when ps.n < 2 or ps.total <> 0 then
          array['SQ001', format('entry %s: %s postings summing to %s (needs at least 2, summing to 0)', e.id, ps.n, ps.total)]
        when e.required_approvals <> case when ps.campaigns >= 2 then 2 else 1 end
            or (e.required_approvals = 2 and e.resolution_ref is null) then
          array['SQ009', format('entry %s: an entry between campaigns needs a resolution reference and 2 approvals', e.id)]
        when e.hash <> soquy_entry_hash(e.prev_hash, c.canonical) then
          array['SQ003', format('entry %s: hash does not match its content', e.id)]
        when e.reversal_of is not null and exists (
            select account_id from (
              select account_id, amount_dong from postings where entry_id = e.id
              union all
              select account_id, amount_dong from postings where entry_id = e.reversal_of
            ) both_entries group by account_id having sum(amount_dong) <> 0) then
          array['SQ006', format('entry %s: a reversal must negate every posting of entry %s', e.id, e.reversal_of)]
      end as failure
      from unnest(p_ids) with ordinality as ids(id, n)
      join journal_entries e on e.id = ids.id
      left join donations d on d.entry_id = e.id
      left join disbursements b on b.entry_id = e.id
      left join journal_entries pred on pred.committee_id = e.committee_id and pred.seq = e.seq - 1
      cross join lateral soquy_entries_canonical(array[e.id]) c
      cross join lateral (select count(*) as n, coalesce(sum(x.value_dong), 0) as value from entry_items x where x.entry_id = e.id) it
      cross join lateral (
        select count(*) as n, coalesce(sum(p.amount_dong), 0) as total, count(distinct a.campaign_id) as campaigns,
          max(case
            when d.entry_id is not null and a.campaign_id = e.campaign_id and p.amount_dong > 0
              and a.role = case d.method when 'in_kind' then 'goods' else d.method end then p.amount_dong
            when b.entry_id is not null and a.campaign_id = e.campaign_id and p.amount_dong > 0 and a.role = 'expense' then p.amount_dong
          end) as amount
        from postings p left join accounts a on a.id = p.account_id where p.entry_id = e.id
      ) ps
    ) checked
    where failure is not null
    order by n
    limit 1;
    if f is not null then
      raise exception using errcode = f[1], message = f[2];
    end if;
  end $$`;

// Each donation, item, etc. is one row at most per entry (primary keys), postings and items are in line order.
/** The canonical text of a set of entries (exported: migration 0014 redefines it over soquy_entries_facts and restores it on the way down). */
export const canonicalSql = `create function soquy_entries_canonical(p_ids uuid[]) returns table (id uuid, canonical text) language sql stable as $$
    select e.id,
      ${field("'soquy-entry-v1'")} || ${field("cm.code")} || ${field("e.seq::text")}
      || ${field("e.id::text")} || ${field("to_char(e.entry_date, 'YYYY-MM-DD')")}
      || ${field("to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")}
      || ${field("e.kind")} || ${field("cp.code")} || ${field("e.description")}
      || ${field("e.recorded_by::text")} || ${field("e.idempotency_key")} || ${field("e.reversal_of::text")}
      || ${field("e.resolution_ref")}
      || ${field("'postings'")} || ${field("p.n::text")} || coalesce(p.lines, '')
      || ${field("'voucher'")} || ${field("v.voucher_no")}
      || coalesce(d.part, '') || coalesce(i.lines, '') || coalesce(b.part, '')
    from unnest(p_ids) as ids(id)
    join journal_entries e on e.id = ids.id
    join committees cm on cm.id = e.committee_id
    left join campaigns cp on cp.id = e.campaign_id
    cross join lateral (
      select count(*) as n,
        string_agg(${field("x.line::text")} || ${field("a.code")} || ${field("x.amount_dong::text")}, '' order by x.line)
          filter (where a.id is not null) as lines
      from postings x left join accounts a on a.id = x.account_id where x.entry_id = e.id
    ) p
    left join vouchers v on v.entry_id = e.id
    left join lateral (
      select ${field("'donation'")} || ${field("x.method")} || ${field("x.donor_name")}
        || ${field("x.donor_kind")} || ${field("x.publish_name::text")} || ${field("x.bank_account")}
        || ${field("x.bank_reference")} || ${field("x.note")} as part
      from donations x where x.entry_id = e.id
    ) d on true
    cross join lateral (
      select string_agg(${field("'item'")} || ${field("x.line::text")} || ${field("x.description")}
        || ${field("x.quantity::text")} || ${field("x.unit")} || ${field("x.unit_value_dong::text")}
        || ${field("x.value_dong::text")} || ${field("x.valuation_basis")}, '' order by x.line) as lines
      from entry_items x where x.entry_id = e.id
    ) i
    left join lateral (
      select ${field("'disbursement'")} || ${field("x.method")} || ${field("x.beneficiary_name")}
        || ${field("x.category")} || ${field("x.area")} || ${field("x.purpose")}
        || ${field("x.quantity::text")} || ${field("x.unit")} || ${field("x.note")} as part
      from disbursements x where x.entry_id = e.id
    ) b on true
  $$`;

const checkStatements = [
  canonicalSql,
  `create function soquy_entry_canonical(p_id uuid) returns text language sql stable as $$
    select c.canonical from soquy_entries_canonical(array[p_id]) c
  $$`,
  checkEntriesSql,
  // Planning that query takes milliseconds (the canonical text inlines into
  // it): plan it once per session, never per call with the ids' values.
  `alter function soquy_check_entries(uuid[]) set plan_cache_mode = force_generic_plan`,
  // Entries inserted and not yet checked, by statement: written and removed
  // only by the triggers below (trigger depth 2), empty between transactions.
  `create table pending_entry_checks (
    id bigint generated always as identity primary key,
    committee_id bigint not null,
    entry_ids uuid[] not null
  )`,
  `create function soquy_guard_pending_checks() returns trigger language plpgsql as $$
  begin
    if pg_trigger_depth() < 2 then
      raise exception using errcode = 'SQ010',
        message = 'pending_entry_checks is kept by the ledger itself and cannot be written directly';
    end if;
    return case when TG_OP = 'DELETE' then OLD else NEW end;
  end $$`,
  `create trigger pending_entry_checks_guard before insert or update or delete on pending_entry_checks
    for each row execute function soquy_guard_pending_checks()`,
  `create trigger pending_entry_checks_no_truncate before truncate on pending_entry_checks
    for each statement execute function soquy_forbid_change()`,
  `create function soquy_queue_entry_checks() returns trigger language plpgsql as $$
  begin
    insert into pending_entry_checks (committee_id, entry_ids)
      select committee_id, array_agg(id) from new_entries group by committee_id;
    return null;
  end $$`,
  `create trigger journal_entries_queue_checks after insert on journal_entries
    referencing new table as new_entries for each statement execute function soquy_queue_entry_checks()`,
  `create function soquy_run_entry_checks() returns trigger language plpgsql as $$
  begin
    perform soquy_check_entries(NEW.entry_ids);
    delete from pending_entry_checks where id = NEW.id;
    return null;
  end $$`,
  `create constraint trigger pending_entry_checks_run after insert on pending_entry_checks
    deferrable initially deferred for each row execute function soquy_run_entry_checks()`,
  // Postings and details only with their entry, in the transaction that
  // inserted it (see soquy_entry_is_new), checked once per statement.
  `create function soquy_check_with_their_entries() returns trigger language plpgsql as $$
  declare
    stale uuid;
  begin
    select n.entry_id into stale from new_rows n
      where not exists (select 1 from journal_entries e where e.id = n.entry_id
        and pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | e.xmin::text::bigint)::text::xid8) = 'in progress')
      limit 1;
    if not found then
      return null;
    end if;
    if TG_TABLE_NAME = 'postings' then
      raise exception using errcode = 'SQ001',
        message = format('entry %s is already committed: postings cannot be added to it', stale);
    end if;
    raise exception using errcode = 'SQ003',
      message = format('entry %s is already committed: a %s row cannot be added to it', stale, TG_TABLE_NAME);
  end $$`,
];

const oldRowTriggers = [
  "journal_entries_verify on journal_entries", "journal_entries_shape on journal_entries", "postings_with_their_entry on postings",
  ...detailTables.map((t) => `${t}_with_their_entry on ${t}`),
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
  for (const trigger of oldRowTriggers) await knex.raw(`drop trigger ${trigger}`);
  // The per-row functions (soquy_check_entry, soquy_check_entry_shape, soquy_check_postings,
  // soquy_check_detail) stay defined but unused, and the per-entry canonical function is kept
  // under another name, so that down() can put the old triggers back as they were.
  await knex.raw("alter function soquy_entry_canonical(uuid) rename to soquy_entry_canonical_per_row");
  for (const sql of checkStatements) await knex.raw(sql);
  // Named to fire before postings_balances, as the row trigger did.
  await knex.raw(`create trigger postings_added_with_their_entry after insert on postings
    referencing new table as new_rows for each statement execute function soquy_check_with_their_entries()`);
  for (const table of detailTables) {
    await knex.raw(`create trigger ${table}_with_their_entry after insert on ${table}
      referencing new table as new_rows for each statement execute function soquy_check_with_their_entries()`);
  }
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop trigger if exists postings_added_with_their_entry on postings");
  for (const table of detailTables) await knex.raw(`drop trigger if exists ${table}_with_their_entry on ${table}`);
  await knex.raw("drop trigger if exists journal_entries_queue_checks on journal_entries");
  await knex.raw("drop table if exists pending_entry_checks");
  for (const fn of [
    "soquy_check_with_their_entries()", "soquy_run_entry_checks()", "soquy_queue_entry_checks()", "soquy_guard_pending_checks()",
    "soquy_check_entries(uuid[])", "soquy_entry_canonical(uuid)", "soquy_entries_canonical(uuid[])",
    "soquy_append_entries(bigint, json, json, json, json, json, json, json, json, json)",
    "soquy_batch_context(bigint, json)",
  ]) {
    await knex.raw(`drop function if exists ${fn}`);
  }
  await knex.raw("alter function soquy_entry_canonical_per_row(uuid) rename to soquy_entry_canonical");
  await knex.raw(`create constraint trigger journal_entries_verify after insert on journal_entries
    deferrable initially deferred for each row execute function soquy_check_entry()`);
  await knex.raw(`create constraint trigger journal_entries_shape after insert on journal_entries
    deferrable initially deferred for each row execute function soquy_check_entry_shape()`);
  await knex.raw(`create trigger postings_with_their_entry after insert on postings
    for each row execute function soquy_check_postings()`);
  for (const table of detailTables) {
    await knex.raw(`create trigger ${table}_with_their_entry after insert on ${table}
      for each row execute function soquy_check_detail()`);
  }
}

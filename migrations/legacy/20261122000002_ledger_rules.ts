import type { Knex } from "knex";

// The rules PostgreSQL enforces itself, whoever writes: balanced entries,
// append-only rows, a gap-free SHA-256 hash chain, gap-free voucher numbers,
// non-negative assets. Custom SQLSTATEs (class SQ) let the app name the rule.
//
// The canonical serialisation is a sequence of netstring-like fields
// ("<utf8 byte length>:<text>;", NULL as "~;"); src/ledger/canonical.ts is its
// TypeScript twin and the two must agree byte for byte.
/** Keeps account_balances (exported: migration 0016 restates its lookup of each posting's entry). */
export const applyBalancesSql = `create function soquy_apply_balances() returns trigger language plpgsql as $$
  begin
    if exists (
      select 1 from (
        select per_entry.account_id,
          sum(per_entry.amount) over (partition by per_entry.account_id order by per_entry.seq) as running
        from (
          select np.account_id, e.seq, sum(np.amount_dong) as amount
          from new_postings np join journal_entries e on e.id = np.entry_id
          group by np.account_id, e.seq
        ) per_entry
      ) r
      join accounts a on a.id = r.account_id
      left join account_balances b on b.account_id = r.account_id
      where a.type = 'asset' and coalesce(b.balance_dong, 0) + r.running < 0
    ) then
      raise exception using errcode = 'SQ005', message = 'an asset account would go below zero';
    end if;
    insert into account_balances (account_id, committee_id, balance_dong)
      select account_id, min(committee_id), sum(amount_dong) from new_postings group by account_id
      on conflict (account_id) do update set balance_dong = account_balances.balance_dong + excluded.balance_dong;
    return null;
  end $$`;

const statements = [
  `create function soquy_forbid_change() returns trigger language plpgsql as $$
  begin
    raise exception using errcode = 'SQ010',
      message = format('%s is append-only: %s is not allowed; correct a mistake with a reversing entry', TG_TABLE_NAME, TG_OP);
  end $$`,
  `create function soquy_field(v text) returns text language sql immutable as $$
    select case when v is null then '~;' else octet_length(v)::text || ':' || v || ';' end
  $$`,
  `create function soquy_entry_canonical(p_id uuid) returns text language plpgsql stable as $$
  declare
    e record;
    r record;
    n int;
    s text;
  begin
    select je.*, cm.code as committee_code, cp.code as campaign_code into e
      from journal_entries je
      join committees cm on cm.id = je.committee_id
      left join campaigns cp on cp.id = je.campaign_id
      where je.id = p_id;
    if not found then
      return null;
    end if;
    s := soquy_field('soquy-entry-v1') || soquy_field(e.committee_code) || soquy_field(e.seq::text)
      || soquy_field(e.id::text) || soquy_field(to_char(e.entry_date, 'YYYY-MM-DD'))
      || soquy_field(to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"'))
      || soquy_field(e.kind) || soquy_field(e.campaign_code) || soquy_field(e.description)
      || soquy_field(e.recorded_by::text) || soquy_field(e.idempotency_key) || soquy_field(e.reversal_of::text)
      || soquy_field(e.resolution_ref);
    select count(*) into n from postings where entry_id = p_id;
    s := s || soquy_field('postings') || soquy_field(n::text);
    for r in select p.line, a.code, p.amount_dong from postings p join accounts a on a.id = p.account_id
             where p.entry_id = p_id order by p.line loop
      s := s || soquy_field(r.line::text) || soquy_field(r.code) || soquy_field(r.amount_dong::text);
    end loop;
    s := s || soquy_field('voucher') || soquy_field((select voucher_no from vouchers where entry_id = p_id));
    for r in select * from donations where entry_id = p_id loop
      s := s || soquy_field('donation') || soquy_field(r.method) || soquy_field(r.donor_name)
        || soquy_field(r.donor_kind) || soquy_field(r.publish_name::text) || soquy_field(r.bank_account)
        || soquy_field(r.bank_reference) || soquy_field(r.note);
    end loop;
    for r in select * from entry_items where entry_id = p_id order by line loop
      s := s || soquy_field('item') || soquy_field(r.line::text) || soquy_field(r.description)
        || soquy_field(r.quantity::text) || soquy_field(r.unit) || soquy_field(r.unit_value_dong::text)
        || soquy_field(r.value_dong::text) || soquy_field(r.valuation_basis);
    end loop;
    for r in select * from disbursements where entry_id = p_id loop
      s := s || soquy_field('disbursement') || soquy_field(r.method) || soquy_field(r.beneficiary_name)
        || soquy_field(r.category) || soquy_field(r.area) || soquy_field(r.purpose)
        || soquy_field(r.quantity::text) || soquy_field(r.unit) || soquy_field(r.note);
    end loop;
    return s;
  end $$`,
  `create function soquy_entry_hash(p_prev text, p_canonical text) returns text language sql immutable as $$
    select encode(sha256(convert_to(p_prev || p_canonical, 'UTF8')), 'hex')
  $$`,
  `create function soquy_check_entry() returns trigger language plpgsql as $$
  declare
    expected_prev text;
    n int;
    total numeric;
  begin
    if NEW.seq = 1 then
      expected_prev := repeat('0', 64);
    else
      select hash into expected_prev from journal_entries
        where committee_id = NEW.committee_id and seq = NEW.seq - 1;
      if not found then
        raise exception using errcode = 'SQ002',
          message = format('entry %s: sequence %s has no predecessor in its committee', NEW.id, NEW.seq);
      end if;
    end if;
    if NEW.prev_hash <> expected_prev then
      raise exception using errcode = 'SQ002',
        message = format('entry %s: prev_hash is not the hash of sequence %s', NEW.id, NEW.seq - 1);
    end if;
    select count(*), coalesce(sum(amount_dong), 0) into n, total from postings where entry_id = NEW.id;
    if n < 2 or total <> 0 then
      raise exception using errcode = 'SQ001',
        message = format('entry %s: %s postings summing to %s (needs at least 2, summing to 0)', NEW.id, n, total);
    end if;
    -- Moving money between campaigns needs a resolution and two approvers.
    if NEW.required_approvals <> (select case when count(distinct a.campaign_id) >= 2 then 2 else 1 end
        from postings p join accounts a on a.id = p.account_id where p.entry_id = NEW.id)
       or (NEW.required_approvals = 2 and NEW.resolution_ref is null) then
      raise exception using errcode = 'SQ009',
        message = format('entry %s: an entry between campaigns needs a resolution reference and 2 approvals', NEW.id);
    end if;
    if NEW.hash <> soquy_entry_hash(NEW.prev_hash, soquy_entry_canonical(NEW.id)) then
      raise exception using errcode = 'SQ003',
        message = format('entry %s: hash does not match its content', NEW.id);
    end if;
    if NEW.reversal_of is not null and exists (
      select account_id from (
        select account_id, amount_dong from postings where entry_id = NEW.id
        union all
        select account_id, amount_dong from postings where entry_id = NEW.reversal_of
      ) both_entries group by account_id having sum(amount_dong) <> 0
    ) then
      raise exception using errcode = 'SQ006',
        message = format('entry %s: a reversal must negate every posting of entry %s', NEW.id, NEW.reversal_of);
    end if;
    return null;
  end $$`,
  `create constraint trigger journal_entries_verify after insert on journal_entries
    deferrable initially deferred for each row execute function soquy_check_entry()`,
  // True when the entry row was inserted by the current transaction (or one of
  // its savepoints): a row we can see whose inserting transaction is still in
  // progress can only be ours. Its own deferred check (soquy_check_entry) then
  // verifies postings and details at commit. Rows of any other entry are
  // refused outright: postings and details are never added to an entry later.
  `create function soquy_entry_is_new(p_id uuid) returns boolean language sql stable as $$
    select exists (select 1 from journal_entries where id = p_id
      and pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | xmin::text::bigint)::text::xid8) = 'in progress')
  $$`,
  // Postings belong to the transaction that inserted their entry.
  `create function soquy_check_postings() returns trigger language plpgsql as $$
  begin
    if not soquy_entry_is_new(NEW.entry_id) then
      raise exception using errcode = 'SQ001',
        message = format('entry %s is already committed: postings cannot be added to it', NEW.entry_id);
    end if;
    return null;
  end $$`,
  `create trigger postings_with_their_entry after insert on postings
    for each row execute function soquy_check_postings()`,
  // Details (vouchers, donations, items, disbursements) likewise: only with
  // their entry, whose hash covers them.
  `create function soquy_check_detail() returns trigger language plpgsql as $$
  begin
    if not soquy_entry_is_new(NEW.entry_id) then
      raise exception using errcode = 'SQ003',
        message = format('entry %s is already committed: a %s row cannot be added to it', NEW.entry_id, TG_TABLE_NAME);
    end if;
    return null;
  end $$`,
  `create function soquy_check_voucher() returns trigger language plpgsql as $$
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
  end $$`,
  `create constraint trigger vouchers_gap_free after insert on vouchers
    deferrable initially deferred for each row execute function soquy_check_voucher()`,
  // Keeps account_balances and refuses any asset going below zero at any
  // point in chain order, even when many entries' postings come in one statement.
  applyBalancesSql,
  // account_balances is written only by the trigger above (trigger depth 2).
  `create function soquy_guard_balances() returns trigger language plpgsql as $$
  begin
    if pg_trigger_depth() < 2 then
      raise exception using errcode = 'SQ010',
        message = 'account_balances is kept by the ledger itself and cannot be written directly';
    end if;
    return case when TG_OP = 'DELETE' then OLD else NEW end;
  end $$`,
  `create trigger account_balances_guard before insert or update or delete on account_balances
    for each row execute function soquy_guard_balances()`,
  `create trigger account_balances_no_truncate before truncate on account_balances
    for each statement execute function soquy_forbid_change()`,
  `create trigger postings_balances after insert on postings
    referencing new table as new_postings for each statement execute function soquy_apply_balances()`,
];

// Codes are part of every entry's hashed text: they never change.
const frozenColumns = [
  ["committees", ["code"]],
  ["campaigns", ["code", "committee_id"]],
  ["receipt_books", ["code", "series", "committee_id"]],
] as const;

const appendOnlyTables = [
  "journal_entries", "postings", "vouchers", "donations", "entry_items", "disbursements",
  "idempotency_keys", "accounts", "donors", "beneficiaries",
];
const detailTables = ["vouchers", "donations", "entry_items", "disbursements"];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
  for (const table of detailTables) {
    await knex.raw(`create trigger ${table}_with_their_entry after insert on ${table}
      for each row execute function soquy_check_detail()`);
  }
  for (const [table, columns] of frozenColumns) {
    const old = columns.map((c) => `OLD.${c}`).join(", ");
    const now = columns.map((c) => `NEW.${c}`).join(", ");
    await knex.raw(`create trigger ${table}_frozen_codes before update on ${table}
      for each row when ((${old}) is distinct from (${now})) execute function soquy_forbid_change()`);
    await knex.raw(`create trigger ${table}_no_delete before delete on ${table}
      for each row execute function soquy_forbid_change()`);
    await knex.raw(`create trigger ${table}_no_truncate before truncate on ${table}
      for each statement execute function soquy_forbid_change()`);
  }
  for (const table of appendOnlyTables) {
    await knex.raw(`create trigger ${table}_append_only before update or delete on ${table}
      for each row execute function soquy_forbid_change()`);
    await knex.raw(`create trigger ${table}_no_truncate before truncate on ${table}
      for each statement execute function soquy_forbid_change()`);
  }
}

export async function down(knex: Knex): Promise<void> {
  for (const [table] of frozenColumns) {
    for (const t of ["frozen_codes", "no_delete", "no_truncate"]) await knex.raw(`drop trigger if exists ${table}_${t} on ${table}`);
  }
  await knex.raw(`drop trigger if exists account_balances_guard on account_balances`);
  await knex.raw(`drop trigger if exists account_balances_no_truncate on account_balances`);
  for (const table of appendOnlyTables) {
    await knex.raw(`drop trigger if exists ${table}_append_only on ${table}`);
    await knex.raw(`drop trigger if exists ${table}_no_truncate on ${table}`);
  }
  for (const table of detailTables) await knex.raw(`drop trigger if exists ${table}_with_their_entry on ${table}`);
  await knex.raw(`drop trigger if exists postings_balances on postings`);
  await knex.raw(`drop trigger if exists vouchers_gap_free on vouchers`);
  await knex.raw(`drop trigger if exists postings_with_their_entry on postings`);
  await knex.raw(`drop trigger if exists journal_entries_verify on journal_entries`);
  for (const fn of [
    "soquy_forbid_change()", "soquy_guard_balances()", "soquy_apply_balances()", "soquy_check_voucher()", "soquy_check_detail()",
    "soquy_check_postings()", "soquy_entry_is_new(uuid)", "soquy_check_entry()", "soquy_entry_hash(text, text)",
    "soquy_entry_canonical(uuid)", "soquy_field(text)",
  ]) {
    await knex.raw(`drop function if exists ${fn}`);
  }
}

import type { Knex } from "knex";

// The shape of a donation or disbursement entry, checked by PostgreSQL as the
// write path checks it in TypeScript (src/ledger/service.ts): a donation is
// +amount on its campaign's asset of its method (cash, bank, goods) and
// −amount on the campaign's income; a disbursement is +amount on the
// campaign's expense and −amount on that asset; goods are listed as items
// worth exactly the amount, and only for in-kind donations. Totals "by
// method" and "in kind" rest on this.
const statements = [
  `create function soquy_check_entry_shape() returns trigger language plpgsql as $$
  declare
    d record;
    b record;
    n int;
    amount bigint;
    items_value numeric;
    items_count int;
  begin
    select * into d from donations where entry_id = NEW.id;
    select * into b from disbursements where entry_id = NEW.id;
    if (NEW.kind = 'donation') <> (d.entry_id is not null) or (NEW.kind = 'disbursement') <> (b.entry_id is not null) then
      raise exception using errcode = 'SQ014',
        message = format('entry %s: a %s entry has %s donation and %s disbursement rows', NEW.id, NEW.kind,
          case when d.entry_id is null then 'no' else 'a' end, case when b.entry_id is null then 'no' else 'a' end);
    end if;
    select count(*), coalesce(sum(value_dong), 0) into items_count, items_value from entry_items where entry_id = NEW.id;
    if d.entry_id is null and b.entry_id is null then
      if items_count > 0 then
        raise exception using errcode = 'SQ014', message = format('entry %s: only an in-kind donation lists items', NEW.id);
      end if;
      return null;
    end if;
    select count(*) into n from postings where entry_id = NEW.id;
    select max(case
        when d.entry_id is not null and a.role = case d.method when 'in_kind' then 'goods' else d.method end and p.amount_dong > 0 then p.amount_dong
        when b.entry_id is not null and a.role = 'expense' and p.amount_dong > 0 then p.amount_dong
      end) into amount
      from postings p join accounts a on a.id = p.account_id
      where p.entry_id = NEW.id and a.campaign_id = NEW.campaign_id;
    if n <> 2 or amount is null or not exists (
      select 1 from postings p join accounts a on a.id = p.account_id
      where p.entry_id = NEW.id and a.campaign_id = NEW.campaign_id and p.amount_dong = -amount
        and a.role = case
          when d.entry_id is not null then 'income'
          else case b.method when 'in_kind' then 'goods' else b.method end
        end
    ) then
      raise exception using errcode = 'SQ014',
        message = format('entry %s: its postings do not match a %s of its campaign by its method', NEW.id, NEW.kind);
    end if;
    if (d.method = 'in_kind') <> (items_count > 0) or (items_count > 0 and items_value <> amount) then
      raise exception using errcode = 'SQ014',
        message = format('entry %s: an in-kind donation lists goods worth exactly its amount, and only it lists goods', NEW.id);
    end if;
    return null;
  end $$`,
  `create constraint trigger journal_entries_shape after insert on journal_entries
    deferrable initially deferred for each row execute function soquy_check_entry_shape()`,
  `alter table donations add constraint donations_bank_fields_on_bank_only
    check (method = 'bank' or (bank_account is null and bank_reference is null))`,
  `alter table disbursements add constraint disbursements_quantity_with_unit check ((quantity is null) = (unit is null))`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("alter table disbursements drop constraint if exists disbursements_quantity_with_unit");
  await knex.raw("alter table donations drop constraint if exists donations_bank_fields_on_bank_only");
  await knex.raw("drop trigger if exists journal_entries_shape on journal_entries");
  await knex.raw("drop function if exists soquy_check_entry_shape()");
}

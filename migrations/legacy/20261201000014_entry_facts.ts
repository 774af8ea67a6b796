import type { Knex } from "knex";
import { canonicalSql, field } from "./20261122000007_batch_writes.js";
import { checkEntriesSettings, restatedCheckEntriesSql } from "./20261201000013_key_lookup_plans.js";

// The commit check reads each entry's rows once.
//
// soquy_check_entries (migration 0007) built each entry's canonical text in a
// lateral call of its own and then read the same rows again for its checks:
// journal_entries twice, donations and disbursements twice, entry_items
// twice, postings three times — ~15 index probes an entry, ~100 µs of the
// commit of every entry (99 s of a 1,000,000-line bank import). Here one
// function, soquy_entries_facts, reads an entry's rows once and returns both
// its canonical text and the facts the checks need (how many postings, their
// sum, the campaigns they touch, the amount and its counter-posting for a
// donation or disbursement, the items and their value). The canonical text
// keeps its one definition: soquy_entries_canonical is now the canonical
// column of soquy_entries_facts, and the tests compare it with the TypeScript
// serialisation byte for byte. The checks, their order, SQLSTATEs and
// messages are those of migration 0007 as restated by 0013, and one more:
// a donation's or disbursement's row names its entry's campaign. That row's
// campaign is outside the hashed text and decides the receiving window, the
// purposes allowed and the public figures, so a row naming another campaign
// of the committee would have dodged all three.

/** An entry's postings folded (the lateral subquery p of soquy_entries_facts; exported: migration 0021 restates it). */
export const postingsFacts = `      select count(*) as n,
        string_agg(${field("x.line::text")} || ${field("a.code")} || ${field("x.amount_dong::text")}, '' order by x.line)
          filter (where a.id is not null) as lines,
        coalesce(sum(x.amount_dong), 0) as total, count(distinct a.campaign_id) as campaigns,
        -- a donation's or disbursement's amount: its positive posting on the campaign's account for its method
        max(case
          when d.entry_id is not null and a.campaign_id = e.campaign_id and x.amount_dong > 0
            and a.role = case d.method when 'in_kind' then 'goods' else d.method end then x.amount_dong
          when b.entry_id is not null and a.campaign_id = e.campaign_id and x.amount_dong > 0 and a.role = 'expense' then x.amount_dong
        end) as amount,
        -- what the other side may be: postings on the campaign's income (a donation) or on the account its method pays from
        array_agg(x.amount_dong) filter (where a.campaign_id = e.campaign_id and a.role = case
          when d.entry_id is not null then 'income'
          else case b.method when 'in_kind' then 'goods' else b.method end
        end) as counter
      from postings x left join accounts a on a.id = x.account_id where x.entry_id = e.id
    ) p`;

const factsSql = `create function soquy_entries_facts(p_ids uuid[]) returns table (
    n bigint, id uuid, canonical text, committee_id bigint, seq bigint, kind text, campaign_id bigint, prev_hash text, hash text,
    required_approvals smallint, resolution_ref text, reversal_of uuid,
    donation boolean, donation_method text, donation_campaign bigint, disbursement boolean, disbursement_method text, disbursement_campaign bigint,
    postings bigint, postings_total numeric, postings_campaigns bigint, amount bigint, counter_posted boolean,
    items bigint, items_value numeric
  ) language sql stable as $$
    select ids.n, e.id,
      ${field("'soquy-entry-v1'")} || ${field("cm.code")} || ${field("e.seq::text")}
      || ${field("e.id::text")} || ${field("to_char(e.entry_date, 'YYYY-MM-DD')")}
      || ${field("to_char(e.recorded_at at time zone 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')")}
      || ${field("e.kind")} || ${field("cp.code")} || ${field("e.description")}
      || ${field("e.recorded_by::text")} || ${field("e.idempotency_key")} || ${field("e.reversal_of::text")}
      || ${field("e.resolution_ref")}
      || ${field("'postings'")} || ${field("p.n::text")} || coalesce(p.lines, '')
      || ${field("'voucher'")} || ${field("v.voucher_no")}
      || case when d.entry_id is null then '' else ${field("'donation'")} || ${field("d.method")} || ${field("d.donor_name")}
        || ${field("d.donor_kind")} || ${field("d.publish_name::text")} || ${field("d.bank_account")}
        || ${field("d.bank_reference")} || ${field("d.note")} end
      || coalesce(i.lines, '')
      || case when b.entry_id is null then '' else ${field("'disbursement'")} || ${field("b.method")} || ${field("b.beneficiary_name")}
        || ${field("b.category")} || ${field("b.area")} || ${field("b.purpose")}
        || ${field("b.quantity::text")} || ${field("b.unit")} || ${field("b.note")} end,
      e.committee_id, e.seq, e.kind, e.campaign_id, e.prev_hash, e.hash, e.required_approvals, e.resolution_ref, e.reversal_of,
      d.entry_id is not null, d.method, d.campaign_id, b.entry_id is not null, b.method, b.campaign_id,
      p.n, p.total, p.campaigns, p.amount, coalesce(-p.amount = any(p.counter), false),
      i.n, i.value
    from unnest(p_ids) with ordinality as ids(id, n)
    join journal_entries e on e.id = ids.id
    join committees cm on cm.id = e.committee_id
    left join campaigns cp on cp.id = e.campaign_id
    left join vouchers v on v.entry_id = e.id
    left join donations d on d.entry_id = e.id
    left join disbursements b on b.entry_id = e.id
    cross join lateral (
${postingsFacts}
    cross join lateral (
      select count(*) as n, coalesce(sum(x.value_dong), 0) as value,
        string_agg(${field("'item'")} || ${field("x.line::text")} || ${field("x.description")}
          || ${field("x.quantity::text")} || ${field("x.unit")} || ${field("x.unit_value_dong::text")}
          || ${field("x.value_dong::text")} || ${field("x.valuation_basis")}, '' order by x.line) as lines
      from entry_items x where x.entry_id = e.id
    ) i
  $$`;

const canonicalOverFactsSql = `create or replace function soquy_entries_canonical(p_ids uuid[]) returns table (id uuid, canonical text)
  language sql stable as $$
    select f.id, f.canonical from soquy_entries_facts(p_ids) f
  $$`;

const checkEntriesSql = `create or replace function soquy_check_entries(p_ids uuid[]) returns void language plpgsql as $$
  declare
    f text[];
  begin
    select failure into f from (
      select e.n, case
        -- the entry's shape
        when (e.kind = 'donation') <> e.donation or (e.kind = 'disbursement') <> e.disbursement then
          array['SQ014', format('entry %s: a %s entry has %s donation and %s disbursement rows', e.id, e.kind,
            case when e.donation then 'a' else 'no' end, case when e.disbursement then 'a' else 'no' end)]
        when (e.donation and e.donation_campaign is distinct from e.campaign_id)
            or (e.disbursement and e.disbursement_campaign is distinct from e.campaign_id) then
          array['SQ014', format('entry %s: its %s row names another campaign than the entry', e.id, e.kind)]
        when not e.donation and not e.disbursement and e.items > 0 then
          array['SQ014', format('entry %s: only an in-kind donation lists items', e.id)]
        when (e.donation or e.disbursement) and (e.postings <> 2 or e.amount is null or not e.counter_posted) then
          array['SQ014', format('entry %s: its postings do not match a %s of its campaign by its method', e.id, e.kind)]
        when (e.donation or e.disbursement)
            and ((e.donation_method = 'in_kind') <> (e.items > 0) or (e.items > 0 and e.items_value <> e.amount)) then
          array['SQ014', format('entry %s: an in-kind donation lists goods worth exactly its amount, and only it lists goods', e.id)]
        -- the chain link, balance, approvals, hash and reversal
        when e.seq <> 1 and pred.hash is null then
          array['SQ002', format('entry %s: sequence %s has no predecessor in its committee', e.id, e.seq)]
        when e.prev_hash <> case when e.seq = 1 then repeat('0', 64) else pred.hash end then
          array['SQ002', format('entry %s: prev_hash is not the hash of sequence %s', e.id, e.seq - 1)]
        when e.postings < 2 or e.postings_total <> 0 then
          array['SQ001', format('entry %s: %s postings summing to %s (needs at least 2, summing to 0)', e.id, e.postings, e.postings_total)]
        when e.required_approvals <> case when e.postings_campaigns >= 2 then 2 else 1 end
            or (e.required_approvals = 2 and e.resolution_ref is null) then
          array['SQ009', format('entry %s: an entry between campaigns needs a resolution reference and 2 approvals', e.id)]
        when e.hash <> soquy_entry_hash(e.prev_hash, e.canonical) then
          array['SQ003', format('entry %s: hash does not match its content', e.id)]
        when e.reversal_of is not null and exists (
            select account_id from (
              select account_id, amount_dong from postings where entry_id = e.id
              union all
              select account_id, amount_dong from postings where entry_id = e.reversal_of
            ) both_entries group by account_id having sum(amount_dong) <> 0) then
          array['SQ006', format('entry %s: a reversal must negate every posting of entry %s', e.id, e.reversal_of)]
      end as failure
      from soquy_entries_facts(p_ids) e
      left join journal_entries pred on pred.committee_id = e.committee_id and pred.seq = e.seq - 1
    ) checked
    where failure is not null
    order by n
    limit 1;
    if f is not null then
      raise exception using errcode = f[1], message = f[2];
    end if;
  end $$`;

export async function up(knex: Knex): Promise<void> {
  await knex.raw(factsSql);
  await knex.raw(canonicalOverFactsSql);
  await knex.raw(checkEntriesSql);
  await checkEntriesSettings(knex, true);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw(restatedCheckEntriesSql);
  await checkEntriesSettings(knex, true);
  await knex.raw(canonicalSql.replace("create function", "create or replace function"));
  await knex.raw("drop function soquy_entries_facts(uuid[])");
}

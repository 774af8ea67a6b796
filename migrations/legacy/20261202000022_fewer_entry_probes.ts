import type { Knex } from "knex";
import { restateFunction } from "./20261201000019_cheaper_statement_checks.js";

// The statement checks of postings, entry items and donations look each entry up once.
//
// Migration 0011's checks probe journal_entries once per new row: is the
// row's entry there, in this committee, inserted by this transaction? A
// donation row was probed twice (its entry's date for the receiving window,
// then its status), and a two-line entry's postings twice (once a line). Now
// postings and items probe once per entry (the distinct entries of the
// statement), and a donation's entry is read once for both checks (a
// materialised CTE both branches read). Donors are probed once per distinct
// donor, as the other references already were. What is refused, ranked and
// said does not change.
//
// A page of 2,500 imported donations is 2,500 fewer probes for its postings,
// as many for its donations, and one per repeated donor.

const status = `coalesce((select case
          when e.committee_id <> n.committee_id then 'missing'
          when pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | e.xmin::text::bigint)::text::xid8) = 'in progress' then 'new'
          else 'committed' end
        from journal_entries e where e.id = n.entry_id limit 1), 'missing') as status`;

const perRow = "      from new_rows n offset 0) x";
const perEntry = "      from (select distinct committee_id, entry_id from new_rows) n offset 0) x";

const unread = "    select f.code, f.constraint_name, f.message, f.detail into bad from (";
const readOnce = `    -- each donation's entry read once: its date for the receiving window, its status for "with its entry"
    with entries as materialized (
      select n.committee_id, n.entry_id, n.campaign_id, j.entry_date, coalesce(j.status, 'missing') as status
      from new_rows n left join lateral (select e.entry_date, case
          when e.committee_id <> n.committee_id then 'missing'
          when pg_xact_status(((pg_current_xact_id()::text::bigint >> 32 << 32) | e.xmin::text::bigint)::text::xid8) = 'in progress' then 'new'
          else 'committed' end as status
        from journal_entries e where e.id = n.entry_id limit 1) j on true
    )
${unread}`;

const windowProbe = `select (select e.entry_date from journal_entries e where e.id = n.entry_id limit 1) as entry_date, c.starts_on, c.ends_on
        from new_rows n join campaigns c on c.id = n.campaign_id`;
const windowRead = `select n.entry_date, c.starts_on, c.ends_on
        from entries n join campaigns c on c.id = n.campaign_id`;

const statusProbe = `      from (select n.committee_id, n.entry_id, ${status}
${perRow}`;
const statusRead = "      from (select n.committee_id, n.entry_id, n.status from entries n offset 0) x";

const donorPerRow = "from new_rows k where k.committee_id is not null and k.donor_id is not null";
const donorDistinct = "from (select distinct committee_id, donor_id from new_rows) k where k.committee_id is not null and k.donor_id is not null";

const donations = "soquy_check_new_donations()";
const steps: [string, string, string][] = [
  ["soquy_check_new_postings()", perRow, perEntry],
  ["soquy_check_new_entry_items()", perRow, perEntry],
  [donations, unread, readOnce],
  [donations, windowProbe, windowRead],
  [donations, statusProbe, statusRead],
  [donations, donorPerRow, donorDistinct],
];

export async function up(knex: Knex): Promise<void> {
  for (const [fn, from, to] of steps) await restateFunction(knex, fn, from, to);
}

export async function down(knex: Knex): Promise<void> {
  for (const [fn, from, to] of [...steps].reverse()) await restateFunction(knex, fn, to, from);
}

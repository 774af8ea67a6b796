import type { Knex } from "knex";

// What the statement PDF an auditor signs needs of the schema:
// 1. committees.words_zero_tens and committees.words_thousand: how the committee writes amounts in words
//    ("một trăm linh năm" or "lẻ năm", "nghìn" or "ngàn"), on its statements and receipts. The defaults are
//    what every document printed before, so nothing a committee already printed reads differently.
// 2. An index of the entries that carry a resolution: every entry between campaigns does (SQ009), so the
//    statement finds a campaign's transfers through it without reading the campaign's every posting again.

const statements = [
  `alter table committees add column words_zero_tens text not null default 'linh' check (words_zero_tens in ('linh', 'lẻ'))`,
  `alter table committees add column words_thousand text not null default 'nghìn' check (words_thousand in ('nghìn', 'ngàn'))`,
  `create index journal_entries_resolutions on journal_entries (committee_id, seq) where resolution_ref is not null`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop index if exists journal_entries_resolutions");
  await knex.raw("alter table committees drop column if exists words_thousand");
  await knex.raw("alter table committees drop column if exists words_zero_tens");
}

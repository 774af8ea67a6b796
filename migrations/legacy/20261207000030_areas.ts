import type { Knex } from "knex";

// The committee's own list of areas (khu phố / thôn / ấp), and the statement
// format each publication is cut in.
//
// A disbursement names its area from the list: free text there went out
// verbatim on every public output (a household's name and phone typed as the
// "area"). The foreign key is NOT VALID: disbursements recorded before the list
// existed keep their text (their hash covers it) and show publicly as "Khác"
// unless the list holds it; every new row must name a listed area. The list is
// append-only, so what an area showed as at a publication stays what it shows.
//
// Public statements masked by the new rules have other bytes than those that
// checkpoints already signed: statements cut at a publication up to the one a
// committee had when this migration ran keep format v1; later ones are v2.
// Committees made later have no row here: v2 from their first publication.
const statements = [
  `create table areas (
    committee_id bigint not null references committees(id),
    name text not null check (length(name) between 1 and 100 and name = btrim(name) and name !~ '[[:cntrl:]]'),
    created_at timestamptz(3) not null default clock_timestamp(),
    created_by bigint,
    primary key (committee_id, name)
  )`,
  `create table statement_formats (
    committee_id bigint primary key references committees(id),
    v1_through_vseq bigint not null check (v1_through_vseq >= 0)
  )`,
  `insert into statement_formats (committee_id, v1_through_vseq)
    select c.id, coalesce(h.vseq, 0) from committees c left join public_heads h on h.committee_id = c.id`,
  `create function soquy_append_only() returns trigger language plpgsql set search_path = pg_catalog as $$
  begin
    raise exception '% is append-only', TG_TABLE_NAME using errcode = '42501';
  end $$`,
  `create trigger areas_append_only before update or delete on areas for each row execute function soquy_append_only()`,
  `create trigger areas_no_truncate before truncate on areas for each statement execute function soquy_append_only()`,
  `create trigger statement_formats_append_only before update or delete on statement_formats for each row execute function soquy_append_only()`,
  `create trigger statement_formats_no_truncate before truncate on statement_formats for each statement execute function soquy_append_only()`,
  `alter table disbursements add constraint disbursements_area_listed foreign key (committee_id, area) references areas (committee_id, name) not valid`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("alter table disbursements drop constraint if exists disbursements_area_listed");
  await knex.raw("drop table if exists statement_formats");
  await knex.raw("drop table if exists areas");
  await knex.raw("drop function if exists soquy_append_only()");
}

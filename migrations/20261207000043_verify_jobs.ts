import type { Knex } from "knex";

// An approver's "verify everything that matches" runs as a job the page polls. Its state is a row here,
// not the memory of the process that runs it: several processes serve one database, and the page may
// ask any of them how far the job has come. The verifications themselves are entry_verifications rows
// as always; this row only counts them. A job whose process died stops moving (updated_at): the page
// says so, and what it verified stays verified.

export async function up(knex: Knex): Promise<void> {
  await knex.raw(`create table verify_jobs (
    id uuid primary key,
    committee_id bigint not null references committees(id),
    started_by bigint not null,
    description text not null check (length(description) between 1 and 1000),
    total int not null check (total >= 0),
    done int not null default 0 check (done between 0 and total),
    approved int not null default 0 check (approved >= 0),
    verified int not null default 0 check (verified >= 0),
    refused int not null default 0 check (refused >= 0),
    refusals jsonb not null default '[]',
    state text not null default 'running' check (state in ('running', 'done', 'failed')),
    started_at timestamptz(3) not null default now(),
    updated_at timestamptz(3) not null default now(),
    foreign key (committee_id, started_by) references api_tokens(committee_id, id)
  )`);
  await knex.raw("create index verify_jobs_committee on verify_jobs (committee_id, started_at)");
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop table if exists verify_jobs");
}

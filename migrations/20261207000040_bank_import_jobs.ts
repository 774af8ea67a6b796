import type { Knex } from "knex";

// A bank import started over HTTP is a job, kept here rather than in the memory of the process that
// runs it, so that any process of a deployment answers its progress poll (src/db/importjobs.ts). The
// process running it writes its state and progress as it goes and renews heartbeat_at every second; a
// job whose heartbeat is older than the lease (IMPORT_JOB_LEASE_SECONDS) belongs to a process that is
// gone, and whichever process looks first marks it failed (import_interrupted). Nothing of such an
// import is left to clean up: the import is one transaction, which PostgreSQL rolls back when its
// connection drops, and the job is marked done only inside that transaction, so "done" and the
// import's rows commit together or not at all.
//
// Operational state, not the books: the service updates these rows, and a backup leaves them out.

const statements = [
  `create table bank_import_jobs (
    id uuid primary key,
    committee_id bigint not null references committees(id),
    started_by bigint not null,
    campaign_code text not null check (length(campaign_code) between 1 and 64),
    bank_account text not null check (length(bank_account) between 1 and 64),
    state text not null default 'queued' check (state in ('queued', 'running', 'done', 'failed')),
    phase text not null default 'waiting' check (phase in ('waiting', 'reading', 'posting')),
    lines_done int not null default 0 check (lines_done >= 0),
    lines_total int check (lines_total >= 0),
    import_id bigint,
    error_code text check (length(error_code) between 1 and 64),
    error_message text check (length(error_message) <= 2000),
    error_field text check (length(error_field) <= 200),
    owner text not null check (length(owner) between 1 and 200),
    created_at timestamptz not null default now(),
    heartbeat_at timestamptz not null default now(),
    finished_at timestamptz,
    foreign key (committee_id, started_by) references api_tokens(committee_id, id),
    foreign key (committee_id, import_id) references bank_imports(committee_id, id),
    check ((state in ('done', 'failed')) = (finished_at is not null)),
    check (state <> 'done' or import_id is not null),
    check (state <> 'failed' or error_code is not null)
  )`,
  // What the lease sweep and the metrics look for: the jobs not yet finished, few at any time.
  `create index bank_import_jobs_unfinished on bank_import_jobs (heartbeat_at) where state in ('queued', 'running')`,
];

export async function up(knex: Knex): Promise<void> {
  for (const sql of statements) await knex.raw(sql);
}

export async function down(knex: Knex): Promise<void> {
  await knex.raw("drop table if exists bank_import_jobs");
}

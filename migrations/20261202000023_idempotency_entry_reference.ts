import type { Knex } from "knex";
import { restateFunction } from "./20261201000019_cheaper_statement_checks.js";

// An idempotency record names an entry of its own committee.
//
// idempotency_keys.entry_id is the entry a write produced; a retry with the
// same key answers with it. Nothing checked it: a record written in SQL could
// name another committee's entry (or none at all), and a replayed request
// would then answer with an entry that is not the committee's. The table's
// statement check (migration 0011) now also refuses an entry_id that is not an
// entry of the row's committee, with the error a composite foreign key
// (committee_id, entry_id) would raise. Batch writes insert the records after
// their entries (soquy_append_entries), so the entries are there when it runs.

const end = "is null limit 1)\n    ) f order by f.rank limit 1;";
const withEntry = `is null limit 1)
      union all (select 1 as rank, '23503'::text as code, 'idempotency_keys_committee_id_entry_id_fkey'::text as constraint_name,
        'insert or update on table "idempotency_keys" violates foreign key constraint "idempotency_keys_committee_id_entry_id_fkey"' as message,
        format('Key (committee_id, entry_id)=(%s, %s) is not present in table "journal_entries".', k.committee_id, k.entry_id)::text as detail
      from new_rows k where k.entry_id is not null
        and (select p.committee_id from journal_entries p where p.id = k.entry_id limit 1) is distinct from k.committee_id limit 1)
    ) f order by f.rank limit 1;`;

const fn = "soquy_check_new_idempotency_keys()";

export async function up(knex: Knex): Promise<void> {
  await restateFunction(knex, fn, end, withEntry);
}

export async function down(knex: Knex): Promise<void> {
  await restateFunction(knex, fn, withEntry, end);
}

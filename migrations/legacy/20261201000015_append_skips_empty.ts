import type { Knex } from "knex";
import { appendEntriesSql } from "./20261122000007_batch_writes.js";
import { keyLookupPlans } from "./20261201000013_key_lookup_plans.js";

// A batch runs only the INSERTs it has rows for. soquy_append_entries
// (migration 0007) ran all nine for every batch, and an INSERT of no rows
// still starts, and still fires its statement triggers with their checks: a
// batch of donations paid for empty inserts into beneficiaries, entry_items
// and disbursements (and vouchers, when no donation was in cash) on the
// committee's critical path. Each INSERT is now guarded by the length of its
// JSON array; the INSERTs themselves are migration 0007's, unchanged.

const fn = "soquy_append_entries(bigint, json, json, json, json, json, json, json, json, json)";

function skippingEmpty(sql: string): string {
  const [head, ...inserts] = sql.split("\n    insert into ");
  if (inserts.length !== 9) throw new Error(`migration 0015: expected soquy_append_entries's nine INSERTs, found ${inserts.length}`);
  const guarded = inserts.map((text, i) => {
    const last = i === inserts.length - 1;
    const [statement, tail] = last ? text.split(/;\n(?=\s*end \$\$)/) : [text.replace(/;$/, ""), ""];
    const params = [...new Set(statement!.match(/json_to_recordset\((p_[a-z]+)\)/g) ?? [])];
    if (params.length !== 1) throw new Error(`migration 0015: an INSERT of soquy_append_entries reads ${params.length} arrays`);
    const param = /\((p_[a-z]+)\)/.exec(params[0]!)![1];
    return `\n    if json_array_length(${param}) > 0 then\n    insert into ${statement};\n    end if;${last ? `\n${tail}` : ""}`;
  });
  return `${head!.replace("create function", "create or replace function")}${guarded.join("")}`;
}

async function replace(knex: Knex, sql: string): Promise<void> {
  await knex.raw(sql);
  await keyLookupPlans(knex, fn); // CREATE OR REPLACE drops migration 0013's settings
}

export async function up(knex: Knex): Promise<void> {
  await replace(knex, skippingEmpty(appendEntriesSql));
}

export async function down(knex: Knex): Promise<void> {
  await replace(knex, appendEntriesSql.replace("create function", "create or replace function"));
}

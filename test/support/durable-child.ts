import { openDatabase } from "../../src/db/connect.js";

// Opens the embedded database in a folder and commits rows one transaction at a time, printing
// each id once its commit is acknowledged, until it has written `count` rows or is killed.
const [dataDir, countArg] = process.argv.slice(2);
const db = await openDatabase({ dataDir, holder: "cli" });
await db.knex.raw("create table if not exists acked (id int primary key)");
const start = Number((await db.knex.raw("select coalesce(max(id), 0) as m from acked")).rows[0].m);
for (let id = start + 1; id <= start + Number(countArg); id++) {
  await db.knex("acked").insert({ id });
  process.stdout.write(`acked ${id}\n`);
}
await db.close();

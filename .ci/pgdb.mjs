// Creates or drops a scratch database, or a login role, on the CI PostgreSQL (no psql needed).
import pg from "pg";
const [action, name, password] = process.argv.slice(2);
const actions = ["create", "drop", "create-role", "drop-role"];
if (!/^[a-z0-9_]+$/.test(name ?? "") || !actions.includes(action) || (action === "create-role" && !/^\w+$/.test(password ?? ""))) {
  console.error("usage: node .ci/pgdb.mjs create|drop <name> | create-role <name> <password> | drop-role <name>");
  process.exit(2);
}
const client = new pg.Client({ connectionString: process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" });
await client.connect();
if (action === "create") await client.query(`create database ${name} encoding 'UTF8' template template0`);
else if (action === "drop") await client.query(`drop database if exists ${name} with (force)`);
else if (action === "create-role") await client.query(`create role ${name} login password '${password}'`);
else await client.query(`drop role if exists ${name}`);
await client.end();

// Creates or drops a scratch database on the CI PostgreSQL (no psql needed).
import pg from "pg";
const [action, name] = process.argv.slice(2);
if (!/^[a-z0-9_]+$/.test(name ?? "") || !["create", "drop"].includes(action)) {
  console.error("usage: node .ci/pgdb.mjs create|drop <name>");
  process.exit(2);
}
const client = new pg.Client({ connectionString: process.env.PG_ADMIN_URL ?? "postgres://postgres@127.0.0.1:5432/postgres" });
await client.connect();
if (action === "create") await client.query(`create database ${name} encoding 'UTF8' template template0`);
else await client.query(`drop database if exists ${name} with (force)`);
await client.end();

import { chmodSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { pino } from "pino";
import { seedDemo } from "../seeds/demo.js";
import { openSoquy, optionsFromEnv } from "./context.js";
import type { AuditWriter } from "./db/audit.js";
import { DatabaseBusy } from "./db/connect.js";
import { createApp, createServer } from "./http/app.js";

// npm start: the service on PostgreSQL (DATABASE_URL) or, by default, on the
// embedded PGlite in DATA_DIR; the schema is brought up to date and, on an
// empty database, the demo data is loaded.
const log = pino({ level: process.env.LOG_LEVEL ?? "info", redact: ["req.headers.authorization", "*.phone"] });

async function main(): Promise<void> {
  const opts = optionsFromEnv("server");
  const s = await openSoquy(opts);
  const seeded = await seedDemo(s);
  const dataDir = path.resolve(opts.dataDir ?? "data");
  if (seeded.created) {
    mkdirSync(dataDir, { recursive: true });
    const file = path.join(dataDir, "demo-tokens.json");
    writeFileSync(file, JSON.stringify(seeded.tokens, null, 2) + "\n", { mode: 0o600 });
    chmodSync(file, 0o600);
    console.log("Demo data loaded. Demo API tokens (kept in %s; only their hashes are in the database):", file);
    for (const t of seeded.tokens) console.log(`  ${t.committee.padEnd(18)} ${t.role.padEnd(10)} ${t.token}`);
    const users = path.join(dataDir, "demo-users.json");
    writeFileSync(users, JSON.stringify(seeded.users, null, 2) + "\n", { mode: 0o600 });
    chmodSync(users, 0o600);
    console.log("Demo workspace accounts (sign in at /app/login; kept in %s):", users);
    for (const u of seeded.users) console.log(`  ${u.login.padEnd(30)} ${u.password}`);
  }
  const port = Number(process.env.PORT ?? 3000);
  const host = process.env.HOST ?? "127.0.0.1";
  const app = createApp(s, log);
  const server = createServer(app).listen(port, host, () => {
    const where = s.db.kind === "pglite" ? `embedded PGlite in ${s.db.where}` : `PostgreSQL at ${s.db.where}`;
    console.log(`soquy is listening on http://${host === "0.0.0.0" ? "localhost" : host}:${port} (${where})`);
    console.log(`  API docs: http://localhost:${port}/api/docs   health: http://localhost:${port}/health`);
    if (!seeded.created) console.log(`  demo tokens, if this database was seeded here: ${path.join(dataDir, "demo-tokens.json")}`);
  });
  server.keepAliveTimeout = 65_000;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.log(`${signal}: closing`);
    server.close(() => void (app.locals.audit as AuditWriter).close().then(() => s.close()).then(() => process.exit(0)));
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

main().catch((error) => {
  if (error instanceof DatabaseBusy) {
    console.error(`soquy: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});

import { chmodSync, existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { type Logger, pino } from "pino";
import { seedDemo } from "../seeds/demo.js";
import { type Config, ConfigError, readConfig } from "./config.js";
import { openSoquy, signingKeyFile } from "./context.js";
import { sweepStaleImportTemp } from "./imports/statement.js";
import type { AuditWriter } from "./db/audit.js";
import { DatabaseBusy, MigrationsPending } from "./db/connect.js";
import { LegacySchema } from "./db/legacy.js";
import { createApp, createServer } from "./http/app.js";

// npm start: the service on PostgreSQL (DATABASE_URL) or, by default, on the
// embedded PGlite in DATA_DIR; the schema is brought up to date and, when the
// configuration asks for it (the embedded default outside production), the
// demo data is loaded into an empty database.

async function main(config: Config): Promise<void> {
  const log = pino({ level: config.logLevel, redact: ["req.headers.authorization", "*.phone"] });
  const s = await openSoquy({ databaseUrl: config.databaseUrl, readUrl: config.databaseReadUrl, dataDir: config.dataDir, holder: "server" });
  if (config.production && !existsSync(signingKeyFile())) {
    log.warn({ file: signingKeyFile() }, "no signing key: checkpoints and period closes are refused until the operator provides one (cli key create --out <file>)");
  }
  for (const file of sweepStaleImportTemp()) log.warn({ file }, "removed a file a crashed import left behind");
  // Import jobs of a process that is gone: on the embedded database every unfinished one (its folder is
  // this process's alone), on a server those whose heartbeat has lapsed; then again every lease.
  const abandoned = await s.importJobs.failAbandoned(undefined, s.db.kind === "pglite");
  if (abandoned > 0) log.warn({ jobs: abandoned }, "bank import jobs of a process that stopped marked failed (nothing of them was written)");
  s.importJobs.start();
  if (config.rateLimitStore === "database") s.rateCounts.start();
  const seeded = config.demo ? await seedDemo(s) : { created: false, tokens: [], users: [] };
  const dataDir = path.resolve(config.dataDir);
  // Start-up lines are JSON like every other line, and shown whatever LOG_LEVEL says.
  const startup = log.child({ event: "start" }, { level: "info" });
  if (seeded.created) writeDemoSecrets(startup, dataDir, seeded);
  if (s.db.kind === "postgres" && s.db.ownerRights) {
    startup.warn({ where: s.db.where }, "DATABASE_URL's role owns the schema: the service could alter or drop the ledger's rules; in production give it a role of its own (README: production set-up)");
  }
  const { port, host } = config;
  const app = createApp(s, log);
  const server = createServer(app).listen(port, host, () => {
    const where = s.db.kind === "pglite" ? `embedded PGlite in ${s.db.where}` : `PostgreSQL at ${s.db.where}`;
    const mode = config.production ? "production, no demo data" : config.demo ? "demo data on an empty database" : "no demo data";
    const url = `http://${host === "0.0.0.0" ? "localhost" : host}:${port}`;
    startup.info({ url, database: s.db.kind, where: s.db.where, mode, docs: `${url}/api/docs`, health: `${url}/health` },
      `soquy is listening on ${url} (${where}; ${mode})`);
    if (config.demo && !seeded.created) startup.info({ file: path.join(dataDir, "demo-tokens.json") }, "demo tokens, if this database was seeded here, are in the file");
    if (!config.demo) startup.info("the first admin: npm run --silent cli -- user create --committee <code> --role admin --name \"<name>\" --login <login>");
  });
  server.keepAliveTimeout = 65_000;
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    startup.info({ signal }, `${signal}: closing`);
    server.close(() => void (app.locals.audit as AuditWriter).close().then(() => s.close()).then(() => process.exit(0)));
    setTimeout(() => process.exit(1), 10_000).unref();
  };
  process.on("SIGINT", () => stop("SIGINT"));
  process.on("SIGTERM", () => stop("SIGTERM"));
}

/** The demo tokens and passwords, in files only the owner reads, and in the start-up log. */
function writeDemoSecrets(startup: Logger, dataDir: string, seeded: Awaited<ReturnType<typeof seedDemo>>): void {
  mkdirSync(dataDir, { recursive: true });
  const file = path.join(dataDir, "demo-tokens.json");
  writeFileSync(file, JSON.stringify(seeded.tokens, null, 2) + "\n", { mode: 0o600 });
  chmodSync(file, 0o600);
  startup.info({ file }, `demo data loaded; demo API tokens are in ${file} (only their hashes are in the database)`);
  for (const t of seeded.tokens) startup.info({ committee: t.committee, role: t.role, token: t.token }, "demo API token");
  const users = path.join(dataDir, "demo-users.json");
  writeFileSync(users, JSON.stringify(seeded.users, null, 2) + "\n", { mode: 0o600 });
  chmodSync(users, 0o600);
  startup.info({ file: users }, `demo workspace accounts (sign in at /app/login) are in ${users}`);
  for (const u of seeded.users) startup.info({ login: u.login, password: u.password }, "demo workspace account");
}

function configOrExit(): Config {
  try {
    return readConfig();
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`soquy: ${error.message}`);
    process.exit(2);
  }
}

main(configOrExit()).catch((error) => {
  if (error instanceof DatabaseBusy || error instanceof MigrationsPending || error instanceof LegacySchema) {
    console.error(`soquy: ${error.message}`);
    process.exit(2);
  }
  console.error(error);
  process.exit(1);
});

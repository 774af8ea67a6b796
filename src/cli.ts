import { createWriteStream, readFileSync } from "node:fs";
import { Signer } from "./public/signing.js";
import { existsSync } from "node:fs";
import path from "node:path";
import { BackupError, backupTo, restoreFrom } from "./db/backup.js";
import { ConfigError, configTable, readConfig } from "./config.js";
import { parseArgs } from "node:util";
import { writeStatementPdf } from "../reports/pdf.js";
import { bankCommands, bankOptions, bankUsage } from "./bankcli.js";
import { seedDemo } from "../seeds/demo.js";
import { createToken, openSoquy, optionsFromEnv, type Soquy } from "./context.js";
import { DatabaseBusy, migrate, MigrationsPending, openDatabase } from "./db/connect.js";
import { GrantError, grantServicePrivileges, holdsOwnerRights } from "./db/privileges.js";
import { LegacySchema, NothingToUpgrade, upgradeLegacy } from "./db/legacy.js";
import { LedgerError } from "./ledger/codes.js";
import { campaignKinds, roles, type Role } from "./ledger/types.js";
import { receivingWindow } from "./ledger/earmarks.js";
import { campaignCreate } from "./http/schemas.js";
import { randomUUID } from "node:crypto";
import { prepareStatement } from "./statements/builder.js";
import { checkStatement, type CheckpointFile } from "./public/check.js";
import { importPublicKey, publicKeyInfo } from "./public/signing.js";
import { UserStore } from "./db/users.js";
import { generatePassword, hashPassword } from "./web/passwords.js";

// npm run --silent cli -- <command>. Same DATABASE_URL / DATA_DIR rules as
// the server; the schema is brought up to date before anything else when
// DATABASE_URL's role owns it. migrate and db grant connect as the owner
// (DATABASE_OWNER_URL, by default DATABASE_URL).
const usage = `usage: npm run --silent cli -- <command>
  migrate                                             bring the schema up to date (as DATABASE_OWNER_URL)
  db upgrade-legacy                                   a database whose schema stopped part-way along the migrations the
                                                      SQL baseline replaced: run the rest of them, then migrate
  db grant --role <name>                              give a PostgreSQL role exactly the service's privileges
                                                      (as DATABASE_OWNER_URL; run again after each migrate)
  seed                                                load the demo data into an empty database
  committee create --code <code> --name "<name>"      create a committee (prints its code)
  committee list
  campaign create --committee <code> --code <code> --name "<name>" --kind <kind> --starts-on <YYYY-MM-DD>
      [--ends-on <YYYY-MM-DD>] [--target <đồng>]      set up a campaign and its six accounts (prints its code and
                                                      its receiving window); kinds: ${campaignKinds.join(", ")}
  token create --committee <code> --role <role> --name "<name>"   prints only the new token
  verify [--committee <code>] [--checkpoints <dir|file>]
                                                      walk the hash chain(s); exit 1 when broken. With --checkpoints,
                                                      also against checkpoint copies exported earlier, and each must
                                                      still be in the database
  statement --campaign <code> --format pdf|csv --out <file> [--committee <code>] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--audience auditor|public] [--at <publication>]
                                                      write a campaign statement (public: verified entries only); prints its digest
  checkpoint create --committee <code>                sign a checkpoint now (prints it as JSON)
  checkpoint export --committee <code> --out <dir>    copy every signed checkpoint to a file of its own (keep the
                                                      folder outside the database's reach; never rewrites a file)
  user create --committee <code> --role <role> --name "<name>" --login <login>
                                                      a workspace account; prints its generated password once
  backup --out <file>                                 every table's rows to a new gzip'd file (restores across
                                                      PostgreSQL versions: embedded PGlite to a server and back)
  restore --file <file>                               into an empty database of the same version, then verify
                                                      every committee's ledger; exit 1 when one is broken
  key create --out <file>                             a new Ed25519 checkpoint key (mode 600; never overwrites):
                                                      give the same file to every process (SOQUY_SIGNING_KEY_FILE)
  config                                              the environment variables soquy reads (a Markdown table),
                                                      then checks the current environment against them
  check-statement <statement.csv> <checkpoint.json> --key <key.json|key.pem>
                                                      offline, no database: does the statement match the signed
                                                      checkpoint? exit 0 yes, 1 no
${bankUsage}
roles: ${roles.join(", ")}`;

type Opts = Record<string, string | boolean | undefined>;

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      code: { type: "string" }, name: { type: "string" }, committee: { type: "string" }, role: { type: "string" },
      campaign: { type: "string" }, format: { type: "string" }, out: { type: "string" }, checkpoints: { type: "string" }, from: { type: "string" },
      to: { type: "string" }, audience: { type: "string" }, at: { type: "string" }, key: { type: "string" }, login: { type: "string" }, ...bankOptions,
      kind: { type: "string" }, "starts-on": { type: "string" }, "ends-on": { type: "string" }, target: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (positionals[0] === "check-statement") return checkStatementCommand(positionals.slice(1), values);
  if (positionals.join(" ") === "key create") {
    const file = path.resolve(required(values, "out"));
    if (existsSync(file)) throw new LedgerError("validation_failed", `${file} exists: a key is never overwritten`, "out");
    console.log(JSON.stringify(Signer.fromFile(file).info, null, 2));
    return 0;
  }
  if (positionals[0] === "config") {
    console.log(configTable());
    readConfig();
    return 0;
  }
  const command = positionals.join(" ");
  if (values.help || !command) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  if (command === "migrate") return migrateCommand();
  if (command === "db upgrade-legacy") return migrateCommand({ legacy: true });
  if (command === "db grant") return grantCommand(required(values, "role"));
  const commands: Record<string, (s: Soquy, o: Opts) => Promise<number>> = {
    seed: async (s) => {
      const r = await seedDemo(s);
      if (!r.created) {
        console.log("the database already holds committees; demo data not loaded");
        return 0;
      }
      for (const t of r.tokens) console.log(`${t.committee}\t${t.role}\t${t.token}`);
      return 0;
    },
    "committee create": async (s, o) => {
      const c = await s.store.createCommittee(required(o, "code"), required(o, "name"));
      console.log(c.code);
      return 0;
    },
    "committee list": async (s) => {
      for (const c of await s.store.listCommittees()) console.log(`${c.code}\t${c.name}`);
      return 0;
    },
    "token create": async (s, o) => {
      const role = required(o, "role");
      if (!(roles as readonly string[]).includes(role)) throw new LedgerError("validation_failed", `--role must be one of ${roles.join(", ")}`, "role");
      const committee = await s.store.findCommittee(required(o, "committee"));
      if (!committee) throw new LedgerError("committee_not_found", `no committee with code ${o.committee}`, "committee");
      console.log(await createToken(s, committee.id, role as Role, required(o, "name")));
      return 0;
    },
    verify: async (s, o) => {
      const committees = o.committee ? [await s.store.findCommittee(String(o.committee))] : await s.store.listCommittees();
      let broken = 0;
      for (const c of committees) {
        if (!c) throw new LedgerError("committee_not_found", `no committee with code ${o.committee}`, "committee");
        const line = progressLine(c.code, (await s.statements.head(c.id)).seq);
        const r = await s.verify(c.id, { checkpoints: o.checkpoints === undefined ? undefined : path.resolve(String(o.checkpoints)), progress: line?.show });
        line?.clear();
        if (r.ok) {
          console.log(`${c.code}: ${r.checked} entries checked, ok (head ${r.headSeq} ${r.headHash})`);
        } else {
          broken++;
          const where = r.firstBrokenSeq === null ? "broken" : `broken at sequence ${r.firstBrokenSeq}`;
          console.log(`${c.code}: ${r.checked} entries checked, ${where}: ${r.reason}`);
        }
      }
      return broken === 0 ? 0 : 1;
    },
  };
  commands.statement = statement;
  commands["campaign create"] = campaignCreateCommand;
  commands["user create"] = async (s, o) => {
    const role = required(o, "role");
    if (!(roles as readonly string[]).includes(role)) throw new LedgerError("validation_failed", `--role must be one of ${roles.join(", ")}`, "role");
    const committee = await s.store.findCommittee(required(o, "committee"));
    if (!committee) throw new LedgerError("committee_not_found", `no committee with code ${o.committee}`, "committee");
    const login = required(o, "login").toLowerCase();
    if (!/^[a-z0-9][a-z0-9._-]{2,63}$/.test(login)) throw new LedgerError("validation_failed", "--login is 3 to 64 lower-case letters, digits, . _ -", "login");
    const users = new UserStore(s.db.knex);
    if (await users.byLogin(login)) throw new LedgerError("validation_failed", `the login ${login} is taken`, "login");
    const password = generatePassword();
    await users.create(committee.id, { login, name: required(o, "name"), role: role as Role, passwordHash: await hashPassword(password) });
    console.log(password);
    return 0;
  };
  commands.backup = async (s, o) => {
    const r = await backupTo(s.db.knex, path.resolve(required(o, "out")));
    console.log(`backup: ${r.rows} rows of ${r.tables} tables in ${r.file}`);
    console.log(`the signing key is not in it (a secret): keep a copy of ${readConfig().signingKeyFile || path.join(path.resolve(readConfig().dataDir), "signing-key.pem")} apart`);
    return 0;
  };
  commands.restore = async (s, o) => {
    const r = await restoreFrom(s.db.knex, path.resolve(required(o, "file")));
    console.log(`restored ${r.rows} rows of ${r.tables} tables${r.kept.length ? ` (${r.kept.join(", ")} already as in the backup)` : ""}`);
    let broken = 0;
    for (const c of await s.store.listCommittees()) {
      const v = await s.verify(c.id);
      console.log(`${c.code}: ${v.checked} entries checked, ${v.ok ? "ok" : `BROKEN: ${v.reason}`}`);
      if (!v.ok) broken++;
    }
    return broken === 0 ? 0 : 1;
  };
  commands["checkpoint export"] = async (s, o) => {
    const committee = await s.store.findCommittee(required(o, "committee"));
    if (!committee) throw new LedgerError("committee_not_found", `no committee with code ${o.committee}`, "committee");
    const dir = path.resolve(required(o, "out"));
    const r = await s.checkpoints().exportTo(committee, dir);
    console.log(`${committee.code}: ${r.written} checkpoints written to ${dir}, ${r.present} already there`);
    return 0;
  };
  commands["checkpoint create"] = async (s, o) => {
    const committee = await s.store.findCommittee(required(o, "committee"));
    if (!committee) throw new LedgerError("committee_not_found", `no committee with code ${o.committee}`, "committee");
    const c = await s.checkpoints().create(committee, "on_demand", null);
    console.log(JSON.stringify({ ...c, key: s.signer().info }, null, 2));
    return 0;
  };
  Object.assign(commands, bankCommands);
  const handler = commands[command];
  if (!handler) {
    console.error(`unknown command: ${command}\n${usage}`);
    return 2;
  }
  // Arguments that are wrong whatever the books hold are refused before the database is opened (seconds on PGlite).
  const argumentsFirst: Record<string, (o: Opts) => unknown> = { "campaign create": campaignArgs };
  argumentsFirst[command]?.(values);
  const s = await openSoquy(optionsFromEnv("cli"));
  try {
    return await handler(s, values);
  } finally {
    await s.close();
  }
}

/**
 * As the schema's owner: DATABASE_OWNER_URL, or DATABASE_URL when it is the owner, or the embedded database. With
 * `legacy`, first the rest of the old chain of migrations (migrations/legacy/) on a database it left part-way.
 */
async function migrateCommand(opts: { legacy?: boolean } = {}): Promise<number> {
  const config = readConfig();
  const db = await openDatabase({ databaseUrl: config.databaseOwnerUrl, dataDir: config.dataDir, holder: "cli" });
  try {
    if (db.kind === "postgres" && !(await holdsOwnerRights(db.knex))) {
      const [{ me }] = (await db.knex.raw("select current_user as me")).rows;
      throw new GrantError(`${config.databaseOwnerUrl === config.databaseUrl ? "DATABASE_URL" : "DATABASE_OWNER_URL"} connects as ${me}, who does not own the schema: set DATABASE_OWNER_URL to the owner's connection`);
    }
    const legacy = opts.legacy ? await upgradeLegacy(db.knex) : [];
    const applied = [...legacy, ...(await migrate(db.knex))];
    console.log(applied.length ? `applied ${applied.join(", ")}; schema is up to date` : "schema is up to date");
    return 0;
  } finally {
    await db.close();
  }
}

async function grantCommand(role: string): Promise<number> {
  const url = readConfig().databaseOwnerUrl;
  if (!url) throw new GrantError("db grant is for a PostgreSQL server (set DATABASE_OWNER_URL): the embedded PGlite has one user, a superuser");
  let db;
  try {
    db = await openDatabase({ databaseUrl: url, poolMax: 1 });
  } catch (error) {
    const e = error as { message?: string; code?: string };
    throw new GrantError(`cannot connect with DATABASE_OWNER_URL: ${e.message || e.code || String(error)}`);
  }
  try {
    await grantServicePrivileges(db.knex, role);
    console.log(`${role} holds the service's privileges on ${db.where}`);
    return 0;
  } finally {
    await db.close();
  }
}

// Offline statements: the same builder and renderers as the API.
async function statement(s: Soquy, o: Opts): Promise<number> {
  const format = required(o, "format");
  if (format !== "pdf" && format !== "csv") throw new LedgerError("validation_failed", "--format is pdf or csv", "format");
  const audience = (o.audience as string | undefined) ?? "auditor";
  if (audience !== "auditor" && audience !== "public") throw new LedgerError("validation_failed", "--audience is auditor or public", "audience");
  const campaignCode = required(o, "campaign");
  const committees = o.committee ? [await s.store.findCommittee(String(o.committee))] : await s.store.listCommittees();
  const holders = [];
  for (const c of committees) if (c && (await s.store.findCampaign(c.id, campaignCode))) holders.push(c);
  if (holders.length !== 1) {
    throw new LedgerError(holders.length === 0 ? "campaign_not_found" : "validation_failed",
      holders.length === 0 ? `no campaign ${campaignCode}` : `several committees have a campaign ${campaignCode}: name one with --committee`, "campaign");
  }
  const committee = holders[0]!;
  const campaign = await s.ledger.campaign(committee.id, campaignCode);
  let publication;
  if (o.at !== undefined) {
    const p = await s.publicQueries.publication(committee.id, { vseq: Number(o.at) });
    if (!/^\d+$/.test(String(o.at)) || !p || p.headHash === null) throw new LedgerError("not_found", `no publication ${o.at}`, "at");
    publication = { vseq: p.vseq, headSeq: p.headSeq, headHash: p.headHash };
  }
  const st = await prepareStatement(s.statements, committee, campaign, {
    from: o.from as string | undefined, to: o.to as string | undefined, audience, publication,
  });
  try {
    const out = createWriteStream(required(o, "out"));
    if (format === "csv") {
      await st.writeCsv(out);
    } else {
      await writeStatementPdf(st, out); // ends the file once every page is written
    }
  } finally {
    st.dispose();
  }
  console.log(`${st.digest}  ${o.out} (${st.totals.lines} entries, position ${st.header.position.seq})`);
  return 0;
}

const CAMPAIGN_OPTIONS: Record<string, string> = { startsOn: "starts-on", endsOn: "ends-on", targetDong: "target" };

/** The campaign a `campaign create` asks for, read with the API's own schema; a refusal names the option (--starts-on). */
function campaignArgs(o: Opts) {
  const option = CAMPAIGN_OPTIONS;
  required(o, "committee");
  const kind = required(o, "kind");
  if (!(campaignKinds as readonly string[]).includes(kind)) throw new LedgerError("validation_failed", `--kind must be one of ${campaignKinds.join(", ")}`, "kind");
  const target = typeof o.target === "string" ? o.target.trim().replace(/[.\s]/g, "") : undefined;
  const parsed = campaignCreate.safeParse({
    code: required(o, "code"), name: required(o, "name"), kind, startsOn: required(o, "starts-on"),
    ...(typeof o["ends-on"] === "string" ? { endsOn: o["ends-on"].trim() } : {}), ...(target !== undefined ? { targetDong: target } : {}),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const field = String(issue.path[0] ?? "");
    throw new LedgerError("validation_failed", `--${option[field] ?? field}: ${issue.message}`, field);
  }
  return parsed;
}

/** The API's own schema and ledger call; a refusal names the option (--starts-on), not the API's field. */
async function campaignCreateCommand(s: Soquy, o: Opts): Promise<number> {
  const option = CAMPAIGN_OPTIONS;
  const parsed = campaignArgs(o);
  const committee = await s.store.findCommittee(required(o, "committee"));
  if (!committee) throw new LedgerError("committee_not_found", `no committee with code ${o.committee}`, "committee");
  try {
    await s.ledger.createCampaign({ committeeId: committee.id }, parsed.data, { idempotencyKey: `cli-${randomUUID()}`, requestHash: randomUUID().replace(/-/g, "").padEnd(64, "0") });
  } catch (error) {
    if (error instanceof LedgerError && error.field && option[error.field]) throw new LedgerError(error.code, `--${option[error.field]}: ${error.message}`, error.field);
    throw error;
  }
  const c = await s.ledger.campaign(committee.id, parsed.data.code);
  const w = receivingWindow(c);
  console.log(`${c.code}\treceives from ${w.opens} ${w.closes ? `to ${w.closes}` : "with no closing date"}`);
  return 0;
}

/** Standalone: reads two files (and a key), never a database. */
function checkStatementCommand(files: string[], o: Opts): number {
  if (files.length !== 2) {
    console.error("usage: check-statement <statement.csv> <checkpoint.json> --key <key.json|key.pem>");
    return 2;
  }
  let checkpoint: CheckpointFile;
  let key;
  try {
    // The key must come from somewhere else than the checkpoint: a key carried inside the file
    // would let whoever forged the file vouch for it.
    if (!o.key) throw new Error("--key is required: the committee's public key from /.well-known/soquy-key, kept apart from the checkpoint");
    checkpoint = JSON.parse(readFileSync(files[1]!, "utf8"));
    const keyText = readFileSync(String(o.key), "utf8");
    key = importPublicKey(keyText.trim().startsWith("{") ? (JSON.parse(keyText) as { publicKey: string }).publicKey : keyText);
  } catch (error) {
    console.error(`check-statement: ${(error as Error).message}`);
    return 2;
  }
  const info = publicKeyInfo(key);
  const r = checkStatement(readFileSync(files[0]!), checkpoint, key, info.keyId);
  for (const line of r.passed) console.log(`ok    ${line}`);
  for (const line of r.problems) console.log(`FAIL  ${line}`);
  console.log(r.ok ? `MATCH: ${files[0]} is the statement of ${r.campaign} signed in this checkpoint` : `NO MATCH (${r.problems.length} problems)`);
  return r.ok ? 0 : 1;
}

function required(o: Opts, name: string): string {
  const v = o[name];
  if (typeof v !== "string" || v.trim() === "") throw new LedgerError("validation_failed", `--${name} is required`, name);
  return v.trim();
}

run(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error) => {
    if (error instanceof DatabaseBusy) {
      console.error(`soquy: ${error.message}`);
      process.exit(3);
    }
    if (error instanceof ConfigError || error instanceof BackupError || error instanceof GrantError || error instanceof MigrationsPending
      || error instanceof LegacySchema || error instanceof NothingToUpgrade) {
      console.error(`soquy: ${error.message}`);
      process.exit(2);
    }
    if (error instanceof LedgerError) {
      console.error(`soquy: ${error.code}: ${error.message}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);

/**
 * A line on a terminal saying how far verify has come (on stderr, only when it is a terminal: a pipe or a file
 * gets the report alone), rewritten in place at most a few times a second and cleared before the report.
 */
function progressLine(code: string, head: number): { show: (seq: number) => void; clear: () => void } | null {
  if (!process.stderr.isTTY || head === 0) return null;
  let last = 0;
  const started = performance.now();
  return {
    show: (seq) => {
      const now = performance.now();
      if (now - last < 250) return;
      last = now;
      const secs = (now - started) / 1000;
      process.stderr.write(`\r\x1b[K${code}: verifying ${seq.toLocaleString("en-US")} / ${head.toLocaleString("en-US")} entries ` +
        `(${Math.floor((seq / head) * 100)}%, ${secs.toFixed(0)} s)`);
    },
    clear: () => {
      if (last > 0) process.stderr.write("\r\x1b[K");
    },
  };
}

import { z } from "zod";

// Every environment variable soquy reads, parsed in one place when it starts. A bad value stops the
// start with one line naming the variable, the value and what is allowed: a limit typed as "abc" must
// never turn into NaN somewhere deep in a request. The README's configuration table is generated from
// this list (`npm run --silent cli -- config`), and a test holds the two together.

const blankIsUnset = (v: unknown) => (v === "" ? undefined : v);

function wholeNumber(min: number, max: number) {
  return z.preprocess(blankIsUnset, z.string().regex(/^\d+$/, `a whole number from ${min} to ${max}`)
    .transform(Number).refine((n) => n >= min && n <= max, `a whole number from ${min} to ${max}`).optional());
}

function text(pattern: RegExp, allowed: string) {
  return z.preprocess(blankIsUnset, z.string().regex(pattern, allowed).optional());
}

const postgresUrl = text(/^postgres(ql)?:\/\/\S+$/, "a postgres:// or postgresql:// URL");
const httpUrl = text(/^https?:\/\/[^\s/]+(\/\S*)?$/, "an http:// or https:// address");

interface Variable {
  schema: z.ZodType;
  default: string;
  meaning: string;
}

/** The variables, in the order the README lists them. */
export const variables = {
  DATABASE_URL: { schema: postgresUrl, default: "unset: PGlite", meaning: "use this PostgreSQL (15+) instead of the embedded PGlite; in production a role of the service's own, not the owner (`cli db grant`)" },
  DATABASE_OWNER_URL: { schema: postgresUrl, default: "`DATABASE_URL`", meaning: "the schema owner's connection, used only by `cli migrate` and `cli db grant`" },
  DATABASE_READ_URL: {
    schema: postgresUrl, default: "unset: `DATABASE_URL`",
    meaning: "a standby (or several hosts, libpq-style) that statements and public totals are read from, each with the ledger position it reflects; only with `DATABASE_URL`",
  },
  DATA_DIR: { schema: text(/^.+$/, "a folder"), default: "`./data`", meaning: "PGlite's data folder, and where demo tokens are written" },
  PORT: { schema: wholeNumber(1, 65535), default: "`3000`", meaning: "the port the server listens on" },
  HOST: { schema: text(/^[\w.:-]+$/, "a host name or address"), default: "`127.0.0.1`", meaning: "the address the server listens on" },
  NODE_ENV: { schema: text(/^\w+$/, "a word such as production"), default: "unset", meaning: "`production` never loads the demo data" },
  SOQUY_DEMO: {
    schema: z.preprocess(blankIsUnset, z.enum(["0", "1"], "0 or 1").optional()), default: "unset",
    meaning: "`0`: no demo data even on the embedded default; `1`: also load it into an empty server database (never with `NODE_ENV=production`)",
  },
  LOG_LEVEL: {
    schema: z.preprocess(blankIsUnset, z.enum(["fatal", "error", "warn", "info", "debug", "trace", "silent"], "one of fatal, error, warn, info, debug, trace, silent").optional()),
    default: "`info`", meaning: "pino level",
  },
  RATE_LIMIT_PER_MINUTE: { schema: wholeNumber(0, 1_000_000), default: "`120`", meaning: "requests a minute per client address without a token (`0`: off)" },
  SELF_CHECK_PER_MINUTE: { schema: wholeNumber(0, 100_000), default: "`30`", meaning: "donor self-check requests a minute per address (burst 15), with or without a token (`0`: off)" },
  RATE_LIMIT_STORE: {
    schema: z.preprocess(blankIsUnset, z.enum(["database", "memory"], "database or memory").optional()), default: "`database` with `DATABASE_URL`, else `memory`",
    meaning: "where the limits above are counted: `database` (in PostgreSQL, shared by every process on it) or `memory` (each process its own, the embedded default's)",
  },
  TRUST_PROXY: {
    schema: text(/^(\d+|[\w.:/, -]+)$/, "a number of hops or a comma-separated list of addresses"), default: "unset",
    meaning: "behind a TLS proxy: hops (`1`) or addresses to trust for `X-Forwarded-*` (Secure cookies, client address)",
  },
  PUBLIC_URL: { schema: httpUrl, default: "the request's own", meaning: "the service's public address, printed in receipts' QR codes" },
  UPLOAD_IDLE_SECONDS: { schema: wholeNumber(1, 3600), default: "`30`", meaning: "a statement upload that sends nothing for this long is ended (seconds)" },
  IMPORT_JOB_LEASE_SECONDS: {
    schema: wholeNumber(2, 3600), default: "`30`",
    meaning: "a bank import whose process has not reported for this long is marked failed (`import_interrupted`) by any process; nothing of it was written (seconds)",
  },
  PUBLIC_CACHE_CHECK_MS: { schema: wholeNumber(0, 60_000), default: "`1000`", meaning: "how long a public answer is served without asking the database whether anything public changed (ms)" },
  PUBLIC_MAX_AGE: { schema: wholeNumber(0, 86_400), default: "`5`", meaning: "`Cache-Control: max-age` of public answers, for proxies and browsers (seconds)" },
  PUBLIC_STALE_SECONDS: { schema: wholeNumber(0, 86_400), default: "`60`", meaning: "`stale-while-revalidate` of public answers (seconds)" },
  PUBLIC_STATEMENTS_MB: { schema: wholeNumber(1, 1_048_576), default: "`2048`", meaning: "disk for the public statements (CSV and PDF cut at a publication) each process keeps as files to serve again (MB)" },
  PUBLIC_CACHE_MB: { schema: wholeNumber(0, 4096), default: "`64`", meaning: "memory for public answers kept in each process (MB)" },
  SOQUY_SIGNING_KEY_FILE: { schema: text(/^.+$/, "a file"), default: "`DATA_DIR/signing-key.pem`", meaning: "the Ed25519 key that signs checkpoints (made on first use outside production, mode 600; in production the operator's file, `cli key create`)" },
  SOQUY_SIGNING_KEYS_DIR: {
    schema: text(/^.+$/, "a folder"), default: "unset",
    meaning: "a folder of committees' own checkpoint keys, `<committee code>.pem`; a committee without one signs with the service's key",
  },
  SOQUY_RETIRED_KEYS: {
    schema: text(/^([a-z0-9-]+:)?[A-Za-z0-9+/=]+(\s*,\s*([a-z0-9-]+:)?[A-Za-z0-9+/=]+)*$/, "raw base64 public keys, each optionally `<committee code>:` first, comma-separated"), default: "unset",
    meaning: "earlier public keys (raw base64, comma-separated; `<committee code>:<key>` for one committee's) whose checkpoints `verify` still accepts; a checkpoint by any other key fails",
  },
  SOQUY_IMPORT_TIMING: { schema: z.preprocess(blankIsUnset, z.enum(["0", "1"], "0 or 1").optional()), default: "unset", meaning: "`1`: a bank import prints each phase's time and memory" },
  TEST_DATABASE_URL: { schema: postgresUrl, default: "unset: in-memory PGlite", meaning: "`npm test` runs against this PostgreSQL database" },
  TEST_DATABASE_OWNER_URL: { schema: postgresUrl, default: "`TEST_DATABASE_URL`", meaning: "`npm test` migrates as this owner and grants `TEST_DATABASE_URL`'s role the service's privileges" },
} satisfies Record<string, Variable>;

export type VariableName = keyof typeof variables;

export interface Config {
  databaseUrl: string | undefined;
  /** The schema owner's connection for `cli migrate` and `cli db grant`. */
  databaseOwnerUrl: string | undefined;
  /** Where statements and public totals are read from (a standby); undefined: DATABASE_URL. */
  databaseReadUrl: string | undefined;
  dataDir: string;
  port: number;
  host: string;
  production: boolean;
  /** Load the demo data into an empty database: on the embedded default unless told not to, on a server only when asked. */
  demo: boolean;
  logLevel: string;
  rateLimitPerMinute: number;
  selfCheckPerMinute: number;
  /** Where rate limits are counted: in PostgreSQL (shared by every process) or in this process. */
  rateLimitStore: "database" | "memory";
  trustProxy: string | number | undefined;
  publicUrl: string | undefined;
  signingKeyFile: string | undefined;
  signingKeysDir: string | undefined;
  retiredKeys: string[];
  uploadIdleMs: number;
  /** A running import job not renewed for this long belongs to a process that is gone. */
  importJobLeaseMs: number;
  publicCache: { checkMs: number; maxAgeSeconds: number; staleSeconds: number; maxBytes: number };
  publicStatementsBytes: number;
  importTiming: boolean;
}

export class ConfigError extends Error {
  override name = "ConfigError";
}

type Raw = { [K in VariableName]: any };

function parseAll(env: NodeJS.ProcessEnv): Raw {
  const raw = {} as Raw;
  for (const [name, v] of Object.entries(variables) as [VariableName, Variable][]) {
    const r = v.schema.safeParse(env[name]);
    if (!r.success) {
      const shown = JSON.stringify(env[name]);
      throw new ConfigError(`${name}=${shown} is not allowed: ${r.error.issues[0]?.message ?? "see the README"}`);
    }
    raw[name] = r.data;
  }
  return raw;
}

/** The configuration from the environment; a ConfigError names the first bad variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const r = parseAll(env);
  const production = r.NODE_ENV === "production";
  const embedded = r.DATABASE_URL === undefined;
  if (embedded && r.DATABASE_READ_URL !== undefined) {
    throw new ConfigError(`DATABASE_READ_URL=${JSON.stringify(env.DATABASE_READ_URL)} is not allowed without DATABASE_URL: a standby is read beside a PostgreSQL primary, never beside the embedded database`);
  }
  return {
    databaseUrl: r.DATABASE_URL,
    databaseOwnerUrl: r.DATABASE_OWNER_URL ?? r.DATABASE_URL,
    databaseReadUrl: r.DATABASE_READ_URL,
    dataDir: r.DATA_DIR ?? "data",
    port: r.PORT ?? 3000,
    host: r.HOST ?? "127.0.0.1",
    production,
    demo: !production && (r.SOQUY_DEMO === "1" || (embedded && r.SOQUY_DEMO !== "0")),
    logLevel: r.LOG_LEVEL ?? "info",
    rateLimitPerMinute: r.RATE_LIMIT_PER_MINUTE ?? 120,
    selfCheckPerMinute: r.SELF_CHECK_PER_MINUTE ?? 30,
    rateLimitStore: r.RATE_LIMIT_STORE ?? (embedded ? "memory" : "database"),
    trustProxy: r.TRUST_PROXY === undefined ? undefined : /^\d+$/.test(r.TRUST_PROXY) ? Number(r.TRUST_PROXY) : r.TRUST_PROXY,
    publicUrl: r.PUBLIC_URL?.replace(/\/$/, ""),
    signingKeyFile: r.SOQUY_SIGNING_KEY_FILE,
    signingKeysDir: r.SOQUY_SIGNING_KEYS_DIR,
    uploadIdleMs: (r.UPLOAD_IDLE_SECONDS ?? 30) * 1000,
    importJobLeaseMs: (r.IMPORT_JOB_LEASE_SECONDS ?? 30) * 1000,
    publicCache: {
      checkMs: r.PUBLIC_CACHE_CHECK_MS ?? 1000, maxAgeSeconds: r.PUBLIC_MAX_AGE ?? 5, staleSeconds: r.PUBLIC_STALE_SECONDS ?? 60,
      maxBytes: (r.PUBLIC_CACHE_MB ?? 64) * 1024 * 1024,
    },
    publicStatementsBytes: (r.PUBLIC_STATEMENTS_MB ?? 2048) * 1024 * 1024,
    retiredKeys: (r.SOQUY_RETIRED_KEYS ?? "").split(",").map((k: string) => k.trim()).filter(Boolean),
    importTiming: r.SOQUY_IMPORT_TIMING === "1",
  };
}

/** The README's configuration table. */
export function configTable(): string {
  const rows = (Object.entries(variables) as [VariableName, Variable][]).map(([name, v]) => `| \`${name}\` | ${v.meaning} | ${v.default} |`);
  return ["| variable | meaning | default |", "|---|---|---|", ...rows].join("\n");
}

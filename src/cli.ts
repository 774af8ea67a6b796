import { parseArgs } from "node:util";
import { seedDemo } from "../seeds/demo.js";
import { createToken, openSoquy, optionsFromEnv, type Soquy } from "./context.js";
import { DatabaseBusy } from "./db/connect.js";
import { LedgerError } from "./ledger/codes.js";
import { roles, type Role } from "./ledger/types.js";
import { verifyChain } from "./ledger/verify.js";

// npm run --silent cli -- <command>. Same DATABASE_URL / DATA_DIR rules as
// the server; the schema is brought up to date before anything else.
const usage = `usage: npm run --silent cli -- <command>
  migrate                                             bring the schema up to date
  seed                                                load the demo data into an empty database
  committee create --code <code> --name "<name>"      create a committee (prints its code)
  committee list
  token create --committee <code> --role <role> --name "<name>"   prints only the new token
  verify [--committee <code>]                         walk the hash chain(s); exit 1 when broken
roles: ${roles.join(", ")}`;

type Opts = Record<string, string | boolean | undefined>;

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      code: { type: "string" }, name: { type: "string" }, committee: { type: "string" }, role: { type: "string" },
      help: { type: "boolean", short: "h" },
    },
  });
  const command = positionals.join(" ");
  if (values.help || !command) {
    console.log(usage);
    return values.help ? 0 : 2;
  }
  const commands: Record<string, (s: Soquy, o: Opts) => Promise<number>> = {
    migrate: async () => (console.log("schema is up to date"), 0),
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
        const r = await verifyChain(s.store, c.id);
        if (r.ok) {
          console.log(`${c.code}: ${r.checked} entries checked, ok (head ${r.headSeq} ${r.headHash})`);
        } else {
          broken++;
          console.log(`${c.code}: ${r.checked} entries checked, broken at sequence ${r.firstBrokenSeq}: ${r.reason}`);
        }
      }
      return broken === 0 ? 0 : 1;
    },
  };
  const handler = commands[command];
  if (!handler) {
    console.error(`unknown command: ${command}\n${usage}`);
    return 2;
  }
  const s = await openSoquy(optionsFromEnv("cli"));
  try {
    return await handler(s, values);
  } finally {
    await s.close();
  }
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
    if (error instanceof LedgerError) {
      console.error(`soquy: ${error.code}: ${error.message}`);
      process.exit(2);
    }
    console.error(error);
    process.exit(1);
  },
);

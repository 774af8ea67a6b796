import { createWriteStream } from "node:fs";
import { parseArgs } from "node:util";
import { renderStatementPdf } from "../reports/pdf.js";
import { seedDemo } from "../seeds/demo.js";
import { createToken, openSoquy, optionsFromEnv, type Soquy } from "./context.js";
import { DatabaseBusy } from "./db/connect.js";
import { LedgerError } from "./ledger/codes.js";
import { roles, type Role } from "./ledger/types.js";
import { verifyChain } from "./ledger/verify.js";
import { prepareStatement } from "./statements/builder.js";

// npm run --silent cli -- <command>. Same DATABASE_URL / DATA_DIR rules as
// the server; the schema is brought up to date before anything else.
const usage = `usage: npm run --silent cli -- <command>
  migrate                                             bring the schema up to date
  seed                                                load the demo data into an empty database
  committee create --code <code> --name "<name>"      create a committee (prints its code)
  committee list
  token create --committee <code> --role <role> --name "<name>"   prints only the new token
  verify [--committee <code>]                         walk the hash chain(s); exit 1 when broken
  statement --campaign <code> --format pdf|csv --out <file> [--committee <code>] [--from YYYY-MM-DD] [--to YYYY-MM-DD] [--audience auditor|public]
                                                      write a campaign statement; prints its digest
roles: ${roles.join(", ")}`;

type Opts = Record<string, string | boolean | undefined>;

async function run(argv: string[]): Promise<number> {
  const { positionals, values } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      code: { type: "string" }, name: { type: "string" }, committee: { type: "string" }, role: { type: "string" },
      campaign: { type: "string" }, format: { type: "string" }, out: { type: "string" }, from: { type: "string" },
      to: { type: "string" }, audience: { type: "string" },
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
          const where = r.firstBrokenSeq === null ? "broken" : `broken at sequence ${r.firstBrokenSeq}`;
          console.log(`${c.code}: ${r.checked} entries checked, ${where}: ${r.reason}`);
        }
      }
      return broken === 0 ? 0 : 1;
    },
  };
  commands.statement = statement;
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
  const st = await prepareStatement(s.statements, committee, campaign, {
    from: o.from as string | undefined, to: o.to as string | undefined, audience,
  });
  try {
    const out = createWriteStream(required(o, "out"));
    if (format === "csv") {
      await st.writeCsv(out);
    } else {
      await renderStatementPdf({
        header: st.header, totals: st.totals, summary: st.summary, digest: st.digest, lines: st.lines(), lineCount: st.totals.lines,
      }, out); // ends the file once every page is written
    }
  } finally {
    st.dispose();
  }
  console.log(`${st.digest}  ${o.out} (${st.totals.lines} entries, position ${st.header.position.seq})`);
  return 0;
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

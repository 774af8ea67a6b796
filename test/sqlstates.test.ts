import { readdirSync } from "node:fs";
import { expect } from "chai";
import { readSqlFile, splitStatements, sqlDirectory } from "../src/db/sqlfiles.js";
import { sqlstateOf, sqlstates, storeError } from "../src/db/sqlstates.js";
import { resultCodes } from "../src/ledger/codes.js";

// The SQLSTATEs the rule files raise, read from the files themselves, against the one table the service answers
// them by (src/db/sqlstates.ts), and against each file's own header.

const files = readdirSync(sqlDirectory).filter((f) => f.endsWith(".sql")).sort();

/** The file's text without its comments (string literals kept whole, so a "--" inside one stays). */
function code(text: string): string {
  return text.replace(/'(?:[^']|'')*'|--[^\n]*/g, (m) => (m.startsWith("--") ? "" : m));
}

/** The SQLSTATEs a file's code raises: every five-character literal of digits and capitals ('SQ005', '23503'). */
function raised(text: string): Set<string> {
  return new Set([...code(text).matchAll(/'([0-9A-Z]{5})'/g)].map((m) => m[1]!));
}

/** The SQLSTATEs a file's header lists ("-- SQLSTATEs:" then "--   SQ005  …" lines). */
function listed(text: string): Set<string> {
  const head = text.slice(0, text.search(/^[^-\n]/m));
  const after = head.slice(head.indexOf("-- SQLSTATEs:"));
  return new Set([...after.matchAll(/^--   ([0-9A-Z]{5})  /gm)].map((m) => m[1]!));
}

describe("SQLSTATEs: the rule files and the one table", () => {
  const inSql = new Set(files.flatMap((f) => [...raised(readSqlFile(f))]));
  const ruleKeys = Object.entries(sqlstates).filter(([, v]) => v.source === "rule").map(([k]) => k);

  it("every SQLSTATE a rule file raises is in the table, and every rule SQLSTATE of the table is raised by a file", () => {
    expect(inSql.size).to.be.greaterThan(15);
    const bare = new Set(ruleKeys.filter((k) => !k.includes(" ")));
    expect([...inSql].filter((s) => !bare.has(s)).sort(), "raised in sql/, missing from the table").to.deep.equal([]);
    expect([...bare].filter((s) => !inSql.has(s)).sort(), "in the table, raised by no file").to.deep.equal([]);
    for (let n = 1; n <= 16; n++) expect(inSql.has(`SQ${String(n).padStart(3, "0")}`)).to.equal(true);
  });

  it("a table row kept for one constraint names a constraint or index the files define", () => {
    const all = files.map(readSqlFile).join("\n");
    const byConstraint = ruleKeys.filter((k) => k.includes(" "));
    expect(byConstraint.length).to.be.greaterThan(3);
    for (const key of byConstraint) {
      const [state, name] = key.split(" ") as [string, string];
      expect(["23503", "23505"], key).to.include(state);
      // Named in the files, or a table's primary key (PostgreSQL names it <table>_pkey).
      const table = name.endsWith("_pkey") ? name.slice(0, -"_pkey".length) : null;
      const defined = new RegExp(`(constraint|index) ${name}\\b`).test(code(all))
        || (table !== null && new RegExp(`create table ${table} \\([^;]*primary key`).test(code(all)));
      expect(defined, `${name} is defined in sql/`).to.equal(true);
    }
  });

  it("each rule file's header lists exactly the SQLSTATEs its code raises", () => {
    for (const f of files.filter((x) => x !== "tables.sql")) {
      const text = readSqlFile(f);
      expect(text.startsWith("-- "), `${f} opens with its header`).to.equal(true);
      expect(text.slice(0, 2000)).to.match(/^-- SQLSTATEs:/m);
      expect([...listed(text)].sort(), f).to.deep.equal([...raised(text)].sort());
    }
  });

  it("every code the table gives is a result code the HTTP layer knows", () => {
    for (const [key, row] of Object.entries(sqlstates)) {
      if (row.code !== null) expect(resultCodes, key).to.include(row.code);
      expect(row.rule.length, key).to.be.greaterThan(5);
    }
  });

  it("a database error is looked up by its constraint first, then by its SQLSTATE alone", () => {
    expect(storeError({ code: "23505", constraint: "donations_bank_reference" })?.code).to.equal("bank_reference_duplicate");
    expect(storeError({ code: "23505", constraint: "some_other_key" })).to.equal(null);
    expect(storeError({ code: "23503", constraint: "disbursements_area_listed" })?.field).to.equal("beneficiary.area");
    expect(storeError({ code: "23503", constraint: "postings_committee_id_account_id_fkey" })).to.equal(null);
    expect(storeError({ code: "SQ007", message: "the books are closed through 2024-12-31: an entry dated 2024-12-01 is refused" })?.message)
      .to.equal("the books are closed through 2024-12-31: an entry dated 2024-12-01 is refused");
    expect(storeError({ code: "SQ002" })).to.equal(null);
    expect(storeError({ code: "22021" }), "bad input is the HTTP layer's to answer").to.equal(null);
    expect(sqlstateOf({ code: "SQ016" })?.retry).to.equal(true);
    expect(sqlstateOf(new Error("no code"))).to.equal(null);
  });

  it("the rule files split into statements that each end where the file says", () => {
    for (const f of files) {
      const statements = splitStatements(readSqlFile(f));
      expect(statements.length, f).to.be.greaterThan(0);
      for (const s of statements) expect(s.endsWith(";"), `${f}: ${s.slice(0, 60)}`).to.equal(false);
    }
    expect(splitStatements("select ';'; -- a; comment\nselect $$ a; b $$; select \"x;\"")).to.deep.equal(["select ';'", "-- a; comment\nselect $$ a; b $$", "select \"x;\""]);
  });
});

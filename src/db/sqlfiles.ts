import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import path from "node:path";
import type { Knex } from "knex";

// The ledger's rules live in plain SQL files under sql/ (one file a rule, each with a header naming what it
// enforces and the SQLSTATEs it raises). Migrations run them: the baseline runs them all, and a later change to a
// rule is a migration that runs its whole file again (docs/ledger.md, "How to change a rule").

/** The folder of the rule files. */
export const sqlDirectory = fileURLToPath(new URL("../../sql/", import.meta.url));

export function readSqlFile(file: string): string {
  return readFileSync(path.join(sqlDirectory, file), "utf8");
}

/**
 * A file's statements, split at each `;` that ends one: not inside a string, a quoted name, a comment or a
 * dollar-quoted body. Each is run on its own (one statement a call, as every driver and PGlite accept).
 */
export function splitStatements(text: string): string[] {
  const statements: string[] = [];
  let start = 0;
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (c === "'" || c === '"') {
      i = closing(text, i + 1, c);
    } else if (c === "-" && text[i + 1] === "-") {
      const end = text.indexOf("\n", i);
      i = end === -1 ? text.length : end + 1;
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      if (end === -1) throw new Error("an unterminated /* comment");
      i = end + 2;
    } else if (c === "$" && /^\$[A-Za-z_]*\$/.test(text.slice(i))) {
      const tag = /^\$[A-Za-z_]*\$/.exec(text.slice(i))![0];
      const end = text.indexOf(tag, i + tag.length);
      if (end === -1) throw new Error(`an unterminated ${tag} body`);
      i = end + tag.length;
    } else if (c === ";") {
      push(text.slice(start, i));
      start = ++i;
    } else {
      i++;
    }
  }
  push(text.slice(start));
  return statements;

  function push(statement: string): void {
    // A piece with nothing but comments and blank lines is no statement.
    const code = statement.replace(/--[^\n]*/g, "").trim();
    if (code) statements.push(statement.trim());
  }
}

/** Where a quoted string or name that opened just before `from` ends ('' and "" stand for the quote itself). */
function closing(text: string, from: number, quote: string): number {
  let i = from;
  for (;;) {
    const end = text.indexOf(quote, i);
    if (end === -1) throw new Error(`an unterminated ${quote} quote`);
    if (text[end + 1] !== quote) return end + 1;
    i = end + 2;
  }
}

/**
 * Runs every statement of a rule file, in order, in the caller's transaction (a migration's). Rule files are
 * written to run again: `create or replace` functions and triggers, a constraint trigger dropped first, rows
 * inserted `on conflict do nothing`. `bodiesChecked: false` leaves SQL function bodies unchecked until they run
 * (as pg_dump's restore does): the baseline creates functions before later migrations add what they may name.
 */
export async function runSqlFile(knex: Knex, file: string, opts: { bodiesChecked?: boolean } = {}): Promise<void> {
  if (opts.bodiesChecked === false) await knex.raw("set local check_function_bodies = off");
  for (const statement of splitStatements(readSqlFile(file))) {
    try {
      await knex.raw(statement);
    } catch (error) {
      const e = error as Error;
      e.message = `sql/${file}: ${e.message}\n  in: ${statement.split("\n")[0]}`;
      throw e;
    }
  }
  if (opts.bodiesChecked === false) await knex.raw("set local check_function_bodies to default");
}

/**
 * For a migration that creates a function in its own text rather than a rule file: the search path every ledger
 * function runs with (its schema, then pg_temp, named so it comes last). A rule file says it in the function's
 * own `create` instead.
 */
export async function pinnedSearchPath(knex: Knex, fn: string): Promise<void> {
  await knex.raw(`alter function ${fn} set search_path = public, pg_temp`);
}

import { execFile } from "node:child_process";
import { promisify } from "node:util";

// A database's schema as pg_dump --schema-only prints it, cut into its objects (pg_dump heads each with
// "-- Name: …; Type: …; Schema: …; Owner: …"), so two schemas compare object by object.

const run = promisify(execFile);

export type SchemaObjects = Map<string, string>;

/** pg_dump's --schema-only text of the database at `url` (pg_dump must be the server's major version). */
export async function dumpSchema(url: string): Promise<string> {
  const { stdout } = await run("pg_dump", ["--schema-only", "--no-comments", url], { maxBuffer: 64 * 1024 * 1024 });
  return stdout;
}

/**
 * The dump's objects by "<type> <name>", each its text without blank lines. What pg_dump prints around them (SET
 * lines, the \\restrict key it draws anew each run) is not part of any.
 */
export function schemaObjects(dump: string): SchemaObjects {
  const objects: SchemaObjects = new Map();
  let key: string | null = null;
  let lines: string[] = [];
  const flush = () => {
    if (key) objects.set(key, lines.filter((l) => l.trim() !== "" && l !== "--").join("\n"));
  };
  for (const line of dump.split("\n")) {
    const head = /^-- Name: (.*); Type: ([^;]*); Schema: [^;]*; Owner: .*$/.exec(line);
    if (head) {
      flush();
      key = `${head[2]} ${head[1]}`;
      lines = [];
    } else if (key && !/^\\(un)?restrict /.test(line)) {
      lines.push(line);
    }
  }
  flush();
  return objects;
}

/**
 * SQL text reduced to its tokens: comments dropped, whitespace dropped except one space between two word
 * characters, string literals and quoted names kept as written. Two texts that differ only in layout reduce to the
 * same string.
 */
export function tokens(sql: string): string {
  let out = "";
  let pendingSpace = false;
  let i = 0;
  const word = (c: string | undefined) => c !== undefined && /[A-Za-z0-9_$]/.test(c);
  while (i < sql.length) {
    const c = sql[i]!;
    if (c === "'" || c === '"') {
      let j = i + 1;
      for (;;) {
        const end = sql.indexOf(c, j);
        if (end === -1) throw new Error("an unterminated quote");
        if (sql[end + 1] === c) j = end + 2;
        else {
          j = end + 1;
          break;
        }
      }
      if (pendingSpace && word(out[out.length - 1])) out += " ";
      out += sql.slice(i, j);
      pendingSpace = false;
      i = j;
    } else if (c === "-" && sql[i + 1] === "-") {
      const end = sql.indexOf("\n", i);
      i = end === -1 ? sql.length : end;
      pendingSpace = true;
    } else if (/\s/.test(c)) {
      pendingSpace = true;
      i++;
    } else {
      if (pendingSpace && word(out[out.length - 1]) && word(c)) out += " ";
      out += c;
      pendingSpace = false;
      i++;
    }
  }
  return out;
}

export interface SchemaDifference {
  onlyLeft: string[];
  onlyRight: string[];
  changed: string[];
}

/** The objects one schema has and the other has not, and those both have with other text (compared as `same` says). */
export function compareSchemas(left: SchemaObjects, right: SchemaObjects, same: (a: string, b: string) => boolean = (a, b) => a === b): SchemaDifference {
  return {
    onlyLeft: [...left.keys()].filter((k) => !right.has(k)).sort(),
    onlyRight: [...right.keys()].filter((k) => !left.has(k)).sort(),
    changed: [...left.keys()].filter((k) => right.has(k) && !same(left.get(k)!, right.get(k)!)).sort(),
  };
}

import pg from "pg";

// A DATABASE_URL may name several hosts, as libpq allows, for a primary and its standby:
//   postgres://soquy@db-a:5432,db-b:5432/soquy?target_session_attrs=read-write
// node-postgres reads one host only, so each new connection tries the hosts in order and, with
// target_session_attrs=read-write (or primary), keeps the first that accepts writes — what libpq
// does. After a failover the pool's broken connections are dropped and new ones find the promoted
// standby. One host is passed through untouched.

export interface HostList {
  hosts: { host: string; port: number }[];
  /** The URL with its host part replaced by one host, for each try. */
  urlFor(i: number): string;
  readWrite: boolean;
}

const CONNECT_TIMEOUT_MS = 5_000;

/** The hosts of a multi-host URL, or null when it names one host. */
export function parseHostList(url: string): HostList | null {
  const m = /^(postgres(?:ql)?:\/\/)([^@/]*@)?([^/?]*)(.*)$/.exec(url);
  if (!m || !m[3]!.includes(",")) return null;
  const hosts = m[3]!.split(",").map((h) => {
    const hp = /^(\[[^\]]+\]|[^:]+)(?::(\d+))?$/.exec(h.trim());
    if (!hp) throw new Error(`DATABASE_URL: cannot read the host ${JSON.stringify(h)}`);
    return { host: hp[1]!, port: hp[2] ? Number(hp[2]) : 5432 };
  });
  const rest = m[4]!;
  const attrs = /[?&]target_session_attrs=([^&]*)/.exec(rest)?.[1] ?? "any";
  if (!["any", "read-write", "primary"].includes(attrs)) throw new Error(`DATABASE_URL: target_session_attrs=${attrs} is not supported (any, read-write, primary)`);
  const withoutAttrs = rest.replace(/([?&])target_session_attrs=[^&]*&?/, "$1").replace(/[?&]$/, "");
  return {
    hosts,
    readWrite: attrs !== "any",
    urlFor: (i) => `${m[1]}${m[2] ?? ""}${hosts[i]!.host}:${hosts[i]!.port}${withoutAttrs}`,
  };
}

/** A connection's settings for knex: the first host that answers (and accepts writes, when asked). */
export async function firstUsableHost(list: HostList): Promise<string> {
  const refused: string[] = [];
  for (let i = 0; i < list.hosts.length; i++) {
    const url = list.urlFor(i);
    const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: CONNECT_TIMEOUT_MS });
    try {
      await client.connect();
      if (list.readWrite) {
        const { rows } = await client.query("show transaction_read_only");
        if (rows[0].transaction_read_only === "on") {
          refused.push(`${list.hosts[i]!.host}:${list.hosts[i]!.port} is read-only (a standby)`);
          continue;
        }
      }
      return url;
    } catch (error) {
      refused.push(`${list.hosts[i]!.host}:${list.hosts[i]!.port}: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      await client.end().catch(() => {});
    }
  }
  throw new Error(`no usable database host: ${refused.join("; ")}`);
}

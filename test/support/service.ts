import { spawn, type ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import path from "node:path";

// A real service process (`npm start`'s src/main.ts) on a free port, for the tests that need two
// processes on one database: the same code, configuration and HTTP server production runs.

const root = path.resolve(import.meta.dirname, "..", "..");

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.listen(0, "127.0.0.1", () => {
      const port = (srv.address() as { port: number }).port;
      srv.close(() => resolve(port));
    });
    srv.on("error", reject);
  });
}

export interface ServiceProcess {
  base: string;
  child: ChildProcess;
  /** What it printed so far. */
  output(): string;
  /** Stops it (SIGTERM) or kills it (SIGKILL) and waits for it to exit. */
  stop(signal?: NodeJS.Signals): Promise<void>;
}

/** Starts the service with these variables on top of the test's own; resolves once it listens. */
export async function startService(env: Record<string, string>): Promise<ServiceProcess> {
  const port = await freePort();
  const child = spawn(process.execPath, ["--import", "tsx", "src/main.ts"], {
    cwd: root, stdio: ["ignore", "pipe", "pipe"],
    env: { ...process.env, SOQUY_DEMO: "0", LOG_LEVEL: "warn", ...env, PORT: String(port), HOST: "127.0.0.1" },
  });
  let out = "";
  const exited = new Promise<void>((resolve) => child.on("exit", () => resolve()));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the service did not start in 120 s:\n${out}`)), 120_000);
    const onData = (d: Buffer) => {
      out += d.toString();
      if (out.includes("soquy is listening")) {
        clearTimeout(timer);
        resolve();
      }
    };
    child.stdout!.on("data", onData);
    child.stderr!.on("data", onData);
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the service exited with ${code} before listening:\n${out}`));
    });
  });
  return {
    base: `http://127.0.0.1:${port}`,
    child,
    output: () => out,
    stop: async (signal = "SIGTERM") => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

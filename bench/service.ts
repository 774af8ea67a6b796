import { type ChildProcess, spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

// The service as the benches run it: bench/server.ts in a process of its own (so the load generator
// does not share its event loop), spoken to over IPC: it says "listening" with its port, answers the
// messages the bench sends, and stops when told.

const repoRoot = fileURLToPath(new URL("..", import.meta.url));

export class BenchService {
  port = 0;
  private readonly waiting = new Map<string, (m: any) => void>();
  readonly exited: Promise<number | null>;

  constructor(readonly child: ChildProcess) {
    child.on("message", (m: { type: string }) => {
      const w = this.waiting.get(m.type);
      this.waiting.delete(m.type);
      w?.(m);
    });
    this.exited = new Promise((resolve) => child.once("exit", (code) => resolve(code)));
  }

  /** Starts bench/server.ts with these node options and settings, and waits until it listens. */
  static async start(nodeArgs: string[], env: NodeJS.ProcessEnv, listenTimeoutMs: number): Promise<BenchService> {
    const child = spawn(process.execPath, [...nodeArgs, "bench/server.ts"], {
      cwd: repoRoot, env: { ...process.env, ...env, LOG_LEVEL: "warn", NODE_ENV: "production" }, stdio: ["ignore", "inherit", "inherit", "ipc"],
    });
    const service = new BenchService(child);
    const died = service.exited.then((code) => Promise.reject(new Error(`the service exited (code ${code}) before listening`)));
    service.port = (await Promise.race([service.ask<{ port: number }>("listening", null, listenTimeoutMs), died])).port;
    return service;
  }

  ask<T>(reply: string, message: { type: string } | null, timeoutMs = 10_000): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`the service did not answer ${reply}`)), timeoutMs);
      this.waiting.set(reply, (m) => {
        clearTimeout(timer);
        resolve(m as T);
      });
      if (message) this.child.send(message);
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    if (this.child.connected) this.child.send({ type: "stop" });
    const timer = setTimeout(() => this.child.kill("SIGKILL"), 10_000);
    await this.exited;
    clearTimeout(timer);
  }
}

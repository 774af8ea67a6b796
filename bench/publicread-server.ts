import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import express from "express";
import { pino } from "pino";
import { openSoquy } from "../src/context.js";
import { createApp, createServer } from "../src/http/app.js";
import { seedDemo } from "../seeds/demo.js";

// The service for bench/publicread.ts in its own process: the real app on the demo data (PostgreSQL at
// DATABASE_URL, or the embedded default in DATA_DIR), the per-address rate limit off. Its baseline is
// the same app serving static files, through the same middleware, the size of each public answer
// (bench/publicread.ts asks for them by IPC once it has read the answers).
if (!process.send) throw new Error("bench/publicread-server.ts runs as a child of bench/publicread.ts");
process.env.RATE_LIMIT_PER_MINUTE = "0";
process.env.SELF_CHECK_PER_MINUTE = "0";
const staticDir = path.join(process.env.DATA_DIR ?? "/tmp", "static");
mkdirSync(staticDir, { recursive: true });
const s = await openSoquy({ databaseUrl: process.env.DATABASE_URL || undefined, dataDir: process.env.DATA_DIR, holder: "server" });
const seeded = await seedDemo(s);
const app = createApp(s, pino({ level: "warn" }), express.static(staticDir, { etag: true, lastModified: true }));
const server = createServer(app).listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.send!({ port: typeof address === "object" && address ? address.port : 0, tokens: seeded.tokens });
});
process.on("message", (m: { staticFile?: { name: string; bytes: number } }) => {
  if (!m.staticFile) return;
  writeFileSync(path.join(staticDir, m.staticFile.name), Buffer.alloc(m.staticFile.bytes, 0x61));
  process.send!({ staticReady: m.staticFile.name });
});
process.on("disconnect", () => {
  server.close(() => void s.close().then(() => process.exit(0)));
  setTimeout(() => process.exit(0), 5_000).unref();
});

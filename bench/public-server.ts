import { pino } from "pino";
import { openSoquy } from "../src/context.js";
import { createApp, createServer } from "../src/http/app.js";

// The service for bench/public.ts, in its own process (so the load generator
// does not share its event loop): the real app on the bench's database. It
// tells the parent its port over IPC and stops when the parent disconnects.
if (!process.send) throw new Error("bench/public-server.ts runs as a child of bench/public.ts");
const databaseUrl = process.env.DATABASE_URL;
if (!databaseUrl) throw new Error("DATABASE_URL is required");
process.env.RATE_LIMIT_PER_MINUTE = "0";
const s = await openSoquy({ databaseUrl, holder: "server" });
const app = createApp(s, pino({ level: "warn" }));
const server = createServer(app).listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.send!({ port: typeof address === "object" && address ? address.port : 0 });
});
process.on("disconnect", () => {
  server.close(() => void s.close().then(() => process.exit(0)));
  setTimeout(() => process.exit(0), 5_000).unref();
});

import { once } from "node:events";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Express } from "express";
import { pino } from "pino";
import { createApp, createServer } from "../../src/http/app.js";
import type { Soquy } from "../../src/context.js";
import { testSoquy } from "./db.js";

// A real express app on the shared test database; supertest drives it over a
// real HTTP socket.
export async function testApp(): Promise<{ app: Express; s: Soquy }> {
  const s = await testSoquy();
  return { app: createApp(s, pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" })), s };
}

/**
 * The app with the anonymous rate limiter off: suites that make many anonymous
 * calls from one address (the limiter itself is tested in audit.test.ts).
 */
export async function testAppUnlimited(): Promise<{ app: Express; s: Soquy }> {
  const rate = process.env.RATE_LIMIT_PER_MINUTE;
  process.env.RATE_LIMIT_PER_MINUTE = "0";
  try {
    return await testApp();
  } finally {
    if (rate === undefined) delete process.env.RATE_LIMIT_PER_MINUTE;
    else process.env.RATE_LIMIT_PER_MINUTE = rate;
  }
}

/** The unlimited app listening on a free port of 127.0.0.1, for a real browser. */
export async function testServer(): Promise<{ s: Soquy; server: Server; base: string }> {
  const { app, s } = await testAppUnlimited();
  const server = createServer(app).listen(0, "127.0.0.1");
  await once(server, "listening");
  return { s, server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

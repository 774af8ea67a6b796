import type { Express } from "express";
import { pino } from "pino";
import { createApp } from "../../src/http/app.js";
import type { Soquy } from "../../src/context.js";
import { testSoquy } from "./db.js";

// A real express app on the shared test database; supertest drives it over a
// real HTTP socket.
export async function testApp(): Promise<{ app: Express; s: Soquy }> {
  const s = await testSoquy();
  return { app: createApp(s, pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" })), s };
}

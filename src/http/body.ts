import type { IncomingMessage } from "node:http";
import express, { type RequestHandler } from "express";

// The API's JSON bodies. The common request — Content-Type application/json
// (charset utf-8 or none), no Content-Encoding, a Content-Length within the
// limit — is read here directly; anything else goes to express.json with the
// same options, which then decides exactly as it always has (other +json
// types, charsets, compressed or chunked bodies, bodies over the limit). The
// direct path keeps body-parser's rules for what it accepts: a leading BOM is
// dropped, an empty body is {}, strict JSON (an object or an array) only, and
// a bad body is the same 400 (type entity.parse.failed) the error handler
// already answers. body-parser's generic machinery (content-type parsing,
// iconv decoding, raw-body's stream handling) cost more than reading the body.

const plainJson = /^application\/json(?:\s*;\s*charset\s*=\s*"?utf-8"?)?\s*$/i;

export function jsonBody(limitBytes: number): RequestHandler {
  const fallback = express.json({ limit: limitBytes, strict: true, type: ["application/json", "application/*+json"] });
  return (req, res, next) => {
    const r = req as IncomingMessage & { _body?: boolean; body?: unknown };
    if (r._body) return next();
    const type = req.headers["content-type"];
    const length = req.headers["content-length"];
    const encoding = req.headers["content-encoding"];
    if (type === undefined || !plainJson.test(type) || length === undefined || !/^\d{1,9}$/.test(length)
      || Number(length) > limitBytes || (encoding !== undefined && encoding.toLowerCase() !== "identity")
      || req.headers["transfer-encoding"] !== undefined) {
      return fallback(req, res, next);
    }
    // The reading's state lives in one object and the listeners are inline:
    // tsx names every closure a request would otherwise declare.
    const reading: Reading = { req: r, next, expected: Number(length), received: 0, chunks: [], settled: false };
    req.on("data", (chunk: Buffer) => onData(reading, chunk));
    req.on("end", () => onEnd(reading));
    req.on("error", (error: unknown) => settle(reading, bodyError(400, String((error as Error)?.message ?? error), "request.aborted")));
    req.on("aborted", () => settle(reading, bodyError(400, "request aborted", "request.aborted")));
  };
}

interface Reading {
  req: IncomingMessage & { _body?: boolean; body?: unknown };
  next: (error?: unknown) => void;
  expected: number;
  received: number;
  chunks: Buffer[];
  settled: boolean;
}

function settle(r: Reading, error: unknown): void {
  if (r.settled) return;
  r.settled = true;
  r.chunks = [];
  r.next(error);
}

function onData(r: Reading, chunk: Buffer): void {
  if (r.settled) return;
  r.received += chunk.length;
  if (r.received > r.expected) return settle(r, bodyError(400, "request size did not match content length", "request.size.invalid"));
  r.chunks.push(chunk);
}

function onEnd(r: Reading): void {
  if (r.settled) return;
  if (r.received !== r.expected) return settle(r, bodyError(400, "request size did not match content length", "request.size.invalid"));
  let text = (r.chunks.length === 1 ? r.chunks[0]! : Buffer.concat(r.chunks, r.received)).toString("utf8");
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  try {
    r.req.body = parseStrict(text);
  } catch (error) {
    return settle(r, error);
  }
  r.req._body = true;
  settle(r, undefined);
}

// body-parser's strict mode: the first character that is not JSON whitespace opens an object or an array.
function parseStrict(text: string): unknown {
  if (text.length === 0) return {};
  const first = /^[\x20\x09\x0a\x0d]*(.)/s.exec(text)?.[1];
  if (first !== "{" && first !== "[") throw bodyError(400, `Unexpected token ${first ?? "end"} in JSON: the body must be an object or an array`, "entity.parse.failed");
  try {
    return JSON.parse(text);
  } catch (error) {
    throw bodyError(400, (error as Error).message, "entity.parse.failed");
  }
}

function bodyError(status: number, message: string, type: string): Error {
  return Object.assign(new Error(message), { status, statusCode: status, expose: true, type });
}

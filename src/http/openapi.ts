import { z } from "zod";
import { statusByCode, problemSchema } from "./problems.js";
import type { RouteSpec } from "./route.js";

// The OpenAPI 3.1 document, generated from the same route declarations and
// zod schemas that parse requests (OpenAPI 3.1 uses JSON Schema 2020-12).
export function openApiDocument(routes: RouteSpec<any, any, any>[], version: string) {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const r of routes) {
    const path = `/api/v1${r.path.replace(/:([A-Za-z]+)/g, "{$1}")}`;
    const parameters = [
      ...objectParams(r.params, "path"),
      ...objectParams(r.query, "query"),
      ...(r.idempotent ? [{
        name: "Idempotency-Key", in: "header", required: true,
        description: "Any unique string per intended write (e.g. a UUID). A retry with the same key and body returns the first result; with another body, 409 idempotency_key_reused.",
        schema: { type: "string", maxLength: 200 },
      }] : []),
    ];
    const responses: Record<string, unknown> = {};
    for (const [status, resp] of Object.entries(r.responses)) {
      const content = r.produces
        ? Object.fromEntries(r.produces.map((type) => [type, { schema: { type: "string", format: "binary" } }]))
        : resp.schema ? { "application/json": { schema: toSchema(resp.schema, "output") } } : undefined;
      responses[status] = { description: resp.description, ...(content ? { content } : {}) };
    }
    const problem = { content: { "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } } } };
    responses["401"] = { description: "No valid bearer token", ...problem };
    responses["403"] = { description: `Allowed roles: ${r.roles.join(", ")}`, ...problem };
    responses["422"] = { description: "Invalid input; field names the offending field", ...problem };
    if (r.method !== "get") responses["409"] = { description: "Conflicts with the ledger's state (see code)", ...problem };
    paths[path] ??= {};
    paths[path][r.method] = {
      summary: r.summary,
      tags: [r.tag],
      operationId: operationId(r),
      security: r.public ? [{}, { bearer: [] }] : [{ bearer: [] }],
      description: r.public ? `Open to anyone; with a token of role ${r.roles.join(", ")} more is shown.` : `Roles: ${r.roles.join(", ")}.`,
      ...(parameters.length ? { parameters } : {}),
      ...(r.body ? { requestBody: { required: true, content: { "application/json": { schema: toSchema(r.body, "input") } } } } : {}),
      ...(r.rawBody ? { requestBody: { required: true, content: Object.fromEntries(r.rawBody.map((t) => [t, { schema: { type: "string", format: "binary" } }])) } } : {}),
      responses,
    };
  }
  paths["/health"] = { get: { summary: "Health", tags: ["Service"], security: [], responses: { 200: { description: "The service and its database answer" } } } };
  return {
    openapi: "3.1.0",
    info: {
      title: "soquy — sổ quỹ API",
      version,
      description: "An auditable double-entry ledger for MTTQ charity campaigns. Amounts are whole đồng as strings of digits. " +
        "Errors are RFC 9457 problem+json with a stable code. Result codes and their statuses: " +
        Object.entries(statusByCode).map(([c, s]) => `${c} (${s})`).join(", ") + ".",
    },
    servers: [{ url: "/" }],
    components: {
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "A token from `npm run cli -- token create`" } },
      schemas: { Problem: toSchema(problemSchema, "output") },
    },
    paths,
  };
}

function toSchema(schema: z.ZodType, io: "input" | "output"): Record<string, unknown> {
  const s = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as Record<string, unknown>;
  delete s.$schema;
  return s;
}

function objectParams(schema: z.ZodType | undefined, where: "path" | "query") {
  if (!schema) return [];
  const json = toSchema(schema, "input") as { properties?: Record<string, unknown>; required?: string[] };
  return Object.entries(json.properties ?? {}).map(([name, s]) => ({
    name, in: where, required: where === "path" || (json.required ?? []).includes(name), schema: s,
  }));
}

function operationId(r: RouteSpec<any, any, any>): string {
  const words = r.path.split("/").filter(Boolean).map((w) => (w.startsWith(":") ? `by-${w.slice(1)}` : w));
  return [r.method, ...words].join("-").replace(/-([a-z])/g, (_, c: string) => c.toUpperCase());
}

export function docsPage(): string {
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>soquy API</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<link rel="stylesheet" href="/api/docs/assets/swagger-ui.css"></head>
<body><div id="swagger-ui"></div>
<script src="/api/docs/assets/swagger-ui-bundle.js"></script>
<script src="/api/docs/init.js"></script>
</body></html>`;
}

export const docsInit = `window.ui = SwaggerUIBundle({ url: "/api/openapi.json", dom_id: "#swagger-ui", deepLinking: true });`;

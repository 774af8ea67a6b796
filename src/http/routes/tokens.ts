import { z } from "zod";
import { createTokenFor, type Soquy } from "../../context.js";
import { defineRoute } from "../route.js";
import { tokenCreate } from "../schemas.js";

const person = z.object({
  id: z.number().int(), name: z.string(), role: z.enum(["treasurer", "approver", "auditor", "admin"]),
  createdAt: z.string(), disabledAt: z.string().nullable(),
});

export function tokenRoutes(s: Soquy) {
  return [
    defineRoute({
      method: "post", path: "/tokens", tag: "Tokens", summary: "Create an API token acting for you (an admin may also make treasurer and auditor tokens)", roles: ["admin"], body: tokenCreate,
      responses: { 201: { description: "The token, shown this once (only its hash is stored)", schema: z.object({ token: z.string(), role: z.string(), name: z.string() }) } },
      async handle({ principal, body }) {
        const token = await createTokenFor(s, principal, body.role, body.name);
        return { status: 201, body: { token, role: body.role, name: body.name } };
      },
    }),
    defineRoute({
      method: "get", path: "/people", tag: "Tokens", summary: "List the committee's people: who could record, verify or administer, and when",
      roles: ["auditor", "approver", "admin"],
      responses: { 200: { description: "Every person who ever held a token, oldest first (the list the auditor's PDF statement prints and checkpoints sign by id)", schema: z.object({ items: z.array(person) }) } },
      async handle({ principal }) {
        return { status: 200, body: { items: await s.statements.people(principal.committeeId) } };
      },
    }),
  ];
}

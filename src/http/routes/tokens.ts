import { z } from "zod";
import { createTokenFor, type Soquy } from "../../context.js";
import { defineRoute } from "../route.js";
import { tokenCreate } from "../schemas.js";

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
  ];
}

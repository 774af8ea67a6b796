import { z } from "zod";
import type { Soquy } from "../../context.js";
import { allRoles, defineRoute } from "../route.js";

// The committee's own list of areas (khu phố, thôn, ấp): a disbursement names
// one of them, and only listed areas are shown to the public.
const area = z.object({ name: z.string(), createdAt: z.string() });

export function areaRoutes(s: Soquy) {
  return [
    defineRoute({
      method: "get", path: "/areas", tag: "Areas", summary: "List the committee's areas (khu phố, thôn, ấp)", roles: allRoles,
      responses: { 200: { description: "The areas, in the order they were added", schema: z.object({ items: z.array(area) }) } },
      async handle({ principal }) {
        return { status: 200, body: { items: await s.ledger.areas(principal.committeeId) } };
      },
    }),
    defineRoute({
      method: "post", path: "/areas", tag: "Areas", summary: "Add an area to the committee's list", roles: ["treasurer"],
      body: z.strictObject({ name: z.string().max(200).meta({ description: "e.g. Khu phố 3, Ấp Tân Hòa (public: no names of people, no numbers of phones or accounts)" }) }),
      responses: {
        201: { description: "Added", schema: area },
        200: { description: "Already listed (the same name, case, diacritics and spacing aside): the listed one", schema: area },
      },
      async handle({ principal, body }) {
        const r = await s.ledger.addArea(principal, body.name);
        return { status: r.created ? 201 : 200, body: r.area };
      },
    }),
  ];
}

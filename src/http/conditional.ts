import type { Request } from "express";

/**
 * Whether the request's If-None-Match names this entity tag (or "*"): the client's copy is current and the
 * answer is 304. The comparison is the weak one RFC 9110 §13.1.2 asks for, so a proxy's W/ prefix still matches.
 * Undefined when the request sends no If-None-Match (the caller may then look at If-Modified-Since).
 */
export function ifNoneMatch(req: Request, etag: string): boolean | undefined {
  const tags = req.get("if-none-match");
  if (tags === undefined) return undefined;
  const own = etag.replace(/^W\//, "");
  return tags.split(",").some((t) => {
    const tag = t.trim();
    return tag === "*" || tag.replace(/^W\//, "") === own;
  });
}

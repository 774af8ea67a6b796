import { fail } from "./codes.js";
import type { Principal, Role } from "./types.js";

// Who may hold which token, and who may check: the app's side of the rules
// PostgreSQL also holds (sql/people.sql, sql/controls.sql).

/**
 * A token carries its person's role; an admin may also make treasurer and auditor tokens for
 * integrations, which act as the admin. So only an approver holds an approver token, their own.
 */
export function tokenRoles(personRole: Role): Role[] {
  return personRole === "admin" ? ["admin", "treasurer", "auditor"] : [personRole];
}

export function assertTokenRole(p: Principal, role: Role): void {
  if (!tokenRoles(p.personRole).includes(role)) {
    fail("token_role_not_allowed", `a token made by a person with role ${p.personRole} acts for them and cannot carry role ${role}`, "role");
  }
}

/** Only an approver person verifies or closes the books, whatever token they use (an admin never does). */
export function assertChecker(p: Principal): void {
  if (p.role !== "approver" || p.personRole !== "approver") {
    fail("forbidden", "only an approver verifies entries or closes the books, never an admin or an integration token of one");
  }
}

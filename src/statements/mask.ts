import type { Audience } from "./types.js";

// What the public may see (Nghị định 93/2021 disclosure without leaking
// personal data): donors by name only where they agreed, households by
// initials and area, and no phone, bank account or ID number anywhere —
// free text included, since that is where the 2024 Yagi statements leaked them.

export const PUBLIC_DONOR = "Nhà hảo tâm";

/** "Trần Thị Bé" → "T.T.B." */
export function initials(name: string): string {
  const letters = name.normalize("NFC").trim().split(/\s+/).filter(Boolean).map((w) => `${[...w][0]!.toLocaleUpperCase("vi")}.`);
  return letters.join("") || "?";
}

// Eight or more digits, possibly broken by spaces, dots or dashes: phone
// numbers (10), bank accounts (8–19), citizen ID numbers (12).
const longNumber = /\+?\d(?:[ .-]?\d){7,}/g;

/** Keeps the last 3 digits: "0987 654 321" → "*******321". */
export function maskNumbers(text: string): string {
  return text.replace(longNumber, (m) => {
    const digits = m.replace(/\D/g, "");
    return "*".repeat(digits.length - 3) + digits.slice(-3);
  });
}

export interface Party {
  donorName: string | null;
  publishName: boolean | null;
  beneficiaryName: string | null;
  area: string | null;
}

export function counterparty(p: Party, audience: Audience): string {
  if (p.donorName !== null) {
    return audience === "auditor" || p.publishName ? p.donorName : PUBLIC_DONOR;
  }
  if (p.beneficiaryName !== null) {
    const who = audience === "auditor" ? p.beneficiaryName : initials(p.beneficiaryName);
    return p.area ? `${who} (${p.area})` : who;
  }
  return "";
}

export function describe(description: string, p: Party, audience: Audience): string {
  if (audience === "auditor") return description;
  let text = description;
  if (p.donorName && !p.publishName) text = replaceAll(text, p.donorName, PUBLIC_DONOR);
  if (p.beneficiaryName) text = replaceAll(text, p.beneficiaryName, initials(p.beneficiaryName));
  return maskNumbers(text);
}

function replaceAll(text: string, name: string, by: string): string {
  const n = name.trim();
  return n ? text.split(n).join(by) : text;
}

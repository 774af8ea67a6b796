import type { CommittedEntry, DonorKind, PartyIdentity } from "./types.js";

// Who a donation's donor is: the key of the donors row it counts under
// ("distinct donors" in the public figures is the number of such rows a
// campaign's published donations name). A key is made from what the entry's
// hash covers (and, for a donor typed in with a phone number, that number),
// so verify can recompute it and catch a donation pointed at another donor.
//
// - A donor typed in by a treasurer: kind, name folded (NFC, lower case,
//   single spaces) and phone digits. The treasurer knows the person; case
//   and spacing are typing, not identity.
// - A bank line: the sender's account number when the memo carries one;
//   otherwise the name exactly as the line printed it. Banks print names
//   without diacritics and in any case, so a folded name would make one
//   donor of every NGUYEN THI HUYEN (Huyền, Huyên, Huyến…): the name as
//   printed never merges two spellings, and one person printed in two
//   spellings counts twice, which the public page says.

/** What a bank line's memo gives when its shape names no one. */
export const UNKNOWN_DONOR = "không rõ";

/** The idempotency key of every entry a bank statement import records starts with this. */
export const IMPORT_KEY_PREFIX = "bank-line:";

// toLowerCase, not toLocaleLowerCase("vi"): Unicode's language-sensitive case
// mappings are for Lithuanian, Turkish and Azeri only, so the two agree on
// every string (test/keys.test.ts checks each code point), and the locale form
// resolved the locale through ICU on every call.
export function normaliseKey(s: string): string {
  return s.normalize("NFC").trim().toLowerCase().replace(/\s+/g, " ");
}

/** A donor typed in (API, workspace): kind, folded name, phone digits. */
export function typedDonorIdentity(name: string, kind: DonorKind, phone: string | null | undefined): PartyIdentity {
  const phoneDigits = phone?.replace(/\D/g, "") || null;
  return { key: `${kind}|${normaliseKey(name)}|${phoneDigits ?? ""}`, name, kind, phone: phoneDigits };
}

// VCB's own transfers: "…CT tu 7089080942 NGUYEN VAN AN toi 0011009990001…" (from the sender's account to ours).
const fromAccount = /\bCT tu (\d{6,20}) /i;

/** The sender's account number a transfer's memo carries, or null. */
export function senderAccount(memo: string): string | null {
  return fromAccount.exec(memo)?.[1] ?? null;
}

/** The donor kind of a bank line's sender: anonymous when the memo names no one. */
export const bankDonorKind = (name: string): DonorKind => (name === UNKNOWN_DONOR ? "anonymous" : "individual");

/**
 * A bank line's donor, from the name and the note (the memo) its donation records: by the sender's account
 * number when the note carries one, otherwise by the name as printed.
 */
export function bankDonorIdentity(name: string, kind: DonorKind, note: string | null): PartyIdentity {
  const account = note === null ? null : senderAccount(note);
  return { key: account === null ? `bank|name|${kind}|${name}` : `bank|account|${kind}|${account}`, name, kind, phone: null };
}

/**
 * Whether a donor key is one an entry's own content allows: the typed rule (with the phone the donors row
 * holds) for every donation, and the bank-line rule for those a statement import recorded (imports made
 * before that rule keyed their donors by the typed one). The bank rule is tried first: it is what an
 * import's entry has, and it costs no Unicode normalisation.
 */
export function donorKeyAllowed(e: Pick<CommittedEntry, "donation" | "idempotencyKey">, key: string, phone: string | null): boolean {
  const d = e.donation;
  if (!d) return false;
  if (e.idempotencyKey?.startsWith(IMPORT_KEY_PREFIX) && bankDonorIdentity(d.donorName, d.donorKind, d.note).key === key) return true;
  return typedDonorIdentity(d.donorName, d.donorKind, phone).key === key;
}

/** What "distinct donors" in the public figures counts, said where the figure is shown and documented. */
export const DONORS_COUNTED = {
  vi: "Số nhà hảo tâm đếm người gửi khác nhau: chuyển khoản theo số tài khoản người chuyển khi nội dung chuyển khoản có ghi, nếu không thì theo tên đúng như ngân hàng in trên dòng sao kê (một người in tên theo hai cách được đếm hai lần, hai người trùng tên in giống nhau được đếm một lần); tiền mặt và hiện vật theo tên (không phân biệt chữ hoa, chữ thường, khoảng trắng) và số điện thoại thủ quỹ ghi.",
  en: "Donors counts distinct senders: a bank transfer's sender by the account number its memo carries, otherwise by the name exactly as the bank printed it on the line (one person printed in two spellings counts twice, two people printed alike count once); cash and in-kind donors by the name (ignoring letter case and spacing) and phone number the treasurer recorded.",
} as const;

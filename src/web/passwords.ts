import { randomBytes, scrypt as scryptCb, timingSafeEqual } from "node:crypto";
import { promisify } from "node:util";

// Passwords are kept as scrypt hashes (Node's crypto; N=2^15, r=8, p=1, 64-byte key,
// 16-byte salt): "scrypt$N$r$p$salt$key", salt and key base64. Never logged, never returned.
const scrypt = promisify(scryptCb) as (pw: string, salt: Buffer, len: number, o: { N: number; r: number; p: number; maxmem: number }) => Promise<Buffer>;
const N = 32768;
const R = 8;
const P = 1;
const KEY_BYTES = 64;
const MAXMEM = 64 * 1024 * 1024;

export const MIN_PASSWORD = 10;
export const MAX_PASSWORD = 200;

export async function hashPassword(password: string): Promise<string> {
  const salt = randomBytes(16);
  const key = await scrypt(password.normalize("NFC"), salt, KEY_BYTES, { N, r: R, p: P, maxmem: MAXMEM });
  return `scrypt$${N}$${R}$${P}$${salt.toString("base64")}$${key.toString("base64")}`;
}

export async function checkPassword(password: string, stored: string): Promise<boolean> {
  const [tag, n, r, p, salt, key] = stored.split("$");
  if (tag !== "scrypt" || !n || !r || !p || !salt || !key) return false;
  const expected = Buffer.from(key, "base64");
  const got = await scrypt(password.normalize("NFC"), Buffer.from(salt, "base64"), expected.length,
    { N: Number(n), r: Number(r), p: Number(p), maxmem: MAXMEM });
  return got.length === expected.length && timingSafeEqual(got, expected);
}

/** Why a new password is refused, or null: long enough, not all one character, not the login. */
export function passwordProblem(password: string, login: string, lang: "vi" | "en" = "en"): string | null {
  const say = (vi: string, en: string) => (lang === "vi" ? vi : en);
  if (password.length < MIN_PASSWORD) return say(`cần ít nhất ${MIN_PASSWORD} ký tự`, `at least ${MIN_PASSWORD} characters`);
  if (password.length > MAX_PASSWORD) return say(`tối đa ${MAX_PASSWORD} ký tự`, `at most ${MAX_PASSWORD} characters`);
  if (new Set(password).size < 4) return say("quá đơn giản (dùng ít nhất 4 ký tự khác nhau)", "too simple (use at least 4 different characters)");
  if (password.toLowerCase().includes(login.toLowerCase())) return say("không được chứa tên đăng nhập", "must not contain the login");
  return null;
}

/** A readable generated password for a new account (shown once to the admin). */
export function generatePassword(): string {
  const alphabet = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  const bytes = randomBytes(16);
  let out = "";
  for (let i = 0; i < 16; i++) out += alphabet[bytes[i]! % alphabet.length];
  return `${out.slice(0, 4)}-${out.slice(4, 8)}-${out.slice(8, 12)}-${out.slice(12, 16)}`;
}

import { randomBytes, scrypt as scryptCb, timingSafeEqual, type ScryptOptions } from 'node:crypto';

/**
 * Password hashes: scrypt (node:crypto) with N = 2^15, r = 8, p = 1, a 16-byte random salt
 * and a 32-byte key; 32 MiB of memory and about 0.1 s of one core per hash. These are the
 * parameters OWASP's Password Storage Cheat Sheet lists for scrypt (2^17 would cost a Pi-class
 * control point too long per login). The parameters are stored in each hash, so raising them
 * later re-hashes nobody at once: old hashes keep verifying and `needsRehash` says when to
 * upgrade one at the next successful login.
 *
 * Format: `scrypt$<log2 N>$<r>$<p>$<salt base64>$<key base64>`.
 */
export const SCRYPT_PARAMS = { logN: 15, r: 8, p: 1, keyLen: 32, saltLen: 16 } as const;

export const PASSWORD_MIN_LENGTH = 10;
export const PASSWORD_MAX_LENGTH = 1024;

function scrypt(password: string, salt: Buffer, keyLen: number, opts: ScryptOptions): Promise<Buffer> {
  return new Promise((resolve, reject) => scryptCb(password.normalize('NFKC'), salt, keyLen, opts, (err, key) => (err ? reject(err) : resolve(key))));
}

const options = (logN: number, r: number, p: number): ScryptOptions => ({ N: 2 ** logN, r, p, maxmem: 256 * 2 ** logN * r + 1024 * 1024 });

export async function hashPassword(password: string): Promise<string> {
  const { logN, r, p, keyLen, saltLen } = SCRYPT_PARAMS;
  const salt = randomBytes(saltLen);
  const key = await scrypt(password, salt, keyLen, options(logN, r, p));
  return `scrypt$${logN}$${r}$${p}$${salt.toString('base64')}$${key.toString('base64')}`;
}

export async function verifyPassword(password: string, stored: string): Promise<boolean> {
  const m = /^scrypt\$(\d{1,2})\$(\d{1,2})\$(\d{1,2})\$([A-Za-z0-9+/=]+)\$([A-Za-z0-9+/=]+)$/.exec(stored);
  if (!m) return false;
  const [logN, r, p] = [Number(m[1]), Number(m[2]), Number(m[3])];
  if (logN < 10 || logN > 20 || r < 1 || r > 32 || p < 1 || p > 16) return false;
  const expected = Buffer.from(m[5]!, 'base64');
  const actual = await scrypt(password, Buffer.from(m[4]!, 'base64'), expected.length, options(logN, r, p));
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

export function needsRehash(stored: string): boolean {
  const { logN, r, p } = SCRYPT_PARAMS;
  return !stored.startsWith(`scrypt$${logN}$${r}$${p}$`);
}

/** A hash that no password matches, verified against when the user does not exist, so timing does not reveal which names exist. */
let dummy: Promise<string> | undefined;
export function dummyHash(): Promise<string> {
  return (dummy ??= hashPassword(randomBytes(16).toString('hex')));
}

/** Why a new password is refused, or undefined when it is acceptable. */
export function passwordProblem(password: string, userName?: string): string | undefined {
  if (password.length < PASSWORD_MIN_LENGTH) return `a password needs at least ${PASSWORD_MIN_LENGTH} characters`;
  if (password.length > PASSWORD_MAX_LENGTH) return `a password may have at most ${PASSWORD_MAX_LENGTH} characters`;
  if (userName && password.toLowerCase().includes(userName.toLowerCase())) return 'a password must not contain the user name';
  return undefined;
}

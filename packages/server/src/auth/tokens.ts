import { createHash, randomBytes } from 'node:crypto';

/**
 * Secrets handed out by the server (session cookies, API tokens, enrollment tokens) are
 * 256-bit random strings with a prefix saying what they are (`mas_` session, `mat_` API token,
 * `mae_` enrollment): a leaked one is recognisable in logs and by secret scanners. They have no
 * dictionary to slow down, so one SHA-256 is a sound verifier; only the digest is stored.
 */
export function newSecret(prefix: 'mas' | 'mat' | 'mae' | 'csrf'): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function sha256Hex(s: string): string {
  return createHash('sha256').update(s, 'utf8').digest('hex');
}

import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Node and API credentials are 256-bit random tokens, so a single SHA-256 is a sound
 * verifier (no dictionary to slow down); only the digest is stored.
 */
export function newToken(prefix: string): string {
  return `${prefix}_${randomBytes(32).toString('base64url')}`;
}

export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/**
 * Stored in place of a revoked node's credential digest. It is not a SHA-256 digest, so no
 * credential can ever match it, and the node row (with its history) stays.
 */
export const REVOKED_CREDENTIAL = 'revoked';

export function isRevoked(credentialHash: string): boolean {
  return credentialHash === REVOKED_CREDENTIAL;
}

export function verifyToken(token: string | Buffer | undefined, expectedHash: string): boolean {
  if (token === undefined || !/^[0-9a-f]{64}$/.test(expectedHash)) return false;
  const actual = Buffer.from(hashToken(typeof token === 'string' ? token : token.toString('utf8')), 'hex');
  const expected = Buffer.from(expectedHash, 'hex');
  return actual.length === expected.length && timingSafeEqual(actual, expected);
}

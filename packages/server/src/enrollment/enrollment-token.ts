import { newSecret } from '../auth/tokens.js';

/**
 * An enrollment token is `mae_<secret>` and, when the server has a private CA, `.<SHA-256 of
 * the CA certificate, base64url>`: the agent pins that CA before it sends the secret anywhere.
 * Only the secret part is hashed and stored.
 */
export interface EnrollmentToken {
  secret: string;
  /** SHA-256 of the CA certificate (DER), hex; undefined when the server has no private CA. */
  caFingerprint: string | undefined;
}

export function newEnrollmentToken(caFingerprintHex: string | undefined): { token: string; secret: string } {
  const secret = newSecret('mae');
  const pin = caFingerprintHex ? `.${Buffer.from(caFingerprintHex, 'hex').toString('base64url')}` : '';
  return { token: `${secret}${pin}`, secret };
}

export function parseEnrollmentToken(token: string): EnrollmentToken | undefined {
  const m = /^(mae_[A-Za-z0-9_-]{43})(?:\.([A-Za-z0-9_-]{43}))?$/.exec(token.trim());
  if (!m) return undefined;
  return { secret: m[1]!, caFingerprint: m[2] ? Buffer.from(m[2], 'base64url').toString('hex') : undefined };
}

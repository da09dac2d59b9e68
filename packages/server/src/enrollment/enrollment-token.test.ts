import { describe, expect, it } from 'vitest';
import { newEnrollmentToken, parseEnrollmentToken } from './enrollment-token.js';

describe('enrollment tokens', () => {
  const fp = 'ab'.repeat(32);
  it('carry the CA fingerprint after the secret, and parse back to both', () => {
    const { token, secret } = newEnrollmentToken(fp);
    expect(token.startsWith(`${secret}.`)).toBe(true);
    expect(parseEnrollmentToken(token)).toEqual({ secret, caFingerprint: fp });
  });
  it('carry no fingerprint when the server has no private CA', () => {
    const { token, secret } = newEnrollmentToken(undefined);
    expect(parseEnrollmentToken(token)).toEqual({ secret, caFingerprint: undefined });
  });
  it('refuse anything else', () => {
    for (const bad of ['', 'mae_short', 'mat_' + 'a'.repeat(43), `mae_${'a'.repeat(43)}.xyz`, `mae_${'a'.repeat(43)}; rm -rf /`]) expect(parseEnrollmentToken(bad)).toBeUndefined();
  });
});

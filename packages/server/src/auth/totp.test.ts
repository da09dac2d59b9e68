import { describe, expect, it } from 'vitest';
import { base32Decode, base32Encode, hotp, newTotpSecret, totp, verifyTotp, type TotpAlgorithm } from './totp.js';

describe('TOTP (RFC 6238) and HOTP (RFC 4226)', () => {
  it('matches RFC 4226 Appendix D: HOTP of the ASCII secret "12345678901234567890" for counters 0..9', () => {
    const key = Buffer.from('12345678901234567890');
    expect(Array.from({ length: 10 }, (_, c) => hotp(key, c))).toEqual(['755224', '287082', '359152', '969429', '338314', '254676', '287922', '162583', '399871', '520489']);
  });

  // RFC 6238 Appendix B: 8-digit codes, 30 s steps, one seed per hash.
  const seeds: Record<TotpAlgorithm, Buffer> = {
    sha1: Buffer.from('12345678901234567890'),
    sha256: Buffer.from('12345678901234567890123456789012'),
    sha512: Buffer.from('1234567890123456789012345678901234567890123456789012345678901234'),
  };
  const vectors: Array<[number, string, string, string]> = [
    [59, '94287082', '46119246', '90693936'],
    [1111111109, '07081804', '68084774', '25091201'],
    [1111111111, '14050471', '67062674', '99943326'],
    [1234567890, '89005924', '91819424', '93441116'],
    [2000000000, '69279037', '90698825', '38618901'],
    [20000000000, '65353130', '77737706', '47863826'],
  ];
  it.each(vectors)('matches RFC 6238 Appendix B at T = %i s', (t, sha1, sha256, sha512) => {
    expect(totp(seeds.sha1, t * 1000, { digits: 8 })).toBe(sha1);
    expect(totp(seeds.sha256, t * 1000, { digits: 8, algorithm: 'sha256' })).toBe(sha256);
    expect(totp(seeds.sha512, t * 1000, { digits: 8, algorithm: 'sha512' })).toBe(sha512);
  });

  it('accepts a code one step either side of now, refuses two steps away, malformed codes and a reused step', () => {
    const key = seeds.sha1;
    const now = 1_700_000_000_000;
    expect(verifyTotp(key, totp(key, now - 30_000), now)).toBeDefined();
    expect(verifyTotp(key, totp(key, now + 30_000), now)).toBeDefined();
    expect(verifyTotp(key, totp(key, now - 60_000), now)).toBeUndefined();
    expect(verifyTotp(key, '12345', now)).toBeUndefined();
    expect(verifyTotp(key, "1' OR 1", now)).toBeUndefined();
    const step = verifyTotp(key, totp(key, now), now)!;
    expect(verifyTotp(key, totp(key, now), now, { notAfterStep: step })).toBeUndefined();
  });

  it('encodes base32 as RFC 4648 section 10 (without padding) and decodes it back', () => {
    const cases: Array<[string, string]> = [['f', 'MY'], ['fo', 'MZXQ'], ['foo', 'MZXW6'], ['foob', 'MZXW6YQ'], ['fooba', 'MZXW6YTB'], ['foobar', 'MZXW6YTBOI']];
    for (const [plain, b32] of cases) {
      expect(base32Encode(Buffer.from(plain))).toBe(b32);
      expect(base32Decode(`${b32}======`).toString()).toBe(plain);
    }
    expect(() => base32Decode('MZ1')).toThrow(/not base32/);
    expect(base32Decode(newTotpSecret())).toHaveLength(20);
  });
});

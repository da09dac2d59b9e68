import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, type AllowListBodyInput } from './allow-list.js';
import { ErrorCode, MaError } from './errors.js';
import { cardHash, generateAllowListKeyPair, signAllowList, verifyAllowList } from './signing.js';

const keys = generateAllowListKeyPair();
const salt = randomBytes(16).toString('base64');
const body = (over: Partial<AllowListBodyInput> = {}): AllowListBodyInput => ({
  v: 1,
  node: 'laser-pi',
  version: 7,
  issued_at: 1_800_000_000_000,
  expires_at: 1_800_086_400_000,
  card_salt: salt,
  key_id: 'k1',
  equipment: { laser_cutter: { fail_secure: true } },
  entries: [{ card: cardHash(salt, '0004718245'), person: 'Ada', equipment: ['laser_cutter'], expires_at: 1_800_003_600_000 }],
  deny: [{ card: cardHash(salt, '0009999999'), reason: 'revoked' }],
  ...over,
});

describe('canonical JSON', () => {
  it('sorts keys at every depth and drops undefined members', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { z: 1, y: 2 }], c: undefined } })).toBe('{"a":{"d":[1,{"y":2,"z":1}]},"b":1}');
  });
  it('refuses values JSON cannot carry exactly', () => {
    expect(() => canonicalJson({ a: Number.NaN })).toThrow(/non-finite/);
    expect(() => canonicalJson({ a: 1n })).toThrow(/bigint/);
  });
});

describe('card hashes', () => {
  it('are keyed by the salt and insensitive to case and surrounding space', () => {
    expect(cardHash(salt, ' 1a2b3c4d5e ')).toBe(cardHash(salt, '1A2B3C4D5E'));
    expect(cardHash(salt, '1A2B3C4D5E')).not.toBe(cardHash(randomBytes(16).toString('base64'), '1A2B3C4D5E'));
    expect(cardHash(salt, '1A2B3C4D5E')).toMatch(/^[0-9a-f]{64}$/);
  });
});

describe('allow-list signatures', () => {
  it('a signed list verifies under the public key and round-trips through JSON', () => {
    const signed = signAllowList(body(), keys.privateKeyPem);
    const wire = JSON.parse(JSON.stringify(signed)) as unknown;
    const verified = verifyAllowList(wire, keys.publicKeyPem);
    expect(verified.version).toBe(7);
    expect(verified.entries[0]?.person).toBe('Ada');
    expect('sig' in verified).toBe(false);
  });

  it('verifies whatever the key order on the wire', () => {
    const signed = signAllowList(body(), keys.privateKeyPem);
    const reordered = Object.fromEntries(Object.entries(signed).reverse());
    expect(verifyAllowList(reordered, keys.publicKeyPem).version).toBe(7);
  });

  it('refuses a list changed after signing (an entry added, a deny removed, an expiry extended)', () => {
    const signed = signAllowList(body(), keys.privateKeyPem);
    const tampered = [
      { ...signed, entries: [...signed.entries, { card: cardHash(salt, '1'), equipment: ['laser_cutter'], expires_at: 1_900_000_000_000 }] },
      { ...signed, deny: [] },
      { ...signed, expires_at: signed.expires_at + 1 },
      { ...signed, extra: 'field' },
    ];
    for (const t of tampered) {
      expect(() => verifyAllowList(t, keys.publicKeyPem)).toThrow(expect.objectContaining({ code: ErrorCode.AuthForbidden }) as MaError);
    }
  });

  it('refuses a list signed by another key', () => {
    const other = generateAllowListKeyPair();
    const signed = signAllowList(body(), other.privateKeyPem);
    expect(() => verifyAllowList(signed, keys.publicKeyPem)).toThrow(/does not verify/);
  });

  it('refuses malformed documents with the field that is wrong', () => {
    expect(() => verifyAllowList('nope', keys.publicKeyPem)).toThrow(/not a JSON object/);
    expect(() => verifyAllowList({ ...body() }, keys.publicKeyPem)).toThrow(/sig/);
    expect(() => signAllowList(body({ version: 0 }), keys.privateKeyPem)).toThrow(/allow-list version/);
    expect(() => signAllowList(body({ entries: [{ card: 'RAW-CARD', equipment: ['laser_cutter'], expires_at: 1 }] }), keys.privateKeyPem)).toThrow(/entries\.0\.card/);
  });

  it('refuses keys that are not Ed25519', () => {
    expect(() => verifyAllowList(signAllowList(body(), keys.privateKeyPem), 'not a key')).toThrow(/PEM public key/);
  });
});

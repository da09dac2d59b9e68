import { describe, expect, it } from 'vitest';
import { hashPassword, needsRehash, passwordProblem, SCRYPT_PARAMS, verifyPassword } from './password.js';

describe('password hashing (scrypt)', () => {
  it('verifies the right password, refuses a wrong one, and salts each hash', async () => {
    const a = await hashPassword('correct horse battery');
    const b = await hashPassword('correct horse battery');
    expect(a).not.toBe(b);
    expect(a).toMatch(new RegExp(`^scrypt\\$${SCRYPT_PARAMS.logN}\\$8\\$1\\$`));
    expect(await verifyPassword('correct horse battery', a)).toBe(true);
    expect(await verifyPassword('correct horse batterY', a)).toBe(false);
    expect(needsRehash(a)).toBe(false);
  });

  it('keeps verifying a hash made with other (stored) parameters and says it needs a rehash', async () => {
    const weak = 'scrypt$10$8$1$c2FsdHNhbHRzYWx0c2FsdA==$' + 'A'.repeat(44);
    expect(await verifyPassword('x', weak)).toBe(false);
    expect(needsRehash(weak)).toBe(true);
  });

  it('refuses malformed or absurd stored hashes instead of throwing', async () => {
    for (const bad of ['', 'plain', 'scrypt$30$8$1$AA==$AA==', 'bcrypt$2b$10$abc']) expect(await verifyPassword('x', bad)).toBe(false);
  });

  it('explains why a new password is refused', () => {
    expect(passwordProblem('short')).toMatch(/at least 10/);
    expect(passwordProblem('alice-is-great', 'alice')).toMatch(/user name/);
    expect(passwordProblem('x'.repeat(2000))).toMatch(/at most/);
    expect(passwordProblem('a long enough passphrase')).toBeUndefined();
  });
});

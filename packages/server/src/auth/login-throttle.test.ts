import { describe, expect, it } from 'vitest';
import { LoginThrottle } from './login-throttle.js';

const policy = { freeAttempts: 3, baseLockMs: 1000, maxLockMs: 8000, forgetAfterMs: 60_000, maxKeys: 3 };

describe('login throttle', () => {
  it('allows the free attempts, then locks with a doubling delay up to the cap', () => {
    const t = new LoginThrottle(policy);
    for (let i = 0; i < 2; i++) t.fail('ip:1', 0);
    expect(t.retryAfter('ip:1', 0)).toBe(0);
    t.fail('ip:1', 0);
    expect(t.retryAfter('ip:1', 0)).toBe(1000);
    t.fail('ip:1', 1000);
    expect(t.retryAfter('ip:1', 1000)).toBe(2000);
    for (let i = 0; i < 10; i++) t.fail('ip:1', 5000);
    expect(t.retryAfter('ip:1', 5000)).toBe(8000);
  });

  it('keeps keys apart, clears a key on success and forgets one that stays quiet', () => {
    const t = new LoginThrottle(policy);
    for (let i = 0; i < 3; i++) t.fail('user:alice', 0);
    expect(t.retryAfter('user:bob', 0)).toBe(0);
    t.succeed('user:alice');
    expect(t.retryAfter('user:alice', 0)).toBe(0);
    for (let i = 0; i < 3; i++) t.fail('user:alice', 0);
    expect(t.failures('user:alice', 61_001)).toBe(0);
  });

  it('holds at most maxKeys keys, dropping the oldest', () => {
    const t = new LoginThrottle(policy);
    for (const k of ['a', 'b', 'c', 'd']) t.fail(k, 0);
    expect(t.failures('a', 0)).toBe(0);
    expect(t.failures('d', 0)).toBe(1);
  });
});

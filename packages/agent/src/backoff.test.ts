import { describe, expect, it } from 'vitest';
import { Backoff } from './backoff.js';

describe('Backoff', () => {
  it('grows exponentially up to the cap, with jitter inside [min, cap]', () => {
    const top = new Backoff(1000, 60_000, () => 1);
    expect([top.next(), top.next(), top.next(), top.next()]).toEqual([1000, 2000, 4000, 8000]);
    for (let i = 0; i < 10; i++) top.next();
    expect(top.next()).toBe(60_000);
    const bottom = new Backoff(1000, 60_000, () => 0);
    bottom.next();
    expect(bottom.next()).toBe(1000);
  });

  it('starts over after reset', () => {
    const b = new Backoff(500, 10_000, () => 1);
    b.next();
    b.next();
    b.reset();
    expect(b.next()).toBe(500);
  });
});

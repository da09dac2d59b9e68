/**
 * Counts failed logins per key (a user name, a client address) and locks a key out with
 * exponential backoff once it has used its free attempts: 1 s, 2 s, 4 s, ... up to `maxLockMs`.
 * A key that stays quiet for `forgetAfterMs` starts afresh; a success clears it.
 *
 * Kept in memory: a restart forgets the counts, which costs an attacker a server restart per
 * handful of guesses; the audit log keeps every failure anyway. The map is bounded, so a
 * flood of distinct keys cannot exhaust memory (the oldest entries go first).
 */
export interface ThrottlePolicy {
  freeAttempts: number;
  baseLockMs: number;
  maxLockMs: number;
  forgetAfterMs: number;
  maxKeys: number;
}

interface Entry {
  failures: number;
  lastFailure: number;
  lockedUntil: number;
}

export class LoginThrottle {
  readonly #entries = new Map<string, Entry>();

  constructor(readonly policy: ThrottlePolicy) {}

  /** Milliseconds until `key` may try again; 0 when it may try now. */
  retryAfter(key: string, now: number): number {
    const e = this.#live(key, now);
    return e ? Math.max(0, e.lockedUntil - now) : 0;
  }

  fail(key: string, now: number): void {
    const e = this.#live(key, now) ?? { failures: 0, lastFailure: now, lockedUntil: 0 };
    e.failures += 1;
    e.lastFailure = now;
    const over = e.failures - this.policy.freeAttempts;
    if (over >= 0) e.lockedUntil = now + Math.min(this.policy.maxLockMs, this.policy.baseLockMs * 2 ** Math.min(over, 30));
    this.#entries.delete(key); // re-insert: Map order is the eviction order
    this.#entries.set(key, e);
    while (this.#entries.size > this.policy.maxKeys) this.#entries.delete(this.#entries.keys().next().value!);
  }

  succeed(key: string): void {
    this.#entries.delete(key);
  }

  failures(key: string, now: number): number {
    return this.#live(key, now)?.failures ?? 0;
  }

  #live(key: string, now: number): Entry | undefined {
    const e = this.#entries.get(key);
    if (e && now - e.lastFailure > this.policy.forgetAfterMs && now >= e.lockedUntil) {
      this.#entries.delete(key);
      return undefined;
    }
    return e;
  }
}

import type { Logger } from 'pino';

/**
 * Logs a node's rejected messages once per distinct reason, and again only after the
 * reason changes or an hour passes, so a misbehaving node cannot flood the log. Counting
 * is done by the caller; this only decides what to log.
 */
export class RejectLog {
  readonly #last = new Map<string, { reason: string; at: number }>();
  constructor(
    private readonly log: Logger,
    private readonly quietMs = 3_600_000,
  ) {}

  reject(node: string, reason: string, now = Date.now()): void {
    const prev = this.#last.get(node);
    if (prev && prev.reason === reason && now - prev.at < this.quietMs) return;
    // Keys can come from unauthenticated usernames: bound the memory they can take.
    if (this.#last.size >= 10_000) this.#last.clear();
    this.#last.set(node, { reason, at: now });
    this.log.warn({ node, reason }, 'refused by the server (repeats of the same reason are counted, not logged)');
  }
}

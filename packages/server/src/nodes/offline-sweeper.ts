import type { Logger } from 'pino';
import type { NodeRow, Store } from '../store/store.js';

/**
 * Marks nodes offline that have gone quiet for longer than `offlineAfterMs`, for the cases a
 * last-will cannot cover (a half-open TCP connection after a Wi-Fi drop, a server restart).
 */
export class OfflineSweeper {
  #timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    private readonly offlineAfterMs: number,
    private readonly markOffline: (node: NodeRow) => Promise<void>,
    private readonly log: Logger,
  ) {}

  start(): void {
    const every = Math.max(1000, Math.min(10_000, Math.floor(this.offlineAfterMs / 3)));
    this.#timer = setInterval(() => void this.sweep().catch((err: unknown) => this.log.error({ err }, 'offline sweep failed')), every);
    this.#timer.unref();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async sweep(now = Date.now()): Promise<void> {
    for (const node of await this.store.listNodes()) {
      if (node.online && (node.last_seen === null || now - node.last_seen > this.offlineAfterMs)) {
        this.log.info({ node: node.name, last_seen: node.last_seen }, 'node went quiet; marking offline');
        await this.markOffline(node);
      }
    }
  }
}

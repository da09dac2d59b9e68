import type { LiveMessage } from '@ma/protocol';

/** A subscriber to the live feed; returns false when it can take no more (slow consumer). */
export interface LiveSubscriber {
  send(message: LiveMessage): boolean;
}

/**
 * Fans out live messages (new readings, node status, channels) to every connected
 * dashboard. A subscriber that errors is dropped; it never affects ingest.
 */
export class LiveHub {
  readonly #subscribers = new Set<LiveSubscriber>();

  subscribe(s: LiveSubscriber): () => void {
    this.#subscribers.add(s);
    return () => this.#subscribers.delete(s);
  }

  get size(): number {
    return this.#subscribers.size;
  }

  publish(message: LiveMessage): void {
    for (const s of this.#subscribers) {
      try {
        if (!s.send(message)) this.#subscribers.delete(s);
      } catch {
        this.#subscribers.delete(s);
      }
    }
  }
}

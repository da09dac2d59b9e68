/**
 * Exponential backoff with full jitter (delay drawn uniformly from [min, cap]) so that a
 * room of nodes that lost Wi-Fi together does not reconnect in lockstep.
 */
export class Backoff {
  #attempt = 0;
  constructor(
    private readonly minMs: number,
    private readonly maxMs: number,
    private readonly random: () => number = Math.random,
  ) {}

  next(): number {
    const cap = Math.min(this.maxMs, this.minMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    return Math.round(this.minMs + this.random() * (cap - this.minMs));
  }

  reset(): void {
    this.#attempt = 0;
  }
}

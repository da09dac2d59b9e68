/** The latest value of every local channel, for interlocks and idle detection. */
export interface ChannelValue {
  v: number;
  ts: number;
}

export class ChannelValues {
  readonly #values = new Map<string, ChannelValue>();
  readonly #listeners = new Set<(key: string, value: ChannelValue) => void>();

  set(key: string, v: number, ts: number): void {
    const value = { v, ts };
    this.#values.set(key, value);
    for (const l of this.#listeners) l(key, value);
  }

  /** The value if it is not older than `maxAgeMs` at `now`. */
  get(key: string, now: number, maxAgeMs: number): number | undefined {
    const value = this.#values.get(key);
    if (!value || now - value.ts > maxAgeMs) return undefined;
    return value.v;
  }

  latest(key: string): ChannelValue | undefined {
    return this.#values.get(key);
  }

  onChange(listener: (key: string, value: ChannelValue) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}

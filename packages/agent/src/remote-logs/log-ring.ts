/**
 * The agent's recent log lines, kept in memory for `ma logs <node>`: a pino destination that
 * remembers the last `capacity` lines and passes new ones to whoever follows them.
 */
export class LogRing {
  readonly #lines: string[] = [];
  readonly #followers = new Set<(line: string) => void>();

  constructor(private readonly capacity = 1000) {}

  /** pino calls this with one serialised log line (ending in a newline). */
  write(chunk: string): boolean {
    const line = chunk.endsWith('\n') ? chunk.slice(0, -1) : chunk;
    this.#lines.push(line);
    if (this.#lines.length > this.capacity) this.#lines.shift();
    for (const f of this.#followers) f(line);
    return true;
  }

  tail(n: number): string[] {
    return this.#lines.slice(-Math.max(0, n));
  }

  follow(f: (line: string) => void): () => void {
    this.#followers.add(f);
    return () => this.#followers.delete(f);
  }
}

/**
 * Lock-out/tag-out, kept on the node so it holds with no server and survives restarts (a
 * vanished lock-out is how people get hurt). One JSON file, replaced durably on every change.
 */
import { ErrorCode, lockoutSchema, MaError, type Lockout } from '@ma/protocol';
import { z } from 'zod';
import type { Logger } from '../logger.js';
import { readFileIfExists, writeFileDurably } from './durable-file.js';

const fileSchema = z.object({ v: z.literal(1), lockouts: z.record(z.string(), lockoutSchema) });

export class LockoutStore {
  #lockouts = new Map<string, Lockout>();
  #chain: Promise<void> = Promise.resolve();

  constructor(
    private readonly file: string,
    private readonly log: Logger,
  ) {}

  /**
   * Loads the file. A corrupt file is not ignored (that would silently unlock machines):
   * it throws, and the agent refuses to start until someone looks at it.
   */
  async load(): Promise<void> {
    const text = await readFileIfExists(this.file);
    if (text === undefined) return;
    let parsed;
    try {
      parsed = fileSchema.parse(JSON.parse(text));
    } catch (err) {
      throw new MaError(ErrorCode.StorageCorrupt, `lock-out file ${this.file} is unreadable (${(err as Error).message.split('\n')[0]}); fix or remove it after checking which machines are locked out`, { cause: err });
    }
    this.#lockouts = new Map(Object.entries(parsed.lockouts));
    if (this.#lockouts.size > 0) this.log.warn({ actuators: [...this.#lockouts.keys()] }, 'lock-outs in force');
  }

  get(actuator: string): Lockout | undefined {
    return this.#lockouts.get(actuator);
  }

  all(): ReadonlyMap<string, Lockout> {
    return this.#lockouts;
  }

  /** Sets or replaces; resolves once it is on disk. */
  set(actuator: string, lockout: Lockout): Promise<void> {
    this.#lockouts.set(actuator, lockout);
    return this.#persist();
  }

  clear(actuator: string): Promise<void> {
    this.#lockouts.delete(actuator);
    return this.#persist();
  }

  #persist(): Promise<void> {
    const snapshot = JSON.stringify({ v: 1, lockouts: Object.fromEntries(this.#lockouts) });
    const p = this.#chain.then(() => writeFileDurably(this.file, snapshot));
    this.#chain = p.catch(() => undefined);
    return p;
  }
}

import { isMaError } from '@ma/protocol';
import type { ChannelSpec, DriverInstance } from './drivers/driver.js';
import type { Logger } from './logger.js';

export interface SampledReading {
  ch: string;
  ts: number;
  v: number;
}

export interface ChannelHealth {
  available: boolean;
  error?: string;
}

export interface SchedulerEvents {
  /** A sensor produced a good reading. */
  reading(r: SampledReading): void;
  /** A channel became unavailable (first failure) or available again (first success). */
  health(key: string, health: ChannelHealth): void;
  /** The set of channels changed (discovery found new devices). */
  channelsChanged(): void;
}

interface Running {
  driver: DriverInstance;
  driverId: string;
  timers: Map<string, NodeJS.Timeout>;
}

/**
 * Samples every sensor channel at its own interval. A failing read marks the channel
 * unavailable and is logged once; the first good read after that logs the recovery once.
 * Reads of one channel never overlap; channels are independent of each other.
 */
export class Scheduler {
  readonly #running: Running[] = [];
  readonly #health = new Map<string, ChannelHealth>();
  readonly #busy = new Set<string>();
  #rediscoverTimer: NodeJS.Timeout | undefined;
  #stopped = false;

  constructor(
    private readonly events: SchedulerEvents,
    private readonly log: Logger,
    private readonly now: () => number = Date.now,
  ) {}

  async start(drivers: Array<{ id: string; instance: DriverInstance }>, signal: AbortSignal, rediscoverMs: number): Promise<void> {
    for (const { id, instance } of drivers) {
      await instance.start(signal);
      const r: Running = { driver: instance, driverId: id, timers: new Map() };
      this.#running.push(r);
      this.#schedule(r);
    }
    this.#rediscoverTimer = setInterval(() => void this.rediscover(), rediscoverMs);
    this.#rediscoverTimer.unref();
  }

  channels(): ChannelSpec[] {
    return this.#running.flatMap((r) => r.driver.channels());
  }

  health(): Record<string, ChannelHealth> {
    return Object.fromEntries(this.#health);
  }

  async rediscover(): Promise<void> {
    let changed = false;
    for (const r of this.#running) {
      if (!r.driver.rediscover) continue;
      try {
        await r.driver.rediscover();
      } catch (err) {
        this.log.warn({ driver: r.driverId, err: (err as Error).message }, 'rediscovery failed');
        continue;
      }
      changed = this.#schedule(r) || changed;
    }
    if (changed) this.events.channelsChanged();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearInterval(this.#rediscoverTimer);
    for (const r of this.#running) {
      for (const t of r.timers.values()) clearInterval(t);
      r.timers.clear();
      await r.driver.stop();
    }
  }

  /** Starts timers for channels that have none; returns whether any were added. */
  #schedule(r: Running): boolean {
    let added = false;
    for (const spec of r.driver.channels()) {
      if (spec.kind !== 'sensor' || r.timers.has(spec.key) || !r.driver.read) continue;
      added = true;
      const timer = setInterval(() => void this.#sample(r, spec), spec.intervalMs);
      r.timers.set(spec.key, timer);
      // First sample at once, so a new install shows data within seconds.
      void this.#sample(r, spec);
    }
    return added;
  }

  async #sample(r: Running, spec: ChannelSpec): Promise<void> {
    if (this.#stopped || this.#busy.has(spec.key)) return;
    this.#busy.add(spec.key);
    try {
      const ts = this.now();
      const v = await r.driver.read!(spec.key);
      if (this.#stopped) return;
      this.#setHealth(spec.key, { available: true });
      this.events.reading({ ch: spec.key, ts, v });
    } catch (err) {
      const message = isMaError(err) || err instanceof Error ? err.message : String(err);
      this.#setHealth(spec.key, { available: false, error: message });
    } finally {
      this.#busy.delete(spec.key);
    }
  }

  #setHealth(key: string, health: ChannelHealth): void {
    const prev = this.#health.get(key);
    if (prev && prev.available === health.available && prev.error === health.error) return;
    this.#health.set(key, health);
    if (!health.available && (!prev || prev.available)) {
      this.log.warn({ channel: key, error: health.error }, 'channel unavailable');
    } else if (health.available && prev && !prev.available) {
      this.log.info({ channel: key }, 'channel available again');
    }
    // Only transitions matter to the server; a changed error text on an already
    // unavailable channel is kept locally but not re-announced.
    if (!prev || prev.available !== health.available) this.events.health(key, health);
  }
}

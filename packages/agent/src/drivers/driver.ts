import type { ChannelMeta } from '@ma/protocol';
import type { z } from 'zod';
import type { Logger } from '../logger.js';

/**
 * The one interface every driver implements (see STYLE.md "Drivers are plugins").
 * A driver module exports a `DriverDescriptor`; its `create` does no I/O, `start()` may.
 */

/** A channel a driver instance exposes, as configured and discovered. */
export interface ChannelSpec extends ChannelMeta {
  /** Unique within the node, e.g. `ds18b20/28-00000c1a748d`. */
  key: string;
  /** Sampling interval in ms for sensors. */
  intervalMs: number;
  /** Expected range; a value outside it is a bad reading, not a reading. */
  range?: { min: number; max: number };
}

export interface DriverContext {
  log: Logger;
  /** Wall clock, injectable for tests. */
  now(): number;
}

export interface DriverInstance {
  /** Performs discovery and opens devices. Called once; may be called again after stop(). */
  start(signal: AbortSignal): Promise<void>;
  stop(): Promise<void>;
  /** Channels known after start(); may grow when discovery finds new devices. */
  channels(): ChannelSpec[];
  /** Reads one sensor channel. Throws a MaError (driver range) for a bad or failed read. */
  read?(key: string): Promise<number>;
  /** Sets an actuator channel; returns the value actually applied. */
  write?(key: string, value: number): Promise<number>;
  /** Re-runs discovery (e.g. a probe plugged in later). Optional. */
  rediscover?(): Promise<void>;
}

export interface DriverDescriptor<S extends z.ZodTypeAny = z.ZodTypeAny> {
  /** Stable id used in config (`driver: ds18b20`). */
  id: string;
  description: string;
  /** Validates this driver's section of agent.yaml. */
  configSchema: S;
  /** Builds an instance; must not touch the OS. */
  create(config: z.output<S>, ctx: DriverContext): DriverInstance;
}

/**
 * The contract every driver passes, run by each driver's test against its simulated
 * device (STYLE.md: "Every driver passes one shared contract suite"). Imported by tests only.
 */
import { CHANNEL_KEY_PATTERN, channelMetaSchema, isMaError } from '@ma/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import type { DriverContext, DriverDescriptor, DriverInstance } from './driver.js';
import { silentLogger } from '../logger.js';

export interface DriverContractSetup {
  descriptor: DriverDescriptor;
  /** Raw config (as in agent.yaml) for an instance that finds a working simulated device. */
  config: Record<string, unknown>;
  /** Raw config whose device tree does not exist at all (e.g. a missing sysfs root), if the driver has one. */
  configWithoutDevices?: Record<string, unknown>;
  /** Defaults to a silent logger and Date.now. */
  ctx?: DriverContext;
  cleanup?: () => Promise<void>;
}

/** Runs the shared driver contract; `setup` is called once per test and builds a fresh device. */
export function describeDriverContract(name: string, setup: () => Promise<DriverContractSetup>): void {
  describe(`driver contract: ${name}`, () => {
    let current: { s: DriverContractSetup; instances: DriverInstance[] } | undefined;

    async function instance(which: 'config' | 'configWithoutDevices' = 'config'): Promise<{ s: DriverContractSetup; d: DriverInstance }> {
      const s = current?.s ?? (await setup());
      current ??= { s, instances: [] };
      const raw = s[which];
      if (!raw) throw new Error(`contract setup for ${name} has no ${which}`);
      const ctx = s.ctx ?? { log: silentLogger(), now: () => Date.now() };
      const d = s.descriptor.create(s.descriptor.configSchema.parse(raw), ctx);
      current.instances.push(d);
      return { s, d };
    }

    afterEach(async () => {
      for (const d of current?.instances ?? []) await d.stop();
      await current?.s.cleanup?.();
      current = undefined;
    });

    it('has a stable lowercase id and a strict config schema that rejects unknown keys', async () => {
      const s = await setup();
      current = { s, instances: [] };
      expect(s.descriptor.id).toMatch(/^[a-z0-9_-]+$/);
      expect(s.descriptor.configSchema.safeParse(s.config).success).toBe(true);
      expect(s.descriptor.configSchema.safeParse({ ...s.config, no_such_key: 1 }).success).toBe(false);
    });

    it('create() does no I/O: it succeeds even when the device tree does not exist', async () => {
      const { s } = await instance();
      if (!s.configWithoutDevices) return;
      const { d } = await instance('configWithoutDevices');
      expect(typeof d.start).toBe('function');
    });

    it('start() then channels() gives well-formed specs with unique keys', async () => {
      const { s, d } = await instance();
      await d.start(new AbortController().signal);
      const specs = d.channels();
      expect(specs.length).toBeGreaterThan(0);
      expect(new Set(specs.map((c) => c.key)).size).toBe(specs.length);
      for (const c of specs) {
        expect(c.key).toMatch(CHANNEL_KEY_PATTERN);
        expect(c.driver).toBe(s.descriptor.id);
        expect(channelMetaSchema.safeParse(c).success, `metadata of ${c.key}`).toBe(true);
        expect(typeof c.unit).toBe('string');
        expect(Number.isFinite(c.intervalMs) && c.intervalMs > 0, `intervalMs of ${c.key}`).toBe(true);
        if (c.range) expect(c.range.min).toBeLessThan(c.range.max);
      }
    });

    it('read() of every sensor channel returns a finite number within its range', async () => {
      const { d } = await instance();
      await d.start(new AbortController().signal);
      const sensors = d.channels().filter((c) => c.kind === 'sensor');
      if (sensors.length > 0) expect(d.read).toBeTypeOf('function');
      const values = await Promise.all(sensors.map((c) => d.read!(c.key)));
      sensors.forEach((c, i) => {
        const v = values[i]!;
        expect(Number.isFinite(v), `${c.key} = ${v}`).toBe(true);
        if (c.range) {
          expect(v, c.key).toBeGreaterThanOrEqual(c.range.min);
          expect(v, c.key).toBeLessThanOrEqual(c.range.max);
        }
      });
    });

    it('read() of an unknown key rejects with a MaError', async () => {
      const { d } = await instance();
      await d.start(new AbortController().signal);
      if (!d.read) return;
      const err = await d.read('no-such/channel').catch((e: unknown) => e);
      expect(isMaError(err), String(err)).toBe(true);
    });

    it('stop() is idempotent, read() after stop() rejects with a MaError, and start() works again', async () => {
      const { d } = await instance();
      await d.stop();
      await d.start(new AbortController().signal);
      const keys = d.channels().map((c) => c.key);
      await d.stop();
      await d.stop();
      const sensor = d.channels().find((c) => c.kind === 'sensor');
      if (d.read && sensor) expect(isMaError(await d.read(sensor.key).catch((e: unknown) => e))).toBe(true);
      await d.start(new AbortController().signal);
      expect(d.channels().map((c) => c.key)).toEqual(keys);
    });

    it('start() with an already aborted signal rejects', async () => {
      const { d } = await instance();
      const ac = new AbortController();
      ac.abort();
      await expect(d.start(ac.signal)).rejects.toBeDefined();
    });
  });
}

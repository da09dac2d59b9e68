import { ErrorCode, isMaError } from '@ma/protocol';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { describeDriverContract } from './contract.js';
import { getDriver } from './registry.js';
import { isSimulatedInstance, simulatedConfigSchema, simulatedDriver, type SimulatedDriverInstance } from './simulated.js';

const MIN = 60_000;
const T0 = Date.parse('2025-06-02T08:00:00Z');

/** A driver on a clock the test moves by hand. */
async function simulated(config: Record<string, unknown> = {}): Promise<{ d: SimulatedDriverInstance; clock: { t: number } }> {
  const clock = { t: T0 };
  const d = simulatedDriver.create(simulatedConfigSchema.parse(config), { log: silentLogger(), now: () => clock.t });
  await d.start(new AbortController().signal);
  return { d, clock };
}

/** Reads `key` every `stepMs` for `durationMs`, advancing the clock. */
async function series(d: SimulatedDriverInstance, clock: { t: number }, key: string, durationMs: number, stepMs = 10_000): Promise<number[]> {
  const out: number[] = [];
  for (let elapsed = 0; elapsed < durationMs; elapsed += stepMs) {
    out.push(await d.read(key));
    clock.t += stepMs;
  }
  return out;
}

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

describeDriverContract('simulated', async () => ({ descriptor: simulatedDriver, config: { seed: 7 } }));

describe('simulated driver', () => {
  it('by default simulates a fridge and a freezer as °C temperature sensors every 5 s', async () => {
    const { d } = await simulated();
    expect(d.channels()).toEqual([
      { key: 'sim/fridge', kind: 'sensor', driver: 'simulated', quantity: 'temperature', unit: '°C', label: 'Simulated fridge', labels: { model: 'fridge' }, intervalMs: 5000, range: { min: -40, max: 60 } },
      { key: 'sim/freezer', kind: 'sensor', driver: 'simulated', quantity: 'temperature', unit: '°C', label: 'Simulated freezer', labels: { model: 'freezer' }, intervalMs: 5000, range: { min: -40, max: 60 } },
    ]);
  });

  it('uses configured sensor names, labels and interval', async () => {
    const { d } = await simulated({ interval: '1m', sensors: [{ name: 'incubator_room', model: 'room', label: 'Lab B12', labels: { floor: '1' } }] });
    expect(d.channels()).toEqual([expect.objectContaining({ key: 'sim/incubator_room', label: 'Lab B12', labels: { model: 'room', floor: '1' }, intervalMs: 60_000 })]);
  });

  it('rejects duplicate sensor names, unknown models and names that cannot be channel keys', () => {
    expect(simulatedConfigSchema.safeParse({ sensors: [{ name: 'a', model: 'fridge' }, { name: 'a', model: 'room' }] }).success).toBe(false);
    expect(simulatedConfigSchema.safeParse({ sensors: [{ name: 'a', model: 'oven' }] }).success).toBe(false);
    expect(simulatedConfigSchema.safeParse({ sensors: [{ name: 'a b', model: 'room' }] }).success).toBe(false);
  });

  it('is reproducible: the same seed and clock give the same readings, another seed different ones', async () => {
    const a = await simulated({ seed: 42 });
    const b = await simulated({ seed: 42 });
    const c = await simulated({ seed: 43 });
    const sa = await series(a.d, a.clock, 'sim/fridge', 30 * MIN);
    expect(await series(b.d, b.clock, 'sim/fridge', 30 * MIN)).toEqual(sa);
    expect(await series(c.d, c.clock, 'sim/fridge', 30 * MIN)).not.toEqual(sa);
  });

  it('readings are quantised to a DS18B20 step of 1/16 °C', async () => {
    const { d, clock } = await simulated();
    for (const v of await series(d, clock, 'sim/freezer', 10 * MIN)) expect(Number.isInteger(v * 16)).toBe(true);
  });

  it('a fridge cycles within about 3–5 °C, with a compressor cycle of 25–35 min', async () => {
    const { d, clock } = await simulated({ seed: 3 });
    const xs = await series(d, clock, 'sim/fridge', 4 * 60 * MIN, 30_000);
    expect(Math.min(...xs)).toBeGreaterThan(2.5);
    expect(Math.max(...xs)).toBeLessThan(5.5);
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(1.5);
    // Count pull-downs: the compressor starts at each upward crossing of the top of the band.
    const starts = xs.filter((v, i) => i > 0 && xs[i - 1]! < 4.6 && v >= 4.6).length;
    expect(starts).toBeGreaterThanOrEqual(6);
    expect(starts).toBeLessThanOrEqual(10);
  });

  it('a freezer cycles within about -22..-18 °C', async () => {
    const { d, clock } = await simulated({ seed: 3 });
    const xs = await series(d, clock, 'sim/freezer', 4 * 60 * MIN, 30_000);
    expect(Math.min(...xs)).toBeGreaterThan(-22.6);
    expect(Math.max(...xs)).toBeLessThan(-17.4);
    expect(Math.max(...xs) - Math.min(...xs)).toBeGreaterThan(3);
  });

  it('a room stays near 21 °C', async () => {
    const { d, clock } = await simulated({ sensors: [{ name: 'lab', model: 'room' }] });
    const xs = await series(d, clock, 'sim/lab', 24 * 60 * MIN, 10 * MIN);
    expect(Math.min(...xs)).toBeGreaterThan(19.5);
    expect(Math.max(...xs)).toBeLessThan(22.5);
  });

  it('has small noise: consecutive readings 5 s apart differ by well under a degree', async () => {
    const { d, clock } = await simulated();
    const xs = await series(d, clock, 'sim/fridge', 10 * MIN, 5000);
    for (let i = 1; i < xs.length; i++) expect(Math.abs(xs[i]! - xs[i - 1]!)).toBeLessThan(0.4);
  });

  describe('a door left open', () => {
    it('warms the fridge towards room temperature while open, then recovers after it closes', async () => {
      const { d, clock } = await simulated({ seed: 1 });
      const before = mean(await series(d, clock, 'sim/fridge', 30 * MIN));
      d.openDoor('fridge', 15 * MIN);
      expect(d.isDoorOpen('fridge')).toBe(true);
      const open = await series(d, clock, 'sim/fridge', 15 * MIN, MIN);
      expect(d.isDoorOpen('fridge')).toBe(false);
      // Rising while open, several degrees above the band but still below room temperature.
      expect(open[open.length - 1]!).toBeGreaterThan(open[1]! + 3);
      expect(Math.max(...open)).toBeGreaterThan(9);
      expect(Math.max(...open)).toBeLessThan(21);
      // After an hour closed it is back in its band.
      clock.t += 60 * MIN;
      const after = mean(await series(d, clock, 'sim/fridge', 30 * MIN));
      expect(Math.abs(after - before)).toBeLessThan(0.6);
    });

    it('warms a freezer more slowly, and only the sensor whose door is open', async () => {
      const { d, clock } = await simulated({ seed: 1 });
      const fridgeBefore = await d.read('sim/fridge');
      d.openDoor('freezer', 10 * MIN);
      clock.t += 10 * MIN;
      expect(await d.read('sim/freezer')).toBeGreaterThan(-14);
      expect(await d.read('sim/freezer')).toBeLessThan(0);
      expect(Math.abs((await d.read('sim/fridge')) - fridgeBefore)).toBeLessThan(2);
    });

    it('closeDoor() ends the excursion early', async () => {
      const { d, clock } = await simulated({ seed: 1 });
      d.openDoor('fridge', 60 * MIN);
      clock.t += 5 * MIN;
      d.closeDoor('fridge');
      expect(d.isDoorOpen('fridge')).toBe(false);
      const atClose = await d.read('sim/fridge');
      clock.t += 10 * MIN;
      expect(await d.read('sim/fridge')).toBeLessThan(atClose);
    });

    it('can be scripted in config with door_open_at and door_open_for', async () => {
      const at = new Date(T0 + 20 * MIN).toISOString();
      const { d, clock } = await simulated({ seed: 1, sensors: [{ name: 'f', model: 'fridge', door_open_at: at, door_open_for: '10m' }] });
      const xs = await series(d, clock, 'sim/f', 60 * MIN, MIN);
      expect(Math.max(...xs.slice(0, 20))).toBeLessThan(5.5);
      expect(Math.max(...xs.slice(25, 35))).toBeGreaterThan(8);
    });

    it('openDoor() of an unknown sensor or a non-positive duration throws a MaError', async () => {
      const { d } = await simulated();
      expect(() => d.openDoor('oven', MIN)).toThrowError(/known sensors: fridge, freezer/);
      try {
        d.openDoor('fridge', 0);
      } catch (e) {
        expect(isMaError(e) && e.code).toBe(ErrorCode.InputInvalid);
      }
    });

    it('is reachable through the registry with isSimulatedInstance()', () => {
      const descriptor = getDriver('simulated');
      const inst = descriptor.create(descriptor.configSchema.parse({}), { log: silentLogger(), now: () => T0 });
      expect(isSimulatedInstance(inst)).toBe(true);
    });
  });
});

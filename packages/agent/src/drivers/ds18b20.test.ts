import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorCode, isMaError, validateConfig, type MaError } from '@ma/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { describeDriverContract } from './contract.js';
import type { DriverInstance } from './driver.js';
import { deviceReadError } from './driver-support.js';
import { ds18b20ConfigSchema, ds18b20Driver, parseW1Slave } from './ds18b20.js';
import { createFakeSysfs, dallasCrc8, W1_SLAVE_DISCONNECTED, w1SlaveText, type FakeSysfs } from './fake-sysfs.js';

const A = '28-00000c1a748d';
const B = '28-0316a2797dff';
const C = '28-01193a1b2c3d';

const ctx = { log: silentLogger(), now: () => Date.now() };

function driver(config: Record<string, unknown>): DriverInstance {
  return ds18b20Driver.create(ds18b20ConfigSchema.parse(config), ctx);
}

async function readError(d: DriverInstance, key: string): Promise<MaError> {
  const e = await d.read!(key).then(
    (v) => new Error(`expected a rejection, got ${v}`),
    (err: unknown) => err,
  );
  if (!isMaError(e)) throw e;
  return e;
}

describeDriverContract('ds18b20', async () => {
  const fake = await createFakeSysfs();
  await fake.addDs18b20(A, { milliC: 23125 });
  await fake.addDs18b20(B, { milliC: -18062, format: 'w1_slave' });
  return {
    descriptor: ds18b20Driver,
    config: { sysfs_root: fake.root },
    configWithoutDevices: { sysfs_root: join(fake.root, 'does-not-exist') },
    cleanup: () => fake.cleanup(),
  };
});

describe('ds18b20 fake sysfs (the test fixture itself)', () => {
  it('writes w1_slave exactly like the kernel example in HARDWARE.md', () => {
    expect(dallasCrc8([0x72, 0x01, 0x4b, 0x46, 0x7f, 0xff, 0x0e, 0x10])).toBe(0x57);
    expect(w1SlaveText(23125)).toMatch(/^72 01 4b 46 7f ff 0c 10 ([0-9a-f]{2}) : crc=\1 YES\n72 01 4b 46 7f ff 0c 10 \1 t=23125\n$/);
  });

  it('parses its own output, including negative temperatures', () => {
    expect(parseW1Slave(w1SlaveText(-10125))).toMatchObject({ ok: true, milliC: -10125, zeroScratchpad: false });
    expect(parseW1Slave(w1SlaveText(23125, 'NO'))).toMatchObject({ ok: false });
  });
});

describe('ds18b20 driver', () => {
  let fake: FakeSysfs;
  let d: DriverInstance | undefined;
  const start = async (config: Record<string, unknown> = {}): Promise<DriverInstance> => {
    d = driver({ sysfs_root: fake.root, ...config });
    await d.start(new AbortController().signal);
    return d;
  };

  beforeEach(async () => {
    fake = await createFakeSysfs();
  });
  afterEach(async () => {
    await d?.stop();
    d = undefined;
    await fake.cleanup();
  });

  describe('config', () => {
    it('defaults to sysfs root "/", auto-discovery and a 10 s interval', () => {
      expect(ds18b20ConfigSchema.parse({})).toEqual({ sysfs_root: '/', probes: [], interval: 10_000 });
    });

    it('accepts per-probe labels and intervals as durations or ms', () => {
      const c = ds18b20ConfigSchema.parse({ interval: '30s', probes: [{ id: A, label: 'Fridge 1', labels: { room: 'B12' }, interval: 5000 }] });
      expect(c.interval).toBe(30_000);
      expect(c.probes[0]).toEqual({ id: A, label: 'Fridge 1', labels: { room: 'B12' }, interval: 5000 });
    });

    it('reports every problem at once, naming the key and the expected form', () => {
      const raw = { interval: 'soon', probes: [{ id: '10-abc' }, { id: A, colour: 'red' }] };
      let message = '';
      try {
        validateConfig(ds18b20ConfigSchema, raw, 'agent.yaml');
      } catch (e) {
        message = String(e);
      }
      expect(message).toContain('(3 problems)');
      expect(message).toMatch(/agent\.yaml: interval: got "soon", expected a duration/);
      expect(message).toMatch(/agent\.yaml: probes\[0\]\.id: got "10-abc", expected a DS18B20 probe id/);
      expect(message).toMatch(/agent\.yaml: probes\[1\]\.colour: got an unknown key, expected one of id, label/);
    });

    it('rejects a probe listed twice', () => {
      expect(ds18b20ConfigSchema.safeParse({ probes: [{ id: A }, { id: A }] }).success).toBe(false);
    });
  });

  describe('discovery', () => {
    it('without configured probes, exposes every 28-* device on the bus as a °C temperature sensor', async () => {
      await fake.addDs18b20(B, { milliC: 4000 });
      await fake.addDs18b20(A, { milliC: 23125 });
      const inst = await start();
      expect(inst.channels()).toEqual([
        { key: `ds18b20/${A}`, kind: 'sensor', driver: 'ds18b20', quantity: 'temperature', unit: '°C', intervalMs: 10_000, range: { min: -55, max: 125 } },
        { key: `ds18b20/${B}`, kind: 'sensor', driver: 'ds18b20', quantity: 'temperature', unit: '°C', intervalMs: 10_000, range: { min: -55, max: 125 } },
      ]);
    });

    it('also finds probes listed only in w1_bus_master1/w1_master_slaves', async () => {
      await fake.addW1Bus();
      await fake.writeFile('sys/devices/w1_bus_master1/w1_master_slaves', `${C}\n`);
      const inst = await start();
      expect(inst.channels().map((c) => c.key)).toEqual([`ds18b20/${C}`]);
    });

    it('ignores other 1-wire families and the bus master itself', async () => {
      await fake.addDs18b20(A, { milliC: 1000 });
      await fake.writeFile('sys/devices/w1_bus_master1/00-800000000000/name', '00-800000000000\n');
      await fake.writeFile('sys/bus/w1/devices/10-000802b4d8e1/w1_slave', w1SlaveText(1000));
      const inst = await start();
      expect(inst.channels().map((c) => c.key)).toEqual([`ds18b20/${A}`]);
    });

    it('starts with no channels (and no error) when there is no 1-wire bus at all', async () => {
      const inst = await start();
      expect(inst.channels()).toEqual([]);
    });

    it('rediscover() picks up a probe plugged in after start', async () => {
      await fake.addDs18b20(A, { milliC: 1000 });
      const inst = await start();
      await fake.addDs18b20(B, { milliC: 2000 });
      await inst.rediscover!();
      expect(inst.channels().map((c) => c.key)).toEqual([`ds18b20/${A}`, `ds18b20/${B}`]);
      expect(await inst.read!(`ds18b20/${B}`)).toBe(2);
    });

    it('with configured probes, exposes exactly those, with their labels and intervals, even ones missing at start', async () => {
      await fake.addDs18b20(A, { milliC: 1000 });
      await fake.addDs18b20(B, { milliC: 2000 });
      const inst = await start({ interval: '20s', probes: [{ id: A, label: 'Fridge', labels: { room: 'B12' } }, { id: C, interval: '1m' }] });
      expect(inst.channels()).toEqual([
        expect.objectContaining({ key: `ds18b20/${A}`, label: 'Fridge', labels: { room: 'B12' }, intervalMs: 20_000 }),
        expect.objectContaining({ key: `ds18b20/${C}`, intervalMs: 60_000 }),
      ]);
      expect((await readError(inst, `ds18b20/${C}`)).code).toBe(ErrorCode.DriverDeviceMissing);
      await fake.addDs18b20(C, { milliC: -20500 });
      expect(await inst.read!(`ds18b20/${C}`)).toBe(-20.5);
    });
  });

  describe('reading', () => {
    it('reads the temperature file in millidegrees', async () => {
      await fake.addDs18b20(A, { milliC: 23125 });
      const inst = await start();
      expect(await inst.read!(`ds18b20/${A}`)).toBe(23.125);
      await fake.setDs18b20(A, -10125);
      expect(await inst.read!(`ds18b20/${A}`)).toBe(-10.125);
    });

    it('falls back to w1_slave on kernels without a temperature file', async () => {
      await fake.addDs18b20(A, { milliC: 4062, format: 'w1_slave' });
      const inst = await start();
      expect(await inst.read!(`ds18b20/${A}`)).toBe(4.062);
    });

    it('returns a genuine 0 °C (a real scratchpad with t=0)', async () => {
      await fake.addDs18b20(A, { milliC: 0 });
      await fake.addDs18b20(B, { milliC: 0, format: 'w1_slave' });
      const inst = await start();
      expect(await inst.read!(`ds18b20/${A}`)).toBe(0);
      expect(await inst.read!(`ds18b20/${B}`)).toBe(0);
    });

    it('reads probes independently: one missing probe does not fail the others', async () => {
      await fake.addDs18b20(A, { milliC: 5000 });
      const inst = await start({ probes: [{ id: A }, { id: B }] });
      const [a, b] = await Promise.allSettled([inst.read!(`ds18b20/${A}`), inst.read!(`ds18b20/${B}`)]);
      expect(a).toEqual({ status: 'fulfilled', value: 5 });
      expect(b.status).toBe('rejected');
    });

    it('reports a probe that was unplugged as DriverDeviceMissing, and recovers when it is back', async () => {
      await fake.addDs18b20(A, { milliC: 5000 });
      const inst = await start();
      await fake.removeDs18b20(A);
      const err = await readError(inst, `ds18b20/${A}`);
      expect(err.code).toBe(ErrorCode.DriverDeviceMissing);
      expect(err.message).toContain(A);
      await fake.addDs18b20(A, { milliC: 5500 });
      expect(await inst.read!(`ds18b20/${A}`)).toBe(5.5);
    });
  });

  describe('rejects false readings as DriverBadReading, never returning them', () => {
    const cases: Array<[string, (f: FakeSysfs) => Promise<void>, RegExp]> = [
      ['a failed CRC (crc=.. NO)', (f) => f.setDs18b20(A, 23125, { crc: 'NO' }), /CRC/],
      ['85 °C, the power-on reset value', (f) => f.setDs18b20(A, 85000), /power-on/],
      ['-127 °C', (f) => f.setDs18b20(A, -127000), /-127/],
      ['the all-zero scratchpad of a disconnected probe (a false 0 °C)', (f) => f.disconnectDs18b20(A), /disconnected/],
      ['unparsable temperature content', (f) => f.setTemperatureRaw(A, 'garbage\n'), /unparsable/],
      ['an empty temperature file', (f) => f.setTemperatureRaw(A, ''), /unparsable/],
      ['a value outside -55..125 °C', (f) => f.setDs18b20(A, 150000), /range/],
    ];
    for (const format of ['temperature', 'w1_slave'] as const) {
      for (const [what, arrange, message] of cases) {
        if (format === 'w1_slave' && what.includes('temperature')) continue;
        it(`${what} (${format} format)`, async () => {
          await fake.addDs18b20(A, { milliC: 20000, format });
          const inst = await start();
          await arrange(fake);
          const err = await readError(inst, `ds18b20/${A}`);
          expect(err.code).toBe(ErrorCode.DriverBadReading);
          expect(err.message).toMatch(message);
        });
      }
    }

    it('unparsable or truncated w1_slave content', async () => {
      await fake.addDs18b20(A, { milliC: 20000, format: 'w1_slave' });
      const inst = await start();
      for (const text of ['', '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n', 'hello\nworld\n', '72 01 4b 46 7f ff 0e 10 57 : crc=57 YES\n72 01 4b 46 7f ff 0e 10 57 t=\n']) {
        await fake.setW1SlaveRaw(A, text);
        expect((await readError(inst, `ds18b20/${A}`)).code, JSON.stringify(text)).toBe(ErrorCode.DriverBadReading);
      }
      await fake.setW1SlaveRaw(A, W1_SLAVE_DISCONNECTED);
      expect((await readError(inst, `ds18b20/${A}`)).code).toBe(ErrorCode.DriverBadReading);
    });
  });

  describe('OS errors', () => {
    const errno = (code: string): NodeJS.ErrnoException => Object.assign(new Error(`${code}: failed`), { code });

    it('maps ENOENT and ENODEV to DriverDeviceMissing and EIO to DriverReadFailed', () => {
      expect(deviceReadError(errno('ENOENT'), 'probe', '/x').code).toBe(ErrorCode.DriverDeviceMissing);
      expect(deviceReadError(errno('ENODEV'), 'probe', '/x').code).toBe(ErrorCode.DriverDeviceMissing);
      const eio = deviceReadError(errno('EIO'), 'probe', '/x');
      expect(eio.code).toBe(ErrorCode.DriverReadFailed);
      expect(eio.cause).toBeInstanceOf(Error);
    });

    it('reports a read that fails with an OS error other than "missing" as DriverReadFailed', async () => {
      await fake.addDs18b20(A, { milliC: 20000 });
      const inst = await start();
      // A directory where a file should be makes read() fail with EISDIR, an I/O-type error.
      await fake.remove(`sys/devices/w1_bus_master1/${A}/temperature`);
      await fake.writeFile(`sys/devices/w1_bus_master1/${A}/temperature/x`, '');
      expect((await readError(inst, `ds18b20/${A}`)).code).toBe(ErrorCode.DriverReadFailed);
    });
  });

  it('create() touches nothing: a missing root only matters at start()', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'ma-ds18b20-'));
    const inst = driver({ sysfs_root: join(dir, 'later') });
    expect(inst.channels()).toEqual([]);
    await rm(dir, { recursive: true });
  });
});

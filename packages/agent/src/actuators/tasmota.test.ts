import { isMaError } from '@ma/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startTasmotaDevice, type TasmotaDevice } from '../../../../test/fakes/tasmota-device.js';
import { describeDriverContract } from '../drivers/contract.js';
import { silentLogger } from '../logger.js';
import { tasmotaDriver } from './tasmota.js';

describeDriverContract('tasmota', async () => {
  const device = await startTasmotaDevice();
  return { descriptor: tasmotaDriver, config: { name: 'drill', url: device.url }, configWithoutDevices: { name: 'drill', url: 'http://127.0.0.1:9' }, cleanup: () => device.close() };
});

describe('tasmota driver against a device speaking the cm?cmnd API', () => {
  let device: TasmotaDevice | undefined;
  afterEach(async () => {
    await device?.close();
    device = undefined;
  });
  const create = (config: Record<string, unknown>) => tasmotaDriver.create(tasmotaDriver.configSchema.parse(config), { log: silentLogger(), now: Date.now });

  it('switches with Power On/Off (a %20, not a +), reads Power back and Status 8 ENERGY.Power as power', async () => {
    device = await startTasmotaDevice({ loadW: 44 });
    const d = create({ name: 'drill', url: device.url });
    await d.start(new AbortController().signal);
    expect(await d.write!('drill', 1)).toBe(1);
    expect(device.requests).toContain('GET /cm?cmnd=Power%20On');
    expect(await d.read!('drill')).toBe(1);
    expect(await d.read!('drill/power')).toBe(44);
    device.setPower(false);
    expect(await d.read!('drill')).toBe(0);
    await d.stop();
  });

  it('addresses relay N of a multi-relay device as PowerN', async () => {
    device = await startTasmotaDevice({ relays: 2 });
    const d = create({ name: 'r2', url: device.url, relay: 2, energy: false });
    await d.start(new AbortController().signal);
    expect(d.channels().map((c) => c.key)).toEqual(['r2']);
    expect(await d.write!('r2', 1)).toBe(1);
    expect(device.power(2)).toBe(true);
    expect(device.power(1)).toBe(false);
  });

  it('sends the web password as user/password and says when it is missing', async () => {
    device = await startTasmotaDevice({ password: 'pw' });
    const ok = create({ name: 'p', url: device.url, password: 'pw' });
    await ok.start(new AbortController().signal);
    expect(await ok.write!('p', 1)).toBe(1);
    const none = create({ name: 'p', url: device.url });
    await none.start(new AbortController().signal);
    await expect(none.read!('p')).rejects.toThrow(/needs its web password/);
  });

  it('a device that stops answering is unreachable (MaError), never off', async () => {
    device = await startTasmotaDevice();
    const d = create({ name: 'p', url: device.url, timeout: '150ms' });
    await d.start(new AbortController().signal);
    device.setUnresponsive(true);
    const err = await d.write!('p', 0).catch((e: unknown) => e);
    expect(isMaError(err) && err.message).toMatch(/unreachable/);
    device.setUnresponsive(false);
  });
});

import { isMaError } from '@ma/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { startShellyDevice, type ShellyDevice } from '../../../../test/fakes/shelly-device.js';
import { describeDriverContract } from '../drivers/contract.js';
import { silentLogger } from '../logger.js';
import { shellyDriver } from './shelly.js';
import { digestAuthorization } from './http-device.js';

describeDriverContract('shelly', async () => {
  const device = await startShellyDevice();
  return { descriptor: shellyDriver, config: { name: 'laser_plug', url: device.url }, configWithoutDevices: { name: 'laser_plug', url: 'http://127.0.0.1:9' }, cleanup: () => device.close() };
});

describe('shelly driver against a device speaking Gen2 RPC', () => {
  let device: ShellyDevice | undefined;
  afterEach(async () => {
    await device?.close();
    device = undefined;
  });
  const create = (config: Record<string, unknown>) => shellyDriver.create(shellyDriver.configSchema.parse(config), { log: silentLogger(), now: Date.now });

  it('switches with Switch.Set, reads the output back and exposes apower as <name>/power', async () => {
    device = await startShellyDevice({ loadW: 87.5 });
    const d = create({ name: 'laser_plug', url: device.url });
    await d.start(new AbortController().signal);
    expect(d.channels().map((c) => `${c.key}:${c.kind}:${c.unit}`)).toEqual(['laser_plug:actuator:', 'laser_plug/power:sensor:W']);
    expect(await d.write!('laser_plug', 1)).toBe(1);
    expect(device.output()).toBe(true);
    expect(await d.read!('laser_plug/power')).toBe(87.5);
    expect(device.requests).toContain('GET /rpc/Switch.Set?id=0&on=true');
    expect(await d.write!('laser_plug', 0)).toBe(0);
    expect(await d.read!('laser_plug/power')).toBe(0);
    await d.stop();
  });

  it('reads back what the device did, not what was asked (someone pressed the button)', async () => {
    device = await startShellyDevice();
    const d = create({ name: 'p', url: device.url });
    await d.start(new AbortController().signal);
    await d.write!('p', 1);
    device.setOutput(false);
    expect(await d.read!('p')).toBe(0);
    await d.stop();
  });

  it('speaks JSON-RPC over POST /rpc when asked to, and selects the switch id', async () => {
    device = await startShellyDevice({ switches: 2 });
    const d = create({ name: 'p', url: device.url, transport: 'post', switch_id: 1 });
    await d.start(new AbortController().signal);
    expect(await d.write!('p', 1)).toBe(1);
    expect(device.output(1)).toBe(true);
    expect(device.output(0)).toBe(false);
    expect(device.requests.every((r) => r === 'POST /rpc')).toBe(true);
    await d.stop();
  });

  it('answers SHA-256 digest challenges when the device has a password, and says so when it is wrong', async () => {
    device = await startShellyDevice({ password: 's3cret' });
    const ok = create({ name: 'p', url: device.url, password: 's3cret' });
    await ok.start(new AbortController().signal);
    expect(await ok.write!('p', 1)).toBe(1);
    const bad = create({ name: 'p', url: device.url, password: 'wrong' });
    await bad.start(new AbortController().signal);
    await expect(bad.read!('p')).rejects.toThrow(/refused the credentials/);
    const none = create({ name: 'p', url: device.url });
    await none.start(new AbortController().signal);
    await expect(none.read!('p')).rejects.toThrow(/HTTP 401/);
  });

  it('a device that stops answering is unreachable within the timeout: a MaError, never a 0', async () => {
    device = await startShellyDevice();
    const d = create({ name: 'p', url: device.url, timeout: '200ms' });
    await d.start(new AbortController().signal);
    device.setUnresponsive(true);
    const t0 = Date.now();
    const err = await d.read!('p').catch((e: unknown) => e);
    expect(isMaError(err) && err.message).toMatch(/unreachable .*no answer within 200 ms/);
    expect(Date.now() - t0).toBeLessThan(2000);
    device.setUnresponsive(false);
    await d.stop();
  });

  it('refuses values other than 0 and 1', async () => {
    device = await startShellyDevice();
    const d = create({ name: 'p', url: device.url });
    await d.start(new AbortController().signal);
    await expect(d.write!('p', 2)).rejects.toThrow(/0 \(off\) or 1 \(on\)/);
    expect(device.requests).toEqual([]);
  });
});

describe('digest authorization', () => {
  it('matches RFC 7616 example (SHA-256, qop=auth)', () => {
    // RFC 7616 §3.9.1: Mufasa / Circle of Life.
    const h = digestAuthorization('Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm=SHA-256, nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"', 'GET', '/dir/index.html', 'Mufasa', 'Circle of Life', 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ');
    expect(h).toContain('response="753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"');
  });
});

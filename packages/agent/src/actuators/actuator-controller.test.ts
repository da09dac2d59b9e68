import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ActuatorState, EquipmentEvent } from '@ma/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { startShellyDevice, type ShellyDevice } from '../../../../test/fakes/shelly-device.js';
import { silentLogger } from '../logger.js';
import { ActuatorController } from './actuator-controller.js';
import { actuatorSettingsSchema } from './actuators-config.js';
import { ChannelValues } from './channel-values.js';
import { LockoutStore } from './lockout-store.js';
import { shellyDriver } from './shelly.js';

let device: ShellyDevice;
let dir: string;
let events: EquipmentEvent[];
let states: ActuatorState[];
const controllers: ActuatorController[] = [];

beforeEach(async () => {
  device = await startShellyDevice({ loadW: 150 });
  dir = await mkdtemp(path.join(os.tmpdir(), 'ma-act-'));
  events = [];
  states = [];
});
afterEach(async () => {
  for (const c of controllers.splice(0)) await c.stop(false);
  await device.close();
  await rm(dir, { recursive: true, force: true });
});

async function controller(settings: Record<string, unknown> = {}, values = new ChannelValues(), lockouts?: LockoutStore) {
  const driver = shellyDriver.create(shellyDriver.configSchema.parse({ name: 'laser_plug', url: device.url, timeout: '300ms' }), { log: silentLogger(), now: Date.now });
  await driver.start(new AbortController().signal);
  const store = lockouts ?? new LockoutStore(path.join(dir, 'lockouts.json'), silentLogger());
  if (!lockouts) await store.load();
  const c = new ActuatorController({
    name: 'laser_plug',
    settings: actuatorSettingsSchema.parse(settings),
    driver,
    lockouts: store,
    values,
    log: silentLogger(),
    now: Date.now,
    emit: (e) => events.push(e),
    publishState: (s) => states.push(s),
    powerChannel: 'laser_plug/power',
  });
  controllers.push(c);
  await c.start();
  return { c, values, store };
}

const by = { cause: 'command' as const, by: 'ada', reason: 'job 42' };

describe('actuator controller', () => {
  it('applies the safe state at start even if the plug was left on, and publishes it retained', async () => {
    device.setOutput(true);
    await controller();
    expect(device.output()).toBe(false);
    expect(states.at(-1)).toMatchObject({ actuator: 'laser_plug', state: 'off', commanded: 'off', read_back: 'off', lockout: null, fault: null });
    expect(events).toContainEqual(expect.objectContaining({ type: 'actuator_changed', cause: 'safe_state', state: 'off' }));
  });

  it('switches on with who and why, read back from the device', async () => {
    const { c } = await controller();
    expect(await c.request('on', { ...by, cmdId: 'c1' })).toEqual({ outcome: 'applied', code: 'ok', state: 'on' });
    expect(device.output()).toBe(true);
    expect(events.at(-1)).toMatchObject({ type: 'actuator_changed', state: 'on', previous: 'off', cause: 'command', by: 'ada', reason: 'job 42', cmd_id: 'c1' });
  });

  it('never applies a request after its deadline', async () => {
    const { c } = await controller();
    const o = await c.request('on', { ...by, notAfter: Date.now() - 1 });
    expect(o.outcome).toBe('expired');
    expect(device.output()).toBe(false);
  });

  it('an interlock refuses on with the rule and the values, and a missing value refuses too', async () => {
    const values = new ChannelValues();
    const { c } = await controller({ interlocks: ['enclosure_door == 0'] }, values);
    expect(await c.request('on', by)).toMatchObject({ outcome: 'refused', code: 'interlock', rule: 'enclosure_door == 0', message: 'interlock "enclosure_door == 0" no recent value for enclosure_door' });
    values.set('enclosure_door', 1, Date.now());
    expect(await c.request('on', by)).toMatchObject({ outcome: 'refused', code: 'interlock', message: 'interlock "enclosure_door == 0" not satisfied (enclosure_door = 1)' });
    expect(device.output()).toBe(false);
    expect(events).toContainEqual(expect.objectContaining({ type: 'interlock_refused', rule: 'enclosure_door == 0' }));
    values.set('enclosure_door', 0, Date.now());
    expect((await c.request('on', by)).outcome).toBe('applied');
  });

  it('an interlock that stops holding while on switches off', async () => {
    const values = new ChannelValues();
    values.set('coolant_temp', 20, Date.now());
    const { c } = await controller({ interlocks: ['coolant_temp < 30'] }, values);
    await c.request('on', by);
    values.set('coolant_temp', 31.5, Date.now());
    await expect.poll(() => device.output()).toBe(false);
    await expect.poll(() => events, { timeout: 3000 }).toContainEqual(expect.objectContaining({ type: 'actuator_changed', state: 'off', cause: 'interlock' }));
  });

  it('the maximum on-time switches off', async () => {
    const { c } = await controller({ max_on: '300ms' });
    await c.request('on', by);
    await expect.poll(() => device.output(), { timeout: 3000 }).toBe(false);
    // The event follows the device's answer to the write, so it may land a moment after the plug is off.
    await expect.poll(() => events, { timeout: 3000 }).toContainEqual(expect.objectContaining({ type: 'actuator_changed', state: 'off', cause: 'max_on_time' }));
  });

  it('a plug that stops answering is unreachable with a fault, never off; recovery clears it', async () => {
    const { c } = await controller({ readback_interval: '200ms' });
    await c.request('on', by);
    device.setUnresponsive(true);
    await expect.poll(() => c.state, { timeout: 5000 }).toBe('unreachable');
    expect(states.at(-1)).toMatchObject({ state: 'unreachable', read_back: null, fault: { code: 'unreachable' } });
    device.setUnresponsive(false);
    await expect.poll(() => c.state, { timeout: 5000 }).toBe('on');
    expect(states.at(-1)?.fault).toBeNull();
    expect(events).toContainEqual(expect.objectContaining({ type: 'actuator_fault', code: 'recovered' }));
  });

  it('commanded and read-back state disagreeing raises a fault', async () => {
    const { c } = await controller({ readback_interval: '200ms' });
    await c.request('on', by);
    device.setOutput(false); // the button on the plug
    await expect.poll(() => states.at(-1)?.fault?.code, { timeout: 3000 }).toBe('readback_mismatch');
    expect(states.at(-1)).toMatchObject({ state: 'off', commanded: 'on', read_back: 'off' });
  });

  it('a safety lock-out switches off at once, refuses on, and survives a restart (durably on disk)', async () => {
    const { c } = await controller();
    await c.request('on', by);
    await c.setLockout({ mode: 'safety', by: 'maintainer', reason: 'blade guard broken', set_at: Date.now() });
    expect(device.output()).toBe(false);
    expect(await c.request('on', by)).toMatchObject({ outcome: 'refused', code: 'lockout', message: 'laser_plug is locked out (safety) by maintainer: blade guard broken' });
    expect(JSON.parse(await readFile(path.join(dir, 'lockouts.json'), 'utf8'))).toMatchObject({ lockouts: { laser_plug: { mode: 'safety', pending: false } } });
    await c.stop(false);
    const reloaded = new LockoutStore(path.join(dir, 'lockouts.json'), silentLogger());
    await reloaded.load();
    device.setOutput(true);
    const again = await controller({}, new ChannelValues(), reloaded);
    expect(device.output()).toBe(false);
    expect((await again.c.request('on', by)).code).toBe('lockout');
    expect((await again.c.clearLockout('maintainer', 'guard replaced')).outcome).toBe('applied');
    expect((await again.c.request('on', by)).outcome).toBe('applied');
  });

  it('a maintenance lock-out set mid-job waits for the power draw to go idle', async () => {
    const values = new ChannelValues();
    const { c } = await controller({ idle_below_w: 10 }, values);
    await c.request('on', by);
    values.set('laser_plug/power', 150, Date.now());
    const o = await c.setLockout({ mode: 'maintenance', by: 'maintainer', reason: 'service due', set_at: Date.now() });
    expect(o.message).toMatch(/next idle/);
    expect(device.output()).toBe(true);
    expect(states.at(-1)?.lockout).toMatchObject({ pending: true });
    values.set('laser_plug/power', 150, Date.now());
    expect(device.output()).toBe(true);
    values.set('laser_plug/power', 3, Date.now());
    await expect.poll(() => device.output()).toBe(false);
    // Applying the lock-out is recorded once the plug has answered the write, a moment after it is off.
    await expect.poll(() => events.filter((e) => e.type === 'lockout_changed').map((e) => (e as { action: string }).action), { timeout: 3000 }).toEqual(['set', 'applied']);
    expect(c.lockout?.pending).toBe(false);
  });

  it('a corrupt lock-out file stops the start instead of silently unlocking', async () => {
    const { writeFile } = await import('node:fs/promises');
    await writeFile(path.join(dir, 'lockouts.json'), '{"v":1,"lockouts":{"x":');
    const store = new LockoutStore(path.join(dir, 'lockouts.json'), silentLogger());
    await expect(store.load()).rejects.toThrow(/unreadable/);
  });
});

import { ErrorCode, isMaError } from '@ma/protocol';
import { describe, expect, it } from 'vitest';
import { drivers, getDriver } from './registry.js';

describe('driver registry', () => {
  it('knows the sensor drivers and the actuator drivers, each under its own id', () => {
    expect(Object.keys(drivers).sort()).toEqual(['command', 'ds18b20', 'gpio', 'shelly', 'simulated', 'system', 'tasmota']);
    for (const [id, d] of Object.entries(drivers)) expect(d.id).toBe(id);
  });

  it('getDriver() of an unknown id throws ConfigInvalid naming the known ids', () => {
    let err: unknown;
    try {
      getDriver('dht22');
    } catch (e) {
      err = e;
    }
    expect(isMaError(err) && err.code).toBe(ErrorCode.ConfigInvalid);
    expect(String(err)).toContain('known drivers: command, ds18b20, gpio, shelly, simulated, system, tasmota');
    expect(() => getDriver('toString')).toThrowError(/unknown driver/);
  });
});

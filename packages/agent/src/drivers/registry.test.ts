import { ErrorCode, isMaError } from '@ma/protocol';
import { describe, expect, it } from 'vitest';
import { drivers, getDriver } from './registry.js';

describe('driver registry', () => {
  it('knows the sensor drivers and the actuator drivers, each under its own id', () => {
    expect(Object.keys(drivers)).toEqual(expect.arrayContaining(['command', 'ds18b20', 'gpio', 'shelly', 'simulated', 'system', 'tasmota']));
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
    // The list comes from the registry, so a driver added later is named without editing this message.
    expect(String(err)).toContain(`unknown driver "dht22": expected one of ${Object.keys(drivers).join(', ')}`);
    expect(String(err)).not.toContain('did you mean');
    expect(() => getDriver('toString')).toThrowError(/unknown driver/);
  });

  it('suggests the closest driver id for a typo', () => {
    expect(() => getDriver('simulatd')).toThrowError('(did you mean "simulated"?)');
    expect(() => getDriver('DS18B20')).toThrowError('(did you mean "ds18b20"?)');
  });
});

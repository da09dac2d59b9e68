/** Pieces shared by the actuator drivers: config fields, the channels they expose, value checks. */
import { ACTUATOR_KEY_PATTERN, ErrorCode, MaError } from '@ma/protocol';
import { z } from 'zod';
import type { ChannelSpec } from '../drivers/driver.js';

/** The actuator's name: its channel key and its `state/<name>` topic. */
export const actuatorNameSchema = z.string().regex(ACTUATOR_KEY_PATTERN, 'an actuator name like "laser_plug" (lowercase letters, digits, _ and -)');

/** The actuator channel (0 = off, 1 = on) a driver exposes under the actuator's name. */
export function switchChannel(driver: string, name: string, label: string | undefined, intervalMs: number): ChannelSpec {
  return { key: name, kind: 'actuator', driver, quantity: 'switch', unit: '', intervalMs, range: { min: 0, max: 1 }, ...(label ? { label } : {}) };
}

/** The power channel (W) of a metering plug: `<name>/power`. */
export function powerChannel(driver: string, name: string, label: string | undefined, intervalMs: number): ChannelSpec {
  return { key: `${name}/power`, kind: 'sensor', driver, quantity: 'power', unit: 'W', intervalMs, range: { min: 0, max: 100_000 }, ...(label ? { label: `${label} power` } : {}) };
}

/** Only 0 and 1 are switch values. */
export function switchValue(driver: string, key: string, value: number): 0 | 1 {
  if (value !== 0 && value !== 1) throw new MaError(ErrorCode.InputInvalid, `${driver} ${key}: a switch takes 0 (off) or 1 (on), not ${value}`);
  return value;
}

/** Every driver the agent knows, by the id used in agent.yaml (`driver: ds18b20`). */
import { didYouMean, ErrorCode, MaError, oneOf } from '@ma/protocol';
import { commandActuatorDriver } from '../actuators/command.js';
import { gpioDriver } from '../actuators/gpio.js';
import { shellyDriver } from '../actuators/shelly.js';
import { tasmotaDriver } from '../actuators/tasmota.js';
import type { DriverDescriptor } from './driver.js';
import { ds18b20Driver } from './ds18b20.js';
import { simulatedDriver } from './simulated.js';
import { systemDriver } from './system.js';

export const drivers: Record<string, DriverDescriptor> = {
  [ds18b20Driver.id]: ds18b20Driver,
  [systemDriver.id]: systemDriver,
  [simulatedDriver.id]: simulatedDriver,
  [gpioDriver.id]: gpioDriver,
  [shellyDriver.id]: shellyDriver,
  [tasmotaDriver.id]: tasmotaDriver,
  [commandActuatorDriver.id]: commandActuatorDriver,
};

/** The descriptor for `id`; a ConfigInvalid MaError naming the known ids when there is none. */
export function getDriver(id: string): DriverDescriptor {
  const d = Object.hasOwn(drivers, id) ? drivers[id] : undefined;
  if (!d) {
    const ids = Object.keys(drivers);
    throw new MaError(ErrorCode.ConfigInvalid, `unknown driver ${JSON.stringify(id)}: expected ${oneOf(ids)}${didYouMean(id, ids)}`);
  }
  return d;
}

/** Every driver the agent knows, by the id used in agent.yaml (`driver: ds18b20`). */
import { didYouMean, ErrorCode, MaError, oneOf } from '@ma/protocol';
import type { DriverDescriptor } from './driver.js';
import { ds18b20Driver } from './ds18b20.js';
import { simulatedDriver } from './simulated.js';
import { systemDriver } from './system.js';

export const drivers: Record<string, DriverDescriptor> = {
  [ds18b20Driver.id]: ds18b20Driver,
  [systemDriver.id]: systemDriver,
  [simulatedDriver.id]: simulatedDriver,
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

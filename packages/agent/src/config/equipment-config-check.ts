/**
 * Checks across sections of agent.yaml that one schema cannot see: every actuator, reader and
 * indicator named in `actuators:` and `equipment:` exists, and no actuator serves two pieces
 * of equipment.
 */
import type { ConfigProblem } from '@ma/protocol';
import type { DriverSection, LoadedAgentConfig } from './load.js';
import type { AgentConfig } from './schema.js';

const ACTUATOR_DRIVERS = new Set(['gpio', 'shelly', 'tasmota', 'command']);

/** Names of the actuator channels the configured drivers expose. */
export function actuatorNames(drivers: readonly DriverSection[]): Set<string> {
  const out = new Set<string>();
  for (const d of drivers) {
    if (!ACTUATOR_DRIVERS.has(d.id)) continue;
    const c = d.config as { name: string; direction?: string };
    if (c.direction === 'input') continue;
    out.add(c.name);
  }
  return out;
}

export function equipmentConfigProblems(config: AgentConfig, drivers: readonly DriverSection[]): ConfigProblem[] {
  const problems: ConfigProblem[] = [];
  const known = actuatorNames(drivers);
  const knownList = [...known].sort().join(', ') || '(none: add a gpio, shelly, tasmota or command driver entry)';
  const expectActuator = (key: string, name: string) => {
    if (!known.has(name)) problems.push({ key, value: name, expected: `the name of an actuator driver entry; known: ${knownList}` });
  };
  const seenNames = new Map<string, string>();
  drivers.forEach((d) => {
    const name = (d.config as { name?: unknown }).name;
    if (typeof name !== 'string') return;
    if (seenNames.has(name)) problems.push({ key: `${d.key}.name`, value: name, expected: `a name not already used by ${seenNames.get(name)}` });
    seenNames.set(name, d.key);
  });
  for (const name of Object.keys(config.actuators)) expectActuator(`actuators.${name}`, name);
  const owner = new Map<string, string>();
  for (const [eq, s] of Object.entries(config.equipment)) {
    s.actuators.forEach((a, i) => {
      expectActuator(`equipment.${eq}.actuators.${i}`, a);
      if (owner.has(a)) problems.push({ key: `equipment.${eq}.actuators.${i}`, value: a, expected: `an actuator not already used by equipment ${owner.get(a)}` });
      owner.set(a, eq);
    });
    if (s.reader !== undefined && !Object.hasOwn(config.readers, s.reader)) {
      problems.push({ key: `equipment.${eq}.reader`, value: s.reader, expected: `a reader under readers:; known: ${Object.keys(config.readers).join(', ') || '(none)'}` });
    }
    for (const [which, pulse] of Object.entries(s.indicators)) if (pulse) expectActuator(`equipment.${eq}.indicators.${which}.actuator`, pulse.actuator);
  }
  return problems;
}

/** Whether this node has equipment at all (the equipment code is loaded only then). */
export function hasEquipment(loaded: Pick<LoadedAgentConfig, 'config' | 'drivers'>): boolean {
  const c = loaded.config;
  return actuatorNames(loaded.drivers).size > 0 || Object.keys(c.readers).length > 0 || Object.keys(c.equipment).length > 0;
}

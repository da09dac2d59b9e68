/** The equipment part of `ma-agent check`: actuators with their safety settings, readers, equipment. */
import { actuatorSettingsSchema } from '../actuators/actuators-config.js';
import { actuatorNames } from './equipment-config-check.js';
import type { LoadedAgentConfig } from './load.js';

export function describeEquipment(loaded: Pick<LoadedAgentConfig, 'config' | 'drivers' | 'allowListKey'>): string[] {
  const { config } = loaded;
  const lines: string[] = [];
  const names = [...actuatorNames(loaded.drivers)];
  if (names.length > 0) lines.push('actuators:');
  for (const name of names) {
    const s = config.actuators[name] ?? actuatorSettingsSchema.parse({});
    const parts = [
      s.kind,
      `safe state ${s.safe_state}`,
      s.on_server_loss === 'never' ? 'kept on server loss' : `safe after ${Math.round(s.on_server_loss / 1000)} s without server`,
      ...(s.max_on !== undefined ? [`max on ${Math.round(s.max_on / 1000)} s`] : []),
      ...s.interlocks.map((r) => `interlock "${r.src}"`),
    ];
    lines.push(`  ${name.padEnd(24)} ${parts.join(', ')}`);
  }
  const readers = Object.entries(config.readers);
  if (readers.length > 0) lines.push('readers:');
  for (const [name, r] of readers) {
    const where = r.type === 'serial' ? `${r.path} ${r.baud} baud` : r.type === 'evdev' ? (r.path ?? `helper ${r.command!.join(' ')}`) : r.command ? `command ${r.command.join(' ')}` : 'stdin';
    lines.push(`  ${name.padEnd(24)} ${r.type} ${where}`);
  }
  const equipment = Object.entries(config.equipment);
  if (equipment.length > 0) lines.push('equipment:');
  for (const [name, e] of equipment) {
    lines.push(`  ${name.padEnd(24)} actuators ${e.actuators.join(', ')}; reader ${e.reader ?? '(none)'}; session ${e.session.model}; decision deadline ${e.decision_deadline} ms; ${e.fail_secure ? 'fail-secure' : 'fail-open'} when the list expires`);
  }
  if (readers.length > 0) lines.push(loaded.allowListKey ? 'allow-list key: pinned' : 'allow-list key: NOT SET (access.allow_list_key_file): without the server every scan is denied');
  return lines;
}

/**
 * What a node card and the node page say about a node's health: the few system channels people look at
 * (Wi-Fi, CPU temperature, disk) with a level each, and the problems worth a badge. Pure, no DOM.
 */
import type { ChannelSummary, NodeSummary } from '@ma/protocol';
import { plural } from './format';

export type Level = 'ok' | 'warn' | 'bad';

export interface HealthItem {
  key: 'wifi' | 'cpu' | 'disk';
  label: string;
  channel: ChannelSummary;
  value: number | null;
  unit: string;
  level: Level;
}

export interface Problem {
  level: Level;
  text: string;
}

/** Channel keys of the agent's `system` driver. */
export const SYSTEM_KEYS = {
  wifi: 'system/wifi_signal_dbm',
  cpu: 'system/cpu_temp',
  disk: 'system/disk_used_pct',
  uptime: 'system/uptime_s',
} as const;

/** Thresholds, chosen for a Pi: it throttles at 80 °C; below -75 dBm Wi-Fi drops; a full SD card corrupts. */
export const LIMITS = {
  cpuWarn: 70,
  cpuBad: 80,
  diskWarn: 85,
  diskBad: 95,
  wifiWarn: -70,
  wifiBad: -80,
};

const levelAbove = (v: number, warn: number, bad: number): Level => (v >= bad ? 'bad' : v >= warn ? 'warn' : 'ok');

export const isSystemChannel = (c: ChannelSummary): boolean => c.driver === 'system' || c.key.startsWith('system/');

/** The channels a card leads with: the node's own sensors (probes), not its system health. */
export function mainChannels(channels: readonly ChannelSummary[]): ChannelSummary[] {
  return channels.filter((c) => !isSystemChannel(c));
}

export function healthItems(channels: readonly ChannelSummary[]): HealthItem[] {
  const byKey = new Map(channels.map((c) => [c.key, c]));
  const items: HealthItem[] = [];
  const wifi = byKey.get(SYSTEM_KEYS.wifi);
  if (wifi !== undefined) {
    const v = wifi.last_value;
    items.push({ key: 'wifi', label: 'Wi-Fi', channel: wifi, value: v, unit: 'dBm', level: v === null ? 'ok' : v <= LIMITS.wifiBad ? 'bad' : v <= LIMITS.wifiWarn ? 'warn' : 'ok' });
  }
  const cpu = byKey.get(SYSTEM_KEYS.cpu);
  if (cpu !== undefined) {
    const v = cpu.last_value;
    items.push({ key: 'cpu', label: 'CPU', channel: cpu, value: v, unit: '°C', level: v === null ? 'ok' : levelAbove(v, LIMITS.cpuWarn, LIMITS.cpuBad) });
  }
  const disk = byKey.get(SYSTEM_KEYS.disk);
  if (disk !== undefined) {
    const v = disk.last_value;
    items.push({ key: 'disk', label: 'Disk', channel: disk, value: v, unit: '%', level: v === null ? 'ok' : levelAbove(v, LIMITS.diskWarn, LIMITS.diskBad) });
  }
  return items;
}

/** Problems, worst first: offline, failing probes, health limits, refused or rejected messages. */
export function nodeProblems(node: NodeSummary, channels: readonly ChannelSummary[]): Problem[] {
  const problems: Problem[] = [];
  if (!node.online) problems.push({ level: 'bad', text: node.last_seen === null ? 'Never connected' : 'Offline' });
  for (const c of channels) {
    if (!c.available || c.error !== null) problems.push({ level: 'bad', text: `${c.label}: ${c.error ?? 'unavailable'}` });
  }
  for (const item of healthItems(channels)) {
    if (item.level === 'ok' || item.value === null) continue;
    const what = item.key === 'wifi' ? 'Weak Wi-Fi' : item.key === 'cpu' ? 'CPU hot' : 'Disk almost full';
    problems.push({ level: item.level, text: `${what} (${Math.round(item.value)} ${item.unit})` });
  }
  const { stats } = node;
  if (stats.messages_rejected > 0) problems.push({ level: 'warn', text: `${plural(stats.messages_rejected, 'message')} rejected` });
  if (stats.publishes_refused > 0) problems.push({ level: 'warn', text: `${plural(stats.publishes_refused, 'publish', 'publishes')} refused` });
  if (stats.auth_failures > 0) problems.push({ level: 'warn', text: plural(stats.auth_failures, 'auth failure') });
  if (stats.client_ids_refused > 0) problems.push({ level: 'warn', text: `${plural(stats.client_ids_refused, 'client-id takeover')} refused` });
  const rank: Record<Level, number> = { bad: 0, warn: 1, ok: 2 };
  return problems.sort((a, b) => rank[a.level] - rank[b.level]);
}

/** Re-exported: the one duration format lives in format.ts. */
export { formatDuration } from './format';

import { describe, expect, it } from 'vitest';
import type { ChannelSummary, NodeSummary } from '@ma/protocol';
import { formatDuration, healthItems, mainChannels, nodeProblems } from './node-health';

const channel = (key: string, value: number | null, extra: Partial<ChannelSummary> = {}): ChannelSummary => ({
  id: key.length,
  node: 'n',
  node_id: 1,
  key,
  kind: 'sensor',
  driver: key.startsWith('system/') ? 'system' : 'ds18b20',
  quantity: null,
  unit: '',
  label: key,
  user_label: null,
  labels: {},
  available: true,
  error: null,
  last_ts: 1,
  last_value: value,
  ...extra,
});

const node = (extra: Partial<NodeSummary> = {}): NodeSummary => ({
  id: 1,
  name: 'n',
  display_name: 'n',
  online: true,
  last_seen: 1,
  created_at: 0,
  agent_version: null,
  hostname: null,
  ip: null,
  boot_id: null,
  started_at: null,
  tunnel_port: 1,
  stats: { readings_stored: 0, readings_duplicate: 0, messages_rejected: 0, publishes_refused: 0, auth_failures: 0, client_ids_refused: 0, last_reject_reason: null, last_reject_at: null },
  ...extra,
});

describe('node health', () => {
  it('leads with probes, not system channels', () => {
    const chans = [channel('system/cpu_temp', 50), channel('ds18b20/28-1', 4)];
    expect(mainChannels(chans).map((c) => c.key)).toEqual(['ds18b20/28-1']);
  });

  it('grades Wi-Fi, CPU and disk against the limits', () => {
    const items = healthItems([channel('system/wifi_signal_dbm', -82), channel('system/cpu_temp', 72), channel('system/disk_used_pct', 40)]);
    expect(items.map((i) => [i.key, i.level])).toEqual([
      ['wifi', 'bad'],
      ['cpu', 'warn'],
      ['disk', 'ok'],
    ]);
  });

  it('lists problems worst first, and none for a healthy node', () => {
    expect(nodeProblems(node(), [channel('system/cpu_temp', 45)])).toEqual([]);
    const problems = nodeProblems(
      node({ online: false, stats: { ...node().stats, messages_rejected: 2 } }),
      [channel('system/disk_used_pct', 96), channel('ds18b20/x', null, { available: false, error: 'probe not found', label: 'freezer' })],
    );
    expect(problems.map((p) => p.text)).toEqual(['Offline', 'freezer: probe not found', 'Disk almost full (96 %)', '2 messages rejected']);
  });

  it('formats durations for uptime', () => {
    expect(formatDuration(42_000)).toBe('42 s');
    expect(formatDuration(5 * 3600_000 + 12 * 60_000)).toBe('5 h 12 min');
    expect(formatDuration(3 * 86_400_000 + 4 * 3600_000)).toBe('3 d 4 h');
  });
});

import type { ChannelSummary } from '@ma/protocol';
import { describe, expect, it } from 'vitest';
import { channelKeyOptions, labelOptions } from './pickers';
import { filterOptions } from './search-picker';

const channel = (id: number, node: string, key: string, label: string, unit = '°C'): ChannelSummary => ({
  id, node, node_id: 1, key, kind: 'sensor', driver: 'simulated', quantity: null, unit, label, user_label: null, labels: {}, available: true, error: null, last_ts: null, last_value: null,
});
const channels = [channel(1, 'lab-fridge', 'sim/fridge', 'Vaccine fridge'), channel(2, 'cold-room', 'sim/freezer', 'Freezer'), channel(3, 'cold-room', 'system/cpu_temp', 'CPU'), channel(4, 'lab-fridge', 'system/cpu_temp', 'CPU')];

describe('picker options', () => {
  it('filters on every word, across value, label and hint', () => {
    const options = channelKeyOptions(channels);
    expect(filterOptions(options, 'cpu').map((o) => o.value)).toEqual(['system/cpu_temp']);
    expect(filterOptions(options, 'vacc FRIDGE').map((o) => o.value)).toEqual(['sim/fridge']);
    expect(filterOptions(options, 'nothing like it')).toEqual([]);
  });

  it('offers a key once however many nodes have it, and narrows to one node', () => {
    expect(channelKeyOptions(channels).find((o) => o.value === 'system/cpu_temp')?.hint).toBe('system/cpu_temp · °C · 2 nodes');
    expect(channelKeyOptions(channels, 'cold-room').map((o) => o.value)).toEqual(['sim/freezer', 'system/cpu_temp']);
  });

  it('counts the channels behind each label, with a correct plural', () => {
    expect(labelOptions(channels).map((o) => `${o.value}: ${o.hint}`)).toEqual(['CPU: 2 channels', 'Freezer: 1 channel', 'Vaccine fridge: 1 channel']);
  });
});

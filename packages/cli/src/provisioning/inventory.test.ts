import type { ChannelSummary, NodeSummary } from '@ma/protocol';
import { describe, expect, it } from 'vitest';
import { buildInventory, nodeFunctions, tagGroup } from './inventory.js';

const node = (id: number, name: string, tags: string[]): NodeSummary =>
  ({ id, name, display_name: name, online: false, last_seen: null, created_at: 0, agent_version: null, hostname: null, ip: null, boot_id: null, started_at: null, tunnel_port: 20000 + id, stats: {} as NodeSummary['stats'], tags });
const channel = (driver: string, kind: 'sensor' | 'actuator', quantity: string | null): ChannelSummary =>
  ({ id: 1, node: 'x', node_id: 1, key: `${driver}:1`, kind, driver, quantity, unit: '', label: '', user_label: null, labels: {}, available: true, error: null, last_ts: null, last_value: null });

describe('the Ansible inventory from the node registry', () => {
  it('derives a node\'s functions from its channels', () => {
    expect(nodeFunctions([channel('ds18b20', 'sensor', 'temperature')])).toEqual(['temperature']);
    expect(nodeFunctions([channel('simulated', 'sensor', 'temperature'), channel('shelly', 'actuator', null), channel('rfid-reader', 'sensor', null)])).toEqual(['temperature', 'rfid', 'actuator']);
    expect(nodeFunctions([channel('system', 'sensor', 'cpu_load')])).toEqual([]);
  });

  it('writes each node\'s variables once and names it in every function and tag group', () => {
    const inv = buildInventory(
      [
        { node: node(2, 'freezer', ['freezers', 'lab.b12']), channels: [channel('ds18b20', 'sensor', 'temperature'), channel('gpio', 'actuator', null)] },
        { node: node(1, 'door', ['lab.b12']), channels: [channel('rfid-reader', 'sensor', null)] },
      ],
      { hosts: { cp: { ansible_host: 'ma.example.org' } } },
    );
    const nodes = inv.all.children.ma_nodes!;
    expect(Object.keys(nodes.hosts!)).toEqual(['door', 'freezer']);
    expect(nodes.hosts!.freezer).toEqual({ ansible_host: 'freezer.local', ma_node_id: 2, ma_tunnel_port: 20002, ma_agent_drivers: ['ds18b20', 'gpio'] });
    expect(nodes.children).toEqual({
      actuator: { hosts: { freezer: null } },
      rfid: { hosts: { door: null } },
      tag_freezers: { hosts: { freezer: null } },
      tag_lab_b12: { hosts: { door: null, freezer: null } },
      temperature: { hosts: { freezer: null } },
    });
    // Only ma_nodes carries variables: a node listed with values anywhere else would be a second source of truth.
    for (const g of Object.values(nodes.children!)) for (const v of Object.values(g.hosts!)) expect(v).toBeNull();
    expect(inv.all.children.ma_control).toEqual({ hosts: { cp: { ansible_host: 'ma.example.org' } } });
  });

  it('turns tags into valid group names', () => {
    expect(tagGroup('lab.b-12')).toBe('tag_lab_b_12');
  });
});

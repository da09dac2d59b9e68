import type { ChannelSummary, NodeSummary } from '@ma/protocol';

/** What a node does, from its channels: the inventory groups `ma inventory` writes. */
export type NodeFunction = 'temperature' | 'camera' | 'rfid' | 'actuator';

export function nodeFunctions(channels: ChannelSummary[]): NodeFunction[] {
  const f = new Set<NodeFunction>();
  for (const c of channels) {
    if (c.quantity === 'temperature' || c.driver === 'ds18b20') f.add('temperature');
    if (/camera|image/.test(c.driver) || c.quantity === 'image') f.add('camera');
    if (/rfid|card|equipment/.test(c.driver)) f.add('rfid');
    if (c.kind === 'actuator') f.add('actuator');
  }
  return (['temperature', 'camera', 'rfid', 'actuator'] as const).filter((x) => f.has(x));
}

/** Ansible group names are identifiers: tags may hold dots and dashes. */
export function tagGroup(tag: string): string {
  return `tag_${tag.replace(/[^A-Za-z0-9_]/g, '_')}`;
}

export interface InventoryNode {
  node: NodeSummary;
  channels: ChannelSummary[];
}

type Hosts = Record<string, Record<string, unknown> | null>;
interface Group {
  hosts?: Hosts;
  children?: Record<string, Group>;
  vars?: Record<string, unknown>;
}

/**
 * The Ansible inventory from the node registry. Each node's variables are written once,
 * under `ma_nodes`; the function and tag groups name it only (a host's variables in two
 * groups would be two sources of truth). The `ma_control` group is kept as it was.
 */
export function buildInventory(nodes: InventoryNode[], control: Group | undefined): { all: { children: Record<string, Group> } } {
  const sorted = [...nodes].sort((a, b) => a.node.name.localeCompare(b.node.name));
  const hosts: Hosts = {};
  const groups: Record<string, Hosts> = {};
  for (const { node, channels } of sorted) {
    hosts[node.name] = {
      ansible_host: `${node.name}.local`,
      ma_node_id: node.id,
      ma_tunnel_port: node.tunnel_port,
      ma_agent_drivers: [...new Set(channels.map((c) => c.driver))].sort(),
    };
    for (const f of nodeFunctions(channels)) (groups[f] ??= {})[node.name] = null;
    for (const t of node.tags ?? []) (groups[tagGroup(t)] ??= {})[node.name] = null;
  }
  const children: Record<string, Group> = Object.fromEntries(Object.keys(groups).sort().map((g) => [g, { hosts: groups[g]! }]));
  return {
    all: {
      children: {
        ma_control: control ?? { hosts: { control: { ansible_host: 'localhost' } } },
        ma_nodes: { hosts, ...(Object.keys(children).length ? { children } : {}) },
      },
    },
  };
}

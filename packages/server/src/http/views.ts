import type { ChannelSummary, NodeStats, NodeSummary, Status } from '@ma/protocol';
import type { ChannelRow, NodeRow } from '../store/store.js';

/** Maps store rows to the API's shapes; the only place that knows both. */

export function toChannelSummary(row: ChannelRow, nodeName: string): ChannelSummary {
  let labels: Record<string, string> = {};
  try {
    labels = JSON.parse(row.labels_json) as Record<string, string>;
  } catch {
    labels = {};
  }
  return {
    id: row.id,
    node: nodeName,
    node_id: row.node_id,
    key: row.key,
    kind: row.kind,
    driver: row.driver,
    quantity: row.quantity,
    unit: row.unit,
    label: row.user_label ?? row.label ?? row.key,
    user_label: row.user_label,
    labels,
    available: row.available,
    error: row.error,
    last_ts: row.last_ts,
    last_value: row.last_value,
  };
}

export function parseStatus(row: NodeRow): Partial<Status> {
  if (!row.status_json) return {};
  try {
    return JSON.parse(row.status_json) as Partial<Status>;
  } catch {
    return {};
  }
}

export function toNodeSummary(row: NodeRow, stats: NodeStats, tunnelPortBase: number, offlineAfterMs: number, now = Date.now()): NodeSummary {
  const status = parseStatus(row);
  const fresh = row.last_seen !== null && now - row.last_seen <= offlineAfterMs;
  return {
    id: row.id,
    name: row.name,
    display_name: row.display_name,
    online: row.online && fresh,
    last_seen: row.last_seen,
    created_at: row.created_at,
    agent_version: status.agent_version ?? null,
    hostname: status.hostname ?? null,
    ip: status.ip ?? null,
    boot_id: status.boot_id ?? null,
    started_at: status.started_at ?? null,
    tunnel_port: tunnelPortBase + row.id,
    stats,
  };
}

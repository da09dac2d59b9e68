import type { EquipmentLiveEvent } from './equipment-api.js';
/**
 * Shapes of the HTTP API (`/api/v1`) and the live feed, shared by server, dashboard and CLI.
 * Keys are snake_case as on the wire. Times are ms since the epoch.
 */

export interface NodeStats {
  /** Readings stored (new rows). */
  readings_stored: number;
  /** Readings received again and ignored because `(node, seq)` was already stored. */
  readings_duplicate: number;
  /** Messages rejected: malformed JSON, failed schema, or wrong topic. */
  messages_rejected: number;
  /** Publishes refused because they targeted another node's topics. */
  publishes_refused: number;
  /** Connections refused for a wrong credential under this node's name. */
  auth_failures: number;
  /** Connections refused because they used an MQTT client id that belongs to another node (a takeover attempt). */
  client_ids_refused: number;
  last_reject_reason: string | null;
  last_reject_at: number | null;
}

export interface NodeSummary {
  id: number;
  name: string;
  display_name: string;
  online: boolean;
  last_seen: number | null;
  created_at: number;
  agent_version: string | null;
  hostname: string | null;
  ip: string | null;
  boot_id: string | null;
  started_at: number | null;
  tunnel_port: number;
  stats: NodeStats;
  /** The node's tags; only in the node list (`GET /api/v1/nodes`). */
  tags?: string[];
}

export interface ChannelSummary {
  id: number;
  node: string;
  node_id: number;
  key: string;
  kind: 'sensor' | 'actuator';
  driver: string;
  quantity: string | null;
  unit: string;
  /** Human label: the label people set (`user_label`), else the agent's config label, else the key. */
  label: string;
  /** The label set on the dashboard or with `PATCH /api/v1/channels/:id`; null when none. */
  user_label: string | null;
  labels: Record<string, string>;
  available: boolean;
  error: string | null;
  last_ts: number | null;
  last_value: number | null;
}

export interface NodeDetail extends NodeSummary {
  channels: ChannelSummary[];
}

/**
 * A series, columnar for charting. When `bucket_ms` is 0 the points are raw readings
 * (min = max = avg). Otherwise each point is one bucket starting at `t[i]`; buckets with no
 * data are absent (a gap), never interpolated.
 */
export interface SeriesResponse {
  channel: number;
  from: number;
  to: number;
  bucket_ms: number;
  source: 'raw' | 'minute' | 'hour';
  t: number[];
  avg: number[];
  min: number[];
  max: number[];
  count: number[];
}

export interface NodeListResponse {
  nodes: NodeSummary[];
}
export interface ChannelListResponse {
  channels: ChannelSummary[];
}

export interface CreateNodeRequest {
  name: string;
  display_name?: string;
}
/** Returned once at creation: the credential is never shown again. */
export interface CreateNodeResponse {
  node: NodeSummary;
  mqtt_url: string;
  /** One-time, expiring token for `ma-agent enroll <server> <token>`. */
  enrollment: { token: string; expires_at: number; command: string };
  /** Only when asked for (`credential: true`): the node's credential and agent.yaml, shown once. */
  credential?: string;
  agent_config?: string;
}

export interface ErrorResponse {
  error: { code: number; message: string };
}

/** Messages pushed on the live feed (WebSocket `/api/v1/live`). */
export type LiveMessage =
  | { type: 'hello'; server_time: number }
  | { type: 'readings'; node: string; readings: Array<{ channel: number; ts: number; v: number }> }
  | { type: 'status'; node: string; online: boolean; last_seen: number | null }
  | { type: 'channel'; channel: ChannelSummary }
  | { type: 'equipment'; node: string; event: EquipmentLiveEvent };

/** Channel metadata an import may give for channels it creates; existing channels keep theirs. */
export interface ImportChannelMeta {
  driver?: string;
  label?: string;
  quantity?: string;
  unit?: string;
  labels?: Record<string, string>;
}

/** `POST /api/v1/nodes/{name}/import`: one batch of old readings for one node. */
export interface ImportReadingsRequest {
  /** Count what would be imported; store nothing. */
  dry_run?: boolean;
  channels?: Record<string, ImportChannelMeta>;
  /** `channel` is the channel key; `ts` ms since the epoch. */
  readings: Array<{ channel: string; ts: number; value: number }>;
}

export interface ImportReadingsResponse {
  imported: number;
  /** Already stored for that channel and timestamp (or repeated in the batch). */
  duplicates: number;
  /** Channel keys this batch created (with dry_run: would create). */
  channels_created: string[];
}

/** One exported reading, as a JSONL line of `GET /api/v1/export?format=jsonl`. */
export interface ExportedReading {
  time: string;
  ts: number;
  node: string;
  channel: string;
  unit: string;
  value: number;
}

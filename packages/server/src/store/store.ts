import type { ChannelMeta, NodeStats, SeriesResponse } from '@ma/protocol';

/**
 * The server's storage boundary. Everything above this line speaks these types; only the
 * implementation knows Kysely, SQLite or PostgreSQL. Every method is covered by one test
 * suite that runs against both dialects.
 */

export interface NodeRow {
  id: number;
  name: string;
  display_name: string;
  credential_hash: string;
  created_at: number;
  online: boolean;
  last_seen: number | null;
  /** Latest status payload fields, as JSON text (agent_version, hostname, ip, boot_id, started_at, channels...). */
  status_json: string | null;
}

export interface ChannelRow {
  id: number;
  node_id: number;
  key: string;
  kind: 'sensor' | 'actuator';
  driver: string;
  quantity: string | null;
  unit: string;
  label: string | null;
  /** JSON object text. */
  labels_json: string;
  available: boolean;
  error: string | null;
  last_ts: number | null;
  last_value: number | null;
  created_at: number;
}

export interface ReadingInput {
  seq: number;
  channel_id: number;
  ts: number;
  value: number;
}

export interface InsertResult {
  inserted: number;
  duplicates: number;
  /** The rows that were new, for live fan-out and rules. */
  insertedRows: ReadingInput[];
}

export type StatCounter = keyof Omit<NodeStats, 'last_reject_reason' | 'last_reject_at'>;

export interface Store {
  readonly dialect: 'sqlite' | 'postgres';
  /** Runs pending migrations (forward only). Idempotent. */
  migrate(): Promise<void>;
  close(): Promise<void>;

  /** Creates a node and allocates its numeric id. Throws MaError Conflict if the name exists. */
  createNode(input: { name: string; display_name?: string; credential_hash: string }): Promise<NodeRow>;
  getNodeByName(name: string): Promise<NodeRow | undefined>;
  getNodeById(id: number): Promise<NodeRow | undefined>;
  listNodes(): Promise<NodeRow[]>;
  setNodeCredential(nodeId: number, credential_hash: string): Promise<void>;
  setNodeStatus(nodeId: number, update: { online: boolean; last_seen?: number; status_json?: string }): Promise<void>;
  touchNode(nodeId: number, last_seen: number): Promise<void>;

  /** Adds to per-node counters (persisted, survive restarts). */
  addNodeStats(nodeId: number, delta: Partial<Record<StatCounter, number>>, reject?: { reason: string; at: number }): Promise<void>;
  getNodeStats(nodeId: number): Promise<NodeStats>;

  /** Creates channels not yet known and updates metadata of known ones. Returns key -> row. */
  upsertChannels(nodeId: number, metas: Record<string, ChannelMeta>): Promise<Map<string, ChannelRow>>;
  /** Ensures a bare channel row exists for each key (unit '' until metadata arrives). */
  ensureChannels(nodeId: number, keys: string[]): Promise<Map<string, ChannelRow>>;
  listChannels(nodeId?: number): Promise<ChannelRow[]>;
  getChannel(id: number): Promise<ChannelRow | undefined>;
  setChannelHealth(channelId: number, available: boolean, error: string | null): Promise<void>;

  /**
   * Stores readings idempotently: a `(node, seq)` already stored is ignored (counted as a
   * duplicate). Updates minute and hour rollups for new rows only, and each channel's
   * last value, all in one transaction.
   */
  insertReadings(nodeId: number, rows: ReadingInput[]): Promise<InsertResult>;

  /**
   * Returns at most `points` points for a channel over [from, to): raw rows when they fit,
   * else min/max/avg buckets, served from the minute or hour rollups when the bucket is at
   * least that wide.
   */
  queryReadings(channelId: number, from: number, to: number, points: number): Promise<SeriesResponse>;

  countReadings(nodeId?: number): Promise<number>;
}

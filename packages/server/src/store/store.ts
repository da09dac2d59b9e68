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
  /** Set by people (dashboard, API); wins over `label`, which the agent's metadata overwrites. */
  user_label: string | null;
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

/** One old reading to import: identified by its channel and timestamp, not by an agent's seq. */
export interface ImportReading {
  channel_id: number;
  ts: number;
  value: number;
}

export interface ImportResult {
  /** Stored now (with dryRun: would be stored). */
  imported: number;
  /** Same channel and timestamp already stored, or repeated within the batch. */
  duplicates: number;
}

/** A node went online or offline at `at`. */
export interface ConnectionEvent {
  at: number;
  online: boolean;
}

/** One raw reading as exported (CSV). */
export interface RawReading {
  seq: number;
  ts: number;
  value: number;
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
  /** Sets the node's status; a change of `online` is also recorded as a connection event. */
  setNodeStatus(nodeId: number, update: { online: boolean; last_seen?: number; status_json?: string }): Promise<void>;
  /**
   * The node's online/offline transitions in [from, to), oldest first, preceded by the last one
   * before `from` (so the state at `from` is known).
   */
  listConnectionEvents(nodeId: number, from: number, to: number): Promise<ConnectionEvent[]>;
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
  /** Sets (or with null, clears) the people-given label. Returns the updated row, undefined if no such channel. */
  setChannelUserLabel(channelId: number, label: string | null): Promise<ChannelRow | undefined>;

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

  /**
   * Raw readings of a channel in [from, to), in (ts, seq) order, at most `limit`, strictly after
   * the `after` cursor (the last row of the previous page) when given: for streaming exports.
   */
  readRawReadings(channelId: number, from: number, to: number, limit: number, after?: { ts: number; seq: number }): Promise<RawReading[]>;

  /**
   * Stores old readings (an import) exactly once: a reading whose channel already has one at
   * the same timestamp is a duplicate. Rollups are updated; a channel's last value only moves
   * forward. Imported rows take negative seqs, so agents' seqs are never shadowed. With
   * `dryRun`, counts what would happen and writes nothing.
   */
  importReadings(nodeId: number, rows: ImportReading[], opts?: { dryRun?: boolean }): Promise<ImportResult>;

  /** How many raw readings a channel has in [from, to) (what `readRawReadings` pages through). */
  countRawReadings(channelId: number, from: number, to: number): Promise<number>;

  countReadings(nodeId?: number): Promise<number>;
}

import type { ColumnType, Generated, SqlBool } from 'kysely';

/**
 * The database schema as Kysely sees it. Times are ms since the epoch (bigint on PostgreSQL,
 * INTEGER on SQLite); booleans are real booleans on PostgreSQL and 0/1 on SQLite, which is
 * why they are typed `SqlBool` here and turned into `boolean` at the store boundary.
 */
export interface Database {
  nodes: NodesTable;
  node_stats: NodeStatsTable;
  channels: ChannelsTable;
  readings: ReadingsTable;
  readings_1m: RollupTable;
  readings_1h: RollupTable;
  node_connections: NodeConnectionsTable;
  import_seqs: ImportSeqsTable;
}

/** The next (negative) seq an import of old readings takes for a node; counts down. */
export interface ImportSeqsTable {
  node_id: number;
  next_seq: number;
}

/** A column the database fills in when the insert leaves it out. */
type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface NodesTable {
  id: Generated<number>;
  name: string;
  display_name: string;
  credential_hash: string;
  created_at: number;
  online: Defaulted<SqlBool>;
  last_seen: number | null;
  status_json: string | null;
}

export interface NodeStatsTable {
  node_id: number;
  readings_stored: Defaulted<number>;
  readings_duplicate: Defaulted<number>;
  messages_rejected: Defaulted<number>;
  publishes_refused: Defaulted<number>;
  auth_failures: Defaulted<number>;
  client_ids_refused: Defaulted<number>;
  last_reject_reason: string | null;
  last_reject_at: number | null;
}

export interface ChannelsTable {
  id: Generated<number>;
  node_id: number;
  key: string;
  kind: 'sensor' | 'actuator';
  driver: string;
  quantity: string | null;
  unit: string;
  label: string | null;
  /** set by people on the dashboard; wins over the agent's `label` */
  user_label: Defaulted<string | null>;
  labels_json: string;
  available: Defaulted<SqlBool>;
  error: string | null;
  last_ts: number | null;
  last_value: number | null;
  created_at: number;
}

export interface ReadingsTable {
  node_id: number;
  seq: number;
  channel_id: number;
  ts: number;
  value: number;
}

/** One bucket of a channel's readings: `bucket_ts` is the bucket's start, aligned to its width. */
export interface RollupTable {
  channel_id: number;
  bucket_ts: number;
  min: number;
  max: number;
  sum: number;
  count: number;
}

export type RollupTableName = 'readings_1m' | 'readings_1h';

/** One online/offline transition of a node (only changes are stored). */
export interface NodeConnectionsTable {
  node_id: number;
  at: number;
  online: SqlBool;
}

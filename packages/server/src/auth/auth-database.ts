import type { ColumnType, Generated, Kysely, SqlBool } from 'kysely';
import type { Database } from '../store/database.js';
import { KyselyStore } from '../store/kysely-store.js';
import type { Store } from '../store/store.js';

/**
 * Tables of users, grants, sessions, API tokens, enrollment tokens and the audit log
 * (migration 0004_auth_*). They live in the same database as the telemetry; the repositories
 * that use them see `Database & AuthTables`, so the core schema type stays as it is.
 */
// A type alias, not an interface: Kysely's withTables needs an indexable record type.
export type AuthTables = {
  users: UsersTable;
  sessions: SessionsTable;
  grants: GrantsTable;
  node_tags: NodeTagsTable;
  api_tokens: ApiTokensTable;
  enrollment_tokens: EnrollmentTokensTable;
  audit_log: AuditLogTable;
};

type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface UsersTable {
  id: Generated<number>;
  name: string;
  role: 'admin' | 'member';
  password_hash: string;
  totp_secret: string | null;
  totp_enabled: Defaulted<SqlBool>;
  disabled: Defaulted<SqlBool>;
  created_at: number;
  updated_at: number;
}

export interface SessionsTable {
  id_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  ip: string | null;
}

export interface GrantsTable {
  user_id: number;
  scope: 'node' | 'tag';
  target: string;
  permission: 'view' | 'actuate' | 'ssh' | 'admin';
  created_at: number;
}

export interface NodeTagsTable {
  node_id: number;
  tag: string;
}

export interface ApiTokensTable {
  id: Generated<number>;
  user_id: number;
  name: string;
  token_hash: string;
  scope: 'read' | 'grants';
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

export interface EnrollmentTokensTable {
  id: Generated<number>;
  node_id: number;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  created_by: string;
}

export interface AuditLogTable {
  id: Generated<number>;
  at: number;
  actor: string;
  ip: string | null;
  action: string;
  target: string | null;
  outcome: 'ok' | 'denied' | 'failed';
  reason: string | null;
  detail_json: string | null;
}

export type AuthDb = Kysely<Database & AuthTables>;

/** What every auth repository is given: the shared connection and how to spell a boolean on it. */
export interface AuthDatabase {
  db: AuthDb;
  dialect: 'sqlite' | 'postgres';
  /** SQLite has no boolean type: 0/1 there, real booleans on PostgreSQL. */
  bool(v: boolean): SqlBool;
}

/** The connection the auth repositories share with the Store (one pool for everything). */
export function authDatabase(store: Store): AuthDatabase {
  if (!(store instanceof KyselyStore)) throw new Error('the auth repositories need the Kysely store');
  const dialect = store.dialect;
  return { db: store.kysely.withTables<AuthTables>(), dialect, bool: (v) => (dialect === 'sqlite' ? (v ? 1 : 0) : v) };
}

import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import BetterSqlite3 from 'better-sqlite3';
import pg from 'pg';
import { Kysely, PostgresDialect, SqliteDialect } from 'kysely';
import { ErrorCode, MaError } from '@ma/protocol';
import type { Database } from './database.js';
import { toStorageError } from './storage-errors.js';

export type SqlDialectName = 'sqlite' | 'postgres';

/** The slice of a pino logger the store uses. */
export interface StoreLog {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export type StoreLocation = { dialect: 'sqlite'; path: string } | { dialect: 'postgres'; url: string };

/**
 * Reads a store URL: `postgres://…` / `postgresql://…` for PostgreSQL; `sqlite:<path>`,
 * `sqlite://<path>`, a plain file path or `:memory:` for SQLite.
 */
export function parseStoreUrl(url: string): StoreLocation {
  const trimmed = url.trim();
  if (/^postgres(ql)?:\/\//i.test(trimmed)) return { dialect: 'postgres', url: trimmed };
  let path = trimmed;
  if (/^sqlite:/i.test(path)) {
    path = path.slice('sqlite:'.length);
    if (path.startsWith('//')) path = path.slice(2);
  }
  if (path === '' || /^[a-z][a-z0-9+.-]*:\/\//i.test(path)) {
    throw new MaError(
      ErrorCode.ConfigInvalid,
      `store url "${url}" is not understood: use "sqlite:<path>", a file path, ":memory:" or "postgres://user@host:5432/db"`,
    );
  }
  return { dialect: 'sqlite', path };
}

/** Redacts the password of a connection URL so it can be logged. */
export function describeLocation(location: StoreLocation): string {
  if (location.dialect === 'sqlite') return `sqlite:${location.path}`;
  try {
    const u = new URL(location.url);
    if (u.password !== '') u.password = '***';
    return u.toString();
  } catch {
    return 'postgres://(unparseable url)';
  }
}

export interface OpenedDatabase {
  db: Kysely<Database>;
  dialect: SqlDialectName;
}

export function openDatabase(location: StoreLocation, log: StoreLog): OpenedDatabase {
  return location.dialect === 'sqlite'
    ? { db: openSqlite(location.path), dialect: 'sqlite' }
    : { db: openPostgres(location.url, log), dialect: 'postgres' };
}

function openSqlite(path: string): Kysely<Database> {
  let sqlite: BetterSqlite3.Database | undefined;
  try {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    sqlite = new BetterSqlite3(path);
    // WAL lets readers run beside the writer; NORMAL syncs at checkpoints, which in WAL mode
    // can lose the last commits on power loss but never corrupts the file.
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = NORMAL');
    sqlite.pragma('busy_timeout = 5000');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('temp_store = MEMORY');
    sqlite.pragma('cache_size = -32768');
  } catch (e) {
    sqlite?.close();
    throw toStorageError(`open the SQLite database ${path} (check the path and its permissions)`, e);
  }
  return new Kysely<Database>({ dialect: new SqliteDialect({ database: new CachingSqlite(sqlite) }) });
}

/**
 * better-sqlite3 behind Kysely's SQLite driver, which prepares every statement anew.
 * Keeping the most recent prepared statements saves most of a small query's cost.
 */
class CachingSqlite {
  readonly #db: BetterSqlite3.Database;
  readonly #statements = new Map<string, BetterSqlite3.Statement>();
  static readonly #capacity = 256;

  constructor(db: BetterSqlite3.Database) {
    this.#db = db;
  }

  prepare(sql: string): BetterSqlite3.Statement {
    const cached = this.#statements.get(sql);
    if (cached !== undefined && !cached.busy) {
      // Re-insert to mark it most recently used.
      this.#statements.delete(sql);
      this.#statements.set(sql, cached);
      return cached;
    }
    const stmt = this.#db.prepare(sql);
    // Only cache plain statements: transaction control and schema changes are rare.
    if (cached === undefined && /^\s*(select|insert|update|delete|with)\b/i.test(sql)) {
      this.#statements.set(sql, stmt);
      if (this.#statements.size > CachingSqlite.#capacity) {
        const oldest = this.#statements.keys().next().value;
        if (oldest !== undefined) this.#statements.delete(oldest);
      }
    }
    return stmt;
  }

  close(): void {
    this.#statements.clear();
    try {
      // Refreshes the planner's statistics where they have drifted; cheap, and only a hint.
      this.#db.pragma('optimize');
    } catch {
      // A read-only or damaged file cannot be optimised; closing matters more.
    }
    this.#db.close();
  }
}

const INT8_OID = 20;

/** bigint columns (times, sequences, counters) as JS numbers; refuses values a double cannot hold. */
function parseInt8(text: string): number {
  const n = Number(text);
  if (!Number.isSafeInteger(n)) {
    throw new MaError(ErrorCode.StorageCorrupt, `bigint ${text} from PostgreSQL is beyond JavaScript's safe integer range`);
  }
  return n;
}

// Per pool, not pg.types.setTypeParser: other users of pg in the process keep their parsing.
const pgTypes: pg.CustomTypesConfig = {
  getTypeParser: ((id: number, format?: 'text' | 'binary') =>
    id === INT8_OID && format !== 'binary'
      ? parseInt8
      : pg.types.getTypeParser(id, format ?? 'text')) as pg.CustomTypesConfig['getTypeParser'],
};

function openPostgres(url: string, log: StoreLog): Kysely<Database> {
  const pool = new pg.Pool({ connectionString: url, types: pgTypes, max: 10, idleTimeoutMillis: 30_000 });
  // An idle client losing its connection emits 'error' on the pool; unhandled, it would end the process.
  pool.on('error', (err) => log.warn({ err }, 'PostgreSQL connection lost; the pool will reconnect'));
  return new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
}

import { sql, type ColumnDefinitionBuilder, type RawBuilder } from 'kysely';
import type { SqlDialectName } from './dialect.js';

/**
 * The column spellings that differ between the dialects, shared by every migration: ids are
 * identity columns on PostgreSQL and rowid aliases on SQLite; booleans are `boolean` on
 * PostgreSQL and 0/1 integers on SQLite.
 */
export interface DialectColumns {
  bool: 'integer' | 'boolean';
  falseValue: RawBuilder<unknown>;
  trueValue: RawBuilder<unknown>;
  /** `without rowid` on SQLite (clustered primary key), nothing on PostgreSQL. */
  withoutRowid: RawBuilder<unknown>;
  /** An auto-assigned integer primary key. */
  id(c: ColumnDefinitionBuilder): ColumnDefinitionBuilder;
}

export function dialectColumns(dialect: SqlDialectName): DialectColumns {
  const isSqlite = dialect === 'sqlite';
  return {
    bool: isSqlite ? 'integer' : 'boolean',
    falseValue: isSqlite ? sql`0` : sql`false`,
    trueValue: isSqlite ? sql`1` : sql`true`,
    withoutRowid: isSqlite ? sql`without rowid` : sql``,
    id: (c) => (isSqlite ? c.primaryKey().autoIncrement() : c.primaryKey().generatedByDefaultAsIdentity()),
  };
}

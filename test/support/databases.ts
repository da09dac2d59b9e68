import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';

/**
 * Databases for storage specs that run on both dialects: a SQLite file, or a PostgreSQL
 * database created for this run (on MA_TEST_POSTGRES_URL or the local server) whose schema is
 * dropped and recreated for each test, and which is dropped at the end.
 */
export const PG_ADMIN_URL = process.env.MA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export type Dialect = 'sqlite' | 'postgres';

export interface TestDatabase {
  setup(): Promise<void>;
  /** A URL for `openStore` naming an empty database. */
  fresh(): Promise<string>;
  teardown(): Promise<void>;
}

async function onPg(url: string, sqlText: string): Promise<void> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    await c.query(sqlText);
  } finally {
    await c.end();
  }
}

export function testDatabase(dialect: Dialect, prefix: string): TestDatabase {
  if (dialect === 'sqlite') {
    const dir = mkdtempSync(join(tmpdir(), `${prefix}-`));
    let n = 0;
    return { setup: async () => {}, fresh: async () => `sqlite:${join(dir, `t${++n}.db`)}`, teardown: async () => rmSync(dir, { recursive: true, force: true }) };
  }
  const name = `${prefix.replace(/-/g, '_')}_${randomBytes(5).toString('hex')}`;
  const url = new URL(PG_ADMIN_URL);
  url.pathname = `/${name}`;
  return {
    setup: () => onPg(PG_ADMIN_URL, `CREATE DATABASE ${name}`),
    fresh: async () => {
      await onPg(url.toString(), 'DROP SCHEMA public CASCADE; CREATE SCHEMA public');
      return url.toString();
    },
    teardown: () => onPg(PG_ADMIN_URL, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

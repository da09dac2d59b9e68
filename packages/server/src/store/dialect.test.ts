import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ErrorCode, isMaError } from '@ma/protocol';
import { describeLocation, parseStoreUrl } from './dialect.js';
import { openStore } from './open-store.js';

describe('parseStoreUrl', () => {
  it('reads PostgreSQL URLs', () => {
    expect(parseStoreUrl('postgres://u:p@db:5432/ma')).toEqual({ dialect: 'postgres', url: 'postgres://u:p@db:5432/ma' });
    expect(parseStoreUrl('postgresql://db/ma').dialect).toBe('postgres');
  });

  it('reads SQLite paths in every accepted spelling', () => {
    expect(parseStoreUrl('sqlite:/var/lib/ma/ma.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/ma/ma.db' });
    expect(parseStoreUrl('sqlite:///var/lib/ma/ma.db')).toEqual({ dialect: 'sqlite', path: '/var/lib/ma/ma.db' });
    expect(parseStoreUrl('sqlite:data/ma.db')).toEqual({ dialect: 'sqlite', path: 'data/ma.db' });
    expect(parseStoreUrl('./ma.db')).toEqual({ dialect: 'sqlite', path: './ma.db' });
    expect(parseStoreUrl(':memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
    expect(parseStoreUrl('sqlite::memory:')).toEqual({ dialect: 'sqlite', path: ':memory:' });
  });

  it('refuses other schemes and empty paths with a config error', () => {
    for (const url of ['mysql://db/ma', 'sqlite:', '']) {
      let err: unknown;
      try {
        parseStoreUrl(url);
      } catch (e) {
        err = e;
      }
      expect(isMaError(err) && err.code).toBe(ErrorCode.ConfigInvalid);
    }
  });

  it('hides the password when describing a location for logs', () => {
    expect(describeLocation(parseStoreUrl('postgres://ma:secret@db/ma'))).toBe('postgres://ma:***@db/ma');
  });
});

describe('openStore', () => {
  it('opens an in-memory SQLite store, migrated', async () => {
    const store = await openStore({ url: ':memory:' });
    expect(store.dialect).toBe('sqlite');
    expect(await store.listNodes()).toEqual([]);
    await store.close();
  });

  it('says a file that is not a database is corrupt', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ma-store-'));
    try {
      const path = join(dir, 'not.db');
      writeFileSync(path, 'this is not a database, just some text that is long enough to have a header'.repeat(20));
      const err: unknown = await openStore({ url: `sqlite:${path}` }).catch((e: unknown) => e);
      expect(isMaError(err) && err.code).toBe(ErrorCode.StorageCorrupt);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('reports an unreachable PostgreSQL server as a storage failure', async () => {
    const err: unknown = await openStore({ url: 'postgres://nobody@127.0.0.1:1/none' }).catch((e: unknown) => e);
    expect(isMaError(err) && err.code).toBe(ErrorCode.StorageFailed);
  });
});

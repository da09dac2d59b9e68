import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Kysely } from 'kysely';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode, isMaError } from '@ma/protocol';
import type { Database } from './database.js';
import { openDatabase, parseStoreUrl, type StoreLog } from './dialect.js';
import { openStore } from './open-store.js';
import type { ReadingInput, Store } from './store.js';

/**
 * One specification, run against every dialect. PostgreSQL tests use a database created for
 * this run (and dropped after), on the server named by MA_TEST_POSTGRES_URL or the local one.
 */

const PG_ADMIN_URL = process.env.MA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

interface Harness {
  setup(): Promise<void>;
  /** A URL to an empty database, distinct from the previous test's (or emptied). */
  fresh(): Promise<string>;
  teardown(): Promise<void>;
}

function sqliteHarness(): Harness {
  let dir = '';
  let n = 0;
  return {
    setup: () => {
      dir = mkdtempSync(join(tmpdir(), 'ma-store-'));
      return Promise.resolve();
    },
    fresh: () => Promise.resolve(`sqlite:${join(dir, `t${++n}`, 'ma.db')}`),
    teardown: () => {
      rmSync(dir, { recursive: true, force: true });
      return Promise.resolve();
    },
  };
}

function postgresHarness(): Harness {
  const dbName = `ma_test_${randomBytes(6).toString('hex')}`;
  const testUrl = new URL(PG_ADMIN_URL);
  testUrl.pathname = `/${dbName}`;
  const admin = async <T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> => {
    const client = new pg.Client({ connectionString: url });
    await client.connect();
    try {
      return await fn(client);
    } finally {
      await client.end();
    }
  };
  return {
    setup: () => admin(PG_ADMIN_URL, async (c) => void (await c.query(`CREATE DATABASE ${dbName}`))),
    fresh: async () => {
      await admin(testUrl.toString(), async (c) => {
        await c.query('DROP SCHEMA public CASCADE');
        await c.query('CREATE SCHEMA public');
      });
      return testUrl.toString();
    },
    teardown: () => admin(PG_ADMIN_URL, async (c) => void (await c.query(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`))),
  };
}

const quiet: StoreLog = { info() {}, warn() {}, error() {} };
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const T0 = Date.UTC(2024, 0, 1);

/** Deterministic pseudo-random numbers in [0, 1). */
function random(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** `count` readings of one channel, `stepMs` apart from `start`, seqs from `firstSeq`. */
function series(channel_id: number, start: number, stepMs: number, count: number, firstSeq = 1, seed = 1): ReadingInput[] {
  const rnd = random(seed);
  return Array.from({ length: count }, (_, i) => ({
    seq: firstSeq + i,
    channel_id,
    ts: start + i * stepMs,
    value: Math.round((20 + 5 * Math.sin(i / 50) + rnd()) * 1000) / 1000,
  }));
}

async function insertAll(store: Store, nodeId: number, rows: ReadingInput[], batch = 500): Promise<void> {
  for (let i = 0; i < rows.length; i += batch) await store.insertReadings(nodeId, rows.slice(i, i + batch));
}

/** What any bucketed answer must equal: buckets computed directly from the raw rows. */
function expectedBuckets(rows: ReadingInput[], from: number, to: number, bucketMs: number) {
  const m = new Map<number, { min: number; max: number; sum: number; count: number }>();
  for (const r of rows) {
    if (r.ts < from || r.ts >= to) continue;
    const b = Math.floor(r.ts / bucketMs) * bucketMs;
    const acc = m.get(b);
    if (acc === undefined) m.set(b, { min: r.value, max: r.value, sum: r.value, count: 1 });
    else {
      acc.min = Math.min(acc.min, r.value);
      acc.max = Math.max(acc.max, r.value);
      acc.sum += r.value;
      acc.count += 1;
    }
  }
  return [...m.entries()].sort((a, b) => a[0] - b[0]).map(([t, a]) => ({ t, ...a, avg: a.sum / a.count }));
}

describe.each([
  ['sqlite', sqliteHarness()],
  ['postgres', postgresHarness()],
] as const)('Store on %s', (dialect, harness) => {
  let url: string;
  let store: Store;
  const extra: Array<Store | Kysely<Database>> = [];

  /** A second handle on the same database, to look at tables the Store does not expose. */
  const inspect = (): Kysely<Database> => {
    const { db } = openDatabase(parseStoreUrl(url), quiet);
    extra.push(db);
    return db;
  };

  const makeNode = async (name = 'lab-1'): Promise<number> => (await store.createNode({ name, credential_hash: 'h' })).id;
  const makeChannel = async (nodeId: number, key = 'ds18b20/a'): Promise<number> => {
    const ch = (await store.ensureChannels(nodeId, [key])).get(key);
    if (ch === undefined) throw new Error('channel missing');
    return ch.id;
  };

  beforeAll(() => harness.setup());
  afterAll(() => harness.teardown());
  beforeEach(async () => {
    url = await harness.fresh();
    store = await openStore({ url, log: quiet });
  });
  afterEach(async () => {
    await store.close();
    for (const h of extra.splice(0)) {
      if ('destroy' in h) await h.destroy();
      else await h.close();
    }
  });

  it('reports its dialect', () => {
    expect(store.dialect).toBe(dialect);
  });

  describe('migrations', () => {
    it('are idempotent: migrating again, or reopening a migrated database, changes nothing', async () => {
      const id = await makeNode();
      await store.migrate();
      await store.migrate();
      const again = await openStore({ url, log: quiet });
      extra.push(again);
      expect((await again.getNodeById(id))?.name).toBe('lab-1');
    });
  });

  describe('nodes', () => {
    it('allocates ids, defaults the display name to the name and starts offline', async () => {
      const a = await store.createNode({ name: 'lab-a', credential_hash: 'ha' });
      const b = await store.createNode({ name: 'lab-b', display_name: 'Lab B', credential_hash: 'hb' });
      expect(b.id).toBeGreaterThan(a.id);
      expect(a).toMatchObject({ name: 'lab-a', display_name: 'lab-a', credential_hash: 'ha', online: false, last_seen: null });
      expect(b.display_name).toBe('Lab B');
      expect(a.created_at).toBeGreaterThan(T0);
      expect(await store.getNodeByName('lab-b')).toEqual(b);
      expect(await store.getNodeById(a.id)).toEqual(a);
      expect(await store.getNodeByName('nope')).toBeUndefined();
    });

    it('refuses a second node with the same name with a Conflict error', async () => {
      await makeNode('lab-1');
      const err: unknown = await store.createNode({ name: 'lab-1', credential_hash: 'x' }).catch((e: unknown) => e);
      expect(isMaError(err) && err.code).toBe(ErrorCode.Conflict);
      expect(await store.listNodes()).toHaveLength(1);
    });

    it('lists nodes by name', async () => {
      for (const n of ['zeta', 'alpha', 'mu']) await makeNode(n);
      expect((await store.listNodes()).map((n) => n.name)).toEqual(['alpha', 'mu', 'zeta']);
    });

    it('records status, and moves last_seen forward only', async () => {
      const id = await makeNode();
      await store.setNodeStatus(id, { online: true, last_seen: T0 + 1000, status_json: '{"hostname":"pi"}' });
      expect(await store.getNodeById(id)).toMatchObject({ online: true, last_seen: T0 + 1000, status_json: '{"hostname":"pi"}' });
      await store.touchNode(id, T0 + 5000);
      await store.touchNode(id, T0 + 2000);
      await store.setNodeStatus(id, { online: false });
      expect(await store.getNodeById(id)).toMatchObject({ online: false, last_seen: T0 + 5000, status_json: '{"hostname":"pi"}' });
    });

    it('replaces a credential, and says NotFound for an unknown node', async () => {
      const id = await makeNode();
      await store.setNodeCredential(id, 'new-hash');
      expect((await store.getNodeById(id))?.credential_hash).toBe('new-hash');
      const err: unknown = await store.setNodeCredential(id + 100, 'x').catch((e: unknown) => e);
      expect(isMaError(err) && err.code).toBe(ErrorCode.NotFound);
    });
  });

  describe('node statistics', () => {
    it('start at zero and accumulate, keeping the last reject', async () => {
      const id = await makeNode();
      expect(await store.getNodeStats(id)).toEqual({
        readings_stored: 0,
        readings_duplicate: 0,
        messages_rejected: 0,
        publishes_refused: 0,
        auth_failures: 0,
        client_ids_refused: 0,
        last_reject_reason: null,
        last_reject_at: null,
      });
      await store.addNodeStats(id, { messages_rejected: 1 }, { reason: 'bad json', at: T0 });
      await store.addNodeStats(id, { messages_rejected: 2, auth_failures: 1 }, { reason: 'schema', at: T0 + 1 });
      await store.addNodeStats(id, { publishes_refused: 4 });
      expect(await store.getNodeStats(id)).toMatchObject({
        messages_rejected: 3,
        auth_failures: 1,
        client_ids_refused: 0,
        publishes_refused: 4,
        last_reject_reason: 'schema',
        last_reject_at: T0 + 1,
      });
    });

    it('survive closing and reopening the store', async () => {
      const id = await makeNode();
      const ch = await makeChannel(id);
      await store.addNodeStats(id, { auth_failures: 2 });
      await store.insertReadings(id, series(ch, T0, 1000, 10));
      await store.close();
      store = await openStore({ url, log: quiet });
      expect(await store.getNodeStats(id)).toMatchObject({ auth_failures: 2, readings_stored: 10 });
      expect(await store.countReadings(id)).toBe(10);
    });
  });

  describe('channels', () => {
    it('ensureChannels creates bare rows once and returns existing ones as they are', async () => {
      const id = await makeNode();
      const first = await store.ensureChannels(id, ['a', 'b', 'a']);
      expect([...first.keys()].sort()).toEqual(['a', 'b']);
      expect(first.get('a')).toMatchObject({
        node_id: id,
        key: 'a',
        kind: 'sensor',
        driver: 'unknown',
        unit: '',
        quantity: null,
        label: null,
        labels_json: '{}',
        available: true,
        error: null,
        last_ts: null,
        last_value: null,
      });
      await store.upsertChannels(id, { a: { kind: 'sensor', driver: 'ds18b20', unit: '°C' } });
      const second = await store.ensureChannels(id, ['a', 'c']);
      expect(second.get('a')).toMatchObject({ id: first.get('a')?.id, driver: 'ds18b20', unit: '°C' });
      expect(second.get('c')?.id).toBeDefined();
    });

    it('upsertChannels creates unknown channels and updates the metadata of known ones, keeping ids', async () => {
      const id = await makeNode();
      const created = await store.upsertChannels(id, {
        'ds18b20/a': { kind: 'sensor', driver: 'ds18b20', quantity: 'temperature', unit: '°C', label: 'Bench' },
      });
      const before = created.get('ds18b20/a');
      expect(before).toMatchObject({ quantity: 'temperature', unit: '°C', label: 'Bench', labels_json: '{}' });
      const updated = await store.upsertChannels(id, {
        'ds18b20/a': { kind: 'sensor', driver: 'ds18b20', unit: 'K', labels: { room: 'b12' } },
        'relay/1': { kind: 'actuator', driver: 'gpio', unit: '' },
      });
      expect(updated.get('ds18b20/a')).toMatchObject({ id: before?.id, unit: 'K', quantity: null, label: null });
      expect(JSON.parse(updated.get('ds18b20/a')?.labels_json ?? '')).toEqual({ room: 'b12' });
      expect(updated.get('relay/1')?.kind).toBe('actuator');
      expect((await store.listChannels(id)).map((c) => c.key)).toEqual(['ds18b20/a', 'relay/1']);
      expect(await store.listChannels(id + 100)).toEqual([]);
    });

    it('records health', async () => {
      const ch = await makeChannel(await makeNode());
      await store.setChannelHealth(ch, false, 'CRC error');
      expect(await store.getChannel(ch)).toMatchObject({ available: false, error: 'CRC error' });
      await store.setChannelHealth(ch, true, null);
      expect(await store.getChannel(ch)).toMatchObject({ available: true, error: null });
      expect(await store.getChannel(ch + 100)).toBeUndefined();
    });
  });

  describe('insertReadings', () => {
    it('is idempotent: the same batch twice stores it once and counts the rest as duplicates', async () => {
      const id = await makeNode();
      const ch = await makeChannel(id);
      const rows = series(ch, T0, 10_000, 50);
      const first = await store.insertReadings(id, rows);
      expect(first).toMatchObject({ inserted: 50, duplicates: 0 });
      expect(first.insertedRows).toEqual(rows);

      const db = inspect();
      const rollupsBefore = await db.selectFrom('readings_1m').selectAll().orderBy('bucket_ts').execute();
      const again = await store.insertReadings(id, rows);
      expect(again).toEqual({ inserted: 0, duplicates: 50, insertedRows: [] });
      expect(await db.selectFrom('readings_1m').selectAll().orderBy('bucket_ts').execute()).toEqual(rollupsBefore);
      expect(await store.countReadings(id)).toBe(50);
      expect(await store.getNodeStats(id)).toMatchObject({ readings_stored: 50, readings_duplicate: 50 });
    });

    it('stores only the new rows of a partly redelivered batch, and a seq repeated inside a batch once', async () => {
      const id = await makeNode();
      const ch = await makeChannel(id);
      const rows = series(ch, T0, 1000, 20);
      await store.insertReadings(id, rows.slice(0, 10));
      const r = await store.insertReadings(id, [...rows.slice(5), rows[19] as ReadingInput]);
      expect(r.inserted).toBe(10);
      expect(r.duplicates).toBe(6);
      expect(r.insertedRows.map((x) => x.seq)).toEqual(rows.slice(10).map((x) => x.seq));
    });

    it('treats seq as per node: two nodes may use the same seq', async () => {
      const a = await makeNode('a');
      const b = await makeNode('b');
      const ca = await makeChannel(a);
      const cb = await makeChannel(b);
      expect((await store.insertReadings(a, series(ca, T0, 1000, 5))).inserted).toBe(5);
      expect((await store.insertReadings(b, series(cb, T0, 1000, 5))).inserted).toBe(5);
      expect(await store.countReadings()).toBe(10);
      expect(await store.countReadings(a)).toBe(5);
    });

    it("keeps each channel's newest reading as its last value, ignoring late older ones", async () => {
      const id = await makeNode();
      const ch = await makeChannel(id);
      await store.insertReadings(id, [
        { seq: 1, channel_id: ch, ts: T0 + 2000, value: 2 },
        { seq: 2, channel_id: ch, ts: T0 + 3000, value: 3 },
      ]);
      await store.insertReadings(id, [{ seq: 3, channel_id: ch, ts: T0 + 1000, value: 1 }]);
      expect(await store.getChannel(ch)).toMatchObject({ last_ts: T0 + 3000, last_value: 3 });
    });

    it('keeps minute and hour rollups equal to aggregates of the raw rows, across batches and out of order', async () => {
      const id = await makeNode();
      const c1 = await makeChannel(id, 'a');
      const c2 = await makeChannel(id, 'b');
      const rows = [...series(c1, T0 + 17_000, 7_000, 1200, 1, 1), ...series(c2, T0, 13_000, 700, 5000, 2)];
      const shuffled = [...rows].sort((x, y) => (x.seq * 7919) % 1000 - (y.seq * 7919) % 1000);
      await insertAll(store, id, shuffled, 100);
      await store.insertReadings(id, shuffled.slice(0, 300)); // redelivery changes nothing

      const db = inspect();
      for (const [table, width] of [
        ['readings_1m', MINUTE],
        ['readings_1h', HOUR],
      ] as const) {
        for (const ch of [c1, c2]) {
          const stored = await db
            .selectFrom(table)
            .selectAll()
            .where('channel_id', '=', ch)
            .orderBy('bucket_ts')
            .execute();
          const expected = expectedBuckets(rows.filter((r) => r.channel_id === ch), 0, Number.MAX_SAFE_INTEGER, width);
          expect(stored.map((s) => s.bucket_ts)).toEqual(expected.map((e) => e.t));
          stored.forEach((s, i) => {
            const e = expected[i];
            expect(s.count).toBe(e?.count);
            expect(s.min).toBe(e?.min);
            expect(s.max).toBe(e?.max);
            expect(s.sum).toBeCloseTo(e?.sum ?? NaN, 6);
          });
        }
      }
    });

    it('refuses readings for a node that does not exist, storing nothing', async () => {
      const id = await makeNode();
      const ch = await makeChannel(id);
      const err: unknown = await store.insertReadings(id + 100, series(ch, T0, 1000, 3)).catch((e: unknown) => e);
      expect(isMaError(err) && err.code).toBe(ErrorCode.NotFound);
      expect(await store.countReadings()).toBe(0);
    });
  });

  describe('queryReadings', () => {
    it('returns raw rows when they fit in the points asked for', async () => {
      const id = await makeNode();
      const ch = await makeChannel(id);
      const rows = series(ch, T0, 1000, 100);
      await store.insertReadings(id, rows);
      const s = await store.queryReadings(ch, T0 + 10_000, T0 + 20_000, 10);
      expect(s).toMatchObject({ channel: ch, from: T0 + 10_000, to: T0 + 20_000, bucket_ms: 0, source: 'raw' });
      expect(s.t).toEqual(rows.slice(10, 20).map((r) => r.ts));
      expect(s.avg).toEqual(rows.slice(10, 20).map((r) => r.value));
      expect(s.min).toEqual(s.avg);
      expect(s.max).toEqual(s.avg);
      expect(s.count).toEqual(Array(10).fill(1));
    });

    it('answers an empty or inverted range with no points', async () => {
      const ch = await makeChannel(await makeNode());
      expect((await store.queryReadings(ch, T0, T0 + HOUR, 100)).t).toEqual([]);
      expect((await store.queryReadings(ch, T0 + HOUR, T0, 100)).t).toEqual([]);
    });

    it('never returns more points than asked and keeps the true min and max of the range', async () => {
      const id = await makeNode();
      const ch = await makeChannel(id);
      const rows = series(ch, T0, 15_000, 4 * 24 * 60 * 4); // 4 days every 15 s
      (rows[1234] as ReadingInput).value = -40; // spikes a naive average would hide
      (rows[9876] as ReadingInput).value = 99;
      await insertAll(store, id, rows, 2000);
      for (const [from, to, points] of [
        [T0, T0 + 4 * 24 * HOUR, 1000], // minute rollups, aligned
        [T0 + 7_000, T0 + 4 * 24 * HOUR - 3 * MINUTE, 50], // hour rollups, ragged ends
        [T0 + 123_456, T0 + 3 * HOUR, 300], // raw buckets (30 s)
        [T0, T0 + 4 * 24 * HOUR, 2],
      ] as const) {
        const s = await store.queryReadings(ch, from, to, points);
        expect(s.t.length).toBeLessThanOrEqual(points);
        expect(s.bucket_ms).toBeGreaterThan(0);
        const inRange = rows.filter((r) => r.ts >= from && r.ts < to).map((r) => r.value);
        expect(Math.min(...s.min)).toBe(Math.min(...inRange));
        expect(Math.max(...s.max)).toBe(Math.max(...inRange));
        expect(s.count.reduce((a, b) => a + b, 0)).toBe(inRange.length);
      }
    });

    it('serves wide buckets from the rollups with exactly the values raw readings would give', async () => {
      const id = await makeNode();
      const ch = await makeChannel(id);
      const rows = series(ch, T0 + 3_000, 20_000, 3 * 24 * 180, 1, 7); // 3 days every 20 s
      await insertAll(store, id, rows, 1000);
      for (const [from, to, points, source] of [
        [T0, T0 + 3 * 24 * HOUR, 100, 'hour'],
        [T0 + 29 * MINUTE + 1, T0 + 50 * HOUR + 7, 200, 'minute'],
        [T0 + 5 * MINUTE, T0 + 2 * HOUR, 300, 'raw'], // 345 readings, 30 s buckets
      ] as const) {
        const s = await store.queryReadings(ch, from, to, points);
        expect(s.source).toBe(source);
        const expected = expectedBuckets(rows, from, to, s.bucket_ms);
        expect(s.t).toEqual(expected.map((e) => e.t));
        expect(s.min).toEqual(expected.map((e) => e.min));
        expect(s.max).toEqual(expected.map((e) => e.max));
        expect(s.count).toEqual(expected.map((e) => e.count));
        s.avg.forEach((a, i) => expect(a).toBeCloseTo(expected[i]?.avg ?? NaN, 9));
      }
    });

    it('leaves gaps as gaps: buckets without readings are absent', async () => {
      const id = await makeNode();
      const ch = await makeChannel(id);
      const day1 = series(ch, T0, MINUTE, 24 * 60, 1);
      const day3 = series(ch, T0 + 48 * HOUR, MINUTE, 24 * 60, 10_000);
      await insertAll(store, id, [...day1, ...day3], 1000);
      const s = await store.queryReadings(ch, T0, T0 + 72 * HOUR, 72);
      expect(s.bucket_ms).toBe(HOUR);
      expect(s.t).toHaveLength(48);
      expect(s.t.some((t) => t >= T0 + 24 * HOUR && t < T0 + 48 * HOUR)).toBe(false);
      expect(s.count.every((c) => c === 60)).toBe(true);
    });

    it('clamps points to [2, 10000]', async () => {
      const id = await makeNode();
      const ch = await makeChannel(id);
      await store.insertReadings(id, series(ch, T0, 1000, 10));
      expect((await store.queryReadings(ch, T0, T0 + 10_000, 0)).t.length).toBeLessThanOrEqual(2);
      expect((await store.queryReadings(ch, T0, T0 + 10_000, 1e9)).bucket_ms).toBe(0);
    });
  });
});

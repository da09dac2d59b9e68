import { mkdtempSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { StoreLog } from './dialect.js';
import { openStore } from './open-store.js';
import type { Store } from './store.js';

/** The dashboard's store methods (connection history, raw export, people-given labels), on every dialect. */

const PG_ADMIN_URL = process.env.MA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const quiet: StoreLog = { info() {}, warn() {}, error() {} };

async function onPg<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

interface Harness {
  setup(): Promise<void>;
  url(): string;
  teardown(): Promise<void>;
}

function sqlite(): Harness {
  let dir = '';
  let n = 0;
  return {
    setup: async () => void (dir = mkdtempSync(join(tmpdir(), 'ma-dash-store-'))),
    url: () => `sqlite:${join(dir, `t${++n}`, 'ma.db')}`,
    teardown: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

function postgres(): Harness {
  const names: string[] = [];
  return {
    setup: async () => {},
    url: () => {
      const name = `ma_test_dash_${randomBytes(5).toString('hex')}`;
      names.push(name);
      const u = new URL(PG_ADMIN_URL);
      u.pathname = `/${name}`;
      return u.toString();
    },
    teardown: () => onPg(PG_ADMIN_URL, async (c) => {
      for (const name of names) await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    }),
  };
}

describe.each([
  ['sqlite', sqlite()],
  ['postgres', postgres()],
] as const)('dashboard store methods on %s', (dialect, harness) => {
  let store: Store;
  let nodeId: number;

  beforeAll(() => harness.setup());
  afterAll(() => harness.teardown());
  beforeEach(async () => {
    const url = harness.url();
    if (dialect === 'postgres') await onPg(PG_ADMIN_URL, async (c) => void (await c.query(`CREATE DATABASE ${new URL(url).pathname.slice(1)}`)));
    store = await openStore({ url, log: quiet });
    nodeId = (await store.createNode({ name: 'lab-1', credential_hash: 'h' })).id;
  });
  afterEach(() => store.close());

  describe('connection history', () => {
    it('records only changes of online, at the status time', async () => {
      await store.setNodeStatus(nodeId, { online: true, last_seen: 1_000 });
      await store.setNodeStatus(nodeId, { online: true, last_seen: 2_000 }); // still online: no event
      await store.setNodeStatus(nodeId, { online: false, last_seen: 5_000 });
      await store.setNodeStatus(nodeId, { online: false }); // still offline
      await store.setNodeStatus(nodeId, { online: true, last_seen: 9_000 });
      expect(await store.listConnectionEvents(nodeId, 0, 100_000)).toEqual([
        { at: 1_000, online: true },
        { at: 5_000, online: false },
        { at: 9_000, online: true },
      ]);
    });

    it('starts a window with the last transition before it, so the state at `from` is known', async () => {
      await store.setNodeStatus(nodeId, { online: true, last_seen: 1_000 });
      await store.setNodeStatus(nodeId, { online: false, last_seen: 5_000 });
      await store.setNodeStatus(nodeId, { online: true, last_seen: 9_000 });
      expect(await store.listConnectionEvents(nodeId, 6_000, 8_000)).toEqual([{ at: 5_000, online: false }]);
      expect(await store.listConnectionEvents(nodeId, 5_000, 9_001)).toEqual([
        { at: 1_000, online: true },
        { at: 5_000, online: false },
        { at: 9_000, online: true },
      ]);
    });

    it('keeps histories of different nodes apart', async () => {
      const other = (await store.createNode({ name: 'lab-2', credential_hash: 'h' })).id;
      await store.setNodeStatus(other, { online: true, last_seen: 3_000 });
      expect(await store.listConnectionEvents(nodeId, 0, 10_000)).toEqual([]);
      expect(await store.listConnectionEvents(other, 0, 10_000)).toEqual([{ at: 3_000, online: true }]);
    });
  });

  describe('raw readings for export', () => {
    it('pages through a range in (ts, seq) order without skipping rows that share a timestamp', async () => {
      const ch = (await store.ensureChannels(nodeId, ['a'])).get('a')!.id;
      const rows = Array.from({ length: 25 }, (_, i) => ({ seq: i + 1, channel_id: ch, ts: 1_000 + Math.floor(i / 3) * 10, value: i }));
      await store.insertReadings(nodeId, rows);
      const seen: number[] = [];
      let after: { ts: number; seq: number } | undefined;
      for (;;) {
        const page = await store.readRawReadings(ch, 1_000, 1_070, 4, after);
        if (page.length === 0) break;
        seen.push(...page.map((r) => r.seq));
        const last = page[page.length - 1]!;
        after = { ts: last.ts, seq: last.seq };
      }
      // ts < 1070 keeps the first 7 timestamps (3 readings each): seqs 1..21, each once.
      expect(seen).toEqual(Array.from({ length: 21 }, (_, i) => i + 1));
    });
  });

  describe('people-given labels', () => {
    it('survive the agent re-sending its metadata, and clear back to the agent label', async () => {
      const ch = (await store.upsertChannels(nodeId, { 'ds18b20/a': { kind: 'sensor', driver: 'ds18b20', unit: '°C', label: 'probe a' } })).get('ds18b20/a')!;
      expect(await store.setChannelUserLabel(ch.id, 'Freezer -80')).toMatchObject({ id: ch.id, label: 'probe a', user_label: 'Freezer -80' });
      await store.upsertChannels(nodeId, { 'ds18b20/a': { kind: 'sensor', driver: 'ds18b20', unit: '°C', label: 'probe A' } });
      expect(await store.getChannel(ch.id)).toMatchObject({ label: 'probe A', user_label: 'Freezer -80' });
      expect(await store.setChannelUserLabel(ch.id, null)).toMatchObject({ user_label: null });
      expect(await store.setChannelUserLabel(999_999, 'x')).toBeUndefined();
    });
  });
});

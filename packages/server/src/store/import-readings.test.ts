import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../../test/support/databases.js';
import { openStore } from './open-store.js';
import type { Store } from './store.js';

/** Importing old readings: exactly once per channel and timestamp, on SQLite and on PostgreSQL. */
describe.each(['sqlite', 'postgres'] as const)('importReadings on %s', (dialect) => {
  const harness = testDatabase(dialect, 'ma-import');
  let store: Store;
  let nodeId: number;
  let channelId: number;

  beforeAll(() => harness.setup());
  afterAll(() => harness.teardown());
  beforeEach(async () => {
    store = await openStore({ url: await harness.fresh() });
    await store.migrate();
    nodeId = (await store.createNode({ name: 'lab-a', credential_hash: 'a'.repeat(64) })).id;
    channelId = (await store.ensureChannels(nodeId, ['ds18b20/28-00000c1a748d'])).get('ds18b20/28-00000c1a748d')!.id;
  });
  afterEach(() => store.close());

  it('stores each (channel, timestamp) once, counting repeats in the batch and on rerun as duplicates', async () => {
    const rows = [0, 1, 2, 2, 3].map((i) => ({ channel_id: channelId, ts: 1_551_700_815_000 + i * 60_000, value: 2 + i }));
    expect(await store.importReadings(nodeId, rows)).toEqual({ imported: 4, duplicates: 1 });
    expect(await store.importReadings(nodeId, rows)).toEqual({ imported: 0, duplicates: 5 });
    expect(await store.countReadings(nodeId)).toBe(4);
    const series = await store.queryReadings(channelId, 1_551_700_000_000, 1_551_800_000_000, 100);
    expect(series.avg).toEqual([2, 3, 4, 5]);
  });

  it('treats a reading the agent already sent at that instant as a duplicate, and leaves agent seqs alone', async () => {
    await store.insertReadings(nodeId, [{ seq: 1, channel_id: channelId, ts: 5000, value: 1 }]);
    expect(await store.importReadings(nodeId, [{ channel_id: channelId, ts: 5000, value: 9 }, { channel_id: channelId, ts: 4000, value: 8 }])).toEqual({ imported: 1, duplicates: 1 });
    // The agent's next seq is still free: imports never take positive seqs.
    expect((await store.insertReadings(nodeId, [{ seq: 2, channel_id: channelId, ts: 6000, value: 2 }])).inserted).toBe(1);
    const raw = await store.readRawReadings(channelId, 0, 10_000, 10);
    expect(raw.map((r) => [r.ts, r.value, r.seq > 0])).toEqual([
      [4000, 8, false],
      [5000, 1, true],
      [6000, 2, true],
    ]);
  });

  it('does not move the last value back in time, and a dry run writes nothing', async () => {
    await store.insertReadings(nodeId, [{ seq: 1, channel_id: channelId, ts: 9000, value: 7 }]);
    const dry = await store.importReadings(nodeId, [{ channel_id: channelId, ts: 1000, value: 1 }, { channel_id: channelId, ts: 9000, value: 1 }], { dryRun: true });
    expect(dry).toEqual({ imported: 1, duplicates: 1 });
    expect(await store.countReadings(nodeId)).toBe(1);
    await store.importReadings(nodeId, [{ channel_id: channelId, ts: 1000, value: 1 }]);
    expect(await store.getChannel(channelId)).toMatchObject({ last_ts: 9000, last_value: 7 });
  });

  it('stores every reading exactly once when two imports of the same data race', async () => {
    const rows = Array.from({ length: 3000 }, (_, i) => ({ channel_id: channelId, ts: 1_000_000 + i * 1000, value: i }));
    const results = await Promise.all([store.importReadings(nodeId, rows), store.importReadings(nodeId, rows)]);
    expect(results.reduce((n, r) => n + r.imported, 0)).toBe(3000);
    expect(await store.countReadings(nodeId)).toBe(3000);
  });
});

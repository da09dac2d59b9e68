import type { LiveMessage } from '@ma/protocol';
import { pino } from 'pino';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LiveHub } from '../live/live-hub.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { Ingest, type NodeIdentity } from './ingest.js';
import { MAX_FUTURE_SKEW_MS, MAX_READING_MAGNITUDE } from './plausibility.js';

const json = (v: unknown) => Buffer.from(JSON.stringify(v));
const meta = { kind: 'sensor', driver: 'ds18b20', unit: '°C', quantity: 'temperature', label: 'fridge' } as const;

describe('Ingest', () => {
  let store: Store;
  let ingest: Ingest;
  let node: NodeIdentity;
  let pushed: LiveMessage[];

  beforeEach(async () => {
    store = await openStore({ url: 'sqlite::memory:' });
    const live = new LiveHub();
    pushed = [];
    live.subscribe({ send: (m) => pushed.push(m) > 0 });
    ingest = new Ingest(store, live, pino({ level: 'silent' }));
    const row = await store.createNode({ name: 'n1', credential_hash: 'x'.repeat(64) });
    node = { id: row.id, name: row.name };
  });
  afterEach(() => store.close());

  it('creates a channel on first sight with its unit and label, stores the readings and pushes them live', async () => {
    const out = await ingest.handle(node, 'telemetry', json({ v: 1, channels: { 'ds18b20/28-1': meta }, readings: [{ seq: 1, ch: 'ds18b20/28-1', ts: 1_700_000_000_000, v: 4.5 }] }));
    expect(out).toMatchObject({ accepted: true });
    const [ch] = await store.listChannels(node.id);
    expect(ch).toMatchObject({ key: 'ds18b20/28-1', unit: '°C', label: 'fridge', last_value: 4.5 });
    expect(pushed).toContainEqual({ type: 'readings', node: 'n1', readings: [{ channel: ch!.id, ts: 1_700_000_000_000, v: 4.5 }] });
  });

  it('creates a bare channel for readings that arrive before their metadata, and fills it in later', async () => {
    await ingest.handle(node, 'telemetry', json({ v: 1, readings: [{ seq: 1, ch: 'x/1', ts: 1_700_000_000_000, v: 1 }] }));
    expect((await store.listChannels(node.id))[0]).toMatchObject({ key: 'x/1', unit: '' });
    await ingest.handle(node, 'telemetry', json({ v: 1, channels: { 'x/1': meta }, readings: [{ seq: 2, ch: 'x/1', ts: 1_700_000_001_000, v: 2 }] }));
    expect((await store.listChannels(node.id))[0]).toMatchObject({ key: 'x/1', unit: '°C', label: 'fridge' });
  });

  it('never stores a reading stamped before 2020 (an unsynchronised clock): refuses and counts it, stores the rest', async () => {
    const out = await ingest.handle(
      node,
      'telemetry',
      json({
        v: 1,
        readings: [
          { seq: 1, ch: 'x/1', ts: 61_000, v: 1, sync: false, boot: 'b0', mono: 61_000 },
          { seq: 2, ch: 'x/1', ts: 1_700_000_000_000, v: 2 },
        ],
      }),
    );
    // Accepted, so the node does not resend it forever; nothing can ever map it to true time.
    expect(out).toMatchObject({ accepted: true });
    const [ch] = await store.listChannels(node.id);
    expect((await store.readRawReadings(ch!.id, 0, Date.now(), 100)).map((r) => r.seq)).toEqual([2]);
    const stats = await store.getNodeStats(node.id);
    expect(stats.messages_rejected).toBe(1);
    expect(stats.last_reject_reason).toMatch(/seq 1\.\.1\) stamped before 2020/);
  });

  it('refuses readings stamped past the near future or with absurd values, counts each kind, and stores the rest', async () => {
    const now = 1_700_000_000_000;
    const out = await ingest.handle(
      node,
      'telemetry',
      json({
        v: 1,
        readings: [
          { seq: 1, ch: 'x/1', ts: now - 1000, v: 1 },
          { seq: 2, ch: 'x/1', ts: now + MAX_FUTURE_SKEW_MS - 1, v: 2 },
          { seq: 3, ch: 'x/1', ts: Date.UTC(3000, 0, 1), v: 3 },
          { seq: 4, ch: 'x/1', ts: 1e20, v: 4 },
          { seq: 5, ch: 'x/1', ts: now, v: 1e308 },
          { seq: 6, ch: 'x/1', ts: now, v: -MAX_READING_MAGNITUDE * 10 },
        ],
      }),
      now,
    );
    expect(out).toMatchObject({ accepted: true, ack: { first_seq: 1, last_seq: 6 } });
    const [ch] = await store.listChannels(node.id);
    expect((await store.readRawReadings(ch!.id, 0, 2 * now, 100)).map((r) => r.seq)).toEqual([1, 2]);
    const stats = await store.getNodeStats(node.id);
    expect(stats.messages_rejected).toBe(2);
    expect(stats.last_reject_reason).toMatch(/seq 5\.\.6\) with a value beyond/);
  });

  it('rejects a batch or reading carrying fields the protocol does not define, storing nothing', async () => {
    for (const batch of [
      { v: 1, readings: [{ seq: 1, ch: 'x/1', ts: 1_700_000_000_000, v: 1 }], padding: 'x'.repeat(1000) },
      { v: 1, readings: [{ seq: 1, ch: 'x/1', ts: 1_700_000_000_000, v: 1, extra: true }] },
    ]) {
      expect(await ingest.handle(node, 'telemetry', json(batch))).toMatchObject({ accepted: false, reason: expect.stringMatching(/unrecognized key/i) });
    }
    expect(await store.listChannels(node.id)).toEqual([]);
  });

  it('pushes nothing live for a redelivered batch', async () => {
    const batch = json({ v: 1, readings: [{ seq: 1, ch: 'x/1', ts: 1_700_000_000_000, v: 1 }] });
    await ingest.handle(node, 'telemetry', batch);
    const before = pushed.filter((m) => m.type === 'readings').length;
    await ingest.handle(node, 'telemetry', batch);
    expect(pushed.filter((m) => m.type === 'readings')).toHaveLength(before);
    expect((await store.getNodeStats(node.id)).readings_duplicate).toBe(1);
  });

  it.each([
    ['not JSON', Buffer.from('{"v":1,'), /not valid JSON/],
    ['a wrong version', json({ v: 2, readings: [] }), /telemetry: v:/],
    ['a non-numeric value', json({ v: 1, readings: [{ seq: 1, ch: 'a/b', ts: 1_700_000_000_000, v: 'warm' }] }), /readings\.0\.v/],
    ['a negative seq', json({ v: 1, readings: [{ seq: -1, ch: 'a/b', ts: 1_700_000_000_000, v: 1 }] }), /readings\.0\.seq/],
    ['a bad channel key', json({ v: 1, readings: [{ seq: 1, ch: '../etc', ts: 1_700_000_000_000, v: 1 }] }), /readings\.0\.ch/],
  ])('rejects and counts %s, storing nothing', async (_name, payload, reason) => {
    const out = await ingest.handle(node, 'telemetry', payload);
    expect(out.accepted).toBe(false);
    const stats = await store.getNodeStats(node.id);
    expect(stats.messages_rejected).toBe(1);
    expect(stats.last_reject_reason).toMatch(reason);
    expect(await store.countReadings(node.id)).toBe(0);
  });

  it('records status: online with details, then offline from the last-will', async () => {
    await ingest.handle(node, 'status', json({ v: 1, state: 'online', agent_version: '1.2.3', hostname: 'pi-fridge' }));
    let row = await store.getNodeById(node.id);
    expect(row?.online).toBe(true);
    expect(JSON.parse(row!.status_json!)).toMatchObject({ agent_version: '1.2.3', hostname: 'pi-fridge' });
    await ingest.handle(node, 'status', json({ v: 1, state: 'offline' }));
    row = await store.getNodeById(node.id);
    expect(row?.online).toBe(false);
    expect(JSON.parse(row!.status_json!)).toMatchObject({ agent_version: '1.2.3' });
    expect(pushed.filter((m) => m.type === 'status').map((m) => m.type === 'status' && m.online)).toEqual([true, false]);
  });

  it('marks a channel unavailable from an event and available again', async () => {
    await ingest.handle(node, 'telemetry', json({ v: 1, channels: { 'd/1': meta }, readings: [{ seq: 1, ch: 'd/1', ts: 1_700_000_000_000, v: 1 }] }));
    await ingest.handle(node, 'events', json({ v: 1, events: [{ ts: 1_700_000_000_500, type: 'channel_unavailable', ch: 'd/1', message: 'crc=00 NO' }] }));
    expect((await store.listChannels(node.id))[0]).toMatchObject({ available: false, error: 'crc=00 NO' });
    await ingest.handle(node, 'events', json({ v: 1, events: [{ ts: 1_700_000_001_000, type: 'channel_available', ch: 'd/1' }] }));
    expect((await store.listChannels(node.id))[0]).toMatchObject({ available: true, error: null });
  });
});

describe('Ingest acknowledgements (for agents behind an external broker)', () => {
  it('names the seq range of every settled telemetry batch, stored, duplicate or refused', async () => {
    const store = await openStore({ url: 'sqlite::memory:' });
    try {
      const ingest = new Ingest(store, new LiveHub(), pino({ level: 'silent' }));
      const row = await store.createNode({ name: 'n1', credential_hash: 'x'.repeat(64) });
      const node = { id: row.id, name: row.name };
      const batch = json({ v: 1, readings: [3, 4, 5].map((seq) => ({ seq, ch: 'a/b', ts: 1_700_000_000_000 + seq, v: seq })) });
      expect((await ingest.handle(node, 'telemetry', batch)).ack).toEqual({ v: 1, first_seq: 3, last_seq: 5 });
      expect((await ingest.handle(node, 'telemetry', batch)).ack).toEqual({ v: 1, first_seq: 3, last_seq: 5 });
      const refused = await ingest.handle(node, 'telemetry', json({ v: 1, readings: [{ seq: 9, ch: 'a/b', ts: 1_700_000_000_000, v: 'x' }] }));
      expect(refused).toMatchObject({ accepted: false, ack: { first_seq: 9, last_seq: 9 } });
      expect((await ingest.handle(node, 'telemetry', Buffer.from('not json'))).ack).toBeUndefined();
      expect((await ingest.handle(node, 'status', json({ v: 1, state: 'online' }))).ack).toBeUndefined();
    } finally {
      await store.close();
    }
  });
});

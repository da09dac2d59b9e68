import { connect, type MqttClient } from 'mqtt';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import type { NodeIdentity } from '../ingest/ingest.js';
import { hashToken } from './credentials.js';
import { EmbeddedBroker, MAX_INGESTS_PER_CONNECTION } from './embedded-broker.js';

const CREDENTIAL = 'man_test_credential_0123456789';

/**
 * Commit before PUBACK and back-pressure, against the real embedded broker and a real MQTT.js
 * client; only the database is stood in for, by an ingest whose commits the test releases.
 */
describe('embedded broker: acknowledgement after commit', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(ingest: (node: NodeIdentity, payload: Buffer) => Promise<void>) {
    const broker = new EmbeddedBroker({
      findNode: async (name) => (name === 'n1' ? { id: 1, name: 'n1', credential_hash: hashToken(CREDENTIAL) } : undefined),
      ingest: async (node, _kind, payload) => {
        await ingest(node, payload);
        return { accepted: true };
      },
      countRefusal: async () => undefined,
      onDisconnect: () => undefined,
      log: pino({ level: 'silent' }),
    });
    const port = await broker.listenTcp('127.0.0.1', 0, 'test');
    cleanups.push(() => broker.close());
    const client: MqttClient = connect(`mqtt://127.0.0.1:${port}`, { username: 'n1', password: CREDENTIAL, reconnectPeriod: 0, protocolVersion: 4 });
    cleanups.push(() => client.endAsync(true));
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    return client;
  }

  it('acks a publish only after its ingest committed', async () => {
    const committed: number[] = [];
    const client = await setup(async (_node, payload) => {
      await new Promise((r) => setTimeout(r, 20)); // a slow commit
      committed.push(Number(payload.toString()));
    });
    const acked: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        client.publishAsync('ma/v1/n1/telemetry', String(i), { qos: 1 }).then(() => {
          // At the moment of its PUBACK, this batch is already committed.
          expect(committed).toContain(i);
          acked.push(i);
        }),
      ),
    );
    expect(acked.sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('stops reading from a node while its commit is stuck, so a flood waits in TCP buffers, not in server memory', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    let calls = 0;
    const client = await setup(async () => {
      calls++;
      await gate;
    });
    client.publish('ma/v1/n1/telemetry', 'first', { qos: 1 });
    while (calls === 0) await new Promise((r) => setTimeout(r, 5));
    // 160 more batches of 64 KiB (10 MiB) while the database is stuck.
    const big = Buffer.alloc(64 * 1024, 'x');
    const acks = Array.from({ length: 160 }, () => client.publishAsync('ma/v1/n1/telemetry', big, { qos: 1 }));
    await new Promise((r) => setTimeout(r, 500));
    // The broker paused the connection at MAX_INGESTS_PER_CONNECTION ingests (plus what the last
    // socket read had already parsed): the rest of the 10 MiB waits in TCP buffers.
    expect(calls).toBeGreaterThanOrEqual(MAX_INGESTS_PER_CONNECTION);
    expect(calls).toBeLessThan(MAX_INGESTS_PER_CONNECTION + 8);
    release();
    await Promise.all(acks);
    expect(calls).toBe(161);
  });

  it('does not ack a batch whose commit failed; it closes the connection so the node resends', async () => {
    const client = await setup(async () => {
      throw new Error('database is locked');
    });
    let acked = false;
    const closed = new Promise<void>((r) => client.once('close', () => r()));
    client.publish('ma/v1/n1/telemetry', 'x', { qos: 1 }, (err) => {
      if (!err) acked = true;
    });
    await closed;
    expect(acked).toBe(false);
  });
});

describe('embedded broker: shutdown', () => {
  it('closes promptly while a node is still connected over TCP (a SIGTERM must not wait for nodes to leave)', async () => {
    const broker = new EmbeddedBroker({
      findNode: async (name) => (name === 'n1' ? { id: 1, name: 'n1', credential_hash: hashToken(CREDENTIAL) } : undefined),
      ingest: async () => ({ accepted: true }),
      countRefusal: async () => undefined,
      onDisconnect: () => undefined,
      log: pino({ level: 'silent' }),
    });
    const port = await broker.listenTcp('127.0.0.1', 0, 'test');
    const client: MqttClient = connect(`mqtt://127.0.0.1:${port}`, { username: 'n1', password: CREDENTIAL, reconnectPeriod: 0, protocolVersion: 4 });
    await new Promise<void>((resolve, reject) => {
      client.once('connect', () => resolve());
      client.once('error', reject);
    });
    const closed = await Promise.race([broker.close().then(() => 'closed'), new Promise((r) => setTimeout(() => r('hung'), 5000))]);
    expect(closed).toBe('closed');
    await new Promise<void>((resolve) => (client.connected ? client.once('close', () => resolve()) : resolve()));
    expect(client.connected).toBe(false);
    await client.endAsync(true);
  });
});

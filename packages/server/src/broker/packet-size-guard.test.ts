import { connect } from 'mqtt';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { hashToken } from './credentials.js';
import { EmbeddedBroker } from './embedded-broker.js';
import { MqttFrameScanner } from './packet-size-guard.js';

/** A QoS 0 PUBLISH to topic "t" with `bytes` of payload, framed as MQTT 3.1.1 specifies (§2.2, §3.3). */
function publish(bytes: number): Buffer {
  const body = Buffer.concat([Buffer.from([0, 1, 0x74]), Buffer.alloc(bytes)]);
  const length: number[] = [];
  let n = body.length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    length.push(byte);
  } while (n > 0);
  return Buffer.concat([Buffer.from([0x30, ...length]), body]);
}
const PINGREQ = Buffer.from([0xc0, 0]);

describe('MQTT frame scanner', () => {
  it('passes packets up to the limit and names the first one over it, from its header alone', () => {
    const s = new MqttFrameScanner(1000);
    expect(s.push(Buffer.concat([publish(10), publish(990 - 3), PINGREQ]))).toBeUndefined();
    // Only the fixed header and length of the big packet: its body never has to arrive.
    const big = publish(5 * 1024 * 1024).subarray(0, 5);
    expect(s.push(big)).toBe(5 * 1024 * 1024 + 3);
  });

  it('follows packets split across reads at any byte', () => {
    const stream = Buffer.concat([publish(200), publish(300), publish(2000)]);
    for (let cut = 1; cut <= 512; cut += 7) { // up to the third packet's header
      const s = new MqttFrameScanner(1000);
      expect(s.push(stream.subarray(0, cut))).toBeUndefined();
      expect(s.push(stream.subarray(cut))).toBe(2003);
    }
  });
});

describe('embedded broker: packet size limit', () => {
  it('closes a connection whose publish exceeds the configured limit, before ingesting it, and counts it', async () => {
    const credential = 'man_test_credential_size';
    const refusals: string[] = [];
    const ingested: number[] = [];
    const broker = new EmbeddedBroker({
      findNode: async (name) => (name === 'n1' ? { id: 1, name: 'n1', credential_hash: hashToken(credential) } : undefined),
      ingest: async (_node, _kind, payload) => (ingested.push(payload.length), { accepted: true }),
      countRefusal: async (_id, counter, reason) => void refusals.push(`${counter}: ${reason}`),
      onDisconnect: () => undefined,
      log: pino({ level: 'silent' }),
      maxPacketBytes: 64 * 1024,
    });
    const port = await broker.listenTcp('127.0.0.1', 0, 'test');
    const client = connect(`mqtt://127.0.0.1:${port}`, { username: 'n1', password: credential, reconnectPeriod: 0, protocolVersion: 4 });
    try {
      await new Promise<void>((resolve, reject) => (client.once('connect', () => resolve()), client.once('error', reject)));
      await client.publishAsync('ma/v1/n1/events', Buffer.alloc(60 * 1024, 0x20), { qos: 1 });
      const closed = new Promise<void>((r) => client.once('close', () => r()));
      client.publish('ma/v1/n1/events', Buffer.alloc(70 * 1024, 0x20), { qos: 1 });
      await closed;
      await new Promise((r) => setTimeout(r, 50));
      expect(ingested).toEqual([60 * 1024]);
      expect(refusals).toEqual([expect.stringMatching(/^messages_rejected: an MQTT packet of 71\d\d\d bytes exceeds mqtt.max_packet_bytes \(65536\)/)]);
    } finally {
      await client.endAsync(true);
      await broker.close();
    }
  });
});

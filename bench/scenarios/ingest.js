// 1. Ingest: readings published over MQTT (QoS 1, batches of 100, 32 batches in flight)
// until stored in the server's embedded SQLite, against two references measured in the
// same run: the same rows inserted straight into SQLite with a prepared statement in
// transactions (the ceiling), and Debian's mosquitto forwarding the same messages from a
// QoS 1 publisher to a QoS 1 subscriber (the raw broker throughput).
import path from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { check, fmtInt, repeat, startBenchServer, withTempDir } from '../lib.js';
import { startMosquitto } from '../support/mosquitto.js';
import { BATCH, T0, publishReadings } from '../support/telemetry.js';

async function endToEnd(total) {
  return withTempDir('ingest', async (dir) => {
    const { server } = await startBenchServer(dir, { tcp: true });
    try {
      const { credential } = await server.registry.create('bench');
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.mqttTcpPort}`, { username: 'bench', password: credential, clientId: 'bench', protocolVersion: 4 });
      const start = process.hrtime.bigint();
      await publishReadings(client, 'ma/v1/bench/telemetry', total);
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      await client.endAsync();
      // PUBACK follows the commit, so every acknowledged reading must be stored now, once.
      const stored = await server.store.countReadings();
      check(stored === total, `stored ${stored} of ${total} readings`);
      return total / seconds;
    } finally {
      await server.stop();
    }
  });
}

async function sqliteCeiling(total) {
  return withTempDir('ceiling', async (dir) => {
    const db = new Database(path.join(dir, 'c.db'));
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE readings (node_id INTEGER, seq INTEGER, channel_id INTEGER, ts INTEGER, value REAL, PRIMARY KEY (node_id, seq)) WITHOUT ROWID');
    db.exec('CREATE INDEX readings_channel_ts ON readings (channel_id, ts, value)');
    const insert = db.prepare('INSERT INTO readings VALUES (1, ?, 1, ?, ?) ON CONFLICT DO NOTHING');
    const batch = db.transaction((from) => {
      for (let i = from; i < from + BATCH; i++) insert.run(i + 1, T0 + i * 1000, 20 + (i % 100) / 10);
    });
    const start = process.hrtime.bigint();
    for (let i = 0; i < total; i += BATCH) batch(i);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const stored = db.prepare('SELECT count(*) AS n FROM readings').get().n;
    db.close();
    check(stored === total, `ceiling stored ${stored} of ${total}`);
    return total / seconds;
  });
}

/** Readings/s carried by mosquitto: publish until the subscriber has every message. */
async function mosquittoForwarding(total) {
  return withTempDir('mosquitto', async (dir) => {
    const broker = await startMosquitto(dir);
    try {
      const sub = await mqtt.connectAsync(broker.url, { clientId: 'bench-sub', protocolVersion: 4, clean: true });
      await sub.subscribeAsync('ma/v1/+/telemetry', { qos: 1 });
      const pub = await mqtt.connectAsync(broker.url, { clientId: 'bench-pub', protocolVersion: 4 });
      const expected = Math.ceil(total / BATCH);
      let got = 0;
      let bytes = 0;
      const allReceived = new Promise((resolve) =>
        sub.on('message', (_t, payload) => {
          bytes += payload.length;
          if (++got === expected) resolve();
        }),
      );
      const start = process.hrtime.bigint();
      await publishReadings(pub, 'ma/v1/bench/telemetry', total);
      await allReceived;
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      await pub.endAsync();
      await sub.endAsync();
      check(got === expected, `subscriber got ${got} of ${expected} messages`);
      check(bytes > total * 40, `subscriber got only ${bytes} bytes for ${total} readings`);
      return total / seconds;
    } finally {
      await broker.stop();
    }
  });
}

export default {
  name: 'ingest',
  title: '1. Ingest: MQTT publish (QoS 1, batches of 100) to stored row, embedded SQLite',
  async run({ quick }) {
    const total = quick ? 200_000 : 1_000_000;
    const runs = quick ? 1 : 3;
    const e2e = [];
    const ceiling = [];
    const broker = [];
    // Interleaved, so a change in machine load hits all three alike.
    await repeat({ warmup: 1, runs }, async ({ warmup }) => {
      const n = warmup ? 20_000 : total;
      const a = await endToEnd(n);
      const b = await sqliteCeiling(n);
      const c = await mosquittoForwarding(n);
      if (warmup) return;
      e2e.push(a);
      ceiling.push(b);
      broker.push(c);
    });
    const share = e2e.map((v, i) => (100 * v) / ceiling[i]);
    return {
      rows: [
        { metric: `end to end, ${fmtInt(total)} readings`, unit: 'readings/s', values: e2e, goal: '>= 50,000' },
        { metric: 'reference: SQLite ceiling (prepared INSERT, transactions of 100)', unit: 'readings/s', values: ceiling },
        { metric: 'reference: mosquitto 2 forwarding the same messages, QoS 1 in and out', unit: 'readings/s', values: broker },
        { metric: 'end to end as a share of the SQLite ceiling (per run)', unit: '%', values: share, goal: '>= 50' },
      ],
      notes: [
        'Publisher: one MQTT.js client over TCP, 32 batches awaiting PUBACK; the server acknowledges a batch after its transaction commits, so the end-to-end figure is publish-to-durable-row.',
        'Self-checks: rows stored = readings sent (end to end, ceiling); messages received = messages sent (mosquitto).',
        'The ceiling writes the readings table only; a stored batch also folds into the minute and hour rollups, updates the channel\'s last value and the node\'s counters, and returns the inserted rows for the live feed, all in the same transaction, behind the broker and the batch validation. The batch\'s statements are written once per row count (packages/server/src/store/ingest-statements.ts) and well-formed batches skip zod (packages/server/src/ingest/fast-telemetry.ts). Profile it with `node --cpu-prof` on a script like this scenario\'s endToEnd.',
      ],
    };
  },
};

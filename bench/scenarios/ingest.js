// Ingest: readings published over MQTT (QoS 1, batches of 100) until stored in SQLite,
// against the ceiling of inserting the same rows straight into SQLite.
import path from 'node:path';
import Database from 'better-sqlite3';
import mqtt from 'mqtt';
import { pino } from 'pino';
import { withTempDir } from '../lib.js';

const BATCH = 100;

async function endToEnd(total) {
  const { startServer, parseServerConfig } = await import('../../packages/server/dist/index.js');
  return withTempDir('ingest', async (dir) => {
    const config = parseServerConfig('http:\n  port: 0\nmqtt:\n  tcp:\n    enabled: true\n    port: 0\n', path.join(dir, 'server.yaml'), {});
    const server = await startServer({ config, file: path.join(dir, 'server.yaml'), dataDir: dir }, pino({ level: 'silent' }));
    try {
      const { credential } = await server.registry.create('bench');
      const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.mqttTcpPort}`, { username: 'bench', password: credential, clientId: 'bench', protocolVersion: 4 });
      const channels = { 'bench/a': { kind: 'sensor', driver: 'bench', unit: '°C' } };
      const t0 = 1_700_000_000_000;
      const start = process.hrtime.bigint();
      const window = 32;
      let next = 0;
      let inflight = 0;
      await new Promise((resolve, reject) => {
        const pump = () => {
          while (inflight < window && next < total) {
            const readings = [];
            for (let i = 0; i < BATCH; i++, next++) readings.push({ seq: next + 1, ch: 'bench/a', ts: t0 + next * 1000, v: 20 + (next % 100) / 10 });
            inflight++;
            client.publish('ma/v1/bench/telemetry', JSON.stringify({ v: 1, readings, ...(next === BATCH ? { channels } : {}) }), { qos: 1 }, (err) => {
              if (err) return reject(err);
              inflight--;
              if (next >= total && inflight === 0) resolve();
              else pump();
            });
          }
        };
        pump();
      });
      const seconds = Number(process.hrtime.bigint() - start) / 1e9;
      await client.endAsync();
      const stored = await server.store.countReadings();
      if (stored !== total) throw new Error(`stored ${stored} of ${total} readings`);
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
      for (let i = from; i < from + BATCH; i++) insert.run(i + 1, 1_700_000_000_000 + i * 1000, 20 + (i % 100) / 10);
    });
    const start = process.hrtime.bigint();
    for (let i = 0; i < total; i += BATCH) batch(i);
    const seconds = Number(process.hrtime.bigint() - start) / 1e9;
    const stored = db.prepare('SELECT count(*) AS n FROM readings').get().n;
    db.close();
    if (stored !== total) throw new Error(`ceiling stored ${stored} of ${total}`);
    return total / seconds;
  });
}

export default {
  name: 'ingest',
  title: 'Ingest: MQTT publish (QoS 1, batches of 100) to stored row, embedded SQLite',
  async run({ quick }) {
    const total = quick ? 200_000 : 1_000_000;
    const runs = quick ? 1 : 3;
    const e2e = [];
    const ceiling = [];
    await endToEnd(20_000); // warm-up
    for (let i = 0; i < runs; i++) {
      e2e.push(await endToEnd(total));
      ceiling.push(await sqliteCeiling(total));
    }
    return [
      { metric: `end to end, ${total.toLocaleString('en')} readings`, unit: 'readings/s', values: e2e, goal: '>= 50,000' },
      { metric: 'reference: prepared INSERT in transactions of 100 (SQLite ceiling)', unit: 'readings/s', values: ceiling },
    ];
  },
};

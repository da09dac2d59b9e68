// 5. Backlog drain: a node that was offline for 7 days at 10 channels x 1 reading / 10 s
// (~600,000 readings in its outbox) reconnects; how long until the server has them all, and
// how late do live readings reach the dashboard's live feed meanwhile (the uplink's live lane).
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import WebSocket from 'ws';
import { stringify as toYaml } from 'yaml';
import { check, repoRoot, sleep, startBenchServer, wallMs, withTempDir } from '../lib.js';

const AGENT = path.join(repoRoot, 'packages/agent/dist/bin/ma-agent.js');
const CHANNELS = 10;
const DAY = 86_400_000;

/** Fills an outbox the way 7 offline days would: 10 channels, one reading each per 10 s. */
async function spoolBacklog(outboxDir, total, endTs) {
  const { createSegmentLogOutbox } = await import('../../packages/agent/dist/outbox/segment-log-outbox.js');
  const outbox = createSegmentLogOutbox({ dir: outboxDir, fsyncIntervalMs: 0 });
  await outbox.open();
  const perChannel = Math.ceil(total / CHANNELS);
  const startTs = endTs - perChannel * 10_000;
  let written = 0;
  while (written < total) {
    const entries = [];
    for (let i = 0; i < 5000 && written + i < total; i++) {
      const n = written + i;
      entries.push({ ch: `sim/s${n % CHANNELS}`, ts: startTs + Math.floor(n / CHANNELS) * 10_000, v: Math.round(((n % 97) / 4) * 16) / 16 });
    }
    await outbox.append(entries);
    written += entries.length;
  }
  await outbox.close();
  return { startTs };
}

export default {
  name: 'drain',
  title: '5. Backlog drain: 7 days offline (10 channels, 1 reading / 10 s) reconnecting, with live readings meanwhile',
  async run({ quick }) {
    const total = quick ? 60_000 : 604_800;
    return withTempDir('drain', async (dir) => {
      const { server, token } = await startBenchServer(dir);
      try {
        const { node, credential } = await server.registry.create('offline-week');
        const dataDir = path.join(dir, 'offline-week-data');
        const spoolStart = Date.now();
        const now = Date.now();
        const { startTs } = await spoolBacklog(path.join(dataDir, 'outbox'), total, now - 1000);
        const spoolS = (Date.now() - spoolStart) / 1000;
        check(now - startTs >= (quick ? 0.9 : 6.9) * DAY || quick, `backlog spans ${(now - startTs) / DAY} days`);

        // The dashboard's live feed, to time live readings.
        const ws = new WebSocket(`${server.url.replace(/^http/, 'ws')}/api/v1/live`, { headers: { authorization: `Bearer ${token}` } });
        await new Promise((resolve, reject) => {
          ws.once('open', resolve);
          ws.once('error', reject);
        });
        const liveLatency = [];
        let drainStartedAt = 0;
        ws.on('message', (data) => {
          const at = wallMs();
          const msg = JSON.parse(String(data));
          if (msg.type !== 'readings' || msg.node !== 'offline-week') return;
          for (const r of msg.readings) if (r.ts >= drainStartedAt && drainStartedAt > 0) liveLatency.push(at - r.ts);
        });

        const file = path.join(dir, 'agent.yaml');
        const sensors = Array.from({ length: CHANNELS }, (_, i) => ({ name: `s${i}`, model: i % 2 ? 'freezer' : 'fridge' }));
        // Live: the same 10 channels now sampled every second, so live data is plentiful.
        writeFileSync(file, toYaml({ node: 'offline-week', server: { mqtt_url: server.mqttUrl, credential }, data_dir: dataDir, drivers: [{ driver: 'simulated', interval: '1s', sensors }] }));
        drainStartedAt = Date.now();
        const proc = spawn(process.execPath, [AGENT, 'run', '--config', file], { stdio: ['ignore', 'ignore', 'pipe'], env: { ...process.env, MA_LOG_LEVEL: 'warn' } });
        let stderr = '';
        proc.stderr.on('data', (d) => (stderr = (stderr + d).slice(-2000)));
        try {
          const deadline = Date.now() + 300_000;
          let stored = 0;
          while ((stored = await server.store.countReadings(node.id)) < total) {
            check(proc.exitCode === null && Date.now() < deadline, `drain incomplete: ${stored} of ${total} stored (exit ${proc.exitCode}): ${stderr}`);
            await sleep(50);
          }
          const drainS = (Date.now() - drainStartedAt) / 1000;
          await sleep(3000); // a few more live readings after the drain
          const stats = await server.store.getNodeStats(node.id);
          check(liveLatency.length > 0, 'no live reading reached the live feed during the drain');
          return {
            rows: [
              { metric: `${total.toLocaleString('en')} spooled readings drained (agent start to all stored)`, unit: 's', values: [drainS], goal: '< 60' },
              { metric: 'drain throughput', unit: 'readings/s', values: [total / drainS] },
              { metric: 'live reading to live feed while draining', unit: 'ms', values: liveLatency, goal: '< 5000' },
            ],
            notes: [
              `The outbox was spooled directly (${spoolS.toFixed(1)} s, not counted): ${total.toLocaleString('en')} readings over ${((now - startTs) / DAY).toFixed(1)} days. The agent then starts with 10 simulated channels at 1 Hz, default uplink settings (batches of 500, 4 in flight, live lane every 1 s), MQTT over WebSocket to the in-process server on SQLite.`,
              `Live latency: from a live reading's timestamp (its sample) to its arrival on the dashboard's WebSocket feed, for every reading sampled after the agent started, during and just after the drain. ${stats.readings_duplicate} live readings were sent twice (live lane, then the drain) and stored once.`,
            ],
          };
        } finally {
          ws.close();
          if (proc.exitCode === null) {
            proc.kill('SIGTERM');
            await new Promise((r) => proc.once('exit', r));
          }
        }
      } finally {
        await server.stop();
      }
    });
  },
};

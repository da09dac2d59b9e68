// 7. Connections: memory and CPU of a real ma-server process per connected node, at 1,000 and
// 5,000 simulated nodes, each an MQTT client with its own credential publishing one reading
// every 10 s at QoS 1 (as a quiet node with one probe does). The nodes are created through
// the server's registry (in process), then the real server binary serves them.
import { fork, spawn, spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import Database from 'better-sqlite3';
import { check, median, procStat, repoRoot, sleep, startBenchServer, withTempDir } from '../lib.js';

const SERVER_BIN = path.join(repoRoot, 'packages/server/dist/bin/ma-server.js');
const SWARM = path.join(repoRoot, 'bench/support/mqtt-swarm.js');
const WORKERS = 2;

async function registerNodes(dir, n) {
  const { server } = await startBenchServer(dir);
  try {
    const nodes = [];
    for (let i = 0; i < n; i++) {
      const name = `sim-${String(i).padStart(5, '0')}`;
      nodes.push({ name, credential: (await server.registry.create(name)).credential });
    }
    return nodes;
  } finally {
    await server.stop();
  }
}

async function startServerProcess(dir) {
  const file = path.join(dir, 'server-process.yaml');
  writeFileSync(file, 'http:\n  port: 0\nmqtt:\n  tcp:\n    enabled: true\n    port: 0\ndata_dir: .\nnodes:\n  offline_after: 10m\nlog:\n  level: info\n');
  const proc = spawn(process.execPath, [SERVER_BIN, 'serve', '--config', file], { stdio: ['ignore', 'pipe', 'inherit'] });
  const lines = readline.createInterface({ input: proc.stdout });
  const port = await new Promise((resolve, reject) => {
    proc.once('exit', (code) => reject(new Error(`ma-server exited (${code}) before it started`)));
    lines.on('line', (l) => {
      try {
        const j = JSON.parse(l);
        if (j.msg === 'server started') resolve(j.mqtt_tcp_port);
      } catch {
        /* not a log line */
      }
    });
  });
  const stop = () =>
    new Promise((r) => {
      proc.once('exit', r);
      proc.kill('SIGTERM');
    });
  return { proc, port, stop };
}

/** The next IPC message of `type` from a worker. */
const message = (child, type) =>
  new Promise((resolve) => {
    const on = (m) => {
      if (m.type !== type) return;
      child.off('message', on);
      resolve(m);
    };
    child.on('message', on);
  });

async function measure(n, { settleMs, windowS, periodMs }) {
  return withTempDir(`conn-${n}`, async (dir) => {
    const nodes = await registerNodes(dir, n);
    const server = await startServerProcess(dir);
    const swarm = [];
    try {
      await sleep(3000);
      const base = procStat(server.proc.pid);
      for (let w = 0; w < WORKERS; w++) {
        const child = fork(SWARM, [], { stdio: 'inherit' });
        swarm.push(child);
        child.send({ nodes: nodes.filter((_, i) => i % WORKERS === w), url: `mqtt://127.0.0.1:${server.port}`, periodMs, concurrency: 50 });
      }
      const connectStart = Date.now();
      const connected = await Promise.all(swarm.map((c) => message(c, 'connected')));
      const connectS = (Date.now() - connectStart) / 1000;
      const up = connected.reduce((a, m) => a + m.n, 0);
      check(up === n, `${up} of ${n} nodes connected (${connected.reduce((a, m) => a + m.failed, 0)} refused or timed out)`);
      await sleep(settleMs);
      const a = procStat(server.proc.pid);
      const t0 = Date.now();
      const rss = [];
      while (Date.now() - t0 < windowS * 1000) {
        await sleep(1000);
        rss.push(procStat(server.proc.pid).rssMb);
      }
      const b = procStat(server.proc.pid);
      const cpuPct = ((b.cpuSeconds - a.cpuSeconds) / ((Date.now() - t0) / 1000)) * 100;
      // Final counts after each worker has stopped publishing and every publish is acknowledged.
      const reports = await Promise.all(swarm.map((c) => Promise.all([message(c, 'report'), new Promise((r) => c.once('exit', r)), c.send('stop')]).then(([m]) => m)));
      const published = reports.reduce((s, r) => s + r.published, 0);
      const acked = reports.reduce((s, r) => s + r.acked, 0);
      const errors = reports.reduce((s, r) => s + r.errors, 0);
      swarm.length = 0;
      await server.stop();
      const db = new Database(path.join(dir, 'ma.db'), { readonly: true });
      const stored = db.prepare('SELECT count(*) AS n FROM readings').get().n;
      db.close();
      check(errors === 0, `${errors} client errors`);
      check(acked === published && stored === acked, `published ${published}, acknowledged ${acked}, stored ${stored}`);
      const rssMb = median(rss);
      return { n, rssMb, baseMb: base.rssMb, perNodeKb: ((rssMb - base.rssMb) * 1024) / n, cpuPct, connectS, stored, rate: (n * 1000) / periodMs };
    } finally {
      for (const c of swarm) c.kill();
      if (server.proc.exitCode === null) await server.stop();
    }
  });
}

export default {
  name: 'connections',
  title: '7. Connections: server memory and CPU per connected node (simulated MQTT nodes)',
  async run({ quick }) {
    const counts = quick ? [500] : [1000, 5000];
    const periodMs = quick ? 5000 : 10_000;
    const limit = Number(spawnSync('sh', ['-c', 'ulimit -n']).stdout.toString().trim());
    check(Number.isNaN(limit) || limit > Math.max(...counts) + 500, `open-file limit ${limit} is too low for ${Math.max(...counts)} connections (raise it with ulimit -n)`);
    const rows = [];
    const notes = [];
    for (const n of counts) {
      const r = await measure(n, { settleMs: periodMs, windowS: quick ? 5 : 15, periodMs });
      rows.push(
        { metric: `${n.toLocaleString('en')} nodes: server RSS`, unit: 'MB', values: [r.rssMb] },
        { metric: `${n.toLocaleString('en')} nodes: memory per connected node (RSS growth / nodes)`, unit: 'KB', values: [r.perNodeKb] },
        { metric: `${n.toLocaleString('en')} nodes: server CPU at ${r.rate} messages/s`, unit: '% of one core', values: [r.cpuPct] },
        { metric: `${n.toLocaleString('en')} nodes: CPU per 1,000 nodes`, unit: '% of one core', values: [(r.cpuPct * 1000) / n] },
      );
      notes.push(`${n.toLocaleString('en')} nodes: idle server ${r.baseMb.toFixed(0)} MB before they connected; all connected in ${r.connectS.toFixed(1)} s (50 concurrent CONNECTs per worker); ${r.stored.toLocaleString('en')} readings stored.`);
    }
    notes.push(
      `The server is the real \`ma-server\` binary (embedded SQLite, MQTT over TCP) in its own process; its RSS and CPU come from /proc. The nodes are MQTT.js clients in ${WORKERS} worker processes, each node with its own credential, publishing one reading every ${periodMs / 1000} s (QoS 1), keepalive 60 s.`,
      'Each figure is one measurement (RSS: median of one sample per second over the window; CPU: over the window), taken after every node has published at least once.',
      'Self-checks: every node connected with its own credential; no client errors; every publish acknowledged, and rows stored = publishes.',
    );
    return { rows, notes };
  },
};

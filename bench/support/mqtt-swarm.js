// A child process that plays many nodes: one MQTT.js client per node (its own credential),
// each publishing one telemetry reading at QoS 1 every `periodMs`, staggered so the load is
// even. Driven over IPC by the connections scenario:
//   parent -> { nodes: [{ name, credential }], url, periodMs, concurrency }
//   child  -> { type: 'connected', n, failed } ... parent -> 'report' -> child -> { type: 'report', published, acked, errors }
//   parent -> 'stop' -> child stops publishing, ends every client once its publishes are
//   acknowledged, answers { type: 'report', ... } with the final counts, then exits.
import mqtt from 'mqtt';

/** One entry per connected node: its client and its next sequence number. */
const nodesUp = [];
let published = 0;
let acked = 0;
let errors = 0;
const timers = [];

process.on('message', async (m) => {
  if (m === 'report') return process.send({ type: 'report', published, acked, errors });
  if (m === 'stop') {
    for (const t of timers) clearTimeout(t); // clears intervals too
    // Not forced: MQTT.js waits for publishes in flight to be acknowledged before it ends.
    await Promise.all(nodesUp.map(({ c }) => c.endAsync(false).catch(() => errors++)));
    process.send({ type: 'report', published, acked, errors }, () => process.exit(0));
    return;
  }
  if (m.nodes) await start(m);
});

async function start({ nodes, url, periodMs, concurrency }) {
  let failed = 0;
  let next = 0;
  const connectOne = async () => {
    while (next < nodes.length) {
      const { name, credential } = nodes[next++];
      try {
        const c = await mqtt.connectAsync(url, { username: name, password: credential, clientId: name, protocolVersion: 4, keepalive: 60, reconnectPeriod: 0, connectTimeout: 30_000 });
        c.on('error', () => errors++);
        nodesUp.push({ c, name, seq: 0 });
      } catch {
        failed++;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, connectOne));
  process.send({ type: 'connected', n: nodesUp.length, failed });
  nodesUp.forEach((client, i) => {
    const publish = () => {
      const seq = ++client.seq;
      published++;
      const body = { v: 1, readings: [{ seq, ch: 'sim/t', ts: Date.now(), v: 4 + (seq % 10) / 10 }] };
      if (seq === 1) body.channels = { 'sim/t': { kind: 'sensor', driver: 'simulated', unit: '°C' } };
      client.c.publish(`ma/v1/${client.name}/telemetry`, JSON.stringify(body), { qos: 1 }, (err) => (err ? errors++ : acked++));
    };
    timers.push(setTimeout(() => {
      publish();
      timers.push(setInterval(publish, periodMs));
    }, Math.floor((i / nodesUp.length) * periodMs)));
  });
}

// 6. Latencies: a reading published by a node (MQTT, QoS 1) until the live WebSocket message
// carrying it arrives in a page in headless Chromium, p50/p99. Node and browser clocks are
// both the machine's wall clock at sub-millisecond resolution; their offset is measured
// (min round trip of page.evaluate) and removed.
/* global window, location */ // functions passed to page.evaluate run in the browser
import mqtt from 'mqtt';
import { check, launchChromium, loggedInContext, percentile, repeat, sleep, startBenchServer, wallMs, withTempDir } from '../lib.js';

/** Runs in a page of the server's origin: subscribes to the live feed and stamps each reading's arrival. */
function listenInPage() {
  window.received = new Map();
  const ws = new WebSocket(location.origin.replace(/^http/, 'ws') + '/api/v1/live');
  ws.addEventListener('message', (e) => {
    const at = performance.timeOrigin + performance.now();
    const m = JSON.parse(e.data);
    if (m.type === 'readings') for (const r of m.readings) window.received.set(r.ts, window.received.has(r.ts) ? -1 : at);
  });
  return new Promise((resolve, reject) => {
    ws.addEventListener('message', (e) => JSON.parse(e.data).type === 'hello' && resolve());
    ws.addEventListener('close', (e) => reject(new Error(`live feed closed: ${e.code} ${e.reason}`)));
  });
}

/** Browser clock minus node clock, from the page.evaluate with the shortest round trip. */
async function clockOffset(page) {
  let best = { rtt: Infinity, offset: 0 };
  for (let i = 0; i < 30; i++) {
    const a = wallMs();
    const b = await page.evaluate(() => performance.timeOrigin + performance.now());
    const c = wallMs();
    if (c - a < best.rtt) best = { rtt: c - a, offset: b - (a + c) / 2 };
  }
  return best;
}

export default {
  name: 'latency',
  title: '6. Latencies: reading published by a node to the live message in the browser',
  async run({ quick }) {
    const perRun = quick ? 100 : 300;
    const runs = quick ? 1 : 3;
    const intervalMs = 20;
    return withTempDir('latency', async (dir) => {
      const bench = await startBenchServer(dir, { tcp: true });
      const { server } = bench;
      const browser = await launchChromium();
      let client;
      try {
        const { credential } = await server.registry.create('latency');
        client = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.mqttTcpPort}`, { username: 'latency', password: credential, clientId: 'latency', protocolVersion: 4 });
        const context = await loggedInContext(browser, bench);
        const page = await context.newPage();
        // A document the server itself serves, so the page is same-origin and on the local
        // network as far as Chromium's checks go (a page made up by the test is not).
        await page.goto(`${server.url}/healthz`);
        await page.evaluate(listenInPage);
        const clock = await clockOffset(page);
        let seq = 0;
        let ts = 1_700_000_000_000;

        const results = await repeat({ warmup: 1, runs }, async ({ warmup }) => {
          const n = warmup ? 50 : perRun;
          const sent = new Map();
          for (let i = 0; i < n; i++) {
            ts += 1000;
            seq++;
            const body = { v: 1, readings: [{ seq, ch: 'sim/fridge', ts, v: 4 + (i % 10) / 10 }], ...(seq === 1 ? { channels: { 'sim/fridge': { kind: 'sensor', driver: 'simulated', unit: '°C' } } } : {}) };
            const payload = JSON.stringify(body);
            sent.set(ts, wallMs());
            client.publish('ma/v1/latency/telemetry', payload, { qos: 1 });
            await sleep(intervalMs);
          }
          const deadline = Date.now() + 10_000;
          let got;
          do {
            await sleep(50);
            got = new Map(await page.evaluate((keys) => keys.map((k) => [k, window.received.get(k)]), [...sent.keys()]));
          } while ([...got.values()].some((v) => v === undefined) && Date.now() < deadline);
          const lat = [];
          for (const [k, t] of sent) {
            const at = got.get(k);
            check(at !== undefined, `reading ts=${k} never reached the browser`);
            check(at !== -1, `reading ts=${k} reached the browser twice`);
            lat.push(at - clock.offset - t);
          }
          check(lat.every((l) => l > -clock.rtt), `negative latency beyond the clock uncertainty (${Math.min(...lat).toFixed(2)} ms)`);
          return { p50: percentile(lat, 50), p99: percentile(lat, 99) };
        });
        await context.close();
        return {
          rows: [
            { metric: 'reading to browser, p50', unit: 'ms', values: results.map((r) => r.p50) },
            { metric: 'reading to browser, p99', unit: 'ms', values: results.map((r) => r.p99) },
          ],
          notes: [
            `${perRun} readings per run, one per publish every ${intervalMs} ms (QoS 1, MQTT over TCP, as an agent sends when idle), ${runs} run(s) after a warm-up; measured from just before \`publish\` to the browser's WebSocket message event. The path: broker, validation, SQLite transaction, live fan-out, WebSocket. Clock offset node↔browser removed (round trip of the best calibration ${clock.rtt.toFixed(2)} ms, so ±${(clock.rtt / 2).toFixed(2)} ms).`,
            'Self-checks: every reading arrives exactly once.',
            'Rule breach to notification is measured by the `alerts` scenario (triggering reading to signed webhook). Card tap to relay (server and allow-list paths) and the command round trip are measured by the `equipment` scenario.',
          ],
        };
      } finally {
        // An MQTT client still connected would hold the server's stop.
        await client?.endAsync(true);
        await browser.close();
        await server.stop();
      }
    });
  },
};

// Telemetry batches as an agent sends them, and a QoS 1 publisher that keeps a window of
// batches in flight (as the agent's uplink does), shared by the ingest scenario and its
// broker reference so both move messages of the same size.

export const T0 = 1_700_000_000_000;
export const BATCH = 100;
export const CHANNEL = 'bench/a';
const channels = { [CHANNEL]: { kind: 'sensor', driver: 'bench', unit: '°C' } };

/** The JSON payload of readings [from, from + n): seq from + 1 onwards, one per second. */
export function telemetryPayload(from, n, withMeta = false) {
  const readings = [];
  for (let i = from; i < from + n; i++) readings.push({ seq: i + 1, ch: CHANNEL, ts: T0 + i * 1000, v: 20 + (i % 100) / 10 });
  return JSON.stringify({ v: 1, readings, ...(withMeta ? { channels } : {}) });
}

/**
 * Publishes `total` readings in batches at QoS 1 with `window` batches awaiting PUBACK.
 * Resolves when every batch is acknowledged.
 */
export function publishReadings(client, topic, total, { window = 32, batch = BATCH } = {}) {
  let next = 0;
  let inflight = 0;
  return new Promise((resolve, reject) => {
    const pump = () => {
      while (inflight < window && next < total) {
        const n = Math.min(batch, total - next);
        const payload = telemetryPayload(next, n, next === 0);
        next += n;
        inflight++;
        client.publish(topic, payload, { qos: 1 }, (err) => {
          if (err) return reject(err);
          inflight--;
          if (next >= total && inflight === 0) resolve();
          else pump();
        });
      }
    };
    pump();
  });
}

// 2. Query: the readings API (GET /api/v1/readings, 1,000 points, min/max-preserving) over
// the last 1 h, 24 h, 30 d and 1 y of a channel with a year of 1-minute data, p50/p99 over
// sequential requests; reference: a bare SQL scan returning the same rows, on the same
// database file, measured in the same run.
import path from 'node:path';
import Database from 'better-sqlite3';
import { check, percentile, repeat, startBenchServer, withTempDir } from '../lib.js';
import { MINUTE, YEAR_MINUTES, seedYear } from '../support/seed.js';

const RANGES = [
  ['1 h', 60 * MINUTE],
  ['24 h', 1440 * MINUTE],
  ['30 d', 30 * 1440 * MINUTE],
  ['1 y', YEAR_MINUTES * MINUTE],
];
const POINTS = 1000;

/** Latencies of `once` until `max` samples or `budgetMs` elapsed (at least `min`): [p50, p99, n]. */
async function sample(once, max, budgetMs, min) {
  const xs = [];
  const t0 = performance.now();
  while (xs.length < max && (xs.length < min || performance.now() - t0 < budgetMs)) xs.push(await once());
  return [percentile(xs, 50), percentile(xs, 99), xs.length];
}

export default {
  name: 'query',
  title: '2. Query: readings API over 1 h / 24 h / 30 d / 1 y of 1-minute data vs a bare SQL scan',
  async run({ quick }) {
    const requests = quick ? 30 : 100;
    const runs = quick ? 1 : 3;
    // A full scan of a year takes ~0.5 s: sampling stops at a time budget (at least 10 samples).
    const budgetMs = quick ? 700 : 2000;
    const minSamples = quick ? 3 : 10;
    const samples = {};
    return withTempDir('query', async (dir) => {
      const { server, api } = await startBenchServer(dir);
      const db = new Database(path.join(dir, 'ma.db'), { readonly: true });
      try {
        const seedStart = Date.now();
        const { channelId, end } = await seedYear(server);
        const seedSeconds = (Date.now() - seedStart) / 1000;
        const to = end + MINUTE; // the last stored minute is inside [from, to)
        const scan = db.prepare('SELECT ts, value FROM readings WHERE channel_id = ? AND ts >= ? AND ts < ? ORDER BY ts').raw();
        const stats = db.prepare('SELECT count(*), min(value), max(value) FROM readings WHERE channel_id = ? AND ts >= ? AND ts < ?').raw();

        const rows = [];
        for (const [label, span] of RANGES) {
          const from = to - span;
          const [expected, lo, hi] = stats.get(channelId, from, to);
          check(expected === Math.min(YEAR_MINUTES, span / MINUTE), `${label}: ${expected} rows in range`);
          const url = `/api/v1/readings?channel=${channelId}&from=${from}&to=${to}&points=${POINTS}`;
          const apiOnce = async () => {
            const t = performance.now();
            const s = await api(url);
            const ms = performance.now() - t;
            // Every row is accounted for once, the extremes survive downsampling, the size is bounded.
            const counted = s.count.reduce((a, b) => a + b, 0);
            check(counted === expected, `${label}: API buckets count ${counted} readings, the table has ${expected}`);
            check(s.t.length <= POINTS && s.t.length > 0, `${label}: API returned ${s.t.length} points for points=${POINTS}`);
            check(Math.min(...s.min) === lo && Math.max(...s.max) === hi, `${label}: API min/max ${Math.min(...s.min)}/${Math.max(...s.max)}, table ${lo}/${hi}`);
            return ms;
          };
          const sqlOnce = () => {
            const t = performance.now();
            const r = scan.all(channelId, from, to);
            const ms = performance.now() - t;
            check(r.length === expected, `${label}: SQL scan returned ${r.length} of ${expected} rows`);
            return ms;
          };
          const apiP = await repeat({ warmup: 1, runs }, ({ warmup }) => (warmup ? sample(apiOnce, 5, 0, 5) : sample(apiOnce, requests, budgetMs, minSamples)));
          const sqlP = await repeat({ warmup: 1, runs }, ({ warmup }) => (warmup ? sample(sqlOnce, 3, 0, 3) : sample(sqlOnce, requests, budgetMs, minSamples)));
          samples[label] = `API ${apiP.map((p) => p[2]).join('/')}, SQL ${sqlP.map((p) => p[2]).join('/')}`;
          const n = expected.toLocaleString('en');
          rows.push(
            { metric: `${label} (${n} rows): API p50`, unit: 'ms', values: apiP.map((p) => p[0]), ...(label === '1 y' ? { goal: '< 50' } : {}) },
            { metric: `${label}: API p99`, unit: 'ms', values: apiP.map((p) => p[1]) },
            { metric: `${label}: reference, SQL scan of the same rows, p50`, unit: 'ms', values: sqlP.map((p) => p[0]) },
            { metric: `${label}: reference, SQL scan, p99`, unit: 'ms', values: sqlP.map((p) => p[1]) },
          );
        }
        return {
          rows,
          notes: [
            `Up to ${requests} sequential requests per run (fewer when a run reaches ${budgetMs / 1000} s, at least ${minSamples}), ${runs} run(s) after a short warm-up (5 API requests, 3 scans); samples per run: ${Object.entries(samples).map(([k, v]) => `${k}: ${v}`).join('; ')}. The HTTP client (fetch) runs in the server's process over loopback, so its cost is included.`,
            `The API answers at most ${POINTS} points (min, max, avg, count per bucket): raw rows for 1 h, buckets of raw rows for 24 h, the minute rollup for 30 d, the hour rollup for 1 y. The SQL reference returns every row of the range (up to 525,600), which is what a chart without downsampling would need.`,
            `Self-checks on every request: bucket counts sum to the rows in range, the range's min and max survive, at most ${POINTS} points; the SQL scan returns every row.`,
            `Seeding a year of 1-minute readings (525,600 rows) through the Store's insertReadings with rollups took ${seedSeconds.toFixed(1)} s.`,
          ],
        };
      } finally {
        db.close();
        await server.stop();
      }
    });
  },
};

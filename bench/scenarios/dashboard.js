// 3b. The dashboard's figures (issue #4), against a real server holding a year of 1-minute
// readings, in headless Chromium logged in as a user: a year loaded into the dashboard's chart
// end to end (API + render, from its window.__maChart.timing() hook) and the API part alone,
// with a bare page (fetch + uPlot, no app) as the reference; the initial page transfer (as
// served, and gzipped) and the time to first chart on loopback, each load with a cold cache.
/* global window, document, requestAnimationFrame, uPlot */ // functions passed to page.evaluate run in the browser
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { check, fmtInt, launchChromium, loggedInContext, repeat, repoRoot, startBenchServer, withTempDir } from '../lib.js';
import { MINUTE, YEAR_MINUTES, seedYear } from '../support/seed.js';

const WIDTH = 1200;
const HEIGHT = 400;
const UPLOT_JS = readFileSync(path.join(repoRoot, 'node_modules/uplot/dist/uPlot.iife.min.js'), 'utf8');
const UPLOT_CSS = readFileSync(path.join(repoRoot, 'node_modules/uplot/dist/uPlot.min.css'), 'utf8');
const YEAR_PAGE = `<!doctype html><html><head><meta charset="utf-8"><style>${UPLOT_CSS}</style></head>
<body><div id="chart"></div><script>${UPLOT_JS}</script></body></html>`;

/** Runs in the page (same origin as the API): fetch a year at chart-width resolution and draw avg with a min/max band. */
async function loadYearInPage({ url, token, width, height }) {
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  await frame();
  const t0 = performance.now();
  const res = await fetch(url, { headers: { authorization: `Bearer ${token}` } });
  const s = await res.json();
  const apiMs = performance.now() - t0;
  const x = s.t.map((t) => t / 1000);
  await new Promise((resolve) => {
    new uPlot(
      {
        width,
        height,
        series: [{}, { label: 'avg', stroke: '#1f77b4' }, { label: 'min', stroke: '#9ecae1' }, { label: 'max', stroke: '#9ecae1' }],
        bands: [{ series: [3, 2], fill: 'rgba(31,119,180,0.15)' }],
        hooks: { draw: [() => resolve()] },
      },
      [x, s.avg, s.min, s.max],
      document.getElementById('chart'),
    );
  });
  // Timed to the draw, as the dashboard's renderEnd is.
  const totalMs = performance.now() - t0;
  await frame();
  return { apiMs, totalMs, points: s.t.length, readings: s.count.reduce((a, b) => a + b, 0), source: s.source };
}

/** Resolves with performance.now() (ms since navigation start) once the dashboard's chart holds points. */
const FIRST_CHART = () => {
  const c = window.__maChart;
  if (!c || typeof c.channels !== 'function') return false;
  return c.channels().some((id) => c.points(id) > 0) ? performance.now() : false;
};

/** The year in the dashboard: /charts?ch=<id>&range=1y, read from its timing hook once drawn. */
const YEAR_DRAWN = () => {
  const c = window.__maChart;
  if (!c || typeof c.timing !== 'function' || c.state() !== 'ready') return false;
  const t = c.timing();
  return t && t.renderEnd !== null && t.renderEnd !== undefined ? { ...t, window: c.window() } : false;
};

async function dashboardYear(browser, bench, channelId) {
  const context = await loggedInContext(browser, bench, { viewport: { width: WIDTH + 80, height: 900 } });
  const page = await context.newPage();
  try {
    await page.goto(`${bench.server.url}/charts?ch=${channelId}&range=1y`);
    const t = await (await page.waitForFunction(YEAR_DRAWN, undefined, { polling: 'raf', timeout: 20_000 }).catch(() => {
      throw new Error('the dashboard did not draw /charts?range=1y within 20 s (window.__maChart.timing(), packages/web/README.md)');
    })).jsonValue();
    const points = await page.evaluate((id) => window.__maChart.points(id), channelId);
    check(t.window.to - t.window.from >= 364 * 86_400_000, `the 1 y window spans only ${((t.window.to - t.window.from) / 86_400_000).toFixed(1)} days`);
    check(points > 100, `the year chart holds ${points} points`);
    // The same year chosen on a page already open (24 h first, then the "1 y" button): the
    // deep link above also counts the page's start-up requests competing with the fetch.
    await page.goto(`${bench.server.url}/charts?ch=${channelId}&range=24h`);
    await page.waitForFunction(YEAR_DRAWN, undefined, { polling: 'raf', timeout: 20_000 });
    await page.waitForTimeout(300);
    const clickedAt = await page.evaluate(() => performance.now());
    await page.locator('[data-testid="chart-range"][data-range="1y"]').click();
    const t2 = await (await page.waitForFunction((after) => {
      const c = window.__maChart;
      const tm = c?.state() === 'ready' ? c.timing() : null;
      return tm && tm.fetchStart > after && tm.renderEnd != null ? { ...tm, window: c.window() } : false;
    }, clickedAt, { polling: 'raf', timeout: 20_000 })).jsonValue();
    check(t2.window.to - t2.window.from >= 364 * 86_400_000, 'the "1 y" button did not show a year');
    return { totalMs: t.renderEnd - t.fetchStart, apiMs: t.fetchEnd - t.fetchStart, switchMs: t2.renderEnd - t2.fetchStart, switchApiMs: t2.fetchEnd - t2.fetchStart, points };
  } finally {
    await context.close();
  }
}

async function dashboardLoad(browser, bench, url) {
  const context = await loggedInContext(browser, bench, { viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const loads = [];
  page.on('requestfinished', (req) => loads.push(req));
  try {
    await page.goto(url);
    const ms = await (await page.waitForFunction(FIRST_CHART, undefined, { polling: 'raf', timeout: 20_000 }).catch(() => {
      throw new Error('the dashboard drew no chart within 20 s (waited for window.__maChart.points(id) > 0; see packages/web/README.md, test contract)');
    })).jsonValue();
    const seen = [...loads];
    let transferred = 0;
    let gzipped = 0;
    let api = 0;
    const types = new Set();
    for (const req of seen) {
      const resp = await req.response();
      if (!resp) continue;
      const sizes = await req.sizes();
      const body = await resp.body().catch(() => Buffer.alloc(0));
      const encoded = resp.headers()['content-encoding'];
      transferred += sizes.responseBodySize + sizes.responseHeadersSize;
      // What the page costs gzipped (level 6, what servers commonly use), headers as sent.
      gzipped += (encoded ? sizes.responseBodySize : gzipSync(body).length) + sizes.responseHeadersSize;
      if (new URL(req.url()).pathname.startsWith('/api/')) api += sizes.responseBodySize + sizes.responseHeadersSize;
      types.add((resp.headers()['content-type'] ?? '').split(';')[0]);
    }
    check(types.has('text/html') && (types.has('application/javascript') || types.has('text/javascript')), `page load fetched no HTML + JavaScript (${[...types].join(', ')})`);
    return { ms, transferredKb: transferred / 1024, gzippedKb: gzipped / 1024, apiKb: api / 1024, requests: seen.length };
  } finally {
    await context.close();
  }
}

export default {
  name: 'dashboard',
  title: '3b. Dashboard: a year of 1-minute data into a chart; page weight and time to first chart',
  async run({ quick }) {
    const runs = quick ? 3 : 5;
    return withTempDir('dashboard', async (dir) => {
      const bench = await startBenchServer(dir);
      const { server, token } = bench;
      const browser = await launchChromium();
      try {
        const { channelId, end } = await seedYear(server);
        const to = end + MINUTE;
        const from = to - YEAR_MINUTES * MINUTE;
        const url = `/api/v1/readings?channel=${channelId}&from=${from}&to=${to}&points=${WIDTH}`;

        const year = await repeat({ warmup: 1, runs }, async () => {
          const page = await browser.newPage({ viewport: { width: WIDTH + 40, height: HEIGHT + 100 } });
          try {
            // A bench page served on the server's own origin, so it calls the real API as the dashboard does.
            await page.route(`${server.url}/__bench/year`, (route) => route.fulfill({ contentType: 'text/html', body: YEAR_PAGE }));
            await page.goto(`${server.url}/__bench/year`);
            const r = await page.evaluate(loadYearInPage, { url, token, width: WIDTH, height: HEIGHT });
            check(r.readings === YEAR_MINUTES, `the chart's buckets cover ${r.readings} of ${YEAR_MINUTES} readings`);
            check(r.points > 100 && r.points <= WIDTH, `the chart got ${r.points} points for ${WIDTH} px`);
            return r;
          } finally {
            await page.close();
          }
        });

        const dash = await repeat({ warmup: 1, runs }, () => dashboardYear(browser, bench, channelId));
        const loads = await repeat({ warmup: 1, runs }, () => dashboardLoad(browser, bench, `${server.url}/charts?ch=${channelId}`));
        return {
          rows: [
            { metric: `dashboard: "1 y" (${fmtInt(YEAR_MINUTES)} 1-minute readings) chosen on an open chart, API + render`, unit: 'ms', values: dash.map((r) => r.switchMs), goal: '< 300' },
            { metric: '… of which the API (fetch start to answer)', unit: 'ms', values: dash.map((r) => r.switchApiMs), goal: '< 50' },
            { metric: 'dashboard: the same year from a deep link (/charts?range=1y), API + render', unit: 'ms', values: dash.map((r) => r.totalMs) },
            { metric: '… of which the API, competing with the page\'s start-up requests', unit: 'ms', values: dash.map((r) => r.apiMs) },
            { metric: 'reference: bare page, the same year with fetch + uPlot (no app)', unit: 'ms', values: year.map((r) => r.totalMs) },
            { metric: '… of which the API request (fetch + JSON)', unit: 'ms', values: year.map((r) => r.apiMs) },
            { metric: 'dashboard: time to first chart (navigation start to points on the chart), cold cache', unit: 'ms', values: loads.map((r) => r.ms), goal: '< 1000' },
            { metric: 'dashboard: initial load, gzipped (everything fetched until the first chart)', unit: 'KB', values: loads.map((r) => r.gzippedKb), goal: '< 250' },
            { metric: 'dashboard: initial load as served (bytes on the wire, until the first chart)', unit: 'KB', values: loads.map((r) => r.transferredKb), goal: '<= 75' },
            { metric: '… of which API responses, as served', unit: 'KB', values: loads.map((r) => r.apiKb) },
          ],
          notes: [
            `Dashboard year, read from \`window.__maChart.timing()\` (fetch start → first draw after the answer) in a ${WIDTH + 80} px wide page: (a) the "1 y" range button clicked on a chart already showing 24 h; (b) the deep link \`/charts?ch=<id>&range=1y\` opened cold, where the year's fetch runs alongside the app's start-up requests (its navigation and login gate are not counted). The chart held ${dash[0].points} points.`,
            `Reference: a bare page on the server's origin (uPlot from node_modules, no app) calling the same readings API with points = ${WIDTH}; the API answered from its ${year[0].source} rollup with ${year[0].points} buckets, drawn as avg with a min/max band; timed from fetch to uPlot's draw.`,
            `Dashboard loads: \`/charts?ch=<id>\` (default range) over loopback, a fresh logged-in browser context each (no cache), ${loads[0].requests} requests until the first chart. Time to first chart: navigation start → the chart holds points (\`window.__maChart\`). "Gzipped" compresses each response at level 6 unless the server already sent it compressed; the "as served" row is what crossed the wire.`,
            'Self-checks: the bare page\'s buckets account for all 525,600 readings; the dashboard\'s 1 y window spans a year and holds > 100 points; each dashboard load fetched HTML and JavaScript and its chart holds points (window.__maChart, packages/web/README.md).',
          ],
        };
      } finally {
        await browser.close();
        await server.stop();
      }
    });
  },
};

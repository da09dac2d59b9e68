// 3. Charts: the same 500,000 points drawn as a line in headless Chromium by uPlot (ours) and
// by plotly.js (the original system's library), each in a fresh page: time from the call to
// the next frame after drawing, and the JS heap. Reported side by side and as a ratio.
/* global document, requestAnimationFrame, uPlot, Plotly */ // functions passed to page.evaluate run in the browser
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { check, fmtInt, launchChromium, repeat, repoRoot } from '../lib.js';

const ORIGIN = 'http://bench.invalid';
const FILES = {
  '/uplot.js': path.join(repoRoot, 'node_modules/uplot/dist/uPlot.iife.min.js'),
  '/uplot.css': path.join(repoRoot, 'node_modules/uplot/dist/uPlot.min.css'),
  '/plotly.js': path.join(repoRoot, 'node_modules/plotly.js-dist-min/plotly.min.js'),
};
/** A page that loads only the library under test, so each heap figure holds one library. */
const page = (lib) => `<!doctype html><html><head><meta charset="utf-8"><link rel="stylesheet" href="/uplot.css">
<style>body{margin:0;font:12px sans-serif}#chart{width:1200px;height:500px}</style></head>
<body><div id="chart"></div><script src="/${lib}.js"></script></body></html>`;
const WIDTH = 1200;
const HEIGHT = 500;

/** Runs in the page: builds the data (untimed), then draws it with one library, timed to the next frame. */
async function drawInPage({ lib, n, width, height }) {
  const x = new Array(n);
  const y = new Array(n);
  for (let i = 0; i < n; i++) {
    x[i] = 1_700_000_000 + i * 60;
    y[i] = 4 + 1.5 * Math.sin(i / 1440) + 0.4 * Math.sin(i / 7) + ((i * 7919) % 100) / 500;
  }
  const el = document.getElementById('chart');
  const frame = () => new Promise((r) => requestAnimationFrame(() => setTimeout(r, 0)));
  await frame();
  const t0 = performance.now();
  let drawn;
  if (lib === 'uplot') {
    const u = await new Promise((resolve) => {
      new uPlot({ width, height, scales: { x: { time: false } }, series: [{}, { stroke: '#1f77b4', width: 1 }], hooks: { draw: [(p) => resolve(p)] } }, [x, y], el);
    });
    await frame();
    const ctx = u.ctx;
    const img = ctx.getImageData(0, 0, u.ctx.canvas.width, u.ctx.canvas.height).data;
    let inked = 0;
    for (let i = 3; i < img.length; i += 4) if (img[i] > 0) inked++;
    drawn = { points: u.data[1].length, inked };
  } else {
    await Plotly.newPlot(el, [{ x, y, type: 'scatter', mode: 'lines', line: { width: 1 } }], { width, height, margin: { l: 50, r: 10, t: 10, b: 30 } });
    await frame();
    const d = el.querySelector('.scatterlayer .trace path.js-line')?.getAttribute('d') ?? '';
    drawn = { points: el._fullData[0].x.length, inked: d.length };
  }
  return { ms: performance.now() - t0, ...drawn };
}

async function drawOnce(browser, lib, n) {
  const tab = await browser.newPage({ viewport: { width: WIDTH + 40, height: HEIGHT + 40 } });
  try {
    await tab.route(`${ORIGIN}/**`, (route) => {
      const p = new URL(route.request().url()).pathname;
      if (p === '/') return route.fulfill({ contentType: 'text/html', body: page(lib) });
      const file = FILES[p];
      return file ? route.fulfill({ contentType: p.endsWith('.css') ? 'text/css' : 'text/javascript', body: readFileSync(file) }) : route.fulfill({ status: 404 });
    });
    await tab.goto(`${ORIGIN}/`);
    const cdp = await tab.context().newCDPSession(tab);
    await cdp.send('Performance.enable');
    await cdp.send('HeapProfiler.collectGarbage');
    const r = await tab.evaluate(drawInPage, { lib, n, width: WIDTH, height: HEIGHT });
    const m = Object.fromEntries((await cdp.send('Performance.getMetrics')).metrics.map((x) => [x.name, x.value]));
    check(r.points === n, `${lib} holds ${r.points} of ${n} points`);
    check(r.inked > (lib === 'uplot' ? 1000 : 100), `${lib} drew nothing visible (${r.inked})`);
    return { ms: r.ms, heapMb: m.JSHeapTotalSize / 2 ** 20, usedMb: m.JSHeapUsedSize / 2 ** 20 };
  } finally {
    await tab.close();
  }
}

export default {
  name: 'charts',
  title: '3. Charts: 500,000 points drawn in headless Chromium, uPlot (ours) vs plotly.js (the original system)',
  async run({ quick }) {
    const n = 500_000;
    const runs = quick ? 2 : 5;
    const browser = await launchChromium();
    try {
      const results = await repeat({ warmup: 1, runs }, async () => ({ uplot: await drawOnce(browser, 'uplot', n), plotly: await drawOnce(browser, 'plotly', n) }));
      const u = results.map((r) => r.uplot);
      const p = results.map((r) => r.plotly);
      return {
        rows: [
          { metric: `uPlot: ${fmtInt(n)} points, call to next frame`, unit: 'ms', values: u.map((r) => r.ms) },
          { metric: 'plotly.js: the same points', unit: 'ms', values: p.map((r) => r.ms) },
          { metric: 'time ratio plotly.js / uPlot (per run)', unit: '×', values: results.map((r) => r.plotly.ms / r.uplot.ms) },
          { metric: 'uPlot: JS heap size after drawing', unit: 'MB', values: u.map((r) => r.heapMb) },
          { metric: 'plotly.js: JS heap size after drawing', unit: 'MB', values: p.map((r) => r.heapMb) },
          { metric: 'heap ratio plotly.js / uPlot (per run)', unit: '×', values: results.map((r) => r.plotly.heapMb / r.uplot.heapMb) },
        ],
        notes: [
          `Each draw runs in a fresh page (${WIDTH}×${HEIGHT} px, Debian's Chromium, headless, software rendering); the 500,000 x/y values are plain arrays built before the clock starts, the same for both. uPlot: canvas line; plotly.js ${JSON.parse(readFileSync(path.join(repoRoot, 'node_modules/plotly.js-dist-min/package.json'), 'utf8')).version}: \`scatter\` in \`lines\` mode (SVG, its default), linear axes.`,
          'Peak heap: the V8 heap size (JSHeapTotalSize, CDP) right after drawing, garbage collected just before; V8 grows the heap to hold the peak and does not shrink it at once, so this is the page\'s peak JS heap including the data arrays (~8 MB of numbers plus the libraries).',
          'Self-checks: each chart holds all 500,000 points; uPlot\'s canvas has inked pixels, plotly\'s line path is non-empty.',
        ],
      };
    } finally {
      await browser.close();
    }
  },
};

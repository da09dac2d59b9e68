import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  addNode,
  startAgentProcess,
  startServerProcess,
  tempDir,
  writeAgentConfig,
  type ManagedProcess,
  type ServerHandle,
} from '../support/processes.js';

/** Debian's Chromium, driven headless; never a downloaded browser. */
const CHROMIUM = process.env.MA_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];

describe('the dashboard, in headless Chromium, against a real server fed by two real agents', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  const agents: ManagedProcess[] = [];
  let browser: Browser;

  beforeAll(async () => {
    tmp = await tempDir('dash');
    server = await startServerProcess({ dir: tmp.dir });
    const mqttUrl = `${server.url.replace('http', 'ws')}/mqtt`;
    for (const [name, model] of [
      ['lab-fridge', 'fridge'],
      ['cold-room', 'freezer'],
    ] as const) {
      const node = await addNode(server.configFile, name, mqttUrl);
      const config = await writeAgentConfig(tmp.dir, node, mqttUrl, [{ driver: 'simulated', interval: '500ms', sensors: [{ name: model, model, label: model }] }]);
      agents.push(startAgentProcess(config));
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all(agents.map((a) => a.stop()));
    await server?.stop();
    await tmp?.cleanup();
  });

  it('shows both nodes online and draws the fridge and freezer lines on one chart, growing live', async () => {
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await page.goto(server.url);
    for (const name of ['lab-fridge', 'cold-room']) {
      await page.locator(`[data-testid="node-card"][data-node="${name}"][data-online="true"]`).waitFor({ timeout: 30_000 });
    }
    const legend = page.locator('[data-testid="live-chart"] [data-testid="chart-series"]');
    await expect.poll(() => legend.allInnerTexts(), { timeout: 30_000 }).toEqual(
      expect.arrayContaining([expect.stringContaining('lab-fridge / fridge'), expect.stringContaining('cold-room / freezer')]),
    );
    const ids = await legend.evaluateAll((els) => els.map((e) => Number(e.getAttribute('data-channel'))));
    const points = (id: number) => page.evaluate((c) => (window as unknown as { __maChart: { points(c: number): number } }).__maChart.points(c), id);
    for (const id of ids) await expect.poll(() => points(id), { timeout: 30_000 }).toBeGreaterThan(0);
    // A reading published while the page is open appears without a reload.
    const before = await points(ids[0]!);
    await expect.poll(() => points(ids[0]!), { timeout: 5_000 }).toBeGreaterThan(before);
    await page.close();
  });

  it('has no horizontal scroll on a phone-sized viewport', async () => {
    const page = await browser.newPage({ viewport: { width: 390, height: 844 } });
    await page.goto(server.url);
    await page.locator('[data-testid="node-card"]').first().waitFor();
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await page.close();
  });
});

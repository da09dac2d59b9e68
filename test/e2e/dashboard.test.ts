import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelListResponse, NodeConnectionsResponse } from '@ma/protocol';
import {
  REPO_ROOT,
  TEST_ADMIN_TOKEN,
  addNode,
  eventually,
  getJson,
  startAgentProcess,
  startServerProcess,
  tempDir,
  writeAgentConfig,
  type CreatedNode,
  type ManagedProcess,
  type ServerHandle,
} from '../support/processes.js';
import { dayOfReadings, publishAsNode, writeFakeProc } from './dashboard-fixtures.js';

/** Debian's Chromium, driven headless; never a downloaded browser. */
const CHROMIUM = process.env.MA_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
const SHOTS = path.join(REPO_ROOT, 'docs/screenshots');
/**
 * Until the login page exists (users issue), the browser authenticates like a script: every request of the
 * test's browser context carries the scenario admin token.
 */
const AUTH = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
/** Short, so the offline test is quick; the agents publish every 500 ms, well inside it. */
const OFFLINE_AFTER_MS = 4000;

interface ChartHook {
  points(c: number): number;
  channels(): number[];
  state(): string;
}
const chartPoints = (page: Page, id: number) => page.evaluate((c) => (window as unknown as { __maChart?: ChartHook }).__maChart?.points(c) ?? 0, id);
const horizontalOverflow = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('the dashboard, in headless Chromium, against a real server fed by real agents', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  const agents = new Map<string, ManagedProcess>();
  const nodes = new Map<string, CreatedNode>();
  let browser: Browser;
  let channels: ChannelListResponse['channels'];
  const id = (node: string, key: string): number => {
    const c = channels.find((ch) => ch.node === node && ch.key === key);
    if (c === undefined) throw new Error(`no channel ${node}/${key}`);
    return c.id;
  };

  beforeAll(async () => {
    tmp = await tempDir('dash');
    server = await startServerProcess({ dir: tmp.dir, mqttTcp: true, offlineAfter: `${OFFLINE_AFTER_MS}ms` });
    const mqttUrl = `${server.url.replace('http', 'ws')}/mqtt`;
    const now = Date.now();
    const setups = [
      { name: 'lab-fridge', model: 'fridge', label: 'Vaccine fridge', base: 4, swing: 0.8, proc: { cpuMilli: 48_312, wifiDbm: -58, uptimeS: 273_600 } },
      { name: 'cold-room', model: 'freezer', label: 'Freezer −20', base: -20, swing: 1.5, proc: { cpuMilli: 71_500, wifiDbm: -72, uptimeS: 86_400 } },
      { name: 'bench-pi', model: 'room', label: 'Bench', base: 21.5, swing: 0.3, proc: { cpuMilli: 52_000, wifiDbm: -49, uptimeS: 3_600 } },
    ] as const;
    for (const s of setups) {
      const node = await addNode(server.configFile, s.name, mqttUrl);
      nodes.set(s.name, node);
      // A day of history published the way an agent does, before the agent connects (far-away seqs).
      const readings = dayOfReadings({
        channel: `sim/${s.model}`,
        end: now - 60_000,
        stepMs: 120_000,
        base: s.base,
        swing: s.swing,
        firstSeq: 1_000_000_000,
        ...(s.name === 'cold-room' ? { gap: [now - 9 * 3_600_000, now - 7 * 3_600_000] as [number, number] } : {}),
      });
      const meta = { [`sim/${s.model}`]: { kind: 'sensor', driver: 'simulated', quantity: 'temperature', unit: '°C', label: s.label } };
      await publishAsNode(server.mqttTcpPort!, s.name, node.credential, { v: 1, readings, channels: meta });
      const procRoot = path.join(tmp.dir, `proc-${s.name}`);
      await writeFakeProc(procRoot, s.proc);
      const config = await writeAgentConfig(tmp.dir, node, mqttUrl, [
        { driver: 'simulated', interval: '500ms', sensors: [{ name: s.model, model: s.model, label: s.label }] },
        { driver: 'system', interval: '2s', proc_root: procRoot, disk_path: tmp.dir },
      ]);
      agents.set(s.name, startAgentProcess(config));
    }
    channels = (
      await (async () => {
        for (let i = 0; i < 150; i++) {
          const r = await getJson<ChannelListResponse>(`${server.url}/api/v1/channels`);
          if (r.channels.filter((c) => c.key === 'system/cpu_temp' && c.last_value !== null).length === 3) return r;
          await new Promise((res) => setTimeout(res, 200));
        }
        throw new Error('agents did not report their channels');
      })()
    ).channels;
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });

  afterAll(async () => {
    await browser?.close();
    await Promise.all([...agents.values()].map((a) => a.stop()));
    await server?.stop();
    await tmp?.cleanup();
  });

  it('overview: every node as a card, online, with values, 24 h sparklines and health', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: AUTH, viewport: { width: 1440, height: 960 }, colorScheme: 'light' });
    await page.goto(server.url);
    for (const name of ['lab-fridge', 'cold-room', 'bench-pi']) {
      await page.locator(`[data-testid="node-card"][data-node="${name}"][data-online="true"]`).waitFor({ timeout: 30_000 });
    }
    const fridge = page.locator('[data-testid="node-card"][data-node="lab-fridge"]');
    await expect.poll(() => fridge.locator('[data-testid="sparkline"] path').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    await expect.poll(() => fridge.locator('[data-testid="node-health"][data-health="cpu"]').innerText()).toContain('48 °C');
    await expect.poll(() => fridge.locator('[data-testid="node-health"][data-health="wifi"]').getAttribute('data-level')).toBe('ok');
    // cold-room runs hot and its Wi-Fi is weak: both are problems worth a badge.
    const cold = page.locator('[data-testid="node-card"][data-node="cold-room"] [data-testid="node-problem"]');
    await expect.poll(() => cold.allInnerTexts()).toEqual(['Weak Wi-Fi (-72 dBm)', 'CPU hot (72 °C)']);
    // Optional pages stay hidden until their feature exists (photos are not built yet; equipment and access are, issue #14).
    const nav = await page.locator('[data-testid="nav-link"]').allInnerTexts();
    expect(nav.slice(0, 2)).toEqual(['Overview', 'Charts']);
    expect(nav).not.toContain('Photos');
    for (const shown of ['Equipment', 'Access']) expect(nav).toContain(shown);
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SHOTS, 'overview.png') });
    await page.close();
  });

  it('charts two channels from a link, with a band, a gap, and live readings appended', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: AUTH, viewport: { width: 1440, height: 900 }, colorScheme: 'light' });
    const fridge = id('lab-fridge', 'sim/fridge');
    const freezer = id('cold-room', 'sim/freezer');
    await page.goto(`${server.url}/charts?ch=${fridge},${freezer}&range=24h`);
    const legend = page.locator('[data-testid="live-chart"] [data-testid="chart-series"]');
    // Legend in node order (by display name), each with its current value.
    await expect.poll(() => legend.allInnerTexts(), { timeout: 15_000 }).toEqual([
      expect.stringMatching(/^cold-room \/ Freezer −20\s+-?\d+(\.\d)? °C$/),
      expect.stringMatching(/^lab-fridge \/ Vaccine fridge\s+-?\d+(\.\d)? °C$/),
    ]);
    await page.locator('[data-testid="live-chart"][data-state="ready"]').waitFor();
    for (const c of [fridge, freezer]) await expect.poll(() => chartPoints(page, c)).toBeGreaterThan(100);
    expect(await page.locator('[data-testid="chart-range"][data-range="24h"]').getAttribute('aria-pressed')).toBe('true');
    await page.screenshot({ path: path.join(SHOTS, 'chart.png') });

    // Live range: a reading stored while the page is open shows up without a reload, within 2 s.
    await page.locator('[data-testid="chart-range"][data-range="15m"]').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe(null);
    await expect.poll(() => chartPoints(page, fridge)).toBeGreaterThan(0);
    const before = await chartPoints(page, fridge);
    await expect.poll(() => chartPoints(page, fridge), { timeout: 2_000, interval: 100 }).toBeGreaterThan(before);

    // The back button returns to the 24 h view the link opened.
    await page.goBack();
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('24h');
    await expect.poll(() => page.locator('[data-testid="chart-range"][data-range="24h"]').getAttribute('aria-pressed')).toBe('true');

    // Drag across the plot: the chart zooms into a fixed window, kept in the URL.
    const box = (await page.locator('.u-over').boundingBox())!;
    await page.mouse.move(box.x + box.width * 0.3, box.y + box.height / 2);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width * 0.6, box.y + box.height / 2, { steps: 5 });
    await page.mouse.up();
    await expect.poll(() => new URL(page.url()).searchParams.get('from')).not.toBe(null);
    const q = new URL(page.url()).searchParams;
    const span = Number(q.get('to')) - Number(q.get('from'));
    expect(span).toBeGreaterThan(6 * 3_600_000);
    expect(span).toBeLessThan(8.5 * 3_600_000);
    await page.locator('[data-testid="chart-back-to-live"]').click();
    await expect.poll(() => new URL(page.url()).searchParams.get('range')).toBe('24h');
    await page.close();
  });

  it('downloads the chart data as CSV, raw readings included', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: AUTH, viewport: { width: 1280, height: 900 } });
    const fridge = id('lab-fridge', 'sim/fridge');
    const freezer = id('cold-room', 'sim/freezer');
    await page.goto(`${server.url}/charts?ch=${fridge},${freezer}&range=24h`);
    await page.locator('[data-testid="live-chart"][data-state="ready"]').waitFor({ timeout: 15_000 });
    const link = page.locator('[data-testid="chart-csv-raw"]');
    expect(await link.getAttribute('download')).toBe('');
    // A download is a navigation, which Chromium sends without the test's bearer token (sessions will carry a
    // cookie): fetch the link the page built, with the token, as the browser would with a session.
    const href = await link.getAttribute('href');
    const response = await page.request.get(new URL(href!, server.url).toString());
    expect(response.status()).toBe(200);
    expect(response.headers()['content-disposition']).toMatch(/^attachment; filename="ma-readings-.*-raw\.csv"$/);
    const csv = await response.text();
    const lines = csv.trimEnd().split('\r\n');
    expect(lines[0]).toBe('time,ts_ms,node,channel_id,channel,unit,value,min,max,count');
    const rows = lines.slice(1).map((l) => l.split(','));
    const stored = await getJson<{ t: number[] }>(`${server.url}/api/v1/readings?channel=${fridge}&from=${Date.now() - 86_400_000 - 60_000}&points=10000`);
    const fridgeRows = rows.filter((r) => r[3] === String(fridge));
    // Every backfilled reading of the day is there (the agent adds more every 500 ms).
    expect(fridgeRows.length).toBeGreaterThanOrEqual(700);
    expect(rows.filter((r) => r[3] === String(freezer)).length).toBeGreaterThan(600);
    expect(fridgeRows.every((r) => r[2] === 'lab-fridge' && r[4] === 'Vaccine fridge' && r[5] === '°C' && Number.isFinite(Number(r[6])))).toBe(true);
    expect(stored.t.length).toBeGreaterThan(0);
    await page.close();
  });

  it('node page: details, channels with a rename, health and connection history; deep link and back', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: AUTH, viewport: { width: 1440, height: 1300 }, colorScheme: 'light' });
    await page.goto(server.url);
    await page.locator('[data-testid="node-card"][data-node="lab-fridge"] [data-testid="node-link"]').click();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/nodes/lab-fridge');
    await page.locator('[data-testid="node-page"][data-online="true"]').waitFor();
    expect(await page.locator('[data-testid="node-ip"] dd').innerText()).not.toBe('');
    await expect.poll(() => page.locator('[data-testid="node-agent-version"] dd').innerText()).toMatch(/\d+\.\d+/);
    await expect.poll(() => page.locator('[data-testid="node-uptime"] dd').innerText()).toMatch(/^3 d/);
    await page.locator('[data-testid="connection-interval"][data-online="true"]').first().waitFor();

    // Rename a channel (as an admin): the label changes on the page and in the API.
    const row = page.locator(`[data-testid="channel-row"][data-channel="${id('lab-fridge', 'sim/fridge')}"]`);
    await row.locator('[data-testid="label-edit"]').click();
    await row.locator('[data-testid="label-input"]').fill('Vaccines (2–8 °C)');
    await row.locator('[data-testid="label-save"]').click();
    await expect.poll(() => row.locator('[data-testid="channel-label"]').innerText()).toBe('Vaccines (2–8 °C)');
    const api = await getJson<ChannelListResponse>(`${server.url}/api/v1/channels?node=lab-fridge`);
    expect(api.channels.find((c) => c.key === 'sim/fridge')?.user_label).toBe('Vaccines (2–8 °C)');

    await page.locator('[data-testid="live-chart"][data-state="ready"]').waitFor();
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SHOTS, 'node.png'), fullPage: true });
    await page.goBack();
    await expect.poll(() => new URL(page.url()).pathname).toBe('/');
    await page.locator('[data-testid="node-card"]').first().waitFor();
    await page.close();
  });

  it('shows a killed node offline within the configured timeout, and records it in its history', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: AUTH, viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/nodes/bench-pi`);
    await page.locator('[data-testid="node-page"][data-online="true"]').waitFor({ timeout: 15_000 });
    // kill -9: no clean "offline" status is ever sent.
    const killedAt = Date.now();
    await agents.get('bench-pi')!.kill9();
    await page.locator('[data-testid="node-page"][data-online="false"]').waitFor({ timeout: OFFLINE_AFTER_MS + 3_000 });
    expect(Date.now() - killedAt).toBeLessThan(OFFLINE_AFTER_MS + 3_000);
    const history = await eventually(async () => {
      const r = await getJson<NodeConnectionsResponse>(`${server.url}/api/v1/nodes/bench-pi/connections`);
      return r.intervals.some((i) => !i.online) && r;
    }, 5_000);
    expect(history.intervals.at(-1)).toMatchObject({ online: false, to: null });
    await page.locator('[data-testid="connection-interval"][data-online="false"]').first().waitFor({ timeout: 5_000 });
    await page.goto(server.url);
    await page.locator('[data-testid="node-card"][data-node="bench-pi"][data-online="false"]').waitFor();
    await page.close();
  });

  it('a reading published while the overview is open appears on it within 2 s', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: AUTH, viewport: { width: 1280, height: 900 } });
    await page.goto(server.url);
    await page.locator('[data-testid="node-card"][data-node="lab-fridge"]').waitFor();
    const node = await addNode(server.configFile, 'door-probe', `${server.url.replace('http', 'ws')}/mqtt`);
    const published = Date.now();
    await publishAsNode(server.mqttTcpPort!, 'door-probe', node.credential, {
      v: 1,
      readings: [{ seq: 1, ch: 'sim/door', ts: published, v: 12.345 }],
      channels: { 'sim/door': { kind: 'sensor', driver: 'simulated', unit: '°C', label: 'Door probe' } },
    });
    await page.locator('[data-testid="channel-value"][data-value="12.345"]').waitFor({ timeout: 2_000 });
    expect(Date.now() - published).toBeLessThan(2_000 + 1_000); // publish itself included
    await page.close();
  });

  it('fits a phone (390×844) without horizontal scroll, on every page', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: AUTH, viewport: { width: 390, height: 844 }, deviceScaleFactor: 2, isMobile: true, hasTouch: true, colorScheme: 'light' });
    await page.goto(server.url);
    await page.locator('[data-testid="node-card"]').first().waitFor();
    await expect.poll(() => page.locator('[data-testid="sparkline"] path').count(), { timeout: 10_000 }).toBeGreaterThan(0);
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.screenshot({ path: path.join(SHOTS, 'phone.png') });
    await page.goto(`${server.url}/charts?ch=${id('lab-fridge', 'sim/fridge')},${id('cold-room', 'sim/freezer')}&range=24h`);
    await page.locator('[data-testid="live-chart"][data-state="ready"]').waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.goto(`${server.url}/nodes/lab-fridge`);
    await page.locator('[data-testid="channel-table"]').waitFor();
    expect(await horizontalOverflow(page)).toBeLessThanOrEqual(0);
    await page.close();
  });

  it('dark theme, kiosk mode, and a 404 for pages that do not exist yet', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: AUTH, viewport: { width: 1440, height: 900 }, colorScheme: 'dark' });
    await page.goto(`${server.url}/charts?ch=${id('lab-fridge', 'sim/fridge')},${id('lab-fridge', 'system/cpu_temp')}&range=24h`);
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('dark');
    await page.locator('[data-testid="live-chart"][data-state="ready"]').waitFor({ timeout: 15_000 });
    await page.waitForTimeout(300);
    await page.screenshot({ path: path.join(SHOTS, 'dark.png') });
    // The toggle overrides the system preference, and the choice sticks.
    await page.locator('[data-testid="theme-toggle"]').click();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');
    await page.reload();
    expect(await page.evaluate(() => document.documentElement.dataset.theme)).toBe('light');

    await page.goto(`${server.url}/?kiosk=1`);
    await page.locator('[data-testid="node-card"]').first().waitFor();
    expect(await page.locator('.topbar').count()).toBe(0);
    await page.goto(`${server.url}/?kiosk=0`);
    await page.locator('.topbar').waitFor();

    await page.goto(`${server.url}/photos`);
    await page.locator('[data-testid="not-found"]').waitFor();
    await page.close();
  });
});

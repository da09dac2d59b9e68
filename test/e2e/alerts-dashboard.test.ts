import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { api, createRule, NodePublisher, startAlertServer } from '../support/alerts-fixtures.js';
import { addNode, tempDir, TEST_ADMIN_TOKEN, type ServerHandle } from '../support/processes.js';

/** The dashboard's Alerts page in Debian's Chromium: what is firing, acknowledging it, and the rule editor's preview. */

const CHROMIUM = process.env.MA_CHROMIUM ?? '/usr/bin/chromium';
const AUTH = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

describe('the Alerts page', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let node: NodePublisher;
  let browser: Browser;

  beforeAll(async () => {
    tmp = await tempDir('alerts-web');
    server = await startAlertServer({ dir: tmp.dir });
    const created = await addNode(server.configFile, 'cold-room', `${server.url.replace('http', 'ws')}/mqtt`);
    node = await NodePublisher.connect(server.mqttTcpPort!, created);
    // Two days of a freezer every 10 minutes, warm (-10 °C) for an hour twice: 30 and 6 hours ago.
    const now = Date.now();
    const points = Array.from({ length: 288 }, (_, i) => {
      const ts = now - 48 * 3_600_000 + i * 600_000;
      const warm = [30, 6].some((h) => ts >= now - h * 3_600_000 && ts < now - (h - 1) * 3_600_000);
      return { ts, v: warm ? -10 : -19 };
    });
    await node.publish('manual/freezer', points);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
    await node?.close();
    await server?.stop();
    await tmp?.cleanup();
  });

  it('shows a firing alert, acknowledges it with a note, and previews a new rule over the last 7 days', async () => {
    await createRule(server, { name: 'Freezer door', severity: 'critical', target: { node: 'cold-room', channel: 'manual/freezer' }, condition: { type: 'threshold', op: 'above', value: -12, for: 0 }, recipients: [] });
    await node.publish('manual/freezer', [{ v: -5 }]);
    const page = await browser.newPage({ extraHTTPHeaders: AUTH, viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/alerts`);
    const row = page.locator('[data-testid="alerts-open"] [data-testid="alert-row"][data-state="firing"]');
    await row.waitFor({ timeout: 10_000 });
    expect(await row.innerText()).toContain('above -12 °C');
    // The value carries its unit.
    expect(await row.locator('[data-testid="alert-value"]').innerText()).toBe('-5 °C');
    await row.locator('[data-testid="alert-ack"]').click();
    const dialog = page.locator('[data-testid="confirm-dialog"]');
    await dialog.locator('[data-testid="confirm-reason"]').fill('door was ajar');
    await dialog.locator('[data-testid="confirm-ok"]').click();
    await expect.poll(() => row.innerText()).toContain('acknowledged by bootstrap: door was ajar');

    const editor = page.locator('[data-testid="rule-editor"]');
    await editor.locator('[data-testid="rule-name"]').fill('Freezer warm 10 min');
    // Pickers, not free text: the node by keyboard (type, arrow down, Enter), the channel from its list.
    await editor.locator('[data-testid="rule-node"]').pressSequentially('cold');
    await editor.locator('[data-testid="rule-node"]').press('ArrowDown');
    await editor.locator('[data-testid="rule-node"]').press('Enter');
    expect(await editor.locator('[data-testid="rule-node"]').inputValue()).toBe('cold-room');
    await editor.locator('[data-testid="rule-channel"]').click();
    await editor.locator('[data-testid="rule-channel-picker"] [data-testid="picker-option"][data-value="manual/freezer"]').click();
    expect(await editor.locator('[data-testid="rule-channel"]').inputValue()).toBe('manual/freezer');
    await editor.locator('[data-testid="rule-value"]').fill('-15');
    await editor.locator('[data-testid="rule-clear"]').fill('-17');
    // The two warm hours of the stored history; the -5 just now has not lasted 10 minutes.
    await expect.poll(() => editor.locator('[data-testid="preview-count"]').allInnerTexts(), { timeout: 10_000 }).toEqual(['2']);
    await editor.locator('[data-testid="rule-value"]').fill('-9');
    await expect.poll(() => editor.locator('[data-testid="preview-count"]').allInnerTexts()).toEqual(['0']);
    await editor.locator('[data-testid="rule-value"]').fill('-15');
    await editor.locator('[data-testid="rule-recipients"]').fill('email oncall@lab.test\nwebhook https://hooks.lab.test/ma');
    await editor.locator('[data-testid="rule-save"]').click();
    await expect.poll(() => page.locator('[data-testid="alert-rules"]').innerText()).toContain('Freezer warm 10 min');
    const { body } = await api<{ rules: Array<{ name: string; recipients: Array<{ type: string; secret?: string }> }> }>(server, 'GET', '/api/v1/alert-rules');
    const saved = body.rules.find((r) => r.name === 'Freezer warm 10 min')!;
    expect(saved.recipients.map((r) => r.type)).toEqual(['email', 'webhook']);
    expect(saved.recipients[1]!.secret).toMatch(/^[\w-]{24,}$/);

    // Maintenance: silence the node for two hours from the page.
    const silences = page.locator('[data-testid="alert-silences"]');
    await silences.locator('[data-testid="silence-node"]').fill('cold-room');
    await silences.locator('[data-testid="silence-node"]').press('Enter');
    await silences.locator('[data-testid="silence-reason"]').fill('defrosting the freezer');
    await silences.locator('[data-testid="silence-create"]').click();
    await expect.poll(() => silences.locator('[data-testid="silence-row"]').allInnerTexts()).toEqual([expect.stringContaining('defrosting the freezer')]);
    const { body: active } = await api<{ silences: Array<{ node: string; ends_at: number }> }>(server, 'GET', '/api/v1/alert-silences');
    expect(active.silences).toHaveLength(1);
    expect(active.silences[0]!.node).toBe('cold-room');
    expect(Math.abs(active.silences[0]!.ends_at - (Date.now() + 2 * 3_600_000))).toBeLessThan(60_000);

    // The chart marks the alert: a span in the critical colour along the top of the plot.
    const { body: firing } = await api<{ alerts: Array<{ channel_id: number; since: number }> }>(server, 'GET', '/api/v1/alerts?state=firing');
    const alert = firing.alerts[0]!;
    await page.goto(`${server.url}/charts?ch=${alert.channel_id}&from=${alert.since - 120_000}&to=${Date.now() + 60_000}`);
    await page.locator('[data-testid="live-chart"][data-state="ready"][data-alert-marks="1"]').waitFor({ timeout: 10_000 });
    const markerPixels = async () =>
      page.evaluate(() => {
        const canvas = document.querySelector('.live-chart__plot canvas') as HTMLCanvasElement;
        const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        let n = 0;
        // rgba(198, 40, 40, 0.85) over a light or a dark background.
        for (let i = 0; i < data.length; i += 4) if (data[i]! > 150 && data[i]! < 220 && data[i + 1]! < 90 && data[i + 2]! < 90 && Math.abs(data[i + 1]! - data[i + 2]!) < 8) n++;
        return n;
      });
    await expect.poll(markerPixels, { timeout: 5000 }).toBeGreaterThan(200);
    await page.close();
  });
});

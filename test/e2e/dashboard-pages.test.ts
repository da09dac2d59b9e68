import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { createRequire } from 'node:module';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRule, NodePublisher, startAlertServer } from '../support/alerts-fixtures.js';
import { createUser, login, loginPage, request } from '../support/login.js';
import { REPO_ROOT, addNode, tempDir, type ServerHandle } from '../support/processes.js';

/**
 * Every page of the dashboard, in both themes, on a laptop (1366×900) and a phone (390×844), in Debian's
 * Chromium against a real server fed over real MQTT: no console error, no sideways scroll on the phone, no
 * serious or critical axe-core violation (WCAG 2 A/AA, contrast included), and a screenshot of each to
 * docs/screenshots/pages/. Plus the path of a firing alert: a breach marks the node's card, the node page
 * and the header count, which links to it.
 */

const CHROMIUM = process.env.MA_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');
const SHOTS = path.join(REPO_ROOT, 'docs/screenshots/pages');
const ADMIN = { user: 'lab-admin', password: 'a long enough passphrase' };

const VIEWPORTS = { desktop: { width: 1366, height: 900 }, phone: { width: 390, height: 844 } } as const;
type ViewportName = keyof typeof VIEWPORTS;
type Theme = 'light' | 'dark';

/** Each page, and what shows that it has loaded (its data, not only its frame). */
const PAGES: Array<{ name: string; path: string; ready: string }> = [
  { name: 'overview', path: '/', ready: '[data-testid="node-card"][data-node="cold-room"] [data-testid="sparkline"] path' },
  { name: 'charts', path: '/charts?range=24h', ready: '[data-testid="live-chart"][data-state="ready"]' },
  { name: 'node', path: '/nodes/cold-room', ready: '[data-testid="live-chart"][data-state="ready"]' },
  { name: 'alerts', path: '/alerts', ready: '[data-testid="alerts-open"] [data-testid="alert-row"]' },
  { name: 'equipment', path: '/equipment', ready: '[data-testid="equipment-row-laser"]' },
  { name: 'equipment-laser', path: '/equipment/laser', ready: '[data-testid="rule"]' },
  { name: 'access', path: '/access', ready: '[data-testid="person-Ada"]' },
  { name: 'trainings', path: '/access/trainings', ready: '[data-testid="trainings-page"]' },
  { name: 'usage', path: '/access/usage', ready: '[data-testid="heatmap"] tbody tr' },
  { name: 'users', path: '/users', ready: '[data-testid="user-row"]' },
  { name: 'tokens', path: '/tokens', ready: '[data-testid="token-row"]' },
  { name: 'audit', path: '/audit', ready: '[data-testid="audit-row"]' },
  { name: 'account', path: '/account', ready: '[data-testid="totp-state"]' },
];

interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: Array<{ target: string[]; failureSummary?: string }>;
}

async function axeProblems(page: Page): Promise<string[]> {
  // Evaluated over the DevTools protocol: the dashboard's CSP (script-src 'self') rightly refuses an injected <script>.
  await page.evaluate(AXE_SOURCE);
  const violations = await page.evaluate(async () => {
    const axe = (window as unknown as { axe: { run(ctx: Document, opts: unknown): Promise<{ violations: AxeViolation[] }> } }).axe;
    const r = await axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] }, resultTypes: ['violations'] });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 3).map((n) => ({ target: n.target, failureSummary: n.failureSummary })) }));
  });
  return violations.filter((v) => v.impact === 'serious' || v.impact === 'critical').map((v) => `${v.impact} ${v.id} (${v.help}): ${v.nodes.map((n) => n.target.join(' ')).join(' | ')}`);
}

const sidewaysScroll = (page: Page) => page.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);

describe('every dashboard page, both themes, laptop and phone', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let browser: Browser;
  let cold: NodePublisher;
  let fresh: NodePublisher;
  const contexts = new Map<string, { context: BrowserContext; page: Page; errors: string[] }>();

  /** One logged-in page per theme and viewport, reused for every visit (one browser, four tabs). */
  async function tab(theme: Theme, viewport: ViewportName) {
    const key = `${theme}-${viewport}`;
    const existing = contexts.get(key);
    if (existing) return existing;
    const context = await browser.newContext({ viewport: VIEWPORTS[viewport], colorScheme: theme, timezoneId: 'Europe/Paris' });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error') errors.push(`${page.url()}: console error: ${m.text()}`);
    });
    page.on('pageerror', (e) => errors.push(`${page.url()}: uncaught: ${e.message}`));
    const entry = { context, page, errors };
    contexts.set(key, entry);
    return entry;
  }

  beforeAll(async () => {
    tmp = await tempDir('dash-pages');
    server = await startAlertServer({ dir: tmp.dir });
    const mqttUrl = `${server.url.replace('http', 'ws')}/mqtt`;
    cold = await NodePublisher.connect(server.mqttTcpPort!, await addNode(server.configFile, 'cold-room', mqttUrl));
    fresh = await NodePublisher.connect(server.mqttTcpPort!, await addNode(server.configFile, 'fresh-node', mqttUrl));
    // A day of the freezer and of the node's health, every 10 minutes.
    const now = Date.now();
    const day = (f: (i: number) => number) => Array.from({ length: 144 }, (_, i) => ({ ts: now - 24 * 3_600_000 + i * 600_000, v: Math.round(f(i) * 100) / 100 }));
    await cold.publish('manual/freezer', day((i) => -19 + Math.sin(i / 6)));
    await cold.publish('system/cpu_temp', day((i) => 51 + Math.sin(i / 9) * 2));
    await cold.publish('system/disk_used_pct', day((i) => 22 + i / 100), '%');
    await cold.publish('system/wifi_signal_dbm', day((i) => -61 + Math.sin(i / 4)), 'dBm');
    // A node that came up three minutes ago: three readings.
    await fresh.publish('manual/incubator', [0, 1, 2].map((m) => ({ ts: now - (3 - m) * 60_000, v: 37 + m / 10 })));
    await createRule(server, { name: 'Freezer warm', severity: 'critical', target: { node: 'cold-room', channel: 'manual/freezer' }, condition: { type: 'threshold', op: 'above', value: -12, for: 0 }, recipients: [] });
    // The admin, and a token of theirs so the Tokens page has a row.
    await createUser(server.url, ADMIN.user, ADMIN.password, 'admin');
    const session = await login(server.url, ADMIN.user, ADMIN.password);
    const token = await request(`${server.url}/api/v1/tokens`, { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'nightly export', scope: 'read' }) });
    expect(token.status).toBe(201);
    // Equipment on the cold room's node, two people, one trained: the equipment and access pages have rows.
    const asAdmin = (method: string, url: string, body: unknown) => request(`${server.url}${url}`, { method, headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' }, body: JSON.stringify(body) });
    for (const name of ['Ada', 'Bob']) expect((await asAdmin('POST', '/api/v1/people', { name, groups: ['members'] })).status).toBe(201);
    expect((await asAdmin('PUT', '/api/v1/equipment/laser', { display_name: 'Laser cutter', actuators: [{ node: 'cold-room', actuator: 'laser_plug' }], maintainers: ['Ada'], rule: {} })).status).toBe(200);
    expect((await asAdmin('PUT', '/api/v1/equipment/laser/trainings/Ada', { reason: 'induction' })).status).toBe(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
    await mkdir(SHOTS, { recursive: true });
  });

  afterAll(async () => {
    for (const { context } of contexts.values()) await context.close();
    await browser?.close();
    await cold?.close();
    await fresh?.close();
    await server?.stop();
    await tmp?.cleanup();
  });

  it('shows a breach everywhere it matters: the node card, the node page, and a header count that links to it', async () => {
    const { page, errors } = await tab('light', 'desktop');
    await loginPage(page, server.url, ADMIN.user, ADMIN.password);
    await page.locator('[data-testid="node-card"][data-node="cold-room"][data-alert="none"]').waitFor();
    expect(await page.locator('[data-testid="header-alerts"]').getAttribute('data-count')).toBe('0');

    await cold.publish('manual/freezer', [{ v: -5 }]);
    const card = page.locator('[data-testid="node-card"][data-node="cold-room"][data-alert="firing"]');
    await card.waitFor({ timeout: 15_000 });
    expect(await card.locator('[data-testid="node-alert"]').innerText()).toContain('Critical');
    await expect.poll(() => page.locator('[data-testid="header-alerts"]').getAttribute('data-count')).toBe('1');
    expect(await page.locator('[data-testid="node-card"][data-node="fresh-node"]').getAttribute('data-alert')).toBe('none');
    // The fresh node's sparkline is drawn over the three minutes it has data for, not one dot in a day.
    const spark = page.locator('[data-testid="node-card"][data-node="fresh-node"] [data-testid="sparkline"]');
    await expect.poll(() => spark.getAttribute('data-span')).toBe('partial');
    // Readings 3, 2 and 1 minute ago, drawn from the left edge to two thirds of the width (now is the right edge);
    // over a 24 h window they would be one dot at the right edge.
    const box = await spark.locator('path').evaluate((p) => {
      const b = (p as SVGPathElement).getBBox();
      return { x: b.x, width: b.width };
    });
    expect(box.x).toBeLessThan(5);
    expect(box.width).toBeGreaterThan(70);

    await page.locator('[data-testid="header-alerts"]').click();
    await page.waitForURL((u) => u.pathname === '/alerts');
    const row = page.locator('[data-testid="alerts-open"] [data-testid="alert-row"][data-state="firing"]');
    await row.waitFor();
    expect(await row.locator('[data-testid="alert-value"]').innerText()).toBe('-5 °C');

    await page.goto(`${server.url}/nodes/cold-room`);
    await page.locator('[data-testid="node-page"][data-alert="firing"]').waitFor();
    expect(await page.locator('[data-testid="node-alert"]').innerText()).toContain('above -12 °C');

    // Acknowledge from the keyboard only: Tab to the button, Enter, type the note, Enter.
    await page.goto(`${server.url}/alerts`);
    await row.locator('[data-testid="alert-ack"]').focus();
    await page.keyboard.press('Enter');
    await page.locator('[data-testid="confirm-reason"]').waitFor();
    await page.keyboard.type('checking the door');
    await page.keyboard.press('Enter');
    await expect.poll(() => row.innerText()).toContain('acknowledged by lab-admin: checking the door');
    expect(errors).toEqual([]);
  });

  it('lets an admin change display preferences, kept on the server, and cannot disable their own account', async () => {
    const { page, errors } = await tab('light', 'desktop');
    await page.goto(`${server.url}/account`);
    await page.locator('[data-testid="totp-state"]').waitFor();
    // TOTP is off: only the way to turn it on is offered.
    expect(await page.locator('[data-testid="totp-state"]').innerText()).toBe('Off');
    expect(await page.locator('[data-testid="totp-setup"]').count()).toBe(1);
    expect(await page.locator('[data-testid="totp-disable"]').count()).toBe(0);
    await page.locator('[data-testid="pref-temperature"]').selectOption('F');
    // Kept on the server for this user, not in the browser.
    await expect.poll(() => page.evaluate(async () => ((await (await fetch('/api/v1/me/preferences')).json()) as { temperature_unit: string }).temperature_unit)).toBe('F');
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('[data-testid="node-card"][data-node="cold-room"] [data-testid="channel-value"]').first().innerText()).toContain('°F');
    await page.goto(`${server.url}/account`);
    await page.locator('[data-testid="pref-temperature"]').selectOption('C');
    await expect.poll(() => page.evaluate(async () => ((await (await fetch('/api/v1/me/preferences')).json()) as { temperature_unit: string }).temperature_unit)).toBe('C');

    // Views an older dashboard kept in this browser move to the account once, then leave the browser.
    await page.evaluate(() => localStorage.setItem('ma.savedViews', JSON.stringify([{ name: 'Old freezer view', query: 'range=7d' }])));
    await page.goto(`${server.url}/charts`);
    await page.locator('[data-testid="saved-view"]', { hasText: 'Old freezer view' }).waitFor();
    const myViews = () => page.evaluate(async () => ((await (await fetch('/api/v1/me/views')).json()) as { views: Array<{ name: string; query: string }> }).views.map((v) => `${v.name}: ${v.query}`));
    expect(await myViews()).toEqual(['Old freezer view: range=7d']);
    expect(await page.evaluate(() => localStorage.getItem('ma.savedViews'))).toBeNull();
    // A new view goes to the account too.
    await page.locator('[data-testid="saved-view-save"]').click();
    await page.locator('[data-testid="saved-view-name"]').fill('Today');
    await page.locator('[data-testid="saved-view-name"]').press('Enter');
    await expect.poll(myViews).toEqual(['Old freezer view: range=7d', expect.stringMatching(/^Today: /)]);

    await page.goto(`${server.url}/users`);
    const self = page.locator(`[data-testid="user-row"][data-user="${ADMIN.user}"] [data-testid="user-disable"]`);
    await self.waitFor();
    expect(await self.isDisabled()).toBe(true);
    expect(errors).toEqual([]);
  });

  it('passes axe, has no console error and never scrolls sideways on a phone, on every page in both themes', async () => {
    const problems: string[] = [];
    // Something firing, so the Alerts page and the cards show their alert state (a no-op when it already fires).
    await cold.publish('manual/freezer', [{ v: -5 }]);
    for (const theme of ['light', 'dark'] as const) {
      for (const viewport of ['desktop', 'phone'] as const) {
        const { page, errors } = await tab(theme, viewport);
        const tag = `${theme}/${viewport}`;
        // The login page, before this tab logs in (the first tab is already logged in: it uses a fresh one).
        const loginContext = await browser.newContext({ viewport: VIEWPORTS[viewport], colorScheme: theme });
        const login = await loginContext.newPage();
        await login.goto(`${server.url}/login`);
        await login.locator('[data-testid="login-form"]').waitFor();
        problems.push(...(await axeProblems(login)).map((p) => `${tag} login: ${p}`));
        if (viewport === 'phone' && (await sidewaysScroll(login)) > 0) problems.push(`${tag} login scrolls sideways`);
        await login.screenshot({ path: path.join(SHOTS, `login-${theme}-${viewport}.png`) });
        await loginContext.close();

        if (!page.url().startsWith(server.url) || new URL(page.url()).pathname === '/login' || page.url() === 'about:blank') await loginPage(page, server.url, ADMIN.user, ADMIN.password);
        for (const p of PAGES) {
          await page.goto(`${server.url}${p.path}`);
          await page.locator(p.ready).first().waitFor({ timeout: 15_000 });
          // Let late layout settle (fonts, chart sizing) before measuring.
          await page.waitForTimeout(150);
          if (viewport === 'phone') {
            const overflow = await sidewaysScroll(page);
            if (overflow > 0) problems.push(`${tag} ${p.name} scrolls sideways by ${overflow}px`);
          }
          problems.push(...(await axeProblems(page)).map((v) => `${tag} ${p.name}: ${v}`));
          await page.screenshot({ path: path.join(SHOTS, `${p.name}-${theme}-${viewport}.png`), fullPage: viewport === 'desktop' });
        }
        if (viewport === 'phone') {
          // Every page is reachable from the phone menu.
          await page.goto(`${server.url}/`);
          await page.locator('[data-testid="nav-menu"]').click();
          const links = await page.locator('[data-testid="nav-menu-link"]').allInnerTexts();
          expect(links).toEqual(['Overview', 'Charts', 'Alerts', 'Equipment', 'Access', 'Users', 'Tokens', 'Audit', 'Account']);
          await page.locator('[data-testid="nav-menu-link"]', { hasText: 'Audit' }).click();
          await page.waitForURL((u) => u.pathname === '/audit');
          if (theme === 'light') {
            await page.goto(`${server.url}/`);
            await page.locator('[data-testid="nav-menu"]').click();
            await page.screenshot({ path: path.join(SHOTS, `menu-${theme}-phone.png`) });
          }
        }
        problems.push(...errors.map((e) => `${tag}: ${e}`));
        errors.length = 0;
      }
    }
    expect(problems).toEqual([]);
  }, 420_000);
});

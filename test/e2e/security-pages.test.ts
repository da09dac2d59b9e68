import { chromium, type Browser } from 'playwright-core';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, login, request } from '../support/login.js';
import { addNode, runToEnd, startServerProcess, tempDir, type CreatedNode, type ServerHandle } from '../support/processes.js';

/** Login, first run and grant filtering in the browser (Debian's Chromium) and on the live feed. */

const CHROMIUM = process.env.MA_CHROMIUM ?? '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--no-first-run', '--disable-sync'];
const PASSWORD = 'a long enough passphrase';

describe('pages and the live feed, filtered by grants', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let browser: Browser;
  const nodes: Record<string, CreatedNode> = {};
  let seq = 1;

  const publish = (name: string) =>
    runToEnd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(server.mqttTcpPort), '-V', 'mqttv311', '-q', '1', '-u', name, '-P', nodes[name]!.credential, '-t', `ma/v1/${name}/telemetry`,
      '-m', JSON.stringify({ v: 1, channels: { 'm/t': { kind: 'sensor', driver: 'manual', unit: 'C', label: 'probe' } }, readings: [{ seq: seq++, ch: 'm/t', ts: Date.now(), v: 4 }] })]);

  beforeAll(async () => {
    tmp = await tempDir('sec-pages');
    server = await startServerProcess({ dir: tmp.dir, mqttTcp: true });
    for (const name of ['lab-fridge', 'door']) {
      nodes[name] = await addNode(server.configFile, name, `${server.url.replace('http', 'ws')}/mqtt`);
      expect((await publish(name)).code).toBe(0);
    }
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
  });
  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    await tmp?.cleanup();
  });

  it('sends a visitor to the first-run page while no user exists, which creates the admin and logs in', async () => {
    const page = await browser.newPage();
    await page.goto(server.url);
    await page.waitForURL(/\/login/);
    await page.locator('[data-testid="setup-form"]').waitFor();
    await page.locator('[data-testid="login-name"]').fill('root');
    await page.locator('[data-testid="login-password"]').fill(PASSWORD);
    await page.locator('[data-testid="login-submit"]').click();
    await page.waitForURL((u) => u.pathname === '/');
    for (const name of ['lab-fridge', 'door']) await page.locator(`[data-testid="node-card"][data-node="${name}"]`).waitFor();
    // The first-run page is gone once a user exists.
    expect((await request(`${server.url}/api/v1/auth/state`)).json()).toEqual({ needs_setup: false });
    await page.close();
  });

  it('shows a member only the nodes they may view, and refuses the admin pages', async () => {
    await createUser(server.url, 'tech', PASSWORD);
    const g = await request(`${server.url}/api/v1/users/tech/grants`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ grants: [{ scope: 'node', target: 'lab-fridge', permission: 'view' }], reason: 'fridge duty' }) });
    expect(g.status).toBe(200);
    const context = await browser.newContext();
    const page = await context.newPage();
    await page.goto(`${server.url}/login`);
    await page.locator('[data-testid="login-name"]').fill('tech');
    await page.locator('[data-testid="login-password"]').fill('wrong password!');
    await page.locator('[data-testid="login-submit"]').click();
    await expect.poll(() => page.locator('[data-testid="login-error"]').innerText()).toContain('wrong user name or password');
    await page.locator('[data-testid="login-password"]').fill(PASSWORD);
    await page.locator('[data-testid="login-submit"]').click();
    await page.waitForURL((u) => u.pathname === '/');
    await page.locator('[data-testid="node-card"][data-node="lab-fridge"]').waitFor();
    expect(await page.locator('[data-testid="node-card"]').count()).toBe(1);
    // A node page of a node the member cannot see looks exactly like a missing node.
    const hidden = await page.evaluate(async () => (await fetch('/api/v1/nodes/door')).status);
    expect(hidden).toBe(404);
    await page.goto(`${server.url}/users`);
    await expect.poll(() => page.locator('[role="alert"]').innerText(), { timeout: 10_000 }).toContain('only an admin');
    const cookies = await context.cookies();
    expect(cookies.find((c) => c.name === 'ma_session')).toMatchObject({ httpOnly: true, sameSite: 'Strict' });
    await context.close();
  });

  it('sends a member only the live messages of nodes they may view, and refuses a cross-origin feed', async () => {
    const s = await login(server.url, 'tech', PASSWORD);
    const wsUrl = `${server.url.replace('http', 'ws')}/api/v1/live`;
    const crossSite = new WebSocket(wsUrl, { headers: { cookie: s.cookie, origin: 'https://evil.example' } });
    const crossClose = await new Promise<number>((resolve) => crossSite.on('close', (code) => resolve(code)));
    expect(crossClose).toBe(4403);
    const live = new WebSocket(wsUrl, { headers: { cookie: s.cookie, origin: server.url } });
    const seen = new Set<string>();
    live.on('message', (m: Buffer) => {
      const msg = JSON.parse(m.toString()) as { type: string; node?: string; channel?: { node: string } };
      const node = msg.node ?? msg.channel?.node;
      if (node) seen.add(node);
    });
    await new Promise((resolve) => live.once('open', resolve));
    for (let i = 0; i < 3; i++) {
      await publish('door');
      await publish('lab-fridge');
    }
    await expect.poll(() => seen.has('lab-fridge'), { timeout: 10_000 }).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    expect([...seen]).toEqual(['lab-fridge']);
    // Granting the door node shows its messages on the open feed, without reconnecting.
    await request(`${server.url}/api/v1/users/tech/grants`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ grants: [{ scope: 'node', target: 'lab-fridge', permission: 'view' }, { scope: 'node', target: 'door', permission: 'view' }], reason: 'door duty too' }) });
    await expect.poll(async () => (await publish('door'), seen.has('door')), { timeout: 10_000 }).toBe(true);
    live.close();
  });
});

import path from 'node:path';
import mqtt, { type MqttClient } from 'mqtt';
import { chromium, type Browser } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Command } from '@ma/protocol';
import { bearer, loginPage, request } from '../support/login.js';
import { REPO_ROOT, TEST_ADMIN_TOKEN, addNode, eventually, startServerProcess, tempDir, type ServerHandle } from '../support/processes.js';

/**
 * The equipment pages in headless Chromium against a real server; the node is played at its
 * MQTT boundary (state, status with the allow-list version it holds, card scans).
 */
const CHROMIUM = process.env.MA_CHROMIUM ?? '/usr/bin/chromium';
const AUTH = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };
const SHOTS = path.join(REPO_ROOT, 'docs/screenshots');

describe('equipment pages', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let node: MqttClient;
  let browser: Browser;
  const cmds: Command[] = [];
  let listVersion = 0;
  const api = async (method: string, p: string, body?: unknown) =>
    request(`${server.url}${p}`, { method, headers: { ...bearer(), ...(body !== undefined ? { 'content-type': 'application/json' } : {}) }, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
  const publish = (kind: string, payload: unknown, retain = false) => node.publishAsync(`ma/v1/shop/${kind}`, JSON.stringify(payload), { qos: 1, retain });
  let scans = 0;
  const scan = (card: string) => publish('events', { v: 1, events: [], equipment: [{ type: 'rfid_scan', ts: Date.now(), scan_id: `s${++scans}`, reader: 'laser_reader', card_id: card, equipment: 'laser' }] });

  beforeAll(async () => {
    tmp = await tempDir('equip-dash');
    server = await startServerProcess({ dir: tmp.dir, mqttTcp: true, offlineAfter: '1h' });
    const created = await addNode(server.configFile, 'shop', `${server.url.replace('http', 'ws')}/mqtt`);
    node = await mqtt.connectAsync(`mqtt://127.0.0.1:${server.mqttTcpPort}`, { username: 'shop', password: created.credential, protocolVersion: 4, reconnectPeriod: 0 });
    node.on('message', (topic, payload) => {
      const json = JSON.parse(payload.toString()) as { version?: number } & Command;
      // The node takes every list it is sent and says so in its status.
      if (topic.endsWith('/config/allow-list') && json.version) {
        listVersion = json.version;
        void publish('status', { v: 1, state: 'online', allow_list: { version: listVersion } }, true);
      } else if (topic.endsWith('/cmd')) cmds.push(json);
    });
    await node.subscribeAsync(['ma/v1/shop/cmd', 'ma/v1/shop/config/allow-list'], { qos: 1 });
    await publish('status', { v: 1, state: 'online' }, true);
    await publish('state/laser_plug', { v: 1, actuator: 'laser_plug', state: 'on', commanded: 'on', read_back: 'on', since: Date.now(), ts: Date.now(), power_w: 118.5, lockout: null, fault: null }, true);
    expect((await api('POST', '/api/v1/people', { name: 'Ada', groups: ['members'] })).status).toBe(201);
    expect((await api('POST', '/api/v1/people', { name: 'Bob', groups: ['members'] })).status).toBe(201);
    expect((await api('POST', '/api/v1/people/1/cards', { card_id: '0004567812' })).status).toBe(201);
    const eq = await api('PUT', '/api/v1/equipment/laser', { display_name: 'Laser cutter', actuators: [{ node: 'shop', actuator: 'laser_plug' }], maintainers: ['Ada'], trainers: ['Ada'], rule: { schedule: { timezone: 'Europe/London', windows: [{ from: '08:00', to: '22:00', groups: ['members'] }] } } });
    expect(eq.status).toBe(200);
    expect((await api('PUT', '/api/v1/equipment/laser/trainings/Bob', { expires_in_days: 30, reason: 'induction' })).status).toBe(200);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--headless', '--no-sandbox', '--disable-gpu'] });
  });
  afterAll(async () => {
    await browser?.close();
    await node?.endAsync();
    await server?.stop();
    await tmp?.cleanup();
  });

  it('lists equipment with state, power and revocation reach, and shows it on the overview and node pages', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: AUTH, viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/equipment`);
    const row = page.locator('[data-testid="equipment-row-laser"]');
    await row.waitFor({ timeout: 10_000 });
    await expect.poll(() => row.innerText()).toContain('on');
    expect(await row.innerText()).toContain('119 W');
    await expect.poll(() => row.locator('[data-testid="reach"]').innerText(), { timeout: 10_000 }).toBe('1 of 1 node');
    await page.goto(`${server.url}/`);
    await expect.poll(() => page.locator('[data-testid="equipment-card"]').allInnerTexts()).toEqual([expect.stringContaining('Laser cutter')]);
    await page.goto(`${server.url}/nodes/shop`);
    await expect.poll(() => page.locator('[data-testid="equipment-card"]').count()).toBe(1);
    await page.close();
  });

  it('locks the equipment out from its page with a reason, shown there and on the list, and sent to the node', async () => {
    const page = await browser.newPage({ extraHTTPHeaders: AUTH, viewport: { width: 1280, height: 900 } });
    await page.goto(`${server.url}/equipment/laser`);
    await page.locator('[data-testid="rule"]').waitFor();
    expect(await page.locator('[data-testid="rule"]').innerText()).toContain('08:00–22:00 (Europe/London)');
    await expect.poll(() => page.locator('[data-testid="trained-people"]').innerText()).toContain('Bob');
    await page.locator('[data-testid="set-lockout"]').click();
    await page.locator('[data-testid="confirm-dialog"] input, [data-testid="confirm-dialog"] textarea').first().fill('replacing the lens');
    await page.locator('[data-testid="confirm-ok"]').click();
    await expect.poll(() => page.locator('[data-testid="lockout-banner"]').innerText(), { timeout: 10_000 }).toContain('replacing the lens');
    await eventually(async () => cmds.find((c) => c.kind === 'lockout_set'));
    await page.screenshot({ path: path.join(SHOTS, 'equipment.png') });
    await page.goto(`${server.url}/equipment`);
    await expect.poll(() => page.locator('[data-testid="equipment-row-laser"] [data-testid="lockout"]').innerText()).toContain('locked out (maintenance)');
    await page.close();
  });

  it('enrols a card by tapping it on a reader, and streams the decisions live', async () => {
    // Logged in with a session cookie, as a person is: the live feed's WebSocket carries it.
    const page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
    await loginPage(page, server.url);
    await page.goto(`${server.url}/access`);
    await page.locator('[data-testid="person-Bob"] [data-testid="enrol-card"]').click({ timeout: 5000 });
    await page.locator('[data-testid="enrol-node"]').fill('shop', { timeout: 5000 });
    await page.getByRole('option', { name: /shop/ }).first().click({ timeout: 5000 });
    await page.locator('[data-testid="tap-now"]').click({ timeout: 5000 });
    await new Promise((r) => setTimeout(r, 500));
    await scan('0000777712');
    await expect.poll(() => page.locator('[data-testid="person-Bob"] [data-testid="card"]').allInnerTexts(), { timeout: 10_000 }).toEqual([expect.stringContaining('…7712')]);
    // The enrolling tap was bound, not decided.
    expect(cmds.filter((c) => c.kind === 'access_decision')).toEqual([]);

    await page.goto(`${server.url}/access/events`);
    await page.locator('[data-testid="access-events-page"]').waitFor();
    await new Promise((r) => setTimeout(r, 500));
    await scan('0000777712');
    await page.locator('[data-testid="event-list"]').waitFor({ timeout: 10_000 });
    await expect.poll(() => page.locator('[data-testid="event-list"]').innerText(), { timeout: 10_000 }).toMatch(/laser: card …7712 denied \((locked_out|outside_schedule), server, \d+ ms\) Bob/);
    await page.goto(`${server.url}/access/usage`);
    await page.locator('[data-testid="heatmap"]').waitFor();
    // The table is there before its rows: they come with the usage answer.
    await expect.poll(() => page.locator('[data-testid="heatmap"] tbody tr').count(), { timeout: 10_000 }).toBe(7);
    await page.goto(`${server.url}/access/trainings`);
    await expect.poll(() => page.locator('[data-testid="trainings-page"]').innerText()).toContain('Bob');
    await page.close();
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, login, request, type Session } from '../../../../../test/support/login.js';
import { TEST_ADMIN_TOKEN } from '../../../../../test/support/processes.js';
import { loadServerConfig } from '../../config/load.js';
import { startServer, type RunningServer } from '../../server.js';

/** Preferences and saved views over HTTP, on a real server started in-process, as a logged-in browser uses them. */
describe('your preferences and saved views', () => {
  let dir: string;
  let server: RunningServer;
  let ana: Session;
  let bo: Session;
  const call = (s: Session | null, method: string, path: string, body?: unknown) =>
    request(`${server.url}/api/v1${path}`, {
      method,
      headers: { ...(s ? { cookie: s.cookie, 'x-csrf-token': s.csrf } : bearer()), ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ma-prefs-routes-'));
    const file = join(dir, 'server.yaml');
    writeFileSync(file, 'http: { host: 127.0.0.1, port: 0 }\ndatabase: { url: "sqlite:ma.db" }\nmqtt: { websocket: true, tcp: { enabled: false } }\ndata_dir: ./data\n');
    const before = process.env.MA_ADMIN_TOKEN;
    process.env.MA_ADMIN_TOKEN = TEST_ADMIN_TOKEN;
    try {
      server = await startServer(await loadServerConfig(file, process.env), pino({ level: 'silent' }));
    } finally {
      if (before === undefined) delete process.env.MA_ADMIN_TOKEN;
      else process.env.MA_ADMIN_TOKEN = before;
    }
    await createUser(server.url, 'ana', 'a long enough passphrase');
    await createUser(server.url, 'bo', 'a long enough passphrase');
    ana = await login(server.url, 'ana', 'a long enough passphrase');
    bo = await login(server.url, 'bo', 'a long enough passphrase');
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps time zone, 12/24 h and °C/°F per user, and names a bad time zone', async () => {
    expect((await call(ana, 'GET', '/me/preferences')).json()).toEqual({ time_zone: null, hour_cycle: 'auto', temperature_unit: 'C', views_imported_at: null, stored: true });
    const r = await call(ana, 'PATCH', '/me/preferences', { time_zone: 'America/New_York', hour_cycle: 'h12', temperature_unit: 'F' });
    expect(r.status).toBe(200);
    expect((await call(ana, 'GET', '/me/preferences')).json()).toMatchObject({ time_zone: 'America/New_York', hour_cycle: 'h12', temperature_unit: 'F' });
    expect((await call(bo, 'GET', '/me/preferences')).json()).toMatchObject({ time_zone: null, temperature_unit: 'C' });
    const bad = await call(ana, 'PATCH', '/me/preferences', { time_zone: 'Mars/Olympus' });
    expect(bad.status).toBe(400);
    expect(bad.json<{ error: { message: string } }>().error.message).toContain('time_zone "Mars/Olympus" is not a known IANA time zone');
    expect((await call(ana, 'PATCH', '/me/preferences', { temperature_unit: 'K' })).status).toBe(400);
    // Nothing was lost by the refused changes.
    expect((await call(ana, 'GET', '/me/preferences')).json()).toMatchObject({ time_zone: 'America/New_York', temperature_unit: 'F' });
  });

  it("saves views per user, imports a browser's local ones once, and refuses a query that is not a /charts query", async () => {
    expect((await call(ana, 'PUT', '/me/views/Fridges', { query: 'ch=1,2&range=24h' })).status).toBe(200);
    expect((await call(ana, 'PUT', '/me/views/Evil', { query: 'x"><script>' })).status).toBe(400);
    const imported = await call(ana, 'POST', '/me/views/import', { views: [{ name: 'Fridges', query: 'ch=9' }, { name: 'Freezers', query: 'ch=3&range=7d' }] });
    expect(imported.json()).toEqual({ added: 1, already_imported: false });
    expect((await call(ana, 'POST', '/me/views/import', { views: [{ name: 'Later', query: 'ch=4' }] })).json()).toEqual({ added: 0, already_imported: true });
    const views = (await call(ana, 'GET', '/me/views')).json<{ views: Array<{ name: string; query: string }> }>().views;
    expect(views.map((v) => [v.name, v.query])).toEqual([
      ['Freezers', 'ch=3&range=7d'],
      ['Fridges', 'ch=1,2&range=24h'],
    ]);
    expect((await call(bo, 'GET', '/me/views')).json()).toEqual({ views: [] });
    expect((await call(bo, 'DELETE', '/me/views/Fridges')).status).toBe(404);
    expect((await call(ana, 'DELETE', '/me/views/Fridges')).status).toBe(204);
    expect((await call(ana, 'GET', '/me/views')).json<{ views: unknown[] }>().views).toHaveLength(1);
  });

  it('answers the bootstrap token with defaults it cannot change (it has no account)', async () => {
    expect((await call(null, 'GET', '/me/preferences')).json()).toMatchObject({ stored: false, temperature_unit: 'C' });
    expect((await call(null, 'GET', '/me/views')).json()).toEqual({ views: [] });
    const r = await call(null, 'PUT', '/me/views/x', { query: 'ch=1' });
    expect(r.status).toBe(400);
    expect(r.body).toContain('log in as a user');
    expect(TEST_ADMIN_TOKEN).toMatch(/^mat_/);
  });
});

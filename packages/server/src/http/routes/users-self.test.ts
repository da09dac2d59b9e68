import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser, login, request } from '../../../../../test/support/login.js';
import { TEST_ADMIN_TOKEN } from '../../../../../test/support/processes.js';
import { loadServerConfig } from '../../config/load.js';
import { startServer, type RunningServer } from '../../server.js';

/** An admin cannot disable their own account (issue #13): refused by the API, not only hidden by the dashboard. */
describe('disabling your own account', () => {
  let dir: string;
  let server: RunningServer;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ma-users-self-'));
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
    for (const name of ['ana', 'bo']) await createUser(server.url, name, 'a long enough passphrase', 'admin');
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('refuses it, with a reason, and lets another admin do it', async () => {
    const ana = await login(server.url, 'ana', 'a long enough passphrase');
    const patch = (user: string) =>
      request(`${server.url}/api/v1/users/${user}`, { method: 'PATCH', headers: { cookie: ana.cookie, 'x-csrf-token': ana.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ disabled: true, reason: 'test' }) });
    const self = await patch('ana');
    expect(self.status).toBe(409);
    expect(self.json<{ error: { message: string } }>().error.message).toBe('you cannot disable your own account; another admin can');
    expect((await request(`${server.url}/api/v1/auth/me`, { headers: { cookie: ana.cookie } })).status).toBe(200);
    expect((await patch('bo')).status).toBe(200);
  });
});

import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createUser, login, request } from '../../../../../test/support/login.js';
import { TEST_ADMIN_TOKEN } from '../../../../../test/support/processes.js';
import { loadServerConfig } from '../../config/load.js';
import { startServer, type RunningServer } from '../../server.js';

/** GET /api/v1/node-tags on a real in-process server: the tags in use, filtered to the nodes the caller may view. */
describe('node tags for the pickers', () => {
  let dir: string;
  let server: RunningServer;
  const admin = (method: string, path: string, body: unknown) =>
    request(`${server.url}/api/v1${path}`, { method, headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify(body) });

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ma-node-tags-'));
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
    for (const name of ['fridge-a', 'fridge-b', 'door']) await server.store.createNode({ name, credential_hash: 'h' });
    expect((await admin('PUT', '/nodes/fridge-a/tags', { tags: ['cold-chain', 'level-2'] })).status).toBe(200);
    expect((await admin('PUT', '/nodes/fridge-b/tags', { tags: ['cold-chain'] })).status).toBe(200);
    expect((await admin('PUT', '/nodes/door/tags', { tags: ['access'] })).status).toBe(200);
    await createUser(server.url, 'tech', 'a long enough passphrase');
    expect((await admin('PUT', '/users/tech/grants', { grants: [{ scope: 'node', target: 'fridge-b', permission: 'view' }], reason: 'fridge duty' })).status).toBe(200);
  });
  afterAll(async () => {
    await server?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('lists every tag with its nodes for an admin', async () => {
    expect((await request(`${server.url}/api/v1/node-tags`, { headers: bearer() })).json()).toEqual({
      tags: [
        { tag: 'access', nodes: ['door'] },
        { tag: 'cold-chain', nodes: ['fridge-a', 'fridge-b'] },
        { tag: 'level-2', nodes: ['fridge-a'] },
      ],
    });
  });

  it('shows a member only the tags of nodes they may view, and only those nodes', async () => {
    const s = await login(server.url, 'tech', 'a long enough passphrase');
    expect((await request(`${server.url}/api/v1/node-tags`, { headers: { cookie: s.cookie } })).json()).toEqual({ tags: [{ tag: 'cold-chain', nodes: ['fridge-b'] }] });
  });
});

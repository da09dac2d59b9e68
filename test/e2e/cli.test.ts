import type { NodeDetail } from '@ma/protocol';
import { parse as parseYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, getJson, runToEnd, startServerProcess, tempDir, type ServerHandle } from '../support/processes.js';

const TOKEN = 'mat_test-admin-token-0123456789';
const ma = (args: string[], env: NodeJS.ProcessEnv = {}) => runToEnd(process.execPath, [CLI_BIN, ...args], env);

describe('the ma CLI against a real server', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;

  beforeAll(async () => {
    tmp = await tempDir('cli');
    server = await startServerProcess({ dir: tmp.dir, env: { MA_ADMIN_TOKEN: TOKEN } });
  });
  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  it('node add --agent-config creates the node and prints an agent.yaml carrying its own credential', async () => {
    const r = await ma(['node', 'add', 'freezer-2', '--display-name', 'Freezer 2', '--agent-config'], { MA_SERVER: server.url, MA_TOKEN: TOKEN });
    expect(r.code).toBe(0);
    const config = parseYaml(r.stdout) as { node: string; server: { mqtt_url: string; credential: string } };
    expect(config.node).toBe('freezer-2');
    expect(config.server.mqtt_url).toBe(`${server.url.replace('http', 'ws')}/mqtt`);
    expect(config.server.credential).toMatch(/^man_[A-Za-z0-9_-]{43}$/);
    expect(r.stderr).toContain('not shown again');
    const node = await getJson<NodeDetail>(`${server.url}/api/v1/nodes/freezer-2`, TOKEN);
    expect(node).toMatchObject({ display_name: 'Freezer 2', online: false, tunnel_port: 20000 + node.id });
  });

  it('node list and node show report what the server knows', async () => {
    const list = await ma(['--server', server.url, 'node', 'list'], { MA_TOKEN: TOKEN });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(/freezer-2\s+offline\s+never/);
    const show = await ma(['--server', server.url, 'node', 'show', 'freezer-2', '--json'], { MA_TOKEN: TOKEN });
    // Without a token the API answers nothing (issue #5): 401, exit 4.
    expect((await ma(['--server', server.url, 'node', 'list'], { MA_TOKEN: '' })).code).toBe(4);
    expect(JSON.parse(show.stdout)).toMatchObject({ name: 'freezer-2', channels: [] });
  });

  it('refuses to create a node without an admin token (exit 4) and explains a duplicate or bad name', async () => {
    const none = await ma(['node', 'add', 'sneaky'], { MA_SERVER: server.url, MA_TOKEN: '' });
    expect(none.code).toBe(4);
    expect(none.stderr).toContain('Authorization: Bearer');
    const wrong = await ma(['node', 'add', 'sneaky', '--token', 'mat_wrong'], { MA_SERVER: server.url });
    expect(wrong.code).toBe(4);
    const dup = await ma(['node', 'add', 'freezer-2'], { MA_SERVER: server.url, MA_TOKEN: TOKEN });
    expect(dup.code).toBe(1);
    expect(dup.stderr).toMatch(/409.*freezer-2/);
    const bad = await ma(['node', 'add', 'Freezer_2'], { MA_SERVER: server.url, MA_TOKEN: TOKEN });
    expect(bad.stderr).toContain('lowercase letters, digits and dashes');
    expect((await getJson<{ nodes: unknown[] }>(`${server.url}/api/v1/nodes`, TOKEN)).nodes).toHaveLength(1);
  });

  it('says which server it could not reach (exit 3)', async () => {
    const r = await ma(['--server', 'http://127.0.0.1:9', 'node', 'list']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain('cannot reach the server at http://127.0.0.1:9');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AGENT_BIN, CLI_BIN, runToEnd, SERVER_BIN, startServerProcess, tempDir, TEST_ADMIN_TOKEN, type ServerHandle } from '../support/processes.js';

/**
 * What a new user meets first, against a real server with nothing in it yet: every list says
 * what "empty" means, errors name the flag to use, and API errors carry a documented code.
 */
describe('the first commands on an empty server', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  const ma = (...args: string[]) => runToEnd(process.execPath, [CLI_BIN, ...args], { MA_SERVER: server.url, MA_TOKEN: TEST_ADMIN_TOKEN });

  beforeAll(async () => {
    tmp = await tempDir('first-use');
    server = await startServerProcess({ dir: tmp.dir });
  });
  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  it.each<[string[], RegExp]>([
    [['node', 'list'], /^no nodes you may view yet: add one with `ma node add <name>`/],
    [['user', 'list'], /^no users yet: add the first admin with `ma user add <name> --admin`/],
    [['token', 'list', '--all'], /^no API tokens yet: create one with `ma token create <name>`/],
    [['alert', 'list'], /^no alerts pending or firing \(resolved ones: --state resolved\)/],
    [['alert', 'list', '--state', 'resolved'], /^no alerts resolved\n$/],
    [['alert', 'silences'], /^no silences in force\n$/],
    [['alert', 'rule', 'list'], /^no alert rules yet: add one with `ma alert rule add <rule.yaml>`/],
  ])('ma %j prints one useful line when there is nothing', async (args, expected) => {
    const r = await ma(...args);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(expected);
  });

  it('ma grant list of a user without grants says how to add one; ma tunnel list says how tunnels appear', async () => {
    expect((await ma('user', 'add', 'alice')).code).toBe(0);
    const grants = await ma('grant', 'list', 'alice');
    expect(grants).toMatchObject({ code: 0, stdout: 'alice has no grants: add one with `ma grant add alice <node | tag:<tag>> view --reason ...`\n' });
    const tunnels = await ma('tunnel', 'list');
    expect(tunnels).toMatchObject({ code: 0, stdout: expect.stringMatching(/^no tunnels yet: a node gets one when its agent registers a tunnel key/) });
  });

  it('ma token list with the bootstrap token names the --all flag', async () => {
    const r = await ma('token', 'list');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('`ma token list --all`');
    expect(r.stderr).toContain('(error 600, see docs/errors.md)');
    expect(r.stderr).not.toContain('all=true;');
  });

  it('names the flag whose value is wrong, before asking the server', async () => {
    const days = await ma('token', 'create', 'ci', '--days', '1000');
    expect(days).toMatchObject({ code: 1, stderr: 'ma: --days: got "1000", expected an integer 1–365\n' });
    const silence = await ma('alert', 'silence', '--node', 'freezer', '--for', 'forever', '--reason', 'defrost');
    expect(silence.stderr).toBe('ma: --for: got "forever", expected a duration such as "30m", "2h" or "1d"\n');
    const limit = await ma('alert', 'list', '--limit', 'lots');
    expect(limit.stderr).toContain('--limit: got "lots", expected an integer 1–1000');
  });

  it('a refused token names --token and MA_TOKEN (exit 4); a usage mistake exits 2', async () => {
    const r = await runToEnd(process.execPath, [CLI_BIN, 'node', 'list'], { MA_SERVER: server.url, MA_TOKEN: '' });
    expect(r.code).toBe(4);
    expect(r.stderr).toContain('(error 500, see docs/errors.md); pass a token with --token <token> or MA_TOKEN');
    expect((await ma('node', 'lst')).code).toBe(2);
    expect((await ma('node', 'list', '--colour')).code).toBe(2);
  });

  it('answers a missing channel with the documented InputInvalid code, naming the parameter', async () => {
    const res = await fetch(`${server.url}/api/v1/readings`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: number; message: string } };
    expect(body.error.code).toBe(600); // docs/errors.md: InputInvalid (test/docs/error-codes.test.ts keeps it listed)
    expect(body.error.message).toContain('channel');
  });

  it('ma-server node list says how to add the first node', async () => {
    const other = await tempDir('first-use-server');
    try {
      const { writeServerConfig } = await import('../support/processes.js');
      const config = await writeServerConfig({ dir: other.dir });
      const r = await runToEnd(process.execPath, [SERVER_BIN, 'node', 'list', '--config', config]);
      expect(r).toMatchObject({ code: 0, stdout: `no nodes yet: add one with \`ma-server node add <name> --config ${config}\`\n` });
    } finally {
      await other.cleanup();
    }
  });
});

describe('ma-agent and ma-server help', () => {
  it('ma-agent --help prints "Usage:" once, with the outbox tool under its own heading', async () => {
    const r = await runToEnd(process.execPath, [AGENT_BIN, '--help']);
    expect(r.code).toBe(0);
    expect(r.stdout.match(/Usage:/g)).toHaveLength(1);
    expect(r.stdout).toContain('The outbox recovery tool:');
  });

  it('<command> --help of a command that does not exist is a usage error', async () => {
    expect(await runToEnd(process.execPath, [AGENT_BIN, 'chek', '--help'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "chek"') });
    expect(await runToEnd(process.execPath, [SERVER_BIN, 'node', 'remove', '--help'])).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown command "node remove"') });
    expect((await runToEnd(process.execPath, [SERVER_BIN, 'node', 'add', '--help'])).code).toBe(0);
  });
});

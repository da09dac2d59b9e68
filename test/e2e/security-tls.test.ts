import https from 'node:https';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parse as parseYaml, stringify as toYaml } from 'yaml';
import { AGENT_BIN, CLI_BIN, eventually, runProcess, runToEnd, SERVER_BIN, startAgentProcess, tempDir, TEST_ADMIN_TOKEN, type ManagedProcess } from '../support/processes.js';

/** `ma init`'s private CA, HTTPS/WSS with it, and agents that pin it through the enrollment token. */

interface TlsServer {
  proc: ManagedProcess;
  url: string;
  ca: string;
}

async function startTlsServer(dir: string): Promise<TlsServer> {
  const init = await runToEnd(process.execPath, [CLI_BIN, 'init', dir, '--host', 'localhost', '127.0.0.1']);
  expect(init.code, init.stderr).toBe(0);
  const configFile = path.join(dir, 'server.yaml');
  const config = parseYaml(await readFile(configFile, 'utf8')) as { http: Record<string, unknown>; mqtt: { tcp: Record<string, unknown> } };
  // Ephemeral ports on loopback for the test; everything else as `ma init` wrote it.
  Object.assign(config.http, { host: '127.0.0.1', port: 0 });
  delete config.http.public_url;
  Object.assign(config.mqtt.tcp, { host: '127.0.0.1', port: 0 });
  await writeFile(configFile, toYaml(config));
  const proc = runProcess(SERVER_BIN, ['serve', '--config', configFile], { MA_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
  const started = await proc.waitForLog((l) => l.msg === 'server started');
  return { proc, url: String(started.url), ca: await readFile(path.join(dir, 'ca.pem'), 'utf8') };
}

function httpsJson<T>(server: TlsServer, method: string, p: string, body?: unknown): Promise<{ status: number; json: T }> {
  return new Promise((resolve, reject) => {
    const req = https.request(`${server.url}${p}`, { method, ca: server.ca, headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' } }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, json: JSON.parse(text) as T }));
    });
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('TLS with a private CA, pinned by enrollment', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let ours: TlsServer;
  let impostor: TlsServer;
  let agent: ManagedProcess | undefined;

  beforeAll(async () => {
    tmp = await tempDir('sec-tls');
    ours = await startTlsServer(path.join(tmp.dir, 'ours'));
    impostor = await startTlsServer(path.join(tmp.dir, 'impostor'));
  });
  afterAll(async () => {
    await agent?.stop();
    await ours?.proc.stop();
    await impostor?.proc.stop();
    await tmp?.cleanup();
  });

  const createNode = async (name: string) => {
    const r = await httpsJson<{ enrollment: { token: string; command: string } }>(ours, 'POST', '/api/v1/nodes', { name });
    expect(r.status).toBe(201);
    return r.json.enrollment;
  };

  it('serves HTTPS with the security headers and Secure cookies', async () => {
    expect(ours.url).toMatch(/^https:\/\//);
    const r = await new Promise<import('node:http').IncomingMessage>((resolve, reject) =>
      https.request(`${ours.url}/api/v1/auth/login`, { method: 'POST', ca: ours.ca, headers: { 'content-type': 'application/json' } }, resolve).on('error', reject).end('{"name":"nobody","password":"wrong-password"}'),
    );
    expect(r.headers['strict-transport-security']).toMatch(/max-age=/);
  });

  it('enrolls an agent that pins the CA from its token, which then delivers over WSS', async () => {
    const enrollment = await createNode('tls-node');
    expect(enrollment.token).toMatch(/^mae_[\w-]{43}\.[\w-]{43}$/);
    const configFile = path.join(tmp.dir, 'node', 'agent.yaml');
    const r = await runToEnd(process.execPath, [AGENT_BIN, 'enroll', ours.url, enrollment.token, '--config', configFile, '--data-dir', path.join(tmp.dir, 'node', 'data')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('enrolled as node tls-node');
    expect(await readFile(path.join(tmp.dir, 'node', 'ca.pem'), 'utf8')).toBe(ours.ca.trim() + '\n');
    const config = parseYaml(await readFile(configFile, 'utf8')) as Record<string, unknown> & { server: { mqtt_url: string; ca_file: string } };
    expect(config.server).toMatchObject({ ca_file: 'ca.pem', mqtt_url: expect.stringMatching(/^wss:\/\//) });
    // The allow-list key comes with enrollment too: the node can decide taps from its first start.
    const key = await httpsJson<{ public_key_pem: string }>(ours, 'GET', '/api/v1/access/allow-list-key');
    expect(config.access).toEqual({ allow_list_key: key.json.public_key_pem });
    config.drivers = [{ driver: 'simulated', interval: '200ms', sensors: [{ name: 'fridge', model: 'fridge' }] }];
    await writeFile(configFile, toYaml(config));
    agent = startAgentProcess(configFile);
    await eventually(async () => (await httpsJson<{ stats: { readings_stored: number } }>(ours, 'GET', '/api/v1/nodes/tls-node')).json.stats.readings_stored > 0, 20_000);
    // The token worked once.
    const again = await runToEnd(process.execPath, [AGENT_BIN, 'enroll', ours.url, enrollment.token, '--config', path.join(tmp.dir, 'again.yaml')]);
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('already used or expired');
  });

  it('refuses, and says why, a server presenting a certificate from another CA; the token is never sent', async () => {
    const enrollment = await createNode('victim-node');
    const r = await runToEnd(process.execPath, [AGENT_BIN, 'enroll', impostor.url, enrollment.token, '--config', path.join(tmp.dir, 'victim', 'agent.yaml')]);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('does not contain the CA pinned by the enrollment token');
    expect(r.stderr).toContain('Nothing was sent');
    const audit = await httpsJson<{ entries: unknown[] }>(impostor, 'GET', '/api/v1/audit?action=node.enroll');
    expect(audit.json.entries).toEqual([]);
    // The real server still accepts the token: the impostor never saw it.
    const ok = await runToEnd(process.execPath, [AGENT_BIN, 'enroll', ours.url, enrollment.token, '--config', path.join(tmp.dir, 'victim', 'agent.yaml')]);
    expect(ok.code, ok.stderr).toBe(0);
  });
});

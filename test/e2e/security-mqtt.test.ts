import { spawn } from 'node:child_process';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, request } from '../support/login.js';
import { addNode, runToEnd, startServerProcess, tempDir, type CreatedNode, type ServerHandle } from '../support/processes.js';

/** Node isolation on the embedded broker's TCP port, with the real Mosquitto clients. */

const sub = (port: number, user: string, password: string, topic: string) =>
  runToEnd('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-u', user, '-P', password, '-t', topic, '-C', '1', '-W', '2'], {}, 15_000);
const pub = (port: number, user: string, password: string, topic: string, message = '{}') =>
  runToEnd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-q', '1', '-u', user, '-P', password, '-t', topic, '-m', message], {}, 15_000);

describe('node isolation and revocation (mosquitto_pub / mosquitto_sub)', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let a: CreatedNode;
  let b: CreatedNode;

  beforeAll(async () => {
    tmp = await tempDir('sec-mqtt');
    server = await startServerProcess({ dir: tmp.dir, mqttTcp: true });
    const url = `${server.url.replace('http', 'ws')}/mqtt`;
    a = await addNode(server.configFile, 'node-a', url);
    b = await addNode(server.configFile, 'node-b', url);
  });
  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  it("refuses node A's subscriptions to node B's topics and to #, and its publishes to node B's topics", async () => {
    const port = server.mqttTcpPort!;
    for (const topic of ['ma/v1/node-b/cmd', 'ma/v1/node-b/#', '#', 'ma/v1/+/telemetry', '$SYS/#']) {
      const r = await sub(port, 'node-a', a.credential, topic);
      // aedes answers SUBACK 0x80 (failure); mosquitto_sub reports "All subscription requests were denied".
      expect({ topic, refused: /subscription requests were denied/i.test(r.stderr + r.stdout) }).toEqual({ topic, refused: true });
    }
    const publish = await pub(port, 'node-a', a.credential, 'ma/v1/node-b/telemetry');
    expect(publish.code).not.toBe(0);
    const stats = (await request(`${server.url}/api/v1/nodes/node-b`, { headers: bearer() })).json<{ stats: { readings_stored: number } }>().stats;
    expect(stats.readings_stored).toBe(0);
    // Its own subtree still works (the control for the refusals above).
    const own = await sub(port, 'node-a', a.credential, 'ma/v1/node-a/cmd');
    expect(own.stderr + own.stdout).not.toMatch(/denied|not authori[sz]ed/i);
  });

  it('closes an open connection of a revoked node within 1 s, then refuses it', async () => {
    const port = server.mqttTcpPort!;
    // stdbuf: mosquitto_sub's debug lines are block-buffered when piped; we need them as they happen.
    const listener = spawn('stdbuf', ['-oL', 'mosquitto_sub', '-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-u', 'node-b', '-P', b.credential, '-t', 'ma/v1/node-b/cmd', '-d'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    listener.stdout.on('data', (c: Buffer) => (out += c.toString()));
    listener.stderr.on('data', (c: Buffer) => (out += c.toString()));
    const deadline = Date.now() + 10_000;
    while (!/SUBACK/.test(out) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(out).toMatch(/SUBACK/);
    expect((await request(`${server.url}/healthz`)).json<{ mqtt_clients: number }>().mqtt_clients).toBe(1);
    const t0 = Date.now();
    const revoke = await request(`${server.url}/api/v1/nodes/node-b/revoke`, { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ reason: 'stolen Pi' }) });
    expect(revoke.status).toBe(204);
    // The server's own count of open MQTT connections shows the drop (mosquitto_sub itself only
    // notices at its next reconnect attempt, a second later, and is then refused).
    let dropped = Number.POSITIVE_INFINITY;
    while (Date.now() - t0 < 5000) {
      const health = (await request(`${server.url}/healthz`)).json<{ mqtt_clients: number }>();
      if (health.mqtt_clients === 0) {
        dropped = Date.now();
        break;
      }
      await new Promise((r) => setTimeout(r, 20));
    }
    await new Promise((r) => setTimeout(r, 1500));
    listener.kill('SIGKILL');
    expect(out).toMatch(/Connection Refused: not authori[sz]ed|bad user name or password/i);
    expect(dropped - t0).toBeLessThan(1000);
    const again = await pub(port, 'node-b', b.credential, 'ma/v1/node-b/telemetry');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toMatch(/not authori[sz]ed|bad user name or password|refused/i);
    const audit = (await request(`${server.url}/api/v1/audit?action=node.revoke`, { headers: bearer() })).json<{ entries: Array<{ target: string; reason: string; actor: string }> }>().entries;
    expect(audit[0]).toMatchObject({ target: 'node:node-b', reason: 'stolen Pi', actor: 'bootstrap' });
  });
});

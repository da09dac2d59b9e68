import type { ChannelListResponse, NodeDetail, SeriesResponse } from '@ma/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNode, eventually, getJson, runToEnd, startServerProcess, tempDir, type CreatedNode, type ServerHandle } from '../support/processes.js';

/** Publishes with the real Mosquitto client, as an operator or a third-party device would. */
function mosquittoPub(port: number, user: string, password: string, topic: string, message: string) {
  return runToEnd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-q', '1', '-i', `test-${user}-${Date.now()}`, '-u', user, '-P', password, '-t', topic, '-m', message], {}, 15_000);
}

const batch = (seq: number, v: number, ts = Date.now()) =>
  JSON.stringify({ v: 1, channels: { 'manual/temp': { kind: 'sensor', driver: 'manual', unit: '°C', label: 'bench probe' } }, readings: [{ seq, ch: 'manual/temp', ts, v }] });

describe('the embedded broker over TCP, driven by mosquitto_pub', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let alpha: CreatedNode;

  beforeAll(async () => {
    tmp = await tempDir('mqtt');
    server = await startServerProcess({ dir: tmp.dir, mqttTcp: true });
    const url = `${server.url.replace('http', 'ws')}/mqtt`;
    alpha = await addNode(server.configFile, 'alpha', url);
    await addNode(server.configFile, 'beta', url);
  });

  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  const node = (name: string) => getJson<NodeDetail>(`${server.url}/api/v1/nodes/${name}`);

  it('stores a reading published with the node\'s own credential on its own topic', async () => {
    const r = await mosquittoPub(server.mqttTcpPort!, 'alpha', alpha.credential, 'ma/v1/alpha/telemetry', batch(1, 21.5));
    expect(r.code).toBe(0);
    const { channels } = await getJson<ChannelListResponse>(`${server.url}/api/v1/channels?node=alpha`);
    expect(channels).toHaveLength(1);
    expect(channels[0]).toMatchObject({ key: 'manual/temp', label: 'bench probe', unit: '°C', last_value: 21.5 });
    const series = await getJson<SeriesResponse>(`${server.url}/api/v1/readings?channel=${channels[0]!.id}&from=${Date.now() - 60_000}`);
    expect(series.avg).toEqual([21.5]);
  });

  it('stores a redelivered reading once: (node, seq) is idempotent', async () => {
    expect((await mosquittoPub(server.mqttTcpPort!, 'alpha', alpha.credential, 'ma/v1/alpha/telemetry', batch(1, 21.5))).code).toBe(0);
    const n = await node('alpha');
    expect(n.stats.readings_stored).toBe(1);
    expect(n.stats.readings_duplicate).toBe(1);
  });

  it('refuses a publish onto another node\'s topic, counts it, and stores nothing for either node', async () => {
    const r = await mosquittoPub(server.mqttTcpPort!, 'alpha', alpha.credential, 'ma/v1/beta/telemetry', batch(7, 99));
    expect(r.code).not.toBe(0);
    const a = await eventually(async () => {
      const n = await node('alpha');
      return n.stats.publishes_refused === 1 ? n : undefined;
    });
    expect(a.stats.last_reject_reason).toContain('ma/v1/beta/telemetry');
    expect((await node('beta')).stats.readings_stored).toBe(0);
    expect((await getJson<ChannelListResponse>(`${server.url}/api/v1/channels?node=beta`)).channels).toHaveLength(0);
  });

  it('refuses a connection with another node\'s credential, or a wrong one', async () => {
    const stolen = await mosquittoPub(server.mqttTcpPort!, 'beta', alpha.credential, 'ma/v1/beta/telemetry', batch(1, 5));
    expect(stolen.code).not.toBe(0);
    expect(stolen.stderr).toMatch(/not authori[sz]ed|bad user name or password|refused/i);
    const unknown = await mosquittoPub(server.mqttTcpPort!, 'gamma', 'man_nope', 'ma/v1/gamma/telemetry', batch(1, 5));
    expect(unknown.code).not.toBe(0);
    expect((await node('beta')).stats.auth_failures).toBe(1);
    expect((await node('beta')).stats.readings_stored).toBe(0);
  });

  it('rejects and counts malformed payloads without storing them or stopping the server', async () => {
    const before = (await node('alpha')).stats.messages_rejected;
    for (const bad of ['not json', '{"v":1,"readings":[]}', JSON.stringify({ v: 1, readings: [{ seq: -1, ch: 'x', ts: 1, v: 'hot' }] })]) {
      expect((await mosquittoPub(server.mqttTcpPort!, 'alpha', alpha.credential, 'ma/v1/alpha/telemetry', bad)).code).toBe(0);
    }
    const after = await node('alpha');
    expect(after.stats.messages_rejected).toBe(before + 3);
    expect(after.stats.last_reject_reason).toMatch(/telemetry/);
    expect(after.stats.readings_stored).toBe(1);
    const health = await getJson<{ status: string }>(`${server.url}/healthz`);
    expect(health.status).toBe('ok');
  });
});

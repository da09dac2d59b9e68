import { writeFile } from 'node:fs/promises';
import mqtt from 'mqtt';
import path from 'node:path';
import { stringify as toYaml } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addNode, eventually, runProcess, runToEnd, SERVER_BIN, startAgentProcess, TEST_ADMIN_TOKEN, tempDir, writeAgentConfig, type CreatedNode, type ManagedProcess, type ServerHandle } from '../support/processes.js';
import { FAST_SENSORS, freePort, report, settle, sleep, storedCount, tally, type ChaosRig } from './chaos-support.js';
import { createMosquitto, createServerAccount, SERVER_ACCOUNT, type Mosquitto } from './mosquitto.js';

/**
 * Scale-out mode: nodes publish to an external Mosquitto 2 and the server ingests from it.
 * Mosquitto's PUBACK only means it queued a message, so agents count a batch delivered on the
 * server's own ack; a broker killed with messages in flight must still lose nothing.
 */
describe('external Mosquitto broker (scale-out mode)', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let mosquitto: Mosquitto;
  let configFile: string;
  let rig: ChaosRig;
  let node: CreatedNode;

  const startServer = async (): Promise<ServerHandle> => {
    const p = runProcess(SERVER_BIN, ['serve', '--config', configFile], { MA_ADMIN_TOKEN: TEST_ADMIN_TOKEN });
    const started = await p.waitForLog((l) => l.msg === 'server started');
    return { ...p, url: String(started.url), mqttTcpPort: undefined, configFile };
  };

  beforeAll(async () => {
    tmp = await tempDir('chaos-external');
    mosquitto = await createMosquitto(tmp.dir, await freePort());
    await mosquitto.start();
    await createServerAccount(mosquitto);
    await writeFile(path.join(tmp.dir, 'broker-password'), `${SERVER_ACCOUNT.password}\n`, { mode: 0o600 });
    configFile = path.join(tmp.dir, 'server.yaml');
    await writeFile(
      configFile,
      toYaml({
        http: { host: '127.0.0.1', port: 0 },
        mqtt: { external: { url: mosquitto.url, username: SERVER_ACCOUNT.username, password_file: 'broker-password', client_id: 'ma-server-test' } },
        data_dir: './data',
      }),
    );
    // `ma-server node add` creates the node's account on Mosquitto through dynamic security.
    node = await addNode(configFile, 'ext-node', mosquitto.url);
    expect(node.agentConfig).toMatchObject({ uplink: { ack: 'server' } });
    const agentConfig = await writeAgentConfig(tmp.dir, node, mosquitto.url, FAST_SENSORS, {
      outbox: { fsync_interval: '50ms', retain_acked: true, segment_bytes: '256KiB' },
      uplink: { batch_linger: '50ms', reconnect_min: '200ms', reconnect_max: '1s', ack: 'server', ack_timeout: '3s' },
    });
    rig = {
      dir: tmp.dir,
      node,
      httpPort: 0,
      mqttTcpPort: mosquitto.port,
      agentConfig,
      outboxDir: path.join(tmp.dir, 'agent-ext-node-data', 'outbox'),
      server: undefined,
      agent: undefined,
      startServer: async () => (rig.server = await startServer()),
      startAgent: async () => {
        const agent: ManagedProcess = startAgentProcess(agentConfig);
        rig.agent = agent;
        await agent.waitForLog((l) => l.msg === 'agent started');
        return agent;
      },
      cleanup: async () => {
        await rig.agent?.kill9();
        await rig.server?.kill9();
      },
    };
  });

  afterAll(async () => {
    await rig?.cleanup();
    await mosquitto?.kill9();
    await tmp?.cleanup();
  });

  it('delivers every reading exactly once across Mosquitto kill -9 and restarts', async () => {
    await rig.startServer();
    await rig.startAgent();
    const waitForMore = async (than: number) => {
      const deadline = Date.now() + 30_000;
      while (storedCount(rig) <= than) {
        if (Date.now() > deadline) {
          throw new Error(`no progress past ${than} stored readings\nserver:\n${rig.server?.output().slice(-3000)}\nagent:\n${rig.agent?.output().slice(-3000)}`);
        }
        await sleep(200);
      }
    };
    await waitForMore(50);
    for (let i = 0; i < 3; i++) {
      // A crash loses whatever Mosquitto had queued in memory; the agents' unacked batches cover it.
      await mosquitto.kill9();
      await sleep(1000);
      await mosquitto.start();
      await waitForMore(storedCount(rig) + 50);
    }
    await mosquitto.stop(); // a clean restart keeps its persisted queue
    await sleep(500);
    await mosquitto.start();
    await waitForMore(storedCount(rig) + 50);
    await settle(rig);
    const t = await tally(rig);
    report('external Mosquitto: kill -9 x3 and a clean restart', t);
    expect(t.produced).toBeGreaterThan(200);
    expect({ lost: t.lost, duplicates: t.duplicates, altered: t.altered }).toEqual({ lost: 0, duplicates: 0, altered: 0 });
    expect(t.stored).toBe(t.produced);
    expect(t.checksumStored).toBe(t.checksumProduced);
  }, 150_000);

  it('switches an actuator through Mosquitto: the command reaches the node, its result and retained state reach the server', async () => {
    const shop = await addNode(configFile, 'ext-shop', mosquitto.url);
    const server = rig.server ?? (await rig.startServer());
    // A node as the agent speaks it, over Mosquitto with its own dynamic-security account.
    const client = await mqtt.connectAsync(mosquitto.url, { username: 'ext-shop', password: shop.credential, clientId: 'ma-agent-ext-shop', protocolVersion: 4, reconnectPeriod: 0 });
    try {
      const state = (on: boolean) => ({ v: 1, actuator: 'plug', state: on ? 'on' : 'off', commanded: on ? 'on' : 'off', read_back: on ? 'on' : 'off', since: Date.now(), ts: Date.now(), lockout: null, fault: null });
      client.on('message', (topic, payload) => {
        const cmd = JSON.parse(payload.toString()) as { kind: string; id: string; actuator: string; value: string };
        if (topic !== 'ma/v1/ext-shop/cmd' || cmd.kind !== 'actuate') return;
        void client.publishAsync('ma/v1/ext-shop/state/plug', JSON.stringify(state(cmd.value === 'on')), { qos: 1, retain: true });
        void client.publishAsync('ma/v1/ext-shop/cmd/result', JSON.stringify({ v: 1, id: cmd.id, kind: 'actuate', outcome: 'applied', code: 'ok', actuator: cmd.actuator, state: cmd.value, ts: Date.now() }), { qos: 1 });
      });
      await client.subscribeAsync('ma/v1/ext-shop/cmd', { qos: 1 });
      await client.publishAsync('ma/v1/ext-shop/status', JSON.stringify({ v: 1, state: 'online', agent_version: 'test' }), { qos: 1, retain: true });
      await client.publishAsync('ma/v1/ext-shop/state/plug', JSON.stringify(state(false)), { qos: 1, retain: true });
      const headers = { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' };
      await eventually(async () => ((await (await fetch(`${server.url}/api/v1/nodes/ext-shop`, { headers })).json()) as { online?: boolean }).online);
      const r = await eventually(async () => {
        const res = await fetch(`${server.url}/api/v1/nodes/ext-shop/actuators/plug/switch`, { method: 'POST', headers, body: JSON.stringify({ value: 'on', reason: 'through the external broker' }) });
        return res.status === 200 ? ((await res.json()) as { state: string; outcome: string }) : undefined;
      }, 15_000, 250);
      expect(r).toMatchObject({ state: 'on', outcome: 'applied' });
    } finally {
      await client.endAsync();
    }
  }, 60_000);

  it('keeps nodes to their own topics on Mosquitto, and a revoked node is cut off', async () => {
    const other = await addNode(configFile, 'ext-other', mosquitto.url);
    const pub = (user: string, pass: string, topic: string) =>
      runToEnd('mosquitto_pub', ['-h', '127.0.0.1', '-p', String(mosquitto.port), '-V', 'mqttv311', '-q', '1', '-u', user, '-P', pass, '-t', topic, '-m', JSON.stringify({ v: 1, readings: [{ seq: 1, ch: 'x/y', ts: Date.now(), v: 1 }] })]);
    const sub = (user: string, pass: string, topic: string) =>
      runToEnd('mosquitto_sub', ['-h', '127.0.0.1', '-p', String(mosquitto.port), '-V', 'mqttv311', '-u', user, '-P', pass, '-t', topic, '-C', '1', '-W', '2']);
    // Mosquitto drops a denied publish silently in MQTT 3.1.1; what matters is that nothing is stored.
    await pub('ext-node', node.credential, 'ma/v1/ext-other/telemetry');
    const denied = await sub('ext-node', node.credential, 'ma/v1/ext-other/#');
    expect(denied.stdout).toBe('');
    await sleep(500);
    const server = rig.server ?? (await rig.startServer());
    const res = await fetch(`${server.url}/api/v1/nodes/ext-other`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    expect(((await res.json()) as { stats: { readings_stored: number } }).stats.readings_stored).toBe(0);
    // The node's own credential works until it is revoked through the server.
    expect((await pub('ext-other', other.credential, 'ma/v1/ext-other/status')).code).toBe(0);
    const revoke = await fetch(`${server.url}/api/v1/nodes/ext-other/revoke`, {
      method: 'POST',
      headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}`, 'content-type': 'application/json' },
      body: JSON.stringify({ reason: 'stolen Pi' }),
    });
    expect(revoke.status).toBe(204);
    const refused = await pub('ext-other', other.credential, 'ma/v1/ext-other/status');
    expect(refused.code).not.toBe(0);
    expect(refused.stderr).toMatch(/not authori[sz]ed|refused/i);
  }, 60_000);
});

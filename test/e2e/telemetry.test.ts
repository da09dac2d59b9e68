import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { ChannelListResponse, LiveMessage, NodeDetail, SeriesResponse } from '@ma/protocol';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createFakeSysfs, type FakeSysfs } from '../../packages/agent/src/drivers/fake-sysfs.js';
import {
  addNode,
  AGENT_BIN,
  eventually,
  getJson,
  runToEnd,
  SERVER_BIN,
  startAgentProcess,
  startServerProcess,
  tempDir,
  writeAgentConfig,
  type ManagedProcess,
  type ServerHandle,
  TEST_ADMIN_TOKEN,
} from '../support/processes.js';

const FRIDGE = '28-00000c1a748d';
const FREEZER = '28-00000c1b9f21';

describe('telemetry backbone, end to end with real processes', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let sysfs: FakeSysfs;
  let server: ServerHandle;
  let agent: ManagedProcess | undefined;

  beforeAll(async () => {
    tmp = await tempDir('e2e');
    sysfs = await createFakeSysfs();
    await sysfs.addDs18b20(FRIDGE, { milliC: 4500, format: 'temperature' });
    await sysfs.addDs18b20(FREEZER, { milliC: -19250, format: 'w1_slave' });
    server = await startServerProcess({ dir: tmp.dir, offlineAfter: '3s' });
  });

  afterAll(async () => {
    await agent?.stop();
    await server?.stop();
    await sysfs?.cleanup();
    await tmp?.cleanup();
  });

  it('delivers DS18B20 readings from an agent on a fake sysfs tree to the HTTP API, with labels and units', async () => {
    const mqttUrl = `${server.url.replace('http', 'ws')}/mqtt`;
    const node = await addNode(server.configFile, 'lab-fridges', mqttUrl);
    const config = await writeAgentConfig(tmp.dir, node, mqttUrl, [
      {
        driver: 'ds18b20',
        sysfs_root: sysfs.root,
        interval: '200ms',
        probes: [
          { id: FRIDGE, label: 'fridge', labels: { room: 'B12' } },
          { id: FREEZER, label: 'freezer' },
        ],
      },
    ]);
    const live = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/live`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    const liveMessages: LiveMessage[] = [];
    live.on('message', (data: Buffer) => liveMessages.push(JSON.parse(data.toString()) as LiveMessage));
    await new Promise((resolve) => live.once('open', resolve));
    agent = startAgentProcess(config);

    const channels = await eventually(async () => {
      const { channels } = await getJson<ChannelListResponse>(`${server.url}/api/v1/channels?node=lab-fridges`);
      return channels.length === 2 && channels.every((c) => c.last_value !== null) ? channels : undefined;
    });
    const fridge = channels.find((c) => c.key === `ds18b20/${FRIDGE}`)!;
    const freezer = channels.find((c) => c.key === `ds18b20/${FREEZER}`)!;
    expect(fridge).toMatchObject({ label: 'fridge', unit: '°C', kind: 'sensor', labels: { room: 'B12' }, last_value: 4.5 });
    expect(freezer).toMatchObject({ label: 'freezer', unit: '°C', last_value: -19.25 });

    const series = await getJson<SeriesResponse>(`${server.url}/api/v1/readings?channel=${fridge.id}&from=${Date.now() - 60_000}&points=100`);
    expect(series.t.length).toBeGreaterThan(0);
    expect(new Set(series.avg)).toEqual(new Set([4.5]));

    const detail = await getJson<NodeDetail>(`${server.url}/api/v1/nodes/lab-fridges`);
    expect(detail.online).toBe(true);
    expect(detail.stats.readings_stored).toBeGreaterThan(1);
    expect(detail.stats.messages_rejected).toBe(0);

    // The dashboard's live feed saw the same readings pushed, without polling.
    const pushed = await eventually(async () => liveMessages.find((m) => m.type === 'readings' && m.node === 'lab-fridges'));
    expect(pushed.type === 'readings' && pushed.readings.some((r) => r.channel === fridge.id && r.v === 4.5)).toBe(true);
    expect(liveMessages.some((m) => m.type === 'status' && m.node === 'lab-fridges' && m.online)).toBe(true);
    live.close();
  });

  it('marks a probe that fails its CRC unavailable, stores nothing from it, and recovers when it reads again', async () => {
    await sysfs.setDs18b20(FREEZER, -18000, { crc: 'NO' });
    const broken = await eventually(async () => {
      const { channels } = await getJson<ChannelListResponse>(`${server.url}/api/v1/channels?node=lab-fridges`);
      const c = channels.find((x) => x.key === `ds18b20/${FREEZER}`);
      return c && !c.available ? c : undefined;
    });
    expect(broken.error).toMatch(/crc/i);
    expect(broken.last_value).toBe(-19.25);

    await sysfs.setDs18b20(FREEZER, -18500);
    const back = await eventually(async () => {
      const { channels } = await getJson<ChannelListResponse>(`${server.url}/api/v1/channels?node=lab-fridges`);
      const c = channels.find((x) => x.key === `ds18b20/${FREEZER}`);
      return c?.available && c.last_value === -18.5 ? c : undefined;
    });
    expect(back.error).toBeNull();
  });

  it('marks an unplugged probe unavailable and picks it up again when it is plugged back in', async () => {
    await sysfs.removeDs18b20(FRIDGE);
    const gone = await eventually(async () => {
      const { channels } = await getJson<ChannelListResponse>(`${server.url}/api/v1/channels?node=lab-fridges`);
      const c = channels.find((x) => x.key === `ds18b20/${FRIDGE}`);
      return c && !c.available ? c : undefined;
    });
    expect(gone.error).toBeTruthy();
    await sysfs.addDs18b20(FRIDGE, { milliC: 5125, format: 'temperature' });
    await eventually(async () => {
      const { channels } = await getJson<ChannelListResponse>(`${server.url}/api/v1/channels?node=lab-fridges`);
      const c = channels.find((x) => x.key === `ds18b20/${FRIDGE}`);
      return c?.available && c.last_value === 5.125;
    });
  });

  it('shows the node offline once its agent stops', async () => {
    await agent!.stop();
    agent = undefined;
    await eventually(async () => !(await getJson<NodeDetail>(`${server.url}/api/v1/nodes/lab-fridges`)).online, 10_000);
  });

  it('answers 404 with a message for an unknown node and 400 for a bad time range', async () => {
    const auth = { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } };
    const missing = await fetch(`${server.url}/api/v1/nodes/no-such-node`, auth);
    expect(missing.status).toBe(404);
    expect(((await missing.json()) as { error: { message: string } }).error.message).toContain('no-such-node');
    const bad = await fetch(`${server.url}/api/v1/readings?channel=1&from=yesterday`, auth);
    expect(bad.status).toBe(400);
  });

  it('serves an OpenAPI document listing the API routes', async () => {
    const doc = await getJson<{ openapi: string; paths: Record<string, unknown> }>(`${server.url}/api/openapi.json`);
    expect(doc.openapi).toMatch(/^3\./);
    expect(Object.keys(doc.paths)).toEqual(expect.arrayContaining(['/api/v1/nodes', '/api/v1/nodes/{node}', '/api/v1/channels', '/api/v1/readings']));
  });
});

describe('bad configuration', () => {
  it('ma-server names the file, key, value and expected form, and exits non-zero', async () => {
    const tmp = await tempDir('badcfg');
    const file = path.join(tmp.dir, 'server.yaml');
    await writeFile(file, 'http:\n  port: eighty\nmqtt:\n  tcp:\n    enabled: maybe\n');
    const r = await runToEnd(process.execPath, [SERVER_BIN, 'serve', '--config', file]);
    await tmp.cleanup();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${file}: http.port: got "eighty", expected an integer port 0–65535`);
    expect(r.stderr).toContain(`${file}: mqtt.tcp.enabled: got "maybe", expected true or false`);
  });

  it('ma-agent names the file and the driver key, and exits non-zero', async () => {
    const tmp = await tempDir('badagent');
    const file = path.join(tmp.dir, 'agent.yaml');
    await writeFile(file, 'node: Fridge_1\nserver:\n  mqtt_url: http://x\n  credential: abcdefghij\ndrivers:\n  - driver: ds18b20\n    interval: often\n  - driver: thermometer\n  - driver: simulatd\n');
    const r = await runToEnd(process.execPath, [AGENT_BIN, 'run', '--config', file]);
    await tmp.cleanup();
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(`${file}: node: got "Fridge_1"`);
    expect(r.stderr).toContain(`${file}: server.mqtt_url: got "http://x"`);
    expect(r.stderr).toContain(`${file}: drivers[0].interval: got "often", expected a duration`);
    expect(r.stderr).toContain(`${file}: drivers[1].driver: got "thermometer", expected one of ds18b20, system, simulated`);
    expect(r.stderr).toMatch(/drivers\[2\]\.driver: got "simulatd", expected one of ds18b20, system, simulated.* \(did you mean "simulated"\?\)/);
  });
});

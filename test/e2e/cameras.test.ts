import { readdir } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import sharp from 'sharp';
import { afterAll, describe, expect, it } from 'vitest';
import { bearer, createUser, login, request } from '../support/login.js';
import { addNode, eventually, getJson, startAgentProcess, startServerProcess, tempDir, writeAgentConfig, type ManagedProcess, type ServerHandle } from '../support/processes.js';

/**
 * Cameras end to end: the real ma-agent takes photos with ffmpeg from a lavfi test source,
 * masks them on the node, spools them and uploads them in chunks to the real ma-server, which
 * stores them by hash with sharp-made thumbnails. The server is stopped for a while on the way.
 */

async function freePort(): Promise<number> {
  const s = net.createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as net.AddressInfo).port;
  await new Promise((r) => s.close(r));
  return port;
}

interface PhotoView {
  id: number;
  camera: string;
  sha256: string;
  ts: number;
  width: number;
  height: number;
  original_url: string;
  thumbnail_url: string;
}

const PASSWORD = 'a long enough passphrase';
const MASK = { x: 0, y: 0, width: 120, height: 90 };

describe('a node with an ffmpeg test-source camera', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('uploads masked photos exactly once across a server outage, with thumbnails, visible only with view on the node', async () => {
    const tmp = await tempDir('cameras');
    cleanups.push(tmp.cleanup);
    const httpPort = await freePort();
    const serverOpts = { dir: tmp.dir, httpPort, extra: { cameras: { thumbnail_width: 80 } } };
    let server: ServerHandle = await startServerProcess(serverOpts);
    cleanups.push(() => server.stop());
    const mqttUrl = `ws://127.0.0.1:${httpPort}/mqtt`;
    const node = await addNode(server.configFile, 'lab-cam', mqttUrl);
    const camera = {
      name: 'bench',
      program: 'ffmpeg',
      // life: a random scene each run, so every photo has its own content hash (testsrc would repeat frame 0).
      input: ['-f', 'lavfi', '-i', 'life=size=320x240:random_fill_ratio=0.5:life_color=#00ff00:rate=5'],
      width: 320,
      height: 240,
      interval: '500ms',
      masks: [MASK],
    };
    // 16 KiB chunks: every photo (~95 KB) takes several requests, so the outage cuts uploads midway.
    const upload = { chunk_bytes: 16384, retry_min: '100ms', retry_max: '500ms' };
    const drivers = [{ driver: 'simulated', interval: '1s', sensors: [{ name: 'room', model: 'fridge' }] }];
    const agentConfig = await writeAgentConfig(tmp.dir, node, mqttUrl, drivers, { cameras: [camera], camera_upload: upload });
    let agent: ManagedProcess = startAgentProcess(agentConfig);
    cleanups.push(() => agent.stop());

    const list = () => getJson<{ photos: PhotoView[] }>(`${server.url}/api/v1/nodes/lab-cam/photos?limit=1000`).then((r) => r.photos);
    const first = await eventually(async () => ((await list()).length >= 2 ? list() : undefined), 30_000);
    expect(first[0]).toMatchObject({ camera: 'bench', width: 320, height: 240 });

    // The stored original has the masked rectangle black (8 px inside its edge, clear of JPEG
    // block ringing); about half the scene around it is lit.
    const original = Buffer.from(await (await fetch(`${server.url}${first[0]!.original_url}`, { headers: bearer() })).arrayBuffer());
    const { data, info } = await sharp(original).raw().toBuffer({ resolveWithObject: true });
    let maskedMax = 0;
    let lit = 0;
    let outside = 0;
    for (let y = 0; y < info.height; y++) {
      for (let x = 0; x < info.width; x++) {
        const i = (y * info.width + x) * info.channels;
        if (x < MASK.width - 8 && y < MASK.height - 8) maskedMax = Math.max(maskedMax, data[i]!, data[i + 1]!, data[i + 2]!);
        else if (x >= MASK.width + 8 || y >= MASK.height + 8) {
          outside++;
          if (data[i + 1]! > 100) lit++;
        }
      }
    }
    expect(maskedMax).toBeLessThan(30);
    expect(lit / outside).toBeGreaterThan(0.2);

    const thumb = await fetch(`${server.url}${first[0]!.thumbnail_url}`, { headers: bearer() });
    expect(thumb.headers.get('content-type')).toBe('image/jpeg');
    expect(await sharp(Buffer.from(await thumb.arrayBuffer())).metadata()).toMatchObject({ format: 'jpeg', width: 80, height: 60 });

    // The change score between frames arrives as a channel like any reading (the life scene changes every frame).
    const activity = await eventually(async () => {
      const chs = (await getJson<{ channels: Array<{ node: string; key: string; unit: string; last_value: number | null }> }>(`${server.url}/api/v1/channels`)).channels;
      return chs.find((c) => c.node === 'lab-cam' && c.key === 'camera/bench/activity' && c.last_value !== null);
    }, 20_000);
    expect(activity).toMatchObject({ unit: '%' });
    expect(activity.last_value).toBeGreaterThan(0.5); // a static scene scores about 0 (camera-node.test.ts)

    // The server goes away for a while; the agent keeps capturing into its spool.
    await server.stop();
    await new Promise((r) => setTimeout(r, 3000));
    server = await startServerProcess(serverOpts);
    await eventually(async () => (await list()).length >= first.length + 5, 30_000);
    await agent.stop();
    const spooledBy = (p: ManagedProcess) => p.output().split('\n').filter((l) => l.includes('"photo spooled"')).map((l) => (JSON.parse(l) as { sha256: string }).sha256);
    const spooled = spooledBy(agent);

    // Drain what the first run left (a photo taken while stopping): the same node, a camera that captures nothing.
    const drainConfig = await writeAgentConfig(tmp.dir, node, mqttUrl, drivers, { cameras: [{ ...camera, program: 'command', command: ['false'], input: undefined, fault_after: 100 }], camera_upload: upload });
    agent = startAgentProcess(drainConfig);
    const spoolDir = path.join(tmp.dir, 'agent-lab-cam-data', 'photos');
    await eventually(async () => (await readdir(spoolDir)).filter((f) => f.endsWith('.json') && f !== 'counters.json').length === 0, 20_000);
    await agent.stop();
    expect(spooledBy(agent)).toEqual([]);

    // Every photo the agent spooled is on the server, once; nothing else is.
    const stored = await list();
    expect(stored.map((p) => p.sha256).sort()).toEqual([...spooled].sort());
    expect(new Set(stored.map((p) => p.sha256)).size).toBe(spooled.length);
    expect(spooled.length).toBeGreaterThan(first.length + 5);

    // Photos are private to those with view on the node: anyone else gets the 404 of a missing node.
    await createUser(server.url, 'outsider', PASSWORD);
    await createUser(server.url, 'watcher', PASSWORD);
    const grant = await request(`${server.url}/api/v1/users/watcher/grants`, { method: 'PUT', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ grants: [{ scope: 'node', target: 'lab-cam', permission: 'view' }], reason: 'camera test' }) });
    expect(grant.status, grant.body).toBe(200);
    const outsider = await login(server.url, 'outsider', PASSWORD);
    const watcher = await login(server.url, 'watcher', PASSWORD);
    const photo = stored[0]!;
    for (const url of [photo.original_url, photo.thumbnail_url, '/api/v1/nodes/lab-cam/photos']) {
      expect({ url, status: (await request(`${server.url}${url}`, { headers: { cookie: outsider.cookie } })).status }).toEqual({ url, status: 404 });
      expect({ url, status: (await request(`${server.url}${url}`, { headers: { cookie: watcher.cookie } })).status }).toEqual({ url, status: 200 });
    }
  }, 90_000);
});

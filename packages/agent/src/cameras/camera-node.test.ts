import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { NodeEvent } from '@ma/protocol';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { cameraSchema, photoUploadSchema } from './cameras-config.js';
import { CameraNode } from './camera-node.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});

async function cameraNode(cam: Record<string, unknown>): Promise<{ node: CameraNode; events: NodeEvent[] }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ma-camnode-'));
  dirs.push(dataDir);
  const events: NodeEvent[] = [];
  const node = new CameraNode({
    cameras: [cameraSchema.parse({ name: 'door', width: 64, height: 48, interval: '150ms', retry_delay: '20ms', timeout: '5s', ...cam })],
    upload: photoUploadSchema.parse({}),
    serverUrl: undefined, // photos stay in the spool
    node: 'lab',
    credential: 'unused-here',
    dataDir,
    log: pino({ level: 'silent' }),
    now: () => Date.now(),
    publishEvent: (e) => events.push(e),
  });
  await node.start();
  return { node, events };
}

const until = async (cond: () => boolean, ms = 10_000) => {
  const end = Date.now() + ms;
  while (!cond() && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
  return cond();
};

describe('a camera on the node', () => {
  it('takes photos at its interval into the spool', async () => {
    const { node } = await cameraNode({ program: 'ffmpeg', input: ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=1'] });
    expect(await until(() => node.spool.stats().pending >= 2)).toBe(true);
    await node.stop();
    expect(node.health()[0]).toMatchObject({ name: 'door', consecutive_failures: 0, fault: null });
    expect(node.health()[0]!.photos).toBeGreaterThanOrEqual(2);
  });

  it('retries a failing capture, then raises one fault with the program\'s stderr after fault_after photos, and never throws', async () => {
    const { node, events } = await cameraNode({ program: 'command', command: ['sh', '-c', 'echo "VIDIOC_STREAMON: No such device" >&2; exit 1'], retries: 1, fault_after: 2 });
    expect(await until(() => node.health()[0]!.consecutive_failures >= 3)).toBe(true);
    await node.stop();
    const faults = events.filter((e) => e.type === 'agent_fault');
    expect(faults).toHaveLength(1); // once, not at every failure
    expect(faults[0]!.message).toMatch(/^camera door: 2 photos in a row failed: camera door \(command\) exited with 1: VIDIOC_STREAMON: No such device$/);
    expect(node.health()[0]!.fault).toMatch(/No such device/);
    expect(node.spool.stats().pending).toBe(0);
  });

  it('outside its time windows it takes no photo', async () => {
    const now = new Date();
    const hh = String((now.getHours() + 2) % 24).padStart(2, '0');
    const { node } = await cameraNode({ program: 'ffmpeg', input: ['-f', 'lavfi', '-i', 'testsrc=size=64x48:rate=1'], windows: [{ from: `${hh}:00`, to: `${hh}:30` }] });
    await new Promise((r) => setTimeout(r, 600));
    await node.stop();
    expect(node.health()[0]!.photos).toBe(0);
  });
});

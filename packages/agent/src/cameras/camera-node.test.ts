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

async function cameraNode(cam: Record<string, unknown>): Promise<{ node: CameraNode; events: NodeEvent[]; readings: Array<{ ch: string; v: number }> }> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'ma-camnode-'));
  dirs.push(dataDir);
  const events: NodeEvent[] = [];
  const readings: Array<{ ch: string; v: number }> = [];
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
    reading: (ch, v) => readings.push({ ch, v }),
  });
  await node.start();
  return { node, events, readings };
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

  it('scores activity near zero for a static scene and well above it for a changing one, leaving masked areas out', async () => {
    const still = await cameraNode({ program: 'ffmpeg', input: ['-f', 'lavfi', '-i', 'color=c=gray:size=64x48'] });
    // A random scene at each capture; masked whole, it gives no score at all.
    const moving = await cameraNode({ program: 'ffmpeg', input: ['-f', 'lavfi', '-i', 'life=size=64x48:random_fill_ratio=0.5:rate=5'] });
    const hidden = await cameraNode({ program: 'ffmpeg', input: ['-f', 'lavfi', '-i', 'life=size=64x48:random_fill_ratio=0.5:rate=5'], masks: [{ x: 0, y: 0, width: 64, height: 48 }] });
    expect(await until(() => still.readings.length >= 2 && moving.readings.length >= 2 && hidden.node.health()[0]!.photos >= 3)).toBe(true);
    for (const n of [still, moving, hidden]) await n.node.stop();
    expect(new Set([...still.readings, ...moving.readings].map((r) => r.ch))).toEqual(new Set(['camera/door/activity']));
    expect(Math.max(...still.readings.map((r) => r.v))).toBeLessThan(1);
    expect(Math.min(...moving.readings.map((r) => r.v))).toBeGreaterThan(10);
    expect(hidden.readings).toEqual([]); // everything masked: no score at all
    expect(still.node.channels()).toEqual({ 'camera/door/activity': { kind: 'sensor', driver: 'camera', unit: '%', quantity: 'activity', label: 'door activity' } });
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

import { statfs } from 'node:fs/promises';
import path from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { inspectOutbox } from '../../packages/agent/src/outbox/inspect-outbox.js';
import { eventually } from '../support/processes.js';
import { mountSmallDisk, type SmallDisk } from '../support/tmpfs.js';
import { createRig, settle, storedReadings, type ChaosRig } from './chaos-support.js';

/*
 * Issue #11 item 12, from the outside: the agent's data_dir on a small real filesystem (tmpfs),
 * the server down until that disk is full, and then back. The outbox keeps the default 4 MiB
 * segment size, bigger than the whole disk: the backlog that used to wedge the agent.
 */

/** 20 simulated probes every 20 ms: ~1,000 readings/s, so 1 MiB fills in seconds. */
const MANY_SENSORS = [
  {
    driver: 'simulated',
    interval: '20ms',
    sensors: Array.from({ length: 20 }, (_, i) => ({ name: `probe_${i}`, model: 'room' })),
  },
];
const STOP_TIMEOUT_MS = 5000;

const freeShare = async (dir: string): Promise<number> => {
  const s = await statfs(dir);
  return s.bavail / s.blocks;
};

describe('chaos: the agent disk fills up while the server is down', () => {
  let rig: ChaosRig | undefined;
  let disk: SmallDisk | undefined;
  afterEach(async () => {
    await rig?.cleanup();
    await disk?.cleanup();
    rig = undefined;
    disk = undefined;
  });

  it('drains the backlog, frees the space, carries new readings, stops in time, and counts every reading it dropped', async () => {
    disk = await mountSmallDisk('chaos-full', 1024 * 1024);
    rig = await createRig({
      name: 'full-disk',
      agentExtra: { data_dir: disk.dir, stop_timeout: `${STOP_TIMEOUT_MS}ms`, outbox: { fsync_interval: '50ms' }, drivers: MANY_SENSORS },
    });
    rig.outboxDir = path.join(disk.dir, 'outbox');

    // The server is down. The disk fills, then the memory buffer overflows (drops, counted).
    const first = await rig.startAgent();
    await first.waitForLog((l) => String(l.msg).includes('disk full; keeping new records in memory'), 60_000);
    await first.waitForLog((l) => String(l.msg).includes('memory buffer full while the disk is full'), 30_000);

    // kill -9 while thousands of readings exist only in memory: the next start counts them.
    await first.kill9();
    const crashed = await inspectOutbox(rig.outboxDir);
    const second = await rig.startAgent();
    const counted = await second.waitForLog((l) => String(l.msg).includes('readings held in memory while the disk was full were lost'));
    expect(Number(counted.count)).toBeGreaterThan(1000);
    expect((await inspectOutbox(rig.outboxDir)).stats.dropped).toBeGreaterThanOrEqual(crashed.stats.dropped);
    await second.waitForLog((l) => String(l.msg).includes('disk full; keeping new records in memory'), 30_000);

    // SIGTERM while the disk is full and readings wait in memory: it exits by its deadline, and
    // what it could not write is counted as dropped, not forgotten.
    const fullStopAt = Date.now();
    expect(await second.stop()).toBe(0);
    const fullStopMs = Date.now() - fullStopAt;
    expect(fullStopMs).toBeLessThan(STOP_TIMEOUT_MS + 1500);
    const closedWith = await second.waitForLog((l) => String(l.msg).includes('outbox closed with readings that could not be written'));
    expect(Number(closedWith.count)).toBeGreaterThan(0);
    await rig.startAgent();

    // The server comes back: the backlog drains and the space is freed.
    await rig.startServer();
    const backAt = (await inspectOutbox(rig.outboxDir)).stats.lastSeq;
    await eventually(async () => (await freeShare(disk!.dir)) > 0.5 && (await inspectOutbox(rig!.outboxDir)).stats.pending < 3000, 60_000, 250);
    // New readings flow: ones produced well after the server returned are stored.
    await eventually(async () => storedReadings(rig!).some((s) => s.seq > backAt + 2000), 30_000, 250);

    // SIGTERM ends the agent within its deadline, cleanly, now that the disk has space again.
    const stopAt = Date.now();
    const code = await rig.agent!.stop();
    const stopMs = Date.now() - stopAt;
    rig.agent = undefined;
    expect(code).toBe(0);
    expect(stopMs).toBeLessThan(STOP_TIMEOUT_MS + 1500);

    // Whatever was still unacked at the stop goes out on a short restart.
    await settle(rig);
    const { stats } = await inspectOutbox(rig.outboxDir);
    const stored = storedReadings(rig);
    const seqs = new Set(stored.map((s) => s.seq));
    console.log(
      `[chaos] full disk: produced ${stats.lastSeq}, stored ${stored.length}, dropped (counted) ${stats.dropped}; ` +
        `${counted.count} lost in memory by kill -9, ${closedWith.count} counted at a SIGTERM on the full disk (${fullStopMs} ms); SIGTERM after recovery ${stopMs} ms`,
    );
    expect(seqs.size, 'no reading stored twice').toBe(stored.length);
    expect(stored.every((s) => s.seq >= 1 && s.seq <= stats.lastSeq)).toBe(true);
    expect(stats.dropped).toBeGreaterThan(0);
    expect({ produced: stats.lastSeq, accounted: stored.length + stats.dropped }).toEqual({ produced: stats.lastSeq, accounted: stats.lastSeq });
    expect(await freeShare(disk.dir)).toBeGreaterThan(0.5);
  }, 110_000);
});

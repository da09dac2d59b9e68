import { cp, open as openFile, readdir, rm, stat, statfs, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { mountSmallDisk, type SmallDisk } from '../../../../test/support/tmpfs.js';
import { tempDir } from '../../../../test/support/processes.js';
import type { Outbox, OutboxEntry } from './outbox.js';
import { readOutboxState } from './outbox-state.js';
import { createSegmentLogOutbox, LOW_DISK_SEGMENT_BYTES, type SegmentFs, type SegmentLogOutboxOptions } from './segment-log-outbox.js';

/*
 * The outbox on a real, really full filesystem (a small tmpfs): the failures of issue #11
 * item 12. Nothing here fakes ENOSPC; the disk fills because the outbox filled it.
 */

let disk: SmallDisk;
let dir: string;
const open: Outbox[] = [];

beforeEach(async () => {
  disk = await mountSmallDisk('outbox', 256 * 1024);
  dir = join(disk.dir, 'outbox');
});
afterEach(async () => {
  for (const o of open.splice(0)) await o.close({ deadline: Date.now() });
  await disk.cleanup();
});

const entry = (i: number): OutboxEntry => ({ ch: `sim/disk-full-probe-${i % 7}`, ts: 1_700_000_000_000 + i, v: (i % 400) / 16 });
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const entries = (from: number, n: number): OutboxEntry[] => Array.from({ length: n }, (_, i) => entry(from + i));

async function openOutbox(options: Partial<SegmentLogOutboxOptions> = {}, at = dir): Promise<Outbox> {
  const outbox = createSegmentLogOutbox({ dir: at, fsyncIntervalMs: 0, ...options });
  await outbox.open();
  open.push(outbox);
  return outbox;
}

async function closeOutbox(outbox: Outbox): Promise<void> {
  open.splice(open.indexOf(outbox), 1);
  await outbox.close();
}

/** Appends until the disk is full; returns how many records are durable (readable). */
async function fillDisk(outbox: Outbox): Promise<number> {
  let n = 0;
  while (!outbox.stats().degraded) {
    await outbox.append(entries(n + 1, 100));
    n += 100;
    if (n > 100_000) throw new Error('the disk never filled');
  }
  return (await readAllAfter(outbox, 0)).length;
}

async function readAllAfter(outbox: Outbox, after: number): Promise<number[]> {
  return (await outbox.readAfter(after, 1_000_000)).map((r) => r.seq);
}

/** Acks like the uplink: one batch of up to `batch` records after another, up to `until`. */
async function drain(outbox: Outbox, until = Infinity, batch = 500): Promise<void> {
  for (;;) {
    const from = outbox.stats().ackedSeq;
    const records = (await outbox.readAfter(from, batch)).filter((r) => r.seq <= until);
    if (records.length === 0) return;
    await outbox.ack(records[records.length - 1]!.seq);
  }
}

const segmentFiles = async (at = dir): Promise<string[]> => (await readdir(join(at, 'segments'))).sort();
const freeBytes = async (): Promise<number> => {
  const s = await statfs(disk.dir);
  return s.bavail * s.bsize;
};

/** Another program takes every byte left on the disk. */
async function takeEveryByteLeft(): Promise<void> {
  const fh = await openFile(join(disk.dir, 'filler'), 'w');
  try {
    let at = 0;
    for (let chunk = 64 * 1024; chunk >= 1; chunk = Math.floor(chunk / 2)) {
      for (;;) {
        try {
          at += (await fh.write(Buffer.alloc(chunk, 1), 0, chunk, at)).bytesWritten;
        } catch (e) {
          if ((e as NodeJS.ErrnoException).code !== 'ENOSPC') throw e;
          break;
        }
      }
    }
  } finally {
    await fh.close();
  }
}

/** The real filesystem, except that free space looks plentiful: segments are not rolled early. */
const blindToFreeSpace: SegmentFs = {
  write: async (fh, data, position) => (await fh.write(data, 0, data.length, position)).bytesWritten,
  datasync: (fh) => fh.datasync(),
  freeBytes: async () => 1e12,
};

describe('segment-log outbox on a full disk', () => {
  it('still advances and keeps its acked cursor, frees the backlog segment and writes what it held, across a restart', async () => {
    // A 4 MiB segment on a 256 KiB disk: the whole backlog is in the one active segment.
    const diskFull: boolean[] = [];
    let outbox = await openOutbox({ fsImpl: blindToFreeSpace, segmentBytes: 4 * 1024 * 1024, onDiskFull: (full) => diskFull.push(full) });
    const durable = await fillDisk(outbox);
    expect(await segmentFiles()).toHaveLength(1);
    const held = await outbox.append(entries(100_000, 50));
    expect(outbox.stats()).toMatchObject({ degraded: 'disk_full', dropped: 0 });

    // The server comes back and stores everything: each ack must be durable, on a full disk.
    await drain(outbox);
    expect(outbox.stats().ackedSeq).toBe(durable);
    expect((await readOutboxState(dir)).state.ackedSeq).toBe(durable);
    // The acked segment went, so the held records can be written, and then read and sent.
    await expect.poll(() => outbox.stats().degraded, { timeout: 5000 }).toBeUndefined();
    const lastSeq = held.at(-1)!.seq;
    expect(await readAllAfter(outbox, durable)).toEqual(range(durable + 1, lastSeq));
    expect(diskFull, 'told once when it filled and once when it had room again').toEqual([true, false]);

    await closeOutbox(outbox);
    outbox = await openOutbox({ fsImpl: blindToFreeSpace, segmentBytes: 4 * 1024 * 1024 });
    expect(outbox.stats(), 'the restart resumes from the cursor, it does not resend').toMatchObject({ ackedSeq: durable, pending: lastSeq - durable, dropped: 0, lastSeq });
  });

  it('accepts every append while it holds readings in memory, however many slices they fill', async () => {
    const outbox = await openOutbox();
    await fillDisk(outbox);
    const before = outbox.stats();
    // ~4,000 records are more than one write slice (256 KiB of frames): every append resolves.
    const timeout = new Promise<never>((_, reject) => setTimeout(() => reject(new Error('an append never resolved while the disk was full')), 10_000));
    const appends = Array.from({ length: 40 }, (_, i) => outbox.append(entries(200_000 + i * 100, 100)));
    await Promise.race([Promise.all(appends), timeout]);
    expect(outbox.stats()).toMatchObject({ degraded: 'disk_full', dropped: 0, pending: before.pending + 4000, lastSeq: before.lastSeq + 4000 });
  });

  it('rolls small segments when the disk is low, so acking part of a backlog frees space, even with retain_acked', async () => {
    // A larger disk, so that half of it is many low-disk segments.
    await disk.cleanup();
    disk = await mountSmallDisk('outbox-roll', 1024 * 1024);
    dir = join(disk.dir, 'outbox');
    const outbox = await openOutbox({ retainAcked: true });
    const durable = await fillDisk(outbox);
    const files = await segmentFiles();
    expect(files.length).toBeGreaterThan(2);
    for (const f of files) expect((await stat(join(dir, 'segments', f))).size).toBeLessThanOrEqual(LOW_DISK_SEGMENT_BYTES + 1024);

    const bytesBefore = outbox.stats().bytes;
    await drain(outbox, Math.floor(durable / 2));
    // The acked half went (retained history gives way on a low disk) ...
    expect(outbox.stats().bytes).toBeLessThan(bytesBefore * 0.65);
    // ... and the space it freed lets the readings held in memory be written.
    await expect.poll(() => outbox.stats().degraded, { timeout: 5000 }).toBeUndefined();
    expect(await readAllAfter(outbox, outbox.stats().ackedSeq)).toEqual(range(outbox.stats().ackedSeq + 1, outbox.stats().lastSeq));
    expect(await freeBytes()).toBeGreaterThan(0);
  });

  it('counts readings that were only in memory when the process died, once, and never reuses their seqs', async () => {
    const liveDrops: string[] = [];
    const outbox = await openOutbox({ memoryBufferMax: 100, onDrop: (_n, _f, _l, reason) => liveDrops.push(reason) });
    const durable = await fillDisk(outbox);
    await outbox.append(entries(300_000, 300)); // 200 over the memory bound: dropped and counted now
    const { lastSeq, dropped: droppedLive } = outbox.stats();
    expect(droppedLive).toBeGreaterThanOrEqual(200);
    expect(new Set(liveDrops)).toEqual(new Set(['memory_buffer']));

    // What kill -9 leaves behind is what is on disk now: copy it, without the dead owner's lock.
    const crashed = await tempDir('outbox-crashed');
    try {
      const copy = join(crashed.dir, 'outbox');
      await cp(dir, copy, { recursive: true });
      await rm(join(copy, 'LOCK'));
      const drops: number[] = [];
      let recovered = await openOutbox({ onDrop: (n, _f, _l, reason) => drops.push(reason === 'lost_in_crash' ? n : NaN) }, copy);
      const s = recovered.stats();
      expect(s.lastSeq).toBe(lastSeq);
      expect(s.dropped, 'produced = on disk + counted drops, exactly').toBe(lastSeq - durable);
      expect(drops.reduce((a, b) => a + b, 0)).toBe(lastSeq - durable - droppedLive);
      expect((await recovered.append([entry(1)]))[0]!.seq).toBe(lastSeq + 1);
      await closeOutbox(recovered);
      recovered = await openOutbox({}, copy);
      expect(recovered.stats().dropped, 'counted once, not at every start').toBe(lastSeq - durable);
      await closeOutbox(recovered);
    } finally {
      await crashed.cleanup();
    }
  });

  it('closes by its deadline with readings it cannot write, and counts them as dropped across the restart', async () => {
    let outbox = await openOutbox();
    const durable = await fillDisk(outbox);
    await outbox.append(entries(400_000, 200));
    const { lastSeq } = outbox.stats();
    const started = Date.now();
    open.splice(open.indexOf(outbox), 1);
    await outbox.close({ deadline: Date.now() + 300 });
    expect(Date.now() - started).toBeLessThan(2000);
    // Counted by close itself: the state file says so before any restart.
    expect((await readOutboxState(dir)).state).toMatchObject({ dropped: lastSeq - durable, lostThroughSeq: lastSeq });
    outbox = await openOutbox();
    expect(outbox.stats()).toMatchObject({ lastSeq, dropped: lastSeq - durable, pending: durable });
  });

  it('starts again on a disk that is completely full, where it stopped, and acks still free space', async () => {
    let outbox = await openOutbox();
    const durable = await fillDisk(outbox);
    const { lastSeq } = outbox.stats();
    await closeOutbox(outbox);
    await takeEveryByteLeft();
    expect(await freeBytes()).toBe(0);

    outbox = await openOutbox();
    expect(outbox.stats()).toMatchObject({ lastSeq, pending: durable, dropped: lastSeq - durable });
    await drain(outbox);
    expect(outbox.stats()).toMatchObject({ ackedSeq: durable, pending: 0, bytes: 0 });
    expect(await freeBytes()).toBeGreaterThan(128 * 1024);
  });

  it('takes over an outbox of an earlier version on a completely full disk', async () => {
    let outbox = await openOutbox({ retainAcked: true });
    const durable = await fillDisk(outbox);
    await drain(outbox, 1000);
    await closeOutbox(outbox);
    // As an earlier version left it: the cursor in `acked`, the counter in `state.json`.
    await rm(join(dir, 'state'));
    await writeFile(join(dir, 'acked'), '1000\n');
    await writeFile(join(dir, 'state.json'), JSON.stringify({ dropped: 5, dropped_through_seq: 0 }));
    await takeEveryByteLeft();
    outbox = await openOutbox({ retainAcked: true });
    expect(outbox.stats()).toMatchObject({ ackedSeq: 1000, dropped: 5 });
    expect(outbox.stats().pending).toBeGreaterThanOrEqual(durable - 1000);
    expect((await readOutboxState(dir)).state).toMatchObject({ ackedSeq: 1000, dropped: 5 });
  });

  it('abandon() counts what memory holds synchronously, and the next start does not count it again', async () => {
    let outbox = await openOutbox();
    const durable = await fillDisk(outbox);
    await outbox.append(entries(500_000, 200));
    const { lastSeq } = outbox.stats();
    open.splice(open.indexOf(outbox), 1);
    outbox.abandon();
    expect((await readOutboxState(dir)).state.dropped).toBe(lastSeq - durable);
    await rm(join(dir, 'LOCK')); // the process exits right after abandon(); its lock goes with it
    outbox = await openOutbox();
    expect(outbox.stats()).toMatchObject({ lastSeq, dropped: lastSeq - durable });
  });
});

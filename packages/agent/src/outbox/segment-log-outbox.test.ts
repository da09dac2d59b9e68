import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMaError, isStorageError } from '@ma/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Outbox, OutboxEntry, OutboxRecord } from './outbox.js';
import { readOutboxState } from './outbox-state.js';
import { createSegmentLogOutbox, type SegmentFs, type SegmentLogOutboxOptions } from './segment-log-outbox.js';

let dir: string;
const opened: Outbox[] = [];

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ma-outbox-'));
});
afterEach(async () => {
  for (const o of opened.splice(0)) await o.close();
  await rm(dir, { recursive: true, force: true });
});

async function openOutbox(options: Partial<SegmentLogOutboxOptions> = {}): Promise<Outbox> {
  const outbox = createSegmentLogOutbox({ dir, fsyncIntervalMs: 0, ...options });
  await outbox.open();
  opened.push(outbox);
  return outbox;
}

async function reopen(outbox: Outbox, options: Partial<SegmentLogOutboxOptions> = {}): Promise<Outbox> {
  await outbox.close();
  opened.splice(opened.indexOf(outbox), 1);
  return openOutbox(options);
}

const entry = (i: number): OutboxEntry => ({ ch: `sim/ch${i % 3}`, ts: 1_700_000_000_000 + i, v: i / 10 });
const entries = (from: number, n: number): OutboxEntry[] => Array.from({ length: n }, (_, i) => entry(from + i));
const seqs = (records: OutboxRecord[]): number[] => records.map((r) => r.seq);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const segmentFiles = async (): Promise<string[]> => (await readdir(join(dir, 'segments'))).sort();

async function readAll(outbox: Outbox, afterSeq = 0, page = 1000): Promise<OutboxRecord[]> {
  const out: OutboxRecord[] = [];
  for (;;) {
    const batch = await outbox.readAfter(out.at(-1)?.seq ?? afterSeq, page);
    if (batch.length === 0) return out;
    out.push(...batch);
  }
}

describe('segment-log outbox: append, read, ack', () => {
  it('appends records with consecutive seqs, reads them back oldest first, and acks them', async () => {
    const outbox = await openOutbox();
    const appended = await outbox.append(entries(1, 3));
    expect(appended).toEqual(entries(1, 3).map((e, i) => ({ seq: i + 1, ...e })));

    expect(await outbox.readAfter(0, 10)).toEqual(appended);
    expect(await outbox.readAfter(1, 1)).toEqual([appended[1]]);

    await outbox.ack(2);
    expect(await outbox.readAfter(2, 10)).toEqual([appended[2]]);
    expect(outbox.stats()).toMatchObject({ lastSeq: 3, ackedSeq: 2, pending: 1, dropped: 0, discardedOnRecovery: 0 });
    expect(outbox.stats().degraded).toBeUndefined();
  });

  it('keeps optional fields and nothing else', async () => {
    const outbox = await openOutbox();
    const withExtras = { ch: 'a', ts: 1, v: 2, sync: false, boot: 'b1', mono: 3, junk: 'x' } as OutboxEntry;
    const [record] = await outbox.append([withExtras]);
    expect(record).toStrictEqual({ seq: 1, ch: 'a', ts: 1, v: 2, sync: false, boot: 'b1', mono: 3 });
    expect(await outbox.readAfter(0, 1)).toStrictEqual([record]);
  });

  it('rejects a value JSON cannot carry, without using up a seq', async () => {
    const outbox = await openOutbox();
    await expect(outbox.append([entry(1), { ch: 'a', ts: 1, v: Number.NaN }])).rejects.toSatisfy(isMaError);
    expect(seqs(await outbox.append([entry(2)]))).toEqual([1]);
  });

  it('continues seq numbering after a reopen', async () => {
    let outbox = await openOutbox();
    await outbox.append(entries(1, 5));
    outbox = await reopen(outbox);
    expect(outbox.stats().lastSeq).toBe(5);
    expect(seqs(await outbox.append(entries(6, 2)))).toEqual([6, 7]);
    expect(seqs(await readAll(outbox))).toEqual(range(1, 7));
  });

  it('keeps the acked cursor across a reopen', async () => {
    let outbox = await openOutbox();
    await outbox.append(entries(1, 5));
    await outbox.ack(3);
    expect((await readOutboxState(dir)).state.ackedSeq).toBe(3);
    outbox = await reopen(outbox);
    expect(outbox.stats()).toMatchObject({ lastSeq: 5, ackedSeq: 3, pending: 2 });
  });

  it('ignores an ack that goes backwards and refuses one for a seq never stored', async () => {
    const outbox = await openOutbox();
    await outbox.append(entries(1, 3));
    await outbox.ack(2);
    await outbox.ack(1);
    expect(outbox.stats().ackedSeq).toBe(2);
    await expect(outbox.ack(4)).rejects.toSatisfy(isMaError);
  });

  it('refuses to be used before open() and after close()', async () => {
    const outbox = createSegmentLogOutbox({ dir });
    await expect(outbox.append([entry(1)])).rejects.toSatisfy(isMaError);
    await outbox.open();
    await outbox.close();
    await expect(outbox.readAfter(0, 1)).rejects.toSatisfy(isMaError);
  });
});

describe('segment-log outbox: segments', () => {
  const small = { segmentBytes: 1024, maxBytes: 1024 * 1024 };

  it('rotates to a new segment file named after its first seq once a segment is full', async () => {
    const outbox = await openOutbox(small);
    for (let i = 1; i <= 100; i += 10) await outbox.append(entries(i, 10));
    const files = await segmentFiles();
    expect(files.length).toBeGreaterThan(3);
    expect(files[0]).toBe('00000000000000000001.log');
    for (const f of files) expect(f).toMatch(/^\d{20}\.log$/);
  });

  it('reads across segment boundaries in any page size', async () => {
    const outbox = await openOutbox(small);
    const appended = (await Promise.all(range(1, 20).map((i) => outbox.append(entries(i * 10, 10))))).flat();
    for (const page of [1, 7, 13, 64, 1000]) {
      expect(await readAll(outbox, 0, page), `page ${page}`).toEqual(appended);
    }
    // Starting points that are not where a previous read ended still work.
    expect(seqs(await outbox.readAfter(57, 5))).toEqual(range(58, 62));
    expect(seqs(await outbox.readAfter(199, 5))).toEqual([200]);
    expect(await outbox.readAfter(200, 5)).toEqual([]);
  });

  it('deletes segments once every record in them is acked, but never unacked ones', async () => {
    let outbox = await openOutbox(small);
    for (let i = 1; i <= 100; i += 10) await outbox.append(entries(i, 10));
    const before = await segmentFiles();
    await outbox.ack(50);
    const after = await segmentFiles();
    expect(after.length).toBeLessThan(before.length);
    const firstKept = Number(after[0]?.slice(0, 20));
    expect(firstKept).toBeLessThanOrEqual(51);
    expect(seqs(await readAll(outbox, 50))).toEqual(range(51, 100));
    expect(outbox.stats()).toMatchObject({ ackedSeq: 50, pending: 50 });

    outbox = await reopen(outbox, small);
    expect(seqs(await readAll(outbox, 50))).toEqual(range(51, 100));
  });

  it('deletes even the active segment when everything is acked, and still never reuses a seq', async () => {
    let outbox = await openOutbox(small);
    await outbox.append(entries(1, 30));
    await outbox.ack(30);
    expect(await segmentFiles()).toEqual([]);
    expect(outbox.stats()).toMatchObject({ lastSeq: 30, pending: 0, bytes: 0 });
    outbox = await reopen(outbox, small);
    expect(seqs(await outbox.append([entry(31)]))).toEqual([31]);
    expect(await segmentFiles()).toEqual(['00000000000000000031.log']);
  });
});

describe('segment-log outbox: size bound', () => {
  it('drops the oldest whole segments beyond maxBytes, counts and reports them, and remembers the count', async () => {
    const drops: Array<[number, number, number]> = [];
    const fullness: number[] = [];
    const options = {
      segmentBytes: 1024,
      maxBytes: 4096,
      onDrop: (n: number, first: number, last: number) => drops.push([n, first, last]),
      onNearlyFull: (pct: number) => fullness.push(pct),
    };
    let outbox = await openOutbox(options);
    for (let i = 1; i <= 300; i += 10) await outbox.append(entries(i, 10));

    const stats = outbox.stats();
    expect(stats.bytes).toBeLessThanOrEqual(4096);
    expect(stats.dropped).toBeGreaterThan(0);
    expect(drops.reduce((n, [count]) => n + count, 0)).toBe(stats.dropped);
    // The drops are consecutive ranges from seq 1 up; what is left follows directly after.
    let expectedFirst = 1;
    for (const [count, first, last] of drops) {
      expect([first, last - first + 1]).toEqual([expectedFirst, count]);
      expectedFirst = last + 1;
    }
    expect(seqs(await readAll(outbox))).toEqual(range(expectedFirst, 300));
    expect(stats.pending).toBe(300 - stats.dropped);
    expect(fullness, String(fullness)).toHaveLength(1);
    expect(fullness[0]).toBeGreaterThanOrEqual(80);

    outbox = await reopen(outbox, options);
    expect(outbox.stats()).toMatchObject({ dropped: stats.dropped, lastSeq: 300 });
  });

  it('counts only unacked records as dropped', async () => {
    const outbox = await openOutbox({ segmentBytes: 1024, maxBytes: 4096 });
    await outbox.append(entries(1, 40));
    await outbox.ack(5); // the first segment still holds 6.. so it is not deleted by the ack
    for (let i = 41; i <= 300; i += 10) await outbox.append(entries(i, 10));
    const { dropped, lastSeq } = outbox.stats();
    const firstLeft = (await outbox.readAfter(5, 1))[0]?.seq ?? 0;
    expect(dropped).toBe(firstLeft - 6);
    expect(lastSeq).toBe(300);
  });

  it('with retainAcked, keeps acked records readable until the bound needs their space, and drops those first, uncounted', async () => {
    const fullness: number[] = [];
    const options = { segmentBytes: 1024, maxBytes: 4096, retainAcked: true, onNearlyFull: (pct: number) => fullness.push(pct) };
    const outbox = await openOutbox(options);
    await outbox.append(entries(1, 40));
    await outbox.ack(40);
    // Acked, yet still on disk for export and replay; nothing is pending.
    expect(seqs(await readAll(outbox))).toEqual(range(1, 40));
    expect(outbox.stats()).toMatchObject({ pending: 0, dropped: 0 });
    // Acked history does not count towards "nearly full": it makes room without loss.
    expect(fullness).toEqual([]);
    for (let i = 41; i <= 200; i += 10) {
      await outbox.append(entries(i, 10));
      await outbox.ack(i + 9);
    }
    const stats = outbox.stats();
    expect(stats.bytes).toBeLessThanOrEqual(4096);
    expect(stats.dropped).toBe(0);
    const left = seqs(await readAll(outbox));
    expect(left[0]).toBeGreaterThan(1);
    expect(left).toEqual(range(left[0]!, 200));
    // A restart keeps the acked history too.
    const again = await reopen(outbox, options);
    expect(seqs(await readAll(again))).toEqual(left);
    expect(again.stats()).toMatchObject({ lastSeq: 200, ackedSeq: 200, pending: 0 });
  });

  it('refuses options that could not honour the bound', () => {
    expect(() => createSegmentLogOutbox({ dir, segmentBytes: 4096, maxBytes: 4096 })).toThrow(/maxBytes/);
  });
});

describe('segment-log outbox: durability and group commit', () => {
  /** Real file operations, counting the fdatasyncs and letting a test hold them. */
  function countingFs(): SegmentFs & { syncs: number; hold?: Promise<void> } {
    const fs: SegmentFs & { syncs: number; hold?: Promise<void> } = {
      syncs: 0,
      write: async (fh, data, position) => (await fh.write(data, 0, data.length, position)).bytesWritten,
      datasync: async (fh) => {
        await fs.hold;
        await fh.datasync();
        fs.syncs++;
      },
    };
    return fs;
  }

  it('resolves append() only after the fdatasync of its records has completed', async () => {
    const fs = countingFs();
    let release = (): void => undefined;
    fs.hold = new Promise((r) => (release = r));
    const outbox = await openOutbox({ fsImpl: fs });
    let resolved = false;
    const appending = outbox.append([entry(1)]).then(() => (resolved = true));
    await new Promise((r) => setTimeout(r, 50));
    expect(resolved).toBe(false);
    expect(outbox.stats().pending).toBe(1);
    release();
    await appending;
    expect(fs.syncs).toBe(1);
  });

  it('shares one write and fsync among the appends arriving within fsyncIntervalMs', async () => {
    const fs = countingFs();
    let outbox = await openOutbox({ fsyncIntervalMs: 50, fsImpl: fs });
    const results = await Promise.all(range(1, 200).map((i) => outbox.append([entry(i)])));
    expect(results.flat().map((r) => r.seq).sort((a, b) => a - b)).toEqual(range(1, 200));
    expect(fs.syncs).toBe(1);

    outbox = await reopen(outbox);
    expect(await readAll(outbox)).toEqual(results.flat().sort((a, b) => a.seq - b.seq));
  });

  it('with fsyncIntervalMs 0 still coalesces appends that arrive during a flush', async () => {
    const fs = countingFs();
    const outbox = await openOutbox({ fsyncIntervalMs: 0, fsImpl: fs });
    const results = await Promise.all(range(1, 500).map((i) => outbox.append([entry(i)])));
    expect(results.flat()).toHaveLength(500);
    expect(fs.syncs).toBeLessThan(500);
    expect(seqs(await readAll(outbox))).toEqual(range(1, 500));
  });
});

describe('segment-log outbox: disk full', () => {
  /** Fails writes like a full disk: part of the data lands, then ENOSPC. */
  function fillableFs(): SegmentFs & { full: boolean } {
    const fs: SegmentFs & { full: boolean } = {
      full: false,
      write: async (fh, data, position) => {
        if (!fs.full) return (await fh.write(data, 0, data.length, position)).bytesWritten;
        if (data.length > 1) await fh.write(data, 0, Math.floor(data.length / 2), position);
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
      },
      datasync: (fh) => fh.datasync(),
    };
    return fs;
  }

  it('keeps records in memory while the disk is full and writes them once it has space', async () => {
    const fs = fillableFs();
    let outbox = await openOutbox({ fsImpl: fs, fsyncIntervalMs: 0 });
    await outbox.append(entries(1, 3));

    fs.full = true;
    const buffered = await outbox.append(entries(4, 3));
    expect(seqs(buffered)).toEqual([4, 5, 6]);
    expect(outbox.stats()).toMatchObject({ degraded: 'disk_full', lastSeq: 6, pending: 6 });
    expect(seqs(await readAll(outbox)), 'buffered records are not readable yet').toEqual([1, 2, 3]);
    await expect(outbox.ack(4)).rejects.toSatisfy(isMaError);

    fs.full = false;
    expect(seqs(await outbox.append([entry(7)]))).toEqual([7]);
    expect(outbox.stats().degraded).toBeUndefined();
    expect(seqs(await readAll(outbox))).toEqual(range(1, 7));

    outbox = await reopen(outbox);
    expect(seqs(await readAll(outbox))).toEqual(range(1, 7));
    expect(outbox.stats().discardedOnRecovery).toBe(0);
  });

  it('retries on its own, without a further append', async () => {
    const fs = fillableFs();
    const outbox = await openOutbox({ fsImpl: fs });
    fs.full = true;
    await outbox.append(entries(1, 2));
    expect(outbox.stats().degraded).toBe('disk_full');
    fs.full = false;
    await expect.poll(() => outbox.stats().degraded, { timeout: 3000 }).toBeUndefined();
    expect(seqs(await readAll(outbox))).toEqual([1, 2]);
  });

  it('drops the oldest buffered records beyond memoryBufferMax, and counts them', async () => {
    const fs = fillableFs();
    const drops: Array<[number, number, number, string]> = [];
    const outbox = await openOutbox({ fsImpl: fs, memoryBufferMax: 5, onDrop: (...args) => drops.push(args) });
    fs.full = true;
    for (let i = 1; i <= 8; i++) await outbox.append([entry(i)]);
    expect(outbox.stats()).toMatchObject({ dropped: 3, pending: 5 });
    expect(drops.flat().length).toBeGreaterThan(0);
    fs.full = false;
    await outbox.append([entry(9)]);
    expect(seqs(await readAll(outbox))).toEqual([4, 5, 6, 7, 8, 9]);
  });

  it('rejects appends on any other write error and leaves no trace of them in the log', async () => {
    let broken = false;
    const fs: SegmentFs = {
      write: async (fh, data, position) => {
        if (broken) {
          await fh.write(data, 0, 5, position);
          throw Object.assign(new Error('EIO: i/o error, write'), { code: 'EIO' });
        }
        return (await fh.write(data, 0, data.length, position)).bytesWritten;
      },
      datasync: (fh) => fh.datasync(),
    };
    let outbox = await openOutbox({ fsImpl: fs });
    await outbox.append(entries(1, 2));
    broken = true;
    await expect(outbox.append([entry(3)])).rejects.toSatisfy(isStorageError);
    broken = false;
    expect(seqs(await outbox.append([entry(4)]))).toEqual([4]);
    outbox = await reopen(outbox);
    expect(seqs(await readAll(outbox))).toEqual([1, 2, 4]);
    expect(outbox.stats().discardedOnRecovery).toBe(0);
    // Seq 3 is used up and never stored: counted, so produced = stored + dropped holds.
    expect(outbox.stats()).toMatchObject({ lastSeq: 4, dropped: 1 });
  });
});

import { crc32 } from 'node:zlib';
import { appendFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Outbox, OutboxEntry, OutboxRecord } from './outbox.js';
import { readOutboxState, StateFile, statePath, type OutboxState } from './outbox-state.js';
import { encodeRecord } from './record-format.js';
import { createSegmentLogOutbox, type SegmentLogOutboxOptions } from './segment-log-outbox.js';

let dir: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ma-outbox-recovery-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (i: number): OutboxEntry => ({ ch: `sim/ch${i % 3}`, ts: 1_700_000_000_000 + i, v: i / 10, sync: true });
const entries = (from: number, n: number): OutboxEntry[] => Array.from({ length: n }, (_, i) => entry(from + i));
const seqs = (records: OutboxRecord[]): number[] => records.map((r) => r.seq);
const range = (from: number, to: number): number[] => Array.from({ length: to - from + 1 }, (_, i) => from + i);
const segmentPath = (firstSeq: number): string => join(dir, 'segments', `${String(firstSeq).padStart(20, '0')}.log`);
const segmentFirstSeqs = async (): Promise<number[]> =>
  (await readdir(join(dir, 'segments'))).map((f) => Number(f.slice(0, 20))).sort((a, b) => a - b);

/** Opens the outbox, runs `fn` with it, and closes it again. */
async function withOutbox<T>(fn: (o: Outbox) => Promise<T>, options: Partial<SegmentLogOutboxOptions> = {}): Promise<T> {
  const outbox = createSegmentLogOutbox({ dir, fsyncIntervalMs: 0, ...options });
  await outbox.open();
  try {
    return await fn(outbox);
  } finally {
    await outbox.close();
  }
}

async function readAll(outbox: Outbox): Promise<OutboxRecord[]> {
  return outbox.readAfter(0, 1_000_000);
}

/** Rewrites the outbox's state file as a crash at some step would have left it. */
async function setState(patch: Partial<OutboxState>): Promise<void> {
  const loaded = await readOutboxState(dir);
  const file = await StateFile.open(dir, loaded);
  await file.write({ ...loaded.state, ...patch });
  await file.close();
}

/** A frame with a valid header and CRC around an arbitrary payload. */
function frameOf(payload: Buffer): Buffer {
  const header = Buffer.alloc(8);
  header.writeUInt32LE(payload.length, 0);
  header.writeUInt32LE(crc32(payload), 4);
  return Buffer.concat([header, payload]);
}

describe('segment-log outbox recovery: the torn or corrupt tail of the last segment', () => {
  async function fiveRecords(): Promise<{ path: string; full: Buffer; lastStart: number }> {
    await withOutbox((o) => o.append(entries(1, 5)));
    const path = segmentPath(1);
    const full = await readFile(path);
    const lastFrame = encodeRecord({ seq: 5, ...entry(5) });
    const lastStart = full.length - lastFrame.length;
    expect(full.subarray(lastStart), 'the file ends with record 5 in the documented format').toEqual(lastFrame);
    return { path, full, lastStart };
  }

  it('discards the last record cut off at every byte offset, and keeps every record before it', async () => {
    const { path, full, lastStart } = await fiveRecords();
    for (let cut = lastStart + 1; cut < full.length; cut++) {
      await writeFile(path, full.subarray(0, cut));
      await withOutbox(async (o) => {
        expect(seqs(await readAll(o)), `cut at ${cut}`).toEqual([1, 2, 3, 4]);
        expect(o.stats(), `cut at ${cut}`).toMatchObject({ lastSeq: 4, discardedOnRecovery: 1 });
      });
      expect((await stat(path)).size, `truncated to the last good record (cut at ${cut})`).toBe(lastStart);
    }
  });

  it('treats a file ending exactly at a record boundary as clean', async () => {
    const { path, full, lastStart } = await fiveRecords();
    await writeFile(path, full.subarray(0, lastStart));
    await withOutbox(async (o) => {
      expect(o.stats()).toMatchObject({ lastSeq: 4, discardedOnRecovery: 0 });
    });
  });

  it('continues with the next seq after the discarded record and stays readable', async () => {
    const { path, full, lastStart } = await fiveRecords();
    await writeFile(path, full.subarray(0, lastStart + 3));
    await withOutbox(async (o) => {
      expect(seqs(await o.append(entries(5, 2)))).toEqual([5, 6]);
    });
    await withOutbox(async (o) => {
      expect(seqs(await readAll(o))).toEqual(range(1, 6));
      expect(o.stats().discardedOnRecovery).toBe(0);
    });
  });

  const corruptions: Array<[string, (full: Buffer, lastStart: number) => Buffer]> = [
    ['a flipped payload byte (bad CRC)', (full, at) => flip(full, at + 20)],
    ['a flipped CRC byte', (full, at) => flip(full, at + 5)],
    ['a length field beyond the file', (full, at) => withUInt32(full, at, 0xffff_fff0)],
    ['a zero-filled tail', (full, at) => Buffer.concat([full.subarray(0, at), Buffer.alloc(full.length - at)])],
    ['a valid CRC over bytes that are not JSON', (full, at) => Buffer.concat([full.subarray(0, at), frameOf(Buffer.from('not json'))])],
    ['a valid CRC over JSON that is not a record', (full, at) => Buffer.concat([full.subarray(0, at), frameOf(Buffer.from('{"seq":"5"}'))])],
    ['a seq that does not increase', (full, at) => Buffer.concat([full.subarray(0, at), encodeRecord({ seq: 2, ...entry(2) })])],
  ];
  for (const [name, corrupt] of corruptions) {
    it(`discards a last record with ${name}`, async () => {
      const { path, full, lastStart } = await fiveRecords();
      await writeFile(path, corrupt(full, lastStart));
      await withOutbox(async (o) => {
        expect(seqs(await readAll(o))).toEqual([1, 2, 3, 4]);
        expect(o.stats()).toMatchObject({ lastSeq: 4, discardedOnRecovery: 1 });
      });
    });
  }
});

describe('segment-log outbox recovery: older segments and metadata', () => {
  const small = { segmentBytes: 1024, maxBytes: 1024 * 1024 };

  it('keeps the records before corruption in a sealed segment, cuts off the rest of it, and keeps later segments', async () => {
    await withOutbox(async (o) => {
      for (let i = 1; i <= 60; i += 5) await o.append(entries(i, 5));
    }, small);
    const [first, second] = await segmentFirstSeqs();
    expect(second).toBeGreaterThan(4);
    const path = segmentPath(first as number);
    const full = await readFile(path);
    const thirdRecordAt = encodeRecord({ seq: 1, ...entry(1) }).length + encodeRecord({ seq: 2, ...entry(2) }).length;
    await writeFile(path, flip(full, thirdRecordAt + 12));

    await withOutbox(async (o) => {
      expect(seqs(await readAll(o))).toEqual([1, 2, ...range(second as number, 60)]);
      expect(o.stats()).toMatchObject({ lastSeq: 60, discardedOnRecovery: (second as number) - 3 });
    }, small);
    expect((await stat(path)).size).toBe(thirdRecordAt);
  });

  it('keeps lastSeq at the acked cursor when the records themselves are gone, so no seq is reused', async () => {
    await withOutbox((o) => o.append(entries(1, 10)));
    await setState({ ackedSeq: 25 });
    await withOutbox(async (o) => {
      expect(o.stats()).toMatchObject({ lastSeq: 25, ackedSeq: 25, pending: 0 });
      expect(seqs(await o.append([entry(26)]))).toEqual([26]);
    });
  });

  it('finishes deletions a crash interrupted: fully acked segments go at open', async () => {
    await withOutbox(async (o) => {
      for (let i = 1; i <= 60; i += 5) await o.append(entries(i, 5));
    }, small);
    const [, second] = await segmentFirstSeqs();
    await setState({ ackedSeq: (second as number) - 1 }); // cursor written, segment not yet deleted
    await withOutbox(async (o) => {
      expect((await segmentFirstSeqs())[0]).toBe(second);
      expect(o.stats().pending).toBe(60 - ((second as number) - 1));
    }, small);
  });

  it('finishes a drop-oldest a crash interrupted, without counting it twice', async () => {
    await withOutbox(async (o) => {
      for (let i = 1; i <= 60; i += 5) await o.append(entries(i, 5));
    }, small);
    const [, second] = await segmentFirstSeqs();
    await setState({ dropped: 7, droppedThroughSeq: (second as number) - 1 });
    await withOutbox(async (o) => {
      expect(o.stats().dropped).toBe(7);
      expect(seqs(await readAll(o))[0]).toBe(second);
    }, small);
  });

  it('removes an empty segment file left by a crash right after creating it', async () => {
    await withOutbox((o) => o.append(entries(1, 3)));
    await appendFile(segmentPath(4), '');
    await withOutbox(async (o) => {
      expect(await segmentFirstSeqs()).toEqual([1]);
      expect(seqs(await o.append([entry(4)]))).toEqual([4]);
    });
  });

  it('starts from 0 when the acked cursor is unreadable (re-sending is safe; the server deduplicates)', async () => {
    await withOutbox((o) => o.append(entries(1, 3)));
    await withOutbox((o) => o.ack(2));
    await writeFile(statePath(dir), Buffer.alloc(4096, 'garbage'));
    await withOutbox(async (o) => {
      expect(o.stats()).toMatchObject({ ackedSeq: 0, pending: 3, lastSeq: 3 });
    });
  });

  it('keeps the previous state when the write of one slot was torn', async () => {
    await withOutbox(async (o) => {
      await o.append(entries(1, 5));
      await o.ack(2);
      await o.ack(4);
    });
    // The newest slot is the one that holds acked 4 (or a later write of it); tear it.
    const buf = await readFile(statePath(dir));
    const newest = (await readOutboxState(dir)).gen % 2;
    buf.fill(0xff, newest * 512 + 10, newest * 512 + 40);
    await writeFile(statePath(dir), buf);
    const loaded = await readOutboxState(dir);
    expect(loaded.invalid).toBe(false);
    expect(loaded.state.ackedSeq, 'the older slot: an earlier cursor, never a made-up one').toBeLessThanOrEqual(4);
    await withOutbox(async (o) => expect(o.stats().lastSeq).toBe(5));
  });

  it('takes over the acked cursor and dropped counter of an outbox written by an earlier version', async () => {
    await withOutbox(async (o) => {
      for (let i = 1; i <= 60; i += 5) await o.append(entries(i, 5));
    }, small);
    await rm(statePath(dir));
    await writeFile(join(dir, 'acked'), '12\n');
    await writeFile(join(dir, 'state.json'), JSON.stringify({ dropped: 3, dropped_through_seq: 0 }));
    await withOutbox(async (o) => {
      expect(o.stats()).toMatchObject({ ackedSeq: 12, dropped: 3, lastSeq: 60, pending: 48 });
    }, small);
    expect((await readdir(dir)).sort(), 'acked and state.json are gone').toEqual(['LOCK', 'segments', 'state']);
    expect((await readOutboxState(dir)).state).toMatchObject({ ackedSeq: 12, dropped: 3 });
  });
});

function flip(buf: Buffer, at: number): Buffer {
  const copy = Buffer.from(buf);
  copy[at] = (copy[at] as number) ^ 0xff;
  return copy;
}

function withUInt32(buf: Buffer, at: number, value: number): Buffer {
  const copy = Buffer.from(buf);
  copy.writeUInt32LE(value, at);
  return copy;
}

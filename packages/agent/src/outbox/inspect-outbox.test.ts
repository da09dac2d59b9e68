import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { inspectOutbox, iterateRecords } from './inspect-outbox.js';
import type { OutboxEntry, OutboxRecord } from './outbox.js';
import { createSegmentLogOutbox } from './segment-log-outbox.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ma-outbox-inspect-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const entry = (i: number): OutboxEntry => ({ ch: 'sim/t', ts: 1_700_000_000_000 + i, v: i });
const entries = (from: number, n: number): OutboxEntry[] => Array.from({ length: n }, (_, i) => entry(from + i));

async function collect(it: AsyncIterable<OutboxRecord>): Promise<number[]> {
  const seqs: number[] = [];
  for await (const r of it) seqs.push(r.seq);
  return seqs;
}

describe('outbox inspection (read-only, for the CLI)', () => {
  it('reports the stats, segments and owner of an outbox that an agent has open', async () => {
    const outbox = createSegmentLogOutbox({ dir, fsyncIntervalMs: 0, segmentBytes: 1024 });
    await outbox.open();
    try {
      for (let i = 1; i <= 40; i += 10) await outbox.append(entries(i, 10));
      await outbox.ack(12);
      const report = await inspectOutbox(dir);
      const { degraded: _runtimeOnly, ...stats } = outbox.stats();
      expect(report.stats).toEqual(stats);
      expect(report.lock).toEqual({ pid: process.pid, live: true });
      expect(report.segments.map((s) => s.count).reduce((a, b) => a + b, 0)).toBe(40 - (report.segments[0]?.firstSeq ?? 1) + 1);
      expect(report.problems).toEqual([]);
    } finally {
      await outbox.close();
    }
    expect((await inspectOutbox(dir)).lock).toBeUndefined();
  });

  it('with retainAcked, reports the acked segments kept on disk, their records and bytes', async () => {
    const outbox = createSegmentLogOutbox({ dir, fsyncIntervalMs: 0, segmentBytes: 1024, retainAcked: true });
    await outbox.open();
    for (let i = 1; i <= 60; i += 10) await outbox.append(entries(i, 10));
    await outbox.ack(60);
    const { bytes } = outbox.stats();
    await outbox.close();
    expect(bytes).toBeGreaterThan(0);
    const report = await inspectOutbox(dir, { retainAcked: true });
    expect(report.segments.reduce((n, s) => n + s.count, 0)).toBe(60);
    expect(report.stats).toMatchObject({ bytes, pending: 0, ackedSeq: 60, lastSeq: 60 });
    expect(report.retained).toEqual({ segments: report.segments.length, records: 60, bytes });
    expect(await collect(iterateRecords(dir))).toHaveLength(60);
    // Without it, acked segments are what the next open deletes: none are reported.
    expect((await inspectOutbox(dir)).segments).toEqual([]);
  });

  it('iterates records in seq order within an inclusive range, across segments', async () => {
    const outbox = createSegmentLogOutbox({ dir, fsyncIntervalMs: 0, segmentBytes: 1024 });
    await outbox.open();
    for (let i = 1; i <= 60; i += 10) await outbox.append(entries(i, 10));
    await outbox.close();
    expect(await collect(iterateRecords(dir))).toEqual(Array.from({ length: 60 }, (_, i) => i + 1));
    expect(await collect(iterateRecords(dir, { fromSeq: 25, toSeq: 31 }))).toEqual([25, 26, 27, 28, 29, 30, 31]);
    expect(await collect(iterateRecords(dir, { fromSeq: 61 }))).toEqual([]);
  });

  it('reports a torn tail without repairing it', async () => {
    const outbox = createSegmentLogOutbox({ dir, fsyncIntervalMs: 0 });
    await outbox.open();
    await outbox.append(entries(1, 3));
    await outbox.close();
    const path = join(dir, 'segments', `${'1'.padStart(20, '0')}.log`);
    const full = await readFile(path);
    await writeFile(path, full.subarray(0, full.length - 4));

    const report = await inspectOutbox(dir);
    expect(report.stats).toMatchObject({ lastSeq: 2, discardedOnRecovery: 1 });
    expect(report.problems).toEqual([expect.objectContaining({ reason: 'torn', discarded: 1 })]);
    expect(await collect(iterateRecords(dir))).toEqual([1, 2]);
    expect((await stat(path)).size).toBe(full.length - 4);
  });
});

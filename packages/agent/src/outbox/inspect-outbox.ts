/**
 * Read-only access to an outbox directory, for tools (`ma outbox inspect|export|replay`).
 * Safe to use while an agent owns the outbox: nothing is locked, truncated or deleted; a record
 * being written at that moment simply ends the read of its segment.
 */
import { open } from 'node:fs/promises';
import { isLive, readLockOwner } from './outbox-lock.js';
import type { OutboxRecord, OutboxStats } from './outbox.js';
import { recoverLog, unackedIn, type OutboxLogger, type RecoveryProblem, type SegmentInfo } from './recover-log.js';
import { listSegments, readSegmentRecords } from './segment-files.js';

export interface OutboxInspection {
  dir: string;
  /** What open() would report after recovery (degraded is never set: that is runtime state). */
  stats: OutboxStats;
  segments: SegmentInfo[];
  /**
   * Segments whose records are all acked and kept only because of `retainAcked` (history for
   * export --all and replay); they are part of `segments` and `stats.bytes`.
   */
  retained: { segments: number; records: number; bytes: number };
  /** Torn or corrupt records that open() would discard. */
  problems: RecoveryProblem[];
  /** The process recorded in `<dir>/LOCK`, if any, and whether it is still running. */
  lock?: { pid: number; live: boolean };
}

const quiet: OutboxLogger = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

/**
 * `retainAcked` must be what the owning agent runs with (outbox.retain_acked): without it,
 * fully acked segments are what open() deletes, and are not reported.
 */
export async function inspectOutbox(dir: string, options: { retainAcked?: boolean } = {}): Promise<OutboxInspection> {
  const rec = await recoverLog(dir, { repair: false, log: quiet, retainAcked: options.retainAcked ?? false });
  const acked = rec.segments.filter((s) => s.lastSeq <= rec.ackedSeq);
  const owner = await readLockOwner(dir);
  const inspection: OutboxInspection = {
    dir,
    stats: {
      lastSeq: rec.lastSeq,
      ackedSeq: rec.ackedSeq,
      pending: rec.segments.reduce((n, s) => n + unackedIn(s, rec.ackedSeq), 0),
      dropped: rec.dropped,
      bytes: rec.segments.reduce((n, s) => n + s.bytes, 0),
      discardedOnRecovery: rec.discarded,
    },
    segments: rec.segments,
    retained: { segments: acked.length, records: acked.reduce((n, s) => n + s.count, 0), bytes: acked.reduce((n, s) => n + s.bytes, 0) },
    problems: rec.problems,
  };
  if (owner) inspection.lock = { pid: owner.pid, live: isLive(owner) };
  return inspection;
}

/**
 * Yields the readable records with fromSeq <= seq <= toSeq, oldest first, segment by segment.
 * Acked records that are still on disk are included; a corrupt record ends its segment.
 */
export async function* iterateRecords(
  dir: string,
  range: { fromSeq?: number; toSeq?: number } = {},
): AsyncGenerator<OutboxRecord, void, undefined> {
  const fromSeq = range.fromSeq ?? 0;
  const toSeq = range.toSeq ?? Number.MAX_SAFE_INTEGER;
  const { segments } = await listSegments(dir);
  for (const [i, seg] of segments.entries()) {
    const next = segments[i + 1];
    if (next && next.firstSeq <= fromSeq) continue; // every record here is below fromSeq
    if (seg.firstSeq > toSeq) return;
    let fh;
    try {
      fh = await open(seg.path, 'r');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') continue; // deleted by its owner meanwhile
      throw e;
    }
    try {
      const size = (await fh.stat()).size;
      for await (const item of readSegmentRecords(fh, 0, size, 256 * 1024)) {
        if (item.kind === 'corrupt') break;
        if (item.kind === 'unparseable' || item.record.seq < fromSeq) continue;
        if (item.record.seq > toSeq) return;
        yield item.record;
      }
    } finally {
      await fh.close();
    }
  }
}

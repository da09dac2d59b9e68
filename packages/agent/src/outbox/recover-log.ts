/**
 * Recovery of an outbox directory after any stop, clean or not.
 *
 * - Every segment is scanned (length and CRC of every record; see scanSegmentFile for JSON).
 * - A bad record in the last segment is the torn tail of an interrupted write: that segment is
 *   truncated to the last good record and one discarded record is counted. Records after the
 *   tear were never fsync'd, so no append() had resolved for them and no reader had seen them.
 * - A bad record in an older segment is real corruption (bit rot, a bad SD card): the records
 *   before it are kept, the rest of that segment is cut off (we cannot find the next record
 *   boundary reliably), logged as an error and counted as the seq gap to the next segment.
 * - Segments whose records are all acked, or all at or below the last drop-oldest, are deleted.
 * - Readings that were only in memory when the process died (the disk was full; the state file
 *   records the newest seq held that way) and are on no segment are counted as dropped now,
 *   once: produced = stored + dropped stays exact across kill -9.
 * - lastSeq = max(last record, acked cursor, last dropped or held seq): a seq that may have been
 *   sent, or was counted as dropped, is never handed out again, even when every segment is gone.
 *
 * With `repair: false` (inspection of a live or foreign outbox) nothing is modified; the result
 * describes what open() would recover.
 */
import { open } from 'node:fs/promises';
import { errnoCode, unlinkIfExists } from './durable-file.js';
import type { Logger } from '../logger.js';
import { readOutboxState, type LoadedState } from './outbox-state.js';
import { listSegments, scanSegmentFile, type ProblemReason } from './segment-files.js';

export type OutboxLogger = Pick<Logger, 'debug' | 'info' | 'warn' | 'error'>;

export interface SegmentInfo {
  path: string;
  firstSeq: number;
  lastSeq: number;
  /** Records in the segment (seqs may have gaps only after corruption or failed writes). */
  count: number;
  /** Durable size in bytes; readers never look past it. */
  bytes: number;
}

export interface RecoveryProblem {
  path: string;
  offset: number;
  reason: ProblemReason;
  discarded: number;
}

export interface RecoveredLog {
  segments: SegmentInfo[];
  lastSeq: number;
  ackedSeq: number;
  dropped: number;
  droppedThroughSeq: number;
  lostThroughSeq: number;
  heldThroughSeq: number;
  /** Readings held only in memory by a process that died, counted into `dropped` by this recovery. */
  lostInMemory: number;
  discarded: number;
  problems: RecoveryProblem[];
  /** The state as read from disk, before this recovery (open() writes the recovered one). */
  loaded: LoadedState;
}

export async function recoverLog(dir: string, opts: { repair: boolean; log: OutboxLogger; retainAcked?: boolean }): Promise<RecoveredLog> {
  const { repair, log } = opts;
  const loaded = await readOutboxState(dir);
  if (loaded.invalid) {
    log.error({ dir, source: loaded.source }, 'outbox state is unreadable; the acked cursor starts from 0 (records will be re-sent; the server deduplicates) and the dropped counter from 0');
  }
  const { ackedSeq, droppedThroughSeq, heldThroughSeq } = loaded.state;
  let { dropped, lostThroughSeq } = loaded.state;

  const { segments: files, strays } = await listSegments(dir);
  if (strays.length > 0) log.warn({ strays }, 'outbox segments directory holds files that are not segments; ignoring them');

  const segments: SegmentInfo[] = [];
  const problems: RecoveryProblem[] = [];
  for (const [i, file] of files.entries()) {
    const isLast = i === files.length - 1;
    let scan;
    try {
      scan = await scanSegmentFile(file.path, isLast);
    } catch (e) {
      // Inspecting a live outbox: its owner deleted this (acked) segment since we listed it.
      if (errnoCode(e) === 'ENOENT') continue;
      throw e;
    }
    if (scan.problem) {
      const next = files[i + 1];
      const lastGood = scan.lastSeq ?? file.firstSeq - 1;
      const discarded = next ? Math.max(1, next.firstSeq - 1 - lastGood) : 1;
      problems.push({ path: file.path, ...scan.problem, discarded });
      const fields = { segment: file.path, offset: scan.problem.offset, reason: scan.problem.reason, discarded };
      if (isLast) log.warn(fields, 'outbox: discarding the torn tail of the last segment (an interrupted write)');
      else log.error(fields, 'outbox: corrupt record in a sealed segment; keeping the records before it, cutting off the rest');
      if (repair) await truncateDurably(file.path, scan.goodBytes);
    }
    if (scan.count === 0 || scan.firstSeq === undefined || scan.lastSeq === undefined) {
      if (repair) await unlinkIfExists(file.path);
      continue;
    }
    if (scan.firstSeq !== file.firstSeq) {
      log.warn({ segment: file.path, firstSeq: scan.firstSeq }, 'outbox segment name does not match its first record');
    }
    segments.push({ path: file.path, firstSeq: scan.firstSeq, lastSeq: scan.lastSeq, count: scan.count, bytes: scan.goodBytes });
  }

  // Seqs up to heldThroughSeq were handed out; those on no segment, never acked and not yet
  // counted died in memory with the process.
  const accounted = Math.max(segments.at(-1)?.lastSeq ?? 0, ackedSeq, droppedThroughSeq, lostThroughSeq);
  const lostInMemory = Math.max(0, heldThroughSeq - accounted);
  if (lostInMemory > 0) {
    dropped += lostInMemory;
    lostThroughSeq = heldThroughSeq;
    log.error({ dir, count: lostInMemory, firstSeq: accounted + 1, lastSeq: heldThroughSeq }, 'outbox: readings held in memory while the disk was full were lost when the agent stopped; counted as dropped');
  }
  const lastSeq = Math.max(segments.at(-1)?.lastSeq ?? 0, ackedSeq, droppedThroughSeq, lostThroughSeq, heldThroughSeq);
  // Finish deletions that a crash interrupted: fully acked segments, and segments already
  // counted as dropped (the last segment stays unless acked: it carries lastSeq).
  while (segments.length > 0) {
    const seg = segments[0] as SegmentInfo;
    // With retainAcked, fully acked segments are history the operator asked to keep.
    const acked = seg.lastSeq <= ackedSeq && !opts.retainAcked;
    const alreadyDropped = seg.lastSeq <= droppedThroughSeq && segments.length > 1;
    if (!acked && !alreadyDropped) break;
    if (repair) await unlinkIfExists(seg.path);
    segments.shift();
  }
  const discarded = problems.reduce((n, p) => n + p.discarded, 0);
  return { segments, lastSeq, ackedSeq, dropped, droppedThroughSeq, lostThroughSeq, heldThroughSeq, lostInMemory, discarded, problems, loaded };
}

/** Records of `seg` above the acked cursor (exact unless the segment has seq gaps). */
export function unackedIn(seg: SegmentInfo, ackedSeq: number): number {
  const n = seg.lastSeq - Math.max(ackedSeq, seg.firstSeq - 1);
  return Math.min(Math.max(n, 0), seg.count);
}

async function truncateDurably(path: string, size: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.truncate(size);
    await fh.datasync();
  } finally {
    await fh.close();
  }
}

export { unlinkIfExists };

/**
 * The agent's durable outbox as a directory of append-only segment files (ARCHITECTURE.md §4).
 *
 *   <dir>/LOCK                       owner pid (outbox-lock.ts)
 *   <dir>/state                      acked cursor and drop accounting, preallocated and
 *                                    overwritten in place, so it can always be written (outbox-state.ts)
 *   <dir>/segments/<first seq>.log   records (format: record-format.ts), rotated at segmentBytes
 *
 * Durability policy
 * - append() resolves only after its records are written and fdatasync'd (and, for a new
 *   segment, the directory entry fsync'd). Power loss loses nothing that append() resolved.
 * - Group commit: the first append starts a timer of `fsyncIntervalMs` (default 200 ms); every
 *   append that arrives before it fires shares one write + fdatasync. 0 means "flush as soon as
 *   possible": appends still coalesce while a previous flush is in progress. The latency of an
 *   append is thus at most fsyncIntervalMs plus one flush.
 * - Readers (readAfter) only ever see records that are durable.
 * - Disk full (ENOSPC/EDQUOT) is the one exception: the records stay in a bounded memory buffer
 *   (`memoryBufferMax`, drop-oldest beyond it, counted), stats().degraded is 'disk_full', and
 *   append() resolves once its records are buffered, NOT durable. Before it resolves, the state
 *   file records the newest seq held in memory, so if the process dies with them, the next open
 *   counts them as dropped. Writing is retried on every later flush and every second; once
 *   written they behave normally. Buffered records are not readable (so never sent). Other write
 *   errors reject the affected appends with a storage MaError (and count them as dropped).
 * - The full disk never wedges the outbox: the state file is preallocated and overwritten in
 *   place, so acks still advance the cursor and delete acked segments (the active one too, and
 *   retained ones). The active segment is sealed when the disk fills, and while free space is
 *   below 2 x segmentBytes segments are rolled at LOW_DISK_SEGMENT_BYTES, so acking part of a
 *   backlog frees space long before all of it is acked.
 * - close({ deadline }) writes what it can until the deadline; whatever then is only in memory is
 *   counted as dropped. abandon() does the same synchronously, for an exit that cannot wait.
 * - A failed write is rolled back (truncated to the last good size), so the log never holds
 *   records whose append() was rejected or retried.
 * - Size bound: before a write would take the segments past `maxBytes`, the oldest sealed
 *   segments are deleted, acked or not; unacked records deleted that way are counted in
 *   stats().dropped (persisted in state.json) and reported through onDrop.
 */
import { mkdir, open, statfs, type FileHandle } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';
import { fsyncDir, isDiskFull } from './durable-file.js';
import { acquireLock, type OutboxLock } from './outbox-lock.js';
import { STATE_FILE_BYTES, StateFile, type OutboxState } from './outbox-state.js';
import type { Outbox, OutboxCloseOptions, OutboxEntry, OutboxRecord, OutboxStats } from './outbox.js';
import { encodeRecord, toRecord } from './record-format.js';
import { recoverLog, unackedIn, unlinkIfExists, type OutboxLogger, type SegmentInfo } from './recover-log.js';
import { segmentFileName, segmentsDir } from './segment-files.js';
import { SegmentReader } from './segment-reader.js';

export type { OutboxLogger } from './recover-log.js';

/** The OS boundary for segment writes; replaced only by tests that inject faults such as ENOSPC. */
export interface SegmentFs {
  /** Writes some prefix of `data` at `position`; returns the number of bytes written. */
  write(fh: FileHandle, data: Buffer, position: number): Promise<number>;
  datasync(fh: FileHandle): Promise<void>;
  /** Bytes an unprivileged writer can still use on the filesystem holding `dir` (default: statfs). */
  freeBytes?(dir: string): Promise<number>;
}

export interface SegmentLogOutboxOptions {
  dir: string;
  /** A segment is sealed and a new one started once it would exceed this. Default 4 MiB. */
  segmentBytes?: number;
  /** Bound on all segments together; oldest segments are dropped beyond it. Default 256 MiB. */
  maxBytes?: number;
  /** Group-commit window. Default 200; 0 = flush each append immediately. */
  fsyncIntervalMs?: number;
  /** Records kept in memory while the disk is full. Default 10,000. */
  memoryBufferMax?: number;
  log?: OutboxLogger;
  /** Unacked records were dropped, `count` of them in [firstSeq, lastSeq] (see DropReason). */
  onDrop?: (count: number, firstSeq: number, lastSeq: number, reason: DropReason) => void;
  /** The disk filled up (true: new records are held in memory) or has room again (false). */
  onDiskFull?: (full: boolean) => void;
  /**
   * Segments holding unacked records crossed `nearlyFullPct` of maxBytes (re-armed once they
   * fall 10 points below): the drop-oldest bound is getting close.
   */
  onNearlyFull?: (pctUsed: number) => void;
  /** Default 80. */
  nearlyFullPct?: number;
  /**
   * Keep fully acked segments until the size bound needs their space (they go first, uncounted,
   * since the server has them), so tools can export or replay them. Default false: delete on ack.
   * While the disk is full, acked segments are deleted anyway to make room.
   */
  retainAcked?: boolean;
  fsImpl?: SegmentFs;
}

/**
 * Why records were dropped: the size bound (maxBytes), the memory buffer while the disk was full,
 * a close that could not write them, a crash that lost them in memory (counted at the next
 * open), or a write error other than a full disk.
 */
export type DropReason = 'size_bound' | 'memory_buffer' | 'closed' | 'lost_in_crash' | 'write_failed';

export const DEFAULT_SEGMENT_BYTES = 4 * 1024 * 1024;
export const DEFAULT_MAX_BYTES = 256 * 1024 * 1024;
const DISK_FULL_RETRY_MS = 1000;
/** While degraded, buffered records are written in slices of about this size. */
const DEGRADED_SLICE_BYTES = 256 * 1024;
/** Segment size while the disk is low: acking a part of a backlog frees space in steps this big. */
export const LOW_DISK_SEGMENT_BYTES = 64 * 1024;
/** How often free space is sampled (statfs) at most. */
const FREE_SPACE_SAMPLE_MS = 500;
const NEARLY_FULL_PCT = 80;
const NEARLY_FULL_REARM_POINTS = 10;

export function createSegmentLogOutbox(options: SegmentLogOutboxOptions): Outbox {
  return new SegmentLogOutbox(options);
}

interface Batch {
  records: OutboxRecord[];
  remaining: number;
  settled: boolean;
  resolve(records: OutboxRecord[]): void;
  reject(error: Error): void;
}

interface PendingRecord {
  record: OutboxRecord;
  frame: Buffer;
  batch: Batch;
}

/** The part of one flush that goes into one segment file. */
interface Chunk {
  path: string;
  firstSeq: number;
  startBytes: number;
  created: boolean;
  fh?: FileHandle;
  items: PendingRecord[];
  bytes: number;
}

const noop = (): void => undefined;
const silent: OutboxLogger = { debug: noop, info: noop, warn: noop, error: noop };
const defaultFs: SegmentFs = {
  write: async (fh, data, position) => (await fh.write(data, 0, data.length, position)).bytesWritten,
  datasync: (fh) => fh.datasync(),
};
async function defaultFreeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return s.bavail * s.bsize;
}

class SegmentLogOutbox implements Outbox {
  private readonly dir: string;
  private readonly segDir: string;
  private readonly segmentBytes: number;
  private readonly maxBytes: number;
  private readonly fsyncIntervalMs: number;
  private readonly memoryBufferMax: number;
  private readonly log: OutboxLogger;
  private readonly fs: SegmentFs;

  private state: 'new' | 'opening' | 'open' | 'closing' | 'closed' = 'new';
  private lock: OutboxLock | undefined;
  private segments: SegmentInfo[] = [];
  private active: { seg: SegmentInfo; fh: FileHandle } | undefined;
  private totalBytes = 0;
  private lastSeq = 0;
  private persistedSeq = 0;
  private ackedSeq = 0;
  private dropped = 0;
  private droppedThroughSeq = 0;
  private lostThroughSeq = 0;
  private heldThroughSeq = 0;
  private stateFile: StateFile | undefined;
  private stateDirty = false;
  /** Free space is below 2 x segmentBytes: roll segments small (see LOW_DISK_SEGMENT_BYTES). */
  private lowDisk = false;
  private freeSampledAt = 0;
  /** Start a new segment with the next write (the disk filled up while this one was active). */
  private rollNext = false;
  private lastFlushFailed = false;
  private discardedOnRecovery = 0;
  private nearlyFull = false;

  private pending: PendingRecord[] = [];
  private degraded = false;
  private flushTimer: NodeJS.Timeout | undefined;
  private flushSoon = false;
  private retryTimer: NodeJS.Timeout | undefined;
  /** Serialises flushes, reads, acks and close: one file operation sequence at a time. */
  private tail: Promise<unknown> = Promise.resolve();

  private readonly reader: SegmentReader;

  constructor(options: SegmentLogOutboxOptions) {
    this.dir = options.dir;
    this.segDir = segmentsDir(options.dir);
    this.segmentBytes = options.segmentBytes ?? DEFAULT_SEGMENT_BYTES;
    this.maxBytes = options.maxBytes ?? DEFAULT_MAX_BYTES;
    this.fsyncIntervalMs = options.fsyncIntervalMs ?? 200;
    this.memoryBufferMax = options.memoryBufferMax ?? 10_000;
    this.log = options.log ?? silent;
    this.reader = new SegmentReader(this.log);
    this.fs = options.fsImpl ?? defaultFs;
    this.onDrop = options.onDrop;
    this.onDiskFull = options.onDiskFull;
    this.onNearlyFull = options.onNearlyFull;
    this.nearlyFullPct = options.nearlyFullPct ?? NEARLY_FULL_PCT;
    this.retainAcked = options.retainAcked ?? false;
    const problems: string[] = [];
    if (!Number.isSafeInteger(this.segmentBytes) || this.segmentBytes < 1024) problems.push(`segmentBytes must be an integer >= 1024 (got ${this.segmentBytes})`);
    if (!Number.isSafeInteger(this.maxBytes) || this.maxBytes < 2 * this.segmentBytes) problems.push(`maxBytes must be at least 2 x segmentBytes (got ${this.maxBytes})`);
    if (!Number.isFinite(this.fsyncIntervalMs) || this.fsyncIntervalMs < 0) problems.push(`fsyncIntervalMs must be >= 0 (got ${this.fsyncIntervalMs})`);
    if (!Number.isSafeInteger(this.memoryBufferMax) || this.memoryBufferMax < 1) problems.push(`memoryBufferMax must be an integer >= 1 (got ${this.memoryBufferMax})`);
    if (problems.length > 0) throw new MaError(ErrorCode.ConfigInvalid, `outbox options for ${this.dir}: ${problems.join('; ')}`);
  }

  private readonly onDrop: SegmentLogOutboxOptions['onDrop'];
  private readonly onDiskFull: SegmentLogOutboxOptions['onDiskFull'];
  private readonly onNearlyFull: SegmentLogOutboxOptions['onNearlyFull'];
  private readonly nearlyFullPct: number;
  private readonly retainAcked: boolean;

  async open(): Promise<void> {
    if (this.state !== 'new') throw new MaError(ErrorCode.Internal, `outbox ${this.dir} was already opened`);
    this.state = 'opening';
    if ((await mkdir(this.segDir, { recursive: true })) !== undefined) {
      // Newly created: make the directories themselves durable before anything is acknowledged.
      await fsyncDir(this.dir);
      await fsyncDir(dirname(this.dir));
    }
    const lock = await acquireLock(this.dir);
    if (lock.tookOverFrom) this.log.warn({ dir: this.dir, stalePid: lock.tookOverFrom.pid }, 'outbox: took over a stale lock');
    try {
      const rec = await recoverLog(this.dir, { repair: true, log: this.log, retainAcked: this.retainAcked });
      this.segments = rec.segments;
      this.totalBytes = rec.segments.reduce((n, s) => n + s.bytes, 0);
      this.lastSeq = this.persistedSeq = rec.lastSeq;
      this.ackedSeq = rec.ackedSeq;
      this.dropped = rec.dropped;
      this.droppedThroughSeq = rec.droppedThroughSeq;
      this.lostThroughSeq = rec.lostThroughSeq;
      this.heldThroughSeq = rec.heldThroughSeq;
      this.discardedOnRecovery = rec.discarded;
      try {
        this.stateFile = await StateFile.open(this.dir, rec.loaded);
      } catch (e) {
        if (!isDiskFull(e)) throw e;
        throw new MaError(ErrorCode.StorageFull, `outbox ${this.dir}: no space to create its ${STATE_FILE_BYTES / 1024} KiB state file; free some space on that filesystem`, { cause: e });
      }
      // The recovered state (e.g. readings lost in memory, counted now) is what counts from here.
      if (rec.lostInMemory > 0 || rec.loaded.source !== 'state') await this.writeState();
      if (rec.lostInMemory > 0) {
        const n = rec.lostInMemory;
        this.callHook('onDrop', () => this.onDrop?.(n, rec.heldThroughSeq - n + 1, rec.heldThroughSeq, 'lost_in_crash'));
      }
      const last = this.segments.at(-1);
      if (last && last.bytes < this.segmentBytes) this.active = { seg: last, fh: await open(last.path, 'r+') };
      await this.enforceSizeBound(0);
    } catch (e) {
      await this.active?.fh.close();
      await this.stateFile?.close();
      this.stateFile = undefined;
      await lock.release();
      this.state = 'new';
      throw e;
    }
    this.lock = lock;
    this.state = 'open';
    this.updateFullness();
    this.log.info({ dir: this.dir, ...this.stats(), segments: this.segments.length }, 'outbox opened');
  }

  async append(entries: OutboxEntry[]): Promise<OutboxRecord[]> {
    this.assertOpen();
    if (entries.length === 0) return [];
    // Validate and encode before taking seqs, so a bad entry costs no seq.
    const records = entries.map((e, i) => toRecord(this.lastSeq + 1 + i, e));
    const frames = records.map(encodeRecord);
    this.lastSeq += records.length;
    return new Promise<OutboxRecord[]>((resolve, reject) => {
      const batch: Batch = { records, remaining: records.length, settled: false, resolve, reject };
      records.forEach((record, i) => this.pending.push({ record, frame: frames[i] as Buffer, batch }));
      this.scheduleFlush();
    });
  }

  async readAfter(afterSeq: number, max: number): Promise<OutboxRecord[]> {
    this.assertOpen();
    return this.exclusive(() => this.readDurable(afterSeq, max));
  }

  async ack(seq: number): Promise<void> {
    this.assertOpen();
    return this.exclusive(() => this.ackDurably(seq));
  }

  stats(): OutboxStats {
    const stats: OutboxStats = {
      lastSeq: this.lastSeq,
      ackedSeq: this.ackedSeq,
      pending: this.segments.reduce((n, s) => n + this.unackedIn(s), 0) + this.pending.length,
      dropped: this.dropped,
      bytes: this.totalBytes,
      discardedOnRecovery: this.discardedOnRecovery,
    };
    if (this.degraded) stats.degraded = 'disk_full';
    return stats;
  }

  async close(options: OutboxCloseOptions = {}): Promise<void> {
    if (this.state !== 'open') return;
    this.state = 'closing';
    const deadline = options.deadline ?? Infinity;
    clearTimeout(this.flushTimer);
    clearTimeout(this.retryTimer);
    // Write what is pending; while degraded that takes one slice per attempt, until one fails
    // or the deadline passes.
    for (let before = Infinity; this.pending.length > 0 && this.pending.length < before && Date.now() < deadline; ) {
      before = this.pending.length;
      await this.exclusive(() => this.flushPending());
    }
    if (this.state !== 'closing') return; // abandon() ran meanwhile
    this.state = 'closed';
    await this.exclusive(async () => {
      this.countLostPending('closed');
      if (this.stateDirty) await this.persistState();
      await this.active?.fh.close();
      this.active = undefined;
      await this.reader.close();
      await this.stateFile?.close();
      this.stateFile = undefined;
    });
    await this.lock?.release();
    this.lock = undefined;
  }

  abandon(): void {
    if (this.state !== 'open' && this.state !== 'closing') return;
    this.state = 'closed';
    clearTimeout(this.flushTimer);
    clearTimeout(this.retryTimer);
    this.countLostPending('abandoned');
    const file = this.stateFile;
    this.stateFile = undefined;
    if (!file) return;
    try {
      file.writeSync(this.currentState());
      this.stateDirty = false;
    } catch (e) {
      this.log.error({ dir: this.dir, err: e }, 'outbox: could not write its state while abandoning; the next start counts the readings held in memory as dropped');
    }
    file.closeSync();
    // The LOCK file stays: it names this pid, which is about to exit, so the next start takes it over.
  }

  /** Counts (and rejects) every record that is only in memory now: it will never be written. */
  private countLostPending(how: 'closed' | 'abandoned'): void {
    const lost = this.pending.splice(0);
    if (lost.length === 0) return;
    const firstSeq = (lost[0] as PendingRecord).record.seq;
    const lastSeq = (lost[lost.length - 1] as PendingRecord).record.seq;
    this.dropped += lost.length;
    this.lostThroughSeq = Math.max(this.lostThroughSeq, lastSeq);
    this.stateDirty = true;
    this.log.error({ dir: this.dir, count: lost.length, firstSeq, lastSeq }, `outbox ${how} with readings that could not be written; they are lost and counted as dropped`);
    const error = new MaError(ErrorCode.StorageFull, `outbox ${this.dir} ${how} before these records could be written`);
    for (const p of lost) this.settle(p.batch, error);
    this.callHook('onDrop', () => this.onDrop?.(lost.length, firstSeq, lastSeq, 'closed'));
  }

  // ---- group commit -------------------------------------------------------------------------

  private scheduleFlush(): void {
    if (this.flushTimer || this.flushSoon) return;
    if (this.fsyncIntervalMs === 0) {
      this.flushSoon = true;
      setImmediate(() => {
        this.flushSoon = false;
        void this.runFlush();
      });
    } else {
      this.flushTimer = setTimeout(() => {
        this.flushTimer = undefined;
        void this.runFlush();
      }, this.fsyncIntervalMs);
    }
  }

  private async runFlush(): Promise<void> {
    if (this.state !== 'open') return;
    await this.exclusive(() => this.flushPending());
    if (this.state !== 'open' || this.pending.length === 0) return;
    if (!this.lastFlushFailed) this.scheduleFlush();
    else if (!this.retryTimer) {
      this.retryTimer = setTimeout(() => {
        this.retryTimer = undefined;
        void this.runFlush();
      }, DISK_FULL_RETRY_MS);
      this.retryTimer.unref();
    }
  }

  /** Writes the pending records (while degraded, one slice of them) with one write + fsync. */
  private async flushPending(): Promise<void> {
    if (this.pending.length === 0) return;
    let take = this.pending.length;
    if (this.degraded) {
      let bytes = 0;
      take = 0;
      while (take < this.pending.length && bytes < DEGRADED_SLICE_BYTES) bytes += (this.pending[take++] as PendingRecord).frame.length;
    }
    const items = this.pending.slice(0, take);
    try {
      await this.writeDurably(items);
    } catch (e) {
      this.lastFlushFailed = true;
      await this.onWriteFailed(items, e);
      return;
    }
    this.lastFlushFailed = false;
    this.pending.splice(0, take);
    for (const item of items) {
      if (--item.batch.remaining === 0) this.settle(item.batch);
    }
    if (this.degraded && this.pending.length === 0) {
      this.degraded = false;
      this.log.info({ dir: this.dir }, 'outbox: disk has space again; buffered records are written');
      this.callHook('onDiskFull', () => this.onDiskFull?.(false));
    }
    if (this.stateDirty) await this.persistState();
    this.updateFullness();
  }

  private async onWriteFailed(items: PendingRecord[], error: unknown): Promise<void> {
    if (isDiskFull(error)) {
      if (!this.degraded) {
        this.log.error({ dir: this.dir, err: error }, 'outbox: disk full; keeping new records in memory until they can be written');
        this.degraded = true;
        // Seal the segment being written: once its records are acked it goes as a whole, and
        // what follows starts in a new (small, see lowDisk) segment.
        this.rollNext = true;
        this.lowDisk = true;
        this.callHook('onDiskFull', () => this.onDiskFull?.(true));
      }
      this.enforceMemoryBound();
      // Every record now held in memory is accepted: record the newest one before saying so,
      // so that a crash in this state is counted at the next open, not silently forgotten.
      this.heldThroughSeq = Math.max(this.heldThroughSeq, this.lastSeq);
      await this.persistState();
      for (const p of this.pending) this.settle(p.batch);
      return;
    }
    this.log.error({ dir: this.dir, err: error }, 'outbox: writing a segment failed; the affected appends are rejected');
    const failed = new Set(items.filter((i) => !i.batch.settled).map((i) => i.batch));
    const removed = this.pending.filter((p) => failed.has(p.batch));
    this.pending = this.pending.filter((p) => !failed.has(p.batch));
    if (removed.length > 0) {
      // Their seqs are used up: count them, so produced = stored + dropped stays exact.
      const firstSeq = (removed[0] as PendingRecord).record.seq;
      const lastSeq = (removed[removed.length - 1] as PendingRecord).record.seq;
      this.dropped += removed.length;
      this.lostThroughSeq = Math.max(this.lostThroughSeq, lastSeq);
      await this.persistState();
      this.callHook('onDrop', () => this.onDrop?.(removed.length, firstSeq, lastSeq, 'write_failed'));
    }
    const reason = new MaError(ErrorCode.StorageFailed, `could not write to outbox ${this.dir}: ${String(error)}`, { cause: error });
    for (const batch of failed) this.settle(batch, reason);
  }

  private settle(batch: Batch, error?: Error): void {
    if (batch.settled) return;
    batch.settled = true;
    if (error) batch.reject(error);
    else batch.resolve(batch.records);
  }

  private enforceMemoryBound(): void {
    const excess = this.pending.length - this.memoryBufferMax;
    if (excess <= 0) return;
    const lost = this.pending.splice(0, excess);
    for (const p of lost) this.settle(p.batch);
    const firstSeq = (lost[0] as PendingRecord).record.seq;
    const lastSeq = (lost[lost.length - 1] as PendingRecord).record.seq;
    this.dropped += excess;
    this.lostThroughSeq = Math.max(this.lostThroughSeq, lastSeq);
    this.stateDirty = true;
    this.log.warn({ dir: this.dir, count: excess, firstSeq, lastSeq }, 'outbox: memory buffer full while the disk is full; dropped the oldest records');
    this.callHook('onDrop', () => this.onDrop?.(excess, firstSeq, lastSeq, 'memory_buffer'));
  }

  // ---- writing -----------------------------------------------------------------------------

  /** All or nothing: either every item is durable and indexed, or the files are as before. */
  private async writeDurably(items: PendingRecord[]): Promise<void> {
    await this.sampleFreeSpace();
    const chunks = this.planChunks(items);
    await this.enforceSizeBound(chunks.reduce((n, c) => n + c.bytes, 0));
    try {
      for (const chunk of chunks) {
        chunk.fh = chunk.created ? await open(chunk.path, 'wx') : this.active?.fh;
        if (!chunk.fh) throw new MaError(ErrorCode.Internal, 'outbox: no handle for the active segment');
        await this.writeAll(chunk.fh, Buffer.concat(chunk.items.map((i) => i.frame), chunk.bytes), chunk.startBytes);
        await this.fs.datasync(chunk.fh);
      }
      if (chunks.some((c) => c.created)) await fsyncDir(this.segDir);
    } catch (e) {
      await this.rollback(chunks);
      throw e;
    }
    for (const chunk of chunks) this.commitChunk(chunk);
  }

  private planChunks(items: PendingRecord[]): Chunk[] {
    const chunks: Chunk[] = [];
    let current: Chunk | undefined;
    if (this.active) {
      const seg = this.active.seg;
      current = { path: seg.path, firstSeq: seg.firstSeq, startBytes: seg.bytes, created: false, items: [], bytes: 0 };
    }
    const limit = this.lowDisk ? Math.min(this.segmentBytes, LOW_DISK_SEGMENT_BYTES) : this.segmentBytes;
    let roll = this.rollNext;
    for (const item of items) {
      const size = current ? current.startBytes + current.bytes : 0;
      if (!current || (size > 0 && (roll || size + item.frame.length > limit))) {
        roll = false;
        if (current && current.items.length > 0) chunks.push(current);
        const seq = item.record.seq;
        current = { path: join(this.segDir, segmentFileName(seq)), firstSeq: seq, startBytes: 0, created: true, items: [], bytes: 0 };
      }
      current.items.push(item);
      current.bytes += item.frame.length;
    }
    if (current && current.items.length > 0) chunks.push(current);
    return chunks;
  }

  private async writeAll(fh: FileHandle, data: Buffer, position: number): Promise<void> {
    let done = 0;
    while (done < data.length) {
      const n = await this.fs.write(fh, data.subarray(done), position + done);
      if (n <= 0) throw new MaError(ErrorCode.StorageFailed, `outbox: write to ${this.dir} made no progress`);
      done += n;
    }
  }

  private async rollback(chunks: Chunk[]): Promise<void> {
    for (const chunk of [...chunks].reverse()) {
      if (!chunk.fh) continue;
      try {
        if (chunk.created) {
          await chunk.fh.close();
          await unlinkIfExists(chunk.path);
        } else {
          await chunk.fh.truncate(chunk.startBytes);
        }
      } catch (e) {
        // The next recovery scan repairs whatever is left: the torn part is discarded there.
        this.log.error({ segment: chunk.path, err: e }, 'outbox: could not roll back a failed write');
      }
    }
  }

  private commitChunk(chunk: Chunk): void {
    const lastSeq = (chunk.items[chunk.items.length - 1] as PendingRecord).record.seq;
    if (chunk.created) {
      const fh = chunk.fh as FileHandle;
      const previous = this.active;
      const seg: SegmentInfo = { path: chunk.path, firstSeq: chunk.firstSeq, lastSeq, count: 0, bytes: 0 };
      this.segments.push(seg);
      this.active = { seg, fh };
      this.rollNext = false;
      if (previous) void previous.fh.close().catch((e: unknown) => this.log.warn({ err: e }, 'outbox: closing a sealed segment failed'));
    }
    const seg = (this.active as { seg: SegmentInfo }).seg;
    seg.lastSeq = lastSeq;
    seg.count += chunk.items.length;
    seg.bytes += chunk.bytes;
    this.totalBytes += chunk.bytes;
    this.persistedSeq = lastSeq;
  }

  private async sampleFreeSpace(): Promise<void> {
    const now = Date.now();
    if (now - this.freeSampledAt < FREE_SPACE_SAMPLE_MS) return;
    this.freeSampledAt = now;
    let free: number;
    try {
      free = await (this.fs.freeBytes ?? defaultFreeBytes)(this.segDir);
    } catch (e) {
      this.log.debug({ dir: this.dir, err: e }, 'outbox: could not sample free space');
      return;
    }
    const low = free < 2 * this.segmentBytes;
    if (low && !this.lowDisk) this.log.warn({ dir: this.dir, freeBytes: free }, 'outbox: disk space is low; rolling small segments so acknowledged readings free space sooner');
    this.lowDisk = low;
  }

  // ---- size bound ---------------------------------------------------------------------------

  /** Drops the oldest sealed segments until `incoming` more bytes fit under maxBytes. */
  private async enforceSizeBound(incoming: number): Promise<void> {
    while (this.totalBytes + incoming > this.maxBytes && this.segments.length > 0) {
      const seg = this.segments[0] as SegmentInfo;
      if (this.active?.seg === seg) break;
      const lost = this.unackedIn(seg);
      this.dropped += lost;
      this.droppedThroughSeq = Math.max(this.droppedThroughSeq, seg.lastSeq);
      await this.persistState(); // counted before deleted, so a crash cannot lose the count
      await this.deleteSegment(seg);
      if (lost > 0) {
        const firstSeq = Math.max(seg.firstSeq, this.ackedSeq + 1);
        this.log.warn({ dir: this.dir, count: lost, firstSeq, lastSeq: seg.lastSeq }, 'outbox: size bound reached; dropped the oldest unacked records');
        this.callHook('onDrop', () => this.onDrop?.(lost, firstSeq, seg.lastSeq, 'size_bound'));
      }
    }
  }

  private currentState(): OutboxState {
    return {
      ackedSeq: this.ackedSeq,
      dropped: this.dropped,
      droppedThroughSeq: this.droppedThroughSeq,
      lostThroughSeq: this.lostThroughSeq,
      heldThroughSeq: this.heldThroughSeq,
    };
  }

  /** Writes the state file; throws what the write threw. */
  private async writeState(): Promise<void> {
    if (!this.stateFile) throw new MaError(ErrorCode.Internal, `outbox ${this.dir}: the state file is not open`);
    await this.stateFile.write(this.currentState());
    this.stateDirty = false;
  }

  /** Writes the state file; a failure is logged and retried with the next write. */
  private async persistState(): Promise<void> {
    try {
      await this.writeState();
    } catch (e) {
      if (!this.stateDirty) this.log.warn({ dir: this.dir, err: e }, 'outbox: could not persist its state (dropped counter); will retry');
      this.stateDirty = true;
    }
  }

  private updateFullness(): void {
    // Only segments with unacked records count: retained acked ones make room without loss.
    let unackedBytes = 0;
    for (const seg of this.segments) if (seg.lastSeq > this.ackedSeq) unackedBytes += seg.bytes;
    const pct = (unackedBytes / this.maxBytes) * 100;
    if (!this.nearlyFull && pct >= this.nearlyFullPct) {
      this.nearlyFull = true;
      this.log.warn({ dir: this.dir, pctUsed: pct }, 'outbox nearly full');
      this.callHook('onNearlyFull', () => this.onNearlyFull?.(pct));
    } else if (this.nearlyFull && pct < this.nearlyFullPct - NEARLY_FULL_REARM_POINTS) {
      this.nearlyFull = false;
    }
  }

  private unackedIn(seg: SegmentInfo): number {
    return unackedIn(seg, this.ackedSeq);
  }

  // ---- reading and acking -------------------------------------------------------------------

  private async readDurable(afterSeq: number, max: number): Promise<OutboxRecord[]> {
    if (max <= 0 || afterSeq >= this.persistedSeq) return [];
    return this.reader.read(this.segments, afterSeq, max);
  }

  private async ackDurably(seq: number): Promise<void> {
    if (!Number.isSafeInteger(seq) || seq < 0) throw new MaError(ErrorCode.InputInvalid, `outbox ack: ${seq} is not a seq`);
    if (seq <= this.ackedSeq) return;
    if (seq > this.persistedSeq) {
      throw new MaError(ErrorCode.InputInvalid, `outbox ack: seq ${seq} was never readable (stored up to ${this.persistedSeq})`);
    }
    this.ackedSeq = seq;
    let cursorError: unknown;
    try {
      await this.writeState();
    } catch (e) {
      this.stateDirty = true;
      cursorError = e;
    }
    // The server has these records whatever happens to our cursor, so sealed segments can go
    // (this is also what frees space on a full disk). The active segment carries lastSeq and
    // may go only once the cursor is durable: recovery then takes lastSeq from the cursor.
    while (this.segments.length > 0 && (!this.retainAcked || this.degraded || this.lowDisk)) {
      const seg = this.segments[0] as SegmentInfo;
      if (seg.lastSeq > seq || (this.active?.seg === seg && cursorError !== undefined)) break;
      await this.deleteSegment(seg);
    }
    this.updateFullness();
    if (cursorError !== undefined) {
      const code = isDiskFull(cursorError) ? ErrorCode.StorageFull : ErrorCode.StorageFailed;
      throw new MaError(code, `outbox ${this.dir}: could not store the acked cursor ${seq}: ${String(cursorError)}`, { cause: cursorError });
    }
  }

  private async deleteSegment(seg: SegmentInfo): Promise<void> {
    if (this.active?.seg === seg) {
      await this.active.fh.close();
      this.active = undefined;
    }
    await this.reader.forget(seg.path);
    await unlinkIfExists(seg.path);
    this.segments.splice(this.segments.indexOf(seg), 1);
    this.totalBytes -= seg.bytes;
  }

  // ---- plumbing ---------------------------------------------------------------------------

  private exclusive<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.tail.then(fn);
    this.tail = run.catch(() => undefined);
    return run;
  }

  private assertOpen(): void {
    if (this.state !== 'open') throw new MaError(ErrorCode.Internal, `outbox ${this.dir} is not open (state: ${this.state})`);
  }

  private callHook(name: string, fn: () => void): void {
    try {
      fn();
    } catch (e) {
      this.log.error({ hook: name, err: e }, 'outbox: a hook threw; ignoring it');
    }
  }
}

/**
 * Reads records for readAfter() without rescanning the log: a binary search over the segment
 * index finds the segment, and a small cache maps "the seq the last reads ended at" to the byte
 * offset right after it, so the uplink's next readAfter(lastSeq) continues where it stopped.
 * Only the durable prefix of each segment (SegmentInfo.bytes) is ever read.
 */
import { open, type FileHandle } from 'node:fs/promises';
import type { OutboxRecord } from './outbox.js';
import type { OutboxLogger, SegmentInfo } from './recover-log.js';
import { readSegmentRecords } from './segment-files.js';

const POSITION_CACHE_SIZE = 8;

export class SegmentReader {
  private handle: { path: string; fh: FileHandle } | undefined;
  /** Where the record after `seq` starts, for the seqs the last few reads ended at. */
  private readonly positions = new Map<number, { path: string; offset: number }>();

  constructor(private readonly log: OutboxLogger) {}

  /** Up to `max` records with seq > afterSeq from `segments` (durable sizes only), oldest first. */
  async read(segments: readonly SegmentInfo[], afterSeq: number, max: number): Promise<OutboxRecord[]> {
    const out: OutboxRecord[] = [];
    if (max <= 0 || segments.length === 0) return out;
    let { index, offset } = this.startPosition(segments, afterSeq);
    const cached = offset > 0;
    let end: { path: string; offset: number } | undefined;
    for (; index < segments.length && out.length < max; index++, offset = 0) {
      const seg = segments[index] as SegmentInfo;
      if (offset >= seg.bytes) continue;
      const fh = await this.handleFor(seg.path);
      const avg = seg.count > 0 ? seg.bytes / seg.count : 128;
      const chunkBytes = cached ? clamp((max - out.length) * avg, 4096, 1 << 20) : 256 * 1024;
      for await (const item of readSegmentRecords(fh, offset, seg.bytes, chunkBytes)) {
        if (item.kind === 'corrupt') {
          this.log.error({ segment: seg.path, offset: item.offset, reason: item.reason }, 'outbox: unreadable record; skipping the rest of this segment');
          break;
        }
        if (item.kind === 'unparseable') {
          this.log.error({ segment: seg.path, offset: item.offset }, 'outbox: record with a valid checksum is not a record; skipping it');
          continue;
        }
        if (item.record.seq <= afterSeq) continue;
        out.push(item.record);
        end = { path: seg.path, offset: item.end };
        if (out.length >= max) break;
      }
    }
    const last = out.at(-1);
    if (last && end) {
      this.positions.set(last.seq, end);
      if (this.positions.size > POSITION_CACHE_SIZE) this.positions.delete(this.positions.keys().next().value as number);
    }
    return out;
  }

  /** The segment and byte offset to start reading after `afterSeq`: cached, or segment start. */
  private startPosition(segments: readonly SegmentInfo[], afterSeq: number): { index: number; offset: number } {
    const cached = this.positions.get(afterSeq);
    if (cached) {
      const index = segments.findIndex((s) => s.path === cached.path);
      if (index >= 0) return { index, offset: cached.offset };
    }
    // Binary search: the last segment whose firstSeq <= afterSeq + 1.
    let lo = 0;
    let hi = segments.length - 1;
    let found = 0;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if ((segments[mid] as SegmentInfo).firstSeq <= afterSeq + 1) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return { index: found, offset: 0 };
  }

  private async handleFor(path: string): Promise<FileHandle> {
    if (this.handle?.path === path) return this.handle.fh;
    await this.close();
    const fh = await open(path, 'r');
    this.handle = { path, fh };
    return fh;
  }

  /** Closes the handle on `path` (about to be deleted: an open handle would keep its space). */
  async forget(path: string): Promise<void> {
    if (this.handle?.path === path) await this.close();
  }

  async close(): Promise<void> {
    const h = this.handle;
    this.handle = undefined;
    await h?.fh.close();
  }
}

function clamp(x: number, lo: number, hi: number): number {
  return Math.min(Math.max(Math.round(x), lo), hi);
}

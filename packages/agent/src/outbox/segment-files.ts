/**
 * Segment files of the outbox: `<dir>/segments/<first seq, 20 digits>.log`, each a run of
 * records in the format of record-format.ts. Reading helpers here never modify a file.
 */
import { readdir, readFile, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import type { OutboxRecord } from './outbox.js';
import { decodeFrame, parseRecord } from './record-format.js';

const NAME = /^(\d{20})\.log$/;

export const segmentsDir = (dir: string): string => join(dir, 'segments');
export const segmentFileName = (firstSeq: number): string => `${String(firstSeq).padStart(20, '0')}.log`;

export interface SegmentFile {
  firstSeq: number;
  path: string;
}

/** Segment files in seq order, plus stray files (e.g. `*.tmp`) that do not belong there. */
export async function listSegments(dir: string): Promise<{ segments: SegmentFile[]; strays: string[] }> {
  let names: string[];
  try {
    names = await readdir(segmentsDir(dir));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return { segments: [], strays: [] };
    throw e;
  }
  const segments: SegmentFile[] = [];
  const strays: string[] = [];
  for (const name of names) {
    const m = NAME.exec(name);
    if (m?.[1] !== undefined) segments.push({ firstSeq: Number(m[1]), path: join(segmentsDir(dir), name) });
    else strays.push(join(segmentsDir(dir), name));
  }
  segments.sort((a, b) => a.firstSeq - b.firstSeq);
  return { segments, strays };
}

export type ProblemReason = 'torn' | 'length' | 'crc' | 'json' | 'order';

export interface SegmentScan {
  /** Valid records before the first problem. */
  count: number;
  firstSeq?: number;
  lastSeq?: number;
  /** Bytes of the valid prefix: where the segment should be truncated. */
  goodBytes: number;
  fileBytes: number;
  problem?: { offset: number; reason: ProblemReason };
}

/**
 * Validates a segment: length and CRC of every record; the JSON of every record when
 * `parseAll` (the last, active segment), otherwise of its first and last valid records only.
 * A CRC-valid record was written by us, so its JSON is only re-checked where it is cheap;
 * readAfter skips any record that still fails to parse.
 */
export async function scanSegmentFile(path: string, parseAll: boolean): Promise<SegmentScan> {
  const buf = await readFile(path);
  const offsets: number[] = [];
  let problem: SegmentScan['problem'];
  let firstSeq: number | undefined;
  let lastSeq: number | undefined;
  let offset = 0;
  while (offset < buf.length) {
    const frame = decodeFrame(buf, offset);
    if (frame.kind !== 'ok') {
      problem = { offset, reason: frame.kind === 'incomplete' ? 'torn' : frame.reason };
      break;
    }
    if (parseAll) {
      const record = parseRecord(frame.payload);
      if (!record || (lastSeq !== undefined && record.seq <= lastSeq)) {
        problem = { offset, reason: record ? 'order' : 'json' };
        break;
      }
      firstSeq ??= record.seq;
      lastSeq = record.seq;
    }
    offsets.push(offset);
    offset += frame.size;
  }
  if (!parseAll) {
    // Walk back from the end until a record parses; anything after it is treated as corrupt.
    while (offsets.length > 0) {
      const at = offsets[offsets.length - 1] as number;
      lastSeq = seqAt(buf, at);
      if (lastSeq !== undefined) break;
      problem = { offset: at, reason: 'json' };
      offsets.pop();
    }
    firstSeq = offsets.length > 0 ? seqAt(buf, offsets[0] as number) : undefined;
    if (firstSeq === undefined || lastSeq === undefined || firstSeq > lastSeq) {
      if (offsets.length > 0) problem = { offset: 0, reason: 'json' };
      offsets.length = 0;
      firstSeq = lastSeq = undefined;
    }
  }
  const goodBytes = problem ? problem.offset : buf.length;
  return { count: offsets.length, firstSeq, lastSeq, goodBytes, fileBytes: buf.length, problem };
}

function seqAt(buf: Buffer, offset: number): number | undefined {
  const frame = decodeFrame(buf, offset);
  return frame.kind === 'ok' ? parseRecord(frame.payload)?.seq : undefined;
}

export type ReadItem =
  | { kind: 'record'; record: OutboxRecord; offset: number; end: number }
  /** CRC-valid but not a record: skippable, `end` is where the next record starts. */
  | { kind: 'unparseable'; offset: number; end: number }
  /** Unreadable from `offset` on; the generator ends after yielding this. */
  | { kind: 'corrupt'; offset: number; reason: ProblemReason };

/**
 * Reads the records of an open segment from byte `start` up to `limit` (the durable size),
 * in chunks of about `chunkBytes`, so a reader touches only the part of the log it needs.
 */
export async function* readSegmentRecords(
  fh: FileHandle,
  start: number,
  limit: number,
  chunkBytes: number,
): AsyncGenerator<ReadItem, void, undefined> {
  let buf: Buffer = Buffer.alloc(0);
  let bufStart = start;
  let pos = start;
  while (pos < limit) {
    const frame = decodeFrame(buf, pos - bufStart);
    if (frame.kind === 'incomplete') {
      const bufEnd = bufStart + buf.length;
      if (bufEnd >= limit && buf.length > 0) {
        yield { kind: 'corrupt', offset: pos, reason: 'torn' };
        return;
      }
      const length = Math.min(limit - pos, Math.max(frame.needBytes, chunkBytes));
      buf = await readExactly(fh, pos, length);
      bufStart = pos;
      if (buf.length < length) limit = pos + buf.length; // the file is shorter than we believed
      continue;
    }
    if (frame.kind === 'corrupt') {
      yield { kind: 'corrupt', offset: pos, reason: frame.reason };
      return;
    }
    const record = parseRecord(frame.payload);
    const end = pos + frame.size;
    yield record ? { kind: 'record', record, offset: pos, end } : { kind: 'unparseable', offset: pos, end };
    pos = end;
  }
}

async function readExactly(fh: FileHandle, position: number, length: number): Promise<Buffer> {
  const buf = Buffer.allocUnsafe(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await fh.read(buf, filled, length - filled, position + filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled === length ? buf : buf.subarray(0, filled);
}

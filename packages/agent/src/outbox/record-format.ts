/**
 * On-disk record format of the segment-log outbox.
 *
 * A segment file is a plain concatenation of records; there is no file header. Each record is
 *
 *   offset 0  u32 little-endian  payload length in bytes (N)
 *   offset 4  u32 little-endian  CRC-32 (zlib/IEEE, `zlib.crc32`) of the N payload bytes
 *   offset 8  N bytes            UTF-8 JSON of the OutboxRecord, seq first:
 *                                {"seq":42,"ch":"ds18b20/28-0001","ts":1732530000000,"v":21.5,...}
 *
 * A record is valid when its 8-byte header is complete, 2 <= N <= MAX_PAYLOAD_BYTES, all N
 * payload bytes are present, the CRC matches, and the JSON is an object of the OutboxRecord
 * shape. Anything else (a torn tail after power loss, a flipped bit) ends the readable part of
 * the segment at that record's offset. Seqs increase strictly through the log but may have gaps
 * (records dropped by the size bound, or never persisted).
 */
import { crc32 } from 'node:zlib';
import { ErrorCode, MaError } from '@ma/protocol';
import type { OutboxEntry, OutboxRecord } from './outbox.js';

export const HEADER_BYTES = 8;
/** Upper bound for one record's payload; a larger length field is treated as corruption. */
export const MAX_PAYLOAD_BYTES = 1024 * 1024;

/** The result of decoding the record that starts at some offset of a buffer. */
export type Frame =
  | { kind: 'ok'; payload: Buffer; size: number }
  /** The buffer ends before the record does: a torn tail, or read more bytes. */
  | { kind: 'incomplete'; needBytes: number }
  | { kind: 'corrupt'; reason: 'length' | 'crc' };

export function decodeFrame(buf: Buffer, offset: number): Frame {
  const available = buf.length - offset;
  if (available < HEADER_BYTES) return { kind: 'incomplete', needBytes: HEADER_BYTES };
  const length = buf.readUInt32LE(offset);
  if (length < 2 || length > MAX_PAYLOAD_BYTES) return { kind: 'corrupt', reason: 'length' };
  const size = HEADER_BYTES + length;
  if (available < size) return { kind: 'incomplete', needBytes: size };
  const payload = buf.subarray(offset + HEADER_BYTES, offset + size);
  if (crc32(payload) !== buf.readUInt32LE(offset + 4)) return { kind: 'corrupt', reason: 'crc' };
  return { kind: 'ok', payload, size };
}

/** Parses a payload whose CRC matched; undefined when it is not JSON of the record shape. */
export function parseRecord(payload: Buffer): OutboxRecord | undefined {
  let value: unknown;
  try {
    value = JSON.parse(payload.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof value !== 'object' || value === null) return undefined;
  const r = value as Record<string, unknown>;
  if (!Number.isSafeInteger(r.seq) || (r.seq as number) < 1) return undefined;
  if (typeof r.ch !== 'string' || !isFiniteNumber(r.ts) || !isFiniteNumber(r.v)) return undefined;
  if (r.sync !== undefined && typeof r.sync !== 'boolean') return undefined;
  if (r.boot !== undefined && typeof r.boot !== 'string') return undefined;
  if (r.mono !== undefined && !isFiniteNumber(r.mono)) return undefined;
  return value as OutboxRecord;
}

/** Builds the record for an entry, copying only the known fields. Throws for values JSON cannot carry. */
export function toRecord(seq: number, entry: OutboxEntry): OutboxRecord {
  const { ch, ts, v, sync, boot, mono } = entry;
  if (typeof ch !== 'string' || !isFiniteNumber(ts) || !isFiniteNumber(v) || (mono !== undefined && !isFiniteNumber(mono))) {
    throw new MaError(
      ErrorCode.InputInvalid,
      `outbox entry for channel ${String(ch)} is not storable: ts, v and mono must be finite numbers (got ts=${ts}, v=${v}, mono=${mono})`,
    );
  }
  const record: OutboxRecord = { seq, ch, ts, v };
  if (sync !== undefined) record.sync = sync;
  if (boot !== undefined) record.boot = boot;
  if (mono !== undefined) record.mono = mono;
  return record;
}

export function encodeRecord(record: OutboxRecord): Buffer {
  const payload = Buffer.from(JSON.stringify(record), 'utf8');
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new MaError(ErrorCode.InputInvalid, `outbox record ${record.seq} is ${payload.length} bytes; the limit is ${MAX_PAYLOAD_BYTES}`);
  }
  const frame = Buffer.allocUnsafe(HEADER_BYTES + payload.length);
  frame.writeUInt32LE(payload.length, 0);
  frame.writeUInt32LE(crc32(payload), 4);
  payload.copy(frame, HEADER_BYTES);
  return frame;
}

function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

import { crc32 } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { decodeFrame, encodeRecord, HEADER_BYTES, parseRecord } from './record-format.js';

describe('outbox record format', () => {
  const record = { seq: 7, ch: 'ds18b20/28-0001', ts: 1_732_530_000_000, v: 21.5, sync: true };

  it('is [u32 LE length][u32 LE crc32 of payload][JSON payload]', () => {
    const frame = encodeRecord(record);
    const payload = Buffer.from(JSON.stringify(record), 'utf8');
    expect(frame.readUInt32LE(0)).toBe(payload.length);
    expect(frame.readUInt32LE(4)).toBe(crc32(payload));
    expect(frame.subarray(HEADER_BYTES).toString('utf8')).toBe('{"seq":7,"ch":"ds18b20/28-0001","ts":1732530000000,"v":21.5,"sync":true}');
  });

  it('decodes what it encodes', () => {
    const frame = encodeRecord(record);
    const decoded = decodeFrame(Buffer.concat([Buffer.from('xx'), frame]), 2);
    expect(decoded.kind).toBe('ok');
    if (decoded.kind === 'ok') {
      expect(decoded.size).toBe(frame.length);
      expect(parseRecord(decoded.payload)).toEqual(record);
    }
  });

  it('reports a record cut short as incomplete, whatever the cut', () => {
    const frame = encodeRecord(record);
    for (let cut = 0; cut < frame.length; cut++) {
      expect(decodeFrame(frame.subarray(0, cut), 0).kind, `cut at ${cut}`).toBe('incomplete');
    }
  });

  it('reports a bad checksum and an impossible length as corrupt', () => {
    const frame = encodeRecord(record);
    const flipped = Buffer.from(frame);
    flipped[HEADER_BYTES + 3] = (flipped[HEADER_BYTES + 3] as number) ^ 1;
    expect(decodeFrame(flipped, 0)).toEqual({ kind: 'corrupt', reason: 'crc' });
    const zero = Buffer.alloc(16);
    expect(decodeFrame(zero, 0)).toEqual({ kind: 'corrupt', reason: 'length' });
  });
});

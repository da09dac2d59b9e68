import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_BATCH_READINGS, telemetryBatchSchema } from '@ma/protocol';
import { plainTelemetryBatch } from './fast-telemetry.js';

/** Near-valid values: the edges each field's schema draws (0, negatives, fractions, long strings, wrong types). */
const anyValue = fc.oneof(
  fc.integer({ min: -3, max: 3 }),
  fc.double(),
  fc.constantFrom(Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER + 2, 1.5, -0, 1e300),
  fc.string({ maxLength: 70 }),
  fc.constantFrom('ds18b20/28-00000c1a748d', 'a', '', 'bad key!', 'x'.repeat(128), 'x'.repeat(129)),
  fc.boolean(),
  fc.constant(null),
  fc.constant([]),
  fc.constant({}),
);
const goodReading = fc.record(
  {
    seq: fc.nat(),
    ch: fc.constantFrom('ds18b20/28-00000c1a748d', 'system/cpu_temp', 'a', 'x'.repeat(128)),
    ts: fc.integer({ min: 1, max: 4_000_000_000_000 }),
    v: fc.double({ noNaN: true, noDefaultInfinity: true }),
    sync: fc.boolean(),
    boot: fc.string({ maxLength: 64 }),
    mono: fc.double({ min: 0, noNaN: true, noDefaultInfinity: true }),
  },
  { requiredKeys: ['seq', 'ch', 'ts', 'v'] },
);
/** A good reading with one field replaced, removed or added. */
const mutatedReading = fc.tuple(goodReading, fc.constantFrom('seq', 'ch', 'ts', 'v', 'sync', 'boot', 'mono', 'extra', '__proto__'), fc.option(anyValue)).map(([r, key, value]) => {
  const out: Record<string, unknown> = { ...r };
  if (value === null) delete out[key];
  else Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  return out;
});
const batch = fc.record(
  {
    v: fc.oneof(fc.constant(1), anyValue),
    readings: fc.oneof(fc.array(fc.oneof(goodReading, mutatedReading, anyValue), { minLength: 0, maxLength: 6 }), anyValue),
    channels: fc.constant({ 'ds18b20/28-00000c1a748d': { kind: 'sensor', driver: 'ds18b20', unit: '°C' } }),
    extra: anyValue,
  },
  { requiredKeys: [] },
);

describe('the telemetry fast path', () => {
  it('accepts only batches the schema accepts, and returns what the schema would', () => {
    fc.assert(
      fc.property(fc.oneof(batch, anyValue), (candidate) => {
        // Through JSON, as from the wire: no undefined, no NaN, no prototypes but Object's.
        const json: unknown = JSON.parse(JSON.stringify(candidate) ?? 'null');
        const fast = plainTelemetryBatch(json);
        if (fast === undefined) return;
        const schema = telemetryBatchSchema.safeParse(json);
        expect(schema.success).toBe(true);
        expect(fast).toEqual(schema.data);
      }),
      { numRuns: 3000 },
    );
  });

  it('takes the common batch (readings only, every field well typed) without the schema', () => {
    fc.assert(
      fc.property(fc.array(goodReading, { minLength: 1, maxLength: 50 }), (readings) => {
        const json: unknown = JSON.parse(JSON.stringify({ v: 1, readings }));
        expect(plainTelemetryBatch(json)).toEqual(telemetryBatchSchema.parse(json));
      }),
      { numRuns: 300 },
    );
  });

  it('leaves to the schema batches with channel metadata, unknown fields, too many or no readings', () => {
    const r = { seq: 1, ch: 'a', ts: 1, v: 1 };
    expect(plainTelemetryBatch({ v: 1, readings: [r], channels: {} })).toBeUndefined();
    expect(plainTelemetryBatch({ v: 1, readings: [r], extra: 1 })).toBeUndefined();
    expect(plainTelemetryBatch({ v: 1, readings: [{ ...r, extra: 1 }] })).toBeUndefined();
    expect(plainTelemetryBatch({ v: 1, readings: [] })).toBeUndefined();
    expect(plainTelemetryBatch({ v: 1, readings: Array.from({ length: MAX_BATCH_READINGS + 1 }, (_, i) => ({ ...r, seq: i })) })).toBeUndefined();
    expect(plainTelemetryBatch({ v: 2, readings: [r] })).toBeUndefined();
    expect(plainTelemetryBatch(JSON.parse('{"v":1,"readings":[{"seq":1,"ch":"a","ts":1,"v":1,"__proto__":{}}]}'))).toBeUndefined();
  });
});

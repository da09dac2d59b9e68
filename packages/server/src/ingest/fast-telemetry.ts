import { CHANNEL_KEY_PATTERN, MAX_BATCH_READINGS, type TelemetryBatch } from '@ma/protocol';

/**
 * A telemetry batch checked without zod, for the common case only: readings and no channel
 * metadata, every field present and well typed. It answers either "valid, here it is" or "not
 * sure", never "invalid": anything it does not accept goes through `telemetryBatchSchema`, which
 * stays the definition and writes the rejection reason. So it may only accept what the schema
 * accepts (fast-telemetry.test.ts checks that against the schema on generated batches), and it
 * returns the parsed JSON itself, which for such a batch equals the schema's output.
 *
 * Why: zod's per-field parsing and the copies it returns were about a seventh of ingest CPU time.
 */
const BATCH_KEYS = new Set(['v', 'readings']);
const READING_KEYS = new Set(['seq', 'ch', 'ts', 'v', 'sync', 'boot', 'mono']);

function isPlainObject(x: unknown): x is Record<string, unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && Object.getPrototypeOf(x) === Object.prototype;
}

function plainReading(r: unknown): boolean {
  if (!isPlainObject(r)) return false;
  for (const k in r) if (!READING_KEYS.has(k)) return false;
  const { seq, ch, ts, v, sync, boot, mono } = r;
  return (
    typeof seq === 'number' && Number.isInteger(seq) && seq >= 0 && seq <= Number.MAX_SAFE_INTEGER &&
    typeof ch === 'string' && CHANNEL_KEY_PATTERN.test(ch) &&
    typeof ts === 'number' && Number.isInteger(ts) && ts > 0 &&
    typeof v === 'number' && Number.isFinite(v) &&
    (sync === undefined || typeof sync === 'boolean') &&
    (boot === undefined || (typeof boot === 'string' && boot.length <= 64)) &&
    (mono === undefined || (typeof mono === 'number' && Number.isFinite(mono) && mono >= 0))
  );
}

/** The batch if it is certainly valid (see above); undefined means "ask the schema". */
export function plainTelemetryBatch(json: unknown): TelemetryBatch | undefined {
  if (!isPlainObject(json)) return undefined;
  for (const k in json) if (!BATCH_KEYS.has(k)) return undefined;
  const readings = json.readings;
  if (json.v !== 1 || !Array.isArray(readings) || readings.length < 1 || readings.length > MAX_BATCH_READINGS) return undefined;
  for (const r of readings) if (!plainReading(r)) return undefined;
  return json as unknown as TelemetryBatch;
}

import { CHANNEL_KEY_PATTERN, type ImportChannelMeta } from '@ma/protocol';
import { isPyDateTime, parsePyLiteral, PyLiteralError, type PyValue } from './python-literal.js';

/** What one input line turned out to be. */
export type ParsedLine =
  | { kind: 'reading'; channel: string; ts: number; value: number; meta?: ImportChannelMeta }
  /** A reading that failed on the original system (`'value': None`): skipped, counted. */
  | { kind: 'failed' }
  | { kind: 'rejected'; reason: string }
  | { kind: 'blank' };

export type ImportFormat = 'legacy' | 'csv' | 'jsonl';

/** Timestamps outside these are a unit mistake (seconds, microseconds), not readings. */
const MIN_TS = Date.UTC(1990, 0, 1);
const MAX_TS = Date.UTC(2100, 0, 1);

export function formatFromPath(path: string): ImportFormat | undefined {
  if (/\.log(\.\d+)?$/i.test(path) || /\.txt$/i.test(path)) return 'legacy';
  if (/\.csv$/i.test(path)) return 'csv';
  if (/\.(jsonl|ndjson)$/i.test(path)) return 'jsonl';
  return undefined;
}

/**
 * Offset of `zone` from UTC at the instant `utcMs`, in ms. Used to read the legacy logs' naive
 * local times: they carry no zone, so the user names it (`--tz`).
 */
function zoneOffsetMs(zone: string, utcMs: number): number {
  const f = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
  const p = Object.fromEntries(f.formatToParts(new Date(utcMs)).map((x) => [x.type, x.value]));
  const asUtc = Date.UTC(Number(p.year), Number(p.month) - 1, Number(p.day), Number(p.hour), Number(p.minute), Number(p.second));
  return asUtc - Math.floor(utcMs / 1000) * 1000;
}

/** A wall-clock time in `zone` as ms since the epoch (the usual two-step guess handles DST edges). */
export function localToEpoch(parts: number[], zone: string): number {
  const [y, mo, d, h = 0, mi = 0, s = 0, us = 0] = parts as [number, number, number, number?, number?, number?, number?];
  const naive = Date.UTC(y, mo - 1, d, h, mi, s, Math.floor(us / 1000));
  if (zone === 'UTC') return naive;
  const first = naive - zoneOffsetMs(zone, naive);
  return naive - zoneOffsetMs(zone, first);
}

/** Throws RangeError for a zone Intl does not know, so the flag can be reported before reading. */
export function checkZone(zone: string): void {
  new Intl.DateTimeFormat('en-US', { timeZone: zone });
}

const PREFIX = /^\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}(?:,\d{1,6})? - \[([A-Z]+)\] - /;

/**
 * One line of the original system's log: Python `logging` output such as
 * `2019-03-04 12:00:15,123 - [INFO] - data: "{'type': 'thermometer', ...}"`, or the same without
 * the time prefix (the old recovery script cut that off), or only the dict.
 */
export function parseLegacyLine(line: string, zone: string): ParsedLine {
  let rest = line.trim();
  if (rest === '') return { kind: 'blank' };
  const prefix = PREFIX.exec(rest);
  if (prefix) rest = rest.slice(prefix[0].length);
  else rest = rest.replace(/^- \[[A-Z]+\] - /, '');
  if (rest.startsWith('data:')) rest = rest.slice(5).trim();
  else if (!rest.startsWith('{') && !rest.startsWith('"{')) {
    return { kind: 'rejected', reason: prefix ? `a ${prefix[1]} log line, not a data line` : 'not a log data line' };
  }
  if (rest.startsWith('"') && rest.endsWith('"')) rest = rest.slice(1, -1);
  let v: PyValue;
  try {
    v = parsePyLiteral(rest);
  } catch (e) {
    if (e instanceof PyLiteralError) return { kind: 'rejected', reason: `cannot read the data: ${e.message}` };
    throw e;
  }
  if (typeof v !== 'object' || v === null || Array.isArray(v) || isPyDateTime(v)) return { kind: 'rejected', reason: 'the data is not a dict' };
  const { datetime, device_uid: uid, value, type, tags } = v as Record<string, PyValue | undefined>;
  if (typeof uid !== 'string' || uid === '') return { kind: 'rejected', reason: "no 'device_uid'" };
  if (datetime === undefined || !isPyDateTime(datetime)) return { kind: 'rejected', reason: "no 'datetime': datetime.datetime(...)" };
  if (value === null) return { kind: 'failed' };
  if (typeof value !== 'number' || !Number.isFinite(value)) return { kind: 'rejected', reason: `'value' is ${JSON.stringify(value)}, expected a number or None` };
  // A DS18B20's 1-Wire id (family 28): the same key the new agent's ds18b20 driver uses, so old
  // and new readings of one probe land on one channel.
  const ds18b20 = /^[0-9a-f]{2}-[0-9a-f]{12}$/i.test(uid);
  const channel = ds18b20 ? `ds18b20/${uid.toLowerCase()}` : uid;
  if (!CHANNEL_KEY_PATTERN.test(channel)) return { kind: 'rejected', reason: `'device_uid' ${JSON.stringify(uid)} cannot be a channel key (letters, digits, _ . : / -)` };
  const ts = localToEpoch(datetime.parts, zone);
  if (!(ts >= MIN_TS && ts < MAX_TS)) return { kind: 'rejected', reason: `datetime ${datetime.parts.join(', ')} is out of range` };
  const tagList = Array.isArray(tags) ? tags.filter((t): t is string => typeof t === 'string') : [];
  const thermometer = type === 'thermometer' || ds18b20;
  return {
    kind: 'reading',
    channel,
    ts,
    value,
    meta: {
      driver: ds18b20 ? 'ds18b20' : 'import',
      ...(thermometer ? { quantity: 'temperature', unit: '°C' } : {}),
      ...(tagList.length ? { labels: { tags: tagList.join(',') }, label: tagList.join(' ') } : {}),
    },
  };
}

/** One RFC 4180 record on one line; undefined when the quoting is broken. */
export function splitCsv(line: string): string[] | undefined {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    let cell = '';
    if (line[i] === '"') {
      i++;
      for (;;) {
        if (i >= line.length) return undefined;
        if (line[i] === '"') {
          if (line[i + 1] === '"') {
            cell += '"';
            i += 2;
          } else {
            i++;
            break;
          }
        } else cell += line[i++];
      }
      if (i < line.length && line[i] !== ',') return undefined;
    } else {
      const end = line.indexOf(',', i);
      cell = line.slice(i, end < 0 ? line.length : end);
      i = end < 0 ? line.length : end;
    }
    // Exports guard text cells against spreadsheet formulas with a leading quote; undo it.
    out.push(/^'[=+\-@]/.test(cell) ? cell.slice(1) : cell);
    if (i >= line.length) return out;
    i++; // the comma
  }
}

function parseTime(raw: string): number | undefined {
  const s = raw.trim();
  const t = /^\d+$/.test(s) ? Number(s) : Date.parse(s);
  return Number.isFinite(t) && t >= MIN_TS && t < MAX_TS ? t : undefined;
}

/** Columns of an import CSV: `channel`, `value`, and `ts_ms` or `time`; `unit` is optional. What `ma export` writes. */
export interface CsvColumns {
  channel: number;
  value: number;
  ts?: number;
  time?: number;
  unit?: number;
}

export function csvColumns(header: string): CsvColumns | string {
  const cells = splitCsv(header.replace(/^\uFEFF/, '').trim())?.map((c) => c.trim().toLowerCase());
  if (!cells) return 'the header row has broken quoting';
  const at = (n: string) => (cells.indexOf(n) >= 0 ? cells.indexOf(n) : undefined);
  const channel = at('channel');
  const value = at('value');
  const ts = at('ts_ms') ?? at('ts');
  const time = at('time');
  if (channel === undefined || value === undefined || (ts === undefined && time === undefined)) {
    return `the header row ${JSON.stringify(header.trim())} lacks a column: expected channel, value, and ts_ms or time (as \`ma export\` writes)`;
  }
  const unit = at('unit');
  return { channel, value, ...(ts !== undefined ? { ts } : {}), ...(time !== undefined ? { time } : {}), ...(unit !== undefined ? { unit } : {}) };
}

function reading(channel: string, ts: number | undefined, value: unknown, unit: string | undefined): ParsedLine {
  if (!CHANNEL_KEY_PATTERN.test(channel)) return { kind: 'rejected', reason: `channel ${JSON.stringify(channel)} is not a channel key (letters, digits, _ . : / -)` };
  if (ts === undefined) return { kind: 'rejected', reason: 'the time is missing, or not ms since the epoch or ISO 8601 between 1990 and 2100' };
  if (value === null || value === '' || value === 'None' || value === 'null') return { kind: 'failed' };
  const v = typeof value === 'number' ? value : typeof value === 'string' ? Number(value) : NaN;
  if (!Number.isFinite(v)) return { kind: 'rejected', reason: `value ${JSON.stringify(value)} is not a number` };
  return { kind: 'reading', channel, ts, value: v, ...(unit ? { meta: { unit } } : {}) };
}

export function parseCsvLine(line: string, cols: CsvColumns): ParsedLine {
  if (line.trim() === '') return { kind: 'blank' };
  const cells = splitCsv(line.replace(/\r$/, ''));
  if (!cells) return { kind: 'rejected', reason: 'broken quoting' };
  const tsCell = cols.ts !== undefined ? cells[cols.ts] : undefined;
  const timeCell = cols.time !== undefined ? cells[cols.time] : undefined;
  const ts = tsCell !== undefined && tsCell !== '' ? parseTime(tsCell) : timeCell !== undefined ? parseTime(timeCell) : undefined;
  const channel = cells[cols.channel];
  if (channel === undefined || cells[cols.value] === undefined) return { kind: 'rejected', reason: `${cells.length} columns, the header has more` };
  return reading(channel.trim(), ts, cells[cols.value]!.trim(), cols.unit !== undefined ? cells[cols.unit]?.trim() : undefined);
}

/** `{"channel": "...", "ts": ms | "time": "ISO", "value": n | null, "unit"?: "..."}` per line: what `ma export --format jsonl` writes. */
export function parseJsonLine(line: string): ParsedLine {
  if (line.trim() === '') return { kind: 'blank' };
  let j: unknown;
  try {
    j = JSON.parse(line);
  } catch {
    return { kind: 'rejected', reason: 'not JSON' };
  }
  if (typeof j !== 'object' || j === null || Array.isArray(j)) return { kind: 'rejected', reason: 'not a JSON object' };
  const o = j as Record<string, unknown>;
  if (typeof o.channel !== 'string') return { kind: 'rejected', reason: 'no "channel" string' };
  if (!('value' in o)) return { kind: 'rejected', reason: 'no "value" (a number, or null for a failed read)' };
  const ts = typeof o.ts === 'number' ? (Number.isInteger(o.ts) && o.ts >= MIN_TS && o.ts < MAX_TS ? o.ts : undefined) : typeof o.time === 'string' ? parseTime(o.time) : undefined;
  return reading(o.channel, ts, o.value ?? null, typeof o.unit === 'string' ? o.unit : undefined);
}

import { describe, expect, it } from 'vitest';
import { csvColumns, localToEpoch, parseCsvLine, parseJsonLine, parseLegacyLine, splitCsv, type CsvColumns } from './parse.js';

const DICT = `{'type': 'thermometer', 'datetime': datetime.datetime(2019, 3, 4, 12, 0, 15, 123456), 'device_uid': '28-00000c1a748d', 'tags': ['fridge'], 'value': 2.603}`;
const TS = Date.UTC(2019, 2, 4, 12, 0, 15, 123);

describe("reading the original system's log lines", () => {
  it('reads a data line with the Python logging time prefix into the ds18b20 channel the new agent uses', () => {
    expect(parseLegacyLine(`2019-03-04 12:00:15,123 - [INFO] - data: "${DICT}"`, 'UTC')).toEqual({
      kind: 'reading',
      channel: 'ds18b20/28-00000c1a748d',
      ts: TS,
      value: 2.603,
      meta: { driver: 'ds18b20', quantity: 'temperature', unit: '°C', labels: { tags: 'fridge' }, label: 'fridge' },
    });
  });

  it('reads the same line without the time prefix, as the old recovery script left it, and the bare dict', () => {
    const withPrefix = parseLegacyLine(`2019-03-04 12:00:15,123 - [INFO] - data: "${DICT}"`, 'UTC');
    expect(parseLegacyLine(`data: "${DICT}"`, 'UTC')).toEqual(withPrefix);
    expect(parseLegacyLine(`- [INFO] - data: "${DICT}"`, 'UTC')).toEqual(withPrefix);
    expect(parseLegacyLine(DICT, 'UTC')).toEqual(withPrefix);
  });

  it("counts 'value': None as a failed read, not a reading and not garbage", () => {
    expect(parseLegacyLine(`data: "${DICT.replace("'value': 2.603", "'value': None")}"`, 'UTC')).toEqual({ kind: 'failed' });
  });

  it('rejects other log lines, errors and garbage, saying why', () => {
    expect(parseLegacyLine('2019-03-04 12:00:16,001 - [ERROR] - <urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed>', 'UTC')).toEqual({
      kind: 'rejected',
      reason: 'a ERROR log line, not a data line',
    });
    expect(parseLegacyLine('\u0000\u0000\u0000\u00ff#%garbage', 'UTC')).toEqual({ kind: 'rejected', reason: 'not a log data line' });
    const cut = parseLegacyLine(`data: "${DICT.slice(0, 60)}`, 'UTC');
    expect(cut).toMatchObject({ kind: 'rejected', reason: expect.stringMatching(/^cannot read the data: .* at column \d+$/) as string });
    expect(parseLegacyLine(`data: "${DICT.replace('2.603', "'warm'")}"`, 'UTC')).toMatchObject({ kind: 'rejected', reason: `'value' is "warm", expected a number or None` });
    expect(parseLegacyLine(`data: "${DICT.replace("'device_uid': '28-00000c1a748d', ", '')}"`, 'UTC')).toMatchObject({ kind: 'rejected', reason: "no 'device_uid'" });
    expect(parseLegacyLine(`data: "{'value': __import__('os')}"`, 'UTC')).toMatchObject({ kind: 'rejected' });
    expect(parseLegacyLine('', 'UTC')).toEqual({ kind: 'blank' });
  });

  it('reads the naive local times in the zone the user names, across a DST change', () => {
    expect(localToEpoch([2019, 3, 4, 12, 0, 15, 123456], 'Europe/Prague')).toBe(Date.UTC(2019, 2, 4, 11, 0, 15, 123));
    expect(localToEpoch([2019, 7, 4, 12, 0, 0], 'Europe/Prague')).toBe(Date.UTC(2019, 6, 4, 10, 0, 0));
    expect(localToEpoch([2019, 7, 4, 12, 0, 0], 'UTC')).toBe(Date.UTC(2019, 6, 4, 12, 0, 0));
  });
});

describe('reading CSV and JSON lines as `ma export` writes them', () => {
  const cols = csvColumns('time,ts_ms,node,channel,unit,value') as CsvColumns;

  it('reads rows by header name, preferring ts_ms over time', () => {
    expect(parseCsvLine('2019-03-04T12:00:15.123Z,1551700815123,lab-a,ds18b20/28-00000c1a748d,°C,2.603', cols)).toEqual({
      kind: 'reading',
      channel: 'ds18b20/28-00000c1a748d',
      ts: TS,
      value: 2.603,
      meta: { unit: '°C' },
    });
    const timeOnly = csvColumns('channel,time,value') as CsvColumns;
    expect(parseCsvLine('a/b,2019-03-04T12:00:15.123Z,1', timeOnly)).toMatchObject({ ts: TS, value: 1 });
  });

  it('names the missing column of a wrong header, and rejects bad rows saying why', () => {
    expect(csvColumns('when,what')).toMatch(/lacks a column: expected channel, value, and ts_ms or time/);
    expect(parseCsvLine('x,1551700815123,lab-a,ds18b20/a,°C,abc', cols)).toEqual({ kind: 'rejected', reason: 'value "abc" is not a number' });
    expect(parseCsvLine('x,17,lab-a,ds18b20/a,°C,1', cols)).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('the time is missing') as string });
    expect(parseCsvLine('x,1551700815123,"lab-a,ds18b20/a,°C,1', cols)).toEqual({ kind: 'rejected', reason: 'broken quoting' });
    expect(parseCsvLine('x,1551700815123,lab-a,ds18b20/a,°C,', cols)).toEqual({ kind: 'failed' });
  });

  it('undoes quoting and the formula guard of exported text cells', () => {
    expect(splitCsv(`a,"b,""c""",'=1+1,`)).toEqual(['a', 'b,"c"', '=1+1', '']);
  });

  it('reads JSON lines with ts or time; null is a failed read; a missing value or bad JSON is rejected', () => {
    expect(parseJsonLine(JSON.stringify({ channel: 'a/b', ts: TS, value: 3 }))).toEqual({ kind: 'reading', channel: 'a/b', ts: TS, value: 3 });
    expect(parseJsonLine(JSON.stringify({ channel: 'a/b', time: '2019-03-04T12:00:15.123Z', value: 3, unit: '%' }))).toEqual({ kind: 'reading', channel: 'a/b', ts: TS, value: 3, meta: { unit: '%' } });
    expect(parseJsonLine(JSON.stringify({ channel: 'a/b', ts: TS, value: null }))).toEqual({ kind: 'failed' });
    expect(parseJsonLine(JSON.stringify({ channel: 'a/b', ts: TS }))).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('no "value"') as string });
    expect(parseJsonLine('{"channel": ')).toEqual({ kind: 'rejected', reason: 'not JSON' });
    expect(parseJsonLine(JSON.stringify({ channel: 'bad key!', ts: TS, value: 1 }))).toMatchObject({ kind: 'rejected', reason: expect.stringContaining('is not a channel key') as string });
  });
});

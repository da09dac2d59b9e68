import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CLI_BIN, TEST_ADMIN_TOKEN, getJson, runToEnd, startServerProcess, tempDir, type ServerHandle } from '../support/processes.js';

/**
 * `ma import` of the original system's temperature.log against a real server: every valid reading
 * lands exactly once, whatever garbage surrounds it, and a rerun stores nothing new.
 */

const ma = (args: string[], env: NodeJS.ProcessEnv = {}) => runToEnd(process.execPath, [CLI_BIN, ...args], env, 120_000);

interface Summary {
  lines: number;
  imported: number;
  duplicates: number;
  failed_reads: number;
  rejected: number;
  rejected_by_reason: Record<string, number>;
  rejected_lines: Array<{ line: number; reason: string; text: string }>;
  channels_created: string[];
}

const PROBES = ['28-00000c1a748d', '28-00000c1b0a11', '28-0316a2795aff'];
const TAGS: Record<string, string[]> = { '28-00000c1a748d': ['fridge'], '28-00000c1b0a11': ['freezer', 'lab-2'], '28-0316a2795aff': [] };

/** A deterministic pseudo-random sequence, so a failure can be reproduced. */
function rng(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32);
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/**
 * 100,000 lines as the original system left them: data lines with and without the logging
 * prefix, failed reads, other log lines, errors, cut lines, binary garbage from `dd`, and data
 * lines repeated (the log was rotated and copied twice). Returns the readings it holds, by key.
 */
function legacyLog(lines: number): { text: string; expected: Map<string, number>; validLines: number; failedReads: number; rejectedLines: number } {
  const rand = rng(18);
  const out: string[] = [];
  const expected = new Map<string, number>();
  let validLines = 0;
  let failedReads = 0;
  let rejectedLines = 0;
  let t = Date.UTC(2019, 2, 4, 12, 0, 0);
  const recent: string[] = [];
  while (out.length < lines) {
    const r = rand();
    t += 1000 * (1 + Math.floor(rand() * 59)); // whole seconds: the datetime carries the sub-second part
    const d = new Date(t);
    const us = Math.floor(rand() * 1000) * 1000 + 456;
    const uid = PROBES[Math.floor(rand() * PROBES.length)]!;
    const stamp = `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
    const dt = `datetime.datetime(${d.getUTCFullYear()}, ${d.getUTCMonth() + 1}, ${d.getUTCDate()}, ${d.getUTCHours()}, ${d.getUTCMinutes()}, ${d.getUTCSeconds()}, ${us})`;
    const value = Math.round((rand() * 30 - 20) * 1000) / 1000;
    const tags = `[${TAGS[uid]!.map((x) => `'${x}'`).join(', ')}]`;
    const dict = (v: string) => `{'type': 'thermometer', 'datetime': ${dt}, 'device_uid': '${uid}', 'tags': ${tags}, 'value': ${v}}`;
    const prefix = `${stamp},${pad(Math.floor(us / 1000), 3)} - [INFO] - `;
    if (r < 0.6 || (r < 0.7 && recent.length === 0)) {
      const line = `${r < 0.45 ? prefix : ''}data: "${dict(String(value))}"`;
      out.push(line);
      recent.push(line);
      if (recent.length > 50) recent.shift();
      expected.set(`ds18b20/${uid}@${t + Math.floor(us / 1000)}`, value);
      validLines++;
    } else if (r < 0.7) {
      out.push(recent[Math.floor(rand() * recent.length)]!); // a repeated data line: one reading
      validLines++;
    } else if (r < 0.78) {
      out.push(`${prefix}data: "${dict('None')}"`);
      failedReads++;
    } else if (r < 0.85) {
      out.push(`${stamp},001 - [ERROR] - <urlopen error [SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed (_ssl.c:1056)>`);
      rejectedLines++;
    } else if (r < 0.9) {
      out.push(`${stamp},002 - [WARNING] - sending failed, retrying in 60 s`);
      rejectedLines++;
    } else if (r < 0.95) {
      out.push(`${prefix}data: "${dict(String(value)).slice(0, 20 + Math.floor(rand() * 80))}`); // cut off mid-line
      rejectedLines++;
    } else {
      out.push(Array.from({ length: 5 + Math.floor(rand() * 60) }, () => String.fromCharCode(1 + Math.floor(rand() * 0x2ff))).join('').replace(/[\r\n\u2028\u2029\u0085]/g, '#'));
      rejectedLines++;
    }
  }
  return { text: `${out.join('\n')}\n`, expected, validLines, failedReads, rejectedLines };
}

describe('ma import of a legacy temperature.log against a real server', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  const env = () => ({ MA_SERVER: server.url, MA_TOKEN: TEST_ADMIN_TOKEN });

  beforeAll(async () => {
    tmp = await tempDir('import');
    server = await startServerProcess({ dir: tmp.dir });
    const r = await ma(['node', 'add', 'old-lab'], env());
    expect(r.code, r.stderr).toBe(0);
  });
  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  it('imports every valid reading of 100,000 lines exactly once, reports the rest by line, and a rerun imports nothing', async () => {
    const log = legacyLog(100_000);
    const file = path.join(tmp.dir, 'temperature.log');
    await writeFile(file, log.text);

    const dry = await ma(['import', file, '--node', 'old-lab', '--dry-run', '--json'], env());
    expect(dry.code, dry.stderr).toBe(0);
    expect((JSON.parse(dry.stdout) as Summary).rejected).toBe(log.rejectedLines);
    expect((await getJson<{ channels: unknown[] }>(`${server.url}/api/v1/nodes/old-lab`)).channels).toEqual([]);

    const first = await ma(['import', file, '--node', 'old-lab', '--json'], env());
    expect(first.code, first.stderr).toBe(0);
    const s1 = JSON.parse(first.stdout) as Summary;
    expect(s1).toMatchObject({
      lines: 100_000,
      imported: log.expected.size,
      duplicates: log.validLines - log.expected.size,
      failed_reads: log.failedReads,
      rejected: log.rejectedLines,
      channels_created: PROBES.map((p) => `ds18b20/${p}`).sort(),
    });
    expect(s1.rejected_by_reason['a ERROR log line, not a data line']).toBeGreaterThan(0);
    expect(s1.rejected_by_reason['a WARNING log line, not a data line']).toBeGreaterThan(0);
    expect(s1.rejected_by_reason['cannot read the data']).toBeGreaterThan(0);
    // Line numbers point at the line in the file.
    const lines = log.text.split('\n');
    for (const r of s1.rejected_lines) expect(lines[r.line - 1]).toBe(r.text);

    // What is stored is exactly the valid readings, each once, with its value.
    const exported = await fetch(`${server.url}/api/v1/export?node=old-lab&format=jsonl`, { headers: { authorization: `Bearer ${TEST_ADMIN_TOKEN}` } });
    const rows = (await exported.text())
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { channel: string; ts: number; value: number });
    expect(rows).toHaveLength(log.expected.size);
    // Compared by hand: a deep equality of two 60,000-entry maps is quadratic in vitest.
    const wrong = rows.filter((r) => log.expected.get(`${r.channel}@${r.ts}`) !== r.value);
    expect(wrong).toEqual([]);
    expect(new Set(rows.map((r) => `${r.channel}@${r.ts}`)).size).toBe(log.expected.size);

    const again = await ma(['import', file, '--node', 'old-lab', '--json'], env());
    expect(again.code, again.stderr).toBe(0);
    expect(JSON.parse(again.stdout)).toMatchObject({ imported: 0, duplicates: log.validLines, rejected: log.rejectedLines, channels_created: [] });

    // Probes take their tags as labels; the import is in the audit log, once per batch, with counts.
    const node = await getJson<{ channels: Array<{ key: string; unit: string; label: string; labels: Record<string, string> }> }>(`${server.url}/api/v1/nodes/old-lab`);
    expect(node.channels.find((c) => c.key === 'ds18b20/28-00000c1b0a11')).toMatchObject({ unit: '°C', label: 'freezer lab-2', labels: { tags: 'freezer,lab-2' } });
    const audit = await getJson<{ entries: Array<{ action: string; target: string; detail: { imported: number } }> }>(`${server.url}/api/v1/audit?action=readings.import&limit=200`);
    expect(audit.entries.every((e) => e.target === 'node:old-lab')).toBe(true);
    expect(audit.entries.reduce((n, e) => n + e.detail.imported, 0)).toBe(log.expected.size);
  }, 120_000);

  it('prints a readable summary with the rejected lines on stderr, and refuses without a token or an existing node', async () => {
    const file = path.join(tmp.dir, 'small.log');
    await writeFile(file, ['2020-01-01 00:00:00,000 - [INFO] - starting', `data: "{'datetime': datetime.datetime(2020, 1, 1, 0, 0, 1), 'device_uid': 'room/air', 'value': 21.5}"`, ''].join('\n'));
    const r = await ma(['import', file, '--node', 'old-lab'], env());
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('imported 1 readings into old-lab; 0 duplicates skipped, 0 failed reads skipped, 1 lines rejected (of 2)');
    expect(r.stderr).toContain(`${file}:1: rejected: a INFO log line, not a data line`);
    expect((await ma(['import', file, '--node', 'old-lab'], { MA_SERVER: server.url, MA_TOKEN: '' })).code).toBe(4);
    const missing = await ma(['import', file, '--node', 'no-such-lab'], env());
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('no-such-lab');
    const badCsv = path.join(tmp.dir, 'x.csv');
    await writeFile(badCsv, 'when,what\n1,2\n');
    const csv = await ma(['import', badCsv, '--node', 'old-lab'], env());
    expect(csv.stderr).toContain('x.csv:1: the header row');
  });
});

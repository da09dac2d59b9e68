import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { iterateRecords } from './inspect-outbox.js';
import { createSegmentLogOutbox } from './segment-log-outbox.js';

/*
 * kill -9 at a random moment while appending and acking, then recover. A killed process keeps
 * its page cache, so this proves the log stays consistent and that nothing acknowledged is
 * lost or renumbered across crashes; power loss (torn writes) is covered by the recovery tests.
 */

const here = fileURLToPath(new URL('.', import.meta.url));
const child = join(here, 'test-fixtures', 'append-until-killed.mjs');
let work: string;
let bundle: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'ma-outbox-crash-'));
  bundle = join(work, 'segment-log-outbox.mjs');
  // The child runs the real source, bundled: no dependency on a build of the whole package.
  await build({
    entryPoints: [join(here, 'segment-log-outbox.ts')],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    conditions: ['source'],
    logLevel: 'silent',
  });
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

interface Round {
  readyLastSeq: number;
  appended: Array<[number, number]>;
}

/** Runs the child until `killAfterMs` after it is ready, then kills it with SIGKILL. */
async function runAndKill(dir: string, fsyncIntervalMs: number, killAfterMs: number): Promise<Round> {
  const proc = spawn(process.execPath, [child, bundle, dir, String(fsyncIntervalMs)], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  proc.stdout.setEncoding('utf8').on('data', (s: string) => (out += s));
  proc.stderr.setEncoding('utf8').on('data', (s: string) => (err += s));
  const exited = once(proc, 'exit');
  await expect.poll(() => out.includes('ready') || proc.exitCode !== null, { timeout: 20_000 }).toBe(true);
  expect(out, err).toMatch(/^ready \d+\n/);
  await new Promise((r) => setTimeout(r, killAfterMs));
  proc.kill('SIGKILL');
  const [code, signal] = await exited;
  expect({ code, signal, err }).toMatchObject({ code: null, signal: 'SIGKILL' });
  const lines = out.split('\n').slice(0, -1); // the last piece may be a half-written line
  const appended: Array<[number, number]> = [];
  for (const line of lines) {
    const m = /^appended (\d+) (\d+)$/.exec(line);
    if (m) appended.push([Number(m[1]), Number(m[2])]);
  }
  return { readyLastSeq: Number(/^ready (\d+)/.exec(out)?.[1]), appended };
}

describe('segment-log outbox under kill -9', () => {
  for (const fsyncIntervalMs of [0, 20]) {
    it(`loses and renumbers nothing acknowledged (fsyncIntervalMs ${fsyncIntervalMs})`, async () => {
      const dir = join(work, `outbox-${fsyncIntervalMs}`);
      let maxAcknowledged = 0;
      for (let round = 1; round <= 4; round++) {
        const killAfterMs = 50 + Math.floor(Math.random() * 400);
        const context = `round ${round}, killed ${killAfterMs} ms after start`;
        const { readyLastSeq, appended } = await runAndKill(dir, fsyncIntervalMs, killAfterMs);
        expect(appended.length, context).toBeGreaterThan(0);
        expect(readyLastSeq, `${context}: seqs continue after the previous crash`).toBeGreaterThanOrEqual(maxAcknowledged);
        maxAcknowledged = Math.max(maxAcknowledged, ...appended.map(([, last]) => last));

        const outbox = createSegmentLogOutbox({ dir, segmentBytes: 16 * 1024 });
        await outbox.open();
        const stats = outbox.stats();
        await outbox.close();

        const onDisk: number[] = [];
        for await (const r of iterateRecords(dir)) onDisk.push(r.seq);
        const present = new Set(onDisk);
        // Every append that resolved is on disk, unless it was acked (and so may be deleted).
        const missing = appended.flatMap(([first, last]) =>
          Array.from({ length: last - first + 1 }, (_, i) => first + i).filter((s) => s > stats.ackedSeq && !present.has(s)),
        );
        expect(missing, context).toEqual([]);
        // No gaps: the log is one consecutive run, starting at or before the first unacked seq.
        onDisk.forEach((s, i) => i > 0 && expect(s, `${context}: gap after ${onDisk[i - 1]}`).toBe((onDisk[i - 1] as number) + 1));
        if (onDisk.length > 0) expect(onDisk[0], context).toBeLessThanOrEqual(stats.ackedSeq + 1);
        expect(stats.lastSeq, context).toBeGreaterThanOrEqual(maxAcknowledged);
        expect(stats.lastSeq, context).toBe(Math.max(onDisk.at(-1) ?? 0, stats.ackedSeq));
      }
    }, 60_000);
  }
});

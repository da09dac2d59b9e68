import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterAll, describe, expect, it } from 'vitest';
import { correctTimestamp, PLAUSIBLE_SINCE, SystemClock } from './clock-source.js';

const log = pino({ level: 'silent' });

describe('the agent clock', () => {
  const dirs: string[] = [];
  afterAll(async () => {
    for (const d of dirs) await rm(d, { recursive: true, force: true });
  });
  async function fakeClockFile(content: string): Promise<string> {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'ma-clock-'));
    dirs.push(dir);
    const file = path.join(dir, 'synced');
    await writeFile(file, content);
    return file;
  }

  it('reads sync state and a wall-clock offset from a fake clock file, and reports changes', async () => {
    const file = await fakeClockFile(`no ${-(Date.now() - 60_000)}\n`);
    const changes: boolean[] = [];
    const clock = new SystemClock({ check: { file }, intervalMs: 60_000, log, onChange: (s) => changes.push(s) });
    await clock.start();
    expect(clock.isSynced()).toBe(false);
    // The fake clock says it is one minute after the epoch: what a Pi without RTC shows at boot.
    expect(clock.wallNow()).toBeLessThan(PLAUSIBLE_SINCE);
    await writeFile(file, 'yes\n');
    await clock.check();
    expect(clock.isSynced()).toBe(true);
    expect(Math.abs(clock.wallNow() - Date.now())).toBeLessThan(50);
    expect(changes).toEqual([false, true]);
    clock.stop();
  });

  it('asks a command, synced only when it prints "yes"', async () => {
    const yes = new SystemClock({ check: { command: 'echo yes' }, intervalMs: 60_000, log });
    const no = new SystemClock({ check: { command: 'echo no' }, intervalMs: 60_000, log });
    expect(await yes.check()).toBe(true);
    expect(await no.check()).toBe(false);
  });

  it('falls back to plausibility when the command cannot run', async () => {
    const clock = new SystemClock({ check: { command: '/nonexistent/timedatectl show' }, intervalMs: 60_000, log });
    expect(await clock.check()).toBe(Date.now() >= PLAUSIBLE_SINCE);
  });

  it('treats an unreadable fake clock file as unsynced', async () => {
    const clock = new SystemClock({ check: { file: '/nonexistent/clock' }, intervalMs: 60_000, log });
    expect(await clock.check()).toBe(false);
  });
});

describe('mapping readings taken before the clock was synchronised', () => {
  const synced = { isSynced: () => true, wallNow: () => 1_750_000_100_000, monoNow: () => 100_000 };
  const unsynced = { ...synced, isSynced: () => false };

  it('keeps the time of readings taken with a synchronised clock', () => {
    expect(correctTimestamp({ ts: 1_750_000_000_000 }, unsynced, 'b1')).toEqual({ ts: 1_750_000_000_000, mapped: false });
  });

  it('holds an unsynced reading of this boot until the clock is synchronised', () => {
    expect(correctTimestamp({ ts: 60_000, sync: false, boot: 'b1', mono: 40_000 }, unsynced, 'b1')).toEqual({ hold: true });
  });

  it('maps an unsynced reading of this boot through the monotonic clock', () => {
    // Taken 60 s of monotonic time before "now": 60 s before the current wall time.
    expect(correctTimestamp({ ts: 60_000, sync: false, boot: 'b1', mono: 40_000 }, synced, 'b1')).toEqual({ ts: 1_750_000_040_000, mapped: true });
  });

  it('cannot map an unsynced reading of an earlier boot and passes it on unchanged', () => {
    expect(correctTimestamp({ ts: 60_000, sync: false, boot: 'b0', mono: 40_000 }, synced, 'b1')).toEqual({ ts: 60_000, mapped: false });
  });
});

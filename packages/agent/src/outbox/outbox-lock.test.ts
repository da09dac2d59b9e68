import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isStorageError } from '@ma/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { LOCK_BYTES } from './outbox-lock.js';
import { createSegmentLogOutbox } from './segment-log-outbox.js';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'ma-outbox-lock-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lockFile = (): string => join(dir, 'LOCK');

async function canOpen(): Promise<boolean> {
  const outbox = createSegmentLogOutbox({ dir });
  try {
    await outbox.open();
  } catch (e) {
    if (isStorageError(e)) return false;
    throw e;
  }
  await outbox.close();
  return true;
}

/** Runs a node process that stays alive until `stop()`. */
async function liveProcess(): Promise<{ pid: number; stop(): Promise<void> }> {
  const child = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)'], { stdio: 'ignore' });
  await once(child, 'spawn');
  return {
    pid: child.pid as number,
    stop: async () => {
      child.kill('SIGKILL');
      await once(child, 'exit');
    },
  };
}

describe('outbox lock', () => {
  it('lets one outbox at a time own a directory, and frees it on close', async () => {
    const first = createSegmentLogOutbox({ dir });
    await first.open();
    const owner = JSON.parse(await readFile(lockFile(), 'utf8')) as { pid: number };
    expect(owner.pid).toBe(process.pid);
    await expect(canOpen()).resolves.toBe(false);
    await first.close();
    await expect(canOpen()).resolves.toBe(true);
  });

  it('marks the lock free in place on close instead of deleting it, so a restart needs no new disk block', async () => {
    const first = createSegmentLogOutbox({ dir });
    await first.open();
    await first.close();
    expect(JSON.parse(await readFile(lockFile(), 'utf8'))).toEqual({ pid: 0 });
    expect((await stat(lockFile())).size).toBe(LOCK_BYTES);
    const second = createSegmentLogOutbox({ dir });
    await second.open();
    expect((JSON.parse(await readFile(lockFile(), 'utf8')) as { pid: number }).pid).toBe(process.pid);
    expect((await stat(lockFile())).size).toBe(LOCK_BYTES);
    await second.close();
  });

  it('refuses a directory locked by another running process, naming it', async () => {
    const other = await liveProcess();
    try {
      await writeFile(lockFile(), JSON.stringify({ pid: other.pid }));
      await expect(createSegmentLogOutbox({ dir }).open()).rejects.toThrow(`in use by process ${other.pid}`);
    } finally {
      await other.stop();
    }
  });

  it('takes over the lock of a process that has exited', async () => {
    const other = await liveProcess();
    await other.stop();
    await writeFile(lockFile(), JSON.stringify({ pid: other.pid }));
    await expect(canOpen()).resolves.toBe(true);
  });

  it('takes over a lock from before a reboot even if its pid is running now', async () => {
    await writeFile(lockFile(), JSON.stringify({ pid: process.pid, boot_id: 'an-earlier-boot' }));
    await expect(canOpen()).resolves.toBe(true);
  });

  it('takes over a lock whose pid now belongs to a different process', async () => {
    await writeFile(lockFile(), JSON.stringify({ pid: process.pid, start_time: '1' }));
    await expect(canOpen()).resolves.toBe(true);
  });

  it('takes over a lock file that a crash left unreadable', async () => {
    await writeFile(lockFile(), '{"pi');
    await expect(canOpen()).resolves.toBe(true);
  });
});

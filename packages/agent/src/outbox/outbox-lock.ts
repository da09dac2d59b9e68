/**
 * `<dir>/LOCK`: one process owns an outbox directory. The file holds the owner's pid, the
 * kernel boot id and the process start time, so a lock left by a crash is recognised as stale
 * even when, after a reboot, its pid now belongs to another process (pids repeat on a Pi).
 *
 * Known limit: two processes taking over the same stale lock at the same instant can both
 * succeed; starting two agents on one outbox at once is a deployment error this does not cover.
 */
import { readFileSync } from 'node:fs';
import { open, readFile, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';
import { errnoCode } from './durable-file.js';

export interface LockOwner {
  pid: number;
  boot_id?: string;
  start_time?: string;
}

export interface OutboxLock {
  readonly path: string;
  release(): Promise<void>;
}

export const lockPath = (dir: string): string => join(dir, 'LOCK');

export async function acquireLock(dir: string): Promise<OutboxLock & { tookOverFrom?: LockOwner }> {
  const path = lockPath(dir);
  const me = currentOwner();
  let tookOverFrom: LockOwner | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(`${JSON.stringify(me)}\n`, 'utf8');
      } finally {
        await fh.close();
      }
      return { path, tookOverFrom, release: () => releaseLock(path, me) };
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    const holder = await readLockOwner(dir);
    if (holder && isLive(holder)) {
      throw new MaError(
        ErrorCode.StorageFailed,
        `outbox ${dir} is in use by process ${holder.pid}; stop that agent, or give this one its own outbox directory`,
      );
    }
    tookOverFrom = holder ?? { pid: 0 };
    await unlink(path).catch((e: unknown) => {
      if (errnoCode(e) !== 'ENOENT') throw e;
    });
  }
  throw new MaError(ErrorCode.StorageFailed, `could not take the lock ${path}: another process keeps replacing it`);
}

/** The owner recorded in `<dir>/LOCK`, or undefined when there is none (or it is unreadable). */
export async function readLockOwner(dir: string): Promise<LockOwner | undefined> {
  let text: string;
  try {
    text = await readFile(lockPath(dir), 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return undefined;
    throw e;
  }
  try {
    const raw = JSON.parse(text) as Partial<LockOwner>;
    if (typeof raw.pid === 'number' && Number.isSafeInteger(raw.pid) && raw.pid > 0) return raw as LockOwner;
  } catch {
    // An unreadable lock file (torn by a crash while being written) is stale.
  }
  return undefined;
}

/** True while the process recorded in a lock file is still running (and is the same process). */
export function isLive(owner: LockOwner): boolean {
  const bootId = readProc('/proc/sys/kernel/random/boot_id');
  if (owner.boot_id && bootId && owner.boot_id !== bootId) return false;
  try {
    process.kill(owner.pid, 0);
  } catch (e) {
    if (errnoCode(e) === 'ESRCH') return false;
    // EPERM: the pid exists but belongs to another user; fall through to the start-time check.
  }
  const startTime = processStartTime(owner.pid);
  if (owner.start_time && startTime && owner.start_time !== startTime) return false;
  return true;
}

async function releaseLock(path: string, me: LockOwner): Promise<void> {
  try {
    const holder = JSON.parse(await readFile(path, 'utf8')) as Partial<LockOwner>;
    if (holder.pid !== me.pid || holder.start_time !== me.start_time) return; // taken over: not ours
    await unlink(path);
  } catch (e) {
    if (errnoCode(e) !== 'ENOENT') throw e;
  }
}

function currentOwner(): LockOwner {
  const owner: LockOwner = { pid: process.pid };
  const bootId = readProc('/proc/sys/kernel/random/boot_id');
  if (bootId) owner.boot_id = bootId;
  const startTime = processStartTime(process.pid);
  if (startTime) owner.start_time = startTime;
  return owner;
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); Linux only. */
function processStartTime(pid: number): string | undefined {
  const stat = readProc(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return fields[19];
}

function readProc(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8').trim() || undefined;
  } catch {
    return undefined;
  }
}

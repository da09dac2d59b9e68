/**
 * `<dir>/LOCK`: one process owns an outbox directory. The file holds the owner's pid, the
 * kernel boot id and the process start time, so a lock left by a crash is recognised as stale
 * even when, after a reboot, its pid now belongs to another process (pids repeat on a Pi).
 *
 * The file is created once, LOCK_BYTES long, and from then on only overwritten in place: a
 * release writes a "free" record ({"pid":0}), a take-over writes the new owner over a free or
 * stale one. So a restart on a completely full disk can still take the lock (creating a new file
 * would need a block the disk does not have).
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
/** Fixed size of the lock file: one JSON record padded with spaces. */
export const LOCK_BYTES = 256;
const FREE: LockOwner = { pid: 0 };

function lockRecord(owner: LockOwner): Buffer {
  const text = `${JSON.stringify(owner)}\n`;
  return Buffer.from(text.padEnd(LOCK_BYTES, ' '), 'utf8').subarray(0, LOCK_BYTES);
}

/** Writes `owner` over the whole lock file, in place (no new block needed), and trims it. */
async function overwriteLock(path: string, owner: LockOwner): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(lockRecord(owner), 0, LOCK_BYTES, 0);
    await fh.truncate(LOCK_BYTES);
  } finally {
    await fh.close();
  }
}

export async function acquireLock(dir: string): Promise<OutboxLock & { tookOverFrom?: LockOwner }> {
  const path = lockPath(dir);
  const me = currentOwner();
  let tookOverFrom: LockOwner | undefined;
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      const fh = await open(path, 'wx');
      try {
        await fh.writeFile(lockRecord(me));
      } catch (e) {
        await fh.close();
        await unlink(path).catch(() => undefined);
        throw e;
      }
      await fh.close();
      return { path, tookOverFrom, release: () => releaseLock(path, me) };
    } catch (e) {
      if (errnoCode(e) !== 'EEXIST') throw e;
    }
    const found = await readLock(dir);
    if (found.kind === 'none') continue; // removed meanwhile: create it
    const holder = found.kind === 'owner' ? found.owner : undefined;
    if (holder && isLive(holder)) {
      throw new MaError(
        ErrorCode.StorageFailed,
        `outbox ${dir} is in use by process ${holder.pid}; stop that agent, or give this one its own outbox directory`,
      );
    }
    try {
      await overwriteLock(path, me);
    } catch (e) {
      if (errnoCode(e) === 'ENOENT') continue; // removed meanwhile: create it
      throw e;
    }
    // A released lock is no take-over; a stale or unreadable one (a crash) is.
    if (found.kind !== 'free') tookOverFrom = holder ?? { pid: 0 };
    const now = await readLockOwner(dir);
    if (now?.pid !== me.pid || now.start_time !== me.start_time) continue; // another process won it
    return { path, tookOverFrom, release: () => releaseLock(path, me) };
  }
  throw new MaError(ErrorCode.StorageFailed, `could not take the lock ${path}: another process keeps replacing it`);
}

/** The owner recorded in `<dir>/LOCK`, or undefined when there is none (free or unreadable). */
export async function readLockOwner(dir: string): Promise<LockOwner | undefined> {
  const found = await readLock(dir);
  return found.kind === 'owner' ? found.owner : undefined;
}

type LockFileState = { kind: 'none' } | { kind: 'free' } | { kind: 'unreadable' } | { kind: 'owner'; owner: LockOwner };

async function readLock(dir: string): Promise<LockFileState> {
  let text: string;
  try {
    text = await readFile(lockPath(dir), 'utf8');
  } catch (e) {
    if (errnoCode(e) === 'ENOENT') return { kind: 'none' };
    throw e;
  }
  try {
    const raw = JSON.parse(text) as Partial<LockOwner>;
    if (raw.pid === 0) return { kind: 'free' };
    if (typeof raw.pid === 'number' && Number.isSafeInteger(raw.pid) && raw.pid > 0) return { kind: 'owner', owner: raw as LockOwner };
  } catch {
    // An unreadable lock file (torn by a crash while being written) is stale.
  }
  return { kind: 'unreadable' };
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
    // Marked free in place rather than deleted: the next start needs no new block for it.
    await overwriteLock(path, FREE);
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

/**
 * Small state files that must survive a crash or power cut (lock-outs, the allow-list):
 * written to a temp file, fsync'd, renamed over the old one, and the directory fsync'd, so a
 * reader finds either the old or the new content, never a torn one.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';

/** The write in flight per file: writes to one file are applied one after another, in call order. */
const pending = new Map<string, Promise<void>>();
let sequence = 0;

/**
 * Replaces `file` with `data` durably. Two writes of the same file started together (a new
 * allow-list arriving while the previous one is still being saved) are queued, so the last call
 * wins and neither fails: each also uses its own temp name, because a shared one let the first
 * rename take the second's file away (ENOENT).
 */
export function writeFileDurably(file: string, data: string, mode = 0o600): Promise<void> {
  const previous = pending.get(file) ?? Promise.resolve();
  const next = previous.catch(() => undefined).then(() => writeNow(file, data, mode));
  pending.set(file, next);
  const forget = (): void => {
    if (pending.get(file) === next) pending.delete(file);
  };
  next.then(forget, forget);
  return next;
}

async function writeNow(file: string, data: string, mode: number): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.${++sequence}.tmp`;
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data, 'utf8');
    await fh.sync();
  } finally {
    await fh.close();
  }
  await rename(tmp, file);
  const dir = await open(path.dirname(file), 'r');
  try {
    await dir.sync();
  } finally {
    await dir.close();
  }
}

/** The file's text, or undefined when it does not exist. */
export async function readFileIfExists(file: string): Promise<string | undefined> {
  try {
    return await readFile(file, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw e;
  }
}

/**
 * Small state files that must survive a crash or power cut (lock-outs, the allow-list):
 * written to a temp file, fsync'd, renamed over the old one, and the directory fsync'd, so a
 * reader finds either the old or the new content, never a torn one.
 */
import { mkdir, open, readFile, rename } from 'node:fs/promises';
import path from 'node:path';

export async function writeFileDurably(file: string, data: string, mode = 0o600): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true, mode: 0o700 });
  const tmp = `${file}.${process.pid}.tmp`;
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

import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface SmallDisk {
  /** The mount point: a real filesystem of `bytes` bytes, so writes end in ENOSPC. */
  dir: string;
  /** Unmounts (lazily, if a killed process still holds a file) and removes the mount point. */
  cleanup(): Promise<void>;
}

/**
 * A real small filesystem for disk-full tests: a tmpfs of `bytes` mounted on a fresh temp dir
 * with a unique source name (concurrent runs from other worktrees never share one). Needs
 * root, as the development and CI machines run the suite; elsewhere it fails with a clear error
 * rather than skipping.
 */
export async function mountSmallDisk(label: string, bytes: number): Promise<SmallDisk> {
  if (process.getuid?.() !== 0) throw new Error(`mounting a ${bytes}-byte tmpfs for "${label}" needs root (the disk-full tests use a real full filesystem)`);
  const dir = await mkdtemp(path.join(os.tmpdir(), `ma-disk-${label}-`));
  const source = `ma-test-${path.basename(dir)}`;
  try {
    await run('mount', ['-t', 'tmpfs', '-o', `size=${bytes},mode=0755`, source, dir]);
  } catch (e) {
    await rm(dir, { recursive: true, force: true });
    throw e;
  }
  return {
    dir,
    cleanup: async () => {
      try {
        await run('umount', [dir]);
      } catch {
        await run('umount', ['-l', dir]).catch(() => undefined);
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}

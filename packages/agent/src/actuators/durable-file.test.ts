import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { readFileIfExists, writeFileDurably } from './durable-file.js';

describe('writeFileDurably', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(path.join(tmpdir(), 'ma-durable-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('lets many writes of one file started together all succeed, the last one winning, with no temp file left', async () => {
    const file = path.join(dir, 'state', 'allow-list.json');
    await Promise.all(Array.from({ length: 20 }, (_, i) => writeFileDurably(file, `version ${i}`)));
    expect(await readFile(file, 'utf8')).toBe('version 19');
    expect(await readdir(path.dirname(file))).toEqual(['allow-list.json']);
  });

  it('keeps going after a failed write: the next write of the same file still happens', async () => {
    const blocker = path.join(dir, 'state');
    const file = path.join(blocker, 'lockouts.json');
    await writeFileDurably(blocker, 'a file where the directory should be');
    await expect(writeFileDurably(file, 'first')).rejects.toThrow(/EEXIST|ENOTDIR/);
    await rm(blocker);
    await writeFileDurably(file, 'second');
    expect(await readFileIfExists(file)).toBe('second');
  });

  it('reads a missing file as undefined', async () => {
    expect(await readFileIfExists(path.join(dir, 'none'))).toBeUndefined();
  });
});

import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PhotoSpool, type SpooledPhoto } from './photo-spool.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'ma-spool-'));
  dirs.push(d);
  return d;
}

/** A "photo" of `size` bytes in the work directory (the spool does not decode it). */
async function capture(spool: PhotoSpool, name: string, size: number, fill: number): Promise<string> {
  const f = path.join(spool.workDir, name);
  await writeFile(f, Buffer.alloc(size, fill));
  return f;
}

describe('the photo spool', () => {
  it('keeps photos across a restart, oldest first, until the server confirms them', async () => {
    const dir = await tmp();
    const a = new PhotoSpool({ dir, maxBytes: 1 << 20 });
    await a.open();
    await a.add(await capture(a, 'x', 1000, 1), { camera: 'door', ts: 2000, width: 10, height: 10 });
    await a.add(await capture(a, 'y', 1000, 2), { camera: 'door', ts: 1000, width: 10, height: 10 });
    // Left behind by a crash mid-capture: never reaches the spool.
    await writeFile(path.join(a.workDir, 'door-9.jpg'), 'half');

    const b = new PhotoSpool({ dir, maxBytes: 1 << 20 });
    await b.open();
    expect(b.stats()).toMatchObject({ pending: 2, bytes: 2000, dropped: 0 });
    expect(b.oldest()).toMatchObject({ ts: 1000, camera: 'door', bytes: 1000 });
    expect(await readdir(b.workDir)).toEqual([]);
    await b.confirm(b.oldest()!);
    expect(b.oldest()).toMatchObject({ ts: 2000 });

    const c = new PhotoSpool({ dir, maxBytes: 1 << 20 });
    await c.open();
    expect(c.stats().pending).toBe(1);
  });

  it('drops the oldest unsent photos past its size bound, and counts them for good', async () => {
    const dir = await tmp();
    const dropped: SpooledPhoto[][] = [];
    const s = new PhotoSpool({ dir, maxBytes: 2500, onDrop: (p) => dropped.push(p) });
    await s.open();
    for (let i = 1; i <= 4; i++) await s.add(await capture(s, `p${i}`, 1000, i), { camera: 'door', ts: i * 1000, width: 10, height: 10 });
    expect(s.stats()).toMatchObject({ pending: 2, bytes: 2000, dropped: 2 });
    expect(dropped.flat().map((p) => p.ts)).toEqual([1000, 2000]);
    expect(s.oldest()?.ts).toBe(3000);
    const again = new PhotoSpool({ dir, maxBytes: 2500 });
    await again.open();
    expect(again.stats()).toMatchObject({ pending: 2, dropped: 2 });
  });

  it('a photo whose sidecar is missing or does not match is not in the spool', async () => {
    const dir = await tmp();
    const s = new PhotoSpool({ dir, maxBytes: 1 << 20 });
    await s.open();
    const p = await s.add(await capture(s, 'p', 1000, 7), { camera: 'door', ts: 1000, width: 10, height: 10 });
    await writeFile(p.file, Buffer.alloc(10)); // cut short, e.g. by a bad SD card
    await writeFile(path.join(dir, '00000000000005-door-orphan.jpg'), 'renamed but no sidecar yet');
    const t = new PhotoSpool({ dir, maxBytes: 1 << 20 });
    await t.open();
    expect(t.stats().pending).toBe(0);
    expect((await readdir(dir)).filter((f) => f !== 'work')).toEqual([]);
  });
});

import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import sharp from 'sharp';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { testDatabase } from '../../../../test/support/databases.js';
import { openStore } from '../store/open-store.js';
import type { NodeRow, Store } from '../store/store.js';
import { overLimits, PhotoService, type ChunkResult, type PhotoAnnouncement } from './photo-service.js';
import { PhotosStore } from './photos-store.js';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** Uploads from nodes, one specification run on SQLite and on PostgreSQL, with real sharp. */
describe.each(['sqlite', 'postgres'] as const)('photo uploads on %s', (dialect) => {
  const harness = testDatabase(dialect, 'ma-photos');
  let store: Store;
  let dir: string;
  let service: PhotoService;
  let node: NodeRow;
  let jpeg: Buffer;

  beforeAll(async () => {
    await harness.setup();
    // Noise compresses badly: a photo of some tens of KB (about 50), so that chunks and offsets matter.
    const noise = Buffer.alloc(320 * 240 * 3);
    for (let i = 0; i < noise.length; i++) noise[i] = (i * 2654435761) >>> 24;
    jpeg = await sharp(noise, { raw: { width: 320, height: 240, channels: 3 } })
      .jpeg({ quality: 90 })
      .toBuffer();
  });
  afterAll(() => harness.teardown());
  beforeEach(async () => {
    store = await openStore({ url: await harness.fresh() });
    await store.migrate();
    dir = await mkdtemp(path.join(os.tmpdir(), 'ma-photos-'));
    service = new PhotoService(new PhotosStore(store), { dir, thumbnailWidth: 160, maxPhotoBytes: 1024 * 1024, log: pino({ level: 'silent' }) });
    await service.start();
    node = await store.createNode({ name: 'lab', display_name: 'lab', credential_hash: 'x' });
  });
  afterEach(async () => {
    await store.close();
    await rm(dir, { recursive: true, force: true });
  });

  const announce = (bytes: Buffer, over: Partial<PhotoAnnouncement> = {}): PhotoAnnouncement => ({ camera: 'bench', ts: 1_700_000_000_000, sha256: sha(bytes), bytes: bytes.length, width: 320, height: 240, ...over });
  async function sendAll(bytes: Buffer, chunk: number, a = announce(bytes)): Promise<ChunkResult> {
    let r: ChunkResult = await service.announce(node, a);
    for (let off = (r as { received: number }).received; off < bytes.length; off += chunk) r = await service.chunk(node, a.sha256, off, bytes.subarray(off, off + chunk));
    return r;
  }

  it('stores a photo sent in chunks once by hash, with a thumbnail, and answers complete when it is announced again', async () => {
    const r = await sendAll(jpeg, 16_384);
    expect(r).toMatchObject({ complete: true, received: jpeg.length, photo: { camera: 'bench', width: 320, height: 240, sha256: sha(jpeg) } });
    expect(await readFile(service.originalPath(sha(jpeg)))).toEqual(jpeg);
    expect(await sharp(service.thumbnailPath(sha(jpeg))).metadata()).toMatchObject({ format: 'jpeg', width: 160, height: 120 });
    // A node whose answer was lost sends it again: nothing more is stored.
    expect(await service.announce(node, announce(jpeg))).toMatchObject({ complete: true });
    expect(await service.chunk(node, sha(jpeg), 0, jpeg.subarray(0, 1000))).toMatchObject({ complete: true });
    expect(await service.store.list(node.id, { limit: 10 })).toHaveLength(1);
  });

  it('resumes where it stopped, and tells a node that sends from the wrong offset where to go on', async () => {
    const a = announce(jpeg);
    await service.announce(node, a);
    await service.chunk(node, a.sha256, 0, jpeg.subarray(0, 3000));
    // e.g. after a restart of either side: the announcement answers what the server has.
    expect(await service.announce(node, a)).toEqual({ received: 3000, complete: false });
    expect(await service.chunk(node, a.sha256, 1000, jpeg.subarray(1000, 2000))).toEqual({ offsetMismatch: 3000 });
    expect(await sendAll(jpeg, 4096, a)).toMatchObject({ complete: true });
  });

  it('refuses a truncated JPEG, a non-image and content that is not what was announced, keeping nothing', async () => {
    const cut = jpeg.subarray(0, Math.floor(jpeg.length * 0.7));
    expect(await sendAll(cut, 4096)).toEqual({ refused: expect.stringMatching(/not a complete image/) });
    const text = Buffer.from('this is not an image at all, just text that a broken camera wrote');
    expect(await sendAll(text, 4096)).toEqual({ refused: expect.stringMatching(/not a complete image|not a JPEG/) });
    const png = await sharp(jpeg).png().toBuffer();
    expect(await sendAll(png, 1 << 20)).toEqual({ refused: expect.stringMatching(/not a JPEG image \(sharp reads png\)/) });
    const lie = announce(jpeg, { sha256: 'a'.repeat(64) });
    expect(await sendAll(jpeg, 1 << 20, lie)).toEqual({ refused: expect.stringMatching(/sha256 is [0-9a-f]{64}, not the announced a{64}/) });
    expect(await service.store.list(node.id, { limit: 10 })).toEqual([]);
    expect((await readdir(path.join(dir, 'uploads'))).filter((f) => f.endsWith('.part'))).toEqual([]);
  });

  it('retention deletes the oldest rows and their files, keeping a file another node still has', async () => {
    const other = await store.createNode({ name: 'other', display_name: 'other', credential_hash: 'x' });
    const retained = new PhotoService(new PhotosStore(store), { dir, thumbnailWidth: 160, maxPhotoBytes: 1 << 20, log: pino({ level: 'silent' }), retention: { maxCount: 1 } });
    const second = await sharp(jpeg).flip().jpeg().toBuffer();
    await sendAll(jpeg, 1 << 20, announce(jpeg, { ts: 1000 }));
    await sendAll(second, 1 << 20, announce(second, { ts: 2000 }));
    // The other node sent the same bytes as the first photo.
    await retained.announce(other, announce(jpeg));
    await retained.chunk(other, sha(jpeg), 0, jpeg);
    expect(await retained.applyRetention()).toBe(1);
    expect((await service.store.list(node.id, { limit: 10 })).map((p) => p.sha256)).toEqual([sha(second)]);
    expect(await readFile(service.originalPath(sha(jpeg)))).toEqual(jpeg); // still the other node's
    // Once no row refers to the bytes, the file and its thumbnail go too.
    const third = await sharp(jpeg).flop().jpeg().toBuffer();
    await retained.announce(other, announce(third, { ts: 1_800_000_000_000 }));
    await retained.chunk(other, sha(third), 0, third);
    expect(await retained.applyRetention()).toBe(1);
    await expect(readFile(service.originalPath(sha(jpeg)))).rejects.toThrow(/ENOENT/);
    await expect(readFile(service.thumbnailPath(sha(jpeg)))).rejects.toThrow(/ENOENT/);
  });

  it('refuses a photo over the size limit up front', async () => {
    await expect(service.announce(node, { ...announce(jpeg), bytes: 2 * 1024 * 1024 })).rejects.toThrow(/at most 1048576 \(cameras.max_photo_bytes\)/);
  });
});

describe('photo retention', () => {
  const photos = [1, 2, 3, 4, 5].map((i) => ({ id: i, ts: i * 1000, bytes: 100 * i }));
  it('deletes the oldest photos over each limit, whichever comes first', () => {
    expect(overLimits(photos, {}, 10_000)).toEqual([]);
    expect(overLimits(photos, { maxAgeMs: 2500 }, 5000)).toEqual([1, 2]); // older than 2.5 s
    expect(overLimits(photos, { maxCount: 2 }, 5000)).toEqual([1, 2, 3]);
    expect(overLimits(photos, { maxBytes: 900 }, 5000)).toEqual([1, 2, 3]); // 400 + 500 left
    expect(overLimits(photos, { maxAgeMs: 2500, maxCount: 4, maxBytes: 1500 }, 5000)).toEqual([1, 2]); // the age limit is reached first
    expect(overLimits(photos, { maxAgeMs: 1500, maxCount: 4, maxBytes: 1000 }, 5000)).toEqual([1, 2, 3]); // the size limit is
  });
});

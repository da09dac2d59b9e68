/**
 * Photos on the server: resumable uploads from nodes, files stored once by sha256 on disk,
 * thumbnails made with sharp, metadata in the database. An upload is a `.part` file plus its
 * announcement beside it, so a node resumes where the server (even a restarted one) stopped.
 * A complete upload whose hash differs, or that sharp cannot decode fully, is refused and the
 * part removed, so the node sends it again from the start.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import sharp from 'sharp';
import type { Logger } from 'pino';
import type { NodeRow } from '../store/store.js';
import type { PhotoRow, PhotosStore } from './photos-store.js';

export interface PhotoAnnouncement {
  camera: string;
  ts: number;
  sha256: string;
  bytes: number;
  width: number;
  height: number;
}

export interface UploadState {
  received: number;
  complete: boolean;
  photo?: PhotoRow;
}

export type ChunkResult = UploadState | { offsetMismatch: number } | { refused: string } | { unknown: true };

/** Per camera, whichever limit is reached first; undefined = no limit of that kind. */
export interface RetentionLimits {
  maxAgeMs?: number | undefined;
  maxCount?: number | undefined;
  maxBytes?: number | undefined;
}

export interface PhotoServiceOptions {
  dir: string;
  retention?: RetentionLimits;
  thumbnailWidth: number;
  maxPhotoBytes: number;
  log: Logger;
}

export class PhotoService {
  readonly #o: PhotoServiceOptions;
  readonly #store: PhotosStore;
  /** One operation at a time per upload: two copies of one chunk must not both append. */
  readonly #locks = new Map<string, Promise<unknown>>();

  constructor(store: PhotosStore, o: PhotoServiceOptions) {
    this.#store = store;
    this.#o = o;
  }

  get store(): PhotosStore {
    return this.#store;
  }

  async start(): Promise<void> {
    for (const d of ['originals', 'thumbnails', 'uploads']) await mkdir(path.join(this.#o.dir, d), { recursive: true });
  }

  originalPath(sha256: string): string {
    return path.join(this.#o.dir, 'originals', sha256.slice(0, 2), `${sha256}.jpg`);
  }

  thumbnailPath(sha256: string): string {
    return path.join(this.#o.dir, 'thumbnails', sha256.slice(0, 2), `${sha256}.jpg`);
  }

  #part(node: NodeRow, sha256: string): { part: string; meta: string } {
    const base = path.join(this.#o.dir, 'uploads', `${node.id}-${sha256}`);
    return { part: `${base}.part`, meta: `${base}.json` };
  }

  async #serial<T>(key: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.#locks.get(key) ?? Promise.resolve();
    const run = prev.then(fn, fn);
    const tail = run.catch(() => undefined);
    this.#locks.set(key, tail);
    void tail.then(() => {
      if (this.#locks.get(key) === tail) this.#locks.delete(key);
    });
    return run;
  }

  /**
   * Applies the retention limits to every camera: the oldest photos go first, their files once
   * no node's row refers to them. Answers how many photos were deleted.
   */
  async applyRetention(now = Date.now()): Promise<number> {
    const limits = this.#o.retention ?? {};
    if (limits.maxAgeMs === undefined && limits.maxCount === undefined && limits.maxBytes === undefined) return 0;
    let deleted = 0;
    for (const cam of await this.#store.cameras()) {
      const ids = overLimits(await this.#store.oldestFirst(cam.node_id, cam.camera), limits, now);
      for (const sha of await this.#store.remove(ids)) {
        await rm(this.originalPath(sha), { force: true });
        await rm(this.thumbnailPath(sha), { force: true });
      }
      deleted += ids.length;
    }
    if (deleted > 0) this.#o.log.info({ deleted }, 'photo retention: deleted the oldest photos over the limits');
    return deleted;
  }

  /** A node announces a photo: answers how much of it the server already has. */
  async announce(node: NodeRow, a: PhotoAnnouncement): Promise<UploadState> {
    if (a.bytes > this.#o.maxPhotoBytes) throw new PhotoRefused(`the photo is ${a.bytes} bytes; this server takes at most ${this.#o.maxPhotoBytes} (cameras.max_photo_bytes)`);
    return this.#serial(`${node.id}-${a.sha256}`, async () => {
      const stored = await this.#store.find(node.id, a.sha256);
      if (stored) return { received: stored.bytes, complete: true, photo: stored };
      const { part, meta } = this.#part(node, a.sha256);
      const known = await readJson<PhotoAnnouncement>(meta);
      if (!known || known.bytes !== a.bytes) {
        await rm(part, { force: true });
        await writeFile(meta, JSON.stringify(a));
      }
      return { received: await sizeOf(part), complete: false };
    });
  }

  /** Appends a chunk at `offset`; the last one completes the photo (or refuses it). */
  chunk(node: NodeRow, sha256: string, offset: number, data: Buffer): Promise<ChunkResult> {
    return this.#serial(`${node.id}-${sha256}`, async () => {
      const stored = await this.#store.find(node.id, sha256);
      if (stored) return { received: stored.bytes, complete: true, photo: stored };
      const { part, meta } = this.#part(node, sha256);
      const a = await readJson<PhotoAnnouncement>(meta);
      if (!a) return { unknown: true };
      const have = await sizeOf(part);
      if (offset !== have) return { offsetMismatch: have };
      if (have + data.length > a.bytes) {
        await rm(part, { force: true });
        return { refused: `the chunk at offset ${offset} runs past the announced ${a.bytes} bytes` };
      }
      const fh = await open(part, 'a');
      try {
        await fh.write(data);
        await fh.sync();
      } finally {
        await fh.close();
      }
      const received = have + data.length;
      if (received < a.bytes) return { received, complete: false };
      return this.#complete(node, a, part, meta);
    });
  }

  async #complete(node: NodeRow, a: PhotoAnnouncement, part: string, meta: string): Promise<ChunkResult> {
    const refuse = async (why: string): Promise<ChunkResult> => {
      await rm(part, { force: true });
      this.#o.log.warn({ node: node.name, camera: a.camera, sha256: a.sha256, reason: why }, 'photo upload refused');
      return { refused: why };
    };
    const actual = await sha256File(part);
    if (actual !== a.sha256) return refuse(`the content's sha256 is ${actual}, not the announced ${a.sha256}`);
    const thumb = this.thumbnailPath(a.sha256);
    await mkdir(path.dirname(thumb), { recursive: true });

    try {
      // failOn 'truncated': a JPEG cut short is refused, not stored grey at the bottom.
      const m = await sharp(part, { failOn: 'truncated' }).metadata();
      if (m.format !== 'jpeg') return refuse(`not a JPEG image (sharp reads ${m.format ?? 'an unknown format'})`);
      await sharp(part, { failOn: 'truncated' }).rotate().resize({ width: this.#o.thumbnailWidth, withoutEnlargement: true }).jpeg({ quality: 70 }).toFile(`${thumb}.tmp`);
    } catch (e) {
      await rm(`${thumb}.tmp`, { force: true });
      return refuse(`not a complete image: ${(e as Error).message}`);
    }
    await rename(`${thumb}.tmp`, thumb);
    const original = this.originalPath(a.sha256);
    await mkdir(path.dirname(original), { recursive: true });
    // Another node may have sent the same bytes: the file is shared, the rows are per node.
    await rename(part, original);
    const dims = await sharp(original).metadata();
    const photo = await this.#store.add({ node_id: node.id, camera: a.camera, sha256: a.sha256, ts: a.ts, bytes: a.bytes, width: dims.width ?? a.width, height: dims.height ?? a.height, received_at: Date.now() });
    await rm(meta, { force: true });
    return { received: a.bytes, complete: true, photo };
  }
}

export class PhotoRefused extends Error {}

/** Ids to delete so that one camera's photos (oldest first) are within every limit. */
export function overLimits(photos: ReadonlyArray<{ id: number; ts: number; bytes: number }>, limits: RetentionLimits, now: number): number[] {
  let start = 0;
  if (limits.maxAgeMs !== undefined) while (start < photos.length && photos[start]!.ts < now - limits.maxAgeMs) start++;
  if (limits.maxCount !== undefined) start = Math.max(start, photos.length - limits.maxCount);
  if (limits.maxBytes !== undefined) {
    let total = photos.slice(start).reduce((s, p) => s + p.bytes, 0);
    while (start < photos.length && total > limits.maxBytes) total -= photos[start++]!.bytes;
  }
  return photos.slice(0, start).map((p) => p.id);
}

async function sizeOf(file: string): Promise<number> {
  try {
    return (await stat(file)).size;
  } catch {
    return 0;
  }
}

async function readJson<T>(file: string): Promise<T | undefined> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as T;
  } catch {
    return undefined;
  }
}

async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * The durable photo spool: each photo is a JPEG file plus a small JSON sidecar in one
 * directory; the sidecars are the index (read back on start). A photo is in the spool once
 * its sidecar is renamed into place, and leaves it only when the server has confirmed it by
 * hash, or when the size bound drops it (oldest first, counted, persisted).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';

export interface SpooledPhoto {
  camera: string;
  /** Capture time, epoch ms. */
  ts: number;
  sha256: string;
  bytes: number;
  width: number;
  height: number;
  /** The JPEG's path in the spool. */
  file: string;
}

export interface SpoolStats {
  pending: number;
  bytes: number;
  /** Photos dropped unsent because the spool was full (since the spool was created). */
  dropped: number;
  /** Photos the server refused as not an image, dropped after the last resend. */
  refused: number;
}

interface SpoolCounters {
  dropped: number;
  refused: number;
}

export async function sha256File(file: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(file)) h.update(chunk as Buffer);
  return h.digest('hex');
}

async function fsyncFile(file: string): Promise<void> {
  const fh = await open(file, 'r+');
  try {
    await fh.sync();
  } finally {
    await fh.close();
  }
}

export class PhotoSpool {
  readonly #dir: string;
  readonly #maxBytes: number;
  readonly #onDrop: (photos: SpooledPhoto[]) => void;
  #entries: SpooledPhoto[] = [];
  #counters: SpoolCounters = { dropped: 0, refused: 0 };
  #waiters: Array<() => void> = [];

  constructor(o: { dir: string; maxBytes: number; onDrop?: (photos: SpooledPhoto[]) => void }) {
    this.#dir = o.dir;
    this.#maxBytes = o.maxBytes;
    this.#onDrop = o.onDrop ?? (() => undefined);
  }

  /** Scratch directory on the same filesystem, for captures in progress. */
  get workDir(): string {
    return path.join(this.#dir, 'work');
  }

  async open(): Promise<void> {
    await mkdir(this.workDir, { recursive: true });
    // A capture interrupted by a crash is incomplete: it never reached the spool.
    for (const f of await readdir(this.workDir)) await rm(path.join(this.workDir, f), { force: true });
    try {
      this.#counters = { dropped: 0, refused: 0, ...(JSON.parse(await readFile(path.join(this.#dir, 'counters.json'), 'utf8')) as Partial<SpoolCounters>) };
    } catch {
      // no counters yet
    }
    const names = (await readdir(this.#dir)).sort();
    const jsons = new Set(names.filter((n) => n.endsWith('.json') && n !== 'counters.json'));
    for (const n of names) {
      if (n.endsWith('.jpg') && !jsons.has(n.replace(/\.jpg$/, '.json'))) await rm(path.join(this.#dir, n), { force: true }); // renamed, sidecar not yet
    }
    for (const n of jsons) {
      try {
        const meta = JSON.parse(await readFile(path.join(this.#dir, n), 'utf8')) as Omit<SpooledPhoto, 'file'>;
        const file = path.join(this.#dir, n.replace(/\.json$/, '.jpg'));
        if ((await stat(file)).size !== meta.bytes) throw new Error('size differs');
        this.#entries.push({ ...meta, file });
      } catch {
        await rm(path.join(this.#dir, n), { force: true });
        await rm(path.join(this.#dir, n.replace(/\.json$/, '.jpg')), { force: true });
      }
    }
    this.#entries.sort((a, b) => a.ts - b.ts || a.sha256.localeCompare(b.sha256));
  }

  /** Moves a finished, masked capture from the work directory into the spool. */
  async add(workFile: string, meta: { camera: string; ts: number; width: number; height: number }): Promise<SpooledPhoto> {
    const sha256 = await sha256File(workFile);
    const bytes = (await stat(workFile)).size;
    const base = `${String(meta.ts).padStart(14, '0')}-${meta.camera}-${sha256.slice(0, 16)}`;
    const file = path.join(this.#dir, `${base}.jpg`);
    const photo: SpooledPhoto = { ...meta, sha256, bytes, file };
    await fsyncFile(workFile);
    await rename(workFile, file);
    const sidecarTmp = path.join(this.workDir, `${base}.json`);
    const { file: _file, ...sidecar } = photo;
    await writeFile(sidecarTmp, JSON.stringify(sidecar));
    await fsyncFile(sidecarTmp);
    await rename(sidecarTmp, path.join(this.#dir, `${base}.json`));
    this.#entries.push(photo);
    await this.#enforceBound();
    for (const w of this.#waiters.splice(0)) w();
    return photo;
  }

  async #enforceBound(): Promise<void> {
    const dropped: SpooledPhoto[] = [];
    // The newest photo always stays, even alone over the bound.
    while (this.#entries.length > 1 && this.#total() > this.#maxBytes) dropped.push(this.#entries.shift()!);
    if (dropped.length === 0) return;
    for (const p of dropped) await this.#remove(p);
    this.#counters.dropped += dropped.length;
    await this.#saveCounters();
    this.#onDrop(dropped);
  }

  #total(): number {
    return this.#entries.reduce((s, e) => s + e.bytes, 0);
  }

  async #remove(p: SpooledPhoto): Promise<void> {
    // Sidecar first: without it the JPEG is an orphan that open() removes.
    await rm(p.file.replace(/\.jpg$/, '.json'), { force: true });
    await rm(p.file, { force: true });
  }

  async #saveCounters(): Promise<void> {
    const tmp = path.join(this.workDir, 'counters.json');
    await writeFile(tmp, JSON.stringify(this.#counters));
    await rename(tmp, path.join(this.#dir, 'counters.json'));
  }

  /** The oldest photo not yet confirmed, if any. */
  oldest(): SpooledPhoto | undefined {
    return this.#entries[0];
  }

  /** Resolves when a photo is added (or at once if there is one). */
  waitForPhoto(signal: AbortSignal): Promise<void> {
    if (this.#entries.length > 0 || signal.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      this.#waiters.push(resolve);
      signal.addEventListener('abort', () => resolve(), { once: true });
    });
  }

  /** The server has it (by hash): it leaves the spool. */
  async confirm(p: SpooledPhoto): Promise<void> {
    const i = this.#entries.indexOf(p);
    if (i >= 0) this.#entries.splice(i, 1);
    await this.#remove(p);
  }

  /** The server refused it for good: it leaves the spool, counted. */
  async refuse(p: SpooledPhoto): Promise<void> {
    await this.confirm(p);
    this.#counters.refused += 1;
    await this.#saveCounters();
  }

  stats(): SpoolStats {
    return { pending: this.#entries.length, bytes: this.#total(), ...this.#counters };
  }
}

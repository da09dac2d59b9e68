/**
 * Sends spooled photos to the server, oldest first, with the node's credential:
 * POST /node/photos announces a photo by its sha256 and answers how many bytes the server
 * already has; PUT /node/photos/<sha256>?offset=N sends the next chunk, read from disk (a
 * photo is never held whole in memory). A lost link resumes at the server's offset; a photo
 * the server already stored is confirmed at once, so each is stored exactly once.
 */
import http from 'node:http';
import https from 'node:https';
import { open } from 'node:fs/promises';
import { Backoff } from '../backoff.js';
import type { Logger } from '../logger.js';
import type { PhotoSpool, SpooledPhoto } from './photo-spool.js';
import { abortableSleep } from '../abortable-sleep.js';

export interface UploaderOptions {
  serverUrl: string;
  node: string;
  credential: string;
  ca?: Buffer | undefined;
  chunkBytes: number;
  retryMinMs: number;
  retryMaxMs: number;
  /** Times a photo the server calls "not an image" is sent again from scratch before it is given up. */
  resendRefused?: number;
  log: Logger;
  /** A photo refused for good (counted in the spool). */
  onRefused?: (p: SpooledPhoto, reason: string) => void;
}

interface UploadAnswer {
  received?: number;
  complete?: boolean;
  error?: { message?: string };
}

class HttpAnswer {
  constructor(
    readonly status: number,
    readonly body: UploadAnswer,
  ) {}
}

export class PhotoUploader {
  readonly #o: UploaderOptions;
  readonly #spool: PhotoSpool;
  readonly #abort = new AbortController();
  readonly #backoff: Backoff;
  #loop: Promise<void> | undefined;
  readonly #refusals = new Map<string, number>();
  #uploaded = 0;
  lastError: string | undefined;

  constructor(spool: PhotoSpool, o: UploaderOptions) {
    this.#spool = spool;
    this.#o = o;
    this.#backoff = new Backoff(o.retryMinMs, o.retryMaxMs);
  }

  get uploaded(): number {
    return this.#uploaded;
  }

  start(): void {
    this.#loop ??= this.#run();
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await this.#loop;
  }

  async #run(): Promise<void> {
    const signal = this.#abort.signal;
    while (!signal.aborted) {
      await this.#spool.waitForPhoto(signal);
      const photo = this.#spool.oldest();
      if (!photo || signal.aborted) continue;
      try {
        await this.#send(photo);
        this.#backoff.reset();
        this.lastError = undefined;
      } catch (e) {
        if (signal.aborted) break;
        const msg = (e as Error).message;
        if (msg !== this.lastError) this.#o.log.warn({ err: msg, sha256: photo.sha256 }, 'photo upload failed; retrying');
        this.lastError = msg;
        await abortableSleep(this.#backoff.next(), signal);
      }
    }
  }

  async #send(photo: SpooledPhoto): Promise<void> {
    const base = this.#o.serverUrl.replace(/\/$/, '');
    const announce = await this.#request('POST', `${base}/node/photos`, Buffer.from(JSON.stringify({ camera: photo.camera, ts: photo.ts, sha256: photo.sha256, bytes: photo.bytes, width: photo.width, height: photo.height })), 'application/json');
    if (announce.status !== 200) throw new Error(`server answered ${announce.status} to the photo announcement: ${announce.body.error?.message ?? ''}`);
    let offset = announce.body.received ?? 0;
    let complete = announce.body.complete === true;
    const fh = complete ? undefined : await open(photo.file, 'r');
    try {
      while (!complete) {
        const length = Math.min(this.#o.chunkBytes, photo.bytes - offset);
        const chunk = Buffer.alloc(length);
        const { bytesRead } = await fh!.read(chunk, 0, length, offset);
        const a = await this.#request('PUT', `${base}/node/photos/${photo.sha256}?offset=${offset}`, chunk.subarray(0, bytesRead), 'application/octet-stream');
        if (a.status === 200 || a.status === 409) {
          // 409: the server has a different offset (a chunk landed but its answer was lost): go on from there.
          offset = a.body.received ?? offset;
          complete = a.body.complete === true;
          continue;
        }
        if (a.status === 422) return await this.#refused(photo, a.body.error?.message ?? 'refused');
        throw new Error(`server answered ${a.status} to a photo chunk: ${a.body.error?.message ?? ''}`);
      }
    } finally {
      await fh?.close();
    }
    this.#refusals.delete(photo.sha256);
    await this.#spool.confirm(photo);
    this.#uploaded += 1;
    this.#o.log.info({ camera: photo.camera, sha256: photo.sha256, bytes: photo.bytes }, 'photo uploaded');
  }

  async #refused(photo: SpooledPhoto, reason: string): Promise<void> {
    const n = (this.#refusals.get(photo.sha256) ?? 0) + 1;
    this.#refusals.set(photo.sha256, n);
    if (n <= (this.#o.resendRefused ?? 2)) throw new Error(`server refused the photo (${reason}); sending it again`);
    this.#refusals.delete(photo.sha256);
    await this.#spool.refuse(photo);
    this.#o.log.error({ sha256: photo.sha256, reason }, 'server refused the photo again; dropped (counted)');
    this.#o.onRefused?.(photo, reason);
  }

  #request(method: string, url: string, body: Buffer, contentType: string): Promise<HttpAnswer> {
    const auth = Buffer.from(`${this.#o.node}:${this.#o.credential}`).toString('base64');
    const u = new URL(url);
    const lib = u.protocol === 'https:' ? https : http;
    return new Promise((resolve, reject) => {
      const req = lib.request(
        u,
        {
          method,
          headers: { authorization: `Basic ${auth}`, 'content-type': contentType, 'content-length': String(body.length) },
          // TLS is always verified; a private CA is pinned with server.ca_file.
          ...(this.#o.ca && u.protocol === 'https:' ? { ca: this.#o.ca } : {}),
          signal: this.#abort.signal,
          timeout: 30_000,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('error', reject);
          res.on('end', () => {
            let parsed: UploadAnswer = {};
            try {
              parsed = JSON.parse(Buffer.concat(chunks).toString('utf8')) as UploadAnswer;
            } catch {
              // not JSON (a proxy's error page): the status says enough
            }
            resolve(new HttpAnswer(res.statusCode ?? 0, parsed));
          });
        },
      );
      req.on('timeout', () => req.destroy(new Error('the server did not answer within 30 s')));
      req.on('error', reject);
      req.end(body);
    });
  }
}

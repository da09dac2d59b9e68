/**
 * Cameras on a node: one capture loop per camera (interval, time windows, retries with
 * backoff, a fault after N photos in a row given up), the durable photo spool, and its
 * uploader. Nothing here can crash the agent: every failure becomes a log line and, past the
 * threshold, an agent_fault event carrying the program's stderr.
 */
import path from 'node:path';
import type { ChannelMeta, NodeEvent } from '@ma/protocol';
import { Backoff } from '../backoff.js';
import { changeScore, grayGrid, maskedCells } from './activity.js';
import type { Logger } from '../logger.js';
import type { CameraConfig, PhotoUploadConfig } from './cameras-config.js';
import { capturePhoto, CaptureError } from './capture.js';
import { PhotoSpool } from './photo-spool.js';
import { PhotoUploader } from './photo-uploader.js';
import { inWindows } from './schedule.js';
import { abortableSleep } from '../abortable-sleep.js';

export interface CameraHealth {
  name: string;
  photos: number;
  consecutive_failures: number;
  fault: string | null;
  last_photo_at: number | null;
}

export interface CameraNodeOptions {
  cameras: CameraConfig[];
  upload: PhotoUploadConfig;
  /** The server's HTTP URL, for uploads; none: photos wait in the spool. */
  serverUrl: string | undefined;
  node: string;
  credential: string;
  ca?: Buffer | undefined;
  dataDir: string;
  log: Logger;
  now: () => number;
  publishEvent: (e: NodeEvent) => void;
  /** A reading of a camera's activity channel (camera/<name>/activity), into the outbox like any other. */
  reading?: (ch: string, v: number, ts: number) => void;
}

/** The activity channel of a camera. */
export const activityChannel = (camera: string): string => `camera/${camera}/activity`;

export class CameraNode {
  readonly spool: PhotoSpool;
  readonly uploader: PhotoUploader | undefined;
  readonly #o: CameraNodeOptions;
  readonly #abort = new AbortController();
  readonly #loops: Promise<void>[] = [];
  readonly #health = new Map<string, CameraHealth>();

  constructor(o: CameraNodeOptions) {
    this.#o = o;
    this.spool = new PhotoSpool({
      dir: path.join(o.dataDir, 'photos'),
      maxBytes: o.upload.max_bytes,
      onDrop: (photos) => {
        o.log.error({ count: photos.length }, 'photo spool full: dropped the oldest unsent photos');
        o.publishEvent({ ts: o.now(), type: 'agent_fault', message: `photo spool: dropped ${photos.length} unsent photos (the spool reached its ${o.upload.max_bytes}-byte bound; the oldest went)` });
      },
    });
    this.uploader = o.serverUrl
      ? new PhotoUploader(this.spool, {
          serverUrl: o.serverUrl,
          node: o.node,
          credential: o.credential,
          ca: o.ca,
          chunkBytes: o.upload.chunk_bytes,
          retryMinMs: o.upload.retry_min,
          retryMaxMs: o.upload.retry_max,
          log: o.log.child({ name: 'agent.cameras.upload' }),
          onRefused: (p, reason) => o.publishEvent({ ts: o.now(), type: 'agent_fault', message: `camera ${p.camera}: the server refused a photo (${reason}); dropped after resending` }),
        })
      : undefined;
    for (const c of o.cameras) this.#health.set(c.name, { name: c.name, photos: 0, consecutive_failures: 0, fault: null, last_photo_at: null });
  }

  async start(): Promise<void> {
    await this.spool.open();
    for (const cam of this.#o.cameras) this.#loops.push(this.#captureLoop(cam));
    this.uploader?.start();
    if (!this.uploader) this.#o.log.warn('cameras: no server HTTP URL (set camera_upload.server_url): photos stay in the spool');
  }

  async stop(): Promise<void> {
    this.#abort.abort();
    await Promise.all(this.#loops);
    await this.uploader?.stop();
  }

  /** Each camera's activity channel, for the metadata the uplink sends. */
  channels(): Record<string, ChannelMeta> {
    const out: Record<string, ChannelMeta> = {};
    for (const c of this.#o.cameras) out[activityChannel(c.name)] = { kind: 'sensor', driver: 'camera', unit: '%', quantity: 'activity', label: `${c.name} activity` };
    return out;
  }

  health(): CameraHealth[] {
    return [...this.#health.values()].map((h) => ({ ...h }));
  }

  async #captureLoop(cam: CameraConfig): Promise<void> {
    const signal = this.#abort.signal;
    const log = this.#o.log.child({ name: `agent.cameras.${cam.name}` });
    const h = this.#health.get(cam.name)!;
    let n = 0;
    let previous: Buffer | undefined;
    const masked = maskedCells(cam.masks, cam.width, cam.height);
    let next = Date.now();
    while (!signal.aborted) {
      await abortableSleep(Math.max(0, next - Date.now()), signal);
      if (signal.aborted) break;
      // The next slot is counted from the schedule, not from when this capture ends.
      next += cam.interval;
      if (next < Date.now()) next = Date.now() + cam.interval;
      if (!inWindows(cam.windows, new Date(this.#o.now()))) continue;
      const ts = this.#o.now();
      const work = path.join(this.spool.workDir, `${cam.name}-${++n}`);
      const backoff = new Backoff(cam.retry_delay, cam.retry_delay * 8);
      let lastErr: CaptureError | undefined;
      for (let attempt = 0; attempt <= cam.retries && !signal.aborted; attempt++) {
        if (attempt > 0) await abortableSleep(backoff.next(), signal);
        try {
          await capturePhoto(cam, `${work}.jpg`, `${work}.raw.jpg`);
          // The score is computed before the photo enters the spool (the uploader may remove it at once).
          const grid = await grayGrid(`${work}.jpg`, cam.timeout).catch((err: unknown) => {
            log.warn({ camera: cam.name, err: (err as Error).message }, 'could not compute the activity score');
            return undefined;
          });
          if (grid && previous) {
            const score = changeScore(previous, grid, masked);
            if (score !== undefined) this.#o.reading?.(activityChannel(cam.name), score, ts);
          }
          if (grid) previous = grid;
          const photo = await this.spool.add(`${work}.jpg`, { camera: cam.name, ts, width: cam.width, height: cam.height });
          log.info({ camera: cam.name, sha256: photo.sha256, bytes: photo.bytes, ts }, 'photo spooled');
          if (h.fault) this.#o.publishEvent({ ts: this.#o.now(), type: 'agent_fault', message: `camera ${cam.name}: capturing again after the fault` });
          Object.assign(h, { photos: h.photos + 1, consecutive_failures: 0, fault: null, last_photo_at: ts });
          lastErr = undefined;
          break;
        } catch (e) {
          lastErr = e instanceof CaptureError ? e : new CaptureError((e as Error).message, '');
          log.warn({ camera: cam.name, attempt: attempt + 1, err: lastErr.message }, 'capture failed');
        }
      }
      if (!lastErr || signal.aborted) continue;
      h.consecutive_failures += 1;
      if (h.consecutive_failures >= cam.fault_after && h.fault === null) {
        h.fault = lastErr.message;
        log.error({ camera: cam.name, failures: h.consecutive_failures, err: lastErr.message, stderr: lastErr.stderr }, 'camera fault');
        this.#o.publishEvent({ ts: this.#o.now(), type: 'agent_fault', message: `camera ${cam.name}: ${h.consecutive_failures} photos in a row failed: ${lastErr.message}` });
      }
    }
  }
}

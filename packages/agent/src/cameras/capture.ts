/**
 * Takes one photo with the camera's configured capture program, then blacks out its privacy
 * masks with ffmpeg's drawbox, so that only the masked image is ever written where the spool
 * can see it. Programs run without a shell, with a deadline; a failure carries their stderr.
 */
import { open, rm, stat } from 'node:fs/promises';
import { runProgram } from '../actuators/run-program.js';
import type { CameraConfig, Mask } from './cameras-config.js';

export class CaptureError extends Error {
  constructor(
    message: string,
    /** The last lines the program wrote to stderr: what the fault shows. */
    readonly stderr: string,
  ) {
    super(message);
  }
}

/** ffmpeg's JPEG scale: 2 (best) to 31; quality 100 maps to 2, 1 to 31. */
export function ffmpegQscale(quality: number): number {
  return Math.round(2 + ((100 - quality) * 29) / 99);
}

/** The argv that writes one JPEG of `cam` to `out`. */
export function captureArgv(cam: CameraConfig, out: string): string[] {
  const { width: w, height: h, quality: q } = cam;
  switch (cam.program) {
    case 'ffmpeg': {
      const input = cam.input ?? ['-f', 'v4l2', '-video_size', `${w}x${h}`, '-i', cam.device];
      const vf = [`scale=${w}:${h}`, ...maskFilters(cam.masks)].join(',');
      return [cam.executable ?? 'ffmpeg', '-hide_banner', '-loglevel', 'error', '-nostdin', '-y', ...input, '-frames:v', '1', '-vf', vf, '-q:v', String(ffmpegQscale(q)), '-f', 'image2', '-c:v', 'mjpeg', out];
    }
    case 'rpicam-still':
    case 'libcamera-still':
      return [cam.executable ?? cam.program, '--nopreview', '--immediate', '--width', String(w), '--height', String(h), '--quality', String(q), '--encoding', 'jpg', '-o', out];
    case 'fswebcam':
      return [cam.executable ?? 'fswebcam', '--quiet', '--no-banner', '--device', cam.device, '--resolution', `${w}x${h}`, '--jpeg', String(q), '--save', out];
    case 'command':
      return cam.command!.map((a) => a.replaceAll('{out}', out).replaceAll('{width}', String(w)).replaceAll('{height}', String(h)).replaceAll('{quality}', String(q)));
  }
}

/** drawbox filters, one per mask, filled black. */
export function maskFilters(masks: readonly Mask[]): string[] {
  return masks.map((m) => `drawbox=x=${m.x}:y=${m.y}:w=${m.width}:h=${m.height}:color=black:t=fill`);
}

async function assertJpeg(file: string, what: string, stderr: string): Promise<number> {
  let size: number;
  try {
    size = (await stat(file)).size;
  } catch {
    throw new CaptureError(`${what} wrote no photo`, stderr);
  }
  const fh = await open(file, 'r');
  try {
    const head = Buffer.alloc(3);
    await fh.read(head, 0, 3, 0);
    const tail = Buffer.alloc(2);
    if (size >= 5) await fh.read(tail, 0, 2, size - 2);
    // SOI at the start and EOI at the end: a program killed halfway leaves no EOI.
    if (size < 5 || head[0] !== 0xff || head[1] !== 0xd8 || tail[0] !== 0xff || tail[1] !== 0xd9) {
      throw new CaptureError(`${what} wrote ${size} bytes that are not a complete JPEG`, stderr);
    }
  } finally {
    await fh.close();
  }
  return size;
}

/**
 * Captures into `out` (a JPEG with the masks applied). `work` is a scratch path beside it
 * for programs that cannot mask themselves; it is removed whatever happens.
 */
export async function capturePhoto(cam: CameraConfig, out: string, work: string, ffmpeg = 'ffmpeg'): Promise<void> {
  const what = `camera ${cam.name} (${cam.program})`;
  // ffmpeg masks in the same pass; the others write to scratch and ffmpeg masks from there.
  const selfMasking = cam.program === 'ffmpeg' || cam.masks.length === 0;
  const target = selfMasking ? out : work;
  try {
    const argv = captureArgv(cam, target);
    let r;
    try {
      r = await runProgram(argv, cam.timeout, what);
    } catch (e) {
      throw new CaptureError((e as Error).message, '');
    }
    const stderr = r.stderr.trim().split('\n').slice(-5).join('\n');
    if (r.code !== 0) throw new CaptureError(`${what} exited with ${r.code ?? r.signal}${stderr ? `: ${stderr}` : ''}`, stderr);
    await assertJpeg(target, what, stderr);
    if (!selfMasking) {
      const m = await runProgram([ffmpeg, '-hide_banner', '-loglevel', 'error', '-nostdin', '-y', '-i', work, '-vf', maskFilters(cam.masks).join(','), '-q:v', String(ffmpegQscale(cam.quality)), '-f', 'image2', '-c:v', 'mjpeg', out], cam.timeout, `masking ${what}`);
      const mErr = m.stderr.trim().split('\n').slice(-5).join('\n');
      if (m.code !== 0) throw new CaptureError(`masking ${what} with ffmpeg failed (${m.code ?? m.signal})${mErr ? `: ${mErr}` : ''}`, mErr);
      await assertJpeg(out, `masking ${what}`, mErr);
    }
  } catch (e) {
    await rm(out, { force: true });
    throw e;
  } finally {
    if (!selfMasking) await rm(work, { force: true });
  }
}


/**
 * A change score between consecutive photos of a camera: both are downscaled to a small
 * grayscale grid by ffmpeg (the node has no image library), and the score is the mean
 * absolute difference over the cells no mask touches, as a percentage of full scale. A static
 * scene scores near 0; people moving about score well above it.
 */
import { runProgramBytes } from './run-bytes.js';
import type { Mask } from './cameras-config.js';

export const GRID_W = 32;
export const GRID_H = 24;

/** The small grayscale grid of a JPEG, row by row (GRID_W x GRID_H bytes). */
export async function grayGrid(file: string, timeoutMs: number, ffmpeg = 'ffmpeg'): Promise<Buffer> {
  const out = await runProgramBytes([ffmpeg, '-hide_banner', '-loglevel', 'error', '-nostdin', '-i', file, '-vf', `scale=${GRID_W}:${GRID_H}:flags=area,format=gray`, '-f', 'rawvideo', '-'], timeoutMs);
  if (out.length !== GRID_W * GRID_H) throw new Error(`ffmpeg gave ${out.length} bytes for a ${GRID_W}x${GRID_H} grid`);
  return out;
}

/** Which grid cells any mask touches (they are left out of the score). */
export function maskedCells(masks: readonly Mask[], width: number, height: number): boolean[] {
  const out = new Array<boolean>(GRID_W * GRID_H).fill(false);
  for (const m of masks) {
    const x0 = Math.floor((m.x / width) * GRID_W);
    const x1 = Math.ceil(((m.x + m.width) / width) * GRID_W);
    const y0 = Math.floor((m.y / height) * GRID_H);
    const y1 = Math.ceil(((m.y + m.height) / height) * GRID_H);
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++) out[y * GRID_W + x] = true;
  }
  return out;
}

/** 0–100; undefined when every cell is masked. */
export function changeScore(prev: Buffer, next: Buffer, masked: readonly boolean[]): number | undefined {
  let sum = 0;
  let n = 0;
  for (let i = 0; i < prev.length; i++) {
    if (masked[i]) continue;
    sum += Math.abs(prev[i]! - next[i]!);
    n++;
  }
  return n === 0 ? undefined : Math.round((sum / n / 255) * 1000) / 10;
}

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';
import { parseAgentConfig } from '../config/load.js';
import { cameraSchema, type CameraConfig } from './cameras-config.js';
import { capturePhoto, CaptureError } from './capture.js';

const dirs: string[] = [];
afterAll(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true });
});
async function tmp(): Promise<string> {
  const d = await mkdtemp(path.join(os.tmpdir(), 'ma-capture-'));
  dirs.push(d);
  return d;
}

const camera = (c: Record<string, unknown>): CameraConfig => cameraSchema.parse({ name: 'bench', width: 320, height: 240, timeout: '10s', ...c });
const testsrc = ['-f', 'lavfi', '-i', 'testsrc=size=320x240:rate=1'];

/** Decodes a JPEG to RGB pixels with ffmpeg (the agent has no image library). */
async function pixels(file: string): Promise<{ at(x: number, y: number): [number, number, number] }> {
  const { stdout } = await promisify(execFile)('ffmpeg', ['-loglevel', 'error', '-i', file, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'], { encoding: 'buffer', maxBuffer: 1 << 24 });
  return { at: (x, y) => [stdout[(y * 320 + x) * 3]!, stdout[(y * 320 + x) * 3 + 1]!, stdout[(y * 320 + x) * 3 + 2]!] };
}
const isBlack = ([r, g, b]: [number, number, number]) => r < 20 && g < 20 && b < 20;

describe('camera capture', () => {
  it('takes a JPEG with ffmpeg from a lavfi test source, the mask blacked out in the same pass', async () => {
    const d = await tmp();
    const out = path.join(d, 'p.jpg');
    await capturePhoto(camera({ program: 'ffmpeg', input: testsrc, masks: [{ x: 0, y: 0, width: 100, height: 80 }] }), out, path.join(d, 'raw.jpg'));
    const head = (await readFile(out)).subarray(0, 2);
    expect([...head]).toEqual([0xff, 0xd8]);
    const px = await pixels(out);
    for (const [x, y] of [[2, 2], [50, 40], [97, 77]] as const) expect(isBlack(px.at(x, y))).toBe(true);
    // testsrc is colourful everywhere: outside the mask, it is not black.
    expect([[200, 40], [50, 200], [300, 200]].filter(([x, y]) => !isBlack(px.at(x!, y!))).length).toBeGreaterThan(1);
  });

  it('masks the photo of any other program with ffmpeg before it is kept', async () => {
    const d = await tmp();
    const out = path.join(d, 'p.jpg');
    const cmd = ['ffmpeg', '-loglevel', 'error', '-y', '-f', 'lavfi', '-i', 'color=c=white:size={width}x{height}', '-frames:v', '1', '{out}'];
    await capturePhoto(camera({ program: 'command', command: cmd, masks: [{ x: 200, y: 100, width: 120, height: 140 }] }), out, path.join(d, 'raw.jpg'));
    const px = await pixels(out);
    expect(isBlack(px.at(250, 150))).toBe(true);
    expect(isBlack(px.at(319, 239))).toBe(true);
    expect(px.at(10, 10)[0]).toBeGreaterThan(200); // still white outside
    await expect(stat(path.join(d, 'raw.jpg'))).rejects.toThrow(); // the unmasked scratch copy is gone
  });

  it('a missing program is a capture error naming it', async () => {
    const d = await tmp();
    const err = await capturePhoto(camera({ program: 'fswebcam', executable: '/nonexistent/fswebcam' }), path.join(d, 'p.jpg'), path.join(d, 'raw.jpg')).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(CaptureError);
    expect((err as Error).message).toMatch(/cannot run \/nonexistent\/fswebcam \(ENOENT\)/);
  });

  it('keeps the stderr of a program that fails', async () => {
    const d = await tmp();
    const err = (await capturePhoto(camera({ program: 'command', command: ['sh', '-c', 'echo "no camera on /dev/video0" >&2; exit 3'] }), path.join(d, 'p.jpg'), path.join(d, 'r.jpg')).catch((e: unknown) => e)) as CaptureError;
    expect(err.message).toContain('exited with 3');
    expect(err.stderr).toBe('no camera on /dev/video0');
  });

  it('a program that writes nothing, or not a whole JPEG, failed', async () => {
    const d = await tmp();
    const nothing = (await capturePhoto(camera({ program: 'command', command: ['true'] }), path.join(d, 'p.jpg'), path.join(d, 'r.jpg')).catch((e: unknown) => e)) as Error;
    expect(nothing.message).toMatch(/wrote no photo/);
    const half = (await capturePhoto(camera({ program: 'command', command: ['sh', '-c', 'printf "\\377\\330\\377garbage" > "$0"', '{out}'] }), path.join(d, 'p.jpg'), path.join(d, 'r.jpg')).catch((e: unknown) => e)) as Error;
    expect(half.message).toMatch(/not a complete JPEG/);
    await expect(stat(path.join(d, 'p.jpg'))).rejects.toThrow(); // nothing half-written is left for the spool
  });

  it('a program that hangs is killed at the timeout', async () => {
    const d = await tmp();
    const t0 = Date.now();
    const err = (await capturePhoto(camera({ program: 'command', command: ['sleep', '30'], timeout: '300ms' }), path.join(d, 'p.jpg'), path.join(d, 'r.jpg')).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/did not finish within 300 ms/);
    expect(Date.now() - t0).toBeLessThan(5000);
  });
});

describe('camera config', () => {
  const base = { node: 'lab', server: { mqtt_url: 'ws://127.0.0.1:1/mqtt', credential: 'abcdefghij' }, drivers: [{ driver: 'system' }] };
  const parse = (cameras: unknown) => parseAgentConfig(JSON.stringify({ ...base, cameras }), '/etc/ma/agent.yaml', {});

  it('a mask outside the frame is an error naming the camera and the rectangle', () => {
    expect(() => parse([{ name: 'door', program: 'ffmpeg', width: 640, height: 480, masks: [{ x: 0, y: 0, width: 10, height: 10 }, { x: 600, y: 400, width: 100, height: 50 }] }])).toThrow(
      /agent\.yaml: cameras\[0\]\.masks\[1\].*camera "door": mask 1 \(x=600, y=400, width=100, height=50\) reaches outside the 640x480 frame/,
    );
  });

  it('an unknown program lists the supported ones', () => {
    expect(() => parse([{ name: 'door', program: 'raspistill' }])).toThrow(/cameras\[0\]\.program.*ffmpeg.*rpicam-still.*libcamera-still.*fswebcam.*command/);
  });

  it('a command camera needs its argv', () => {
    expect(() => parse([{ name: 'door', program: 'command' }])).toThrow(/cameras\[0\]\.command.*needs command/);
  });

  it('accepts windows and masks inside the frame, with defaults', () => {
    const { config } = parse([{ name: 'door', program: 'rpicam-still', windows: [{ days: ['mon'], from: '07:00', to: '23:00' }], masks: [{ x: 0, y: 0, width: 1280, height: 720 }] }]);
    expect(config.cameras[0]).toMatchObject({ width: 1280, height: 720, quality: 85, interval: 300_000, retries: 2, fault_after: 3 });
    expect(config.camera_upload).toMatchObject({ chunk_bytes: 262_144, max_bytes: 536_870_912 });
  });
});

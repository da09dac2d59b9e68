import { createHash } from 'node:crypto';
import sharp from 'sharp';
import { expect } from 'vitest';
import { request } from './login.js';

/** One small photo uploaded the way an agent does (announce, then one chunk); returns its id. */
export async function uploadPhoto(serverUrl: string, node: string, credential: string, camera = 'bench'): Promise<number> {
  const jpeg = await sharp({ create: { width: 64, height: 48, channels: 3, background: { r: 10, g: 120, b: 200 } } })
    .jpeg()
    .toBuffer();
  const sha256 = createHash('sha256').update(jpeg).digest('hex');
  const auth = { authorization: `Basic ${Buffer.from(`${node}:${credential}`).toString('base64')}` };
  const a = await request(`${serverUrl}/node/photos`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify({ camera, ts: Date.now(), sha256, bytes: jpeg.length, width: 64, height: 48 }) });
  expect(a.status, a.body).toBe(200);
  const c = await request(`${serverUrl}/node/photos/${sha256}?offset=0`, { method: 'PUT', headers: { ...auth, 'content-type': 'application/octet-stream' }, body: jpeg });
  expect(c.json(), c.body).toMatchObject({ complete: true, id: expect.any(Number) });
  return c.json<{ id: number }>().id;
}

import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import WebSocket from 'ws';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChannelListResponse, LiveMessage } from '@ma/protocol';
import { NodePublisher } from '../support/alerts-fixtures.js';
import { REPO_ROOT, TEST_ADMIN_TOKEN, addNode, eventually, getJson, startServerProcess, tempDir, type ServerHandle } from '../support/processes.js';

/**
 * What crosses the wire: the built dashboard's assets precompressed at build time and picked by
 * Accept-Encoding, API answers compressed on the fly above 1 KB, and the live WebSocket unaffected.
 * Requests go through node:http, which (unlike fetch) hands back the bytes exactly as sent.
 */

const WEB_DIST = path.join(REPO_ROOT, 'packages/web/dist');
/** The performance issue's goal for the dashboard's initial load (index.html and what it references). */
const INITIAL_LOAD_BUDGET_BYTES = 75 * 1024;

interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: Buffer;
  /** Status line and headers as received, in bytes. */
  headerBytes: number;
}

function rawGet(url: string, headers: Record<string, string> = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          let headerBytes = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`.length + 2;
          for (let i = 0; i < res.rawHeaders.length; i += 2) headerBytes += Buffer.byteLength(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`);
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks), headerBytes });
        });
        res.on('error', reject);
      })
      .on('error', reject);
  });
}

function decoded(r: RawResponse): Buffer {
  const enc = r.headers['content-encoding'];
  if (enc === 'br') return brotliDecompressSync(r.body);
  if (enc === 'gzip') return gunzipSync(r.body);
  if (enc === undefined) return r.body;
  throw new Error(`unexpected content-encoding ${enc}`);
}

/** The same-origin scripts, stylesheets and icons index.html makes the browser fetch. */
function referencedAssets(html: string): string[] {
  return [...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1]!);
}

describe('compressed responses from a real server serving the built dashboard', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let server: ServerHandle;
  let indexHtml: string;
  const auth = { authorization: `Bearer ${TEST_ADMIN_TOKEN}` };

  beforeAll(async () => {
    indexHtml = readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');
    tmp = await tempDir('ma-compression-');
    server = await startServerProcess({ dir: tmp.dir, mqttTcp: true });
  });
  afterAll(async () => {
    await server?.stop();
    await tmp?.cleanup();
  });

  it('serves each dashboard asset as brotli, gzip or identity by Accept-Encoding, each decoding to the built file', async () => {
    const assets = referencedAssets(indexHtml).filter((a) => a.startsWith('/assets/'));
    expect(assets.some((a) => a.endsWith('.js')) && assets.some((a) => a.endsWith('.css'))).toBe(true);
    for (const url of ['/', ...assets]) {
      const original = readFileSync(path.join(WEB_DIST, url === '/' ? 'index.html' : url));
      const type = url === '/' ? 'text/html' : url.endsWith('.js') ? 'javascript' : 'text/css';
      const br = await rawGet(`${server.url}${url}`, { 'accept-encoding': 'gzip, deflate, br' });
      const gz = await rawGet(`${server.url}${url}`, { 'accept-encoding': 'gzip' });
      const plain = await rawGet(`${server.url}${url}`);
      expect([br.headers['content-encoding'], gz.headers['content-encoding'], plain.headers['content-encoding']]).toEqual(['br', 'gzip', undefined]);
      for (const r of [br, gz, plain]) {
        expect(r.status).toBe(200);
        expect(r.headers['content-type']).toContain(type);
        expect(r.headers.vary).toMatch(/accept-encoding/i);
        expect(decoded(r).equals(original)).toBe(true);
      }
      expect(br.body.length).toBeLessThan(gz.body.length);
      expect(gz.body.length).toBeLessThan(original.length);
      // One ETag per representation, so a cache holding the gzip copy never answers a brotli request with it.
      expect(new Set([br.headers.etag, gz.headers.etag, plain.headers.etag]).size).toBe(3);
    }
  });

  it('revalidates a precompressed asset with its own ETag (304, no body)', async () => {
    const first = await rawGet(`${server.url}/`, { 'accept-encoding': 'br' });
    const again = await rawGet(`${server.url}/`, { 'accept-encoding': 'br', 'if-none-match': String(first.headers.etag) });
    expect(again.status).toBe(304);
    expect(again.body.length).toBe(0);
  });

  it('compresses the SPA fallback too: a deep link gets the precompressed index.html', async () => {
    const r = await rawGet(`${server.url}/charts?ch=1`, { 'accept-encoding': 'br, gzip' });
    expect(r.status).toBe(200);
    expect(r.headers['content-encoding']).toBe('br');
    expect(decoded(r).toString('utf8')).toBe(indexHtml);
  });

  it(`keeps the dashboard's initial load (index.html and every asset it references) within ${INITIAL_LOAD_BUDGET_BYTES / 1024} KB on the wire`, async () => {
    const urls = ['/', ...referencedAssets(indexHtml)];
    let bytes = 0;
    for (const url of urls) {
      const r = await rawGet(`${server.url}${url}`, { 'accept-encoding': 'br, gzip' });
      expect(r.status, url).toBe(200);
      bytes += r.headerBytes + r.body.length;
    }
    expect(urls.length).toBeGreaterThanOrEqual(3);
    expect(bytes).toBeLessThanOrEqual(INITIAL_LOAD_BUDGET_BYTES);
  });

  it('compresses API JSON above 1 KB, leaves small answers plain, and decodes to the same document', async () => {
    const big = await rawGet(`${server.url}/api/openapi.json`, { 'accept-encoding': 'br, gzip' });
    expect(big.status).toBe(200);
    expect(big.headers['content-encoding']).toBe('br');
    expect(big.headers.vary).toMatch(/accept-encoding/i);
    const plain = await rawGet(`${server.url}/api/openapi.json`);
    expect(plain.headers['content-encoding']).toBeUndefined();
    expect(JSON.parse(decoded(big).toString('utf8'))).toEqual(JSON.parse(plain.body.toString('utf8')));
    expect(big.body.length * 3).toBeLessThan(plain.body.length);

    const small = await rawGet(`${server.url}/api/v1/nodes`, { ...auth, 'accept-encoding': 'br, gzip' });
    expect(small.status).toBe(200);
    expect(small.body.length).toBeLessThan(1024);
    expect(small.headers['content-encoding']).toBeUndefined();
  });

  it('streams CSV compressed (gzip for a gzip-only client) and the live WebSocket still pushes readings', async () => {
    const node = await addNode(server.configFile, 'compress-node', `mqtt://127.0.0.1:${server.mqttTcpPort}`);
    const publisher = await NodePublisher.connect(server.mqttTcpPort!, node);
    const live = new WebSocket(`${server.url.replace('http', 'ws')}/api/v1/live`, { headers: auth });
    const pushed: LiveMessage[] = [];
    live.on('message', (data: Buffer) => pushed.push(JSON.parse(data.toString()) as LiveMessage));
    await new Promise((resolve, reject) => {
      live.once('open', resolve);
      live.once('error', reject);
    });
    try {
      const now = Date.now();
      await publisher.publish('manual/fridge', Array.from({ length: 200 }, (_, i) => ({ ts: now - (200 - i) * 1000, v: 4 + Math.sin(i / 10) })));
      await eventually(async () => pushed.find((m) => m.type === 'readings' && m.node === 'compress-node'));

      const channels = await getJson<ChannelListResponse>(`${server.url}/api/v1/channels`);
      const id = channels.channels.find((c) => c.node === 'compress-node' && c.key === 'manual/fridge')!.id;
      const url = `${server.url}/api/v1/readings.csv?channel=${id}&raw=1&from=${now - 300_000}&to=${now + 1000}`;
      const gz = await rawGet(url, { ...auth, 'accept-encoding': 'gzip' });
      expect(gz.status).toBe(200);
      expect(gz.headers['content-type']).toContain('text/csv');
      expect(gz.headers['content-encoding']).toBe('gzip');
      const plain = await rawGet(url, auth);
      expect(plain.headers['content-encoding']).toBeUndefined();
      const text = decoded(gz).toString('utf8');
      expect(text).toBe(plain.body.toString('utf8'));
      expect(text.trim().split('\n')).toHaveLength(201);
      expect(gz.body.length).toBeLessThan(plain.body.length);
    } finally {
      live.close();
      await publisher.close();
    }
  });
});

// 3c. The dashboard's initial load on the wire (the performance issue's goal: <= 75 KB): index.html
// and every script, stylesheet and icon it references, fetched from a real server as a browser
// would (Accept-Encoding: br, gzip), headers included, against the same files as a gzip-only
// client and an identity client get them. No browser: the bytes are the server's, not Chromium's.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { check, repeat, repoRoot, startBenchServer, withTempDir } from '../lib.js';

const WEB_DIST = path.join(repoRoot, 'packages/web/dist');

function rawGet(url, headers) {
  return new Promise((resolve, reject) => {
    http.get(url, { headers }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        let headerBytes = `HTTP/1.1 ${res.statusCode} ${res.statusMessage}\r\n`.length + 2;
        for (let i = 0; i < res.rawHeaders.length; i += 2) headerBytes += Buffer.byteLength(`${res.rawHeaders[i]}: ${res.rawHeaders[i + 1]}\r\n`);
        resolve({ status: res.statusCode, headers: res.headers, body: Buffer.concat(chunks), headerBytes });
      });
      res.on('error', reject);
    }).on('error', reject);
  });
}

const decode = (r) => (r.headers['content-encoding'] === 'br' ? brotliDecompressSync(r.body) : r.headers['content-encoding'] === 'gzip' ? gunzipSync(r.body) : r.body);

async function load(base, urls, acceptEncoding) {
  let bytes = 0;
  const encodings = new Set();
  for (const url of urls) {
    const r = await rawGet(`${base}${url}`, acceptEncoding ? { 'accept-encoding': acceptEncoding } : {});
    check(r.status === 200, `GET ${url}: HTTP ${r.status}`);
    const file = readFileSync(path.join(WEB_DIST, url === '/' ? 'index.html' : url));
    check(decode(r).equals(file), `GET ${url} (${acceptEncoding ?? 'identity'}) does not decode to the built file`);
    encodings.add(r.headers['content-encoding'] ?? 'identity');
    bytes += r.headerBytes + r.body.length;
  }
  return { kb: bytes / 1024, encodings: [...encodings].join('+') };
}

export default {
  name: 'page-weight',
  title: '3c. Dashboard initial load on the wire: index.html and its assets, brotli / gzip / identity',
  async run({ quick }) {
    const html = readFileSync(path.join(WEB_DIST, 'index.html'), 'utf8');
    const urls = ['/', ...[...html.matchAll(/<(?:script|link)\b[^>]*?\b(?:src|href)="(\/[^"]+)"/g)].map((m) => m[1])];
    check(urls.some((u) => u.endsWith('.js')), 'index.html references no script');
    return withTempDir('page-weight', async (dir) => {
      const { server } = await startBenchServer(dir);
      try {
        const runs = quick ? 2 : 5;
        const br = await repeat({ warmup: 1, runs }, () => load(server.url, urls, 'br, gzip'));
        const gz = await repeat({ warmup: 1, runs }, () => load(server.url, urls, 'gzip'));
        const plain = await repeat({ warmup: 1, runs }, () => load(server.url, urls, undefined));
        return {
          rows: [
            { metric: `initial load, Accept-Encoding: br, gzip (${urls.length} files, headers included)`, unit: 'KB', values: br.map((r) => r.kb), goal: '<= 75' },
            { metric: 'the same, gzip-only client', unit: 'KB', values: gz.map((r) => r.kb) },
            { metric: 'reference: the same files uncompressed', unit: 'KB', values: plain.map((r) => r.kb) },
          ],
          notes: [
            `Files: ${urls.join(', ')}; encodings served: ${br[0].encodings} / ${gz[0].encodings} / ${plain[0].encodings}. The build writes brotli (quality 11) and gzip (level 9) copies beside each asset (packages/web/scripts/precompress.js); the server picks one by Accept-Encoding.`,
            'Self-checks: every response is 200 and decodes to the file in packages/web/dist byte for byte. API requests the page makes after start-up are counted in 3b, not here.',
          ],
        };
      } finally {
        await server.stop();
      }
    });
  },
};

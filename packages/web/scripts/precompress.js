#!/usr/bin/env node
// `node scripts/precompress.js [dir]` (run by `npm run build -w @ma/web` after vite): writes a
// brotli (.br) and a gzip (.gz) copy beside every text asset of the built dashboard, at the
// highest levels, once. The server serves them by content negotiation (Accept-Encoding), so a
// browser gets the smallest copy without the server compressing the same files per request.
import { readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

/** Text formats only: images and fonts in these formats are compressed already. */
const COMPRESSIBLE = /\.(?:html|js|mjs|css|svg|json|txt|map|webmanifest|xml)$/i;
/** Below this, headers dominate and a compressed copy can be larger than the original. */
const MIN_BYTES = 256;

function* files(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const p = path.join(dir, entry.name);
    if (entry.isDirectory()) yield* files(p);
    else if (entry.isFile()) yield p;
  }
}

/** Compresses every eligible file under `dir`; returns what was written, for the build log. */
export function precompressDir(dir) {
  const written = [];
  for (const file of files(dir)) {
    if (!COMPRESSIBLE.test(file) || statSync(file).size < MIN_BYTES) continue;
    const raw = readFileSync(file);
    const variants = [
      ['.br', brotliCompressSync(raw, { params: { [constants.BROTLI_PARAM_QUALITY]: constants.BROTLI_MAX_QUALITY, [constants.BROTLI_PARAM_SIZE_HINT]: raw.length } })],
      ['.gz', gzipSync(raw, { level: constants.Z_BEST_COMPRESSION })],
    ];
    for (const [ext, body] of variants) {
      // A copy that saves nothing would only cost the client a decode step.
      if (body.length >= raw.length) continue;
      writeFileSync(file + ext, body);
      written.push({ file: path.relative(dir, file) + ext, bytes: body.length, of: raw.length });
    }
  }
  return written;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const dir = path.resolve(process.argv[2] ?? path.join(path.dirname(fileURLToPath(import.meta.url)), '../dist'));
  const written = precompressDir(dir);
  if (written.length === 0) {
    console.error(`precompress: nothing to compress under ${dir} (run vite build first)`);
    process.exit(1);
  }
  for (const w of written) console.log(`precompress: ${w.file.padEnd(40)} ${(w.bytes / 1024).toFixed(1).padStart(7)} kB (of ${(w.of / 1024).toFixed(1)} kB)`);
}

import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';
import { apiNotFound } from '../framework-errors.js';

export function defaultWebDist(): string | undefined {
  const here = path.dirname(fileURLToPath(import.meta.url));
  // In the repository: packages/server/dist/http/routes -> packages/web/dist. Installed from the
  // tarball `npm run pack` writes: <package>/dist/http/routes -> <package>/web.
  const candidates = [path.resolve(here, '../../../../web/dist'), path.resolve(here, '../../../web')];
  return candidates.find((c) => existsSync(path.join(c, 'index.html')));
}

/**
 * Serves the dashboard with an SPA fallback: deep links load index.html, API misses stay JSON 404s.
 * The build writes brotli and gzip copies beside each asset (packages/web/scripts/precompress.js);
 * `preCompressed` picks the best one the client accepts, with the original's Content-Type and an
 * ETag of the copy actually sent, so a cache never mixes encodings.
 */
export async function registerStaticRoutes(app: FastifyInstance, webDistDir: string | undefined): Promise<void> {
  if (!webDistDir) {
    app.get('/', async (_req, reply) =>
      reply.type('text/plain').send('Monitor Actuator server is running. The dashboard is not built: run `npm run build` at the repository root.\n'),
    );
    app.setNotFoundHandler(apiNotFound);
    return;
  }
  await app.register(fastifyStatic, {
    root: webDistDir,
    wildcard: false,
    maxAge: '1h',
    preCompressed: true,
    // The same URL answers differently per Accept-Encoding: shared caches must key on it.
    setHeaders: (res) => res.setHeader('vary', 'accept-encoding'),
  });
  app.setNotFoundHandler((req, reply) => {
    if (req.method === 'GET' && !req.url.startsWith('/api/') && !req.url.startsWith('/mqtt')) {
      return reply.header('cache-control', 'no-cache').sendFile('index.html');
    }
    return apiNotFound(req, reply);
  });
}

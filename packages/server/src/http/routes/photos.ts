import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import { PhotoRefused, type PhotoAnnouncement, type PhotoService } from '../../cameras/photo-service.js';
import type { PhotoRow } from '../../cameras/photos-store.js';
import { doc, type HttpContext } from '../context.js';
import { errorBody } from '../framework-errors.js';
import { documentedBody, errorSchema, NODE_NAME_SCHEMA, openObject } from '../schemas.js';
import { parseTimeParam } from '../time-param.js';
import { authenticateNode } from './node-auth.js';

const SHA256 = { type: 'string', pattern: '^[0-9a-f]{64}$' } as const;
const CAMERA = { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,39}$' } as const;

const photoView = openObject({
  id: { type: 'integer' },
  node: { type: 'string' },
  camera: { type: 'string' },
  ts: { type: 'integer' },
  sha256: { type: 'string' },
  bytes: { type: 'integer' },
  width: { type: 'integer' },
  height: { type: 'integer' },
  received_at: { type: 'integer' },
  original_url: { type: 'string' },
  thumbnail_url: { type: 'string' },
});

const photoParams = { type: 'object', properties: { name: NODE_NAME_SCHEMA, id: { type: 'integer', minimum: 1 } }, required: ['name', 'id'] } as const;

const toView = (node: string, p: PhotoRow) => ({
  id: p.id,
  node,
  camera: p.camera,
  ts: p.ts,
  sha256: p.sha256,
  bytes: p.bytes,
  width: p.width,
  height: p.height,
  received_at: p.received_at,
  original_url: `/api/v1/nodes/${node}/photos/${p.id}`,
  thumbnail_url: `/api/v1/nodes/${node}/photos/${p.id}/thumbnail`,
});

/**
 * Photos (issue #16). Nodes upload with their credential under /node/photos (announce, then
 * chunks by offset); people list and fetch them under /api/v1/nodes/<node>/photos, which
 * needs `view` on the node: anyone else gets the same 404 as for a node that does not exist.
 */
export function registerPhotoRoutes(app: FastifyInstance, ctx: HttpContext, photos: PhotoService, maxChunkBytes: number): void {
  // Chunks are raw bytes; only these routes take application/octet-stream.
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/octet-stream', { parseAs: 'buffer', bodyLimit: maxChunkBytes }, (_req, body, done) => done(null, body));

    scope.post(
      '/node/photos',
      {
        schema: doc({
          hide: true,
          body: {
            type: 'object',
            additionalProperties: false,
            required: ['camera', 'ts', 'sha256', 'bytes', 'width', 'height'],
            properties: { camera: CAMERA, ts: { type: 'integer', minimum: 1 }, sha256: SHA256, bytes: { type: 'integer', minimum: 1 }, width: { type: 'integer', minimum: 1 }, height: { type: 'integer', minimum: 1 } },
          },
        }),
      },
      async (req, reply) => {
        const node = await authenticateNode(ctx, req);
        try {
          const s = await photos.announce(node, req.body as PhotoAnnouncement);
          return { received: s.received, complete: s.complete, ...(s.photo ? { id: s.photo.id } : {}) };
        } catch (e) {
          if (e instanceof PhotoRefused) return reply.status(413).send(errorBody(ErrorCode.InputInvalid, e.message));
          throw e;
        }
      },
    );

    scope.put<{ Params: { sha256: string }; Querystring: { offset: number } }>(
      '/node/photos/:sha256',
      {
        schema: doc({
          hide: true,
          params: { type: 'object', properties: { sha256: SHA256 }, required: ['sha256'] },
          querystring: { type: 'object', properties: { offset: { type: 'integer', minimum: 0 } }, required: ['offset'] },
        }),
      },
      async (req, reply) => {
        const node = await authenticateNode(ctx, req);
        if (!Buffer.isBuffer(req.body)) throw new MaError(ErrorCode.InputInvalid, 'send the chunk as Content-Type: application/octet-stream');
        const r = await photos.chunk(node, req.params.sha256, req.query.offset, req.body);
        if ('unknown' in r) throw new MaError(ErrorCode.NotFound, `no upload of ${req.params.sha256} in progress: POST /node/photos first`);
        if ('offsetMismatch' in r) return reply.status(409).send({ ...errorBody(ErrorCode.Conflict, `the server has ${r.offsetMismatch} bytes of this photo; send from there`), received: r.offsetMismatch });
        if ('refused' in r) return reply.status(422).send(errorBody(ErrorCode.InputInvalid, `photo refused: ${r.refused}; send it again from the start`));
        if (r.complete && r.photo) {
          await ctx.deps.auth.audit({ actor: `node:${node.name}`, ip: req.ip, action: 'photo.upload', target: `node:${node.name}`, outcome: 'ok', reason: null, detail: { camera: r.photo.camera, sha256: r.photo.sha256, id: r.photo.id } });
        }
        return { received: r.received, complete: r.complete, ...(r.photo ? { id: r.photo.id } : {}) };
      },
    );
  });

  app.get<{ Params: { name: string }; Querystring: { camera?: string; from?: string; to?: string; limit?: number } }>(
    '/api/v1/nodes/:name/photos',
    {
      schema: doc({
        summary: "A node's photos, newest first (needs view on the node)",
        tags: ['cameras'],
        params: { type: 'object', properties: { name: NODE_NAME_SCHEMA }, required: ['name'] },
        querystring: {
          type: 'object',
          properties: {
            camera: CAMERA,
            from: { type: 'string', description: 'ms since the epoch or ISO 8601' },
            to: { type: 'string', description: 'ms since the epoch or ISO 8601 (exclusive)' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: { 200: { type: 'object', properties: { photos: { type: 'array', items: photoView } } }, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const node = await ctx.authorize(req, req.params.name, 'view');
      const to = req.query.to !== undefined ? parseTimeParam('to', req.query.to, Date.now()) : undefined;
      const from = req.query.from !== undefined ? parseTimeParam('from', req.query.from, 0) : undefined;
      const rows = await photos.store.list(node.id, { camera: req.query.camera, from, to, limit: req.query.limit ?? 100 });
      return { photos: rows.map((p) => toView(node.name, p)) };
    },
  );

  const sendFile = async (reply: FastifyReply, file: string, sha256: string) => {
    let size: number;
    try {
      size = (await stat(file)).size;
    } catch {
      throw new MaError(ErrorCode.NotFound, 'the photo file is missing on the server (deleted by retention or by hand)');
    }
    // Content-addressed: the bytes behind a URL never change, but they are private, so no shared caches.
    return reply.header('content-type', 'image/jpeg').header('content-length', String(size)).header('etag', `"${sha256}"`).header('cache-control', 'private, max-age=86400').send(createReadStream(file));
  };

  app.get<{ Params: { name: string; id: number } }>(
    '/api/v1/nodes/:name/photos/:id',
    { schema: doc({ summary: 'The original photo, as stored (masks applied on the node)', tags: ['cameras'], params: photoParams, response: { '4xx': errorSchema }, documented: { 200: documentedBody('image/jpeg', 'the JPEG') } }) },
    async (req, reply) => {
      const node = await ctx.authorize(req, req.params.name, 'view');
      const p = await photos.store.get(node.id, req.params.id);
      if (!p) throw new MaError(ErrorCode.NotFound, `no photo ${req.params.id} on node ${node.name}`);
      return sendFile(reply, photos.originalPath(p.sha256), p.sha256);
    },
  );

  app.get<{ Params: { name: string; id: number } }>(
    '/api/v1/nodes/:name/photos/:id/thumbnail',
    { schema: doc({ summary: 'A small JPEG of the photo, made on the server', tags: ['cameras'], params: photoParams, response: { '4xx': errorSchema }, documented: { 200: documentedBody('image/jpeg', 'the thumbnail JPEG') } }) },
    async (req, reply) => {
      const node = await ctx.authorize(req, req.params.name, 'view');
      const p = await photos.store.get(node.id, req.params.id);
      if (!p) throw new MaError(ErrorCode.NotFound, `no photo ${req.params.id} on node ${node.name}`);
      return sendFile(reply, photos.thumbnailPath(p.sha256), `${p.sha256}-thumb`);
    },
  );
}

import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { doc, type HttpContext } from '../context.js';
import { errorSchema, seriesSchema } from '../schemas.js';
import { parseTimeParam } from '../time-param.js';

export function registerReadingRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;
  app.get<{ Querystring: { channel: number; from?: string; to?: string; points?: number } }>(
    '/api/v1/readings',
    {
      schema: doc({
        summary: 'Readings of one channel, downsampled (min/max preserving) to at most `points` points',
        tags: ['readings'],
        querystring: {
          type: 'object',
          properties: {
            channel: { type: 'integer', minimum: 1 },
            from: { type: 'string', description: 'ms since the epoch or ISO 8601; default: one hour before `to`' },
            to: { type: 'string', description: 'ms since the epoch or ISO 8601; default: now' },
            points: { type: 'integer', minimum: 2, maximum: 10000, default: 1000 },
          },
          required: ['channel'],
        },
        response: { 200: seriesSchema, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const to = parseTimeParam('to', req.query.to, Date.now());
      const from = parseTimeParam('from', req.query.from, to - 3_600_000);
      if (from >= to) throw new MaError(ErrorCode.InputInvalid, `query parameters: from (${from}) must be before to (${to})`);
      const { channel } = await ctx.authorizeChannel(req, req.query.channel, 'view');
      return deps.store.queryReadings(channel.id, from, to, req.query.points ?? 1000);
    },
  );
}

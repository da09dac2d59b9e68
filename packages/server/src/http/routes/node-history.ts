import { ErrorCode, MaError, type NodeConnectionsResponse } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { toIntervals } from '../connection-intervals.js';
import { doc, type HttpContext } from '../context.js';
import { errorSchema, nodeNameParam } from '../schemas.js';
import { parseTimeParam } from '../time-param.js';

const DAY = 86_400_000;

export function registerNodeHistoryRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;
  app.get<{ Params: { node: string }; Querystring: { from?: string; to?: string } }>(
    '/api/v1/nodes/:node/connections',
    {
      schema: doc({
        summary: "A node's connection history: online and offline intervals in [from, to)",
        tags: ['nodes'],
        params: nodeNameParam,
        querystring: {
          type: 'object',
          properties: {
            from: { type: 'string', description: 'ms since the epoch or ISO 8601; default: 7 days before `to`' },
            to: { type: 'string', description: 'ms since the epoch or ISO 8601; default: now' },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: {
              node: { type: 'string' },
              from: { type: 'integer' },
              to: { type: 'integer' },
              intervals: {
                type: 'array',
                items: { type: 'object', properties: { online: { type: 'boolean' }, from: { type: 'integer' }, to: { type: ['integer', 'null'] } } },
              },
            },
          },
          '4xx': errorSchema,
        },
      }),
    },
    async (req): Promise<NodeConnectionsResponse> => {
      const now = Date.now();
      const to = parseTimeParam('to', req.query.to, now);
      const from = parseTimeParam('from', req.query.from, to - 7 * DAY);
      if (from >= to) throw new MaError(ErrorCode.InputInvalid, `query parameters: from (${from}) must be before to (${to})`);
      const node = await ctx.authorize(req, req.params.node, 'view');
      const events = await deps.store.listConnectionEvents(node.id, from, to);
      return { node: node.name, from, to, intervals: toIntervals(events, from, to, now) };
    },
  );
}

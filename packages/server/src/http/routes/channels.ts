import type { ChannelListResponse } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { doc, type HttpContext } from '../context.js';
import { channelSchema, errorSchema } from '../schemas.js';
import { toChannelSummary } from '../views.js';

export function registerChannelRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;
  app.get<{ Querystring: { node?: string } }>(
    '/api/v1/channels',
    {
      schema: doc({
        summary: 'List channels, optionally of one node',
        tags: ['channels'],
        querystring: { type: 'object', properties: { node: { type: 'string' } } },
        response: { 200: { type: 'object', properties: { channels: { type: 'array', items: channelSchema } } }, '4xx': errorSchema },
      }),
    },
    async (req): Promise<ChannelListResponse> => {
      const visible = await ctx.canView(req);
      const nodes = (await deps.store.listNodes()).filter(visible);
      const names = new Map(nodes.map((n) => [n.id, n.name]));
      let nodeId: number | undefined;
      if (req.query.node !== undefined) nodeId = (await ctx.authorize(req, req.query.node, 'view')).id;
      const rows = (await deps.store.listChannels(nodeId)).filter((c) => names.has(c.node_id));
      return { channels: rows.map((c) => toChannelSummary(c, names.get(c.node_id)!)) };
    },
  );
}

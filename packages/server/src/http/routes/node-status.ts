import type { FastifyInstance } from 'fastify';
import { doc, type HttpContext } from '../context.js';
import { parseStatus } from '../views.js';

/**
 * `GET /api/v1/nodes/:name/status`: the last status the node's agent reported, in full
 * (connections, outbox depth, clock, tunnel, channel health, last fault), for people who
 * cannot ssh in: the "tail the logs / netstat" of remote debugging (`ma status <node>`).
 */
export function registerNodeStatusRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get<{ Params: { name: string } }>(
    '/api/v1/nodes/:name/status',
    { schema: doc({ summary: "The node's last reported status, in full", tags: ['nodes'], params: { type: 'object', properties: { name: { type: 'string', maxLength: 64 } } } }) },
    async (req) => {
      const node = await ctx.authorize(req, req.params.name, 'view');
      const summary = await ctx.nodeSummary(node);
      return { node: node.name, online: summary.online, last_seen: node.last_seen, status: parseStatus(node) };
    },
  );
}

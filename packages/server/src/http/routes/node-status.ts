import type { FastifyInstance } from 'fastify';
import { doc, type HttpContext } from '../context.js';
import { parseStatus } from '../views.js';
import { errorSchema, nodeNamedParam, openObject } from '../schemas.js';

const statusResponse = openObject({ node: { type: 'string' }, online: { type: 'boolean' }, last_seen: { type: ['integer', 'null'] }, status: { type: ['object', 'null'], additionalProperties: true } });

/**
 * `GET /api/v1/nodes/:name/status`: the last status the node's agent reported, in full
 * (connections, outbox depth, clock, tunnel, channel health, last fault), for people who
 * cannot ssh in: the "tail the logs / netstat" of remote debugging (`ma status <node>`).
 */
export function registerNodeStatusRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get<{ Params: { name: string } }>(
    '/api/v1/nodes/:name/status',
    { schema: doc({ summary: "The node's last reported status, in full", tags: ['nodes'], params: nodeNamedParam, response: { 200: statusResponse, '4xx': errorSchema } }) },
    async (req) => {
      const node = await ctx.authorize(req, req.params.name, 'view');
      const summary = await ctx.nodeSummary(node);
      return { node: node.name, online: summary.online, last_seen: node.last_seen, status: parseStatus(node) };
    },
  );
}

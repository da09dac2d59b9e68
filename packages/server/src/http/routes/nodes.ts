import type { CreateNodeResponse, NodeDetail, NodeListResponse } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { agentConfigFor } from '../../nodes/node-registry.js';
import { doc, type HttpContext } from '../context.js';
import { channelSchema, errorSchema, nodeNameParam, nodeSummarySchema } from '../schemas.js';
import { toChannelSummary } from '../views.js';

export function registerNodeRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;

  app.get(
    '/api/v1/nodes',
    { schema: doc({ summary: 'List nodes', tags: ['nodes'], response: { 200: { type: 'object', properties: { nodes: { type: 'array', items: nodeSummarySchema } } } } }) },
    async (): Promise<NodeListResponse> => ({ nodes: await Promise.all((await deps.store.listNodes()).map((n) => ctx.nodeSummary(n))) }),
  );

  app.post<{ Body: { name: string; display_name?: string } }>(
    '/api/v1/nodes',
    {
      schema: doc({
        summary: 'Create a node and its credential (admin token required)',
        tags: ['nodes'],
        body: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1, maxLength: 63 }, display_name: { type: 'string', maxLength: 128 } },
          required: ['name'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: { node: nodeSummarySchema, credential: { type: 'string' }, mqtt_url: { type: 'string' }, agent_config: { type: 'string' } },
          },
          '4xx': errorSchema,
        },
      }),
    },
    async (req, reply): Promise<CreateNodeResponse> => {
      ctx.requireAdmin(req);
      const { node, credential } = await deps.registry.create(req.body.name, req.body.display_name);
      const mqttUrl = deps.mqttUrl();
      reply.status(201);
      return { node: await ctx.nodeSummary(node), credential, mqtt_url: mqttUrl, agent_config: agentConfigFor(node.name, credential, mqttUrl) };
    },
  );

  app.get<{ Params: { node: string } }>(
    '/api/v1/nodes/:node',
    {
      schema: doc({
        summary: 'One node with its channels and ingest statistics',
        tags: ['nodes'],
        params: nodeNameParam,
        response: { 200: { ...nodeSummarySchema, properties: { ...nodeSummarySchema.properties, channels: { type: 'array', items: channelSchema } } }, '4xx': errorSchema },
      }),
    },
    async (req): Promise<NodeDetail> => {
      const row = await ctx.nodeByName(req.params.node);
      const channels = (await deps.store.listChannels(row.id)).map((c) => toChannelSummary(c, row.name));
      return { ...(await ctx.nodeSummary(row)), channels };
    },
  );
}

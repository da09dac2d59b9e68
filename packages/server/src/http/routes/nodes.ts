import type { CreateNodeResponse, NodeDetail, NodeListResponse } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { doc, type HttpContext } from '../context.js';
import { channelSchema, errorSchema, nodeNameParam, nodeSummarySchema } from '../schemas.js';
import { toChannelSummary } from '../views.js';

export function registerNodeRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;

  app.get(
    '/api/v1/nodes',
    { schema: doc({ summary: 'List nodes', tags: ['nodes'], response: { 200: { type: 'object', properties: { nodes: { type: 'array', items: { ...nodeSummarySchema, properties: { ...nodeSummarySchema.properties, tags: { type: 'array', items: { type: 'string' } } } } } } } } }) },
    async (req): Promise<NodeListResponse> => {
      const visible = await ctx.canView(req);
      // Tags ride along so `ma inventory` can group nodes by tag without one request per node.
      const tags = await deps.auth.grants.allNodeTags();
      return { nodes: await Promise.all((await deps.store.listNodes()).filter(visible).map(async (n) => ({ ...(await ctx.nodeSummary(n)), tags: tags.get(n.name) ?? [] }))) };
    },
  );

  app.post<{ Body: { name: string; display_name?: string; credential?: boolean; reason?: string } }>(
    '/api/v1/nodes',
    {
      schema: doc({
        summary: 'Create a node (admin) with a one-time enrollment token; with credential: true also its credential and agent.yaml',
        tags: ['nodes'],
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 63 },
            display_name: { type: 'string', maxLength: 128 },
            credential: { type: 'boolean' },
            reason: { type: 'string', maxLength: 500 },
          },
          required: ['name'],
          additionalProperties: false,
        },
        response: {
          201: {
            type: 'object',
            properties: {
              node: nodeSummarySchema,
              credential: { type: 'string' },
              mqtt_url: { type: 'string' },
              agent_config: { type: 'string' },
              enrollment: { type: 'object', properties: { token: { type: 'string' }, expires_at: { type: 'integer' }, command: { type: 'string' } } },
            },
          },
          '4xx': errorSchema,
        },
      }),
    },
    async (req, reply): Promise<CreateNodeResponse> => {
      const principal = await ctx.requireAdmin(req);
      // Without `credential: true` the node has no usable credential until it enrolls.
      const { node, credential } = await deps.registry.create(req.body.name, req.body.display_name, { issueCredential: Boolean(req.body.credential) });
      const issued = await deps.enrollment.issue(node, principal.actor);
      await ctx.audit(req, { action: 'node.create', target: `node:${node.name}`, outcome: 'ok', reason: req.body.reason ?? null, detail: { credential_shown: Boolean(req.body.credential), enrollment_expires_at: issued.expires_at } });
      const mqttUrl = deps.mqttUrl();
      reply.status(201);
      const enrollment = { token: issued.token, expires_at: issued.expires_at, command: issued.command };
      if (!req.body.credential) return { node: await ctx.nodeSummary(node), mqtt_url: mqttUrl, enrollment };
      return { node: await ctx.nodeSummary(node), credential, mqtt_url: mqttUrl, agent_config: deps.registry.agentConfig(node.name, credential, mqttUrl), enrollment };
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
      const row = await ctx.authorize(req, req.params.node, 'view');
      const channels = (await deps.store.listChannels(row.id)).map((c) => toChannelSummary(c, row.name));
      return { ...(await ctx.nodeSummary(row)), channels };
    },
  );
}

import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { doc, type HttpContext } from '../context.js';
import { errorSchema, nodeNameParam, nodeSummarySchema } from '../schemas.js';

const reason = { type: 'string', maxLength: 500, description: 'why: kept in the audit log' } as const;
const enrollmentSchema = {
  type: 'object',
  properties: { node: { type: 'string' }, token: { type: 'string' }, expires_at: { type: 'integer' }, command: { type: 'string' } },
} as const;

/** Node enrollment (one-time tokens), credential rotation and revocation. */
export function registerEnrollmentRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { deps } = ctx;

  app.post<{ Params: { node: string } }>(
    '/api/v1/nodes/:node/enrollment',
    { schema: doc({ summary: 'Issue a one-time, expiring enrollment token for a node (node admin); earlier unused ones stop working', tags: ['nodes'], params: nodeNameParam, response: { 201: enrollmentSchema, '4xx': errorSchema } }) },
    async (req, reply) => {
      const node = await ctx.authorize(req, req.params.node, 'admin');
      const issued = await deps.enrollment.issue(node, req.principal!.actor);
      await ctx.audit(req, { action: 'node.enrollment_token', target: `node:${node.name}`, outcome: 'ok', reason: null, detail: { expires_at: issued.expires_at } });
      reply.status(201);
      return issued;
    },
  );

  app.post<{ Body: { token: string } }>(
    '/api/v1/enroll',
    {
      config: { public: true },
      schema: doc({
        summary: "An agent trades its one-time enrollment token for the node's own MQTT credential",
        tags: ['nodes'],
        body: { type: 'object', properties: { token: { type: 'string', minLength: 1, maxLength: 200 } }, required: ['token'], additionalProperties: false },
        response: {
          200: { type: 'object', properties: { node: nodeSummarySchema, credential: { type: 'string' }, mqtt_url: { type: 'string' }, agent_config: { type: 'string' } } },
          '4xx': errorSchema,
        },
      }),
    },
    async (req) => {
      const nodeId = await deps.enrollment.redeem(req.body.token);
      const node = nodeId === undefined ? undefined : await deps.store.getNodeById(nodeId);
      if (!node) {
        await ctx.audit(req, { actor: 'anonymous', action: 'node.enroll', target: null, outcome: 'failed', reason: 'unknown, used or expired enrollment token' });
        throw new MaError(ErrorCode.AuthRequired, 'this enrollment token is unknown, already used or expired; ask an admin for a new one (ma node enroll-token <name>)');
      }
      const credential = await deps.registry.issue(node);
      await ctx.audit(req, { actor: `node:${node.name}`, action: 'node.enroll', target: `node:${node.name}`, outcome: 'ok', reason: null });
      const mqttUrl = deps.mqttUrl();
      return { node: await ctx.nodeSummary(node), credential, mqtt_url: mqttUrl, agent_config: deps.registry.agentConfig(node.name, credential, mqttUrl) };
    },
  );

  app.post<{ Params: { node: string }; Body: { reason?: string } }>(
    '/api/v1/nodes/:node/revoke',
    {
      schema: doc({
        summary: "Revoke a node's credential (node admin): it is disconnected at once and refused until enrolled again",
        tags: ['nodes'],
        params: nodeNameParam,
        body: { type: 'object', properties: { reason }, additionalProperties: false },
        response: { 204: { type: 'null' }, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      const node = await ctx.authorize(req, req.params.node, 'admin');
      await deps.registry.revoke(node);
      await deps.enrollment.store.cancelForNode(node.id, Date.now());
      await ctx.audit(req, { action: 'node.revoke', target: `node:${node.name}`, outcome: 'ok', reason: req.body?.reason ?? null });
      return reply.status(204).send();
    },
  );
}

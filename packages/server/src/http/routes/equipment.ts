import { ACTUATOR_KEY_PATTERN, CHANNEL_KEY_PATTERN, ErrorCode, MaError, lockoutModeSchema, type EquipmentView, type LockoutMode } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { equipmentRuleSchema } from '../../equipment/equipment-rule.js';
import { doc, type HttpContext } from '../context.js';
import type { EquipmentAccess } from '../equipment-access.js';
import { errorSchema } from '../schemas.js';

export const equipmentParam = {
  type: 'object',
  properties: { equipment: { type: 'string', pattern: ACTUATOR_KEY_PATTERN.source } },
  required: ['equipment'],
} as const;

const anyObject = { type: 'object', additionalProperties: true } as const;
const equipmentSchema = anyObject;
const reason = { type: 'string', minLength: 1, maxLength: 500 } as const;

interface SaveBody {
  display_name?: string;
  actuators: Array<{ node: string; actuator: string; power_channel?: string | null }>;
  trainers?: string[];
  maintainers?: string[];
  rule?: unknown;
  reason?: string;
}

/** Equipment: list, read, define (admin), delete (admin), lock out and clear (maintainers), allow-list reach. */
export function registerEquipmentRoutes(app: FastifyInstance, ctx: HttpContext, eqa: EquipmentAccess): void {
  const s = eqa.service;

  app.get(
    '/api/v1/equipment',
    { schema: doc({ summary: 'Equipment the caller may see, with state, lock-out, who is using it and allow-list reach', tags: ['equipment'], response: { 200: { type: 'object', properties: { equipment: { type: 'array', items: equipmentSchema } } } } }) },
    async (req): Promise<{ equipment: EquipmentView[] }> => {
      ctx.principal(req);
      const out: EquipmentView[] = [];
      for (const eq of await s.equipment.list()) if (await eqa.visible(req, eq)) out.push(await eqa.view(req, eq));
      return { equipment: out };
    },
  );

  app.get<{ Params: { equipment: string } }>(
    '/api/v1/equipment/:equipment',
    { schema: doc({ summary: 'One piece of equipment', tags: ['equipment'], params: equipmentParam, response: { 200: equipmentSchema, '4xx': errorSchema } }) },
    async (req) => eqa.view(req, await eqa.get(req, req.params.equipment)),
  );

  app.put<{ Params: { equipment: string }; Body: SaveBody }>(
    '/api/v1/equipment/:equipment',
    {
      schema: doc({
        summary: 'Define or replace equipment (admin): its actuators, trainers, maintainers and rule',
        tags: ['equipment'],
        params: equipmentParam,
        body: {
          type: 'object',
          properties: {
            display_name: { type: 'string', minLength: 1, maxLength: 128 },
            actuators: {
              type: 'array',
              maxItems: 64,
              items: {
                type: 'object',
                properties: { node: { type: 'string', minLength: 1, maxLength: 63 }, actuator: { type: 'string', pattern: ACTUATOR_KEY_PATTERN.source }, power_channel: { type: ['string', 'null'], pattern: CHANNEL_KEY_PATTERN.source } },
                required: ['node', 'actuator'],
                additionalProperties: false,
              },
            },
            trainers: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, maxItems: 1000 },
            maintainers: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 128 }, maxItems: 1000 },
            rule: anyObject,
            reason,
          },
          required: ['actuators'],
          additionalProperties: false,
        },
        response: { 200: equipmentSchema, '4xx': errorSchema },
      }),
    },
    async (req) => {
      await ctx.requireAdmin(req);
      const b = req.body;
      const parsed = equipmentRuleSchema.safeParse(b.rule ?? {});
      if (!parsed.success) {
        const i = parsed.error.issues[0]!;
        throw new MaError(ErrorCode.InputInvalid, `body.rule.${i.path.join('.') || '(root)'}: ${i.message}`);
      }
      const actuators = [];
      for (const [i, a] of b.actuators.entries()) {
        const node = await deps(ctx).store.getNodeByName(a.node);
        if (!node) throw new MaError(ErrorCode.InputInvalid, `body.actuators.${i}.node: no node named ${JSON.stringify(a.node)}`);
        actuators.push({ node_id: node.id, actuator: a.actuator, power_channel: a.power_channel ?? null });
      }
      const personIds = async (key: 'trainers' | 'maintainers'): Promise<number[]> => {
        const ids: number[] = [];
        for (const [i, name] of (b[key] ?? []).entries()) {
          const p = await s.access.people.getByName(name);
          if (!p) throw new MaError(ErrorCode.InputInvalid, `body.${key}.${i}: no person named ${JSON.stringify(name)}`);
          ids.push(p.id);
        }
        return ids;
      };
      const existing = await s.equipment.getByName(req.params.equipment);
      const eq = await s.equipment.save({
        name: req.params.equipment,
        display_name: b.display_name ?? existing?.display_name ?? req.params.equipment,
        rule: parsed.data,
        actuators,
        trainers: await personIds('trainers'),
        maintainers: await personIds('maintainers'),
      });
      await ctx.audit(req, { action: existing ? 'equipment.update' : 'equipment.create', target: `equipment:${eq.name}`, outcome: 'ok', reason: b.reason ?? null, detail: { actuators: b.actuators, trainers: b.trainers ?? [], maintainers: b.maintainers ?? [], rule: parsed.data } });
      // A lock-out in force applies to actuators just added, too.
      const lockout = await s.equipment.activeLockout(eq.id);
      if (lockout) await s.commands.pushLockout(eq, lockout, lockout.set_by, lockout.reason);
      await s.access.changed();
      return eqa.view(req, eq);
    },
  );

  app.delete<{ Params: { equipment: string }; Querystring: { reason?: string } }>(
    '/api/v1/equipment/:equipment',
    { schema: doc({ summary: 'Delete equipment (admin); its trainings and sessions go with it', tags: ['equipment'], params: equipmentParam, querystring: { type: 'object', properties: { reason } }, response: { 204: { type: 'null' }, '4xx': errorSchema } }) },
    async (req, reply) => {
      await ctx.requireAdmin(req);
      const eq = await eqa.get(req, req.params.equipment);
      await s.equipment.remove(eq.id);
      await ctx.audit(req, { action: 'equipment.delete', target: `equipment:${eq.name}`, outcome: 'ok', reason: req.query.reason ?? null });
      await s.access.changed();
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { equipment: string }; Body: { mode: LockoutMode; reason: string } }>(
    '/api/v1/equipment/:equipment/lockout',
    {
      schema: doc({
        summary: 'Lock equipment out (a maintainer of it, or an admin): safety switches off at once, maintenance at the next idle',
        tags: ['equipment'],
        params: equipmentParam,
        body: { type: 'object', properties: { mode: { type: 'string', enum: lockoutModeSchema.options }, reason }, required: ['mode', 'reason'], additionalProperties: false },
        response: { 201: anyObject, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      const eq = await eqa.get(req, req.params.equipment);
      await eqa.requireMaintainer(req, eq);
      const row = await s.setLockout(eq, req.body.mode, req.body.reason, ctx.principal(req).actor, req.ip);
      reply.status(201);
      return { lockout: row };
    },
  );

  app.delete<{ Params: { equipment: string }; Querystring: { reason?: string } }>(
    '/api/v1/equipment/:equipment/lockout',
    {
      schema: doc({ summary: 'Clear a lock-out (a maintainer of the equipment, or an admin)', tags: ['equipment'], params: equipmentParam, querystring: { type: 'object', properties: { reason } }, response: { 200: anyObject, '4xx': errorSchema } }),
    },
    async (req) => {
      const eq = await eqa.get(req, req.params.equipment);
      await eqa.requireMaintainer(req, eq);
      return { lockout: await s.clearLockout(eq, req.query.reason ?? 'cleared', ctx.principal(req).actor, req.ip) };
    },
  );

  app.get(
    '/api/v1/access/allow-list-key',
    { schema: doc({ summary: 'The public key nodes pin to verify their allow-lists (allow_list.public_key in agent.yaml)', tags: ['equipment'], response: { 200: { type: 'object', properties: { public_key_pem: { type: 'string' }, key_id: { type: 'string' } } } } }) },
    async (req) => {
      ctx.principal(req);
      return { public_key_pem: s.keys.publicKeyPem, key_id: s.keys.keyId };
    },
  );

  app.get<{ Params: { equipment: string } }>(
    '/api/v1/equipment/:equipment/reach',
    { schema: doc({ summary: "How many of the equipment's nodes hold its current allow-list (revocation reach)", tags: ['equipment'], params: equipmentParam, response: { 200: anyObject, '4xx': errorSchema } }) },
    async (req) => s.access.reach(await eqa.get(req, req.params.equipment)),
  );
}

const deps = (ctx: HttpContext) => ctx.deps;

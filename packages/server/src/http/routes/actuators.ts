import { ACTUATOR_KEY_PATTERN, ErrorCode, MaError, type SwitchResponse } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { doc, type HttpContext } from '../context.js';
import type { EquipmentAccess } from '../equipment-access.js';
import { errorSchema, nodeNameParam } from '../schemas.js';

const switchResponse = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    node: { type: 'string' },
    actuator: { type: 'string' },
    value: { type: 'string' },
    state: { type: 'string' },
    outcome: { type: 'string' },
    code: { type: 'string' },
    message: { type: ['string', 'null'] },
    elapsed_ms: { type: 'integer' },
  },
} as const;

/** A node's actuators: their mirrored state, and switching one (the `actuate` grant). */
export function registerActuatorRoutes(app: FastifyInstance, ctx: HttpContext, eqa: EquipmentAccess): void {
  const s = eqa.service;

  app.get<{ Params: { node: string } }>(
    '/api/v1/nodes/:node/actuators',
    {
      schema: doc({
        summary: "A node's actuators as it last reported them (retained state), with the equipment each drives",
        tags: ['equipment'],
        params: nodeNameParam,
        response: { 200: { type: 'object', properties: { actuators: { type: 'array', items: { type: 'object', additionalProperties: true } } } }, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const node = await ctx.authorize(req, req.params.node, 'view');
      const keys = [...(await s.commands.knownActuators(node))].sort();
      const actuators = [];
      for (const key of keys) {
        const eq = await s.equipment.byActuator(node.id, key);
        const st = s.commands.state(node.name, key);
        const lockout = eq ? await s.equipment.activeLockout(eq.id) : undefined;
        actuators.push({ actuator: key, equipment: eq?.name ?? null, state: st ?? null, lockout: lockout ?? null });
      }
      return { actuators };
    },
  );

  app.post<{ Params: { node: string; actuator: string }; Body: { value: unknown; reason: string } }>(
    '/api/v1/nodes/:node/actuators/:actuator/switch',
    {
      schema: doc({
        summary: 'Switch an actuator on or off (actuate grant); waits for the node to apply it and read it back',
        description: 'Refused with 409 when the node is offline (with its last-seen time), the equipment is locked out, or an interlock on the node forbids it (naming the rule). Every attempt is audited.',
        tags: ['equipment'],
        params: { type: 'object', properties: { ...nodeNameParam.properties, actuator: { type: 'string', minLength: 1, maxLength: 128 } }, required: ['node', 'actuator'] },
        body: { type: 'object', properties: { value: {}, reason: { type: 'string', minLength: 1, maxLength: 500 } }, required: ['value', 'reason'], additionalProperties: false },
        response: { 200: switchResponse, '4xx': errorSchema, '5xx': errorSchema },
      }),
    },
    async (req): Promise<SwitchResponse> => {
      const node = await ctx.authorize(req, req.params.node, 'actuate');
      const { value, reason } = req.body;
      if (value !== 'on' && value !== 'off') throw new MaError(ErrorCode.InputInvalid, `body.value: got ${JSON.stringify(value)}, expected "on" or "off"`);
      if (!ACTUATOR_KEY_PATTERN.test(req.params.actuator)) throw new MaError(ErrorCode.InputInvalid, `actuator: ${JSON.stringify(req.params.actuator)} is not an actuator key (lowercase letters, digits, _ and -)`);
      const principal = ctx.principal(req);
      return s.commands.switch({ node: node.name, actuator: req.params.actuator, value, reason, actor: principal.actor, ip: req.ip }, node);
    },
  );
}

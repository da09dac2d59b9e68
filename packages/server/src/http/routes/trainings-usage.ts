import { ErrorCode, MaError, type TrainingView, type UsageResponse } from '@ma/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { usageStats } from '../../equipment/usage.js';
import { csvText } from '../csv-format.js';
import { doc, type HttpContext } from '../context.js';
import { trainingView, type EquipmentAccess } from '../equipment-access.js';
import { documentedBody, errorSchema } from '../schemas.js';
import { parseTimeParam } from '../time-param.js';
import { equipmentParam } from './equipment.js';

const anyObject = { type: 'object', additionalProperties: true } as const;
const DAY = 86_400_000;

/** Trainings (granted by the equipment's trainers) and usage statistics (names only for node admins). */
export function registerTrainingAndUsageRoutes(app: FastifyInstance, ctx: HttpContext, eqa: EquipmentAccess): void {
  const s = eqa.service;

  app.get<{ Querystring: { equipment?: string; person?: number } }>(
    '/api/v1/trainings',
    {
      schema: doc({
        summary: 'Trainings: all for admins; for others those on equipment they train, and their own',
        tags: ['equipment'],
        querystring: { type: 'object', properties: { equipment: { type: 'string', maxLength: 64 }, person: { type: 'integer', minimum: 1 } } },
        response: { 200: { type: 'object', properties: { trainings: { type: 'array', items: anyObject } } }, '4xx': errorSchema },
      }),
    },
    async (req): Promise<{ trainings: TrainingView[] }> => {
      const access = await ctx.access(req);
      const me = await eqa.personOf(req);
      const people = new Map((await s.access.people.list()).map((p) => [p.id, p]));
      const equipment = new Map((await s.equipment.list()).map((e) => [e.id, e]));
      const out: TrainingView[] = [];
      for (const t of await s.access.trainings.all()) {
        const eq = equipment.get(t.equipment_id)!;
        if (req.query.equipment !== undefined && eq.name !== req.query.equipment) continue;
        if (req.query.person !== undefined && t.person_id !== req.query.person) continue;
        const mine = me !== undefined && t.person_id === me.id;
        const trains = me !== undefined && eq.trainers.includes(me.id);
        if (!access.principal.isAdmin && !mine && !trains) continue;
        out.push(trainingView(t, people.get(t.person_id)!, eq.name));
      }
      return { trainings: out };
    },
  );

  app.put<{ Params: { equipment: string; person: string }; Body: { expires_at?: string | null; expires_in_days?: number; lapse_days?: number | null; reason: string } }>(
    '/api/v1/equipment/:equipment/trainings/:person',
    {
      schema: doc({
        summary: 'Grant or renew a training (a trainer of the equipment, or an admin): never expiring, on a date, or after a number of days; optional lapse after N days without use',
        tags: ['equipment'],
        params: { type: 'object', properties: { ...equipmentParam.properties, person: { type: 'string', minLength: 1, maxLength: 128 } }, required: ['equipment', 'person'] },
        body: {
          type: 'object',
          properties: {
            expires_at: { type: ['string', 'null'], maxLength: 40 },
            expires_in_days: { type: 'integer', minimum: 1, maximum: 36500 },
            lapse_days: { type: ['integer', 'null'], minimum: 1, maximum: 36500 },
            reason: { type: 'string', minLength: 1, maxLength: 500 },
          },
          required: ['reason'],
          additionalProperties: false,
        },
        response: { 200: anyObject, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const eq = await eqa.get(req, req.params.equipment);
      await eqa.requireTrainer(req, eq);
      const p = await s.access.people.getByName(req.params.person);
      if (!p) throw new MaError(ErrorCode.NotFound, `no person named ${JSON.stringify(req.params.person)}`);
      const b = req.body;
      if (b.expires_at != null && b.expires_in_days !== undefined) throw new MaError(ErrorCode.InputInvalid, 'body: give expires_at or expires_in_days, not both');
      const now = Date.now();
      const expires_at = b.expires_in_days !== undefined ? now + b.expires_in_days * DAY : b.expires_at != null ? parseTimeParam('body.expires_at', b.expires_at, 0) : null;
      if (expires_at !== null && expires_at <= now) throw new MaError(ErrorCode.InputInvalid, `body.expires_at: ${new Date(expires_at).toISOString()} is in the past`);
      const t = await s.access.trainings.grant({ person_id: p.id, equipment_id: eq.id, granted_by: ctx.principal(req).actor, expires_at, lapse_days: b.lapse_days ?? null }, now);
      await ctx.audit(req, { action: 'training.grant', target: `equipment:${eq.name}`, outcome: 'ok', reason: b.reason, detail: { person: p.name, expires_at, lapse_days: t.lapse_days } });
      await s.access.changed();
      return trainingView(t, p, eq.name);
    },
  );

  app.delete<{ Params: { equipment: string; person: string }; Querystring: { reason?: string } }>(
    '/api/v1/equipment/:equipment/trainings/:person',
    {
      schema: doc({
        summary: 'Revoke a training (a trainer of the equipment, or an admin); nodes refuse the person at once',
        tags: ['equipment'],
        params: { type: 'object', properties: { ...equipmentParam.properties, person: { type: 'string', minLength: 1, maxLength: 128 } }, required: ['equipment', 'person'] },
        querystring: { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } } },
        response: { 200: anyObject, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const eq = await eqa.get(req, req.params.equipment);
      await eqa.requireTrainer(req, eq);
      const p = await s.access.people.getByName(req.params.person);
      const t = p && (await s.access.trainings.revoke(p.id, eq.id));
      if (!p || !t) throw new MaError(ErrorCode.NotFound, `${req.params.person} has no training on ${eq.name}`);
      await ctx.audit(req, { action: 'training.revoke', target: `equipment:${eq.name}`, outcome: 'ok', reason: req.query.reason ?? null, detail: { person: p.name } });
      await s.access.changed();
      return trainingView(t, p, eq.name);
    },
  );

  const usage = async (req: FastifyRequest, q: { equipment?: string; from?: string; to?: string }): Promise<UsageResponse> => {
    const now = Date.now();
    const from = parseTimeParam('from', q.from, now - 28 * DAY);
    const to = parseTimeParam('to', q.to, now);
    if (to <= from) throw new MaError(ErrorCode.InputInvalid, 'query parameter to: must be after from');
    const visible = [];
    for (const eq of await s.equipment.list()) if ((q.equipment === undefined || eq.name === q.equipment) && (await eqa.visible(req, eq))) visible.push(eq);
    if (q.equipment !== undefined && visible.length === 0) throw new MaError(ErrorCode.NotFound, `no equipment named ${JSON.stringify(q.equipment)}`);
    const byId = new Map(visible.map((e) => [e.id, e]));
    const names = new Map<number, boolean>();
    for (const eq of visible) names.set(eq.id, await eqa.showsNames(req, eq));
    const sessions = (await s.sessions.range(from, to)).filter((x) => byId.has(x.equipment_id));
    const people = new Map((await s.access.people.list()).map((p) => [p.id, p.name]));
    const tz = visible.find((e) => e.rule.schedule?.timezone)?.rule.schedule?.timezone;
    const stats = usageStats({ sessions, equipmentName: (id) => byId.get(id)!.name, from, to, now, timeZone: tz });
    return {
      from,
      to,
      ...stats,
      sessions: sessions.map((x) => ({
        id: x.id,
        equipment: byId.get(x.equipment_id)!.name,
        person: names.get(x.equipment_id) && x.person_id !== null ? (people.get(x.person_id) ?? null) : null,
        started_at: x.started_at,
        ended_at: x.ended_at,
        duration_ms: x.ended_at === null ? null : x.ended_at - x.started_at,
        energy_wh: x.energy_wh,
        source: x.source,
        end_reason: x.end_reason,
      })),
    };
  };
  const usageQs = { type: 'object', properties: { equipment: { type: 'string', maxLength: 64 }, from: { type: 'string' }, to: { type: 'string' } } } as const;

  app.get<{ Querystring: { equipment?: string; from?: string; to?: string } }>(
    '/api/v1/usage',
    { schema: doc({ summary: 'Equipment usage: sessions, use by hour of week, utilisation per week (names only with admin on the nodes)', tags: ['equipment'], querystring: usageQs, response: { 200: anyObject, '4xx': errorSchema } }) },
    async (req) => usage(req, req.query),
  );

  app.get<{ Querystring: { equipment?: string; from?: string; to?: string } }>(
    '/api/v1/usage.csv',
    { schema: doc({ summary: 'Equipment sessions as CSV (names only with admin on the nodes)', tags: ['equipment'], querystring: usageQs, response: { '4xx': errorSchema }, documented: { 200: documentedBody('text/csv', 'one row per equipment session') } }) },
    async (req, reply) => {
      const u = await usage(req, req.query);
      const iso = (t: number | null) => (t === null ? '' : new Date(t).toISOString());
      const lines = ['equipment,person,started_at,ended_at,duration_s,energy_wh,source,end_reason'];
      for (const x of u.sessions) {
        lines.push([csvText(x.equipment), csvText(x.person ?? ''), iso(x.started_at), iso(x.ended_at), x.duration_ms === null ? '' : (x.duration_ms / 1000).toFixed(0), x.energy_wh === null ? '' : x.energy_wh.toFixed(3), x.source, csvText(x.end_reason ?? '')].join(','));
      }
      return reply.header('content-type', 'text/csv; charset=utf-8').header('content-disposition', 'attachment; filename="equipment-usage.csv"').send(`${lines.join('\r\n')}\r\n`);
    },
  );
}

import { ErrorCode, MaError, NODE_NAME_PATTERN, type PersonView } from '@ma/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { hashCard } from '../../access/access-keys.js';
import { importPeople } from '../../access/people-import.js';
import type { PersonRow } from '../../access/people-store.js';
import { UsersStore } from '../../users/users-store.js';
import { authDatabase } from '../../auth/auth-database.js';
import { doc, type HttpContext } from '../context.js';
import type { EquipmentAccess } from '../equipment-access.js';
import { errorSchema } from '../schemas.js';

const anyObject = { type: 'object', additionalProperties: true } as const;
const idParam = { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] } as const;
const personFields = {
  name: { type: 'string', minLength: 1, maxLength: 128 },
  email: { type: ['string', 'null'], maxLength: 254 },
  user: { type: ['string', 'null'], maxLength: 64 },
  groups: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 }, maxItems: 64 },
  disabled: { type: 'boolean' },
  reason: { type: 'string', maxLength: 500 },
} as const;

interface PersonBody {
  name?: string;
  email?: string | null;
  user?: string | null;
  groups?: string[];
  disabled?: boolean;
  reason?: string;
}

/** People, their cards (enrolled by id or by "tap now") and the CSV import; all admin only (personal data). */
export function registerPeopleRoutes(app: FastifyInstance, ctx: HttpContext, eqa: EquipmentAccess): void {
  const s = eqa.service;
  const people = s.access.people;
  const users = new UsersStore(authDatabase(ctx.deps.store));

  const view = async (p: PersonRow): Promise<PersonView> => ({
    id: p.id,
    name: p.name,
    email: p.email,
    user: p.user_name,
    groups: p.groups,
    disabled: p.disabled,
    cards: (await people.cardsOf(p.id)).map((c) => ({ id: c.id, last4: c.last4, label: c.label, created_at: c.created_at, revoked_at: c.revoked_at })),
  });
  const userId = async (name: string | null | undefined): Promise<number | null | undefined> => {
    if (name === undefined || name === null) return name;
    const u = await users.getByName(name);
    if (!u) throw new MaError(ErrorCode.InputInvalid, `body.user: no MA user named ${JSON.stringify(name)}`);
    return u.id;
  };
  const person = async (id: number): Promise<PersonRow> => {
    const p = await people.get(id);
    if (!p) throw new MaError(ErrorCode.NotFound, `no person with id ${id}`);
    return p;
  };
  const audit = (req: FastifyRequest, action: string, target: string, reason: string | undefined, detail?: Record<string, unknown>) =>
    ctx.audit(req, { action, target, outcome: 'ok', reason: reason ?? null, ...(detail ? { detail } : {}) });

  app.get('/api/v1/people', { schema: doc({ summary: 'People and their cards (admin; cards show only their last 4 characters)', tags: ['people'], response: { 200: { type: 'object', properties: { people: { type: 'array', items: anyObject } } }, '4xx': errorSchema } }) }, async (req) => {
    await ctx.requireAdmin(req);
    return { people: await Promise.all((await people.list()).map(view)) };
  });

  app.post<{ Body: PersonBody & { name: string } }>(
    '/api/v1/people',
    { schema: doc({ summary: 'Add a person (admin), an MA user or not', tags: ['people'], body: { type: 'object', properties: personFields, required: ['name'], additionalProperties: false }, response: { 201: anyObject, '4xx': errorSchema } }) },
    async (req, reply) => {
      await ctx.requireAdmin(req);
      const b = req.body;
      const uid = await userId(b.user);
      const p = await people.create({ name: b.name.trim(), email: b.email ?? null, user_id: uid ?? null, groups: b.groups ?? [], disabled: b.disabled ?? false });
      await audit(req, 'person.create', `person:${p.name}`, b.reason, { groups: p.groups, user: p.user_name });
      await s.access.changed();
      reply.status(201);
      return view(p);
    },
  );

  app.patch<{ Params: { id: number }; Body: PersonBody }>(
    '/api/v1/people/:id',
    { schema: doc({ summary: 'Change a person (admin); disabling refuses all their cards at once', tags: ['people'], params: idParam, body: { type: 'object', properties: personFields, additionalProperties: false }, response: { 200: anyObject, '4xx': errorSchema } }) },
    async (req) => {
      await ctx.requireAdmin(req);
      const before = await person(req.params.id);
      const b = req.body;
      const uid = await userId(b.user);
      const p = (await people.update(before.id, {
        ...(b.name !== undefined ? { name: b.name.trim() } : {}),
        ...(b.email !== undefined ? { email: b.email } : {}),
        ...(uid !== undefined ? { user_id: uid } : {}),
        ...(b.groups !== undefined ? { groups: b.groups } : {}),
        ...(b.disabled !== undefined ? { disabled: b.disabled } : {}),
      }))!;
      await audit(req, 'person.update', `person:${p.name}`, b.reason, { changed: Object.keys(b).filter((k) => k !== 'reason') });
      await s.access.changed();
      return view(p);
    },
  );

  app.delete<{ Params: { id: number }; Querystring: { reason?: string } }>(
    '/api/v1/people/:id',
    { schema: doc({ summary: 'Delete a person with their cards and trainings (admin)', tags: ['people'], params: idParam, querystring: { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } } }, response: { 204: { type: 'null' }, '4xx': errorSchema } }) },
    async (req, reply) => {
      await ctx.requireAdmin(req);
      const p = await person(req.params.id);
      // Cards are revoked (deny-listed) before the person goes, so nodes refuse them at once.
      for (const c of await people.cardsOf(p.id)) await people.revokeCard(c.id);
      await s.access.changed();
      await people.remove(p.id);
      await audit(req, 'person.delete', `person:${p.name}`, req.query.reason);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { id: number }; Body: { card_id?: string; tap?: { node: string; reader?: string; seconds?: number }; label?: string; reason?: string } }>(
    '/api/v1/people/:id/cards',
    {
      schema: doc({
        summary: 'Enrol a card (admin): by its id, or "tap now" (the next scan on the node or reader within the given seconds)',
        tags: ['people'],
        params: idParam,
        body: {
          type: 'object',
          properties: {
            card_id: { type: 'string', minLength: 1, maxLength: 64 },
            tap: {
              type: 'object',
              properties: { node: { type: 'string', pattern: NODE_NAME_PATTERN.source }, reader: { type: 'string', maxLength: 64 }, seconds: { type: 'integer', minimum: 1, maximum: 120 } },
              required: ['node'],
              additionalProperties: false,
            },
            label: { type: 'string', maxLength: 64 },
            reason: { type: 'string', maxLength: 500 },
          },
          additionalProperties: false,
        },
        response: { 201: anyObject, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      await ctx.requireAdmin(req);
      const p = await person(req.params.id);
      const b = req.body;
      if ((b.card_id === undefined) === (b.tap === undefined)) throw new MaError(ErrorCode.InputInvalid, 'body: give either card_id or tap, not both or neither');
      let card: { card_hash: string; last4: string };
      if (b.card_id !== undefined) card = hashCard(s.keys.cardKey, b.card_id);
      else {
        const node = await ctx.nodeByName(b.tap!.node);
        card = await s.access.waitForTap(node.name, b.tap!.reader, (b.tap!.seconds ?? 30) * 1000);
      }
      const row = await people.addCard(p.id, { ...card, label: b.label ?? null });
      await audit(req, 'card.enrol', `person:${p.name}`, b.reason, { card: row.id, last4: row.last4, via: b.tap ? `tap on ${b.tap.node}` : 'id' });
      await s.access.changed();
      reply.status(201);
      return { id: row.id, last4: row.last4, label: row.label, created_at: row.created_at, revoked_at: row.revoked_at };
    },
  );

  app.delete<{ Params: { id: number }; Querystring: { reason?: string } }>(
    '/api/v1/cards/:id',
    { schema: doc({ summary: 'Revoke a card (admin): it goes on every node\'s deny list at once', tags: ['people'], params: idParam, querystring: { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } } }, response: { 200: anyObject, '4xx': errorSchema } }) },
    async (req) => {
      await ctx.requireAdmin(req);
      const card = await people.revokeCard(req.params.id);
      if (!card) throw new MaError(ErrorCode.NotFound, `no card with id ${req.params.id}`);
      const p = await people.get(card.person_id);
      await audit(req, 'card.revoke', `person:${p?.name ?? card.person_id}`, req.query.reason, { card: card.id, last4: card.last4 });
      await s.access.changed();
      return { id: card.id, last4: card.last4, label: card.label, created_at: card.created_at, revoked_at: card.revoked_at };
    },
  );

  app.post<{ Body: { csv: string; dry_run?: boolean; reason?: string } }>(
    '/api/v1/people/import',
    {
      schema: doc({
        summary: 'Import people, cards and trainings from CSV (admin); with dry_run only the summary; any error writes nothing',
        tags: ['people'],
        body: { type: 'object', properties: { csv: { type: 'string', maxLength: 900_000 }, dry_run: { type: 'boolean' }, reason: { type: 'string', maxLength: 500 } }, required: ['csv'], additionalProperties: false },
        response: { 200: anyObject, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const principal = await ctx.requireAdmin(req);
      const summary = await importPeople(req.body.csv, { dryRun: req.body.dry_run ?? false, actor: principal.actor }, { people, trainings: s.access.trainings, equipment: s.equipment, cardKey: s.keys.cardKey, findUser: (n) => users.getByName(n) });
      if (summary.applied) {
        await audit(req, 'people.import', 'people', req.body.reason, { rows: summary.rows, people_created: summary.people_created, people_updated: summary.people_updated, cards_added: summary.cards_added, trainings_granted: summary.trainings_granted });
        await s.access.changed();
      }
      return summary;
    },
  );
}

import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { UserRow } from '../../users/users-store.js';
import { DEFAULT_PREFERENCES, type Preferences, type PreferencesStore } from '../../preferences/preferences-store.js';
import { doc, type HttpContext } from '../context.js';
import { errorSchema } from '../schemas.js';

const prefsSchema = {
  type: 'object',
  properties: {
    time_zone: { type: ['string', 'null'] },
    hour_cycle: { type: 'string', enum: ['auto', 'h12', 'h23'] },
    temperature_unit: { type: 'string', enum: ['C', 'F'] },
    views_imported_at: { type: ['integer', 'null'] },
    stored: { type: 'boolean', description: 'false for the bootstrap token, which has no account to keep preferences in' },
  },
} as const;
const viewSchema = { type: 'object', properties: { name: { type: 'string' }, query: { type: 'string' }, created_at: { type: 'integer' }, updated_at: { type: 'integer' } } } as const;
const viewName = { type: 'string', minLength: 1, maxLength: 60, pattern: '^[^\\u0000-\\u001f\\u007f]+$' } as const;
// A /charts query string, not a URL: nothing that could point elsewhere.
const viewQuery = { type: 'string', maxLength: 2000, pattern: '^[A-Za-z0-9_=&,.%:+-]*$' } as const;

/** A time zone the platform knows (IANA name); throws a message that says what is expected. */
function checkTimeZone(zone: string): void {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
  } catch {
    throw new MaError(ErrorCode.InputInvalid, `time_zone "${zone}" is not a known IANA time zone (expected e.g. "Europe/Paris", "UTC", or null for the browser's)`);
  }
}

/** Your own dashboard preferences and saved chart views (issue #13): each user's, on the server. */
export function registerPreferenceRoutes(app: FastifyInstance, ctx: HttpContext, store: PreferencesStore): void {
  const writer = (req: FastifyRequest): UserRow => {
    const p = ctx.principal(req);
    if (!p.user) throw new MaError(ErrorCode.InputInvalid, 'the bootstrap token has no account to keep preferences or views in; log in as a user');
    if (p.readOnly) throw new MaError(ErrorCode.AuthForbidden, 'a read-only token cannot change preferences or views');
    return p.user;
  };

  app.get('/api/v1/me/preferences', { schema: doc({ summary: 'Your dashboard preferences (time zone, 12/24 h, °C/°F)', tags: ['preferences'], response: { 200: prefsSchema, '4xx': errorSchema } }) }, async (req) => {
    const p = ctx.principal(req);
    if (!p.user) return { ...DEFAULT_PREFERENCES, stored: false };
    return { ...(await store.get(p.user.id)), stored: true };
  });

  app.patch<{ Body: Partial<Pick<Preferences, 'time_zone' | 'hour_cycle' | 'temperature_unit'>> }>(
    '/api/v1/me/preferences',
    {
      schema: doc({
        summary: 'Change some of your preferences; keys left out keep their value',
        tags: ['preferences'],
        body: {
          type: 'object',
          properties: { time_zone: { type: ['string', 'null'], maxLength: 64 }, hour_cycle: prefsSchema.properties.hour_cycle, temperature_unit: prefsSchema.properties.temperature_unit },
          additionalProperties: false,
          minProperties: 1,
        },
        response: { 200: prefsSchema, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const user = writer(req);
      if (typeof req.body.time_zone === 'string') checkTimeZone(req.body.time_zone);
      return { ...(await store.update(user.id, req.body)), stored: true };
    },
  );

  app.get('/api/v1/me/views', { schema: doc({ summary: 'Your saved chart views, by name', tags: ['preferences'], response: { 200: { type: 'object', properties: { views: { type: 'array', items: viewSchema } } }, '4xx': errorSchema } }) }, async (req) => {
    const p = ctx.principal(req);
    return { views: p.user ? await store.listViews(p.user.id) : [] };
  });

  app.put<{ Params: { name: string }; Body: { query: string } }>(
    '/api/v1/me/views/:name',
    {
      schema: doc({
        summary: 'Save a chart view under a name (replaces a view of that name)',
        tags: ['preferences'],
        params: { type: 'object', properties: { name: viewName }, required: ['name'] },
        body: { type: 'object', properties: { query: viewQuery }, required: ['query'], additionalProperties: false },
        response: { 200: viewSchema, '4xx': errorSchema },
      }),
    },
    async (req) => store.saveView(writer(req).id, req.params.name.trim(), req.body.query),
  );

  app.delete<{ Params: { name: string } }>(
    '/api/v1/me/views/:name',
    { schema: doc({ summary: 'Forget a saved view', tags: ['preferences'], params: { type: 'object', properties: { name: viewName }, required: ['name'] }, response: { 204: { type: 'null' }, '4xx': errorSchema } }) },
    async (req, reply) => {
      if (!(await store.deleteView(writer(req).id, req.params.name))) throw new MaError(ErrorCode.NotFound, `you have no saved view named "${req.params.name}"`);
      return reply.code(204).send();
    },
  );

  app.post<{ Body: { views: Array<{ name: string; query: string }> } }>(
    '/api/v1/me/views/import',
    {
      schema: doc({
        summary: "Import this browser's old local views, once per user (a second import adds nothing)",
        tags: ['preferences'],
        body: {
          type: 'object',
          properties: { views: { type: 'array', maxItems: 200, items: { type: 'object', properties: { name: viewName, query: viewQuery }, required: ['name', 'query'], additionalProperties: false } } },
          required: ['views'],
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { added: { type: 'integer' }, already_imported: { type: 'boolean' } } }, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const added = await store.importViews(writer(req).id, req.body.views.map((v) => ({ name: v.name.trim(), query: v.query })));
      return { added: added ?? 0, already_imported: added === null };
    },
  );
}

import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance } from 'fastify';
import { newSecret, sha256Hex } from '../../auth/tokens.js';
import type { ApiTokenRow } from '../../tokens/tokens-store.js';
import { doc, type HttpContext } from '../context.js';
import { errorSchema } from '../schemas.js';

const DAY = 86_400_000;
const tokenSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    user: { type: 'string' },
    name: { type: 'string' },
    scope: { type: 'string', enum: ['read', 'grants'] },
    created_at: { type: 'integer' },
    expires_at: { type: ['integer', 'null'] },
    revoked_at: { type: ['integer', 'null'] },
    last_used_at: { type: ['integer', 'null'] },
  },
} as const;

/** API tokens for scripts: shown once, stored hashed, scoped, expiring, revocable. */
export function registerTokenRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { auth } = ctx.deps;
  const view = async (t: ApiTokenRow) => ({ ...t, token_hash: undefined, user: (await auth.users.getById(t.user_id))?.name ?? String(t.user_id) });

  app.get<{ Querystring: { all?: boolean } }>(
    '/api/v1/tokens',
    {
      schema: doc({
        summary: 'Your API tokens (admins: everyone\'s with all=true)',
        tags: ['tokens'],
        querystring: { type: 'object', properties: { all: { type: 'boolean' } } },
        response: { 200: { type: 'object', properties: { tokens: { type: 'array', items: tokenSchema } } }, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const p = ctx.principal(req);
      if (req.query.all) await ctx.requireAdmin(req);
      else if (!p.user) throw new MaError(ErrorCode.InputInvalid, "the bootstrap token has no tokens of its own; list everyone's with `ma token list --all` (API: ?all=true)");
      return { tokens: await Promise.all((await auth.tokens.list(req.query.all ? undefined : p.user!.id)).map(view)) };
    },
  );

  app.post<{ Body: { name: string; scope?: 'read' | 'grants'; expires_in_days?: number; reason?: string } }>(
    '/api/v1/tokens',
    {
      schema: doc({
        summary: 'Create an API token for yourself; the token is in this answer only',
        tags: ['tokens'],
        body: {
          type: 'object',
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 80, pattern: '^[^\\u0000-\\u001f\\u007f]+$' },
            scope: { type: 'string', enum: ['read', 'grants'], description: 'read: view only; grants: whatever your grants allow' },
            expires_in_days: { type: 'integer', minimum: 1, maximum: 365, description: 'default 90' },
            reason: { type: 'string', maxLength: 500 },
          },
          required: ['name'],
          additionalProperties: false,
        },
        response: { 201: { ...tokenSchema, properties: { ...tokenSchema.properties, token: { type: 'string' } } }, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      const p = ctx.principal(req);
      if (!p.user) throw new MaError(ErrorCode.AuthForbidden, 'the bootstrap token cannot own tokens; log in as a user (create one with `ma user add`)');
      if (p.readOnly) throw new MaError(ErrorCode.AuthForbidden, 'a read-only token cannot create tokens');
      const now = Date.now();
      const scope = req.body.scope ?? 'grants';
      let expiresAt = now + (req.body.expires_in_days ?? 90) * DAY;
      if (p.via === 'token') {
        // A token minting a token: the new one may not outlive it (or, being read-only, exceed it;
        // read-only tokens are refused above). Left unsaid, the expiry is capped to the parent's.
        const parent = p.tokenId === undefined ? undefined : await auth.tokens.get(p.tokenId);
        const parentExpiry = parent?.expires_at ?? null;
        if (parentExpiry !== null && expiresAt > parentExpiry) {
          if (req.body.expires_in_days !== undefined) {
            throw new MaError(
              ErrorCode.InputInvalid,
              `expires_in_days: a token cannot create one that outlives it; this token expires ${new Date(parentExpiry).toISOString()}, so ask for at most ${Math.max(0, Math.floor((parentExpiry - now) / DAY))} days, or log in to create a longer-lived one`,
            );
          }
          expiresAt = parentExpiry;
        }
      }
      const token = newSecret('mat');
      const row = await auth.tokens.create({
        user_id: p.user.id,
        name: req.body.name,
        token_hash: sha256Hex(token),
        scope,
        created_at: now,
        expires_at: expiresAt,
      });
      await ctx.audit(req, { action: 'token.create', target: `token:${row.id}`, outcome: 'ok', reason: req.body.reason ?? null, detail: { name: row.name, scope: row.scope, expires_at: row.expires_at } });
      reply.status(201);
      return { ...(await view(row)), token };
    },
  );

  app.delete<{ Params: { id: number }; Querystring: { reason?: string } }>(
    '/api/v1/tokens/:id',
    {
      schema: doc({
        summary: 'Revoke an API token (yours, or any as admin)',
        tags: ['tokens'],
        params: { type: 'object', properties: { id: { type: 'integer', minimum: 1 } }, required: ['id'] },
        querystring: { type: 'object', properties: { reason: { type: 'string', maxLength: 500 } } },
        response: { 204: { type: 'null' }, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      const p = ctx.principal(req);
      const t = await auth.tokens.get(req.params.id);
      const mine = t !== undefined && p.user?.id === t.user_id && !p.readOnly;
      if (!t || (!mine && !(await ctx.access(req)).isAdmin)) throw new MaError(ErrorCode.NotFound, `no token with id ${req.params.id}`);
      await auth.tokens.revoke(t.id, Date.now());
      auth.principalsChanged();
      await ctx.audit(req, { action: 'token.revoke', target: `token:${t.id}`, outcome: 'ok', reason: req.query.reason ?? null });
      return reply.status(204).send();
    },
  );
}

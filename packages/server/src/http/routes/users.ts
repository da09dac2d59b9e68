import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { PERMISSIONS, type Grant } from '../../users/grants-store.js';
import type { UserRow } from '../../users/users-store.js';
import { doc, type HttpContext } from '../context.js';
import { errorSchema, nodeNameParam } from '../schemas.js';
import { publicUser, userSchema } from './auth.js';

const userParam = { type: 'object', properties: { user: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' } }, required: ['user'] } as const;
const reason = { type: 'string', maxLength: 500, description: 'why: kept in the audit log' } as const;
const grantSchema = {
  type: 'object',
  properties: {
    scope: { type: 'string', enum: ['node', 'tag'] },
    target: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' },
    permission: { type: 'string', enum: [...PERMISSIONS] },
  },
  required: ['scope', 'target', 'permission'],
  additionalProperties: false,
} as const;

/** Users and their grants, node tags: global admins only. */
export function registerUserRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { auth } = ctx.deps;

  async function userNamed(name: string): Promise<UserRow> {
    const u = await auth.users.getByName(name);
    if (!u) throw new MaError(ErrorCode.NotFound, `no user named ${JSON.stringify(name)}`);
    return u;
  }

  /** Refuses to leave the server without an active admin. */
  async function keepOneAdmin(u: UserRow, what: string): Promise<void> {
    if (u.role === 'admin' && !u.disabled && (await auth.users.countActiveAdmins()) <= 1) {
      throw new MaError(ErrorCode.Conflict, `cannot ${what} ${u.name}: it is the last active admin; make another admin first`);
    }
  }

  const audited = (req: FastifyRequest, action: string, target: string, why: string | undefined, detail?: Record<string, unknown>) =>
    ctx.audit(req, { action, target, outcome: 'ok', reason: why ?? null, ...(detail ? { detail } : {}) });

  app.get('/api/v1/users', { schema: doc({ summary: 'List users (admin)', tags: ['users'], response: { 200: { type: 'object', properties: { users: { type: 'array', items: userSchema } } }, '4xx': errorSchema } }) }, async (req) => {
    await ctx.requireAdmin(req);
    return { users: (await auth.users.list()).map(publicUser) };
  });

  app.post<{ Body: { name: string; password: string; role?: 'admin' | 'member'; reason?: string } }>(
    '/api/v1/users',
    {
      schema: doc({
        summary: 'Create a user (admin)',
        tags: ['users'],
        body: {
          type: 'object',
          properties: { name: { type: 'string', minLength: 1, maxLength: 63 }, password: { type: 'string', minLength: 1, maxLength: 1024 }, role: { type: 'string', enum: ['admin', 'member'] }, reason },
          required: ['name', 'password'],
          additionalProperties: false,
        },
        response: { 201: userSchema, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      await ctx.requireAdmin(req);
      const u = await auth.createUser({ name: req.body.name, password: req.body.password, role: req.body.role ?? 'member' });
      await audited(req, 'user.create', `user:${u.name}`, req.body.reason, { role: u.role });
      reply.status(201);
      return publicUser(u);
    },
  );

  app.patch<{ Params: { user: string }; Body: { role?: 'admin' | 'member'; disabled?: boolean; reason?: string } }>(
    '/api/v1/users/:user',
    {
      schema: doc({
        summary: "Change a user's role or disable/enable them (admin); disabling ends their sessions",
        tags: ['users'],
        params: userParam,
        body: { type: 'object', properties: { role: { type: 'string', enum: ['admin', 'member'] }, disabled: { type: 'boolean' }, reason }, additionalProperties: false },
        response: { 200: userSchema, '4xx': errorSchema },
      }),
    },
    async (req) => {
      await ctx.requireAdmin(req);
      const u = await userNamed(req.params.user);
      // Locking oneself out is never what an admin means; another admin can do it if it must be done.
      if (req.body.disabled === true && ctx.principal(req).user?.id === u.id) throw new MaError(ErrorCode.Conflict, 'you cannot disable your own account; another admin can');
      if ((req.body.role === 'member' && u.role === 'admin') || req.body.disabled === true) await keepOneAdmin(u, req.body.disabled ? 'disable' : 'demote');
      const updated = (await auth.users.update(u.id, { ...(req.body.role ? { role: req.body.role } : {}), ...(req.body.disabled !== undefined ? { disabled: req.body.disabled } : {}) }))!;
      if (req.body.disabled) await auth.sessions.deleteForUser(u.id);
      auth.grantsChanged();
      await audited(req, 'user.update', `user:${u.name}`, req.body.reason, { role: req.body.role, disabled: req.body.disabled });
      return publicUser(updated);
    },
  );

  app.delete<{ Params: { user: string }; Querystring: { reason?: string } }>(
    '/api/v1/users/:user',
    { schema: doc({ summary: 'Delete a user, their grants, sessions and tokens (admin)', tags: ['users'], params: userParam, querystring: { type: 'object', properties: { reason } }, response: { 204: { type: 'null' }, '4xx': errorSchema } }) },
    async (req, reply) => {
      await ctx.requireAdmin(req);
      const u = await userNamed(req.params.user);
      await keepOneAdmin(u, 'delete');
      await auth.users.delete(u.id);
      auth.grantsChanged();
      await audited(req, 'user.delete', `user:${u.name}`, req.query.reason);
      return reply.status(204).send();
    },
  );

  app.post<{ Params: { user: string }; Body: { password: string; reason?: string } }>(
    '/api/v1/users/:user/password',
    {
      schema: doc({
        summary: "Reset a user's password (admin); ends their sessions and turns their TOTP off",
        tags: ['users'],
        params: userParam,
        body: { type: 'object', properties: { password: { type: 'string', minLength: 1, maxLength: 1024 }, reason }, required: ['password'], additionalProperties: false },
        response: { 204: { type: 'null' }, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      await ctx.requireAdmin(req);
      const u = await userNamed(req.params.user);
      await auth.setPassword(u, req.body.password);
      await auth.users.update(u.id, { totp_enabled: false, totp_secret: null });
      await auth.sessions.deleteForUser(u.id);
      auth.principalsChanged();
      await audited(req, 'user.password_reset', `user:${u.name}`, req.body.reason);
      return reply.status(204).send();
    },
  );

  const grantsResponse = { type: 'object', properties: { user: { type: 'string' }, grants: { type: 'array', items: grantSchema } } } as const;

  app.get<{ Params: { user: string } }>(
    '/api/v1/users/:user/grants',
    { schema: doc({ summary: "A user's grants on nodes and node tags (admin, or the user themself)", tags: ['users'], params: userParam, response: { 200: grantsResponse, '4xx': errorSchema } }) },
    async (req) => {
      const p = ctx.principal(req);
      if (p.user?.name !== req.params.user) await ctx.requireAdmin(req);
      const u = await userNamed(req.params.user);
      return { user: u.name, grants: await auth.grants.list(u.id) };
    },
  );

  app.put<{ Params: { user: string }; Body: { grants: Grant[]; reason?: string } }>(
    '/api/v1/users/:user/grants',
    {
      schema: doc({
        summary: "Replace a user's grants (admin): the node x permission matrix, plus grants on node tags",
        tags: ['users'],
        params: userParam,
        body: { type: 'object', properties: { grants: { type: 'array', items: grantSchema, maxItems: 5000 }, reason }, required: ['grants'], additionalProperties: false },
        response: { 200: grantsResponse, '4xx': errorSchema },
      }),
    },
    async (req) => {
      await ctx.requireAdmin(req);
      const u = await userNamed(req.params.user);
      for (const g of req.body.grants) {
        if (g.scope === 'node' && !(await ctx.deps.store.getNodeByName(g.target))) throw new MaError(ErrorCode.InputInvalid, `grants: no node named ${JSON.stringify(g.target)}`);
      }
      const before = await auth.grants.list(u.id);
      await auth.grants.replace(u.id, req.body.grants);
      auth.grantsChanged();
      const after = await auth.grants.list(u.id);
      await audited(req, 'grants.replace', `user:${u.name}`, req.body.reason, { before, after });
      return { user: u.name, grants: after };
    },
  );

  app.put<{ Params: { node: string }; Body: { tags: string[]; reason?: string } }>(
    '/api/v1/nodes/:node/tags',
    {
      schema: doc({
        summary: "Set a node's tags (admin); grants on a tag cover every node carrying it",
        tags: ['nodes'],
        params: nodeNameParam,
        body: {
          type: 'object',
          properties: { tags: { type: 'array', items: { type: 'string', pattern: '^[a-z0-9][a-z0-9._-]{0,62}$' }, maxItems: 50 }, reason },
          required: ['tags'],
          additionalProperties: false,
        },
        response: { 200: { type: 'object', properties: { node: { type: 'string' }, tags: { type: 'array', items: { type: 'string' } } } }, '4xx': errorSchema },
      }),
    },
    async (req) => {
      await ctx.requireAdmin(req);
      const node = await ctx.authorize(req, req.params.node, 'admin');
      await auth.grants.setNodeTags(node.id, req.body.tags);
      auth.grantsChanged();
      await audited(req, 'node.tags', `node:${node.name}`, req.body.reason, { tags: req.body.tags });
      return { node: node.name, tags: (await auth.grants.allNodeTags()).get(node.name) ?? [] };
    },
  );
}

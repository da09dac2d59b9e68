import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { base32Decode, newTotpSecret, otpauthUrl, verifyTotp } from '../../auth/totp.js';
import { verifyPassword } from '../../auth/password.js';
import type { UserRow } from '../../users/users-store.js';
import { clearSessionCookie, setSessionCookie } from '../auth-hooks.js';
import { doc, type HttpContext } from '../context.js';
import { errorSchema } from '../schemas.js';

const str = (max: number, min = 1) => ({ type: 'string', minLength: min, maxLength: max }) as const;
export const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    name: { type: 'string' },
    role: { type: 'string', enum: ['admin', 'member'] },
    disabled: { type: 'boolean' },
    totp_enabled: { type: 'boolean' },
    created_at: { type: 'integer' },
  },
} as const;
const meSchema = {
  type: 'object',
  properties: { user: userSchema, csrf_token: { type: ['string', 'null'] }, via: { type: 'string' }, read_only: { type: 'boolean' } },
} as const;

export const publicUser = (u: UserRow) => ({ id: u.id, name: u.name, role: u.role, disabled: u.disabled, totp_enabled: u.totp_enabled, created_at: u.created_at });

/** A logged-in user (session or token), not the bootstrap token, which has no account. */
function requireUser(ctx: HttpContext, req: FastifyRequest): UserRow {
  const p = ctx.principal(req);
  if (!p.user) throw new MaError(ErrorCode.AuthForbidden, 'the bootstrap admin token has no account; log in as a user');
  if (p.readOnly) throw new MaError(ErrorCode.AuthForbidden, 'a read-only token cannot change the account');
  return p.user;
}

/** Login, logout, first run, who am I, password change and TOTP enrolment. */
export function registerAuthRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const { auth } = ctx.deps;
  const sessionMs = () => Math.min(auth.options.sessionIdleMs, auth.options.sessionMaxMs);

  app.get(
    '/api/v1/auth/state',
    { config: { public: true }, schema: doc({ summary: 'Whether the first admin still has to be created (first-run page)', tags: ['auth'], response: { 200: { type: 'object', properties: { needs_setup: { type: 'boolean' } } } } }) },
    async () => ({ needs_setup: (await auth.users.count()) === 0 }),
  );

  app.post<{ Body: { name: string; password: string } }>(
    '/api/v1/auth/setup',
    {
      config: { public: true },
      schema: doc({
        summary: 'Create the first admin and log in; refused (409) once any user exists',
        tags: ['auth'],
        body: { type: 'object', properties: { name: str(63), password: str(1024) }, required: ['name', 'password'], additionalProperties: false },
        response: { 201: meSchema, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      const r = await auth.setupFirstAdmin(req.body, req.ip);
      setSessionCookie(reply, auth, r.sessionToken, sessionMs());
      reply.status(201);
      return { user: publicUser(r.user), csrf_token: r.session.csrf_token, via: 'session', read_only: false };
    },
  );

  app.post<{ Body: { name: string; password: string; totp?: string } }>(
    '/api/v1/auth/login',
    {
      config: { public: true },
      schema: doc({
        summary: 'Log in: sets an HttpOnly session cookie and returns the CSRF token for state-changing requests',
        tags: ['auth'],
        body: { type: 'object', properties: { name: str(63), password: str(1024), totp: str(10) }, required: ['name', 'password'], additionalProperties: false },
        response: { 200: meSchema, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      try {
        const r = await auth.login(req.body, req.ip);
        setSessionCookie(reply, auth, r.sessionToken, sessionMs());
        return { user: publicUser(r.user), csrf_token: r.session.csrf_token, via: 'session', read_only: false };
      } catch (e) {
        const wait = (e as { retryAfterMs?: number }).retryAfterMs;
        if (wait !== undefined) reply.header('retry-after', String(Math.ceil(wait / 1000)));
        throw e;
      }
    },
  );

  app.post('/api/v1/auth/logout', { schema: doc({ summary: 'Log out: ends this session, or revokes the API token that sent the request (the bootstrap token: 400)', tags: ['auth'], response: { 204: { type: 'null' }, '4xx': errorSchema } }) }, async (req, reply) => {
    await auth.logout(ctx.principal(req), req.ip);
    clearSessionCookie(reply, auth);
    return reply.status(204).send();
  });

  app.get('/api/v1/auth/me', { schema: doc({ summary: 'Who is logged in, and the CSRF token of this session', tags: ['auth'], response: { 200: meSchema, '4xx': errorSchema } }) }, async (req) => {
    const p = ctx.principal(req);
    return {
      user: p.user ? publicUser(p.user) : { id: 0, name: 'bootstrap', role: 'admin', disabled: false, totp_enabled: false, created_at: 0 },
      csrf_token: p.session?.csrf_token ?? null,
      via: p.via,
      read_only: p.readOnly,
    };
  });

  app.post<{ Body: { current_password: string; new_password: string } }>(
    '/api/v1/auth/password',
    {
      schema: doc({
        summary: 'Change your own password (needs the current one); ends your other sessions',
        tags: ['auth'],
        body: { type: 'object', properties: { current_password: str(1024), new_password: str(1024) }, required: ['current_password', 'new_password'], additionalProperties: false },
        response: { 204: { type: 'null' }, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      const user = requireUser(ctx, req);
      if (!(await verifyPassword(req.body.current_password, user.password_hash))) {
        await ctx.audit(req, { action: 'auth.password', target: `user:${user.name}`, outcome: 'failed', reason: 'wrong current password' });
        throw new MaError(ErrorCode.AuthForbidden, 'the current password is wrong');
      }
      await auth.setPassword(user, req.body.new_password);
      await auth.sessions.deleteForUser(user.id, req.principal?.session?.id_hash);
      auth.principalsChanged();
      await ctx.audit(req, { action: 'auth.password', target: `user:${user.name}`, outcome: 'ok', reason: null });
      return reply.status(204).send();
    },
  );

  app.post(
    '/api/v1/auth/totp/setup',
    {
      schema: doc({
        summary: 'Start TOTP enrolment: returns a new secret and otpauth:// URL; it takes effect once confirmed with a code',
        tags: ['auth'],
        response: { 200: { type: 'object', properties: { secret: { type: 'string' }, otpauth_url: { type: 'string' } } }, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const user = requireUser(ctx, req);
      if (user.totp_enabled) throw new MaError(ErrorCode.Conflict, 'TOTP is already on; turn it off first to enrol a new device');
      const secret = newTotpSecret();
      await auth.users.update(user.id, { totp_secret: secret, totp_enabled: false });
      return { secret, otpauth_url: otpauthUrl('Monitor Actuator', user.name, secret) };
    },
  );

  app.post<{ Body: { code: string } }>(
    '/api/v1/auth/totp/enable',
    {
      schema: doc({
        summary: 'Confirm TOTP enrolment with a current code',
        tags: ['auth'],
        body: { type: 'object', properties: { code: { type: 'string', pattern: '^[0-9]{6}$' } }, required: ['code'], additionalProperties: false },
        response: { 204: { type: 'null' }, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      const user = requireUser(ctx, req);
      if (!user.totp_secret) throw new MaError(ErrorCode.InputInvalid, 'start with POST /api/v1/auth/totp/setup');
      if (verifyTotp(base32Decode(user.totp_secret), req.body.code, Date.now()) === undefined) throw new MaError(ErrorCode.InputInvalid, 'wrong code: check the device clock and try the current code');
      await auth.users.update(user.id, { totp_enabled: true });
      await ctx.audit(req, { action: 'auth.totp.enable', target: `user:${user.name}`, outcome: 'ok', reason: null });
      return reply.status(204).send();
    },
  );

  app.post<{ Body: { password: string } }>(
    '/api/v1/auth/totp/disable',
    {
      schema: doc({
        summary: 'Turn TOTP off (needs your password)',
        tags: ['auth'],
        body: { type: 'object', properties: { password: str(1024) }, required: ['password'], additionalProperties: false },
        response: { 204: { type: 'null' }, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      const user = requireUser(ctx, req);
      if (!(await verifyPassword(req.body.password, user.password_hash))) throw new MaError(ErrorCode.AuthForbidden, 'the password is wrong');
      await auth.users.update(user.id, { totp_enabled: false, totp_secret: null });
      await ctx.audit(req, { action: 'auth.totp.disable', target: `user:${user.name}`, outcome: 'ok', reason: null });
      return reply.status(204).send();
    },
  );
}

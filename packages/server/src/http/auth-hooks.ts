import { timingSafeEqual } from 'node:crypto';
import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { AuthService } from '../auth/auth-service.js';
import type { Principal } from '../auth/principal.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** Who sent the request (resolved for /api/ routes); null when anonymous. */
    principal: Principal | null;
  }
  interface FastifyContextConfig {
    /** Reachable without logging in (login, first-run, enrollment, the OpenAPI document). Every other /api/ route needs a principal. */
    public?: boolean;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/**
 * Resolves the principal of every API request, and refuses a state-changing request that is
 * authenticated by the session cookie but lacks the session's CSRF token in `X-CSRF-Token`.
 * Bearer tokens are not ambient credentials (a browser never adds them on its own), so they
 * need no CSRF token. SameSite=Strict on the cookie is the second line of defence.
 */
export function registerAuthHooks(app: FastifyInstance, auth: AuthService): void {
  app.decorateRequest('principal', null);
  app.addHook('onRequest', async (req) => {
    if (!req.url.startsWith('/api/')) return;
    req.principal = await auth.resolve(req.headers);
    // Deny by default: a new route is protected unless it says it is public.
    if (!req.principal && req.routeOptions.config?.public !== true) {
      throw new MaError(ErrorCode.AuthRequired, 'authentication required: log in, or send "Authorization: Bearer <token>" with an API token');
    }
    if (req.principal?.via === 'session' && !SAFE_METHODS.has(req.method)) {
      const sent = req.headers['x-csrf-token'];
      if (typeof sent !== 'string' || !sameSecret(sent, req.principal.session!.csrf_token)) {
        throw new MaError(ErrorCode.AuthForbidden, 'missing or wrong CSRF token: send the X-CSRF-Token header with the value from GET /api/v1/auth/me');
      }
    }
  });
}

export function setSessionCookie(reply: FastifyReply, auth: AuthService, token: string, maxAgeMs: number): void {
  const secure = auth.options.secureCookies ? '; Secure' : '';
  reply.header('set-cookie', `${auth.cookieName}=${token}; Path=/; HttpOnly; SameSite=Strict; Max-Age=${Math.floor(maxAgeMs / 1000)}${secure}`);
}

export function clearSessionCookie(reply: FastifyReply, auth: AuthService): void {
  const secure = auth.options.secureCookies ? '; Secure' : '';
  reply.header('set-cookie', `${auth.cookieName}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${secure}`);
}

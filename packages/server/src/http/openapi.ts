import type { FastifyInstance, RouteOptions } from 'fastify';
import { errorSchema } from './schemas.js';

interface OpenApiOperation {
  summary?: string;
  tags?: string[];
  parameters?: unknown[];
  requestBody?: unknown;
  responses: Record<string, unknown>;
  security?: unknown[];
}

interface DocumentedResponse {
  description: string;
  content?: Record<string, { schema: unknown }>;
}

const errorResponse = (description: string) => ({ description, content: { 'application/json': { schema: errorSchema } } });

/**
 * Answers any route can give whatever it declares: the auth hook's 401/403, fastify's 400, 404,
 * 413, 414, 415, Node's 431, the throttles' 429, and a 5xx (which the fuzz treats as a bug,
 * but which still has this body). All of them carry the documented error body.
 */
const ALWAYS: Record<string, unknown> = {
  '4XX': errorResponse('refused: bad input (400, 413, 414, 415, 431), not logged in (401), not allowed (403), not found (404), conflict (409), throttled (429)'),
  '5XX': errorResponse('a server fault (logged), or a node or broker that did not answer'),
};

const DESCRIPTIONS: Record<string, string> = { '200': 'OK', '201': 'created', '204': 'done, no content' };

/**
 * Builds the OpenAPI 3.1 document from the JSON schemas every route already declares, so the
 * document cannot drift from the validation that actually runs. (3.1, because its schemas are
 * JSON Schema proper: `type: ["integer", "null"]` as the routes spell it.)
 */
export function collectOpenApi(app: FastifyInstance, info: { title: string; version: string }): () => unknown {
  const paths: Record<string, Record<string, OpenApiOperation>> = {};
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!route.url.startsWith('/api/') || route.url === '/api/openapi.json') return;
    const schema = (route.schema ?? {}) as {
      summary?: string;
      tags?: string[];
      querystring?: { properties?: Record<string, unknown>; required?: string[] };
      params?: { properties?: Record<string, unknown> };
      body?: unknown;
      response?: Record<string, unknown>;
      documented?: Record<string, DocumentedResponse>;
    };
    const url = route.url.replace(/:([A-Za-z_]+)/g, '{$1}');
    const methods = (Array.isArray(route.method) ? route.method : [route.method]).filter((m) => m !== 'HEAD');
    const isPublic = (route.config as { public?: boolean } | undefined)?.public === true;
    for (const method of methods) {
      const parameters: unknown[] = [];
      for (const [name, s] of Object.entries(schema.params?.properties ?? {})) parameters.push({ name, in: 'path', required: true, schema: s });
      for (const [name, s] of Object.entries(schema.querystring?.properties ?? {})) {
        parameters.push({ name, in: 'query', required: schema.querystring?.required?.includes(name) ?? false, schema: s });
      }
      const responses: Record<string, unknown> = {};
      for (const [code, s] of Object.entries(schema.response ?? {})) {
        const key = code.toUpperCase();
        if (code === '204') responses[key] = { description: DESCRIPTIONS[code] };
        else responses[key] = { description: DESCRIPTIONS[code] ?? (key.endsWith('XX') ? 'refused; see the message' : code), content: { 'application/json': { schema: s } } };
      }
      for (const [code, r] of Object.entries(schema.documented ?? {})) responses[code] = r;
      for (const [code, r] of Object.entries(ALWAYS)) responses[code] ??= r;
      const op: OpenApiOperation = { responses };
      if (schema.summary) op.summary = schema.summary;
      if (schema.tags) op.tags = schema.tags;
      if (parameters.length) op.parameters = parameters;
      if (schema.body) op.requestBody = { content: { 'application/json': { schema: schema.body } } };
      // Public routes (login, first run, enrollment) need no credential; every other one takes either.
      if (isPublic) op.security = [];
      (paths[url] ??= {})[method.toLowerCase()] = op;
    }
  });
  return () => ({
    openapi: '3.1.0',
    info,
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token (`ma token create`, POST /api/v1/tokens) or the bootstrap admin token. No CSRF token needed.' },
        session: {
          type: 'apiKey',
          in: 'cookie',
          name: 'ma_session',
          description: 'The HttpOnly session cookie set by POST /api/v1/auth/login (`__Host-ma_session` over HTTPS). State-changing requests also need the X-CSRF-Token header from GET /api/v1/auth/me.',
        },
      },
    },
    security: [{ bearer: [] }, { session: [] }],
  });
}

import type { FastifyInstance } from 'fastify';
import type { AuditOutcome } from '../../audit/audit-store.js';
import { doc, type HttpContext } from '../context.js';
import { errorSchema } from '../schemas.js';
import { parseTimeParam } from '../time-param.js';

interface AuditQs {
  actor?: string;
  action?: string;
  target?: string;
  outcome?: AuditOutcome;
  from?: string;
  to?: string;
  before?: number;
  limit?: number;
}

const entrySchema = {
  type: 'object',
  properties: {
    id: { type: 'integer' },
    at: { type: 'integer' },
    actor: { type: 'string' },
    ip: { type: ['string', 'null'] },
    action: { type: 'string' },
    target: { type: ['string', 'null'] },
    outcome: { type: 'string' },
    reason: { type: ['string', 'null'] },
    detail: { type: ['object', 'null'], additionalProperties: true },
  },
} as const;

/** The audit log, read-only: there is no route that changes or deletes an entry. */
export function registerAuditRoutes(app: FastifyInstance, ctx: HttpContext): void {
  app.get<{ Querystring: AuditQs }>(
    '/api/v1/audit',
    {
      schema: doc({
        summary: 'The audit log, newest first, filtered (admin)',
        tags: ['audit'],
        querystring: {
          type: 'object',
          properties: {
            actor: { type: 'string', maxLength: 200 },
            action: { type: 'string', maxLength: 100, description: 'exact, or a prefix ending in "." such as auth.' },
            target: { type: 'string', maxLength: 200 },
            outcome: { type: 'string', enum: ['ok', 'denied', 'failed'] },
            from: { type: 'string' },
            to: { type: 'string' },
            before: { type: 'integer', minimum: 1, description: 'entries older than this id (next page)' },
            limit: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
          },
        },
        response: { 200: { type: 'object', properties: { entries: { type: 'array', items: entrySchema } } }, '4xx': errorSchema },
      }),
    },
    async (req) => {
      await ctx.requireAdmin(req);
      const q = req.query;
      const entries = await ctx.deps.auth.auditLog.query({
        limit: q.limit ?? 100,
        ...(q.actor !== undefined ? { actor: q.actor } : {}),
        ...(q.action !== undefined ? { action: q.action } : {}),
        ...(q.target !== undefined ? { target: q.target } : {}),
        ...(q.outcome !== undefined ? { outcome: q.outcome } : {}),
        ...(q.from !== undefined ? { from: parseTimeParam('from', q.from, 0) } : {}),
        ...(q.to !== undefined ? { to: parseTimeParam('to', q.to, 0) } : {}),
        ...(q.before !== undefined ? { before: q.before } : {}),
      });
      return { entries };
    },
  );
}

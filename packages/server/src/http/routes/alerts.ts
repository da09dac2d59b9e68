import { ErrorCode, MaError, parseDuration } from '@ma/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { recipientSchema } from '../../alerts/rule.js';
import { describeRecipient } from '../../notify/senders.js';
import type { AlertRow, AlertState, NotificationRow } from '../../store/alerts-store.js';
import type { NodeRow } from '../../store/store.js';
import { doc, type HttpContext } from '../context.js';
import { errorSchema } from '../schemas.js';
import { alertListSchema, alertSchema, deliveryListSchema, endedSchema, silenceListSchema, silenceSchema } from '../alert-schemas.js';
import { parseTimeParam } from '../time-param.js';
import { alertsOf } from './alert-rules.js';

const idParam = { type: 'object', properties: { id: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } }, required: ['id'] } as const;
const MAX_SILENCE_MS = 90 * 86_400_000;

/** An alert as the API shows it: names instead of ids, never its acknowledgement token. */
export function alertView(a: AlertRow, nodes: Map<number, NodeRow>, now = Date.now()) {
  const { ack_token: _token, ...rest } = a;
  const end = a.resolved_at ?? now;
  return { ...rest, node: nodes.get(a.node_id)?.name ?? String(a.node_id), duration_ms: Math.max(0, end - a.since) };
}

function deliveryView(n: NotificationRow) {
  let recipient = 'unknown';
  try {
    recipient = describeRecipient(recipientSchema.parse(JSON.parse(n.recipient_json)));
  } catch {
    // A recipient kind this build no longer knows: shown as unknown.
  }
  const { recipient_json: _r, message_json: _m, ...rest } = n;
  return { ...rest, recipient };
}

export function registerAlertRoutes(app: FastifyInstance, ctx: HttpContext): void {
  const nodesById = async () => new Map((await ctx.deps.store.listNodes()).map((n) => [n.id, n]));

  /** The alert, if the principal may view its node; otherwise 404, as if it did not exist. */
  const visibleAlert = async (req: FastifyRequest, id: number): Promise<{ alert: AlertRow; node: NodeRow }> => {
    const a = await alertsOf(ctx).store.getAlert(id);
    const node = a && (await ctx.deps.store.getNodeById(a.node_id));
    if (!a || !node || !(await ctx.canView(req))(node)) throw new MaError(ErrorCode.NotFound, `no alert with id ${id}`);
    return { alert: a, node };
  };

  app.get<{ Querystring: { state?: string; node?: string; rule?: number; from?: string; to?: string; limit?: number } }>(
    '/api/v1/alerts',
    {
      schema: doc({
        summary: 'Alerts on the nodes you may view: firing, pending, and history with durations, newest first',
        tags: ['alerts'],
        querystring: {
          type: 'object',
          properties: {
            state: { type: 'string', pattern: '^(pending|firing|resolved)(,(pending|firing|resolved))*$', description: 'comma-separated states' },
            node: { type: 'string', maxLength: 64 },
            rule: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
            from: { type: 'string', maxLength: 40 },
            to: { type: 'string', maxLength: 40 },
            limit: { type: 'integer', minimum: 1, maximum: 1000 },
          },
        },
        response: { 200: alertListSchema, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const alerts = alertsOf(ctx);
      const q = req.query;
      const node = q.node === undefined ? undefined : await ctx.authorize(req, q.node, 'view');
      const now = Date.now();
      const rows = await alerts.store.listAlerts({
        ...(q.state ? { states: q.state.split(',') as AlertState[] } : {}),
        ...(node ? { nodeId: node.id } : {}),
        ...(q.rule !== undefined ? { ruleId: q.rule } : {}),
        ...(q.from !== undefined ? { from: parseTimeParam('from', q.from, 0) } : {}),
        ...(q.to !== undefined ? { to: parseTimeParam('to', q.to, now) } : {}),
        limit: q.limit ?? 200,
      });
      const nodes = await nodesById();
      const canView = await ctx.canView(req);
      return { alerts: rows.filter((a) => nodes.has(a.node_id) && canView(nodes.get(a.node_id)!)).map((a) => alertView(a, nodes, now)) };
    },
  );

  app.post<{ Params: { id: number }; Body: { note?: string } }>(
    '/api/v1/alerts/:id/ack',
    {
      schema: doc({
        summary: 'Acknowledge an alert (with a note): repeats and escalation stop',
        tags: ['alerts'],
        params: idParam,
        body: { type: 'object', properties: { note: { type: 'string', maxLength: 1000 } }, additionalProperties: false },
        response: { 200: alertSchema, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const { alert } = await visibleAlert(req, req.params.id);
      const principal = ctx.principal(req);
      // Acknowledging stops repeats and escalation: a change, so not for a read-only token.
      // Anyone who may view the node may acknowledge (its recipients can, from the notification link).
      if (principal.readOnly) throw new MaError(ErrorCode.AuthForbidden, 'a read-only token cannot acknowledge alerts; use a token with scope "grants" or log in');
      if (alert.state === 'resolved') throw new MaError(ErrorCode.Conflict, `alert ${alert.id} is already resolved`);
      const note = req.body?.note?.trim() || null;
      const ok = await alertsOf(ctx).engine.acknowledge(alert.id, principal.user?.name ?? principal.actor, note);
      if (!ok) throw new MaError(ErrorCode.Conflict, `alert ${alert.id} was already acknowledged`);
      await ctx.audit(req, { action: 'alert.ack', target: `alert:${alert.id}`, outcome: 'ok', reason: note });
      return alertView((await alertsOf(ctx).store.getAlert(alert.id))!, await nodesById());
    },
  );

  app.get<{ Querystring: { alert?: number; limit?: number } }>(
    '/api/v1/alert-deliveries',
    {
      schema: doc({
        summary: 'The delivery log: each notification, its recipient, state, attempts and last error',
        tags: ['alerts'],
        querystring: {
          type: 'object',
          properties: { alert: { type: 'integer', minimum: 1, maximum: 2_147_483_647 }, limit: { type: 'integer', minimum: 1, maximum: 1000 } },
        },
        response: { 200: deliveryListSchema, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const alerts = alertsOf(ctx);
      if (req.query.alert !== undefined) {
        const { alert } = await visibleAlert(req, req.query.alert);
        return { deliveries: (await alerts.store.notificationsFor(alert.id)).map(deliveryView) };
      }
      const rows = await alerts.store.listNotifications(req.query.limit ?? 200);
      const visible = new Map<number, boolean>();
      const nodes = await nodesById();
      const canView = await ctx.canView(req);
      const out = [];
      for (const n of rows) {
        if (!visible.has(n.alert_id)) {
          const a = await alerts.store.getAlert(n.alert_id);
          visible.set(n.alert_id, a !== undefined && nodes.has(a.node_id) && canView(nodes.get(a.node_id)!));
        }
        if (visible.get(n.alert_id)) out.push(deliveryView(n));
      }
      return { deliveries: out };
    },
  );

  app.get(
    '/api/v1/alert-silences',
    { schema: doc({ summary: 'Silences in force or to come, on rules and nodes you may view', tags: ['alerts'], response: { 200: silenceListSchema, '4xx': errorSchema } }) },
    async (req) => {
      const alerts = alertsOf(ctx);
      const nodes = await nodesById();
      const access = await ctx.access(req);
      const silences = (await alerts.store.activeSilences()).filter((s) => (s.node_id === null ? access.isAdmin : nodes.has(s.node_id) && access.can(nodes.get(s.node_id)!, 'view')));
      return { silences: silences.map((s) => ({ ...s, node: s.node_id === null ? null : (nodes.get(s.node_id)?.name ?? null) })) };
    },
  );

  app.post<{ Body: { rule?: number; node?: string; duration?: string; until?: string; reason?: string } }>(
    '/api/v1/alert-silences',
    {
      schema: doc({
        summary: 'Silence a rule, a node, or a rule on one node for a period (node silences need actuate on it; rule-wide ones an admin)',
        tags: ['alerts'],
        body: {
          type: 'object',
          properties: {
            rule: { type: 'integer', minimum: 1, maximum: 2_147_483_647 },
            node: { type: 'string', minLength: 1, maxLength: 64 },
            duration: { type: 'string', maxLength: 20, description: 'e.g. "2h"' },
            until: { type: 'string', maxLength: 40, description: 'ms since the epoch or ISO 8601' },
            reason: { type: 'string', minLength: 1, maxLength: 500 },
          },
          required: ['reason'],
          additionalProperties: false,
        },
        response: { 201: silenceSchema, '4xx': errorSchema },
      }),
    },
    async (req, reply) => {
      const alerts = alertsOf(ctx);
      const b = req.body;
      const now = Date.now();
      if (b.rule === undefined && b.node === undefined) throw new MaError(ErrorCode.InputInvalid, 'body: name a rule, a node, or both');
      const node = b.node === undefined ? undefined : await ctx.authorize(req, b.node, 'actuate');
      if (!node) await ctx.requireAdmin(req);
      if (b.rule !== undefined && !(await alerts.store.getRule(b.rule))) throw new MaError(ErrorCode.NotFound, `no alert rule with id ${b.rule}`);
      const ms = b.duration === undefined ? undefined : parseDuration(b.duration);
      if (b.duration !== undefined && (ms === undefined || ms <= 0)) throw new MaError(ErrorCode.InputInvalid, `body.duration: got ${JSON.stringify(b.duration)}, expected a duration such as "2h"`);
      const ends = ms !== undefined ? now + ms : b.until !== undefined ? parseTimeParam('until', b.until, now) : undefined;
      if (ends === undefined) throw new MaError(ErrorCode.InputInvalid, 'body: give duration (e.g. "2h") or until');
      if (ends <= now || ends - now > MAX_SILENCE_MS) throw new MaError(ErrorCode.InputInvalid, 'body: a silence ends in the future and within 90 days');
      const principal = ctx.principal(req);
      const s = await alerts.store.createSilence({ rule_id: b.rule ?? null, node_id: node?.id ?? null, starts_at: now, ends_at: ends, reason: b.reason!.trim(), created_by: principal.user?.name ?? principal.actor, created_at: now });
      await alerts.engine.silencesChanged();
      await ctx.audit(req, { action: 'alert.silence', target: node ? `node:${node.name}` : `rule:${b.rule}`, outcome: 'ok', reason: s.reason, detail: { rule: b.rule ?? null, until: ends } });
      return reply.status(201).send({ ...s, node: node?.name ?? null });
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/api/v1/alert-silences/:id',
    { schema: doc({ summary: 'End a silence now', tags: ['alerts'], params: idParam, response: { 200: endedSchema, '4xx': errorSchema } }) },
    async (req) => {
      const alerts = alertsOf(ctx);
      const s = (await alerts.store.activeSilences()).find((x) => x.id === req.params.id);
      if (!s) throw new MaError(ErrorCode.NotFound, `no active silence with id ${req.params.id}`);
      if (s.node_id !== null) await ctx.authorizeNodeId(req, s.node_id, 'actuate');
      else await ctx.requireAdmin(req);
      await alerts.store.endSilence(s.id);
      await alerts.engine.silencesChanged();
      await ctx.audit(req, { action: 'alert.unsilence', target: `silence:${s.id}`, outcome: 'ok', reason: null });
      return { ended: s.id };
    },
  );
}

import { ErrorCode, MaError } from '@ma/protocol';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { randomBytes } from 'node:crypto';
import { replay, type Episode } from '../../alerts/evaluators.js';
import { parseRuleSpec, redactSecrets, type AlertRule, type Recipient, type RuleSpec } from '../../alerts/rule.js';
import { ruleMatchesChannel } from '../../alerts/rule-index.js';
import type { AlertsService } from '../../alerts/alerts-service.js';
import type { RuleRow } from '../../store/alerts-store.js';
import { doc, type HttpContext } from '../context.js';
import { errorSchema } from '../schemas.js';
import { deletedSchema, previewSchema, ruleListSchema, ruleSchema } from '../alert-schemas.js';

const DAY = 86_400_000;
/** The preview reads at most this many raw readings per channel (a week of 10-second readings). */
const PREVIEW_MAX_READINGS = 60_480;
const PREVIEW_MAX_CHANNELS = 20;

const idParam = { type: 'object', properties: { id: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } }, required: ['id'] } as const;
const anyObject = { type: 'object', additionalProperties: true } as const;

export function alertsOf(ctx: HttpContext): AlertsService {
  const a = ctx.deps.alerts;
  if (!a) throw new MaError(ErrorCode.NotFound, 'alerts are not enabled on this server');
  return a;
}

export function toRule(row: RuleRow): AlertRule {
  return { ...parseRuleSpec(JSON.parse(row.spec_json)), id: row.id, created_at: row.created_at, updated_at: row.updated_at };
}

/** A webhook without a secret gets a generated one: every webhook is signed. */
function withSecrets(spec: RuleSpec): RuleSpec {
  const fill = (r: Recipient): Recipient => (r.type === 'webhook' && !r.secret ? { ...r, secret: randomBytes(24).toString('base64url') } : r);
  return { ...spec, recipients: spec.recipients.map(fill), ...(spec.escalation ? { escalation: { ...spec.escalation, recipients: spec.escalation.recipients.map(fill) } } : {}) };
}

/** Every user recipient must be able to view what the rule watches (checked again at send time). */
async function checkRecipients(ctx: HttpContext, spec: RuleSpec): Promise<void> {
  const users = [...spec.recipients, ...(spec.escalation?.recipients ?? [])].map((r) => r.user).filter((u): u is string => u !== undefined);
  for (const name of new Set(users)) {
    const user = await ctx.deps.auth.users.getByName(name);
    if (!user) throw new MaError(ErrorCode.InputInvalid, `recipients: no user named ${JSON.stringify(name)}`);
  }
}

export function registerAlertRuleRoutes(app: FastifyInstance, ctx: HttpContext): void {
  /** Rules whose node the principal may view; rules by label alone span nodes and are for admins. */
  const visible = async (req: FastifyRequest): Promise<(r: AlertRule) => boolean> => {
    const access = await ctx.access(req);
    if (access.isAdmin) return () => true;
    const nodes = new Map((await ctx.deps.store.listNodes()).map((n) => [n.name, n]));
    return (r) => {
      const n = r.target.node === undefined ? undefined : nodes.get(r.target.node);
      return n !== undefined && access.can(n, 'view');
    };
  };

  app.get(
    '/api/v1/alert-rules',
    { schema: doc({ summary: 'Alert rules on the nodes you may view (secrets shown to admins only)', tags: ['alerts'], response: { 200: ruleListSchema, '4xx': errorSchema } }) },
    async (req) => {
      const alerts = alertsOf(ctx);
      const isAdmin = (await ctx.access(req)).isAdmin;
      const canSee = await visible(req);
      const rules = (await alerts.store.listRules()).map(toRule).filter(canSee);
      return { rules: isAdmin ? rules : rules.map(redactSecrets) };
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/api/v1/alert-rules',
    { schema: doc({ summary: 'Create an alert rule (admin)', tags: ['alerts'], body: anyObject, response: { 201: ruleSchema, '4xx': errorSchema } }) },
    async (req, reply) => {
      await ctx.requireAdmin(req);
      const alerts = alertsOf(ctx);
      const spec = withSecrets(parseRuleSpec(req.body));
      await checkRecipients(ctx, spec);
      const row = await alerts.store.createRule(spec.name, JSON.stringify(spec));
      await alerts.engine.reloadRules();
      await ctx.audit(req, { action: 'alert.rule.create', target: `rule:${row.id}`, outcome: 'ok', reason: null, detail: { name: spec.name } });
      return reply.status(201).send(toRule(row));
    },
  );

  app.put<{ Params: { id: number }; Body: Record<string, unknown> }>(
    '/api/v1/alert-rules/:id',
    { schema: doc({ summary: 'Replace an alert rule (admin); its open alerts stay open', tags: ['alerts'], params: idParam, body: anyObject, response: { 200: ruleSchema, '4xx': errorSchema } }) },
    async (req) => {
      await ctx.requireAdmin(req);
      const alerts = alertsOf(ctx);
      const spec = withSecrets(parseRuleSpec(req.body));
      await checkRecipients(ctx, spec);
      const row = await alerts.store.updateRule(req.params.id, spec.name, JSON.stringify(spec));
      await alerts.engine.reloadRules();
      await ctx.audit(req, { action: 'alert.rule.update', target: `rule:${row.id}`, outcome: 'ok', reason: null, detail: { name: spec.name } });
      return toRule(row);
    },
  );

  app.delete<{ Params: { id: number } }>(
    '/api/v1/alert-rules/:id',
    { schema: doc({ summary: 'Delete an alert rule and its alerts (admin)', tags: ['alerts'], params: idParam, response: { 200: deletedSchema, '4xx': errorSchema } }) },
    async (req) => {
      await ctx.requireAdmin(req);
      const alerts = alertsOf(ctx);
      await alerts.store.deleteRule(req.params.id);
      await alerts.engine.reloadRules();
      await ctx.audit(req, { action: 'alert.rule.delete', target: `rule:${req.params.id}`, outcome: 'ok', reason: null });
      return { deleted: req.params.id };
    },
  );

  app.post<{ Body: Record<string, unknown> }>(
    '/api/v1/alert-rules/preview',
    {
      schema: doc({
        summary: 'When a rule would have fired over stored readings (default: the last 7 days), on the channels you may view',
        tags: ['alerts'],
        body: anyObject,
        response: { 200: previewSchema, '4xx': errorSchema },
      }),
    },
    async (req) => {
      const body = req.body;
      const now = Date.now();
      const days = typeof body.days === 'number' && body.days > 0 && body.days <= 31 ? body.days : 7;
      const spec = parseRuleSpec(body.rule ?? body);
      const c = spec.condition;
      if (c.type !== 'threshold' && c.type !== 'rate') {
        throw new MaError(ErrorCode.InputInvalid, 'condition.type: the preview replays readings, so it covers threshold and rate rules');
      }
      const canView = await ctx.canView(req);
      const nodes = new Map((await ctx.deps.store.listNodes()).map((n) => [n.id, n]));
      const rule: AlertRule = { ...spec, id: 0, created_at: now, updated_at: now };
      const tags = await ctx.deps.auth.grants.allNodeTags();
      const channels = (await ctx.deps.store.listChannels()).filter((ch) => {
        const n = nodes.get(ch.node_id);
        return n !== undefined && canView(n) && ruleMatchesChannel(rule, ch, n, tags.get(n.name) ?? []);
      });
      if (channels.length > PREVIEW_MAX_CHANNELS) throw new MaError(ErrorCode.InputInvalid, `the rule matches ${channels.length} channels; preview at most ${PREVIEW_MAX_CHANNELS} (narrow the target)`);
      const from = now - days * DAY;
      const out: Array<{ channel: number; node: string; key: string; readings: number; truncated: boolean; episodes: Episode[] }> = [];
      for (const ch of channels) {
        const rows = await ctx.deps.store.readRawReadings(ch.id, from, now + 1, PREVIEW_MAX_READINGS);
        out.push({ channel: ch.id, node: nodes.get(ch.node_id)!.name, key: ch.key, readings: rows.length, truncated: rows.length === PREVIEW_MAX_READINGS, episodes: replay(c, rows) });
      }
      return { from, to: now, channels: out };
    },
  );
}

import { ErrorCode, MaError, parseDuration } from '@ma/protocol';
import { z } from 'zod';

/**
 * An alert rule as people write it (HTTP body, CLI, rule editor) and as it is stored
 * (`alert_rules.spec_json`). Keys are snake_case, durations are "10m"-style strings or ms.
 */

export const SEVERITIES = ['info', 'warning', 'critical'] as const;
export type Severity = (typeof SEVERITIES)[number];

export const FAULT_KINDS = ['channel_unavailable', 'agent_fault', 'disk_low', 'outbox_dropping'] as const;
export type FaultKind = (typeof FAULT_KINDS)[number];

const durationMs = (min = 0) =>
  z.union([z.string(), z.number()]).transform((v, ctx) => {
    const ms = parseDuration(v);
    if (ms === undefined || ms < min) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, message: `a duration such as "30s", "10m", "2h"${min > 0 ? ` of at least ${min} ms` : ''}` });
      return z.NEVER;
    }
    return ms;
  });

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a time of day as "HH:MM"');

/** Hours in which a recipient is not disturbed, except by critical alerts. */
export const quietHoursSchema = z
  .object({
    from: hhmm,
    to: hhmm,
    /** IANA time zone the hours are in; UTC when left out. */
    tz: z
      .string()
      .default('UTC')
      .refine((tz) => {
        try {
          new Intl.DateTimeFormat('en', { timeZone: tz });
          return true;
        } catch {
          return false;
        }
      }, 'an IANA time zone such as "Europe/Paris"'),
  })
  .strict();
export type QuietHours = z.output<typeof quietHoursSchema>;

const recipientCommon = {
  /**
   * The person this recipient reaches. When set, a notification goes out only while that user
   * may view the alert's node (checked at send time, so revoking a grant stops the messages).
   */
  user: z.string().min(1).max(64).optional(),
  quiet_hours: quietHoursSchema.optional(),
};

const httpUrl = z
  .string()
  .url()
  .refine((u) => /^https?:\/\//.test(u), 'an http:// or https:// URL');

export const recipientSchema = z.discriminatedUnion('type', [
  z.object({ type: z.literal('email'), to: z.string().email(), ...recipientCommon }).strict(),
  z
    .object({
      type: z.literal('webhook'),
      url: httpUrl,
      /** HMAC-SHA256 key for the X-MA-Signature header; the server generates one when left out. */
      secret: z.string().min(16).max(256).optional(),
      ...recipientCommon,
    })
    .strict(),
  z.object({ type: z.literal('chat'), url: httpUrl, flavor: z.enum(['slack', 'mattermost', 'discord']).default('slack'), ...recipientCommon }).strict(),
  z.object({ type: z.literal('ntfy'), url: httpUrl, token: z.string().min(1).max(256).optional(), ...recipientCommon }).strict(),
]);
export type Recipient = z.output<typeof recipientSchema>;

/** What the rule watches: one channel, every channel with a label, or whole nodes (by name or tag). */
export const targetSchema = z
  .object({
    node: z.string().min(1).max(64).optional(),
    /** A channel key of `node` (e.g. "ds18b20/28-00000c1a748d"). */
    channel: z.string().min(1).max(128).optional(),
    /** Every channel whose label, people-given label or a `labels` value equals this (e.g. "freezer"). */
    label: z.string().min(1).max(128).optional(),
    /** Every node carrying this tag (`ma node tag`), e.g. "freezers". */
    tag: z.string().min(1).max(64).optional(),
  })
  .strict()
  .refine((t) => t.node !== undefined || t.label !== undefined || t.tag !== undefined, 'name a node, a node tag, or a label that selects channels')
  .refine((t) => t.channel === undefined || t.node !== undefined, 'a channel is named together with its node');
export type RuleTarget = z.output<typeof targetSchema>;

export const conditionSchema = z.discriminatedUnion('type', [
  z
    .object({
      type: z.literal('threshold'),
      op: z.enum(['above', 'below']),
      value: z.number().finite(),
      for: durationMs().default(0),
      /**
       * Hysteresis: once pending or firing, the alert clears only past this value (below it for
       * `above`, above it for `below`). Defaults to `value` (no hysteresis).
       */
      clear: z.number().finite().optional(),
    })
    .strict(),
  z
    .object({
      type: z.literal('rate'),
      op: z.enum(['rise', 'fall']),
      /** Change, in the channel's unit, within `window` that fires the alert. */
      delta: z.number().positive().finite(),
      window: durationMs(1000),
    })
    .strict(),
  z.object({ type: z.literal('no_data'), for: durationMs(1000) }).strict(),
  z
    .object({
      type: z.literal('fault'),
      faults: z.array(z.enum(FAULT_KINDS)).min(1),
      /** A fault that has no "recovered" event clears after this long without a repeat. */
      clear_after: durationMs(1000).default('10m'),
    })
    .strict(),
]);
export type Condition = z.output<typeof conditionSchema>;

export const ruleSpecSchema = z
  .object({
    name: z.string().trim().min(1).max(128),
    enabled: z.boolean().default(true),
    severity: z.enum(SEVERITIES).default('warning'),
    target: targetSchema,
    condition: conditionSchema,
    recipients: z.array(recipientSchema).max(50).default([]),
    /** Send the firing message again this often while firing and not acknowledged. */
    repeat_every: durationMs(1000).optional(),
    escalation: z
      .object({ after: durationMs(1000), recipients: z.array(recipientSchema).min(1).max(50) })
      .strict()
      .optional(),
  })
  .strict()
  .refine((r) => r.condition.type !== 'threshold' || r.condition.clear === undefined || (r.condition.op === 'above' ? r.condition.clear <= r.condition.value : r.condition.clear >= r.condition.value), {
    message: 'clear must be on the safe side of value (at most value for "above", at least value for "below")',
    path: ['condition', 'clear'],
  })
  .refine((r) => !(r.condition.type === 'threshold' || r.condition.type === 'rate') || r.target.channel !== undefined || r.target.label !== undefined || r.target.tag !== undefined, {
    message: 'a threshold or rate rule watches readings: name a channel (with its node), a label, or a node tag',
    path: ['target'],
  });

export type RuleSpecInput = z.input<typeof ruleSpecSchema>;
export type RuleSpec = z.output<typeof ruleSpecSchema>;

export interface AlertRule extends RuleSpec {
  id: number;
  created_at: number;
  updated_at: number;
}

/** Validates a rule; every problem is reported at once, each with its key path and what was expected. */
export function parseRuleSpec(input: unknown): RuleSpec {
  const r = ruleSpecSchema.safeParse(input);
  if (r.success) return r.data;
  const problems = r.error.issues.map((i) => `${i.path.length ? i.path.join('.') : '(rule)'}: ${i.message}`);
  throw new MaError(ErrorCode.InputInvalid, `invalid alert rule: ${problems.join('; ')}`);
}

/** The rule as stored and shown to admins: durations as ms so it round-trips through parseRuleSpec. */
export function specToJson(spec: RuleSpec): string {
  return JSON.stringify(spec);
}

export const MASK = '********';

/**
 * A notification URL as a non-admin sees it: scheme and host only. A Slack, Discord or
 * webhook URL often is itself the credential (the key sits in its path or query).
 */
export function maskUrl(url: string): string {
  try {
    return `${new URL(url).origin}/${MASK}`;
  } catch {
    return MASK;
  }
}

/** The rule with every secret-bearing recipient field masked (URLs, secrets, tokens), for anyone who is not an admin. */
export function redactSecrets<T extends RuleSpec>(rule: T): T {
  const mask = (r: Recipient): Recipient => {
    switch (r.type) {
      case 'email':
        return r;
      case 'webhook':
        return { ...r, url: maskUrl(r.url), ...(r.secret ? { secret: MASK } : {}) };
      case 'chat':
        return { ...r, url: maskUrl(r.url) };
      case 'ntfy':
        return { ...r, url: maskUrl(r.url), ...(r.token ? { token: MASK } : {}) };
    }
  };
  return {
    ...rule,
    recipients: rule.recipients.map(mask),
    ...(rule.escalation ? { escalation: { ...rule.escalation, recipients: rule.escalation.recipients.map(mask) } } : {}),
  };
}

import { localTime, windowOpen, type EquipmentRule } from '../equipment/equipment-rule.js';

const DAY_MS = 86_400_000;

/** Why a card was refused. Several may hold at once; the first in this order is shown. */
export const DENY_REASONS = [
  'unknown_card',
  'card_revoked',
  'person_disabled',
  'locked_out',
  'not_permitted',
  'not_trained',
  'training_revoked',
  'training_expired',
  'training_lapsed',
  'outside_schedule',
] as const;
export type DenyReason = (typeof DENY_REASONS)[number];

export type Decision =
  | { allowed: true; reason: 'trainer' | 'trained' | 'permitted'; reasons: [] }
  | { allowed: false; reason: DenyReason; reasons: DenyReason[] };

export interface TrainingFacts {
  granted_at: number;
  expires_at: number | null;
  lapse_days: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

/** What the decision looks at, gathered by the caller (access-service.ts) from the stores. */
export interface DecisionFacts {
  card: { revoked_at: number | null } | undefined;
  person: { name: string; disabled: boolean; groups: readonly string[]; user_name: string | null } | undefined;
  rule: EquipmentRule;
  roles: ReadonlySet<'trainer' | 'maintainer'>;
  training: TrainingFacts | undefined;
  locked_out: boolean;
  now: number;
}

/** Until when a training counts (Infinity: no end), whichever of expiry and lapse comes first. */
export function trainingValidUntil(t: TrainingFacts): number {
  if (t.revoked_at !== null) return t.revoked_at;
  const lapse = t.lapse_days === null ? Infinity : (t.last_used_at ?? t.granted_at) + t.lapse_days * DAY_MS;
  return Math.min(t.expires_at ?? Infinity, lapse);
}

/** Is the person named by the rule's `access` lists (or does the rule name nobody)? */
export function permittedBy(rule: EquipmentRule, person: NonNullable<DecisionFacts['person']>): boolean {
  const a = rule.access;
  if (a.groups.length === 0 && a.people.length === 0 && a.users.length === 0) return true;
  return (
    person.groups.some((g) => a.groups.includes(g)) || a.people.includes(person.name) || (person.user_name !== null && a.users.includes(person.user_name))
  );
}

/** Is the rule's schedule open for this person at `now` (always, without a schedule)? */
export function scheduleOpen(rule: EquipmentRule, groups: readonly string[], now: number): boolean {
  if (!rule.schedule) return true;
  const t = localTime(now, rule.schedule.timezone);
  return rule.schedule.windows.some((w) => (w.groups.length === 0 || w.groups.some((g) => groups.includes(g))) && windowOpen(w, t));
}

/**
 * The access decision for one card at one piece of equipment. Every check runs and every
 * refusal is collected: deny wins, so one good reason never hides a bad one.
 */
export function decide(f: DecisionFacts): Decision {
  const denied: DenyReason[] = [];
  if (!f.card || !f.person) return { allowed: false, reason: 'unknown_card', reasons: ['unknown_card'] };
  if (f.card.revoked_at !== null) denied.push('card_revoked');
  if (f.person.disabled) denied.push('person_disabled');
  if (f.locked_out) denied.push('locked_out');
  const trainer = f.roles.has('trainer');
  const staff = trainer || f.roles.has('maintainer');
  if (!staff && !permittedBy(f.rule, f.person)) denied.push('not_permitted');
  if (f.rule.access.trained && !trainer) {
    if (!f.training) denied.push('not_trained');
    else if (f.training.revoked_at !== null) denied.push('training_revoked');
    else if (f.training.expires_at !== null && f.training.expires_at <= f.now) denied.push('training_expired');
    else if (trainingValidUntil(f.training) <= f.now) denied.push('training_lapsed');
  }
  if (!staff && !scheduleOpen(f.rule, f.person.groups, f.now)) denied.push('outside_schedule');
  if (denied.length > 0) {
    const sorted = [...new Set(denied)].sort((a, b) => DENY_REASONS.indexOf(a) - DENY_REASONS.indexOf(b));
    return { allowed: false, reason: sorted[0]!, reasons: sorted };
  }
  return { allowed: true, reason: trainer ? 'trainer' : f.rule.access.trained ? 'trained' : 'permitted', reasons: [] };
}

/** A sentence for people: what the reason means and what to do. */
export function describeDenial(reason: DenyReason): string {
  switch (reason) {
    case 'unknown_card':
      return 'this card is not enrolled; ask an admin to enrol it';
    case 'card_revoked':
      return 'this card was revoked';
    case 'person_disabled':
      return "this person's access is disabled";
    case 'locked_out':
      return 'the equipment is locked out';
    case 'not_permitted':
      return 'this person is not among those the rule lets use it';
    case 'not_trained':
      return 'no training on this equipment; ask one of its trainers';
    case 'training_revoked':
      return 'the training on this equipment was revoked';
    case 'training_expired':
      return 'the training on this equipment has expired; ask a trainer to renew it';
    case 'training_lapsed':
      return 'the training lapsed after too long without use; ask a trainer to renew it';
    case 'outside_schedule':
      return "outside the equipment's opening hours";
  }
}

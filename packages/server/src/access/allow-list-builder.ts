import { localTime, windowOpen, type EquipmentRule } from '../equipment/equipment-rule.js';
import { decide, trainingValidUntil, type TrainingFacts } from './decide.js';

/** What the builder needs of one piece of equipment on the node. */
export interface BuildEquipment {
  id: number;
  name: string;
  rule: EquipmentRule;
  locked_out: boolean;
  trainers: ReadonlySet<number>;
  maintainers: ReadonlySet<number>;
}

export interface BuildPerson {
  id: number;
  name: string;
  disabled: boolean;
  groups: readonly string[];
  user_name: string | null;
  cards: ReadonlyArray<{ card_hash: string; revoked_at: number | null }>;
}

export interface BuildInput {
  node: string;
  now: number;
  equipment: readonly BuildEquipment[];
  people: readonly BuildPerson[];
  /** `${person_id}:${equipment_id}` -> training. */
  trainings: ReadonlyMap<string, TrainingFacts>;
}

export interface AllowListContent {
  expires_at: number;
  equipment: Record<string, { fail_secure: boolean; session: EquipmentRule['session'] }>;
  entries: Array<{ card: string; person: string; equipment: string[]; expires_at: number }>;
  deny: Array<{ card: string; reason: string }>;
}

/** Revoked cards stay on the deny list this long after revocation (well past any entry's TTL). */
export const DENY_KEEP_MS = 30 * 86_400_000;

/**
 * The next instant after `now` at which any window of the schedule opens or closes (minute
 * steps, looking at most `horizon` ahead); Infinity without a schedule or a change.
 */
export function nextScheduleChange(rule: EquipmentRule, now: number, horizon: number): number {
  if (!rule.schedule) return Infinity;
  const tz = rule.schedule.timezone;
  const stateAt = (t: number): string => {
    const lt = localTime(t, tz);
    return rule.schedule!.windows.map((w) => (windowOpen(w, lt) ? '1' : '0')).join('');
  };
  const start = stateAt(now);
  const firstMinute = Math.floor(now / 60_000) * 60_000 + 60_000;
  for (let t = firstMinute; t <= now + horizon; t += 60_000) if (stateAt(t) !== start) return t;
  return Infinity;
}

/**
 * One node's allow-list content, from the rules as they are now: an entry per active card of
 * every person the server would admit now, listing the equipment, expiring at the earliest of
 * the equipment's entry TTL, the training's end and the next schedule change (so a list that
 * stops being refreshed fails closed). Locked-out equipment has no entries. Revoked cards and
 * disabled people's cards are on the deny list, which wins over any entry.
 */
export function buildAllowList(input: BuildInput): AllowListContent {
  const { now } = input;
  const equipment: AllowListContent['equipment'] = {};
  let listTtl = 0;
  const changes = new Map<number, number>();
  for (const eq of input.equipment) {
    equipment[eq.name] = { fail_secure: eq.rule.fail_secure, session: eq.rule.session };
    listTtl = Math.max(listTtl, eq.rule.entry_ttl);
    changes.set(eq.id, nextScheduleChange(eq.rule, now, eq.rule.entry_ttl));
  }
  const entries: AllowListContent['entries'] = [];
  const deny: AllowListContent['deny'] = [];
  for (const p of input.people) {
    for (const card of p.cards) {
      if (card.revoked_at !== null) {
        if (card.revoked_at > now - DENY_KEEP_MS) deny.push({ card: card.card_hash, reason: 'revoked' });
        continue;
      }
      if (p.disabled) {
        deny.push({ card: card.card_hash, reason: 'person_disabled' });
        continue;
      }
      const allowed: string[] = [];
      let expires = Infinity;
      for (const eq of input.equipment) {
        const roles = new Set<'trainer' | 'maintainer'>();
        if (eq.trainers.has(p.id)) roles.add('trainer');
        if (eq.maintainers.has(p.id)) roles.add('maintainer');
        const training = input.trainings.get(`${p.id}:${eq.id}`);
        const d = decide({ card, person: p, rule: eq.rule, roles, training, locked_out: eq.locked_out, now });
        if (!d.allowed) continue;
        allowed.push(eq.name);
        let bound = now + eq.rule.entry_ttl;
        if (!roles.has('trainer') && eq.rule.access.trained && training) bound = Math.min(bound, trainingValidUntil(training));
        if (roles.size === 0) bound = Math.min(bound, changes.get(eq.id) ?? Infinity);
        expires = Math.min(expires, bound);
      }
      if (allowed.length > 0) entries.push({ card: card.card_hash, person: p.name, equipment: allowed.sort(), expires_at: expires });
    }
  }
  entries.sort((a, b) => (a.card < b.card ? -1 : 1));
  deny.sort((a, b) => (a.card < b.card ? -1 : 1));
  return { expires_at: now + (listTtl || 86_400_000), equipment, entries, deny };
}

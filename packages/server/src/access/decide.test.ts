import { describe, expect, it } from 'vitest';
import { equipmentRuleSchema, type EquipmentRuleInput } from '../equipment/equipment-rule.js';
import { decide, trainingValidUntil, type DecisionFacts } from './decide.js';

const DAY = 86_400_000;
// Wednesday 2026-12-02 12:00 UTC.
const NOON = Date.UTC(2026, 11, 2, 12, 0);

function facts(over: Partial<DecisionFacts> & { ruleInput?: EquipmentRuleInput } = {}): DecisionFacts {
  const { ruleInput, ...rest } = over;
  return {
    card: { revoked_at: null },
    person: { name: 'ada', disabled: false, groups: ['members'], user_name: null },
    rule: equipmentRuleSchema.parse(ruleInput ?? {}),
    roles: new Set(),
    training: { granted_at: NOON - DAY, expires_at: null, lapse_days: null, last_used_at: null, revoked_at: null },
    locked_out: false,
    now: NOON,
    ...rest,
  };
}

describe('the access decision', () => {
  it('allows a trained person with an active card', () => {
    expect(decide(facts())).toEqual({ allowed: true, reason: 'trained', reasons: [] });
  });

  it('refuses an unknown card', () => {
    expect(decide(facts({ card: undefined, person: undefined }))).toMatchObject({ allowed: false, reason: 'unknown_card' });
  });

  it('refuses someone without training, unless they train others on it', () => {
    expect(decide(facts({ training: undefined }))).toMatchObject({ allowed: false, reason: 'not_trained' });
    expect(decide(facts({ training: undefined, roles: new Set(['trainer']) }))).toEqual({ allowed: true, reason: 'trainer', reasons: [] });
  });

  it('lets every card holder in when the rule does not ask for training', () => {
    expect(decide(facts({ training: undefined, ruleInput: { access: { trained: false } } }))).toMatchObject({ allowed: true, reason: 'permitted' });
  });

  it('refuses expired, lapsed and revoked trainings with their own reasons', () => {
    const base = { granted_at: NOON - 100 * DAY, expires_at: null, lapse_days: null, last_used_at: null, revoked_at: null };
    expect(decide(facts({ training: { ...base, expires_at: NOON - 1 } }))).toMatchObject({ reason: 'training_expired' });
    expect(decide(facts({ training: { ...base, lapse_days: 90, last_used_at: NOON - 91 * DAY } }))).toMatchObject({ reason: 'training_lapsed' });
    expect(decide(facts({ training: { ...base, lapse_days: 90, last_used_at: NOON - 89 * DAY } }))).toMatchObject({ allowed: true });
    expect(decide(facts({ training: { ...base, revoked_at: NOON - DAY } }))).toMatchObject({ reason: 'training_revoked' });
  });

  it('computes until when a training counts: the earlier of expiry and lapse', () => {
    expect(trainingValidUntil({ granted_at: 0, expires_at: null, lapse_days: null, last_used_at: null, revoked_at: null })).toBe(Infinity);
    expect(trainingValidUntil({ granted_at: 0, expires_at: 10 * DAY, lapse_days: 3, last_used_at: 2 * DAY, revoked_at: null })).toBe(5 * DAY);
  });

  it('lets deny win: a lock-out refuses even a trainer, and every reason is reported', () => {
    const d = decide(facts({ locked_out: true, training: undefined, card: { revoked_at: 1 } }));
    expect(d).toEqual({ allowed: false, reason: 'card_revoked', reasons: ['card_revoked', 'locked_out', 'not_trained'] });
    expect(decide(facts({ locked_out: true, roles: new Set(['trainer']) }))).toMatchObject({ allowed: false, reason: 'locked_out' });
  });

  it('admits only the groups, people and users the rule names', () => {
    const rule = { access: { groups: ['laser'], people: ['bob'], users: ['carol'] } };
    expect(decide(facts({ ruleInput: rule }))).toMatchObject({ reason: 'not_permitted' });
    expect(decide(facts({ ruleInput: rule, person: { name: 'bob', disabled: false, groups: [], user_name: null } }))).toMatchObject({ allowed: true });
    expect(decide(facts({ ruleInput: rule, person: { name: 'x', disabled: false, groups: [], user_name: 'carol' } }))).toMatchObject({ allowed: true });
    expect(decide(facts({ ruleInput: rule, person: { name: 'x', disabled: false, groups: ['laser'], user_name: null } }))).toMatchObject({ allowed: true });
  });

  it("keeps members to 08:00-22:00 in the equipment's time zone; maintainers are exempt", () => {
    const ruleInput = { schedule: { timezone: 'Europe/Berlin', windows: [{ from: '08:00', to: '22:00', groups: ['members'] }] } };
    // 21:30 UTC is 22:30 in Berlin (CET, UTC+1 in December).
    const late = Date.UTC(2026, 11, 2, 21, 30);
    expect(decide(facts({ ruleInput, now: late }))).toMatchObject({ allowed: false, reason: 'outside_schedule' });
    expect(decide(facts({ ruleInput, now: Date.UTC(2026, 11, 2, 20, 30) }))).toMatchObject({ allowed: true });
    expect(decide(facts({ ruleInput, now: late, roles: new Set(['maintainer']) }))).toMatchObject({ allowed: true });
    // Someone in no group a window names is outside the schedule at any hour.
    expect(decide(facts({ ruleInput, person: { name: 'g', disabled: false, groups: ['guests'], user_name: null } }))).toMatchObject({ reason: 'outside_schedule' });
  });

  it('handles windows past midnight and on chosen days', () => {
    const ruleInput = { schedule: { timezone: 'UTC', windows: [{ days: ['fri' as const], from: '22:00', to: '02:00' }] } };
    expect(decide(facts({ ruleInput, now: Date.UTC(2026, 11, 4, 23, 0) }))).toMatchObject({ allowed: true }); // Fri 23:00
    expect(decide(facts({ ruleInput, now: Date.UTC(2026, 11, 5, 1, 0) }))).toMatchObject({ allowed: true }); // Sat 01:00
    expect(decide(facts({ ruleInput, now: Date.UTC(2026, 11, 5, 3, 0) }))).toMatchObject({ allowed: false }); // Sat 03:00
    expect(decide(facts({ ruleInput, now: Date.UTC(2026, 11, 3, 23, 0) }))).toMatchObject({ allowed: false }); // Thu 23:00
  });

  it('rejects a rule with an unknown time zone or a malformed time', () => {
    expect(equipmentRuleSchema.safeParse({ schedule: { timezone: 'Mars/Olympus', windows: [{ from: '08:00', to: '22:00' }] } }).success).toBe(false);
    expect(equipmentRuleSchema.safeParse({ schedule: { windows: [{ from: '8am', to: '22:00' }] } }).success).toBe(false);
  });
});

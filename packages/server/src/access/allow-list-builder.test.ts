import { describe, expect, it } from 'vitest';
import { equipmentRuleSchema, type EquipmentRuleInput } from '../equipment/equipment-rule.js';
import { buildAllowList, nextScheduleChange, type BuildEquipment, type BuildPerson } from './allow-list-builder.js';

const NOON = Date.UTC(2026, 11, 2, 12, 0); // a Wednesday
const H = 3_600_000;
const eq = (over: Omit<Partial<BuildEquipment>, 'rule'> & { rule?: EquipmentRuleInput } = {}): BuildEquipment => ({
  id: 1,
  name: 'laser',
  locked_out: false,
  trainers: new Set(),
  maintainers: new Set(),
  ...over,
  rule: equipmentRuleSchema.parse(over.rule ?? {}),
});
const person = (id: number, name: string, over: Partial<BuildPerson> = {}): BuildPerson => ({ id, name, disabled: false, groups: ['members'], user_name: null, cards: [{ card_hash: `${id}`.repeat(64).slice(0, 64), revoked_at: null }], ...over });
const trained = (personId: number, over: Record<string, number | null> = {}) => [`${personId}:1`, { granted_at: NOON - H, expires_at: null, lapse_days: null, last_used_at: null, revoked_at: null, ...over }] as const;

describe('the allow-list a node gets', () => {
  it('lists trained people with an entry TTL, leaves out the untrained, and deny-lists revoked cards and disabled people', () => {
    const list = buildAllowList({
      node: 'shop',
      now: NOON,
      equipment: [eq({ rule: { entry_ttl: '2h' } })],
      people: [person(1, 'Ada'), person(2, 'Bob'), person(3, 'Cy', { cards: [{ card_hash: 'c'.repeat(64), revoked_at: NOON - H }] }), person(4, 'Di', { disabled: true }), person(5, 'Ed')],
      trainings: new Map([trained(1), trained(3), trained(4), trained(5, { expires_at: NOON + H })]),
    });
    expect(list.entries).toEqual([
      { card: '1'.repeat(64), person: 'Ada', equipment: ['laser'], expires_at: NOON + 2 * H },
      // A training that ends sooner bounds the entry.
      { card: '5'.repeat(64), person: 'Ed', equipment: ['laser'], expires_at: NOON + H },
    ]);
    expect(list.deny).toEqual([
      { card: '4'.repeat(64), reason: 'person_disabled' },
      { card: 'c'.repeat(64), reason: 'revoked' },
    ]);
    expect(list.equipment).toEqual({ laser: { fail_secure: true, session: { model: 'toggle' } } });
    expect(list.expires_at).toBe(NOON + 2 * H);
  });

  it('has no entries for locked-out equipment', () => {
    const list = buildAllowList({ node: 'shop', now: NOON, equipment: [eq({ locked_out: true })], people: [person(1, 'Ada')], trainings: new Map([trained(1)]) });
    expect(list.entries).toEqual([]);
  });

  it('bounds an entry by the next schedule change, so a node stops admitting at closing time', () => {
    const rule = { schedule: { timezone: 'UTC', windows: [{ from: '08:00', to: '13:30' }] } };
    expect(nextScheduleChange(equipmentRuleSchema.parse(rule), NOON, 24 * H)).toBe(NOON + 1.5 * H);
    const list = buildAllowList({ node: 'shop', now: NOON, equipment: [eq({ rule })], people: [person(1, 'Ada')], trainings: new Map([trained(1)]) });
    expect(list.entries[0]!.expires_at).toBe(NOON + 1.5 * H);
    // Outside the window nobody is listed (the node must not admit what the server would refuse).
    expect(buildAllowList({ node: 'shop', now: NOON + 2 * H, equipment: [eq({ rule })], people: [person(1, 'Ada')], trainings: new Map([trained(1)]) }).entries).toEqual([]);
  });
});

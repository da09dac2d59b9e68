import { testDatabase } from '../../../../test/support/databases.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ErrorCode } from '@ma/protocol';
import { PeopleStore } from '../access/people-store.js';
import { TrainingsStore } from '../access/trainings-store.js';
import { openStore } from '../store/open-store.js';
import type { Store } from '../store/store.js';
import { equipmentDatabase } from './equipment-database.js';
import { equipmentRuleSchema } from './equipment-rule.js';
import { EquipmentStore } from './equipment-store.js';
import { EquipmentSessionsStore } from './sessions-store.js';

/** The equipment and access repositories, one specification run on SQLite and on PostgreSQL. */
describe.each(['sqlite', 'postgres'] as const)('equipment repositories on %s', (dialect) => {
  const harness = testDatabase(dialect, 'ma-equip');
  let store: Store;
  let people: PeopleStore;
  let trainings: TrainingsStore;
  let equipment: EquipmentStore;
  let sessions: EquipmentSessionsStore;
  let nodeId: number;

  beforeAll(() => harness.setup());
  afterAll(() => harness.teardown());
  beforeEach(async () => {
    store = await openStore({ url: await harness.fresh() });
    await store.migrate();
    const e = equipmentDatabase(store);
    people = new PeopleStore(e);
    trainings = new TrainingsStore(e);
    equipment = new EquipmentStore(e);
    sessions = new EquipmentSessionsStore(e);
    nodeId = (await store.createNode({ name: 'shop', display_name: 'Shop', credential_hash: 'x' })).id;
  });
  afterEach(() => store.close());

  it('keeps several cards per person, each only as a hash and its last 4, and refuses a card enrolled twice', async () => {
    const ada = await people.create({ name: 'Ada', groups: ['members', 'members', 'laser'] });
    expect(ada).toMatchObject({ name: 'Ada', groups: ['members', 'laser'], disabled: false, user_id: null, user_name: null });
    await people.addCard(ada.id, { card_hash: 'a'.repeat(64), last4: '1234' });
    await people.addCard(ada.id, { card_hash: 'b'.repeat(64), last4: '5678', label: 'fob' });
    expect((await people.cardsOf(ada.id)).map((c) => c.last4)).toEqual(['1234', '5678']);
    const bob = await people.create({ name: 'Bob' });
    await expect(people.addCard(bob.id, { card_hash: 'a'.repeat(64), last4: '1234' })).rejects.toMatchObject({ code: ErrorCode.Conflict, message: expect.stringContaining('Ada') });
    const card = (await people.cardByHash('b'.repeat(64)))!;
    expect((await people.revokeCard(card.id, 42))?.revoked_at).toBe(42);
    expect(await people.update(ada.id, { disabled: true })).toMatchObject({ disabled: true });
  });

  it('saves equipment with actuators and roles, replaces it by name, and finds it by actuator', async () => {
    const ada = await people.create({ name: 'Ada' });
    const rule = equipmentRuleSchema.parse({ session: { model: 'toggle' } });
    const eq = await equipment.save({ name: 'laser', display_name: 'Laser cutter', rule, actuators: [{ node_id: nodeId, actuator: 'laser_plug', power_channel: 'laser_plug/power' }], trainers: [ada.id], maintainers: [ada.id] });
    expect(eq).toMatchObject({ name: 'laser', actuators: [{ node: 'shop', actuator: 'laser_plug', power_channel: 'laser_plug/power' }], trainers: [ada.id], maintainers: [ada.id] });
    expect((await equipment.byActuator(nodeId, 'laser_plug'))?.id).toBe(eq.id);
    const again = await equipment.save({ name: 'laser', display_name: 'Laser', rule, actuators: [{ node_id: nodeId, actuator: 'relay', power_channel: null }], trainers: [], maintainers: [] });
    expect(again).toMatchObject({ id: eq.id, display_name: 'Laser', actuators: [{ actuator: 'relay' }], trainers: [] });
    expect(await equipment.byActuator(nodeId, 'laser_plug')).toBeUndefined();
    // One actuator drives one piece of equipment.
    await expect(equipment.save({ name: 'other', display_name: 'Other', rule, actuators: [{ node_id: nodeId, actuator: 'relay', power_channel: null }], trainers: [], maintainers: [] })).rejects.toMatchObject({ code: ErrorCode.Conflict });
  });

  it('keeps one lock-out in force per equipment, durably, until cleared', async () => {
    const rule = equipmentRuleSchema.parse({});
    const eq = await equipment.save({ name: 'lathe', display_name: 'Lathe', rule, actuators: [], trainers: [], maintainers: [] });
    await equipment.setLockout({ equipment_id: eq.id, mode: 'maintenance', reason: 'belt worn', set_by: 'user:ada' }, 10);
    await expect(equipment.setLockout({ equipment_id: eq.id, mode: 'safety', reason: 'again', set_by: 'user:ada' })).rejects.toMatchObject({ code: ErrorCode.Conflict });
    expect(await equipment.activeLockout(eq.id)).toMatchObject({ mode: 'maintenance', reason: 'belt worn', set_at: 10 });
    expect(await equipment.clearLockout(eq.id, 'user:bob', 20)).toMatchObject({ cleared_by: 'user:bob', cleared_at: 20 });
    expect(await equipment.activeLockout(eq.id)).toBeUndefined();
    await equipment.setLockout({ equipment_id: eq.id, mode: 'safety', reason: 'smoke', set_by: 'user:ada' });
    expect((await equipment.activeLockouts()).map((l) => l.reason)).toEqual(['smoke']);
  });

  it('grants, renews, touches and revokes trainings', async () => {
    const ada = await people.create({ name: 'Ada' });
    const eq = await equipment.save({ name: 'lathe', display_name: 'Lathe', rule: equipmentRuleSchema.parse({}), actuators: [], trainers: [], maintainers: [] });
    await trainings.grant({ person_id: ada.id, equipment_id: eq.id, granted_by: 'user:t', expires_at: 1000, lapse_days: 30 }, 5);
    await trainings.touch(ada.id, eq.id, 7);
    expect(await trainings.get(ada.id, eq.id)).toMatchObject({ granted_at: 5, expires_at: 1000, lapse_days: 30, last_used_at: 7 });
    await trainings.revoke(ada.id, eq.id, 9);
    expect((await trainings.get(ada.id, eq.id))?.revoked_at).toBe(9);
    await trainings.grant({ person_id: ada.id, equipment_id: eq.id, granted_by: 'user:t', expires_at: null, lapse_days: null }, 11);
    expect(await trainings.forPerson(ada.id)).toEqual([expect.objectContaining({ granted_at: 11, expires_at: null, revoked_at: null, last_used_at: null })]);
  });

  it('records sessions and finds those overlapping a range', async () => {
    const eq = await equipment.save({ name: 'lathe', display_name: 'Lathe', rule: equipmentRuleSchema.parse({}), actuators: [], trainers: [], maintainers: [] });
    const s = await sessions.start({ equipment_id: eq.id, person_id: null, node_id: nodeId, actuator: 'relay', source: 'server' }, 100);
    expect((await sessions.open(nodeId, 'relay'))?.id).toBe(s.id);
    await sessions.end(s.id, 200, 'tap', 1.5);
    expect(await sessions.open(nodeId, 'relay')).toBeUndefined();
    expect(await sessions.range(150, 300)).toEqual([expect.objectContaining({ started_at: 100, ended_at: 200, energy_wh: 1.5, end_reason: 'tap' })]);
    expect(await sessions.range(201, 300)).toEqual([]);
  });
});

import type { Selectable } from 'kysely';
import { equipmentRuleSchema, type EquipmentRule } from './equipment-rule.js';
import type { EquipmentDatabase, LockoutsTable } from './equipment-database.js';
import { toStorageError } from '../store/storage-errors.js';

export interface ActuatorRef {
  node_id: number;
  node: string;
  actuator: string;
  power_channel: string | null;
}

export interface EquipmentRow {
  id: number;
  name: string;
  display_name: string;
  rule: EquipmentRule;
  actuators: ActuatorRef[];
  trainers: number[];
  maintainers: number[];
  created_at: number;
  updated_at: number;
}

export type LockoutRow = Selectable<LockoutsTable>;

export interface EquipmentInput {
  name: string;
  display_name: string;
  rule: EquipmentRule;
  actuators: Array<{ node_id: number; actuator: string; power_channel: string | null }>;
  trainers: number[];
  maintainers: number[];
}

/** Equipment: its actuators, its rule, its trainers and maintainers, and its lock-outs. */
export class EquipmentStore {
  constructor(private readonly e: EquipmentDatabase) {}

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  /** Creates or replaces (by name) an equipment with its actuators and roles, in one transaction. */
  save(input: EquipmentInput, now = Date.now()): Promise<EquipmentRow> {
    return this.#guard(`save equipment "${input.name}"`, async () => {
      const id = await this.e.db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('equipment').select('id').where('name', '=', input.name).executeTakeFirst();
        let id: number;
        if (existing) {
          id = existing.id;
          await trx.updateTable('equipment').set({ display_name: input.display_name, rule_json: JSON.stringify(input.rule), updated_at: now }).where('id', '=', id).execute();
          await trx.deleteFrom('equipment_actuators').where('equipment_id', '=', id).execute();
          await trx.deleteFrom('equipment_roles').where('equipment_id', '=', id).execute();
        } else {
          id = (
            await trx
              .insertInto('equipment')
              .values({ name: input.name, display_name: input.display_name, rule_json: JSON.stringify(input.rule), created_at: now, updated_at: now })
              .returning('id')
              .executeTakeFirstOrThrow()
          ).id;
        }
        if (input.actuators.length) await trx.insertInto('equipment_actuators').values(input.actuators.map((a) => ({ ...a, equipment_id: id }))).execute();
        const roles = [
          ...new Set(input.trainers.map((p) => `trainer:${p}`)),
          ...new Set(input.maintainers.map((p) => `maintainer:${p}`)),
        ].map((s) => ({ equipment_id: id, role: s.split(':')[0] as 'trainer' | 'maintainer', person_id: Number(s.split(':')[1]) }));
        if (roles.length) await trx.insertInto('equipment_roles').values(roles).execute();
        return id;
      });
      return (await this.get(id))!;
    });
  }

  remove(id: number): Promise<boolean> {
    return this.#guard('delete equipment', async () => Number((await this.e.db.deleteFrom('equipment').where('id', '=', id).executeTakeFirst()).numDeletedRows) > 0);
  }

  async get(id: number): Promise<EquipmentRow | undefined> {
    return (await this.#load(id))[0];
  }

  async getByName(name: string): Promise<EquipmentRow | undefined> {
    const r = await this.#guard('read equipment', () => this.e.db.selectFrom('equipment').select('id').where('name', '=', name).executeTakeFirst());
    return r && this.get(r.id);
  }

  list(): Promise<EquipmentRow[]> {
    return this.#load();
  }

  /** The equipment an actuator drives, if any. */
  async byActuator(nodeId: number, actuator: string): Promise<EquipmentRow | undefined> {
    const r = await this.#guard('read equipment', () =>
      this.e.db.selectFrom('equipment_actuators').select('equipment_id').where('node_id', '=', nodeId).where('actuator', '=', actuator).executeTakeFirst(),
    );
    return r && this.get(r.equipment_id);
  }

  /** Equipment with an actuator on this node. */
  async onNode(nodeId: number): Promise<EquipmentRow[]> {
    return (await this.list()).filter((eq) => eq.actuators.some((a) => a.node_id === nodeId));
  }

  #load(id?: number): Promise<EquipmentRow[]> {
    return this.#guard('read equipment', async () => {
      let q = this.e.db.selectFrom('equipment').selectAll().orderBy('name');
      if (id !== undefined) q = q.where('id', '=', id);
      const rows = await q.execute();
      if (rows.length === 0) return [];
      const ids = rows.map((r) => r.id);
      const acts = await this.e.db
        .selectFrom('equipment_actuators')
        .innerJoin('nodes', 'nodes.id', 'equipment_actuators.node_id')
        .select(['equipment_actuators.equipment_id', 'equipment_actuators.node_id', 'nodes.name as node', 'equipment_actuators.actuator', 'equipment_actuators.power_channel'])
        .where('equipment_actuators.equipment_id', 'in', ids)
        .orderBy('nodes.name')
        .orderBy('equipment_actuators.actuator')
        .execute();
      const roles = await this.e.db.selectFrom('equipment_roles').selectAll().where('equipment_id', 'in', ids).orderBy('person_id').execute();
      return rows.map((r) => ({
        id: r.id,
        name: r.name,
        display_name: r.display_name,
        // Re-parsed so rules saved by an older server get today's defaults.
        rule: equipmentRuleSchema.parse(JSON.parse(r.rule_json)),
        actuators: acts.filter((a) => a.equipment_id === r.id).map(({ equipment_id: _, ...a }) => a),
        trainers: roles.filter((x) => x.equipment_id === r.id && x.role === 'trainer').map((x) => x.person_id),
        maintainers: roles.filter((x) => x.equipment_id === r.id && x.role === 'maintainer').map((x) => x.person_id),
        created_at: r.created_at,
        updated_at: r.updated_at,
      }));
    });
  }

  /** Sets a lock-out; one in force per equipment (a second is a Conflict from the unique index). */
  setLockout(l: { equipment_id: number; mode: 'safety' | 'maintenance'; reason: string; set_by: string }, now = Date.now()): Promise<LockoutRow> {
    return this.#guard('set a lock-out', () =>
      this.e.db.insertInto('lockouts').values({ ...l, set_at: now, cleared_by: null, cleared_at: null }).returningAll().executeTakeFirstOrThrow(),
    );
  }

  clearLockout(equipmentId: number, by: string, now = Date.now()): Promise<LockoutRow | undefined> {
    return this.#guard('clear a lock-out', async () => {
      const active = await this.activeLockout(equipmentId);
      if (!active) return undefined;
      await this.e.db.updateTable('lockouts').set({ cleared_by: by, cleared_at: now }).where('id', '=', active.id).execute();
      return { ...active, cleared_by: by, cleared_at: now };
    });
  }

  activeLockout(equipmentId: number): Promise<LockoutRow | undefined> {
    return this.#guard('read lock-outs', () => this.e.db.selectFrom('lockouts').selectAll().where('equipment_id', '=', equipmentId).where('cleared_at', 'is', null).executeTakeFirst());
  }

  activeLockouts(): Promise<LockoutRow[]> {
    return this.#guard('read lock-outs', () => this.e.db.selectFrom('lockouts').selectAll().where('cleared_at', 'is', null).execute());
  }
}

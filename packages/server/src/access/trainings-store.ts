import type { Selectable } from 'kysely';
import type { EquipmentDatabase, TrainingsTable } from '../equipment/equipment-database.js';
import { toStorageError } from '../store/storage-errors.js';

export type TrainingRow = Selectable<TrainingsTable>;

export interface TrainingGrant {
  person_id: number;
  equipment_id: number;
  granted_by: string;
  expires_at: number | null;
  lapse_days: number | null;
}

/** Who is trained on what, until when. One row per person and equipment; history is in the audit log. */
export class TrainingsStore {
  constructor(private readonly e: EquipmentDatabase) {}

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  /** Grants (or renews) a training: a renewal starts afresh, clearing a revocation. */
  grant(g: TrainingGrant, now = Date.now()): Promise<TrainingRow> {
    return this.#guard('record a training', async () => {
      const values = { ...g, granted_at: now, last_used_at: null, revoked_at: null };
      return this.e.db
        .insertInto('trainings')
        .values(values)
        .onConflict((oc) => oc.columns(['person_id', 'equipment_id']).doUpdateSet({ granted_by: g.granted_by, granted_at: now, expires_at: g.expires_at, lapse_days: g.lapse_days, last_used_at: null, revoked_at: null }))
        .returningAll()
        .executeTakeFirstOrThrow();
    });
  }

  revoke(personId: number, equipmentId: number, now = Date.now()): Promise<TrainingRow | undefined> {
    return this.#guard('revoke a training', async () => {
      await this.e.db.updateTable('trainings').set({ revoked_at: now }).where('person_id', '=', personId).where('equipment_id', '=', equipmentId).where('revoked_at', 'is', null).execute();
      return this.get(personId, equipmentId);
    });
  }

  /** Records a use, which restarts the "lapse after N days without use" clock. */
  touch(personId: number, equipmentId: number, now = Date.now()): Promise<void> {
    return this.#guard('record a training use', async () => {
      await this.e.db.updateTable('trainings').set({ last_used_at: now }).where('person_id', '=', personId).where('equipment_id', '=', equipmentId).execute();
    });
  }

  get(personId: number, equipmentId: number): Promise<TrainingRow | undefined> {
    return this.#guard('read a training', () =>
      this.e.db.selectFrom('trainings').selectAll().where('person_id', '=', personId).where('equipment_id', '=', equipmentId).executeTakeFirst(),
    );
  }

  forEquipment(equipmentId: number): Promise<TrainingRow[]> {
    return this.#guard('list trainings', () => this.e.db.selectFrom('trainings').selectAll().where('equipment_id', '=', equipmentId).orderBy('person_id').execute());
  }

  forPerson(personId: number): Promise<TrainingRow[]> {
    return this.#guard('list trainings', () => this.e.db.selectFrom('trainings').selectAll().where('person_id', '=', personId).orderBy('equipment_id').execute());
  }

  all(): Promise<TrainingRow[]> {
    return this.#guard('list trainings', () => this.e.db.selectFrom('trainings').selectAll().orderBy('equipment_id').orderBy('person_id').execute());
  }
}

import type { Selectable } from 'kysely';
import type { EquipmentDatabase, EquipmentSessionsTable } from './equipment-database.js';
import { toStorageError } from '../store/storage-errors.js';

export type SessionRow = Selectable<EquipmentSessionsTable>;

export interface SessionStart {
  equipment_id: number;
  person_id: number | null;
  node_id: number;
  actuator: string;
  source: 'server' | 'node' | 'command';
}

/** Equipment sessions: who used what from when to when, and the energy it drew. */
export class EquipmentSessionsStore {
  constructor(private readonly e: EquipmentDatabase) {}

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  start(s: SessionStart, at: number): Promise<SessionRow> {
    return this.#guard('start an equipment session', () =>
      this.e.db.insertInto('equipment_sessions').values({ ...s, started_at: at, ended_at: null, energy_wh: null, end_reason: null }).returningAll().executeTakeFirstOrThrow(),
    );
  }

  open(nodeId: number, actuator: string): Promise<SessionRow | undefined> {
    return this.#guard('read equipment sessions', () =>
      this.e.db.selectFrom('equipment_sessions').selectAll().where('node_id', '=', nodeId).where('actuator', '=', actuator).where('ended_at', 'is', null).orderBy('id', 'desc').executeTakeFirst(),
    );
  }

  /** Sessions still running. */
  allOpen(): Promise<SessionRow[]> {
    return this.#guard('read equipment sessions', () => this.e.db.selectFrom('equipment_sessions').selectAll().where('ended_at', 'is', null).execute());
  }

  end(id: number, at: number, reason: string, energyWh: number | null): Promise<void> {
    return this.#guard('end an equipment session', async () => {
      await this.e.db.updateTable('equipment_sessions').set({ ended_at: at, end_reason: reason, energy_wh: energyWh }).where('id', '=', id).where('ended_at', 'is', null).execute();
    });
  }

  /** Sessions overlapping [from, to), oldest first; of one equipment when given. */
  range(from: number, to: number, equipmentId?: number): Promise<SessionRow[]> {
    return this.#guard('read equipment sessions', async () => {
      let q = this.e.db
        .selectFrom('equipment_sessions')
        .selectAll()
        .where('started_at', '<', to)
        .where((eb) => eb.or([eb('ended_at', 'is', null), eb('ended_at', '>', from)]))
        .orderBy('started_at');
      if (equipmentId !== undefined) q = q.where('equipment_id', '=', equipmentId);
      return q.execute();
    });
  }
}

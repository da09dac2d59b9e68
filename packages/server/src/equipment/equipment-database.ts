import type { ColumnType, Generated, Kysely, SqlBool } from 'kysely';
import type { AuthTables } from '../auth/auth-database.js';
import type { Database } from '../store/database.js';
import { KyselyStore } from '../store/kysely-store.js';
import type { Store } from '../store/store.js';

/** Tables of migration 0020_equipment_access, beside the core schema (as auth-database.ts does). */
// A type alias, not an interface: Kysely's withTables needs an indexable record type.
export type EquipmentTables = {
  people: PeopleTable;
  cards: CardsTable;
  equipment: EquipmentTable;
  equipment_actuators: EquipmentActuatorsTable;
  equipment_roles: EquipmentRolesTable;
  trainings: TrainingsTable;
  lockouts: LockoutsTable;
  equipment_sessions: EquipmentSessionsTable;
  node_allowlists: NodeAllowlistsTable;
};

type Defaulted<T> = ColumnType<T, T | undefined, T>;

export interface PeopleTable {
  id: Generated<number>;
  name: string;
  email: string | null;
  user_id: number | null;
  groups_json: Defaulted<string>;
  disabled: Defaulted<SqlBool>;
  created_at: number;
  updated_at: number;
}

export interface CardsTable {
  id: Generated<number>;
  person_id: number;
  card_hash: string;
  last4: string;
  label: string | null;
  created_at: number;
  revoked_at: number | null;
}

export interface EquipmentTable {
  id: Generated<number>;
  name: string;
  display_name: string;
  rule_json: string;
  created_at: number;
  updated_at: number;
}

export interface EquipmentActuatorsTable {
  equipment_id: number;
  node_id: number;
  actuator: string;
  power_channel: string | null;
}

export interface EquipmentRolesTable {
  equipment_id: number;
  person_id: number;
  role: 'trainer' | 'maintainer';
}

export interface TrainingsTable {
  person_id: number;
  equipment_id: number;
  granted_by: string;
  granted_at: number;
  expires_at: number | null;
  lapse_days: number | null;
  last_used_at: number | null;
  revoked_at: number | null;
}

export interface LockoutsTable {
  id: Generated<number>;
  equipment_id: number;
  mode: 'safety' | 'maintenance';
  reason: string;
  set_by: string;
  set_at: number;
  cleared_by: string | null;
  cleared_at: number | null;
}

export interface EquipmentSessionsTable {
  id: Generated<number>;
  equipment_id: number;
  person_id: number | null;
  node_id: number;
  actuator: string;
  source: string;
  started_at: number;
  ended_at: number | null;
  energy_wh: number | null;
  end_reason: string | null;
}

export interface NodeAllowlistsTable {
  node_id: number;
  version: number;
  document_json: string;
  published_at: number;
  reported_version: number | null;
  reported_at: number | null;
}

export type EquipmentDb = Kysely<Database & AuthTables & EquipmentTables>;

export interface EquipmentDatabase {
  db: EquipmentDb;
  dialect: 'sqlite' | 'postgres';
  bool(v: boolean): SqlBool;
}

/** The connection the equipment and access repositories share with the Store. */
export function equipmentDatabase(store: Store): EquipmentDatabase {
  if (!(store instanceof KyselyStore)) throw new Error('the equipment repositories need the Kysely store');
  const dialect = store.dialect;
  return { db: store.kysely.withTables<AuthTables & EquipmentTables>(), dialect, bool: (v) => (dialect === 'sqlite' ? (v ? 1 : 0) : v) };
}

import { sql, type Kysely, type Migration } from 'kysely';
import { dialectColumns } from '../store/dialect-columns.js';
import type { SqlDialectName } from '../store/dialect.js';

/**
 * Equipment and access control (issue #14): people and their cards (keyed hashes only),
 * equipment with its actuators and rule, per-equipment roles (trainer, maintainer),
 * trainings, lock-outs, equipment sessions, and each node's allow-list with the version the
 * node last reported. One migration, because the tables refer to each other.
 */
export function equipmentMigration(dialect: SqlDialectName): Migration {
  const { bool, falseValue, id } = dialectColumns(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('people')
        .addColumn('id', 'integer', id)
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text')
        /** The MA login of this person, when they have one (trainers and maintainers act through it). */
        .addColumn('user_id', 'integer', (c) => c.references('users.id').onDelete('set null'))
        .addColumn('groups_json', 'text', (c) => c.notNull().defaultTo('[]'))
        .addColumn('disabled', bool, (c) => c.notNull().defaultTo(falseValue))
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema.createIndex('people_user').on('people').column('user_id').execute();

      await db.schema
        .createTable('cards')
        .addColumn('id', 'integer', id)
        .addColumn('person_id', 'integer', (c) => c.notNull().references('people.id').onDelete('cascade'))
        /** HMAC-SHA256 of the card id under the server's card key: the raw id is never stored. */
        .addColumn('card_hash', 'text', (c) => c.notNull().unique())
        .addColumn('last4', 'text', (c) => c.notNull())
        .addColumn('label', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('revoked_at', 'bigint')
        .execute();
      await db.schema.createIndex('cards_person').on('cards').column('person_id').execute();

      await db.schema
        .createTable('equipment')
        .addColumn('id', 'integer', id)
        .addColumn('name', 'text', (c) => c.notNull().unique())
        .addColumn('display_name', 'text', (c) => c.notNull())
        /** The rule (who, schedule, session model, fail-secure, entry TTL) as validated JSON. */
        .addColumn('rule_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('equipment_actuators')
        .addColumn('equipment_id', 'integer', (c) => c.notNull().references('equipment.id').onDelete('cascade'))
        .addColumn('node_id', 'integer', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
        .addColumn('actuator', 'text', (c) => c.notNull())
        /** A sensor channel key of the same node giving this actuator's power draw in W. */
        .addColumn('power_channel', 'text')
        // An actuator drives one piece of equipment; two rules over one relay would fight.
        .addPrimaryKeyConstraint('equipment_actuators_pk', ['node_id', 'actuator'])
        .execute();
      await db.schema.createIndex('equipment_actuators_equipment').on('equipment_actuators').column('equipment_id').execute();

      await db.schema
        .createTable('equipment_roles')
        .addColumn('equipment_id', 'integer', (c) => c.notNull().references('equipment.id').onDelete('cascade'))
        .addColumn('person_id', 'integer', (c) => c.notNull().references('people.id').onDelete('cascade'))
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('trainer', 'maintainer')`))
        .addPrimaryKeyConstraint('equipment_roles_pk', ['equipment_id', 'person_id', 'role'])
        .execute();

      await db.schema
        .createTable('trainings')
        .addColumn('person_id', 'integer', (c) => c.notNull().references('people.id').onDelete('cascade'))
        .addColumn('equipment_id', 'integer', (c) => c.notNull().references('equipment.id').onDelete('cascade'))
        .addColumn('granted_by', 'text', (c) => c.notNull())
        .addColumn('granted_at', 'bigint', (c) => c.notNull())
        /** Null: never expires. */
        .addColumn('expires_at', 'bigint')
        /** Lapses after this many days without use (null: never). */
        .addColumn('lapse_days', 'integer')
        .addColumn('last_used_at', 'bigint')
        .addColumn('revoked_at', 'bigint')
        .addPrimaryKeyConstraint('trainings_pk', ['person_id', 'equipment_id'])
        .execute();

      await db.schema
        .createTable('lockouts')
        .addColumn('id', 'integer', id)
        .addColumn('equipment_id', 'integer', (c) => c.notNull().references('equipment.id').onDelete('cascade'))
        .addColumn('mode', 'text', (c) => c.notNull().check(sql`mode in ('safety', 'maintenance')`))
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('set_by', 'text', (c) => c.notNull())
        .addColumn('set_at', 'bigint', (c) => c.notNull())
        .addColumn('cleared_by', 'text')
        .addColumn('cleared_at', 'bigint')
        .execute();
      // At most one lock-out in force per equipment.
      await db.schema.createIndex('lockouts_active').on('lockouts').column('equipment_id').unique().where(sql.ref('cleared_at'), 'is', null).execute();

      await db.schema
        .createTable('equipment_sessions')
        .addColumn('id', 'integer', id)
        .addColumn('equipment_id', 'integer', (c) => c.notNull().references('equipment.id').onDelete('cascade'))
        .addColumn('person_id', 'integer', (c) => c.references('people.id').onDelete('set null'))
        .addColumn('node_id', 'integer', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
        .addColumn('actuator', 'text', (c) => c.notNull())
        /** `server` or `node` decision, or `command` (switched through the API). */
        .addColumn('source', 'text', (c) => c.notNull())
        .addColumn('started_at', 'bigint', (c) => c.notNull())
        .addColumn('ended_at', 'bigint')
        .addColumn('energy_wh', 'double precision')
        .addColumn('end_reason', 'text')
        .execute();
      await db.schema.createIndex('equipment_sessions_equipment').on('equipment_sessions').columns(['equipment_id', 'started_at']).execute();
      await db.schema.createIndex('equipment_sessions_open').on('equipment_sessions').columns(['node_id', 'actuator']).where(sql.ref('ended_at'), 'is', null).execute();

      await db.schema
        .createTable('node_allowlists')
        .addColumn('node_id', 'integer', (c) => c.primaryKey().references('nodes.id').onDelete('cascade'))
        .addColumn('version', 'bigint', (c) => c.notNull())
        .addColumn('document_json', 'text', (c) => c.notNull())
        .addColumn('published_at', 'bigint', (c) => c.notNull())
        /** The version the node last said it holds (its status), and when. */
        .addColumn('reported_version', 'bigint')
        .addColumn('reported_at', 'bigint')
        .execute();
    },
  };
}

import type { Kysely, Migration } from 'kysely';
import { dialectColumns } from '../store/dialect-columns.js';

/**
 * Per-user dashboard preferences and saved chart views (migration 0010_*, issue #13). Both go with the
 * user: deleting a user deletes them.
 */
export function preferencesMigration(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('user_preferences')
        .addColumn('user_id', 'integer', (c) => c.primaryKey().references('users.id').onDelete('cascade'))
        // IANA zone ("Europe/Paris"), or null for the browser's own.
        .addColumn('time_zone', 'text')
        .addColumn('hour_cycle', 'text', (c) => c.notNull().defaultTo('auto'))
        .addColumn('temperature_unit', 'text', (c) => c.notNull().defaultTo('C'))
        // Set once the browser's old localStorage views were imported, so they are never imported twice.
        .addColumn('views_imported_at', 'bigint')
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createTable('saved_views')
        .addColumn('id', 'integer', dialectColumns(dialect).id)
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('query', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('saved_views_user_name', ['user_id', 'name'])
        .execute();
    },
  };
}

import { Migrator, sql, type Kysely, type Migration, type MigrationResultSet } from 'kysely';
import { ErrorCode, MaError } from '@ma/protocol';
import { alertsMigration } from '../alerts/alerts-migration.js';
import { equipmentMigration } from '../equipment/equipment-migration.js';
import { photosMigration } from '../cameras/photos-migration.js';
import { authMigration } from '../auth/auth-migration.js';
import { preferencesMigration } from '../preferences/preferences-migration.js';
import type { SqlDialectName } from './dialect.js';
import { dialectColumns } from './dialect-columns.js';
import { tunnelsMigration, userSshKeysMigration } from './tunnels-store.js';

/**
 * Forward-only schema migrations, kept in code so the server binary carries its own schema.
 * Names sort in the order they run; never edit or reorder one that has shipped: add the next.
 *
 * Types differ per dialect only where they must: ids are identity columns on PostgreSQL and
 * rowid aliases on SQLite; booleans are `boolean` on PostgreSQL and 0/1 integers on SQLite.
 * `bigint` and `double precision` get INTEGER and REAL affinity on SQLite, so one spelling
 * serves both. Small, append-mostly tables are WITHOUT ROWID on SQLite so that their primary
 * key is the clustered order (a range of a channel's rollups is one contiguous scan).
 */
export function migrationsFor(dialect: SqlDialectName): Record<string, Migration> {
  const { bool, falseValue, trueValue, withoutRowid, id } = dialectColumns(dialect);

  return {
    '0001_nodes_channels_readings': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('nodes')
          .addColumn('id', 'integer', id)
          .addColumn('name', 'text', (c) => c.notNull().unique())
          .addColumn('display_name', 'text', (c) => c.notNull())
          .addColumn('credential_hash', 'text', (c) => c.notNull())
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addColumn('online', bool, (c) => c.notNull().defaultTo(falseValue))
          .addColumn('last_seen', 'bigint')
          .addColumn('status_json', 'text')
          .execute();

        await db.schema
          .createTable('node_stats')
          .addColumn('node_id', 'integer', (c) => c.primaryKey().references('nodes.id').onDelete('cascade'))
          .addColumn('readings_stored', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('readings_duplicate', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('messages_rejected', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('publishes_refused', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('auth_failures', 'bigint', (c) => c.notNull().defaultTo(0))
          .addColumn('last_reject_reason', 'text')
          .addColumn('last_reject_at', 'bigint')
          .execute();

        await db.schema
          .createTable('channels')
          .addColumn('id', 'integer', id)
          .addColumn('node_id', 'integer', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
          .addColumn('key', 'text', (c) => c.notNull())
          .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('sensor', 'actuator')`))
          .addColumn('driver', 'text', (c) => c.notNull())
          .addColumn('quantity', 'text')
          .addColumn('unit', 'text', (c) => c.notNull())
          .addColumn('label', 'text')
          .addColumn('labels_json', 'text', (c) => c.notNull().defaultTo('{}'))
          .addColumn('available', bool, (c) => c.notNull().defaultTo(trueValue))
          .addColumn('error', 'text')
          .addColumn('last_ts', 'bigint')
          .addColumn('last_value', 'double precision')
          .addColumn('created_at', 'bigint', (c) => c.notNull())
          .addUniqueConstraint('channels_node_key', ['node_id', 'key'])
          .execute();

        // Native partitioning by time (PostgreSQL) or a hypertable (TimescaleDB) would make
        // retention a DROP of old partitions; plain tables are enough for now.
        await db.schema
          .createTable('readings')
          .addColumn('node_id', 'integer', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
          .addColumn('seq', 'bigint', (c) => c.notNull())
          .addColumn('channel_id', 'integer', (c) => c.notNull().references('channels.id').onDelete('cascade'))
          .addColumn('ts', 'bigint', (c) => c.notNull())
          .addColumn('value', 'double precision', (c) => c.notNull())
          .addPrimaryKeyConstraint('readings_pk', ['node_id', 'seq'])
          .modifyEnd(withoutRowid)
          .execute();
        // Covers the chart queries (range of one channel, with values) without touching the table.
        await db.schema
          .createIndex('readings_channel_ts')
          .on('readings')
          .columns(['channel_id', 'ts', 'value'])
          .execute();

        for (const table of ['readings_1m', 'readings_1h']) {
          await db.schema
            .createTable(table)
            .addColumn('channel_id', 'integer', (c) => c.notNull().references('channels.id').onDelete('cascade'))
            .addColumn('bucket_ts', 'bigint', (c) => c.notNull())
            .addColumn('min', 'double precision', (c) => c.notNull())
            .addColumn('max', 'double precision', (c) => c.notNull())
            .addColumn('sum', 'double precision', (c) => c.notNull())
            .addColumn('count', 'bigint', (c) => c.notNull())
            .addPrimaryKeyConstraint(`${table}_pk`, ['channel_id', 'bucket_ts'])
            .modifyEnd(withoutRowid)
            .execute();
        }
      },
    },
    // Dashboard (issue #4): a label people set that the agent's metadata never overwrites, and
    // each node's online/offline transitions, so the node page can show connection history.
    '0003_dashboard_channel_labels_connections': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('channels').addColumn('user_label', 'text').execute();
        await db.schema
          .createTable('node_connections')
          .addColumn('node_id', 'integer', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
          .addColumn('at', 'bigint', (c) => c.notNull())
          .addColumn('online', bool, (c) => c.notNull())
          .addPrimaryKeyConstraint('node_connections_pk', ['node_id', 'at', 'online'])
          .modifyEnd(withoutRowid)
          .execute();
      },
    },
    // Users, grants, sessions, API and enrollment tokens, audit log (issue #5): see auth/auth-migration.ts.
    '0004_auth_users_grants_tokens_audit': authMigration(dialect),
    // Node SSH keys for the reverse tunnels (issue #7): see store/tunnels-store.ts.
    '0006_tunnels_node_keys': tunnelsMigration(),
    // People's SSH public keys, synced to the nodes they hold the ssh grant on (issue #7).
    '0006_tunnels_user_ssh_keys': userSshKeysMigration(dialect),
    // Alert rules, alerts, silences and the notification delivery log (issue #6): see alerts/alerts-migration.ts.
    '0005_alerts_rules_alerts_silences_notifications': alertsMigration(dialect),
    // Security (issue #11): connections refused for taking another node's MQTT client id.
    '0040_node_stats_client_ids_refused': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema.alterTable('node_stats').addColumn('client_ids_refused', 'bigint', (c) => c.notNull().defaultTo(0)).execute();
      },
    },
    // Per-user dashboard preferences and saved chart views (issue #13): see preferences/preferences-migration.ts.
    '0010_preferences_saved_views': preferencesMigration(dialect),
    // Equipment, people, cards, trainings, lock-outs, sessions, allow-lists (issue #14): see equipment/equipment-migration.ts.
    '0020_equipment_access': equipmentMigration(dialect),
    // Photos from node cameras (issue #16): see cameras/photos-migration.ts.
    '0030_cameras_photos': photosMigration(dialect),
    // Import of old readings (issue #18): imported rows take negative seqs from a per-node counter,
    // so they can never collide with an agent's (positive) outbox seqs, and a partial unique index
    // makes "same channel, same timestamp" a duplicate even when two imports race.
    '0070_import_readings': {
      async up(db: Kysely<unknown>): Promise<void> {
        await db.schema
          .createTable('import_seqs')
          .addColumn('node_id', 'integer', (c) => c.primaryKey().references('nodes.id').onDelete('cascade'))
          .addColumn('next_seq', 'bigint', (c) => c.notNull())
          .execute();
        await db.schema.createIndex('readings_imported_once').unique().on('readings').columns(['channel_id', 'ts']).where(sql.ref('seq'), '<', 0).execute();
      },
    },
  };
}

/** Runs every pending migration, in order, each in a transaction; a failure names the migration. */
export async function runMigrations(db: Kysely<unknown>, dialect: SqlDialectName): Promise<MigrationResultSet> {
  const migrations = migrationsFor(dialect);
  const migrator = new Migrator({
    db,
    provider: { getMigrations: () => Promise.resolve(migrations) },
    migrationTableName: 'ma_migration',
    migrationLockTableName: 'ma_migration_lock',
  });
  const result = await migrator.migrateToLatest();
  if (result.error !== undefined) {
    const failed = result.results?.find((r) => r.status === 'Error')?.migrationName;
    const reason = result.error instanceof Error ? result.error.message : String(result.error);
    throw new MaError(
      ErrorCode.StorageFailed,
      failed === undefined
        ? `cannot migrate the database: ${reason}; check it is reachable and writable, then restart`
        : `database migration ${failed} failed (${reason}); the schema is as it was before it. Fix the cause, then restart`,
      { cause: result.error },
    );
  }
  return result;
}

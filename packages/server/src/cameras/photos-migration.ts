import type { Kysely, Migration } from 'kysely';
import { dialectColumns } from '../store/dialect-columns.js';
import type { SqlDialectName } from '../store/dialect.js';

/**
 * Cameras (issue #16): one row per stored photo. The file itself lives on disk under its
 * sha256; (node, sha256) is unique, which is what makes an upload resent after a lost answer
 * land once.
 */
export function photosMigration(dialect: SqlDialectName): Migration {
  const { id } = dialectColumns(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('photos')
        .addColumn('id', 'integer', id)
        .addColumn('node_id', 'integer', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
        .addColumn('camera', 'text', (c) => c.notNull())
        .addColumn('sha256', 'text', (c) => c.notNull())
        /** Capture time on the node, epoch ms. */
        .addColumn('ts', 'bigint', (c) => c.notNull())
        .addColumn('bytes', 'bigint', (c) => c.notNull())
        .addColumn('width', 'integer', (c) => c.notNull())
        .addColumn('height', 'integer', (c) => c.notNull())
        .addColumn('received_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('photos_node_sha', ['node_id', 'sha256'])
        .execute();
      await db.schema.createIndex('photos_node_camera_ts').on('photos').columns(['node_id', 'camera', 'ts']).execute();
    },
  };
}

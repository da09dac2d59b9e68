import { sql, type Kysely, type Migration } from 'kysely';
import { dialectColumns } from '../store/dialect-columns.js';
import type { SqlDialectName } from '../store/dialect.js';

/**
 * Alert rules, alerts (their persisted state machine), silences and the notification
 * delivery log. At most one open (pending or firing) alert per rule and subject is enforced
 * by a partial unique index, so even two racing evaluations cannot raise the same alert twice.
 */
export function alertsMigration(dialect: SqlDialectName): Migration {
  const { bool, falseValue, id } = dialectColumns(dialect);
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('alert_rules')
        .addColumn('id', 'integer', id)
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('spec_json', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('alerts')
        .addColumn('id', 'integer', id)
        .addColumn('rule_id', 'integer', (c) => c.notNull().references('alert_rules.id').onDelete('cascade'))
        /** `ch:<channel id>` or `node:<node id>`: what the alert is about. */
        .addColumn('subject', 'text', (c) => c.notNull())
        .addColumn('node_id', 'integer', (c) => c.notNull().references('nodes.id').onDelete('cascade'))
        .addColumn('channel_id', 'integer', (c) => c.references('channels.id').onDelete('cascade'))
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('pending', 'firing', 'resolved')`))
        .addColumn('severity', 'text', (c) => c.notNull())
        .addColumn('since', 'bigint', (c) => c.notNull())
        .addColumn('fired_at', 'bigint')
        .addColumn('resolved_at', 'bigint')
        .addColumn('detected_at', 'bigint')
        .addColumn('late', bool, (c) => c.notNull().defaultTo(falseValue))
        .addColumn('value', 'double precision')
        .addColumn('peak', 'double precision')
        .addColumn('summary', 'text', (c) => c.notNull())
        .addColumn('acked_at', 'bigint')
        .addColumn('acked_by', 'text')
        .addColumn('ack_note', 'text')
        /**
         * Lets the link in an email acknowledge this one alert, until it resolves. Kept rather than
         * hashed because every repeat and escalation message carries it again.
         */
        .addColumn('ack_token', 'text')
        .addColumn('notified_at', 'bigint')
        .addColumn('escalated_at', 'bigint')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();
      await db.schema
        .createIndex('alerts_open_subject')
        .on('alerts')
        .columns(['rule_id', 'subject'])
        .unique()
        .where(sql.ref('state'), '<>', 'resolved')
        .execute();
      await db.schema.createIndex('alerts_since').on('alerts').column('since').execute();
      await db.schema.createIndex('alerts_node').on('alerts').columns(['node_id', 'since']).execute();

      await db.schema
        .createTable('alert_silences')
        .addColumn('id', 'integer', id)
        .addColumn('rule_id', 'integer', (c) => c.references('alert_rules.id').onDelete('cascade'))
        .addColumn('node_id', 'integer', (c) => c.references('nodes.id').onDelete('cascade'))
        .addColumn('starts_at', 'bigint', (c) => c.notNull())
        .addColumn('ends_at', 'bigint', (c) => c.notNull())
        .addColumn('reason', 'text', (c) => c.notNull())
        .addColumn('created_by', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('alert_notifications')
        .addColumn('id', 'integer', id)
        .addColumn('alert_id', 'integer', (c) => c.notNull().references('alerts.id').onDelete('cascade'))
        .addColumn('event', 'text', (c) => c.notNull().check(sql`event in ('firing', 'resolved', 'repeat', 'escalation')`))
        .addColumn('recipient_json', 'text', (c) => c.notNull())
        /** The message as rendered when queued: what was (or would have been) sent. */
        .addColumn('message_json', 'text', (c) => c.notNull())
        .addColumn('state', 'text', (c) => c.notNull().check(sql`state in ('queued', 'sent', 'failed', 'suppressed')`))
        .addColumn('attempts', 'integer', (c) => c.notNull().defaultTo(0))
        .addColumn('next_attempt_at', 'bigint', (c) => c.notNull())
        .addColumn('last_error', 'text')
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addColumn('sent_at', 'bigint')
        .execute();
      await db.schema.createIndex('alert_notifications_alert').on('alert_notifications').column('alert_id').execute();
      await db.schema.createIndex('alert_notifications_due').on('alert_notifications').columns(['state', 'next_attempt_at']).execute();
    },
  };
}

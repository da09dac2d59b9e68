import { ErrorCode, MaError } from '@ma/protocol';
import type { ColumnType, Generated, Kysely, Selectable, SqlBool, Transaction } from 'kysely';
import type { Database } from './database.js';
import { KyselyStore } from './kysely-store.js';
import type { Store } from './store.js';
import { toStorageError } from './storage-errors.js';

/**
 * The alert rules, alerts (each one's persisted state machine), silences and the delivery
 * log of notifications (migration 0005_alerts_*). The same code serves SQLite and PostgreSQL.
 */

type Defaulted<T> = ColumnType<T, T | undefined, T>;

export type AlertState = 'pending' | 'firing' | 'resolved';
export type NotificationEvent = 'firing' | 'resolved' | 'repeat' | 'escalation';
export type DeliveryState = 'queued' | 'sent' | 'failed' | 'suppressed';

interface AlertRulesTable {
  id: Generated<number>;
  name: string;
  spec_json: string;
  created_at: number;
  updated_at: number;
}

interface AlertsTable {
  id: Generated<number>;
  rule_id: number;
  subject: string;
  node_id: number;
  channel_id: number | null;
  state: AlertState;
  severity: string;
  since: number;
  fired_at: number | null;
  resolved_at: number | null;
  detected_at: number | null;
  late: Defaulted<SqlBool>;
  value: number | null;
  peak: number | null;
  summary: string;
  acked_at: number | null;
  acked_by: string | null;
  ack_note: string | null;
  ack_token: string | null;
  notified_at: number | null;
  escalated_at: number | null;
  created_at: number;
}

interface SilencesTable {
  id: Generated<number>;
  rule_id: number | null;
  node_id: number | null;
  starts_at: number;
  ends_at: number;
  reason: string;
  created_by: string;
  created_at: number;
}

interface NotificationsTable {
  id: Generated<number>;
  alert_id: number;
  event: NotificationEvent;
  recipient_json: string;
  message_json: string;
  state: DeliveryState;
  attempts: Defaulted<number>;
  next_attempt_at: number;
  last_error: string | null;
  created_at: number;
  sent_at: number | null;
}

// A type alias (not an interface) so it satisfies Kysely's table-map constraint.
export type AlertTables = {
  alert_rules: AlertRulesTable;
  alert_silences: SilencesTable;
  alert_notifications: NotificationsTable;
  alerts: AlertsTable;
};

type Db = Kysely<Database & AlertTables>;

export interface RuleRow {
  id: number;
  name: string;
  spec_json: string;
  created_at: number;
  updated_at: number;
}

export interface AlertRow extends Omit<Selectable<AlertsTable>, 'late'> {
  late: boolean;
}

export type SilenceRow = Selectable<SilencesTable>;
export type NotificationRow = Selectable<NotificationsTable>;

export interface NewNotification {
  event: NotificationEvent;
  recipient_json: string;
  message_json: string;
  /** 'suppressed' rows are logged but never sent (silenced, quiet hours, no longer permitted). */
  state: 'queued' | 'suppressed';
  last_error?: string | null;
}

export type AlertPatch = Partial<Omit<AlertRow, 'id' | 'rule_id' | 'subject' | 'node_id' | 'channel_id' | 'created_at'>>;

export interface AlertFilter {
  states?: AlertState[];
  ruleId?: number;
  nodeId?: number;
  /** Alerts active at some point in [from, to). */
  from?: number;
  to?: number;
  limit?: number;
}

const toAlert = (r: Selectable<AlertsTable>): AlertRow => ({ ...r, late: Boolean(r.late) });

export class AlertsStore {
  readonly #db: Db;
  readonly #sqlite: boolean;

  constructor(store: Store) {
    if (!(store instanceof KyselyStore)) throw new Error('the alerts repository needs the Kysely store');
    this.#db = store.kysely.withTables<AlertTables>();
    this.#sqlite = store.dialect === 'sqlite';
  }

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  #patch(p: AlertPatch): Record<string, unknown> {
    const { late, ...rest } = p;
    return late === undefined ? rest : { ...rest, late: this.#sqlite ? (late ? 1 : 0) : late };
  }

  // --- rules ---------------------------------------------------------------------------------

  createRule(name: string, specJson: string, now = Date.now()): Promise<RuleRow> {
    return this.#guard('save the alert rule', () =>
      this.#db.insertInto('alert_rules').values({ name, spec_json: specJson, created_at: now, updated_at: now }).returningAll().executeTakeFirstOrThrow(),
    );
  }

  async updateRule(id: number, name: string, specJson: string, now = Date.now()): Promise<RuleRow> {
    const row = await this.#guard('save the alert rule', () =>
      this.#db.updateTable('alert_rules').set({ name, spec_json: specJson, updated_at: now }).where('id', '=', id).returningAll().executeTakeFirst(),
    );
    if (!row) throw new MaError(ErrorCode.NotFound, `no alert rule with id ${id}`);
    return row;
  }

  async deleteRule(id: number): Promise<void> {
    const r = await this.#guard('delete the alert rule', () => this.#db.deleteFrom('alert_rules').where('id', '=', id).executeTakeFirst());
    if (Number(r.numDeletedRows) === 0) throw new MaError(ErrorCode.NotFound, `no alert rule with id ${id}`);
  }

  getRule(id: number): Promise<RuleRow | undefined> {
    return this.#guard('read the alert rule', () => this.#db.selectFrom('alert_rules').selectAll().where('id', '=', id).executeTakeFirst());
  }

  listRules(): Promise<RuleRow[]> {
    return this.#guard('read alert rules', () => this.#db.selectFrom('alert_rules').selectAll().orderBy('id').execute());
  }

  // --- alerts --------------------------------------------------------------------------------

  /** Pending and firing alerts: the state the engine resumes from after a restart. */
  async openAlerts(): Promise<AlertRow[]> {
    const rows = await this.#guard('read open alerts', () => this.#db.selectFrom('alerts').selectAll().where('state', '<>', 'resolved').orderBy('id').execute());
    return rows.map(toAlert);
  }

  async getAlert(id: number): Promise<AlertRow | undefined> {
    const r = await this.#guard('read the alert', () => this.#db.selectFrom('alerts').selectAll().where('id', '=', id).executeTakeFirst());
    return r && toAlert(r);
  }

  async listAlerts(f: AlertFilter = {}): Promise<AlertRow[]> {
    const rows = await this.#guard('read alerts', () => {
      let q = this.#db.selectFrom('alerts').selectAll();
      if (f.states?.length) q = q.where('state', 'in', f.states);
      if (f.ruleId !== undefined) q = q.where('rule_id', '=', f.ruleId);
      if (f.nodeId !== undefined) q = q.where('node_id', '=', f.nodeId);
      if (f.to !== undefined) q = q.where('since', '<', f.to);
      if (f.from !== undefined) {
        const from = f.from;
        q = q.where((eb) => eb.or([eb('resolved_at', 'is', null), eb('resolved_at', '>=', from)]));
      }
      return q
        .orderBy('since', 'desc')
        .orderBy('id', 'desc')
        .limit(f.limit ?? 500)
        .execute();
    });
    return rows.map(toAlert);
  }

  /**
   * Inserts an alert and its notifications in one transaction. A second open alert for the same
   * rule and subject is refused by the database (Conflict), so a race cannot raise it twice.
   */
  async insertAlert(
    a: Omit<AlertRow, 'id' | 'acked_at' | 'acked_by' | 'ack_note' | 'escalated_at'> & Partial<Pick<AlertRow, 'acked_at' | 'escalated_at'>>,
    notifications: (row: AlertRow) => NewNotification[] = () => [],
  ): Promise<AlertRow> {
    return this.#guard('save the alert', () =>
      this.#db.transaction().execute(async (trx) => {
        const row = await trx
          .insertInto('alerts')
          .values({ ...(this.#patch(a) as typeof a & { late: SqlBool }), acked_at: a.acked_at ?? null, escalated_at: a.escalated_at ?? null })
          .returningAll()
          .executeTakeFirstOrThrow();
        const alert = toAlert(row);
        await this.#enqueue(trx, row.id, notifications(alert), a.created_at);
        return alert;
      }),
    );
  }

  /** Updates an alert and queues its notifications in one transaction (a crash leaves both or neither). */
  updateAlert(id: number, patch: AlertPatch, notifications: NewNotification[] = [], now = Date.now()): Promise<void> {
    return this.#guard('save the alert', () =>
      this.#db.transaction().execute(async (trx) => {
        if (Object.keys(patch).length) await trx.updateTable('alerts').set(this.#patch(patch)).where('id', '=', id).execute();
        await this.#enqueue(trx, id, notifications, now);
      }),
    );
  }

  /** A pending alert whose condition cleared before its duration: it never happened. */
  deleteAlert(id: number): Promise<void> {
    return this.#guard('delete the pending alert', async () => void (await this.#db.deleteFrom('alerts').where('id', '=', id).where('state', '=', 'pending').execute()));
  }

  /** Records an acknowledgement; returns false when the alert does not exist or is already acknowledged. */
  async acknowledge(id: number, by: string, note: string | null, now = Date.now()): Promise<boolean> {
    const r = await this.#guard('acknowledge the alert', () =>
      this.#db.updateTable('alerts').set({ acked_at: now, acked_by: by, ack_note: note }).where('id', '=', id).where('acked_at', 'is', null).executeTakeFirst(),
    );
    return Number(r.numUpdatedRows) > 0;
  }

  // --- silences ------------------------------------------------------------------------------

  createSilence(s: Omit<SilenceRow, 'id'>): Promise<SilenceRow> {
    return this.#guard('save the silence', () => this.#db.insertInto('alert_silences').values(s).returningAll().executeTakeFirstOrThrow());
  }

  /** Silences not yet over at `now` (including ones that start later). */
  activeSilences(now = Date.now()): Promise<SilenceRow[]> {
    return this.#guard('read silences', () => this.#db.selectFrom('alert_silences').selectAll().where('ends_at', '>', now).orderBy('id').execute());
  }

  /** Ends a silence now (kept for the record). */
  async endSilence(id: number, now = Date.now()): Promise<void> {
    const r = await this.#guard('end the silence', () => this.#db.updateTable('alert_silences').set({ ends_at: now }).where('id', '=', id).where('ends_at', '>', now).executeTakeFirst());
    if (Number(r.numUpdatedRows) === 0) throw new MaError(ErrorCode.NotFound, `no active silence with id ${id}`);
  }

  // --- delivery log --------------------------------------------------------------------------

  async #enqueue(trx: Transaction<Database & AlertTables>, alertId: number, ns: NewNotification[], now: number): Promise<void> {
    if (!ns.length) return;
    await trx
      .insertInto('alert_notifications')
      .values(ns.map((n) => ({ alert_id: alertId, event: n.event, recipient_json: n.recipient_json, message_json: n.message_json, state: n.state, next_attempt_at: now, last_error: n.last_error ?? null, created_at: now, sent_at: null })))
      .execute();
  }

  /**
   * Queued notifications whose next attempt is due, oldest first; never one queued behind an
   * earlier one of the same alert to the same recipient, so a recipient is told "firing"
   * before "resolved" even when the first needs retries.
   */
  dueNotifications(now: number, limit = 50): Promise<NotificationRow[]> {
    return this.#guard('read queued notifications', () =>
      this.#db
        .selectFrom('alert_notifications as n')
        .selectAll('n')
        .where('n.state', '=', 'queued')
        .where('n.next_attempt_at', '<=', now)
        .where(({ not, exists, selectFrom }) =>
          not(
            exists(
              selectFrom('alert_notifications as e')
                .select('e.id')
                .whereRef('e.alert_id', '=', 'n.alert_id')
                .whereRef('e.recipient_json', '=', 'n.recipient_json')
                .where('e.state', '=', 'queued')
                .whereRef('e.id', '<', 'n.id'),
            ),
          ),
        )
        .orderBy('n.id')
        .limit(limit)
        .execute(),
    );
  }

  /** The next time any queued notification is due, if any. */
  async nextDue(): Promise<number | undefined> {
    const r = await this.#guard('read queued notifications', () =>
      this.#db.selectFrom('alert_notifications').select((eb) => eb.fn.min('next_attempt_at').as('t')).where('state', '=', 'queued').executeTakeFirst(),
    );
    return r?.t === null || r?.t === undefined ? undefined : Number(r.t);
  }

  recordAttempt(id: number, patch: { state: DeliveryState; attempts: number; next_attempt_at: number; last_error: string | null; sent_at: number | null }): Promise<void> {
    return this.#guard('record the delivery', async () => void (await this.#db.updateTable('alert_notifications').set(patch).where('id', '=', id).execute()));
  }

  notificationsFor(alertId: number): Promise<NotificationRow[]> {
    return this.#guard('read the delivery log', () => this.#db.selectFrom('alert_notifications').selectAll().where('alert_id', '=', alertId).orderBy('id').execute());
  }

  listNotifications(limit = 200): Promise<NotificationRow[]> {
    return this.#guard('read the delivery log', () => this.#db.selectFrom('alert_notifications').selectAll().orderBy('id', 'desc').limit(limit).execute());
  }
}

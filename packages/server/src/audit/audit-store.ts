import { sql } from 'kysely';
import type { AuthDatabase } from '../auth/auth-database.js';
import { toStorageError } from '../store/storage-errors.js';

export type AuditOutcome = 'ok' | 'denied' | 'failed';

export interface AuditEntry {
  /** Who: `user:<name>`, `token:<id>@<user>`, `node:<name>`, `bootstrap`, `anonymous`, `cli:<os user>`. */
  actor: string;
  /** From where: the client address, or `local` for the server's own CLI. */
  ip: string | null;
  /** What: a dotted verb such as `auth.login`, `grants.replace`, `node.revoke`. */
  action: string;
  /** On what: `user:<name>`, `node:<name>`, `token:<id>`... */
  target: string | null;
  outcome: AuditOutcome;
  /** The reason the actor gave, or why it was refused. */
  reason: string | null;
  detail?: Record<string, unknown>;
}

export interface AuditRow extends Omit<AuditEntry, 'detail'> {
  id: number;
  at: number;
  detail: Record<string, unknown> | null;
}

export interface AuditQuery {
  actor?: string;
  /** An exact action, or a prefix ending in `.` (e.g. `auth.`). */
  action?: string;
  target?: string;
  outcome?: AuditOutcome;
  from?: number;
  to?: number;
  /** Entries older than this id (paging backwards). */
  before?: number;
  limit: number;
}

/** The audit log: append and read only; nothing in the API updates or deletes an entry. */
export class AuditStore {
  constructor(private readonly a: AuthDatabase) {}

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  append(entry: AuditEntry, at = Date.now()): Promise<number> {
    const { detail, ...rest } = entry;
    return this.#guard('write the audit log', async () => {
      const r = await this.a.db
        .insertInto('audit_log')
        .values({ ...rest, at, detail_json: detail ? JSON.stringify(detail) : null })
        .returning('id')
        .executeTakeFirstOrThrow();
      return r.id;
    });
  }

  /** Newest first. */
  query(q: AuditQuery): Promise<AuditRow[]> {
    return this.#guard('read the audit log', async () => {
      let s = this.a.db.selectFrom('audit_log').selectAll().orderBy('id', 'desc').limit(q.limit);
      if (q.actor !== undefined) s = s.where('actor', '=', q.actor);
      if (q.action !== undefined) {
        // A prefix filter matches literally: LIKE's wildcards in the input are escaped.
        s = q.action.endsWith('.')
          ? s.where(sql<boolean>`action like ${`${q.action.replace(/[\\%_]/g, (c) => `\\${c}`)}%`} escape '\\'`)
          : s.where('action', '=', q.action);
      }
      if (q.target !== undefined) s = s.where('target', '=', q.target);
      if (q.outcome !== undefined) s = s.where('outcome', '=', q.outcome);
      if (q.from !== undefined) s = s.where('at', '>=', q.from);
      if (q.to !== undefined) s = s.where('at', '<', q.to);
      if (q.before !== undefined) s = s.where('id', '<', q.before);
      const rows = await s.execute();
      return rows.map(({ detail_json, ...r }) => ({ ...r, detail: detail_json ? (JSON.parse(detail_json) as Record<string, unknown>) : null }));
    });
  }
}

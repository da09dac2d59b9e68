import type { AuthDatabase } from '../auth/auth-database.js';
import { toStorageError } from '../store/storage-errors.js';

export interface SessionRow {
  id_hash: string;
  user_id: number;
  csrf_token: string;
  created_at: number;
  expires_at: number;
  last_seen_at: number;
  ip: string | null;
}

/** Login sessions; the cookie's value is never stored, only its SHA-256. */
export class SessionsStore {
  constructor(private readonly a: AuthDatabase) {}

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  create(row: SessionRow): Promise<void> {
    return this.#guard('create a session', async () => void (await this.a.db.insertInto('sessions').values(row).execute()));
  }

  /** The session if it exists and has not expired at `now`. */
  get(idHash: string, now: number): Promise<SessionRow | undefined> {
    return this.#guard('read a session', () =>
      this.a.db.selectFrom('sessions').selectAll().where('id_hash', '=', idHash).where('expires_at', '>', now).executeTakeFirst(),
    );
  }

  /** Slides the idle expiry forward, never past `absoluteLimit`. */
  touch(idHash: string, now: number, expiresAt: number): Promise<void> {
    return this.#guard('refresh a session', async () => {
      await this.a.db.updateTable('sessions').set({ last_seen_at: now, expires_at: expiresAt }).where('id_hash', '=', idHash).execute();
    });
  }

  delete(idHash: string): Promise<void> {
    return this.#guard('end a session', async () => void (await this.a.db.deleteFrom('sessions').where('id_hash', '=', idHash).execute()));
  }

  /** Ends every session of a user (password reset, disable, role change), except optionally one. */
  deleteForUser(userId: number, except?: string): Promise<number> {
    return this.#guard('end sessions', async () => {
      let q = this.a.db.deleteFrom('sessions').where('user_id', '=', userId);
      if (except !== undefined) q = q.where('id_hash', '!=', except);
      return Number((await q.executeTakeFirst()).numDeletedRows);
    });
  }

  deleteExpired(now: number): Promise<number> {
    return this.#guard('drop expired sessions', async () =>
      Number((await this.a.db.deleteFrom('sessions').where('expires_at', '<=', now).executeTakeFirst()).numDeletedRows),
    );
  }
}

import type { AuthDatabase } from '../auth/auth-database.js';
import { toStorageError } from '../store/storage-errors.js';

export type TokenScope = 'read' | 'grants';

export interface ApiTokenRow {
  id: number;
  user_id: number;
  name: string;
  token_hash: string;
  scope: TokenScope;
  created_at: number;
  expires_at: number | null;
  revoked_at: number | null;
  last_used_at: number | null;
}

/** API tokens for scripts: stored as SHA-256 digests, scoped, expiring, revocable. */
export class TokensStore {
  constructor(private readonly a: AuthDatabase) {}

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  create(input: Omit<ApiTokenRow, 'id' | 'revoked_at' | 'last_used_at'>): Promise<ApiTokenRow> {
    return this.#guard('create an API token', () => this.a.db.insertInto('api_tokens').values(input).returningAll().executeTakeFirstOrThrow());
  }

  /** A usable token: not revoked and not expired at `now`. */
  findUsable(tokenHash: string, now: number): Promise<ApiTokenRow | undefined> {
    return this.#guard('read an API token', () =>
      this.a.db
        .selectFrom('api_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash)
        .where('revoked_at', 'is', null)
        .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now)]))
        .executeTakeFirst(),
    );
  }

  get(id: number): Promise<ApiTokenRow | undefined> {
    return this.#guard(`read API token ${id}`, () => this.a.db.selectFrom('api_tokens').selectAll().where('id', '=', id).executeTakeFirst());
  }

  list(userId?: number): Promise<ApiTokenRow[]> {
    return this.#guard('list API tokens', () => {
      let q = this.a.db.selectFrom('api_tokens').selectAll().orderBy('id');
      if (userId !== undefined) q = q.where('user_id', '=', userId);
      return q.execute();
    });
  }

  revoke(id: number, at: number): Promise<boolean> {
    return this.#guard(`revoke API token ${id}`, async () => {
      const r = await this.a.db.updateTable('api_tokens').set({ revoked_at: at }).where('id', '=', id).where('revoked_at', 'is', null).executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    });
  }

  revokeForUser(userId: number, at: number): Promise<number> {
    return this.#guard('revoke API tokens', async () =>
      Number((await this.a.db.updateTable('api_tokens').set({ revoked_at: at }).where('user_id', '=', userId).where('revoked_at', 'is', null).executeTakeFirst()).numUpdatedRows),
    );
  }

  touch(id: number, at: number): Promise<void> {
    return this.#guard('note API token use', async () => void (await this.a.db.updateTable('api_tokens').set({ last_used_at: at }).where('id', '=', id).execute()));
  }
}

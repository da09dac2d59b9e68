import type { AuthDatabase } from '../auth/auth-database.js';
import { toStorageError } from '../store/storage-errors.js';

export interface EnrollmentTokenRow {
  id: number;
  node_id: number;
  token_hash: string;
  created_at: number;
  expires_at: number;
  used_at: number | null;
  created_by: string;
}

/** One-time, expiring enrollment tokens; only their SHA-256 is stored. */
export class EnrollmentStore {
  constructor(private readonly a: AuthDatabase) {}

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  /** Issues a token for a node; earlier unused tokens of that node stop working. */
  create(input: Omit<EnrollmentTokenRow, 'id' | 'used_at'>): Promise<EnrollmentTokenRow> {
    return this.#guard('create an enrollment token', () =>
      this.a.db.transaction().execute(async (trx) => {
        await trx.updateTable('enrollment_tokens').set({ used_at: input.created_at }).where('node_id', '=', input.node_id).where('used_at', 'is', null).execute();
        return trx.insertInto('enrollment_tokens').values(input).returningAll().executeTakeFirstOrThrow();
      }),
    );
  }

  /**
   * Marks the token used and returns it, or undefined when it is unknown, used or expired.
   * One UPDATE ... WHERE used_at IS NULL, so two agents racing with the same token cannot both win.
   */
  consume(tokenHash: string, now: number): Promise<EnrollmentTokenRow | undefined> {
    return this.#guard('use an enrollment token', () =>
      this.a.db
        .updateTable('enrollment_tokens')
        .set({ used_at: now })
        .where('token_hash', '=', tokenHash)
        .where('used_at', 'is', null)
        .where('expires_at', '>', now)
        .returningAll()
        .executeTakeFirst(),
    );
  }

  /** Unused, unexpired tokens of a node are cancelled (the node was revoked). */
  cancelForNode(nodeId: number, now: number): Promise<void> {
    return this.#guard('cancel enrollment tokens', async () => {
      await this.a.db.updateTable('enrollment_tokens').set({ used_at: now }).where('node_id', '=', nodeId).where('used_at', 'is', null).execute();
    });
  }
}

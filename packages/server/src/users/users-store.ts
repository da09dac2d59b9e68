import { ErrorCode, MaError } from '@ma/protocol';
import { sql, type Selectable } from 'kysely';
import type { AuthDatabase, UsersTable } from '../auth/auth-database.js';
import { toStorageError } from '../store/storage-errors.js';

export type Role = 'admin' | 'member';

export interface UserRow {
  id: number;
  name: string;
  role: Role;
  password_hash: string;
  totp_secret: string | null;
  totp_enabled: boolean;
  disabled: boolean;
  created_at: number;
  updated_at: number;
}

const toUser = (r: Selectable<UsersTable>): UserRow => ({ ...r, totp_enabled: Boolean(r.totp_enabled), disabled: Boolean(r.disabled) });

export type UserUpdate = Partial<Pick<UserRow, 'role' | 'password_hash' | 'totp_secret' | 'totp_enabled' | 'disabled'>>;

/** People who log in: name, role, password hash, optional TOTP secret. */
export class UsersStore {
  constructor(private readonly a: AuthDatabase) {}

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  create(input: { name: string; role: Role; password_hash: string }): Promise<UserRow> {
    return this.#guard(`create user "${input.name}"`, async () => {
      const now = Date.now();
      const row = await this.a.db
        .insertInto('users')
        .values({ ...input, created_at: now, updated_at: now })
        .onConflict((oc) => oc.column('name').doNothing())
        .returningAll()
        .executeTakeFirst();
      if (!row) throw new MaError(ErrorCode.Conflict, `a user named "${input.name}" already exists; choose another name`);
      return toUser(row);
    });
  }

  /**
   * Creates the first user only while there is none, atomically, so two first-run requests
   * racing each other cannot both become admin.
   */
  createFirst(input: { name: string; role: Role; password_hash: string }): Promise<UserRow | undefined> {
    return this.#guard('create the first user', () =>
      this.a.db.transaction().execute(async (trx) => {
        // SQLite runs one transaction at a time; PostgreSQL needs the table locked for the check-then-insert.
        if (this.a.dialect === 'postgres') await sql`lock table users in exclusive mode`.execute(trx);
        const existing = await trx.selectFrom('users').select('id').limit(1).executeTakeFirst();
        if (existing) return undefined;
        const now = Date.now();
        const row = await trx.insertInto('users').values({ ...input, created_at: now, updated_at: now }).returningAll().executeTakeFirstOrThrow();
        return toUser(row);
      }),
    );
  }

  getByName(name: string): Promise<UserRow | undefined> {
    return this.#guard(`read user "${name}"`, async () => {
      const r = await this.a.db.selectFrom('users').selectAll().where('name', '=', name).executeTakeFirst();
      return r && toUser(r);
    });
  }

  getById(id: number): Promise<UserRow | undefined> {
    return this.#guard(`read user ${id}`, async () => {
      const r = await this.a.db.selectFrom('users').selectAll().where('id', '=', id).executeTakeFirst();
      return r && toUser(r);
    });
  }

  list(): Promise<UserRow[]> {
    return this.#guard('list users', async () => (await this.a.db.selectFrom('users').selectAll().orderBy('name').execute()).map(toUser));
  }

  count(): Promise<number> {
    return this.#guard('count users', async () => {
      const r = await this.a.db.selectFrom('users').select((eb) => eb.fn.countAll<string | number>().as('n')).executeTakeFirstOrThrow();
      return Number(r.n);
    });
  }

  /** Active admins, so the last one cannot be demoted, disabled or deleted. */
  countActiveAdmins(): Promise<number> {
    return this.#guard('count admins', async () => {
      const r = await this.a.db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<string | number>().as('n'))
        .where('role', '=', 'admin')
        .where('disabled', '=', this.a.bool(false))
        .executeTakeFirstOrThrow();
      return Number(r.n);
    });
  }

  update(id: number, update: UserUpdate): Promise<UserRow | undefined> {
    return this.#guard(`update user ${id}`, async () => {
      const { totp_enabled, disabled, ...rest } = update;
      const r = await this.a.db
        .updateTable('users')
        .set({
          ...rest,
          ...(totp_enabled !== undefined ? { totp_enabled: this.a.bool(totp_enabled) } : {}),
          ...(disabled !== undefined ? { disabled: this.a.bool(disabled) } : {}),
          updated_at: Date.now(),
        })
        .where('id', '=', id)
        .returningAll()
        .executeTakeFirst();
      return r && toUser(r);
    });
  }

  delete(id: number): Promise<boolean> {
    return this.#guard(`delete user ${id}`, async () => {
      const r = await this.a.db.deleteFrom('users').where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }
}

import type { Generated, Kysely, Migration } from 'kysely';
import type { SshPublicKey } from '../tunnels/public-key.js';
import type { Database } from './database.js';
import { KyselyStore } from './kysely-store.js';
import type { Store } from './store.js';
import { dialectColumns } from './dialect-columns.js';
import { toStorageError } from './storage-errors.js';

/** One SSH public key per node: the key its agent's tunnel authenticates with (migration 0006_tunnels_*). */
export type TunnelKeysTable = {
  node_id: number;
  key_type: string;
  key_blob: string;
  fingerprint: string;
  updated_at: number;
};

/** People's SSH public keys, which agents that sync accounts install on the nodes they may ssh to. */
export type UserSshKeysTable = {
  id: Generated<number>;
  user_id: number;
  key_type: string;
  key_blob: string;
  fingerprint: string;
  comment: string;
  created_at: number;
};

// Type aliases, not interfaces: Kysely's withTables needs an index-signature-compatible shape.
export type TunnelTables = {
  tunnel_keys: TunnelKeysTable;
  user_ssh_keys: UserSshKeysTable;
};

export function userSshKeysMigration(dialect: 'sqlite' | 'postgres'): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('user_ssh_keys')
        .addColumn('id', 'integer', dialectColumns(dialect).id)
        .addColumn('user_id', 'integer', (c) => c.notNull().references('users.id').onDelete('cascade'))
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('key_blob', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('comment', 'text', (c) => c.notNull())
        .addColumn('created_at', 'bigint', (c) => c.notNull())
        .addUniqueConstraint('user_ssh_keys_user_fingerprint', ['user_id', 'fingerprint'])
        .execute();
    },
  };
}

export interface UserSshKey {
  id: number;
  user_id: number;
  key: SshPublicKey;
  comment: string;
  created_at: number;
}

export function tunnelsMigration(): Migration {
  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('tunnel_keys')
        .addColumn('node_id', 'integer', (c) => c.primaryKey().references('nodes.id').onDelete('cascade'))
        .addColumn('key_type', 'text', (c) => c.notNull())
        .addColumn('key_blob', 'text', (c) => c.notNull())
        .addColumn('fingerprint', 'text', (c) => c.notNull())
        .addColumn('updated_at', 'bigint', (c) => c.notNull())
        .execute();
    },
  };
}

export interface NodeTunnelKey {
  node_id: number;
  node: string;
  /** The node's credential digest; `revoked` when the node was revoked (its key must stop working too). */
  credential_hash: string;
  online: boolean;
  status_json: string | null;
  key: SshPublicKey;
  updated_at: number;
}

/** Node tunnel keys, in the same database as everything else. */
export class TunnelsStore {
  readonly #db: Kysely<Database & TunnelTables>;

  constructor(store: Store) {
    if (!(store instanceof KyselyStore)) throw new Error('the tunnel keys need the Kysely store');
    this.#db = store.kysely.withTables<TunnelTables>();
  }

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  /** Registers (or replaces) a node's key. */
  setKey(nodeId: number, key: SshPublicKey, now = Date.now()): Promise<void> {
    const row = { key_type: key.type, key_blob: key.blob, fingerprint: key.fingerprint, updated_at: now };
    return this.#guard('save the tunnel key', async () => {
      await this.#db
        .insertInto('tunnel_keys')
        .values({ node_id: nodeId, ...row })
        .onConflict((oc) => oc.column('node_id').doUpdateSet(row))
        .execute();
    });
  }

  /** Removes a node's key (revokes its tunnel). True when there was one. */
  deleteKey(nodeId: number): Promise<boolean> {
    return this.#guard('delete the tunnel key', async () => {
      const r = await this.#db.deleteFrom('tunnel_keys').where('node_id', '=', nodeId).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  listKeys(): Promise<NodeTunnelKey[]> {
    return this.#guard('read the tunnel keys', async () => {
      const rows = await this.#db
        .selectFrom('tunnel_keys')
        .innerJoin('nodes', 'nodes.id', 'tunnel_keys.node_id')
        .select(['tunnel_keys.node_id', 'nodes.name', 'nodes.credential_hash', 'nodes.online', 'nodes.status_json', 'key_type', 'key_blob', 'fingerprint', 'updated_at'])
        .orderBy('tunnel_keys.node_id')
        .execute();
      return rows.map((r) => ({
        node_id: r.node_id,
        node: r.name,
        credential_hash: r.credential_hash,
        online: Boolean(r.online),
        status_json: r.status_json,
        key: { type: r.key_type, blob: r.key_blob, fingerprint: r.fingerprint },
        updated_at: Number(r.updated_at),
      }));
    });
  }

  /** Adds one of a person's keys; Conflict if they already registered it. */
  addUserKey(userId: number, key: SshPublicKey, comment: string, now = Date.now()): Promise<UserSshKey> {
    return this.#guard('save the ssh key', async () => {
      const row = await this.#db
        .insertInto('user_ssh_keys')
        .values({ user_id: userId, key_type: key.type, key_blob: key.blob, fingerprint: key.fingerprint, comment, created_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      return { id: row.id, user_id: userId, key, comment, created_at: now };
    });
  }

  listUserKeys(userId?: number): Promise<UserSshKey[]> {
    return this.#guard('read ssh keys', async () => {
      let q = this.#db.selectFrom('user_ssh_keys').selectAll();
      if (userId !== undefined) q = q.where('user_id', '=', userId);
      const rows = await q.orderBy('id').execute();
      return rows.map((r) => ({ id: r.id, user_id: r.user_id, key: { type: r.key_type, blob: r.key_blob, fingerprint: r.fingerprint }, comment: r.comment, created_at: Number(r.created_at) }));
    });
  }

  deleteUserKey(userId: number, id: number): Promise<boolean> {
    return this.#guard('delete the ssh key', async () => {
      const r = await this.#db.deleteFrom('user_ssh_keys').where('user_id', '=', userId).where('id', '=', id).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }
}

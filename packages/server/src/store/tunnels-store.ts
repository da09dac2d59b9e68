import type { Kysely, Migration } from 'kysely';
import type { SshPublicKey } from '../tunnels/public-key.js';
import type { Database } from './database.js';
import { KyselyStore } from './kysely-store.js';
import type { Store } from './store.js';
import { toStorageError } from './storage-errors.js';

/** One SSH public key per node: the key its agent's tunnel authenticates with (migration 0006_tunnels_*). */
export type TunnelKeysTable = {
  node_id: number;
  key_type: string;
  key_blob: string;
  fingerprint: string;
  updated_at: number;
};

// Type aliases, not interfaces: Kysely's withTables needs an index-signature-compatible shape.
export type TunnelTables = {
  tunnel_keys: TunnelKeysTable;
};

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
        .select(['tunnel_keys.node_id', 'nodes.name', 'nodes.credential_hash', 'key_type', 'key_blob', 'fingerprint', 'updated_at'])
        .orderBy('tunnel_keys.node_id')
        .execute();
      return rows.map((r) => ({
        node_id: r.node_id,
        node: r.name,
        credential_hash: r.credential_hash,
        key: { type: r.key_type, blob: r.key_blob, fingerprint: r.fingerprint },
        updated_at: Number(r.updated_at),
      }));
    });
  }
}

import type { AuthDatabase } from '../auth/auth-database.js';
import { toStorageError } from '../store/storage-errors.js';

export const PERMISSIONS = ['view', 'actuate', 'ssh', 'admin'] as const;
export type Permission = (typeof PERMISSIONS)[number];

export interface Grant {
  scope: 'node' | 'tag';
  /** A node name (scope node) or a tag (scope tag). */
  target: string;
  permission: Permission;
}

/** Per-user grants on nodes and node tags, and the tags of each node. */
export class GrantsStore {
  constructor(private readonly a: AuthDatabase) {}

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  list(userId: number): Promise<Grant[]> {
    return this.#guard('read grants', () =>
      this.a.db
        .selectFrom('grants')
        .select(['scope', 'target', 'permission'])
        .where('user_id', '=', userId)
        .orderBy('scope')
        .orderBy('target')
        .orderBy('permission')
        .execute(),
    );
  }

  /** Replaces all of a user's grants at once (the grants matrix is saved as a whole). */
  replace(userId: number, grants: Grant[]): Promise<void> {
    return this.#guard('save grants', () =>
      this.a.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('grants').where('user_id', '=', userId).execute();
        const now = Date.now();
        const unique = new Map(grants.map((g) => [`${g.scope}\0${g.target}\0${g.permission}`, g]));
        if (unique.size) await trx.insertInto('grants').values([...unique.values()].map((g) => ({ ...g, user_id: userId, created_at: now }))).execute();
      }),
    );
  }

  /** Every node's tags, keyed by node name (names are unique and never change). */
  allNodeTags(): Promise<Map<string, string[]>> {
    return this.#guard('read node tags', async () => {
      const rows = await this.a.db.selectFrom('node_tags').innerJoin('nodes', 'nodes.id', 'node_tags.node_id').select(['nodes.name', 'node_tags.tag']).orderBy('node_tags.tag').execute();
      const m = new Map<string, string[]>();
      for (const r of rows) (m.get(r.name) ?? m.set(r.name, []).get(r.name)!).push(r.tag);
      return m;
    });
  }

  setNodeTags(nodeId: number, tags: string[]): Promise<void> {
    return this.#guard('save node tags', () =>
      this.a.db.transaction().execute(async (trx) => {
        await trx.deleteFrom('node_tags').where('node_id', '=', nodeId).execute();
        const unique = [...new Set(tags)];
        if (unique.length) await trx.insertInto('node_tags').values(unique.map((tag) => ({ node_id: nodeId, tag }))).execute();
      }),
    );
  }
}

import type { Selectable } from 'kysely';
import type { EquipmentDatabase, NodeAllowlistsTable } from '../equipment/equipment-database.js';
import { toStorageError } from '../store/storage-errors.js';

export type NodeAllowListRow = Selectable<NodeAllowlistsTable>;

/** Each node's last published allow-list (version and signed document) and the version the node reports holding. */
export class AllowListStore {
  constructor(private readonly e: EquipmentDatabase) {}

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  get(nodeId: number): Promise<NodeAllowListRow | undefined> {
    return this.#guard('read an allow-list', () => this.e.db.selectFrom('node_allowlists').selectAll().where('node_id', '=', nodeId).executeTakeFirst());
  }

  all(): Promise<NodeAllowListRow[]> {
    return this.#guard('read allow-lists', () => this.e.db.selectFrom('node_allowlists').selectAll().execute());
  }

  /** Stores a newly published version (versions only grow; the caller allocates them). */
  publish(nodeId: number, version: number, documentJson: string, at: number): Promise<void> {
    return this.#guard('store an allow-list', async () => {
      await this.e.db
        .insertInto('node_allowlists')
        .values({ node_id: nodeId, version, document_json: documentJson, published_at: at, reported_version: null, reported_at: null })
        .onConflict((oc) => oc.column('node_id').doUpdateSet({ version, document_json: documentJson, published_at: at }))
        .execute();
    });
  }

  /** Records the version a node says it holds. */
  report(nodeId: number, version: number, at: number): Promise<void> {
    return this.#guard('record an allow-list report', async () => {
      await this.e.db.updateTable('node_allowlists').set({ reported_version: version, reported_at: at }).where('node_id', '=', nodeId).execute();
    });
  }
}

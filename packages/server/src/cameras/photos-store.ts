import type { Generated, Kysely } from 'kysely';
import type { Database } from '../store/database.js';
import { KyselyStore } from '../store/kysely-store.js';
import { toStorageError } from '../store/storage-errors.js';
import type { Store } from '../store/store.js';

// A type alias, not an interface: Kysely's withTables needs an indexable record type.
export type PhotosTables = {
  photos: { id: Generated<number>; node_id: number; camera: string; sha256: string; ts: number; bytes: number; width: number; height: number; received_at: number };
};

export interface PhotoRow {
  id: number;
  node_id: number;
  camera: string;
  sha256: string;
  ts: number;
  bytes: number;
  width: number;
  height: number;
  received_at: number;
}

export interface PhotoQuery {
  camera?: string | undefined;
  from?: number | undefined;
  to?: number | undefined;
  limit: number;
}

const num = (r: Record<keyof PhotoRow, unknown>): PhotoRow => ({
  id: Number(r.id),
  node_id: Number(r.node_id),
  camera: String(r.camera),
  sha256: String(r.sha256),
  ts: Number(r.ts),
  bytes: Number(r.bytes),
  width: Number(r.width),
  height: Number(r.height),
  received_at: Number(r.received_at),
});

/** Photo metadata (table of migration 0030_cameras_photos), both dialects through Kysely. */
export class PhotosStore {
  readonly #db: Kysely<Database & PhotosTables>;

  constructor(store: Store) {
    if (!(store instanceof KyselyStore)) throw new Error('photos need the Kysely store');
    this.#db = store.kysely.withTables<PhotosTables>();
  }

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  find(nodeId: number, sha256: string): Promise<PhotoRow | undefined> {
    return this.#guard('read a photo', async () => {
      const r = await this.#db.selectFrom('photos').selectAll().where('node_id', '=', nodeId).where('sha256', '=', sha256).executeTakeFirst();
      return r ? num(r) : undefined;
    });
  }

  get(nodeId: number, id: number): Promise<PhotoRow | undefined> {
    return this.#guard('read a photo', async () => {
      const r = await this.#db.selectFrom('photos').selectAll().where('node_id', '=', nodeId).where('id', '=', id).executeTakeFirst();
      return r ? num(r) : undefined;
    });
  }

  /** Inserts once per (node, sha256); a second insert of the same photo answers the first row. */
  add(row: Omit<PhotoRow, 'id'>): Promise<PhotoRow> {
    return this.#guard('store a photo', async () => {
      await this.#db
        .insertInto('photos')
        .values(row)
        .onConflict((oc) => oc.columns(['node_id', 'sha256']).doNothing())
        .execute();
      return (await this.find(row.node_id, row.sha256))!;
    });
  }

  /** Every (node, camera) that has photos. */
  cameras(): Promise<Array<{ node_id: number; camera: string }>> {
    return this.#guard('list cameras', async () => {
      const rows = await this.#db.selectFrom('photos').select(['node_id', 'camera']).distinct().execute();
      return rows.map((r) => ({ node_id: Number(r.node_id), camera: r.camera }));
    });
  }

  /** One camera's photos, oldest first: id, time, size and hash only (retention walks these). */
  oldestFirst(nodeId: number, camera: string): Promise<Array<{ id: number; ts: number; bytes: number; sha256: string }>> {
    return this.#guard('list photos', async () => {
      const rows = await this.#db.selectFrom('photos').select(['id', 'ts', 'bytes', 'sha256']).where('node_id', '=', nodeId).where('camera', '=', camera).orderBy('ts', 'asc').orderBy('id', 'asc').execute();
      return rows.map((r) => ({ id: Number(r.id), ts: Number(r.ts), bytes: Number(r.bytes), sha256: r.sha256 }));
    });
  }

  /** Deletes rows; answers the hashes no row refers to any more (their files can go). */
  remove(ids: number[]): Promise<string[]> {
    return this.#guard('delete photos', async () => {
      if (ids.length === 0) return [];
      const out: string[] = [];
      for (let i = 0; i < ids.length; i += 500) {
        const batch = ids.slice(i, i + 500);
        const shas = [...new Set((await this.#db.selectFrom('photos').select('sha256').where('id', 'in', batch).execute()).map((r) => r.sha256))];
        await this.#db.deleteFrom('photos').where('id', 'in', batch).execute();
        if (shas.length === 0) continue;
        const still = new Set((await this.#db.selectFrom('photos').select('sha256').where('sha256', 'in', shas).execute()).map((r) => r.sha256));
        out.push(...shas.filter((s) => !still.has(s)));
      }
      return out;
    });
  }

  /** Newest first. */
  list(nodeId: number, q: PhotoQuery): Promise<PhotoRow[]> {
    return this.#guard('list photos', async () => {
      let s = this.#db.selectFrom('photos').selectAll().where('node_id', '=', nodeId);
      if (q.camera !== undefined) s = s.where('camera', '=', q.camera);
      if (q.from !== undefined) s = s.where('ts', '>=', q.from);
      if (q.to !== undefined) s = s.where('ts', '<', q.to);
      const rows = await s.orderBy('ts', 'desc').orderBy('id', 'desc').limit(q.limit).execute();
      return rows.map(num);
    });
  }
}

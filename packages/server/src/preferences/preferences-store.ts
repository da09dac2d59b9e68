import type { Generated, Kysely } from 'kysely';
import type { AuthTables } from '../auth/auth-database.js';
import type { Database } from '../store/database.js';
import { KyselyStore } from '../store/kysely-store.js';
import type { Store } from '../store/store.js';
import { toStorageError } from '../store/storage-errors.js';

export type HourCycle = 'auto' | 'h12' | 'h23';
export type TemperatureUnit = 'C' | 'F';

export interface Preferences {
  /** IANA time zone, or null: the browser's */
  time_zone: string | null;
  hour_cycle: HourCycle;
  temperature_unit: TemperatureUnit;
  /** when this user's browser-local views were imported (once), or null */
  views_imported_at: number | null;
}

export const DEFAULT_PREFERENCES: Preferences = { time_zone: null, hour_cycle: 'auto', temperature_unit: 'C', views_imported_at: null };

export interface SavedView {
  name: string;
  /** the query string of /charts (`ch=3,5&range=24h`) */
  query: string;
  created_at: number;
  updated_at: number;
}

// Type aliases, not interfaces: Kysely's withTables needs an index-signature-compatible shape.
export type PreferencesTables = {
  user_preferences: { user_id: number; time_zone: string | null; hour_cycle: string; temperature_unit: string; views_imported_at: number | null; updated_at: number };
  saved_views: { id: Generated<number>; user_id: number; name: string; query: string; created_at: number; updated_at: number };
};

/** Each user's preferences and saved views, in the main database (tables of migration 0010_*). */
export class PreferencesStore {
  readonly #db: Kysely<Database & AuthTables & PreferencesTables>;

  constructor(store: Store) {
    if (!(store instanceof KyselyStore)) throw new Error('preferences need the Kysely store');
    this.#db = store.kysely.withTables<AuthTables & PreferencesTables>();
  }

  async #guard<T>(what: string, fn: () => Promise<T>): Promise<T> {
    try {
      return await fn();
    } catch (e) {
      throw toStorageError(what, e);
    }
  }

  get(userId: number): Promise<Preferences> {
    return this.#guard('read preferences', async () => {
      const row = await this.#db.selectFrom('user_preferences').selectAll().where('user_id', '=', userId).executeTakeFirst();
      if (!row) return { ...DEFAULT_PREFERENCES };
      return {
        time_zone: row.time_zone,
        hour_cycle: row.hour_cycle as HourCycle,
        temperature_unit: row.temperature_unit as TemperatureUnit,
        views_imported_at: row.views_imported_at === null ? null : Number(row.views_imported_at),
      };
    });
  }

  /** Changes the given keys, keeps the others. */
  update(userId: number, change: Partial<Preferences>, now = Date.now()): Promise<Preferences> {
    return this.#guard('save preferences', async () => {
      const next = { ...(await this.get(userId)), ...change };
      const row = { time_zone: next.time_zone, hour_cycle: next.hour_cycle, temperature_unit: next.temperature_unit, views_imported_at: next.views_imported_at, updated_at: now };
      await this.#db
        .insertInto('user_preferences')
        .values({ user_id: userId, ...row })
        .onConflict((oc) => oc.column('user_id').doUpdateSet(row))
        .execute();
      return next;
    });
  }

  listViews(userId: number): Promise<SavedView[]> {
    return this.#guard('read saved views', async () => {
      const rows = await this.#db.selectFrom('saved_views').select(['name', 'query', 'created_at', 'updated_at']).where('user_id', '=', userId).execute();
      return rows
        .map((r) => ({ name: r.name, query: r.query, created_at: Number(r.created_at), updated_at: Number(r.updated_at) }))
        .sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
    });
  }

  /** Adds a view, or replaces the one with the same name. */
  saveView(userId: number, name: string, query: string, now = Date.now()): Promise<SavedView> {
    return this.#guard('save the view', async () => {
      await this.#db
        .insertInto('saved_views')
        .values({ user_id: userId, name, query, created_at: now, updated_at: now })
        .onConflict((oc) => oc.columns(['user_id', 'name']).doUpdateSet({ query, updated_at: now }))
        .execute();
      const row = await this.#db.selectFrom('saved_views').select(['created_at']).where('user_id', '=', userId).where('name', '=', name).executeTakeFirstOrThrow();
      return { name, query, created_at: Number(row.created_at), updated_at: now };
    });
  }

  /** True when there was such a view. */
  deleteView(userId: number, name: string): Promise<boolean> {
    return this.#guard('delete the view', async () => {
      const r = await this.#db.deleteFrom('saved_views').where('user_id', '=', userId).where('name', '=', name).executeTakeFirst();
      return Number(r.numDeletedRows) > 0;
    });
  }

  /**
   * Imports a browser's old localStorage views, once per user: views already on the server keep their
   * query (the server copy wins), and a second import (another browser, a reload) adds nothing.
   * Returns how many were added; null when this user had imported before.
   */
  importViews(userId: number, views: ReadonlyArray<{ name: string; query: string }>, now = Date.now()): Promise<number | null> {
    return this.#guard('import saved views', async () => {
      const prefs = await this.get(userId);
      if (prefs.views_imported_at !== null) return null;
      let added = 0;
      for (const v of views) {
        const r = await this.#db
          .insertInto('saved_views')
          .values({ user_id: userId, name: v.name, query: v.query, created_at: now, updated_at: now })
          .onConflict((oc) => oc.columns(['user_id', 'name']).doNothing())
          .executeTakeFirst();
        added += Number(r.numInsertedOrUpdatedRows ?? 0n);
      }
      await this.update(userId, { views_imported_at: now }, now);
      return added;
    });
  }
}

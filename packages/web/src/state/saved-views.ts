/**
 * Named chart views (channels + window, i.e. a `/charts?…` query), kept on the server per user
 * (`/api/v1/me/views`). Views an older dashboard kept in this browser's localStorage are imported once
 * (the server remembers it did) and then removed from the browser. The bootstrap token has no account,
 * so for it views stay in localStorage as before.
 */
import { api } from '../auth/session';
import { currentPreferences } from './preferences';

const KEY = 'ma.savedViews';

export interface SavedView {
  name: string;
  /** the query string of /charts */
  query: string;
}

export function loadViews(storage: Pick<Storage, 'getItem'> = localStorage): SavedView[] {
  try {
    const parsed: unknown = JSON.parse(storage.getItem(KEY) ?? '[]');
    if (!Array.isArray(parsed)) return [];
    return parsed.filter(
      (v): v is SavedView => typeof v === 'object' && v !== null && typeof (v as SavedView).name === 'string' && typeof (v as SavedView).query === 'string',
    );
  } catch {
    return [];
  }
}

/** Adds or replaces (same name) a view; names sort case-insensitively. */
export function withView(views: readonly SavedView[], view: SavedView): SavedView[] {
  return [...views.filter((v) => v.name !== view.name), view].sort((a, b) => a.name.localeCompare(b.name, undefined, { sensitivity: 'base' }));
}

export function saveViews(views: readonly SavedView[], storage: Pick<Storage, 'setItem'> = localStorage): void {
  try {
    storage.setItem(KEY, JSON.stringify(views));
  } catch {
    // storage full or disabled: the view still lives in the URL
  }
}

/** Where views live for this login: the server (a user) or this browser (the bootstrap token). */
export interface ViewsBackend {
  list(): Promise<SavedView[]>;
  save(view: SavedView): Promise<SavedView[]>;
  remove(name: string): Promise<SavedView[]>;
}

const localBackend: ViewsBackend = {
  list: () => Promise.resolve(loadViews()),
  save: (view) => {
    const next = withView(loadViews(), view);
    saveViews(next);
    return Promise.resolve(next);
  },
  remove: (name) => {
    const next = loadViews().filter((v) => v.name !== name);
    saveViews(next);
    return Promise.resolve(next);
  },
};

const serverList = () => api<{ views: SavedView[] }>('GET', '/me/views').then((r) => r.views.map((v) => ({ name: v.name, query: v.query })));

let imported: Promise<void> | null = null;
/** Moves this browser's old local views to the server, once; they leave the browser only once the server has them. */
function importLocalOnce(): Promise<void> {
  imported ??= (async () => {
    const local = loadViews().filter((v) => v.name.trim() !== '' && v.name.length <= 60 && /^[A-Za-z0-9_=&,.%:+-]*$/.test(v.query));
    if (local.length === 0 || currentPreferences().views_imported_at !== null) return;
    await api('POST', '/me/views/import', { views: local });
    localStorage.removeItem(KEY);
  })().catch(() => {
    imported = null; // try again next time; nothing was removed
  });
  return imported;
}

const serverBackend: ViewsBackend = {
  list: async () => {
    await importLocalOnce();
    return serverList();
  },
  save: async (view) => {
    await api('PUT', `/me/views/${encodeURIComponent(view.name)}`, { query: view.query });
    return serverList();
  },
  remove: async (name) => {
    await api('DELETE', `/me/views/${encodeURIComponent(name)}`);
    return serverList();
  },
};

export function viewsBackend(): ViewsBackend {
  return currentPreferences().stored ? serverBackend : localBackend;
}

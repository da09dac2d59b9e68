/**
 * Named chart views (channels + window, i.e. a `/charts?…` query) kept in this browser's localStorage. The URL
 * is the shareable form; user-owned views on the server come with user accounts.
 */
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

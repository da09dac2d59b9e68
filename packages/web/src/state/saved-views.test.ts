import { describe, expect, it } from 'vitest';
import { loadViews, saveViews, withView } from './saved-views';

const memory = () => {
  const m = new Map<string, string>();
  return { getItem: (k: string) => m.get(k) ?? null, setItem: (k: string, v: string) => void m.set(k, v) };
};

describe('saved chart views', () => {
  it('round-trip through storage, replacing a view of the same name', () => {
    const storage = memory();
    let views = withView([], { name: 'freezers', query: 'ch=1,2&range=7d' });
    views = withView(views, { name: 'Bench', query: 'ch=3' });
    views = withView(views, { name: 'freezers', query: 'ch=1,2&range=30d' });
    saveViews(views, storage);
    expect(loadViews(storage)).toEqual([
      { name: 'Bench', query: 'ch=3' },
      { name: 'freezers', query: 'ch=1,2&range=30d' },
    ]);
  });

  it('ignores garbage in storage', () => {
    const storage = memory();
    storage.setItem('ma.savedViews', '{"not":"a list"}');
    expect(loadViews(storage)).toEqual([]);
    storage.setItem('ma.savedViews', '[{"name":1},{"name":"ok","query":"ch=1"}]');
    expect(loadViews(storage)).toEqual([{ name: 'ok', query: 'ch=1' }]);
  });
});

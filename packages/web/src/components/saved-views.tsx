import { useState } from 'preact/hooks';
import { Link } from '../lib/router';
import { loadViews, saveViews, withView, type SavedView } from '../state/saved-views';

/** Save the current chart (its URL) under a name, open saved ones, copy the link. */
export function SavedViews({ query }: { query: string }) {
  const [views, setViews] = useState<SavedView[]>(() => loadViews());
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState('');
  const [copied, setCopied] = useState(false);

  const save = (e: Event): void => {
    e.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '') return;
    const next = withView(views, { name: trimmed, query });
    saveViews(next);
    setViews(next);
    setNaming(false);
    setName('');
  };
  const remove = (view: SavedView): void => {
    const next = views.filter((v) => v.name !== view.name);
    saveViews(next);
    setViews(next);
  };
  const copy = (): void => {
    void navigator.clipboard
      ?.writeText(location.href)
      .then(() => {
        setCopied(true);
        setTimeout(() => setCopied(false), 1500);
      })
      .catch(() => undefined);
  };

  return (
    <div class="saved-views">
      <button type="button" class="button button--ghost" onClick={copy} data-testid="chart-copy-link" title="Copy a link to this view">
        {copied ? 'Copied' : 'Copy link'}
      </button>
      {naming ? (
        <form class="saved-views__form" onSubmit={save}>
          <input
            type="text"
            required
            maxLength={60}
            placeholder="View name"
            aria-label="Name of the view"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            data-testid="saved-view-name"
            ref={(el) => el?.focus()}
          />
          <button type="submit" class="button">
            Save
          </button>
        </form>
      ) : (
        <button type="button" class="button button--ghost" onClick={() => setNaming(true)} data-testid="saved-view-save">
          Save view
        </button>
      )}
      {views.length > 0 && (
        <ul class="saved-views__list" aria-label="Saved views">
          {views.map((v) => (
            <li key={v.name} class="chip">
              <Link href={`/charts?${v.query}`} data-testid="saved-view">
                {v.name}
              </Link>
              <button type="button" class="chip__remove" aria-label={`Forget ${v.name}`} onClick={() => remove(v)}>
                ×
              </button>
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

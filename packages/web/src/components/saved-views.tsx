import { useEffect, useState } from 'preact/hooks';
import { Link } from '../lib/router';
import { viewsBackend, type SavedView } from '../state/saved-views';
import { Button } from './ui/button';
import { useToast } from './ui/toast';

/** Save the current chart (its URL) under a name (on the server, per user), open saved ones, copy the link. */
export function SavedViews({ query }: { query: string }) {
  const [views, setViews] = useState<SavedView[]>([]);
  const [naming, setNaming] = useState(false);
  const [name, setName] = useState('');
  const [copied, setCopied] = useState(false);
  const toast = useToast();

  useEffect(() => {
    viewsBackend()
      .list()
      .then(setViews, (e: Error) => toast.error(`Could not load your saved views: ${e.message}`));
  }, []);

  const save = (e: Event): void => {
    e.preventDefault();
    const trimmed = name.trim();
    if (trimmed === '') return;
    viewsBackend()
      .save({ name: trimmed, query })
      .then(
        (next) => {
          setViews(next);
          setNaming(false);
          setName('');
          toast.success(`View “${trimmed}” saved`);
        },
        (err: Error) => toast.error(`Could not save the view: ${err.message}`),
      );
  };
  const remove = (view: SavedView): void => {
    viewsBackend()
      .remove(view.name)
      .then(setViews, (err: Error) => toast.error(`Could not forget the view: ${err.message}`));
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
      <Button variant="ghost" onClick={copy} data-testid="chart-copy-link" title="Copy a link to this view">
        {copied ? 'Copied' : 'Copy link'}
      </Button>
      {naming ? (
        <form class="saved-views__form" onSubmit={save}>
          <input
            type="text"
            class="input"
            required
            maxLength={60}
            placeholder="View name"
            aria-label="Name of the view"
            value={name}
            onInput={(e) => setName(e.currentTarget.value)}
            onKeyDown={(e) => e.key === 'Escape' && setNaming(false)}
            data-testid="saved-view-name"
            ref={(el) => el?.focus()}
          />
          <Button type="submit" variant="primary">
            Save
          </Button>
        </form>
      ) : (
        <Button variant="ghost" onClick={() => setNaming(true)} data-testid="saved-view-save">
          Save view
        </Button>
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

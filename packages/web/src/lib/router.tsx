/**
 * A minimal history router: paths with `:params`, query strings as page state, back/forward. The server falls
 * back to index.html for unknown paths, so every URL is a deep link.
 */
import type { ComponentChildren, JSX } from 'preact';
import { useEffect, useState } from 'preact/hooks';

const NAVIGATE_EVENT = 'ma:navigate';

export interface Location {
  path: string;
  /** the query string without `?` */
  search: string;
}

const current = (): Location => ({ path: location.pathname, search: location.search.replace(/^\?/, '') });

/**
 * Go to `url` (path and optional query). `replace` rewrites the current history entry: for state that changes
 * often (chart zoom, channel ticks) so the back button leaves the page instead of undoing each click.
 */
export function navigate(url: string, options: { replace?: boolean } = {}): void {
  if (url === location.pathname + location.search) return;
  const samePath = url.split('?')[0] === location.pathname;
  if (options.replace) history.replaceState(null, '', url);
  else history.pushState(null, '', url);
  window.dispatchEvent(new Event(NAVIGATE_EVENT));
  if (!samePath) window.scrollTo(0, 0);
}

/** The current location; re-renders on navigation and back/forward. */
export function useLocation(): Location {
  const [loc, setLoc] = useState(current);
  useEffect(() => {
    const update = (): void => setLoc(current());
    window.addEventListener('popstate', update);
    window.addEventListener(NAVIGATE_EVENT, update);
    return () => {
      window.removeEventListener('popstate', update);
      window.removeEventListener(NAVIGATE_EVENT, update);
    };
  }, []);
  return loc;
}

/** Matches `/nodes/:name` against `/nodes/lab-1`; returns the decoded params, or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  const normalize = (p: string): string[] => p.replace(/\/+$/, '').split('/').filter(Boolean);
  const want = normalize(pattern);
  const got = normalize(path);
  if (want.length !== got.length) return null;
  const params: Record<string, string> = {};
  for (let i = 0; i < want.length; i++) {
    const w = want[i] as string;
    const g = got[i] as string;
    if (w.startsWith(':')) {
      try {
        params[w.slice(1)] = decodeURIComponent(g);
      } catch {
        return null;
      }
    } else if (w !== g) return null;
  }
  return params;
}

export type LinkProps = Omit<JSX.HTMLAttributes<HTMLAnchorElement>, 'href'> & {
  href: string;
  children: ComponentChildren;
};

/** An `<a>` that navigates in place (new tab, modified clicks and downloads behave as usual). */
export function Link({ href, children, ...rest }: LinkProps) {
  const onClick = (event: MouseEvent): void => {
    if (event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) {
      return;
    }
    event.preventDefault();
    navigate(href);
  };
  return (
    <a {...rest} href={href} onClick={onClick}>
      {children}
    </a>
  );
}

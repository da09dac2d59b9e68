import { useEffect, useState } from 'preact/hooks';
import type { LiveState } from '../api/live';
import { Link } from '../lib/router';
import { THEME_EVENT, currentTheme, setThemeChoice, type Theme } from '../lib/theme';
import type { EnabledRoute } from '../pages/routes';

const LIVE_TEXT: Record<LiveState, string> = {
  open: 'Live',
  connecting: 'Connecting…',
  closed: 'Reconnecting…',
};

export interface NavBarProps {
  path: string;
  live: LiveState;
  routes: readonly EnabledRoute[];
}

function isActive(route: EnabledRoute, path: string): boolean {
  return route.path === '/' ? path === '/' || path.startsWith('/nodes/') : path.startsWith(route.path);
}

function ThemeToggle() {
  const [theme, setTheme] = useState<Theme>(currentTheme);
  useEffect(() => {
    const update = (): void => setTheme(currentTheme());
    window.addEventListener(THEME_EVENT, update);
    return () => window.removeEventListener(THEME_EVENT, update);
  }, []);
  const next: Theme = theme === 'dark' ? 'light' : 'dark';
  return (
    <button
      type="button"
      class="icon-button"
      data-testid="theme-toggle"
      data-theme={theme}
      aria-label={`Switch to the ${next} theme`}
      title={`Switch to the ${next} theme`}
      onClick={() => setThemeChoice(next)}
    >
      {theme === 'dark' ? (
        <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
          <circle cx="10" cy="10" r="4" fill="currentColor" />
          <path d="M10 1.5v2.2M10 16.3v2.2M1.5 10h2.2M16.3 10h2.2M4 4l1.5 1.5M14.5 14.5 16 16M4 16l1.5-1.5M14.5 5.5 16 4" stroke="currentColor" stroke-width="1.6" stroke-linecap="round" />
        </svg>
      ) : (
        <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
          <path d="M16.5 12.5A7 7 0 0 1 7.5 3.5a7 7 0 1 0 9 9Z" fill="currentColor" />
        </svg>
      )}
    </button>
  );
}

export function NavBar({ path, live, routes }: NavBarProps) {
  return (
    <header class="topbar">
      <div class="topbar__inner">
        <Link href="/" class="brand" aria-label="Monitor Actuator, overview">
          <svg class="brand__logo" viewBox="0 0 32 32" width="28" height="28" aria-hidden="true">
            <rect width="32" height="32" rx="7" fill="currentColor" />
            <path
              d="M6 19h5l3-8 4 12 3-7h5"
              fill="none"
              stroke="var(--brand-ink)"
              stroke-width="2.6"
              stroke-linecap="round"
              stroke-linejoin="round"
            />
          </svg>
          <span class="brand__name">Monitor Actuator</span>
        </Link>
        <nav aria-label="Main" class="topbar__nav">
          <ul>
            {routes.map((route) => (
              <li key={route.path}>
                <Link
                  href={route.path}
                  class="topbar__link"
                  data-testid="nav-link"
                  aria-current={isActive(route, path) ? 'page' : undefined}
                >
                  {route.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`live-status live-status--${live}`} data-testid="live-status" data-state={live} role="status">
          <span class="live-status__dot" aria-hidden="true" />
          <span class="live-status__text">{LIVE_TEXT[live]}</span>
        </span>
        <ThemeToggle />
      </div>
    </header>
  );
}

import { useEffect, useRef, useState } from 'preact/hooks';
import type { LiveState } from '../api/live';
import { Link } from '../lib/router';
import { THEME_EVENT, currentTheme, setThemeChoice, type Theme } from '../lib/theme';
import type { EnabledRoute } from '../pages/routes';
import type { FiringAlerts } from '../state/firing-alerts';
import { plural } from '../lib/format';

const LIVE_TEXT: Record<LiveState, string> = {
  open: 'Live',
  connecting: 'Connecting…',
  closed: 'Reconnecting…',
};

export interface NavBarProps {
  path: string;
  live: LiveState;
  routes: readonly EnabledRoute[];
  firing: FiringAlerts;
  alertsEnabled: boolean;
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

/** The header's alert count: how many alerts fire now, in the danger colour, a link to the Alerts page. */
function AlertCount({ firing }: { firing: FiringAlerts }) {
  const n = firing.alerts.length;
  const critical = firing.alerts.some((a) => a.severity === 'critical');
  const first = firing.alerts[0];
  return (
    <Link
      href="/alerts"
      class={`alert-count${n > 0 ? ` alert-count--firing${critical ? ' alert-count--critical' : ''}` : ''}`}
      data-testid="header-alerts"
      data-count={n}
      title={n === 0 ? 'No alert is firing' : `${plural(n, 'alert')} firing${first ? `: ${first.node}, ${first.summary}` : ''}`}
      aria-label={n === 0 ? 'Alerts: none firing' : `Alerts: ${n} firing`}
    >
      <svg viewBox="0 0 20 20" width="16" height="16" aria-hidden="true">
        <path d="M10 2.5a5 5 0 0 0-5 5v3.2L3.5 14h13L15 10.7V7.5a5 5 0 0 0-5-5ZM8 16a2 2 0 0 0 4 0" fill="none" stroke="currentColor" stroke-width="1.6" stroke-linejoin="round" />
      </svg>
      {n > 0 && <span class="alert-count__text">{n} firing</span>}
    </Link>
  );
}

/** On a phone the pages move into a menu opened from the bar; every page stays one tap away. */
function PhoneMenu({ routes, path }: { routes: readonly EnabledRoute[]; path: string }) {
  const [open, setOpen] = useState(false);
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => setOpen(false), [path]);
  useEffect(() => {
    if (!open) return;
    const onKey = (e: KeyboardEvent): void => {
      if (e.key === 'Escape') setOpen(false);
    };
    const onClick = (e: MouseEvent): void => {
      if (box.current && !box.current.contains(e.target as Node)) setOpen(false);
    };
    document.addEventListener('keydown', onKey);
    document.addEventListener('click', onClick);
    return () => {
      document.removeEventListener('keydown', onKey);
      document.removeEventListener('click', onClick);
    };
  }, [open]);
  const current = routes.find((r) => isActive(r, path));
  return (
    <div class="phone-menu" ref={box}>
      <button type="button" class="phone-menu__button" aria-expanded={open} aria-controls="phone-menu-list" data-testid="nav-menu" onClick={() => setOpen(!open)}>
        <svg viewBox="0 0 20 20" width="18" height="18" aria-hidden="true">
          <path d={open ? 'm5 5 10 10M15 5 5 15' : 'M3 5.5h14M3 10h14M3 14.5h14'} stroke="currentColor" stroke-width="1.8" stroke-linecap="round" />
        </svg>
        <span>{current?.label ?? 'Menu'}</span>
      </button>
      <nav aria-label="Main" id="phone-menu-list" class="phone-menu__panel" hidden={!open}>
        <ul>
          {routes.map((route) => (
            <li key={route.path}>
              <Link href={route.path} class="phone-menu__link" data-testid="nav-menu-link" aria-current={isActive(route, path) ? 'page' : undefined}>
                {route.label}
              </Link>
            </li>
          ))}
        </ul>
      </nav>
    </div>
  );
}

export function NavBar({ path, live, routes, firing, alertsEnabled }: NavBarProps) {
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
        <PhoneMenu routes={routes} path={path} />
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
        {alertsEnabled && <AlertCount firing={firing} />}
        <span class={`live-status live-status--${live}`} data-testid="live-status" data-state={live} role="status">
          <span class="live-status__dot" aria-hidden="true" />
          <span class="live-status__text">{LIVE_TEXT[live]}</span>
        </span>
        <ThemeToggle />
      </div>
    </header>
  );
}

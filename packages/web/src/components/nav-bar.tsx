import type { LiveState } from '../api/live';
import { Link } from '../lib/router';
import { NAV_ROUTES } from '../pages/routes';

const LIVE_TEXT: Record<LiveState, string> = {
  open: 'Live',
  connecting: 'Connecting…',
  closed: 'Reconnecting…',
};

export interface NavBarProps {
  path: string;
  live: LiveState;
}

export function NavBar({ path, live }: NavBarProps) {
  return (
    <header class="topbar">
      <div class="topbar__inner">
        <Link href="/" class="brand">
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
            {NAV_ROUTES.map((route) => (
              <li key={route.path}>
                <Link href={route.path} class="topbar__link" aria-current={route.path === path ? 'page' : undefined}>
                  {route.label}
                </Link>
              </li>
            ))}
          </ul>
        </nav>
        <span class={`live-status live-status--${live}`} data-testid="live-status" data-state={live} role="status">
          <span class="live-status__dot" aria-hidden="true" />
          {LIVE_TEXT[live]}
        </span>
      </div>
    </header>
  );
}

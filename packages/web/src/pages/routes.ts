/**
 * The app's pages. A page appears in the nav bar once it has a component; the others are placeholders for
 * upcoming work, kept here so their paths are reserved in one place.
 */
import type { ComponentType } from 'preact';
import { OverviewPage } from './overview';

export interface PageRoute {
  path: string;
  /** nav bar label and document title */
  label: string;
  /** null while the page is not built yet (hidden from the nav bar, 404 if visited) */
  component: ComponentType | null;
}

export const ROUTES: readonly PageRoute[] = [
  { path: '/', label: 'Overview', component: OverviewPage },
  { path: '/alerts', label: 'Alerts', component: null },
  { path: '/photos', label: 'Photos', component: null },
  { path: '/access', label: 'Access', component: null },
  { path: '/users', label: 'Users', component: null },
];

export type EnabledRoute = PageRoute & { component: ComponentType };

export const NAV_ROUTES: readonly EnabledRoute[] = ROUTES.filter(
  (route): route is EnabledRoute => route.component !== null,
);

export function matchRoute(path: string): EnabledRoute | null {
  const normalized = path.length > 1 ? path.replace(/\/+$/, '') : path;
  return NAV_ROUTES.find((route) => route.path === normalized) ?? null;
}

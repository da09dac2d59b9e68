/**
 * The app's pages, one table: path pattern, nav label, component, and the server feature it needs. A page
 * with a `feature` appears (in the nav and at its URL) only when `GET /api/v1/features` says so; a page
 * whose component is null is a reserved slot. To add the Users page: give its row a component.
 */
import type { FeatureName } from '@ma/protocol';
import type { ComponentType } from 'preact';
import { isEnabled, type Features } from '../state/features';
import { matchPath } from '../lib/router';
import { AccountPage } from './account';
import { AccessEventsPage, AccessPage, TrainingsPage } from './access';
import { UsagePage } from './access-usage';
import { EquipmentListPage, EquipmentPage } from './equipment';
import { AlertsPage } from './alerts';
import { AuditPage } from './audit';
import { ChartsPage } from './charts';
import { NodePage } from './node';
import { OverviewPage } from './overview';
import { TokensPage } from './tokens';
import { UsersPage } from './users';

export interface PageProps {
  params: Record<string, string>;
  /** the query string, without `?` */
  search: string;
}

export interface PageRoute {
  path: string;
  /** nav bar label and document title */
  label: string;
  component: ComponentType<PageProps> | null;
  /** shown in the nav bar (pages with parameters are reached by links instead) */
  nav: boolean;
  feature?: FeatureName;
}

export const ROUTES: readonly PageRoute[] = [
  { path: '/', label: 'Overview', component: OverviewPage, nav: true },
  { path: '/charts', label: 'Charts', component: ChartsPage, nav: true },
  { path: '/nodes/:name', label: 'Node', component: NodePage, nav: false },
  { path: '/alerts', label: 'Alerts', component: AlertsPage, nav: true, feature: 'alerts' },
  { path: '/photos', label: 'Photos', component: null, nav: true, feature: 'photos' },
  { path: '/equipment', label: 'Equipment', component: EquipmentListPage, nav: true, feature: 'access' },
  { path: '/equipment/:name', label: 'Equipment', component: EquipmentPage, nav: false, feature: 'access' },
  { path: '/access', label: 'Access', component: AccessPage, nav: true, feature: 'access' },
  { path: '/access/trainings', label: 'Trainings', component: TrainingsPage, nav: false, feature: 'access' },
  { path: '/access/usage', label: 'Usage', component: UsagePage, nav: false, feature: 'access' },
  { path: '/access/events', label: 'Live events', component: AccessEventsPage, nav: false, feature: 'access' },
  { path: '/users', label: 'Users', component: UsersPage, nav: true, feature: 'users' },
  { path: '/tokens', label: 'Tokens', component: TokensPage, nav: true, feature: 'users' },
  { path: '/audit', label: 'Audit', component: AuditPage, nav: true, feature: 'users' },
  { path: '/account', label: 'Account', component: AccountPage, nav: true, feature: 'users' },
];

export type EnabledRoute = PageRoute & { component: ComponentType<PageProps> };

export function enabledRoutes(features: Features): EnabledRoute[] {
  return ROUTES.filter((r): r is EnabledRoute => r.component !== null && isEnabled(features, r.feature));
}

export function navRoutes(features: Features): EnabledRoute[] {
  return enabledRoutes(features).filter((r) => r.nav);
}

export function matchRoute(path: string, features: Features): { route: EnabledRoute; params: Record<string, string> } | null {
  for (const route of enabledRoutes(features)) {
    const params = matchPath(route.path, path);
    if (params !== null) return { route, params };
  }
  return null;
}

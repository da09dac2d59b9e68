import type { FastifyInstance } from 'fastify';
import type { HttpContext } from '../context.js';
import { registerChannelEditRoutes } from './channels-edit.js';
import { registerCsvRoutes } from './csv.js';
import { registerFeatureRoutes } from './features.js';
import { registerNodeHistoryRoutes } from './node-history.js';

/** The routes the dashboard needs beyond the telemetry API: features, CSV export, labels, connection history. */
export function registerDashboardRoutes(app: FastifyInstance, ctx: HttpContext): void {
  registerFeatureRoutes(app);
  registerCsvRoutes(app, ctx);
  registerChannelEditRoutes(app, ctx);
  registerNodeHistoryRoutes(app, ctx);
}

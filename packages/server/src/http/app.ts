import fastifyWebsocket from '@fastify/websocket';
import { ErrorCode, httpStatusFor, isMaError } from '@ma/protocol';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import fastifyCompress from '@fastify/compress';
import { registerAuthHooks } from './auth-hooks.js';
import { HttpContext, type HttpDeps } from './context.js';
import { registerAuditRoutes } from './routes/audit.js';
import { registerAuthRoutes } from './routes/auth.js';
import { registerEnrollmentRoutes } from './routes/enrollment.js';
import { registerTokenRoutes } from './routes/tokens.js';
import { registerPreferenceRoutes } from './routes/preferences.js';
import { registerNodeTagRoutes } from './routes/node-tags.js';
import { PreferencesStore } from '../preferences/preferences-store.js';
import { registerUserRoutes } from './routes/users.js';
import { registerImportExportRoutes } from './routes/import-export.js';
import { registerNodeLogRoutes } from './routes/node-logs.js';
import { registerNodeStatusRoutes } from './routes/node-status.js';
import { registerTunnelRoutes } from './routes/tunnels.js';
import { registerSecurityHeaders } from './security-headers.js';
import { clientErrorHandler, errorBody, frameworkErrors } from './framework-errors.js';
import { strictValidatorCompiler } from './strict-validator.js';
import { collectOpenApi } from './openapi.js';
import { registerAlertAckLinkRoutes } from './routes/alert-ack-link.js';
import { registerAlertRuleRoutes } from './routes/alert-rules.js';
import { registerAlertRoutes } from './routes/alerts.js';
import { registerChannelRoutes } from './routes/channels.js';
import { registerDashboardRoutes } from './routes/dashboard.js';
import { registerHealthRoutes } from './routes/health.js';
import { registerWebSocketRoutes } from './routes/live.js';
import { registerNodeRoutes } from './routes/nodes.js';
import { registerReadingRoutes } from './routes/readings.js';
import { registerStaticRoutes } from './routes/static.js';
import { EquipmentAccess } from './equipment-access.js';
import { registerActuatorRoutes } from './routes/actuators.js';
import { registerEquipmentRoutes } from './routes/equipment.js';
import { registerPeopleRoutes } from './routes/people.js';
import { registerTrainingAndUsageRoutes } from './routes/trainings-usage.js';
import { registerPhotoRoutes } from './routes/photos.js';

export type { HttpDeps } from './context.js';
export { defaultWebDist } from './routes/static.js';

/** Builds the HTTP server: one module per route group under routes/, shared helpers in context.ts. */
export async function buildHttpApp(deps: HttpDeps): Promise<FastifyInstance> {
  const app = Fastify({
    loggerInstance: deps.log.child({ name: 'server.http' }) as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: 1024 * 1024,
    // Long path parameters reach route validation (a clear 400 in our error format) instead of
    // the router's own 414, whose answer over a closing connection confused HTTP clients.
    // Under routerOptions: the top-level option is deprecated in fastify 5 (warning FSTDEP022).
    routerOptions: { maxParamLength: 2048 },
    // Errors raised before routing answer in our error format too (framework-errors.ts).
    frameworkErrors,
    clientErrorHandler,
    ...(deps.tls ? { https: { cert: deps.tls.cert, key: deps.tls.key, minVersion: 'TLSv1.2' as const } } : {}),
  });
  // Unknown body fields and wrong types are refused, never dropped or coerced (strict-validator.ts).
  app.setValidatorCompiler(strictValidatorCompiler());
  registerSecurityHeaders(app, { tls: deps.tls !== undefined });
  registerAuthHooks(app, deps.auth);
  const openapi = collectOpenApi(app, { title: 'Monitor Actuator API', version: deps.version });

  app.setErrorHandler((err: unknown, req, reply) => {
    if (isMaError(err)) {
      return reply.status(httpStatusFor(err.code)).send(errorBody(err.code, err.message));
    }
    const fe = err as { validation?: unknown; statusCode?: number; message?: string };
    if (fe.validation) {
      return reply.status(400).send(errorBody(ErrorCode.InputInvalid, fe.message ?? 'invalid request'));
    }
    if (fe.statusCode && fe.statusCode < 500) {
      return reply.status(fe.statusCode).send(errorBody(ErrorCode.InputInvalid, fe.message ?? 'bad request'));
    }
    req.log.error({ err }, 'request failed');
    return reply.status(500).send(errorBody(ErrorCode.Internal, 'internal error; see the server log'));
  });

  // API answers (JSON, CSV) above 1 KB go out compressed when the client accepts it; brotli at
  // quality 4 costs about what gzip does per request. Dashboard assets arrive precompressed from
  // the build (routes/static.ts) and are left alone (their Content-Encoding is already set).
  // WebSocket upgrades never pass through this onSend hook. Request bodies are not inflated: the
  // API takes plain JSON, as before, rather than a new input path to bound.
  await app.register(fastifyCompress, { threshold: 1024, encodings: ['br', 'gzip'], globalDecompression: false });

  // One WebSocket message may carry a whole MQTT packet; the broker's own limit
  // (mqtt.max_packet_bytes) is what refuses an oversized one, on every transport alike.
  await app.register(fastifyWebsocket, { options: { maxPayload: Math.max(1024 * 1024, (deps.broker?.maxPacketBytes ?? 0) + 16) } });

  const ctx = new HttpContext(deps);
  registerHealthRoutes(app, ctx, openapi);
  registerNodeRoutes(app, ctx);
  registerChannelRoutes(app, ctx);
  registerReadingRoutes(app, ctx);
  registerDashboardRoutes(app, ctx);
  registerAuthRoutes(app, ctx);
  registerUserRoutes(app, ctx);
  registerTokenRoutes(app, ctx);
  registerPreferenceRoutes(app, ctx, new PreferencesStore(deps.store));
  registerNodeTagRoutes(app, ctx);
  registerAuditRoutes(app, ctx);
  registerEnrollmentRoutes(app, ctx);
  registerAlertRuleRoutes(app, ctx);
  registerAlertRoutes(app, ctx);
  registerAlertAckLinkRoutes(app, ctx);
  registerWebSocketRoutes(app, ctx);
  if (deps.tunnels) registerTunnelRoutes(app, ctx, deps.tunnels);
  registerNodeStatusRoutes(app, ctx);
  registerNodeLogRoutes(app, ctx);
  registerImportExportRoutes(app, ctx);
  if (deps.equipment) {
    const eqa = new EquipmentAccess(ctx, deps.equipment);
    registerEquipmentRoutes(app, ctx, eqa);
    registerActuatorRoutes(app, ctx, eqa);
    registerPeopleRoutes(app, ctx, eqa);
    registerTrainingAndUsageRoutes(app, ctx, eqa);
  }
  if (deps.photos) registerPhotoRoutes(app, ctx, deps.photos.service, deps.photos.maxChunkBytes);
  await registerStaticRoutes(app, deps.webDistDir);
  return app;
}

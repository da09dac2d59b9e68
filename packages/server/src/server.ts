import { readFileSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { dirname, resolve as resolvePath } from 'node:path';
import type { Logger } from 'pino';
import { startAlerts } from './alerts/alerts-service.js';
import { hashToken } from './broker/credentials.js';
import { EmbeddedBroker } from './broker/embedded-broker.js';
import { DynsecProvisioner } from './mqtt-external/dynsec.js';
import { ExternalBroker } from './mqtt-external/external-broker.js';
import { externalBrokerOptions } from './mqtt-external/external-config.js';
import { resolveDatabaseUrl, type LoadedServerConfig } from './config/load.js';
import { buildHttpApp, defaultWebDist } from './http/app.js';
import { Ingest } from './ingest/ingest.js';
import { LiveHub } from './live/live-hub.js';
import { NodeRegistry } from './nodes/node-registry.js';
import { OfflineSweeper } from './nodes/offline-sweeper.js';
import { authDatabase } from './auth/auth-database.js';
import { AuthService } from './auth/auth-service.js';
import { EnrollmentService } from './enrollment/enrollment-service.js';
import { EnrollmentStore } from './enrollment/enrollment-store.js';
import { EquipmentService } from './equipment/equipment-service.js';
import { loadAccessKeys } from './access/access-keys.js';
import { PhotoService } from './cameras/photo-service.js';
import { PhotosStore } from './cameras/photos-store.js';
import { openStore } from './store/open-store.js';
import { loadServerTls } from './tls/server-tls.js';
import type { Store } from './store/store.js';
import { TunnelsStore } from './store/tunnels-store.js';
import { TunnelService } from './tunnels/tunnel-service.js';

export const SERVER_VERSION: string = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

export interface RunningServer {
  /** Base URL of the HTTP server, e.g. http://127.0.0.1:8080 */
  url: string;
  httpPort: number;
  /** Bound MQTT TCP port, when enabled. */
  mqttTcpPort: number | undefined;
  mqttUrl: string;
  store: Store;
  registry: NodeRegistry;
  stop(): Promise<void>;
}

/** Starts the control point: store, embedded broker, ingest, HTTP API and dashboard. */
export async function startServer(loaded: LoadedServerConfig, log: Logger): Promise<RunningServer> {
  const { config, dataDir } = loaded;
  const configHint = loaded.file ?? 'the server config file';
  await mkdir(dataDir, { recursive: true });
  const store = await openStore({ url: resolveDatabaseUrl(config.database.url, dataDir), log: log.child({ name: 'server.store' }) });
  await store.migrate();

  const live = new LiveHub();
  const ingest = new Ingest(store, live, log.child({ name: 'server.ingest' }));
  const external = config.mqtt.external;
  const accessKeys = await loadAccessKeys(dataDir);
  const registry = new NodeRegistry(store, external ? 'server' : 'puback', accessKeys.publicKeyPem);
  const markOffline = async (nodeId: number, name: string): Promise<void> => {
    await store.setNodeStatus(nodeId, { online: false });
    live.publish({ type: 'status', node: name, online: false, last_seen: (await store.getNodeById(nodeId))?.last_seen ?? null });
  };
  const brokerLog = log.child({ name: 'server.broker' });
  const broker = new EmbeddedBroker({
    findNode: (name) => store.getNodeByName(name),
    ingest: (node, kind, payload) => ingest.handle(node, kind, payload),
    countRefusal: (nodeId, counter, reason) => store.addNodeStats(nodeId, { [counter]: 1 }, { reason, at: Date.now() }),
    onDisconnect: (node) => {
      void markOffline(node.id, node.name).catch((err: unknown) => brokerLog.error({ err, node: node.name }, 'could not mark node offline'));
    },
    log: brokerLog,
    maxPacketBytes: config.mqtt.max_packet_bytes,
  });
  // A changed or revoked credential ends the node's open connection at once.
  registry.addListener({ issued: async (name) => broker.disconnectNode(name), revoked: async (name) => broker.disconnectNode(name) });

  // Scale-out mode: nodes connect to an external broker and the server ingests from it.
  let externalBroker: ExternalBroker | undefined;
  if (external) {
    const known = new Map<string, { id: number; name: string }>();
    externalBroker = new ExternalBroker(await externalBrokerOptions(external, loaded.file), {
      findNode: async (name) => {
        const hit = known.get(name);
        if (hit) return hit;
        const row = await store.getNodeByName(name);
        if (row) known.set(name, { id: row.id, name: row.name });
        return row ? { id: row.id, name: row.name } : undefined;
      },
      ingest: (node, kind, payload) => ingest.handle(node, kind, payload),
      log: log.child({ name: 'server.mqtt-external' }),
    });
    if (external.provisioning === 'mosquitto-dynsec') registry.addListener(new DynsecProvisioner(externalBroker.client, log.child({ name: 'server.mqtt-external' })));
  }

  const adminTokenHashes = [...config.api.admin_token_sha256];
  if (process.env.MA_ADMIN_TOKEN) adminTokenHashes.push(hashToken(process.env.MA_ADMIN_TOKEN));
  const tls = config.http.tls ? await loadServerTls(config.http.tls, loaded.file) : undefined;
  const auth = new AuthService(authDatabase(store), {
    sessionIdleMs: config.auth.session_idle,
    sessionMaxMs: config.auth.session_max,
    bootstrapTokenHashes: adminTokenHashes,
    secureCookies: tls !== undefined,
    log: log.child({ name: 'server.auth' }),
  });
  let publicUrl = '';
  const enrollment = new EnrollmentService(new EnrollmentStore(authDatabase(store)), {
    ttlMs: config.auth.enrollment_ttl,
    caFingerprint: tls?.caFingerprint,
    publicUrl: () => publicUrl,
  });

  // Alert rules see every reading ingest stores from here on (started before the broker listens).
  const alerts = await startAlerts({
    store,
    ingest,
    live,
    config: config.alerts,
    configDir: loaded.file ? path.dirname(loaded.file) : process.cwd(),
    publicUrl: () => publicUrl,
    log,
  });

  // Equipment and access control (issue #14): scan decisions, allow-lists, commands, sessions.
  const equipment = await EquipmentService.start(
    {
      store,
      ingest,
      live,
      publish: (topic, payload, opts) => (externalBroker ? externalBroker.publish(topic, payload, opts) : broker.publish(topic, payload, opts)),
      audit: (entry) => auth.audit(entry),
      log,
      config: config.equipment,
    },
    dataDir,
  );

  // Reverse SSH tunnels (issue #7): node keys, the generated authorized_keys, end-to-end checks.
  const tunnelsConfig = config.tunnels;
  const authorizedKeysFile = tunnelsConfig.authorized_keys_file ? resolvePath(loaded.file ? dirname(loaded.file) : process.cwd(), tunnelsConfig.authorized_keys_file) : undefined;
  const tunnelsStore = new TunnelsStore(store);
  const tunnels = new TunnelService({
    store: tunnelsStore,
    portBase: config.nodes.tunnel_port_base,
    authorizedKeysFile,
    checkIntervalMs: tunnelsConfig.check_interval,
    log: log.child({ name: 'server.tunnels' }),
  });
  await tunnels.start();

  // Photos from node cameras (issue #16): files by sha256 under cameras.dir, rows in the database.
  const photos = new PhotoService(new PhotosStore(store), {
    dir: resolvePath(dataDir, config.cameras.dir),
    thumbnailWidth: config.cameras.thumbnail_width,
    maxPhotoBytes: config.cameras.max_photo_bytes,
    log: log.child({ name: 'server.cameras' }),
    retention: { maxAgeMs: config.cameras.retention.max_age, maxCount: config.cameras.retention.max_count, maxBytes: config.cameras.retention.max_bytes },
  });
  await photos.start();
  const retentionTimer = setInterval(() => {
    photos.applyRetention().catch((err: unknown) => log.error({ err }, 'photo retention failed; retrying at the next check'));
  }, config.cameras.retention.check_interval);
  retentionTimer.unref();

  let mqttUrl = '';
  const app = await buildHttpApp({
    store,
    broker: config.mqtt.websocket && !external ? broker : undefined,
    live,
    registry,
    log,
    version: SERVER_VERSION,
    tunnelPortBase: config.nodes.tunnel_port_base,
    offlineAfterMs: config.nodes.offline_after,
    auth,
    tls,
    enrollment,
    disconnectNode: (name) => broker.disconnectNode(name),
    mqttUrl: () => mqttUrl,
    webDistDir: config.web.dist_dir ?? defaultWebDist(),
    tunnels: { service: tunnels, sshd: { host: tunnelsConfig.sshd_host, port: tunnelsConfig.sshd_port }, user: tunnelsConfig.user, authorizedKeysFile, store: tunnelsStore },
    alerts,
    equipment,
    photos: { service: photos, maxChunkBytes: config.cameras.max_chunk_bytes },
  });

  let mqttTcpPort: number | undefined;
  const sweeper = new OfflineSweeper(store, config.nodes.offline_after, (n) => markOffline(n.id, n.name), log.child({ name: 'server.nodes' }));
  try {
    if (externalBroker) await externalBroker.start();
    else if (config.mqtt.tcp.enabled) mqttTcpPort = await broker.listenTcp(config.mqtt.tcp.host, config.mqtt.tcp.port, configHint, tls);
    await app.listen({ host: config.http.host, port: config.http.port });
  } catch (e) {
    clearInterval(retentionTimer);
    await externalBroker?.close();
    await broker.close();
    await app.close();
    equipment.stop();
    await alerts.stop();
    await store.close();
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'EADDRINUSE') {
      throw new Error(
        `HTTP port ${config.http.host}:${config.http.port} is already in use. Choose another with http.port in ${configHint} or MA_HTTP_PORT.`,
        { cause: e },
      );
    }
    throw e;
  }
  const httpPort = (app.server.address() as AddressInfo).port;
  const host = config.http.host === '0.0.0.0' || config.http.host === '::' ? 'localhost' : config.http.host;
  const url = `${tls ? 'https' : 'http'}://${host.includes(':') ? `[${host}]` : host}:${httpPort}`;
  publicUrl = (config.http.public_url ?? url).replace(/\/$/, '');
  mqttUrl = external ? external.url : `${publicUrl.replace(/^http/, 'ws')}/mqtt`;
  sweeper.start();
  log.info({ url, mqtt_tcp_port: mqttTcpPort, database: store.dialect }, 'server started');

  return {
    url,
    httpPort,
    mqttTcpPort,
    mqttUrl,
    store,
    registry,
    stop: async () => {
      clearInterval(retentionTimer);
      sweeper.stop();
      tunnels.stop();
      await externalBroker?.close();
      await broker.close();
      await app.close();
      equipment.stop();
      await alerts.stop();
      await store.close();
    },
  };
}

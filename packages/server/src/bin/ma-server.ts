#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { isMaError } from '@ma/protocol';
import { pino } from 'pino';
import { loadServerConfig, resolveDatabaseUrl } from '../config/load.js';
import { NodeRegistry } from '../nodes/node-registry.js';
import { DynsecProvisioner } from '../mqtt-external/dynsec.js';
import { externalBrokerOptions } from '../mqtt-external/external-config.js';
import { connectAsync, type MqttClient } from 'mqtt';
import { SERVER_VERSION, startServer } from '../server.js';
import { openStore } from '../store/open-store.js';
import { loadAccessKeys } from '../access/access-keys.js';

const HELP = `ma-server ${SERVER_VERSION}: the Monitor Actuator control point

Usage:
  ma-server [serve] [--config server.yaml]     start the server (broker, ingest, API, dashboard)
  ma-server node add <name> [--display-name <text>] [--mqtt-url <url>] [--config server.yaml]
                                               create a node; prints its agent.yaml with its credential (shown once)
  ma-server node rotate <name> [--config server.yaml]
                                               issue a new credential for a node (the old one stops working)
  ma-server node list [--config server.yaml]   list nodes
  ma-server --version | --help

Environment: MA_DATABASE_URL, MA_HTTP_HOST, MA_HTTP_PORT, MA_MQTT_TCP_PORT, MA_LOG_LEVEL, MA_ADMIN_TOKEN
override the config file (see docs/configuration.md).
`;

const NODE_COMMANDS = ['add', 'rotate', 'list'];

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      'display-name': { type: 'string' },
      'mqtt-url': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
    },
  });
  if (values.help) {
    // `ma-server <command> --help` of a command that does not exist is an error, not the help.
    const [cmd, sub] = positionals;
    if ((cmd !== undefined && cmd !== 'serve' && cmd !== 'node') || (cmd === 'node' && sub !== undefined && !NODE_COMMANDS.includes(sub))) {
      process.stderr.write(`ma-server: unknown command "${positionals.join(' ')}"; expected serve, or node ${NODE_COMMANDS.join('|')} (ma-server --help)\n`);
      return 2;
    }
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${SERVER_VERSION}\n`);
    return 0;
  }
  const loaded = await loadServerConfig(values.config);
  const [command = 'serve', sub, name] = positionals;

  if (command === 'serve') {
    const log = pino({ name: 'server', level: loaded.config.log.level });
    const server = await startServer(loaded, log);
    const shutdown = (signal: string) => {
      log.info({ signal }, 'shutting down');
      server.stop().then(
        () => process.exit(0),
        (err: unknown) => {
          log.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
    return -1; // keep running
  }

  if (command === 'node') {
    const store = await openStore({ url: resolveDatabaseUrl(loaded.config.database.url, loaded.dataDir) });
    const external = loaded.config.mqtt.external;
    let provisioningClient: MqttClient | undefined;
    try {
      await store.migrate();
      const registry = new NodeRegistry(store, external ? 'server' : 'puback', (await loadAccessKeys(loaded.dataDir)).publicKeyPem);
      if (external?.provisioning === 'mosquitto-dynsec' && (sub === 'add' || sub === 'rotate')) {
        // Node accounts on the external broker follow the credential, as when the server issues it.
        const o = await externalBrokerOptions(external, loaded.file);
        provisioningClient = await connectAsync(o.url, { username: o.username, ...(o.password !== undefined ? { password: o.password } : {}), ...(o.ca ? { ca: o.ca } : {}), rejectUnauthorized: true, protocolVersion: 4, reconnectPeriod: 0 });
        registry.addListener(new DynsecProvisioner(provisioningClient, pino({ level: 'warn' })));
      }
      const host = loaded.config.http.host === '0.0.0.0' ? 'localhost' : loaded.config.http.host;
      const mqttUrl = values['mqtt-url'] ?? external?.url ?? `${(loaded.config.http.public_url ?? `http://${host}:${loaded.config.http.port}`).replace(/^http/, 'ws').replace(/\/$/, '')}/mqtt`;
      if (sub === 'add' && name) {
        const { node, credential } = await registry.create(name, values['display-name']);
        process.stderr.write(`created node ${node.name} (id ${node.id}); its credential is shown once, below:\n`);
        process.stdout.write(registry.agentConfig(node.name, credential, mqttUrl));
        return 0;
      }
      if (sub === 'rotate' && name) {
        const { node, credential } = await registry.rotate(name);
        process.stderr.write(`new credential for node ${node.name}; the old one no longer works. Connected agents using it are refused at their next connect.\n`);
        process.stdout.write(registry.agentConfig(node.name, credential, mqttUrl));
        return 0;
      }
      if (sub === 'list') {
        const nodes = await store.listNodes();
        if (nodes.length === 0) process.stdout.write(`no nodes yet: add one with \`ma-server node add <name>${values.config ? ` --config ${values.config}` : ''}\`\n`);
        for (const n of nodes) {
          process.stdout.write(`${String(n.id).padStart(4)}  ${n.name.padEnd(24)} ${n.online ? 'online ' : 'offline'}  last seen ${n.last_seen ? new Date(n.last_seen).toISOString() : 'never'}\n`);
        }
        return 0;
      }
    } finally {
      await provisioningClient?.endAsync();
      await store.close();
    }
  }
  if (command === 'node' && (sub === 'add' || sub === 'rotate') && !name) process.stderr.write(`ma-server: node ${sub} needs the node's <name>, e.g. ma-server node ${sub} freezer-room --config server.yaml\n`);
  else process.stderr.write(`ma-server: unknown command "${positionals.join(' ')}"; expected serve, or node ${NODE_COMMANDS.join('|')}\n\n${HELP}`);
  return 2;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ma-server: ${isMaError(err) || err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

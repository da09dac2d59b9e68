#!/usr/bin/env node
import { parseArgs } from 'node:util';
import { isMaError } from '@ma/protocol';
import { startAgent } from '../agent.js';
import { loadAgentConfig } from '../config/load.js';
import { drivers } from '../drivers/registry.js';
import { multistream, pino, type Level } from 'pino';
import { createLogger } from '../logger.js';
import { LogRing } from '../remote-logs/log-ring.js';
import { AGENT_VERSION } from '../node-info.js';
import { OUTBOX_HELP, runOutboxCommand } from './outbox-command.js';
import { OutputClosed, streamSink } from './output-sink.js';

const HELP = `ma-agent ${AGENT_VERSION}: the Monitor Actuator node agent

Usage:
  ma-agent [run] --config agent.yaml   sample the configured drivers and send readings to the server
  ma-agent check --config agent.yaml   validate the config and list the channels each driver finds,
                                       the actuators with their safety settings, readers and equipment
  ma-agent drivers                     list the available drivers
  ma-agent enroll <server-url> <token> [--config agent.yaml] [--data-dir dir] [--force]
                                       trade a one-time enrollment token (from \`ma node add\`) for this
                                       node's credential; writes agent.yaml (and ca.pem, the pinned CA)
  ma-agent outbox inspect|export|replay --config agent.yaml   the outbox recovery tool (see below)
  ma-agent tunnel-key --config agent.yaml   create the node's tunnel key if missing; print its public half
  ma-agent ws-proxy <wss://server/tunnel/ssh>   ssh ProxyCommand over the server's HTTPS port (the tunnel runs it)
  ma-agent --version | --help

${OUTBOX_HELP}
Environment: MA_AGENT_MQTT_URL, MA_AGENT_DATA_DIR override the config; MA_LOG_LEVEL sets the log level.
`;

const COMMANDS = ['run', 'check', 'drivers', 'enroll', 'outbox', 'tunnel-key', 'ws-proxy'];

function unknownCommand(command: string): number {
  process.stderr.write(`ma-agent: unknown command "${command}"; expected one of ${COMMANDS.join(', ')} (ma-agent --help)\n`);
  return 2;
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      config: { type: 'string', short: 'c' },
      help: { type: 'boolean', short: 'h' },
      version: { type: 'boolean' },
      // outbox tool
      all: { type: 'boolean' },
      from: { type: 'string' },
      to: { type: 'string' },
      format: { type: 'string' },
      batch: { type: 'string' },
      force: { type: 'boolean' },
      // enroll
      'data-dir': { type: 'string' },
    },
  });
  if (values.help) {
    // `ma-agent <command> --help` of a command that does not exist is an error, not the help.
    if (positionals[0] !== undefined && !COMMANDS.includes(positionals[0])) return unknownCommand(positionals[0]);
    process.stdout.write(HELP);
    return 0;
  }
  if (values.version) {
    process.stdout.write(`${AGENT_VERSION}\n`);
    return 0;
  }
  const command = positionals[0] ?? 'run';
  if (command === 'drivers') {
    for (const d of Object.values(drivers)) process.stdout.write(`${d.id.padEnd(12)} ${d.description}\n`);
    return 0;
  }
  if (command === 'ws-proxy') {
    // stdout is ssh's data channel here: nothing else may be written to it.
    const { runWsProxy, wsProxyFromEnv } = await import('../ws-proxy/ws-proxy.js');
    if (!positionals[1]) throw new Error('usage: ma-agent ws-proxy <ws[s]://server/tunnel/ssh>');
    await runWsProxy({ ...(await wsProxyFromEnv(positionals[1])), input: process.stdin, output: process.stdout });
    return 0;
  }
  if (command === 'enroll') {
    const [, serverUrl, token] = positionals;
    if (!serverUrl || !token) {
      process.stderr.write(`ma-agent: enroll needs <server-url> <token>\n\n${HELP}`);
      return 2;
    }
    const { enroll } = await import('../enroll/enroll.js');
    const r = await enroll({ serverUrl, token, configFile: values.config ?? 'agent.yaml', ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}), ...(values.force ? { force: true } : {}) });
    process.stdout.write(`enrolled as node ${r.node}; wrote ${r.configFile}${r.caFile ? ` and ${r.caFile} (pinned CA)` : ''}. Add drivers, then: ma-agent run --config ${r.configFile}\n`);
    return 0;
  }
  if (command !== 'run' && command !== 'check' && command !== 'outbox' && command !== 'tunnel-key') return unknownCommand(command);
  if (!values.config) {
    process.stderr.write(`ma-agent: --config <agent.yaml> is required\n\n${HELP}`);
    return 2;
  }
  const loaded = await loadAgentConfig(values.config);
  if (command === 'outbox') {
    const sink = streamSink(process.stdout);
    try {
      return await runOutboxCommand(positionals[1], loaded, values, (s) => sink.write(s));
    } catch (e) {
      // `... | head -1`: the reader has what it wanted. A closed output ends the command quietly.
      if (e instanceof OutputClosed) return 0;
      throw e;
    }
  }
  if (command === 'tunnel-key') {
    const { ensureTunnelKey } = await import('../tunnel/start-tunnel.js');
    const path = await import('node:path');
    process.stdout.write(`${await ensureTunnelKey(path.resolve(loaded.dataDir, loaded.config.tunnel.key_file), loaded.config.node)}\n`);
    return 0;
  }
  const log = createLogger('agent');

  if (command === 'check') {
    const { getDriver } = await import('../drivers/registry.js');
    const abort = new AbortController();
    for (const d of loaded.drivers) {
      const instance = getDriver(d.id).create(d.config, { log, now: Date.now });
      await instance.start(abort.signal);
      for (const c of instance.channels()) {
        let value = '';
        if (instance.read) {
          try {
            value = `${await instance.read(c.key)} ${c.unit}`;
          } catch (e) {
            value = `unavailable: ${(e as Error).message}`;
          }
        }
        process.stdout.write(`${c.key.padEnd(40)} ${(c.label ?? '').padEnd(16)} ${value}\n`);
      }
      await instance.stop();
    }
    const { describeEquipment } = await import('../config/describe-equipment.js');
    for (const line of describeEquipment(loaded)) process.stdout.write(`${line}\n`);
    process.stdout.write(`config ${loaded.file} is valid\n`);
    return 0;
  }

  // The same log lines also go to a ring that `ma logs <node>` reads through the server.
  const logRing = new LogRing(1000);
  const teeLog = pino({ name: 'agent', level: log.level, base: { pid: process.pid } }, multistream([{ level: log.level as Level, stream: process.stdout }, { level: log.level as Level, stream: logRing }]));
  const agent = await startAgent(loaded, teeLog, { logRing });
  const shutdown = (signal: string) => {
    log.info({ signal, stop_timeout_ms: loaded.config.stop_timeout }, 'stopping');
    // The stop bounds every step but the outbox's own writes; if it still has not ended, the
    // disk itself hangs, so this touches it no more and exits. Readings that were only in memory
    // are counted as dropped at the next start (the outbox recorded them before accepting them).
    const backstop = setTimeout(() => {
      log.error({ stop_timeout_ms: loaded.config.stop_timeout }, 'stop did not finish in time (the disk does not respond); exiting now');
      process.exit(1);
    }, loaded.config.stop_timeout + 2000);
    backstop.unref();
    agent.stop().then(
      () => {
        log.info({ signal }, 'stopped');
        process.exit(0);
      },
      (err: unknown) => {
        log.error({ err }, 'stop failed');
        agent.abandon();
        process.exit(1);
      },
    );
  };
  process.once('SIGINT', () => shutdown('SIGINT'));
  process.once('SIGTERM', () => shutdown('SIGTERM'));
  return -1;
}

main(process.argv.slice(2)).then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`ma-agent: ${isMaError(err) || err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);

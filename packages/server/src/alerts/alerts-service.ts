import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';
import type { Logger } from 'pino';
import type { Ingest } from '../ingest/ingest.js';
import type { LiveHub } from '../live/live-hub.js';
import { DEFAULT_DISPATCH, Dispatcher } from '../notify/dispatcher.js';
import { EmailSender, type SmtpSettings } from '../notify/email-sender.js';
import { makeSender } from '../notify/senders.js';
import { AlertsStore } from '../store/alerts-store.js';
import type { Store } from '../store/store.js';
import type { AlertsConfig } from './config-schema.js';
import { AlertEngine } from './engine.js';
import { grantsRecipientPolicy } from './recipient-policy.js';
import { authDatabase } from '../auth/auth-database.js';
import { GrantsStore } from '../users/grants-store.js';

export interface AlertsService {
  engine: AlertEngine;
  store: AlertsStore;
  dispatcher: Dispatcher;
  stop(): Promise<void>;
}

/** Reads the SMTP settings' files (password, pinned CA) relative to the config file. */
export async function smtpSettings(config: AlertsConfig, configDir: string, env: NodeJS.ProcessEnv = process.env): Promise<SmtpSettings | undefined> {
  const smtp = config.smtp;
  if (!smtp) return undefined;
  const read = async (key: string, file: string): Promise<string> => {
    const abs = path.resolve(configDir, file);
    try {
      return await readFile(abs, 'utf8');
    } catch (e) {
      throw new MaError(ErrorCode.ConfigInvalid, `alerts.smtp.${key}: cannot read ${abs} (${(e as NodeJS.ErrnoException).code ?? String(e)}); give a readable file`, { cause: e });
    }
  };
  const password = smtp.password_file ? (await read('password_file', smtp.password_file)).trim() : env.MA_SMTP_PASSWORD;
  if (smtp.user && !password) throw new MaError(ErrorCode.ConfigInvalid, 'alerts.smtp.user is set but no password: give alerts.smtp.password_file or set MA_SMTP_PASSWORD');
  return {
    host: smtp.host,
    port: smtp.port,
    security: smtp.security,
    user: smtp.user,
    password,
    from: smtp.from,
    ca: smtp.ca_file ? await read('ca_file', smtp.ca_file) : undefined,
  };
}

/** Starts the alert engine and the notification dispatcher, fed by ingest. */
export async function startAlerts(deps: {
  store: Store;
  ingest: Ingest;
  live: LiveHub;
  config: AlertsConfig;
  configDir: string;
  publicUrl: () => string;
  log: Logger;
}): Promise<AlertsService> {
  const smtp = await smtpSettings(deps.config, deps.configDir);
  const email = smtp ? new EmailSender(smtp) : undefined;
  const store = new AlertsStore(deps.store);
  const notifyLog = deps.log.child({ name: 'server.notify' });
  const dispatcher = new Dispatcher(store, makeSender(email), notifyLog, {
    ...DEFAULT_DISPATCH,
    baseBackoffMs: deps.config.retry_backoff,
    maxAttempts: deps.config.retry_attempts,
  });
  const engine = new AlertEngine(deps.store, store, dispatcher, deps.log.child({ name: 'server.alerts' }), {
    evaluateEveryMs: deps.config.evaluate_every,
    lateAfterMs: deps.config.late_after,
    publicUrl: deps.publicUrl,
    policy: grantsRecipientPolicy(deps.store),
    nodeTags: () => new GrantsStore(authDatabase(deps.store)).allNodeTags(),
  });
  await engine.start();
  const unobserve = deps.ingest.observe({
    readings: (node, rows, now) => engine.readings(node, rows, now),
    events: (node, events, now) => engine.events(node, events, now),
    status: (node, status, now) => engine.status(node, status, now),
  });
  // A renamed or relabelled channel is matched against label rules afresh.
  const unsubscribe = deps.live.subscribe({
    send: (m) => {
      if (m.type === 'channel') engine.refreshChannel(m.channel.id);
      return true;
    },
  });
  dispatcher.start();
  return {
    engine,
    store,
    dispatcher,
    stop: async () => {
      unobserve();
      unsubscribe();
      await engine.stop();
      await dispatcher.stop();
      email?.close();
    },
  };
}

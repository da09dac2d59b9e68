/**
 * Equipment on a node, wired together: actuator controllers over the configured actuator
 * drivers, the durable lock-out store, server-loss safe states, the command handler, and
 * (when readers are configured) the signed allow-list, sessions and access decisions.
 * Loaded by the agent only when the config has actuators, readers or equipment.
 */
import path from 'node:path';
import { topics, type AllowListReport, type EquipmentEvent } from '@ma/protocol';
import { AccessController, type EquipmentUnit } from '../access/access-controller.js';
import { AllowListStore } from '../access/allow-list-store.js';
import { createReader } from '../access/readers/create-reader.js';
import type { CardReader } from '../access/readers/reader.js';
import { Session } from '../access/session.js';
import { ActuatorController } from '../actuators/actuator-controller.js';
import { actuatorSettingsSchema } from '../actuators/actuators-config.js';
import { ChannelValues } from '../actuators/channel-values.js';
import { LockoutStore } from '../actuators/lockout-store.js';
import { actuatorNames } from '../config/equipment-config-check.js';
import type { LoadedAgentConfig } from '../config/load.js';
import type { DriverInstance } from '../drivers/driver.js';
import type { Logger } from '../logger.js';
import { CommandHandler } from './command-handler.js';
import type { NodeLink } from './node-link.js';

export interface EquipmentNode {
  readonly actuators: ReadonlyMap<string, ActuatorController>;
  readonly access: AccessController | undefined;
  readonly commands: CommandHandler;
  /** Every local reading (interlocks and idle detection read them). */
  onReading(ch: string, v: number, ts: number): void;
  status(): { allow_list?: AllowListReport };
  /** Applies safe states and stops readers; call before the drivers stop. */
  stop(): Promise<void>;
}

export interface EquipmentDeps {
  loaded: LoadedAgentConfig;
  link: NodeLink;
  /** Driver instances in the order of `loaded.drivers`. */
  drivers: ReadonlyArray<{ id: string; instance: DriverInstance }>;
  log: Logger;
  now(): number;
  /** Appends a reading (actuator state 0/1) to the outbox. */
  reading(ch: string, v: number, ts: number): void;
  /** The status changed (allow-list version): publish it. */
  statusChanged(): void;
}

export async function startEquipment(deps: EquipmentDeps): Promise<EquipmentNode> {
  const { loaded, link, log, now } = deps;
  const { config } = loaded;
  const node = config.node;
  const values = new ChannelValues();
  const emit = (e: EquipmentEvent): void => link.publishEquipmentEvent(e);
  const lockouts = new LockoutStore(path.join(loaded.dataDir, 'equipment', 'lockouts.json'), log.child({ name: 'agent.lockout' }));
  await lockouts.load();

  const equipmentOf = new Map<string, string>();
  for (const [eq, s] of Object.entries(config.equipment)) for (const a of s.actuators) equipmentOf.set(a, eq);

  const names = actuatorNames(loaded.drivers);
  const actuators = new Map<string, ActuatorController>();
  loaded.drivers.forEach((section, i) => {
    const name = (section.config as { name?: string }).name;
    if (!name || !names.has(name)) return;
    const instance = deps.drivers[i]!.instance;
    const settings = config.actuators[name] ?? actuatorSettingsSchema.parse({});
    const power = settings.power_channel ?? instance.channels().find((c) => c.key === `${name}/power`)?.key;
    let lastState: string | undefined;
    actuators.set(
      name,
      new ActuatorController({
        name,
        settings,
        driver: instance,
        lockouts,
        values,
        log: log.child({ name: `agent.actuator.${name}` }),
        now,
        emit,
        publishState: (s) => {
          link.publish(topics.state(node, name), JSON.stringify(s), { retain: true });
          if (s.state !== lastState && (s.state === 'on' || s.state === 'off')) {
            // The actuator's own value is a channel too: for interlocks ("fan == 1") and charts.
            values.set(name, s.state === 'on' ? 1 : 0, s.ts);
            deps.reading(name, s.state === 'on' ? 1 : 0, s.ts);
          }
          lastState = s.state;
        },
        ...(power ? { powerChannel: power } : {}),
        ...(equipmentOf.has(name) ? { equipment: equipmentOf.get(name)! } : {}),
      }),
    );
  });
  // Safe states first, before the server connection exists.
  for (const a of actuators.values()) await a.start();

  // Losing the server for N seconds applies an actuator's safe state (when configured).
  const lossTimers = new Map<string, NodeJS.Timeout>();
  const armLossTimers = (): void => {
    for (const a of actuators.values()) {
      const after = a.settings.on_server_loss;
      if (after === 'never' || a.settings.safe_state === 'keep' || lossTimers.has(a.name)) continue;
      const safe = a.settings.safe_state;
      const t = setTimeout(() => {
        lossTimers.delete(a.name);
        if (link.online) return;
        log.warn({ actuator: a.name, after_ms: after }, 'server lost: applying the safe state');
        void a.request(safe, { cause: 'safe_state', by: 'node', reason: `server unreachable for ${Math.round(after / 1000)} s` });
      }, after);
      t.unref();
      lossTimers.set(a.name, t);
    }
  };
  link.onOnlineChange((online) => {
    if (online) {
      for (const t of lossTimers.values()) clearTimeout(t);
      lossTimers.clear();
    } else armLossTimers();
  });
  // Not connected yet at start: the clock for "lost" starts now.
  if (!link.online) armLossTimers();

  const pulse = (actuator: string, ms: number): void => {
    const a = actuators.get(actuator);
    if (!a) return;
    void a.request('on', { cause: 'access', by: 'node', reason: 'indicator' }).then(() => {
      setTimeout(() => void a.request('off', { cause: 'access', by: 'node', reason: 'indicator' }), ms).unref();
    });
  };

  // Access control, when there are readers.
  let allowList: AllowListStore | undefined;
  let access: AccessController | undefined;
  const readers: CardReader[] = [];
  const readerNames = Object.keys(config.readers);
  if (readerNames.length > 0) {
    if (loaded.allowListKey) {
      allowList = new AllowListStore({ node, file: path.join(loaded.dataDir, 'equipment', 'allow-list.json'), publicKeyPem: loaded.allowListKey, log: log.child({ name: 'agent.allow-list' }), now, onChange: deps.statusChanged });
      await allowList.load();
      const store = allowList;
      link.subscribe(topics.allowList(node), (payload) => {
        // An empty retained message clears the topic on the broker; it never clears the node's list.
        if (payload.length === 0) return;
        void store.accept(payload).catch((err: unknown) => log.error({ err }, 'could not store the allow-list'));
      });
    } else {
      log.warn('no access.allow_list_key_file: without the server, every scan is denied (no allow-list)');
    }
    const units = new Map<string, EquipmentUnit>();
    const readerToEquipment = new Map<string, string>();
    for (const [eq, s] of Object.entries(config.equipment)) {
      const acts = s.actuators.map((n) => actuators.get(n)!).filter(Boolean);
      const power = s.power_channel ?? (acts[0] ? `${acts[0].name}/power` : undefined);
      const session = new Session({
        equipment: eq,
        actuators: acts,
        values,
        powerChannel: power,
        now,
        emit,
        pulse: () => {
          if (s.indicators.coast_down) pulse(s.indicators.coast_down.actuator, s.indicators.coast_down.for);
        },
      });
      units.set(eq, { name: eq, settings: s, session, lockedOut: () => acts.find((a) => a.lockout)?.name });
      if (s.reader) readerToEquipment.set(s.reader, eq);
    }
    access = new AccessController({
      link,
      units,
      readers: readerToEquipment,
      allowList,
      emit,
      pulse: (eq, which) => {
        const p = config.equipment[eq]?.indicators[which];
        if (p) pulse(p.actuator, p.for);
      },
      log: log.child({ name: 'agent.access' }),
      now,
    });
    const ac = access;
    for (const name of readerNames) {
      const eq = readerToEquipment.get(name);
      const reader = await createReader(config.readers[name]!, {
        scan: (card) => void ac.onScan(name, card).catch((err: unknown) => log.error({ err, reader: name }, 'scan handling failed')),
        present: (card) => {
          if (eq) units.get(eq)?.session.present(card);
        },
        fault: (message, dropped) => {
          log.warn({ reader: name, dropped }, message);
          emit({ type: 'reader_fault', ts: now(), reader: name, message: message.slice(0, 512), dropped });
        },
      });
      await reader.start();
      readers.push(reader);
    }
  }

  const commands = new CommandHandler({ node, link, actuators, ...(access ? { decisions: access } : {}), log: log.child({ name: 'agent.commands' }), now });
  commands.start();
  log.info({ actuators: [...actuators.keys()], readers: readerNames, equipment: Object.keys(config.equipment) }, 'equipment ready');

  return {
    actuators,
    access,
    commands,
    onReading: (ch, v, ts) => values.set(ch, v, ts),
    status: () => (allowList || readerNames.length > 0 ? { allow_list: allowList?.report() ?? { version: 0, last_error: 'no allow-list key configured' } } : {}),
    stop: async () => {
      for (const t of lossTimers.values()) clearTimeout(t);
      for (const r of readers) await r.stop();
      await Promise.all([...actuators.values()].map((a) => a.stop(true)));
    },
  };
}

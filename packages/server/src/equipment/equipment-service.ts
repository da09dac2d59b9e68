import { ErrorCode, MaError, type LockoutMode } from '@ma/protocol';
import type { Logger } from 'pino';
import { loadAccessKeys, type AccessKeys } from '../access/access-keys.js';
import { AccessService, type DecisionRecord, type Publish } from '../access/access-service.js';
import type { AuditEntry } from '../audit/audit-store.js';
import type { Ingest } from '../ingest/ingest.js';
import type { LiveHub } from '../live/live-hub.js';
import type { Store } from '../store/store.js';
import { CommandService } from './command-service.js';
import { equipmentDatabase } from './equipment-database.js';
import type { EquipmentRow, LockoutRow } from './equipment-store.js';
import { EquipmentStore } from './equipment-store.js';
import { SessionTracker } from './session-tracker.js';
import { EquipmentSessionsStore } from './sessions-store.js';

export interface EquipmentConfig {
  decision_deadline: number;
  command_timeout: number;
  allow_list_refresh: number;
}

export interface EquipmentServiceDeps {
  store: Store;
  ingest: Ingest;
  live: LiveHub;
  publish: Publish;
  audit(e: AuditEntry): Promise<void>;
  log: Logger;
  config: EquipmentConfig;
}

/**
 * Equipment and access control, wired: the stores, the access service (scan decisions and
 * allow-lists), the command service (switching, lock-outs on the nodes, actuator states) and
 * the session tracker, fed by one ingest observer. Started before the broker listens, so the
 * first scan already finds it.
 */
export class EquipmentService {
  readonly equipment: EquipmentStore;
  readonly sessions: EquipmentSessionsStore;
  readonly access: AccessService;
  readonly commands: CommandService;
  readonly tracker: SessionTracker;
  #unobserve: (() => void) | undefined;

  private constructor(
    private readonly deps: EquipmentServiceDeps,
    readonly keys: AccessKeys,
  ) {
    const e = equipmentDatabase(deps.store);
    this.equipment = new EquipmentStore(e);
    this.sessions = new EquipmentSessionsStore(e);
    const log = deps.log.child({ name: 'server.equipment' });
    this.access = new AccessService({
      e,
      store: deps.store,
      equipment: this.equipment,
      keys,
      publish: deps.publish,
      audit: deps.audit,
      onDecision: (node, d) => this.#liveDecision(node, d),
      log: deps.log.child({ name: 'server.access' }),
      deadlineMs: deps.config.decision_deadline,
      refreshMs: deps.config.allow_list_refresh,
    });
    this.commands = new CommandService({
      store: deps.store,
      equipment: this.equipment,
      publish: deps.publish,
      audit: deps.audit,
      log,
      commandTimeoutMs: deps.config.command_timeout,
      onState: (node, state) => deps.live.publish({ type: 'equipment', node, event: { kind: 'state', state } }),
    });
    this.tracker = new SessionTracker({ store: deps.store, equipment: this.equipment, sessions: this.sessions, people: this.access.people, log });
  }

  static async start(deps: EquipmentServiceDeps, dataDir: string): Promise<EquipmentService> {
    const service = new EquipmentService(deps, await loadAccessKeys(dataDir));
    await service.#start();
    return service;
  }

  async #start(): Promise<void> {
    const log = this.deps.log.child({ name: 'server.equipment' });
    const run = (what: string, p: Promise<unknown>) => void p.catch((err: unknown) => log.error({ err }, `equipment: could not ${what}`));
    this.#unobserve = this.deps.ingest.observe({
      equipment: (node, events, now) => {
        for (const ev of events) {
          if (ev.type === 'rfid_scan') run('decide a scan', this.access.onScan(node, ev, now));
          else if (ev.type === 'access_decision') {
            this.tracker.decidedBy(ev.scan_id, ev.source === 'server' ? 'server' : 'node');
            run('audit a node decision', this.access.onNodeDecision(node, ev));
          } else this.deps.live.publish({ type: 'equipment', node: node.name, event: { kind: 'event', event: ev } });
        }
        run('record sessions', this.tracker.onEvents(node, events));
      },
      commandResult: (node, r) => this.commands.onResult(node, r),
      actuatorState: (node, s) => run('mirror an actuator state', this.commands.onState(node, s)),
      status: (node, status, now) => {
        run('record an allow-list report', this.access.onStatus(node, status, now));
      },
    });
    await this.access.start();
  }

  stop(): void {
    this.#unobserve?.();
    this.access.stop();
  }

  #liveDecision(node: string, d: DecisionRecord): void {
    this.deps.live.publish({ type: 'equipment', node, event: { kind: 'decision', decision: d } });
  }

  /** Sets a lock-out, durably, sends it to the nodes and withdraws the equipment from every allow-list. */
  async setLockout(eq: EquipmentRow, mode: LockoutMode, reason: string, actor: string, ip: string | null): Promise<LockoutRow> {
    const existing = await this.equipment.activeLockout(eq.id);
    if (existing) throw new MaError(ErrorCode.Conflict, `${eq.display_name} is already locked out (${existing.mode}) by ${existing.set_by}: ${existing.reason}; clear it first`);
    const row = await this.equipment.setLockout({ equipment_id: eq.id, mode, reason, set_by: actor });
    await this.deps.audit({ actor, ip, action: 'equipment.lockout.set', target: `equipment:${eq.name}`, outcome: 'ok', reason, detail: { mode } });
    await this.commands.pushLockout(eq, row, actor, reason);
    await this.access.changed();
    for (const n of new Set(eq.actuators.map((a) => a.node))) this.deps.live.publish({ type: 'equipment', node: n, event: { kind: 'lockout', equipment: eq.name, lockout: row } });
    return row;
  }

  async clearLockout(eq: EquipmentRow, reason: string, actor: string, ip: string | null): Promise<LockoutRow> {
    const row = await this.equipment.clearLockout(eq.id, actor);
    if (!row) throw new MaError(ErrorCode.Conflict, `${eq.display_name} is not locked out`);
    await this.deps.audit({ actor, ip, action: 'equipment.lockout.clear', target: `equipment:${eq.name}`, outcome: 'ok', reason, detail: { mode: row.mode, set_by: row.set_by, set_reason: row.reason } });
    await this.commands.pushLockout(eq, undefined, actor, reason);
    await this.access.changed();
    for (const n of new Set(eq.actuators.map((a) => a.node))) this.deps.live.publish({ type: 'equipment', node: n, event: { kind: 'lockout', equipment: eq.name, lockout: null } });
    return row;
  }
}

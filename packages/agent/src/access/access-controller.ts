/**
 * A card scan on the node: published at once as an `rfid_scan` event, then decided by the
 * server if it answers within the equipment's deadline (default 300 ms), else from the signed
 * allow-list; the decision is an event, shown on the LED/buzzer hooks, and an allowed tap
 * drives the equipment's session. With no server connection the list decides at once.
 */
import { randomBytes } from 'node:crypto';
import type { AccessDecisionCommand, EquipmentEvent, SessionModel } from '@ma/protocol';
import type { RequestOutcome } from '../actuators/actuator-controller.js';
import type { DecisionSink } from '../commands/command-handler.js';
import type { NodeLink } from '../commands/node-link.js';
import type { Logger } from '../logger.js';
import type { EquipmentSettings } from './access-config.js';
import type { AllowListStore } from './allow-list-store.js';
import type { Session } from './session.js';

export interface EquipmentUnit {
  name: string;
  settings: EquipmentSettings;
  session: Session;
  /** Whether any of its actuators is locked out (a tap is then denied on the node). */
  lockedOut(): string | undefined;
}

export interface AccessDeps {
  link: NodeLink;
  units: ReadonlyMap<string, EquipmentUnit>;
  /** reader name → equipment name */
  readers: ReadonlyMap<string, string>;
  allowList: AllowListStore | undefined;
  emit(e: EquipmentEvent): void;
  pulse(equipment: string, which: 'allow' | 'deny'): void;
  log: Logger;
  now(): number;
}

interface Decision {
  allow: boolean;
  reason: string;
  source: 'server' | 'cache';
  person?: string;
  session?: SessionModel;
  listVersion?: number;
}

interface Pending {
  resolve(cmd: AccessDecisionCommand): void;
  /** Settles with what applying the server's decision did, for its cmd/result. */
  applied: Promise<RequestOutcome>;
  settle(o: RequestOutcome): void;
}

const UNKNOWN_LOG_EVERY = 60_000;

export class AccessController implements DecisionSink {
  readonly #pending = new Map<string, Pending>();
  readonly #unknownLogged = new Map<string, number>();
  #seq = 0;
  readonly #prefix = randomBytes(4).toString('hex');

  constructor(private readonly deps: AccessDeps) {}

  /** A new tap on `reader`. Resolves once decided and acted on. */
  async onScan(reader: string, card: string): Promise<Decision | undefined> {
    const t0 = this.deps.now();
    const scanId = `${this.#prefix}-${++this.#seq}`;
    const equipment = this.deps.readers.get(reader);
    this.deps.emit({ type: 'rfid_scan', ts: t0, scan_id: scanId, reader, card_id: card, ...(equipment ? { equipment } : {}) });
    const unit = equipment ? this.deps.units.get(equipment) : undefined;
    if (!unit) return undefined;

    let pending: Pending | undefined;
    let decision: Decision;
    if (this.deps.link.online) {
      pending = this.#expect(scanId);
      const cmd = await this.#wait(scanId, pending, unit.settings.decision_deadline);
      decision = cmd ? { allow: cmd.allow, reason: cmd.reason, source: 'server', ...(cmd.person ? { person: cmd.person } : {}), ...(cmd.session ? { session: cmd.session } : {}) } : this.#fromCache(card, unit);
    } else {
      decision = this.#fromCache(card, unit);
    }
    const lock = unit.lockedOut();
    if (decision.allow && lock) decision = { ...decision, allow: false, reason: 'locked_out' };

    this.deps.emit({
      type: 'access_decision',
      ts: this.deps.now(),
      scan_id: scanId,
      equipment: unit.name,
      allow: decision.allow,
      reason: decision.reason,
      source: decision.source,
      ...(decision.listVersion !== undefined ? { list_version: decision.listVersion } : {}),
      ...(decision.person ? { person: decision.person } : {}),
      latency_ms: this.deps.now() - t0,
    });
    this.#logDecision(card, unit.name, decision);

    let outcome: RequestOutcome = { outcome: 'refused', code: 'ok', message: `denied: ${decision.reason}`, state: 'unknown' };
    if (decision.allow) {
      const model = decision.session ?? this.deps.allowList?.list?.equipment[unit.name]?.session ?? unit.settings.session;
      const r = await unit.session.allowedTap({ scanId, card, person: decision.person, model });
      if (r.refused) {
        outcome = { outcome: 'refused', code: r.refused.code as RequestOutcome['code'], message: r.refused.message, state: 'off' };
        this.deps.pulse(unit.name, 'deny');
      } else {
        outcome = { outcome: 'applied', code: 'ok', state: r.started ? 'on' : 'off' };
        this.deps.pulse(unit.name, 'allow');
      }
    } else {
      this.deps.pulse(unit.name, 'deny');
    }
    pending?.settle(outcome);
    return decision;
  }

  /** The server's answer to a scan, from `cmd`. */
  async onServerDecision(cmd: AccessDecisionCommand): Promise<RequestOutcome | { outcome: 'refused'; code: 'late_decision' | 'unknown_equipment'; message: string }> {
    if (!this.deps.units.has(cmd.equipment)) return { outcome: 'refused', code: 'unknown_equipment', message: `no equipment "${cmd.equipment}" on this node` };
    const pending = this.#pending.get(cmd.scan_id);
    if (pending) {
      pending.resolve(cmd);
      return pending.applied;
    }
    // Past the deadline the node decided alone. A late deny still wins: it ends what the cache allowed.
    const unit = this.deps.units.get(cmd.equipment)!;
    if (!cmd.allow && unit.session.active?.scanId === cmd.scan_id) {
      await unit.session.end(`server denied: ${cmd.reason}`);
      return { outcome: 'refused', code: 'late_decision', message: 'arrived after the deadline; the session the allow-list started was ended (deny wins)' };
    }
    return { outcome: 'refused', code: 'late_decision', message: 'arrived after the decision deadline; the node had already decided from its allow-list' };
  }

  #expect(scanId: string): Pending {
    let settle!: (o: RequestOutcome) => void;
    const applied = new Promise<RequestOutcome>((r) => (settle = r));
    const pending: Pending = { resolve: () => undefined, applied, settle };
    this.#pending.set(scanId, pending);
    return pending;
  }

  #wait(scanId: string, pending: Pending, deadlineMs: number): Promise<AccessDecisionCommand | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(scanId);
        pending.settle({ outcome: 'refused', code: 'late_decision', message: 'arrived after the decision deadline', state: 'unknown' });
        resolve(undefined);
      }, deadlineMs);
      pending.resolve = (cmd) => {
        clearTimeout(timer);
        this.#pending.delete(scanId);
        resolve(cmd);
      };
    });
  }

  #fromCache(card: string, unit: EquipmentUnit): Decision {
    if (!this.deps.allowList) return { allow: false, reason: 'no_list', source: 'cache' };
    const d = this.deps.allowList.decide(card, unit.name, unit.settings.fail_secure);
    return { allow: d.allow, reason: d.reason, source: 'cache', listVersion: d.version, ...(d.person ? { person: d.person } : {}) };
  }

  #logDecision(card: string, equipment: string, d: Decision): void {
    // Raw card ids stay out of logs (they may leave the node): the last 4 characters only.
    const shown = `…${card.slice(-4)}`;
    if (d.reason === 'unknown_card') {
      const now = this.deps.now();
      const last = this.#unknownLogged.get(card);
      if (last !== undefined && now - last < UNKNOWN_LOG_EVERY) return;
      this.#unknownLogged.set(card, now);
      if (this.#unknownLogged.size > 1000) this.#unknownLogged.delete(this.#unknownLogged.keys().next().value!);
    }
    this.deps.log.info({ card: shown, equipment, allow: d.allow, reason: d.reason, source: d.source }, d.allow ? 'access allowed' : 'access denied');
  }
}

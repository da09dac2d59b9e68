import { randomUUID } from 'node:crypto';
import {
  ErrorCode,
  MaError,
  topics,
  type ActuatorState,
  type CommandResult,
  type LockoutMode,
  type SwitchValue,
} from '@ma/protocol';
import type { Logger } from 'pino';
import type { AuditEntry } from '../audit/audit-store.js';
import type { NodeIdentity } from '../ingest/ingest.js';
import type { NodeRow, Store } from '../store/store.js';
import type { Publish } from '../access/access-service.js';
import type { EquipmentRow, EquipmentStore, LockoutRow } from './equipment-store.js';

export interface CommandServiceDeps {
  store: Store;
  equipment: EquipmentStore;
  publish: Publish;
  audit(entry: AuditEntry): Promise<void>;
  log: Logger;
  /** How long a switch command may wait for its result; also its expiry on the node. */
  commandTimeoutMs: number;
  /** Told of every actuator state the server learns. */
  onState?(node: string, state: ActuatorState): void;
}

export interface SwitchRequest {
  node: string;
  actuator: string;
  value: SwitchValue;
  reason: string;
  actor: string;
  ip: string | null;
}

export interface SwitchOutcome {
  id: string;
  node: string;
  actuator: string;
  value: SwitchValue;
  state: string;
  outcome: CommandResult['outcome'];
  code: CommandResult['code'];
  message: string | null;
  elapsed_ms: number;
}

interface Pending {
  node: string;
  resolve(r: CommandResult): void;
}

/**
 * Commands to actuators: checks what the server knows (node online, actuator known, not
 * locked out), publishes a `cmd` with an id and an expiry, waits for its `cmd/result` and
 * audits who asked, why and what came of it. A command is never queued: an offline node is
 * refused at once, and the node refuses one that arrives after its expiry. Also keeps every
 * node's lock-outs in line with the server's (sent on change and again when a node's state
 * disagrees), and mirrors each actuator's retained state for the dashboard.
 */
export class CommandService {
  readonly #pending = new Map<string, Pending>();
  /** node name -> actuator -> last state the node published. */
  readonly #states = new Map<string, Map<string, ActuatorState>>();
  /** `${node}/${actuator}` -> when a lock-out correction was last sent (at most one per 10 s). */
  readonly #corrected = new Map<string, number>();

  constructor(private readonly deps: CommandServiceDeps) {}

  state(node: string, actuator: string): ActuatorState | undefined {
    return this.#states.get(node)?.get(actuator);
  }

  statesOf(node: string): ActuatorState[] {
    return [...(this.#states.get(node)?.values() ?? [])];
  }

  /** Online as the broker and the offline sweeper see it (last-will, disconnect, or silence past `offline_after`). */
  #isOnline(node: NodeRow): boolean {
    return node.online;
  }

  /** Actuators the server knows on a node: channels of kind actuator, published states, equipment. */
  async knownActuators(node: NodeRow): Promise<Set<string>> {
    const keys = new Set<string>();
    for (const c of await this.deps.store.listChannels(node.id)) if (c.kind === 'actuator') keys.add(c.key);
    for (const k of this.#states.get(node.name)?.keys() ?? []) keys.add(k);
    for (const eq of await this.deps.equipment.onNode(node.id)) for (const a of eq.actuators) if (a.node_id === node.id) keys.add(a.actuator);
    return keys;
  }

  async switch(req: SwitchRequest, node: NodeRow): Promise<SwitchOutcome> {
    const started = Date.now();
    const audit = (outcome: AuditEntry['outcome'], reason: string, detail: Record<string, unknown>) =>
      this.deps.audit({ actor: req.actor, ip: req.ip, action: 'actuator.switch', target: `node:${req.node}/${req.actuator}`, outcome, reason, detail: { value: req.value, why: req.reason, ...detail } });

    if (!(await this.knownActuators(node)).has(req.actuator)) {
      throw new MaError(ErrorCode.InputInvalid, `actuator: node ${req.node} has no actuator ${JSON.stringify(req.actuator)}; known: ${[...(await this.knownActuators(node))].sort().join(', ') || 'none'}`);
    }
    const eq = await this.deps.equipment.byActuator(node.id, req.actuator);
    const lockout = eq && (await this.deps.equipment.activeLockout(eq.id));
    if (lockout && req.value === 'on') {
      const why = `${eq.display_name} is locked out (${lockout.mode}) by ${lockout.set_by} since ${new Date(lockout.set_at).toISOString()}: ${lockout.reason}`;
      await audit('denied', why, { rule: 'lockout' });
      throw new MaError(ErrorCode.Conflict, `refused: ${why}`);
    }
    if (!this.#isOnline(node)) {
      const seen = node.last_seen === null ? 'never' : new Date(node.last_seen).toISOString();
      const why = `node ${req.node} is offline (last seen ${seen}); the command was not sent and will not run later`;
      await audit('failed', why, { last_seen: node.last_seen });
      throw new MaError(ErrorCode.Conflict, why);
    }

    const id = randomUUID();
    const expiresAt = started + this.deps.commandTimeoutMs;
    const result = new Promise<CommandResult | undefined>((resolve) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        resolve(undefined);
      }, this.deps.commandTimeoutMs + 250);
      this.#pending.set(id, { node: req.node, resolve: (r) => (clearTimeout(timer), this.#pending.delete(id), resolve(r)) });
    });
    await this.deps.publish(
      topics.cmd(req.node),
      JSON.stringify({ v: 1, id, kind: 'actuate', issued_at: started, expires_at: expiresAt, actuator: req.actuator, value: req.value, by: req.actor, reason: req.reason }),
      { qos: 1, retain: false },
    );
    const r = await result;
    const elapsed = Date.now() - started;
    if (!r) {
      const why = `node ${req.node} did not answer within ${this.deps.commandTimeoutMs} ms; the command expires there at ${new Date(expiresAt).toISOString()} and will not run after`;
      await audit('failed', why, { id, elapsed_ms: elapsed });
      throw new MaError(ErrorCode.TransportConnectFailed, why);
    }
    const outcome: SwitchOutcome = { id, node: req.node, actuator: req.actuator, value: req.value, state: r.state ?? 'unknown', outcome: r.outcome, code: r.code, message: r.message ?? null, elapsed_ms: elapsed };
    const detail = { id, outcome: r.outcome, code: r.code, state: r.state, elapsed_ms: elapsed, ...(r.rule ? { rule: r.rule } : {}) };
    if (r.outcome === 'applied') {
      await audit('ok', req.reason, detail);
      return outcome;
    }
    const why = `${r.code}${r.rule ? ` (rule ${r.rule})` : ''}: ${r.message ?? r.outcome}`;
    await audit(r.outcome === 'refused' ? 'denied' : 'failed', why, detail);
    if (r.code === 'bad_command' || r.code === 'unknown_actuator') throw new MaError(ErrorCode.InputInvalid, `refused by node ${req.node}: ${why}`);
    if (r.outcome === 'refused' || r.outcome === 'expired') throw new MaError(ErrorCode.Conflict, `refused by node ${req.node}: ${why}`);
    throw new MaError(ErrorCode.TransportConnectFailed, `node ${req.node} could not switch ${req.actuator}: ${why}`);
  }

  /** A `cmd/result` from a node: settles the waiting command (a result for another node's command is ignored). */
  onResult(node: NodeIdentity, r: CommandResult): void {
    const p = this.#pending.get(r.id);
    if (p && p.node === node.name) p.resolve(r);
  }

  /** A retained `state/<actuator>`: mirrored, and the node's lock-out corrected if it disagrees with the server's. */
  async onState(node: NodeIdentity, s: ActuatorState): Promise<void> {
    (this.#states.get(node.name) ?? this.#states.set(node.name, new Map()).get(node.name)!).set(s.actuator, s);
    this.deps.onState?.(node.name, s);
    const eq = await this.deps.equipment.byActuator(node.id, s.actuator);
    if (!eq) return;
    const lockout = await this.deps.equipment.activeLockout(eq.id);
    const wrong = lockout ? !s.lockout || s.lockout.mode !== lockout.mode : s.lockout !== null;
    if (!wrong) return;
    const key = `${node.name}/${s.actuator}`;
    const now = Date.now();
    if (now - (this.#corrected.get(key) ?? 0) < 10_000) return;
    this.#corrected.set(key, now);
    await this.#sendLockout(node.name, s.actuator, lockout, lockout ? lockout.set_by : 'server', lockout ? lockout.reason : 'cleared on the server');
  }

  /** Sends an equipment's lock-out (or its clearing) to every actuator's node. */
  async pushLockout(eq: EquipmentRow, lockout: LockoutRow | undefined, by: string, reason: string): Promise<void> {
    for (const a of eq.actuators) {
      await this.#sendLockout(a.node, a.actuator, lockout, by, reason).catch((err: unknown) => this.deps.log.warn({ err, node: a.node }, 'could not send a lock-out; it is sent again when the node reports its state'));
    }
  }

  async #sendLockout(node: string, actuator: string, lockout: { mode: LockoutMode } | undefined, by: string, reason: string): Promise<void> {
    const now = Date.now();
    // Long-lived: a lock-out must reach a node that is briefly away; clearing it is harmless late.
    const envelope = { v: 1, id: randomUUID(), issued_at: now, expires_at: now + 10 * 60_000, actuator, by, reason };
    const cmd = lockout ? { ...envelope, kind: 'lockout_set', mode: lockout.mode } : { ...envelope, kind: 'lockout_clear' };
    await this.deps.publish(topics.cmd(node), JSON.stringify(cmd), { qos: 1, retain: false });
  }
}

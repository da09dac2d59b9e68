/**
 * One actuator on the node and everything that keeps it safe without a server: lock-out,
 * interlocks, maximum on-time, safe state, and the applied state read back from the device
 * and published retained. Every change goes through `request()`, one at a time.
 */
import {
  isMaError,
  type ActuatorState,
  type ActuatorStateValue,
  type CommandReasonCode,
  type EquipmentEvent,
  type Lockout,
  type SwitchValue,
} from '@ma/protocol';
import type { DriverInstance } from '../drivers/driver.js';
import type { Logger } from '../logger.js';
import type { ActuatorSettings } from './actuators-config.js';
import type { ChannelValues } from './channel-values.js';
import { evaluateInterlock } from './interlock-expression.js';
import type { LockoutStore } from './lockout-store.js';

export type ChangeCause = 'command' | 'access' | 'session_end' | 'safe_state' | 'max_on_time' | 'lockout' | 'interlock';

export interface ChangeRequest {
  cause: ChangeCause;
  by: string;
  reason: string;
  cmdId?: string;
  scanId?: string;
  /** Never applied at or after this instant (a command's expires_at). */
  notAfter?: number;
}

export interface RequestOutcome {
  outcome: 'applied' | 'refused' | 'expired' | 'failed';
  code: CommandReasonCode;
  message?: string;
  rule?: string;
  state: ActuatorStateValue;
}

export interface ActuatorDeps {
  name: string;
  settings: ActuatorSettings;
  driver: DriverInstance;
  lockouts: LockoutStore;
  values: ChannelValues;
  log: Logger;
  now(): number;
  emit(e: EquipmentEvent): void;
  publishState(s: ActuatorState): void;
  /** The power channel key, when the driver has one. */
  powerChannel?: string;
  equipment?: string;
}

const toValue = (n: number): SwitchValue => (n === 1 ? 'on' : 'off');

export class ActuatorController {
  #state: ActuatorStateValue = 'unknown';
  #commanded: SwitchValue | null = null;
  #readBack: SwitchValue | null = null;
  #since: number;
  #fault: ActuatorState['fault'] = null;
  #by: string | undefined;
  #reason: string | undefined;
  #chain: Promise<unknown> = Promise.resolve();
  #pollTimer: NodeJS.Timeout | undefined;
  #maxOnTimer: NodeJS.Timeout | undefined;
  #unsubscribe: (() => void) | undefined;
  #stopped = false;
  #lastPublished = '';

  constructor(private readonly deps: ActuatorDeps) {
    this.#since = deps.now();
  }

  get name(): string {
    return this.deps.name;
  }

  get settings(): ActuatorSettings {
    return this.deps.settings;
  }

  get state(): ActuatorStateValue {
    return this.#state;
  }

  get lockout(): Lockout | undefined {
    return this.deps.lockouts.get(this.deps.name);
  }

  /** The latest power draw, when metered. */
  power(): number | undefined {
    return this.deps.powerChannel ? this.deps.values.latest(this.deps.powerChannel)?.v : undefined;
  }

  snapshot(): ActuatorState {
    const power = this.power();
    return {
      v: 1,
      actuator: this.deps.name,
      state: this.#state,
      commanded: this.#commanded,
      read_back: this.#readBack,
      since: this.#since,
      ts: this.deps.now(),
      lockout: this.lockout ?? null,
      fault: this.#fault,
      ...(power !== undefined ? { power_w: power } : {}),
      ...(this.#by ? { by: this.#by } : {}),
      ...(this.#reason ? { reason: this.#reason.slice(0, 512) } : {}),
      ...(this.deps.equipment ? { equipment: this.deps.equipment } : {}),
    };
  }

  /** Applies the safe state (and a safety lock-out), then keeps reading back. */
  async start(): Promise<void> {
    this.#stopped = false;
    const s = this.deps.settings;
    if (this.lockout) {
      // A lock-out found at start is in force now: nobody is mid-job after a restart.
      if (this.lockout.pending) await this.deps.lockouts.set(this.deps.name, { ...this.lockout, pending: false });
      await this.request('off', { cause: 'lockout', by: this.lockout.by, reason: `locked out: ${this.lockout.reason}` });
    } else if (s.safe_state !== 'keep') {
      await this.request(s.safe_state, { cause: 'safe_state', by: 'node', reason: 'safe state at agent start' });
    } else {
      await this.#readBackNow();
    }
    this.#unsubscribe = this.deps.values.onChange((key) => this.#onValue(key));
    this.#pollTimer = setInterval(() => void this.#enqueue(() => this.#readBackNow()), s.readback_interval);
    this.#pollTimer.unref();
    this.#publish(true);
  }

  /** Applies the safe state (unless `keep`) and stops watching. */
  async stop(applySafeState: boolean): Promise<void> {
    clearInterval(this.#pollTimer);
    clearTimeout(this.#maxOnTimer);
    this.#unsubscribe?.();
    if (applySafeState && this.deps.settings.safe_state !== 'keep') {
      await this.request(this.deps.settings.safe_state, { cause: 'safe_state', by: 'node', reason: 'safe state at agent shutdown' }).catch(() => undefined);
    }
    this.#stopped = true;
    await this.#chain.catch(() => undefined);
  }

  /** Reads the device now and republishes the state (forced). */
  async refresh(): Promise<void> {
    await this.#enqueue(() => this.#readBackNow());
    this.#publish(true);
  }

  /** Why `on` is refused now (lock-out first, then the first failing interlock); undefined when allowed. */
  refusal(value: SwitchValue): Omit<RequestOutcome, 'state'> | undefined {
    if (value === 'off') return undefined;
    const lockout = this.lockout;
    if (lockout) return { outcome: 'refused', code: 'lockout', message: `${this.deps.name} is locked out (${lockout.mode}) by ${lockout.by}: ${lockout.reason}` };
    for (const rule of this.deps.settings.interlocks) {
      const now = this.deps.now();
      const verdict = evaluateInterlock(rule.expr, (k) => this.deps.values.get(k, now, this.deps.settings.interlock_max_age));
      if (!verdict.ok) return { outcome: 'refused', code: 'interlock', rule: rule.src, message: `interlock "${rule.src}" ${verdict.message}` };
    }
    return undefined;
  }

  /** Switches on or off through every check; resolves with what happened (never rejects). */
  request(value: SwitchValue, req: ChangeRequest): Promise<RequestOutcome> {
    return this.#enqueue(() => this.#apply(value, req));
  }

  #enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const p = this.#chain.then(fn);
    this.#chain = p.catch(() => undefined);
    return p;
  }

  async #apply(value: SwitchValue, req: ChangeRequest): Promise<RequestOutcome> {
    if (this.#stopped) return { outcome: 'failed', code: 'driver_error', message: 'the agent is stopping', state: this.#state };
    // Checked again here, after waiting behind other writes: late is never executed.
    if (req.notAfter !== undefined && this.deps.now() >= req.notAfter) {
      return { outcome: 'expired', code: 'expired', message: `expired ${this.deps.now() - req.notAfter} ms before it could be applied`, state: this.#state };
    }
    const refused = this.refusal(value);
    if (refused) {
      if (refused.code === 'interlock') {
        this.deps.emit({ type: 'interlock_refused', ts: this.deps.now(), actuator: this.deps.name, rule: refused.rule!, message: refused.message!, ...(req.cmdId ? { cmd_id: req.cmdId } : {}), ...(req.scanId ? { scan_id: req.scanId } : {}) });
      }
      return { ...refused, state: this.#state };
    }
    const previous = this.#state;
    this.#commanded = value;
    let applied: number;
    try {
      applied = await this.deps.driver.write!(this.deps.name, value === 'on' ? 1 : 0);
    } catch (err) {
      this.#onReadFailure(err, 'write_failed');
      this.#publish();
      return { outcome: 'failed', code: this.#state === 'unreachable' ? 'unreachable' : 'driver_error', message: (err as Error).message.slice(0, 512), state: this.#state };
    }
    this.#readBack = toValue(applied);
    this.#by = req.by;
    this.#reason = req.reason;
    this.#setState(this.#readBack);
    this.#checkAgreement();
    if (this.#state !== previous) {
      this.deps.emit({
        type: 'actuator_changed',
        ts: this.deps.now(),
        actuator: this.deps.name,
        state: this.#state,
        previous,
        cause: req.cause,
        by: req.by,
        reason: req.reason.slice(0, 512),
        ...(req.cmdId ? { cmd_id: req.cmdId } : {}),
        ...(req.scanId ? { scan_id: req.scanId } : {}),
      });
    }
    this.#publish();
    if (this.#readBack !== value) return { outcome: 'failed', code: 'readback_mismatch', message: `commanded ${value} but the device reports ${this.#readBack}`, state: this.#state };
    return { outcome: 'applied', code: 'ok', state: this.#state };
  }

  #setState(s: ActuatorStateValue): void {
    if (s === this.#state) return;
    this.#state = s;
    this.#since = this.deps.now();
    clearTimeout(this.#maxOnTimer);
    const maxOn = this.deps.settings.max_on;
    if (s === 'on' && maxOn !== undefined) {
      this.#maxOnTimer = setTimeout(() => void this.request('off', { cause: 'max_on_time', by: 'node', reason: `maximum on-time of ${Math.round(maxOn / 1000)} s reached` }), maxOn);
      this.#maxOnTimer.unref();
    }
    if (s !== 'on') void this.#maybeApplyPendingLockout();
  }

  #checkAgreement(): void {
    if (this.#commanded !== null && this.#readBack !== null && this.#commanded !== this.#readBack) {
      this.#raiseFault('readback_mismatch', `commanded ${this.#commanded} but the device reports ${this.#readBack}`);
    } else if (this.#fault) {
      this.deps.emit({ type: 'actuator_fault', ts: this.deps.now(), actuator: this.deps.name, code: 'recovered', message: `recovered from ${this.#fault.code}` });
      this.deps.log.info({ actuator: this.deps.name, was: this.#fault.code }, 'actuator fault cleared');
      this.#fault = null;
    }
  }

  #raiseFault(code: 'readback_mismatch' | 'unreachable' | 'write_failed', message: string): void {
    if (this.#fault?.code === code) return; // logged once, not every poll
    this.#fault = { code, message: message.slice(0, 512), since: this.deps.now() };
    this.deps.log.error({ actuator: this.deps.name, code, message }, 'actuator fault');
    this.deps.emit({ type: 'actuator_fault', ts: this.deps.now(), actuator: this.deps.name, code, message: message.slice(0, 512) });
  }

  #onReadFailure(err: unknown, kind: 'write_failed' | 'read'): void {
    const msg = (err as Error).message ?? String(err);
    // A device that does not answer is unreachable: its state is not known, and never "off".
    const unreachable = isMaError(err) && err.code === 202;
    if (unreachable) {
      this.#readBack = null;
      const previous = this.#state;
      this.#setState('unreachable');
      if (previous !== 'unreachable') this.deps.emit({ type: 'actuator_changed', ts: this.deps.now(), actuator: this.deps.name, state: 'unreachable', previous, cause: 'readback', reason: msg.slice(0, 512) });
      this.#raiseFault('unreachable', msg);
    } else {
      this.#raiseFault(kind === 'write_failed' ? 'write_failed' : 'readback_mismatch', msg);
    }
  }

  async #readBackNow(): Promise<void> {
    if (this.#stopped) return;
    let v: number;
    try {
      v = await this.deps.driver.read!(this.deps.name);
    } catch (err) {
      if (this.#commanded === null && !(isMaError(err) && err.code === 202)) return; // never driven: unknown is right
      this.#onReadFailure(err, 'read');
      this.#publish();
      return;
    }
    const previous = this.#state;
    this.#readBack = toValue(v);
    this.#setState(this.#readBack);
    if (previous !== this.#state && previous !== 'unknown') {
      this.deps.emit({ type: 'actuator_changed', ts: this.deps.now(), actuator: this.deps.name, state: this.#state, previous, cause: 'readback', reason: 'read back from the device' });
    }
    this.#checkAgreement();
    this.#publish();
  }

  #onValue(key: string): void {
    if (this.#stopped) return;
    if (key === this.deps.powerChannel) void this.#maybeApplyPendingLockout();
    if (this.#state !== 'on' || this.deps.settings.interlocks.length === 0) return;
    const refused = this.refusal('on');
    if (refused?.code === 'interlock') {
      this.deps.emit({ type: 'interlock_refused', ts: this.deps.now(), actuator: this.deps.name, rule: refused.rule!, message: `switched off: ${refused.message!}` });
      void this.#enqueue(() => this.#apply('off', { cause: 'interlock', by: 'node', reason: refused.message! }));
    }
  }

  /** Sets a lock-out: safety switches off now; maintenance when idle (power below threshold) or already off. */
  async setLockout(lockout: Omit<Lockout, 'pending'>): Promise<RequestOutcome> {
    const idle = this.#isIdle();
    const pending = lockout.mode === 'maintenance' && this.#state === 'on' && !idle;
    await this.deps.lockouts.set(this.deps.name, { ...lockout, pending });
    this.deps.emit({ type: 'lockout_changed', ts: this.deps.now(), actuator: this.deps.name, action: 'set', mode: lockout.mode, by: lockout.by, reason: lockout.reason });
    if (!pending) return this.#applyLockout();
    this.#publish();
    return { outcome: 'applied', code: 'ok', message: 'maintenance lock-out set; it takes effect at the next idle', state: this.#state };
  }

  async clearLockout(by: string, reason: string): Promise<RequestOutcome> {
    const lockout = this.lockout;
    if (!lockout) return { outcome: 'refused', code: 'not_locked_out', message: `${this.deps.name} is not locked out`, state: this.#state };
    await this.deps.lockouts.clear(this.deps.name);
    this.deps.emit({ type: 'lockout_changed', ts: this.deps.now(), actuator: this.deps.name, action: 'cleared', mode: lockout.mode, by, reason });
    this.#publish();
    return { outcome: 'applied', code: 'ok', state: this.#state };
  }

  #isIdle(): boolean {
    const p = this.power();
    return p !== undefined && p < this.deps.settings.idle_below_w;
  }

  async #maybeApplyPendingLockout(): Promise<void> {
    const l = this.lockout;
    if (!l?.pending) return;
    if (this.#state === 'on' && !this.#isIdle()) return;
    await this.#applyLockout();
  }

  async #applyLockout(): Promise<RequestOutcome> {
    const l = this.lockout;
    if (!l) return { outcome: 'applied', code: 'ok', state: this.#state };
    if (l.pending) await this.deps.lockouts.set(this.deps.name, { ...l, pending: false });
    // Off is never refused, so the lock-out cannot lock itself out.
    const out = await this.request('off', { cause: 'lockout', by: l.by, reason: `locked out: ${l.reason}` });
    this.deps.emit({ type: 'lockout_changed', ts: this.deps.now(), actuator: this.deps.name, action: 'applied', mode: l.mode, by: l.by, reason: l.reason });
    this.#publish();
    return out;
  }

  /** Publishes the retained state when anything but the timestamp changed (or when forced). */
  #publish(force = false): void {
    const s = this.snapshot();
    const { ts: _ts, power_w: _p, ...comparable } = s;
    const key = JSON.stringify(comparable);
    if (!force && key === this.#lastPublished) return;
    this.#lastPublished = key;
    this.deps.publishState(s);
  }
}

/**
 * One equipment's session on the node: what an allowed tap starts, and what ends it, for the
 * three models (toggle per tap; on while the card is present; on for N minutes, extended by
 * use, ending after power stays below X W for Y minutes, with a coast-down warning before
 * power is cut). Runs without the server.
 */
import type { EquipmentEvent, SessionModel } from '@ma/protocol';
import type { ActuatorController } from '../actuators/actuator-controller.js';
import type { ChannelValues } from '../actuators/channel-values.js';

export interface SessionDeps {
  equipment: string;
  actuators: ActuatorController[];
  values: ChannelValues;
  powerChannel: string | undefined;
  now(): number;
  emit(e: EquipmentEvent): void;
  pulse(which: 'coast_down'): void;
  /** Tick period for timed sessions and presence checks. */
  tickMs?: number;
}

interface Active {
  model: SessionModel;
  scanId: string;
  card: string;
  person: string | undefined;
  startedAt: number;
  endsAt: number | undefined;
  lastUse: number;
  lastPresent: number;
  coastUntil: number | undefined;
}

export interface TapOutcome {
  started: boolean;
  ended?: boolean;
  extended?: boolean;
  refused?: { code: string; message: string };
}

export class Session {
  #active: Active | undefined;
  #timer: NodeJS.Timeout | undefined;
  #ending = false;

  constructor(private readonly deps: SessionDeps) {}

  get active(): { scanId: string; person: string | undefined } | undefined {
    return this.#active ? { scanId: this.#active.scanId, person: this.#active.person } : undefined;
  }

  /** An allowed tap. */
  async allowedTap(tap: { scanId: string; card: string; person: string | undefined; model: SessionModel }): Promise<TapOutcome> {
    const a = this.#active;
    const now = this.deps.now();
    if (a) {
      if (a.model.model === 'toggle') {
        await this.end('tap');
        return { started: false, ended: true };
      }
      if (a.model.model === 'timed') {
        a.endsAt = now + a.model.minutes * 60_000;
        a.lastUse = now;
        a.coastUntil = undefined;
        this.#event('session_extended', { ends_at: a.endsAt });
        return { started: false, extended: true };
      }
      a.lastPresent = now;
      return { started: false, extended: true };
    }
    // Every actuator must come on; if one is refused (interlock, lock-out) the others go off again.
    for (const act of this.deps.actuators) {
      const o = await act.request('on', { cause: 'access', by: tap.person ?? `card …${tap.card.slice(-4)}`, reason: `card tap (scan ${tap.scanId})`, scanId: tap.scanId });
      if (o.outcome !== 'applied') {
        for (const other of this.deps.actuators) await other.request('off', { cause: 'session_end', by: 'node', reason: `${act.name} refused: ${o.message ?? o.code}`, scanId: tap.scanId });
        return { started: false, refused: { code: o.code, message: o.message ?? o.code } };
      }
    }
    this.#active = {
      model: tap.model,
      scanId: tap.scanId,
      card: tap.card,
      person: tap.person,
      startedAt: now,
      endsAt: tap.model.model === 'timed' ? now + tap.model.minutes * 60_000 : undefined,
      lastUse: now,
      lastPresent: now,
      coastUntil: undefined,
    };
    this.#event('session_started', { session: tap.model, ...(this.#active.endsAt ? { ends_at: this.#active.endsAt } : {}) });
    this.#timer = setInterval(() => void this.#tick(), this.deps.tickMs ?? 250);
    this.#timer.unref();
    return { started: true };
  }

  /** The reader still sees `card` (while-present sessions). */
  present(card: string): void {
    const a = this.#active;
    if (a && a.card === card) a.lastPresent = this.deps.now();
  }

  async end(reason: string): Promise<void> {
    const a = this.#active;
    if (!a || this.#ending) return;
    this.#ending = true;
    try {
      clearInterval(this.#timer);
      for (const act of this.deps.actuators) await act.request('off', { cause: 'session_end', by: a.person ?? 'node', reason: `session ended: ${reason}`, scanId: a.scanId });
      this.#event('session_ended', { reason });
      this.#active = undefined;
    } finally {
      this.#ending = false;
    }
  }

  #event(type: 'session_started' | 'session_extended' | 'session_coast_down' | 'session_ended', extra: Partial<EquipmentEvent>): void {
    const a = this.#active!;
    this.deps.emit({ type, ts: this.deps.now(), equipment: this.deps.equipment, scan_id: a.scanId, ...(a.person ? { person: a.person } : {}), ...extra } as EquipmentEvent);
  }

  async #tick(): Promise<void> {
    const a = this.#active;
    if (!a || this.#ending) return;
    const now = this.deps.now();
    // Something else switched it off (lock-out, interlock, max on-time): the session is over.
    if (this.deps.actuators.every((x) => x.state !== 'on')) return this.end('actuator_off');
    const m = a.model;
    if (m.model === 'while_present') {
      if (now - a.lastPresent > m.grace_ms) await this.end('card_removed');
      return;
    }
    if (m.model !== 'timed') return;
    const power = this.deps.powerChannel ? this.deps.values.latest(this.deps.powerChannel) : undefined;
    const idleBelow = m.idle_below_w;
    if (idleBelow !== undefined && power && power.v >= idleBelow) {
      // In use: the session runs on for its minutes after the last use.
      a.lastUse = Math.max(a.lastUse, power.ts);
      a.endsAt = Math.max(a.endsAt ?? 0, a.lastUse + m.minutes * 60_000);
      if (a.coastUntil !== undefined) a.coastUntil = undefined;
    }
    const idleFor = idleBelow !== undefined && m.idle_minutes !== undefined ? now - a.lastUse : 0;
    const idleEnd = m.idle_minutes !== undefined && idleBelow !== undefined && idleFor >= m.idle_minutes * 60_000;
    const timeUp = a.endsAt !== undefined && now >= a.endsAt;
    if (!idleEnd && !timeUp) return;
    if (m.coast_down_s > 0) {
      if (a.coastUntil === undefined) {
        a.coastUntil = now + m.coast_down_s * 1000;
        this.#event('session_coast_down', { reason: idleEnd ? 'idle' : 'timeout', ends_at: a.coastUntil });
        this.deps.pulse('coast_down');
        return;
      }
      if (now < a.coastUntil) return;
    }
    await this.end(idleEnd ? 'idle' : 'timeout');
  }
}

import type { EquipmentEvent } from '@ma/protocol';
import type { Logger } from 'pino';
import type { PeopleStore } from '../access/people-store.js';
import type { NodeIdentity } from '../ingest/ingest.js';
import type { Store } from '../store/store.js';
import type { EquipmentRow, EquipmentStore } from './equipment-store.js';
import type { EquipmentSessionsStore } from './sessions-store.js';

/**
 * Derives equipment sessions (server records) from what nodes report: a session starts with
 * the node's `session_started` (after an accepted tap) or with an actuator switched on by a
 * command, and ends with `session_ended` or the actuator going off for any cause (session end,
 * safe state, maximum on-time, lock-out, interlock, command). The energy of a session is the
 * integral of the actuator's power channel over it, when it has one.
 */
export class SessionTracker {
  /** scan id -> who decided it, so a session says whether the server or the node's list admitted it. */
  readonly #sources = new Map<string, 'server' | 'node'>();

  constructor(
    private readonly deps: { store: Store; equipment: EquipmentStore; sessions: EquipmentSessionsStore; people: PeopleStore; log: Logger },
  ) {}

  decidedBy(scanId: string, source: 'server' | 'node'): void {
    this.#sources.set(scanId, source);
    if (this.#sources.size > 10_000) this.#sources.delete(this.#sources.keys().next().value!);
  }

  async onEvents(node: NodeIdentity, events: readonly EquipmentEvent[]): Promise<void> {
    for (const ev of events) {
      try {
        await this.#one(node, ev);
      } catch (err) {
        this.deps.log.error({ err, node: node.name, type: ev.type }, 'could not record an equipment session');
      }
    }
  }

  async #one(node: NodeIdentity, ev: EquipmentEvent): Promise<void> {
    if (ev.type === 'session_started') {
      const eq = await this.deps.equipment.getByName(ev.equipment);
      const act = eq?.actuators.find((a) => a.node_id === node.id);
      if (!eq || !act || (await this.deps.sessions.open(node.id, act.actuator))) return;
      const person = ev.person ? await this.deps.people.getByName(ev.person) : undefined;
      const source = (ev.scan_id && this.#sources.get(ev.scan_id)) || 'node';
      await this.deps.sessions.start({ equipment_id: eq.id, person_id: person?.id ?? null, node_id: node.id, actuator: act.actuator, source }, ev.ts);
    } else if (ev.type === 'session_ended') {
      const eq = await this.deps.equipment.getByName(ev.equipment);
      const act = eq?.actuators.find((a) => a.node_id === node.id);
      if (eq && act) await this.#end(node, eq, act.actuator, ev.ts, ev.reason ?? 'ended');
    } else if (ev.type === 'actuator_changed') {
      const eq = await this.deps.equipment.byActuator(node.id, ev.actuator);
      if (!eq) return;
      if (ev.state === 'on' && ev.cause === 'command' && !(await this.deps.sessions.open(node.id, ev.actuator))) {
        const person = ev.by ? await this.#personOfActor(ev.by) : undefined;
        await this.deps.sessions.start({ equipment_id: eq.id, person_id: person ?? null, node_id: node.id, actuator: ev.actuator, source: 'command' }, ev.ts);
      } else if (ev.state === 'off') {
        await this.#end(node, eq, ev.actuator, ev.ts, ev.cause);
      }
    }
  }

  async #personOfActor(actor: string): Promise<number | undefined> {
    const name = /^(?:user:|token:\d+@)(.+)$/.exec(actor)?.[1];
    if (!name) return undefined;
    const user = (await this.deps.people.list()).find((p) => p.user_name === name);
    return user?.id;
  }

  async #end(node: NodeIdentity, eq: EquipmentRow, actuator: string, at: number, reason: string): Promise<void> {
    const open = await this.deps.sessions.open(node.id, actuator);
    if (!open) return;
    const end = Math.max(at, open.started_at);
    const powerKey = eq.actuators.find((a) => a.node_id === node.id && a.actuator === actuator)?.power_channel;
    let energy: number | null = null;
    if (powerKey) {
      const ch = (await this.deps.store.listChannels(node.id)).find((c) => c.key === powerKey);
      if (ch && end > open.started_at) {
        const s = await this.deps.store.queryReadings(ch.id, open.started_at, end, 500);
        // Each bucket's average power times its width; a raw series is its own buckets.
        let wms = 0;
        for (let i = 0; i < s.t.length; i++) {
          const next = i + 1 < s.t.length ? s.t[i + 1]! : end;
          wms += s.avg[i]! * Math.max(0, next - s.t[i]!);
        }
        energy = wms / 3_600_000;
      }
    }
    await this.deps.sessions.end(open.id, end, reason, energy);
  }
}

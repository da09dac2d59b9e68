import { ErrorCode, MaError, type EquipmentView, type TrainingView } from '@ma/protocol';
import type { FastifyRequest } from 'fastify';
import { trainingValidUntil } from '../access/decide.js';
import type { PersonRow } from '../access/people-store.js';
import type { TrainingRow } from '../access/trainings-store.js';
import type { EquipmentService } from '../equipment/equipment-service.js';
import type { EquipmentRow } from '../equipment/equipment-store.js';
import type { HttpContext } from './context.js';

/**
 * Who may see and do what with equipment. Equipment is visible to whoever may view one of its
 * nodes (admins see all); names of the people using it only to whoever holds `admin` on every
 * one of its nodes (others see aggregates). Lock-outs are set and cleared by the equipment's
 * maintainers (or an admin); trainings are granted by its trainers (or an admin).
 */
export class EquipmentAccess {
  constructor(
    private readonly ctx: HttpContext,
    readonly service: EquipmentService,
  ) {}

  async visible(req: FastifyRequest, eq: EquipmentRow): Promise<boolean> {
    const access = await this.ctx.access(req);
    if (access.isAdmin || (access.principal.isAdmin && eq.actuators.length === 0)) return true;
    return eq.actuators.some((a) => access.can({ name: a.node }, 'view'));
  }

  async showsNames(req: FastifyRequest, eq: EquipmentRow): Promise<boolean> {
    const access = await this.ctx.access(req);
    if (access.principal.isAdmin) return true;
    return eq.actuators.length > 0 && eq.actuators.every((a) => access.can({ name: a.node }, 'admin'));
  }

  /** The equipment by name, if the caller may see it (404 otherwise, so its existence does not leak). */
  async get(req: FastifyRequest, name: string): Promise<EquipmentRow> {
    this.ctx.principal(req);
    const eq = await this.service.equipment.getByName(name);
    if (!eq || !(await this.visible(req, eq))) throw new MaError(ErrorCode.NotFound, `no equipment named ${JSON.stringify(name)}`);
    return eq;
  }

  /** The caller's own person record (through their MA user), if any. */
  async personOf(req: FastifyRequest): Promise<PersonRow | undefined> {
    const user = this.ctx.principal(req).user;
    return user ? this.service.access.people.getByUserId(user.id) : undefined;
  }

  async #role(req: FastifyRequest, eq: EquipmentRow, role: 'trainer' | 'maintainer'): Promise<void> {
    const access = await this.ctx.access(req);
    if (access.isAdmin) return;
    if (access.principal.readOnly) throw new MaError(ErrorCode.AuthForbidden, 'a read-only token cannot change equipment');
    const me = await this.personOf(req);
    const list = role === 'trainer' ? eq.trainers : eq.maintainers;
    if (!me || !list.includes(me.id)) throw new MaError(ErrorCode.AuthForbidden, `only a ${role} of ${eq.display_name} (or an admin) may do this`);
  }

  requireMaintainer(req: FastifyRequest, eq: EquipmentRow): Promise<void> {
    return this.#role(req, eq, 'maintainer');
  }

  requireTrainer(req: FastifyRequest, eq: EquipmentRow): Promise<void> {
    return this.#role(req, eq, 'trainer');
  }

  async view(req: FastifyRequest, eq: EquipmentRow): Promise<EquipmentView> {
    const s = this.service;
    const names = await this.showsNames(req, eq);
    const people = new Map((await s.access.people.list()).map((p) => [p.id, p]));
    const ref = (id: number) => ({ id, name: people.get(id)?.name ?? `person ${id}` });
    const lockout = await s.equipment.activeLockout(eq.id);
    let inUse: EquipmentView['in_use'] = null;
    for (const a of eq.actuators) {
      const open = await s.sessions.open(a.node_id, a.actuator);
      if (open) inUse = { since: open.started_at, person: names && open.person_id !== null ? (people.get(open.person_id)?.name ?? null) : null, source: open.source };
    }
    const reach = await s.access.reach(eq);
    return {
      id: eq.id,
      name: eq.name,
      display_name: eq.display_name,
      rule: eq.rule,
      actuators: eq.actuators.map((a) => {
        const st = s.commands.state(a.node, a.actuator);
        return {
          node: a.node,
          actuator: a.actuator,
          power_channel: a.power_channel,
          state: st?.state ?? 'unknown',
          power_w: st?.power_w ?? null,
          fault: st?.fault ?? null,
          node_lockout: st?.lockout ? { mode: st.lockout.mode, pending: st.lockout.pending } : null,
        };
      }),
      trainers: eq.trainers.map(ref),
      maintainers: eq.maintainers.map(ref),
      lockout: lockout ? { id: lockout.id, mode: lockout.mode, reason: lockout.reason, set_by: lockout.set_by, set_at: lockout.set_at } : null,
      in_use: inUse,
      reach: { reached: reach.reached, total: reach.total },
    };
  }
}

export function trainingView(t: TrainingRow, person: { id: number; name: string }, equipment: string, now = Date.now()): TrainingView {
  const until = trainingValidUntil(t);
  const status: TrainingView['status'] =
    t.revoked_at !== null ? 'revoked' : t.expires_at !== null && t.expires_at <= now ? 'expired' : until <= now ? 'lapsed' : 'valid';
  return {
    person: { id: person.id, name: person.name },
    equipment,
    granted_by: t.granted_by,
    granted_at: t.granted_at,
    expires_at: t.expires_at,
    lapse_days: t.lapse_days,
    last_used_at: t.last_used_at,
    revoked_at: t.revoked_at,
    valid_until: Number.isFinite(until) ? until : null,
    status,
  };
}

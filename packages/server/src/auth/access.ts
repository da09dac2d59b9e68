import type { Grant, Permission } from '../users/grants-store.js';
import type { Principal } from './principal.js';

/**
 * What one principal may do to which node. Grants name a node or a node tag; `admin` on a
 * node implies every other permission on it, and any permission implies `view` (nobody
 * actuates what they cannot see). A global admin may do everything; a read-only token may
 * only view, and only what its user may view.
 */
export class Access {
  readonly #byNode = new Map<string, Set<Permission>>();
  readonly #byTag = new Map<string, Set<Permission>>();

  constructor(
    readonly principal: Principal,
    grants: readonly Grant[],
    private readonly tagsOf: (nodeName: string) => readonly string[],
  ) {
    for (const g of grants) {
      const m = g.scope === 'node' ? this.#byNode : this.#byTag;
      (m.get(g.target) ?? m.set(g.target, new Set()).get(g.target)!).add(g.permission);
    }
  }

  get isAdmin(): boolean {
    return this.principal.isAdmin && !this.principal.readOnly;
  }

  can(node: { name: string }, permission: Permission): boolean {
    if (this.principal.readOnly && permission !== 'view') return false;
    if (this.principal.isAdmin) return true;
    const held = new Set<Permission>(this.#byNode.get(node.name));
    for (const tag of this.tagsOf(node.name)) for (const p of this.#byTag.get(tag) ?? []) held.add(p);
    if (held.has('admin')) return true;
    return permission === 'view' ? held.size > 0 : held.has(permission);
  }
}

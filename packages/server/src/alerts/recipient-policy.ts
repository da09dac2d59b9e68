import { authDatabase } from '../auth/auth-database.js';
import type { Store } from '../store/store.js';
import { GrantsStore } from '../users/grants-store.js';
import { UsersStore } from '../users/users-store.js';
import type { RecipientPolicy } from './notify-plan.js';

/**
 * A recipient tied to a user is told about a node only while that user may view it: an
 * active admin, or any grant on the node or on one of its tags (every permission implies view,
 * as in auth/access.ts). Checked at send time, so a revoked grant stops the messages at once.
 * Integration point: when users get contact addresses, a `{ type: "user" }` recipient can
 * resolve to them here.
 */
export function grantsRecipientPolicy(store: Store): RecipientPolicy {
  const db = authDatabase(store);
  const users = new UsersStore(db);
  const grants = new GrantsStore(db);
  return async (name, node) => {
    const user = await users.getByName(name);
    if (!user || user.disabled) return false;
    if (user.role === 'admin') return true;
    const held = await grants.list(user.id);
    if (held.some((g) => g.scope === 'node' && g.target === node.name)) return true;
    const tags = (await grants.allNodeTags()).get(node.name) ?? [];
    return held.some((g) => g.scope === 'tag' && tags.includes(g.target));
  };
}

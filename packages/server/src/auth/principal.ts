import type { SessionRow } from '../users/sessions-store.js';
import type { UserRow } from '../users/users-store.js';

/** Who is making a request, and how they proved it. */
export interface Principal {
  /** For the audit log: `user:<name>`, `token:<id>@<user>` or `bootstrap`. */
  actor: string;
  /** Null for the bootstrap admin token from the config or MA_ADMIN_TOKEN. */
  user: UserRow | null;
  /** Global admin role (or the bootstrap token). */
  isAdmin: boolean;
  /** A read-only API token: views only, whatever its user's grants. */
  readOnly: boolean;
  via: 'session' | 'token' | 'bootstrap';
  session?: SessionRow;
  tokenId?: number;
}

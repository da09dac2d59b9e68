import { sha256Hex } from '../auth/tokens.js';
import type { NodeRow } from '../store/store.js';
import type { EnrollmentStore } from './enrollment-store.js';
import { newEnrollmentToken, parseEnrollmentToken } from './enrollment-token.js';

export interface IssuedEnrollment {
  node: string;
  /** Shown once. */
  token: string;
  expires_at: number;
  /** What to run on the node. */
  command: string;
}

/** Issues and redeems one-time node enrollment tokens. */
export class EnrollmentService {
  constructor(
    readonly store: EnrollmentStore,
    private readonly opts: { ttlMs: number; caFingerprint: string | undefined; publicUrl(): string },
  ) {}

  async issue(node: NodeRow, createdBy: string, now = Date.now()): Promise<IssuedEnrollment> {
    const { token, secret } = newEnrollmentToken(this.opts.caFingerprint);
    const row = await this.store.create({ node_id: node.id, token_hash: sha256Hex(secret), created_at: now, expires_at: now + this.opts.ttlMs, created_by: createdBy });
    return { node: node.name, token, expires_at: row.expires_at, command: `ma-agent enroll ${this.opts.publicUrl()} ${token}` };
  }

  /** The node id the token was issued for, once; undefined when unknown, used or expired. */
  async redeem(token: string, now = Date.now()): Promise<number | undefined> {
    const parsed = parseEnrollmentToken(token);
    return parsed && (await this.store.consume(sha256Hex(parsed.secret), now))?.node_id;
  }
}

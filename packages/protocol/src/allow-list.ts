import { z } from 'zod';
import { equipmentKey, sessionModelSchema } from './equipment.js';
import { NODE_NAME_PATTERN } from './topics.js';

/**
 * The allow-list a server signs for one node, retained on `ma/v1/<n>/config/allow-list`.
 * The node decides from it when the server does not answer a scan within its deadline.
 *
 * Cards appear only as `card_hash(card_salt, card_id)` (HMAC-SHA256, see `signing.ts`), so
 * the document never carries raw card ids. `card_salt` is fresh per node, so hashes from
 * one node's list mean nothing on another. Deny wins over any entry; every entry expires
 * on its own (`expires_at`) so a revocation that never reaches an offline node still takes
 * effect by then; the whole list expires at `expires_at` (fail-secure per equipment).
 */

const ts = z.number().int().positive();
export const cardHashSchema = z.string().regex(/^[0-9a-f]{64}$/, 'a card hash: 64 lowercase hex digits (HMAC-SHA256)');

export const allowListEntrySchema = z.object({
  card: cardHashSchema,
  /** Display name of the holder, for the node's decision events (no other personal data). */
  person: z.string().max(128).optional(),
  /** Equipment this card may use on the node. */
  equipment: z.array(equipmentKey).min(1).max(256),
  /** The entry's time to live: refused from this instant on. */
  expires_at: ts,
});
export type AllowListEntry = z.infer<typeof allowListEntrySchema>;

export const allowListDenySchema = z.object({
  card: cardHashSchema,
  /** Why it is denied, e.g. `revoked`, `lost`. */
  reason: z.string().min(1).max(64),
  /** Equipment it is denied on; all equipment when absent. */
  equipment: z.array(equipmentKey).max(256).optional(),
});
export type AllowListDeny = z.infer<typeof allowListDenySchema>;

/** Per-equipment policy the node enforces offline. */
export const allowListEquipmentSchema = z.object({
  /** When the list itself has expired: true (default) denies everyone; false keeps honouring unexpired entries. */
  fail_secure: z.boolean().default(true),
  session: sessionModelSchema.optional(),
});
export type AllowListEquipment = z.infer<typeof allowListEquipmentSchema>;

export const allowListBodySchema = z.object({
  v: z.literal(1),
  /** The node this list is for: a node refuses a list signed for another. */
  node: z.string().regex(NODE_NAME_PATTERN),
  /** Monotonic per node: a node never replaces a list with an older version. */
  version: z.number().int().positive().max(Number.MAX_SAFE_INTEGER),
  issued_at: ts,
  expires_at: ts,
  /** Base64 of at least 16 random bytes; the HMAC key of every `card` in this list. */
  card_salt: z.string().min(22).max(128),
  /** Which server key signed it (for key rotation); informational, the node pins the key. */
  key_id: z.string().min(1).max(64),
  equipment: z.record(equipmentKey, allowListEquipmentSchema).default({}),
  entries: z.array(allowListEntrySchema).max(100_000),
  deny: z.array(allowListDenySchema).max(100_000),
});
export type AllowListBody = z.infer<typeof allowListBodySchema>;
export type AllowListBodyInput = z.input<typeof allowListBodySchema>;

/** The signed document: the body plus `sig`, base64 of an Ed25519 signature over `canonicalJson(body)`. */
export const signedAllowListSchema = allowListBodySchema.extend({ sig: z.string().min(80).max(100) });
export type SignedAllowList = z.infer<typeof signedAllowListSchema>;

/** What a node reports in its status about the list it holds (so the server can show how far a revocation reached). */
export const allowListReportSchema = z.object({
  version: z.number().int().nonnegative(),
  issued_at: ts.optional(),
  expires_at: ts.optional(),
  entries: z.number().int().nonnegative().optional(),
  /** The last list refused (bad signature, other node, older version), with why. */
  last_error: z.string().max(512).optional(),
});
export type AllowListReport = z.infer<typeof allowListReportSchema>;

/**
 * Deterministic JSON: keys sorted at every depth, no whitespace, `undefined` members left
 * out; the bytes both sides sign and verify. Rejects values JSON cannot carry exactly.
 */
export function canonicalJson(value: unknown): string {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
    case 'boolean':
      return JSON.stringify(value);
    case 'number':
      if (!Number.isFinite(value)) throw new TypeError('canonicalJson: non-finite number');
      return JSON.stringify(value);
    case 'object': {
      if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`;
      const obj = value as Record<string, unknown>;
      const keys = Object.keys(obj)
        .filter((k) => obj[k] !== undefined)
        .sort();
      return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(obj[k])}`).join(',')}}`;
    }
    default:
      throw new TypeError(`canonicalJson: cannot encode a ${typeof value}`);
  }
}

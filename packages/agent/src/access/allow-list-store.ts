/**
 * The node's signed allow-list: accepted only when its Ed25519 signature verifies under the
 * pinned server key, it is for this node and it is newer than the one held; kept on disk
 * (verified again at load, so a tampered file is refused) and consulted when the server
 * does not answer a scan in time. Deny wins; every entry expires on its own; a list past its
 * own expiry denies everyone on fail-secure equipment.
 */
import type { KeyObject } from 'node:crypto';
import { isMaError, type AllowListBody, type AllowListReport } from '@ma/protocol';
import { asAllowListPublicKey, cardHash, verifyAllowList } from '@ma/protocol/signing';
import type { Logger } from '../logger.js';
import { readFileIfExists, writeFileDurably } from '../actuators/durable-file.js';

export interface CacheDecision {
  allow: boolean;
  /** `allow_list`, or why not: `revoked` (or the deny entry's reason), `unknown_card`, `not_permitted`, `entry_expired`, `list_expired`, `no_list`. */
  reason: string;
  person?: string;
  version: number;
}

export class AllowListStore {
  #list: AllowListBody | undefined;
  #lastError: string | undefined;
  readonly #key: KeyObject;
  /** Equipment → card hash → entries; rebuilt per list. */
  #entries = new Map<string, AllowListBody['entries'][number]>();
  #deny = new Map<string, AllowListBody['deny'][number]>();

  constructor(
    private readonly opts: { node: string; file: string; publicKeyPem: string; log: Logger; now(): number; onChange?(): void },
  ) {
    this.#key = asAllowListPublicKey(opts.publicKeyPem);
  }

  get list(): AllowListBody | undefined {
    return this.#list;
  }

  report(): AllowListReport {
    const l = this.#list;
    return {
      version: l?.version ?? 0,
      ...(l ? { issued_at: l.issued_at, expires_at: l.expires_at, entries: l.entries.length } : {}),
      ...(this.#lastError ? { last_error: this.#lastError.slice(0, 512) } : {}),
    };
  }

  async load(): Promise<void> {
    const text = await readFileIfExists(this.opts.file);
    if (text === undefined) return;
    try {
      this.#install(this.#verify(JSON.parse(text) as unknown));
      this.opts.log.info({ version: this.#list?.version }, 'allow-list loaded from disk');
    } catch (err) {
      // A list that no longer verifies (tampered, or the pinned key changed) is not used.
      this.#lastError = `stored allow-list refused: ${(err as Error).message}`;
      this.opts.log.error({ err: (err as Error).message }, 'stored allow-list refused; deciding without one until the server sends a new list');
    }
  }

  /** Handles a list pushed by the server: verified, checked, persisted, then used. */
  async accept(payload: Buffer): Promise<boolean> {
    let body: AllowListBody;
    let json: unknown;
    try {
      json = JSON.parse(payload.toString('utf8'));
      body = this.#verify(json);
    } catch (err) {
      this.#lastError = `refused allow-list: ${isMaError(err) || err instanceof SyntaxError ? (err as Error).message : String(err)}`;
      this.opts.log.error({ err: this.#lastError }, 'refused an allow-list');
      this.opts.onChange?.();
      return false;
    }
    if (this.#list && body.version <= this.#list.version) {
      if (body.version < this.#list.version) {
        this.#lastError = `refused allow-list version ${body.version}: older than the version ${this.#list.version} held`;
        this.opts.log.warn({ got: body.version, held: this.#list.version }, 'refused an older allow-list');
        this.opts.onChange?.();
      }
      return false;
    }
    await writeFileDurably(this.opts.file, JSON.stringify(json));
    this.#install(body);
    this.#lastError = undefined;
    this.opts.log.info({ version: body.version, entries: body.entries.length, deny: body.deny.length }, 'allow-list installed');
    this.opts.onChange?.();
    return true;
  }

  #verify(json: unknown): AllowListBody {
    const body = verifyAllowList(json, this.#key);
    if (body.node !== this.opts.node) throw new Error(`it is for node "${body.node}", not "${this.opts.node}"`);
    return body;
  }

  #install(body: AllowListBody): void {
    this.#list = body;
    this.#entries = new Map(body.entries.map((e) => [e.card, e]));
    this.#deny = new Map(body.deny.map((d) => [d.card, d]));
  }

  /** Decides from the list alone, for `equipment`, with `failSecure` from the node's config as default. */
  decide(cardId: string, equipment: string, failSecureDefault: boolean): CacheDecision {
    const l = this.#list;
    if (!l) return { allow: false, reason: 'no_list', version: 0 };
    const now = this.opts.now();
    const hash = cardHash(l.card_salt, cardId);
    const deny = this.#deny.get(hash);
    if (deny && (!deny.equipment || deny.equipment.includes(equipment))) return { allow: false, reason: deny.reason, version: l.version };
    const failSecure = l.equipment[equipment]?.fail_secure ?? failSecureDefault;
    if (now >= l.expires_at && failSecure) return { allow: false, reason: 'list_expired', version: l.version };
    const entry = this.#entries.get(hash);
    if (!entry) return { allow: false, reason: 'unknown_card', version: l.version };
    const person = entry.person !== undefined ? { person: entry.person } : {};
    if (!entry.equipment.includes(equipment)) return { allow: false, reason: 'not_permitted', ...person, version: l.version };
    if (now >= entry.expires_at) return { allow: false, reason: 'entry_expired', ...person, version: l.version };
    return { allow: true, reason: 'allow_list', ...person, version: l.version };
  }
}

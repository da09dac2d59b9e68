import { NODE_NAME_PATTERN } from '@ma/protocol';

/**
 * Who may use which MQTT client id. The broker lets a newer connection with the same client id
 * take over the older one (and its stored session), so a client id is a capability: a node
 * that could take another's id could knock it offline at will, or, with a persistent session,
 * receive its commands.
 *
 * - Ids in our own namespace, `ma-<role>-<node>` (the agent's `ma-agent-<node>`) or
 *   `ma-<role>-<node>-<suffix>` (`ma-replay-<node>-<pid>`), belong to the node they name. Node
 *   names may contain dashes, so the owner of `ma-agent-cold-room` is the longest existing node
 *   name it spells: `cold-room` if that node exists, even though node `cold` is a prefix of it.
 * - Any other id (a tool's random id) belongs to the first node that connected with it, for as
 *   long as the broker may hold a session for it.
 */
const RESERVED = /^ma-([a-z]+)-(.+)$/;

/** The node names an `ma-<role>-...` client id could belong to, longest first; undefined if it is not one of ours. */
export function reservedIdCandidates(clientId: string): string[] | undefined {
  const m = RESERVED.exec(clientId);
  if (!m) return undefined;
  const rest = m[2]!;
  const out: string[] = [];
  for (let end = rest.length; end > 0; end = rest.lastIndexOf('-', end - 1)) {
    const candidate = rest.slice(0, end);
    if (NODE_NAME_PATTERN.test(candidate)) out.push(candidate);
  }
  return out;
}

export class ClientIdPolicy {
  /** Client id -> node name, for ids outside our namespace, while a session may exist for them. */
  readonly #owners = new Map<string, string>();

  constructor(private readonly nodeExists: (name: string) => Promise<boolean>) {}

  /** Whether `node` may connect with `clientId`; explains why not. */
  async check(node: string, clientId: string): Promise<{ ok: true } | { ok: false; owner: string | undefined }> {
    const candidates = reservedIdCandidates(clientId);
    if (candidates) {
      for (const name of candidates) {
        if (name === node) return { ok: true };
        // A longer existing node name owns it before the connecting node's shorter prefix.
        if (await this.nodeExists(name)) return { ok: false, owner: name };
      }
      return { ok: false, owner: undefined };
    }
    const owner = this.#owners.get(clientId);
    if (owner !== undefined && owner !== node) return { ok: false, owner };
    return { ok: true };
  }

  /** Records a connection; `persistent` (clean session off) keeps the binding after it ends. */
  bind(node: string, clientId: string): void {
    if (!reservedIdCandidates(clientId)) this.#owners.set(clientId, node);
  }

  /** A clean-session connection ended: its id holds no session any more and is free again. */
  release(node: string, clientId: string): void {
    if (this.#owners.get(clientId) === node) this.#owners.delete(clientId);
  }
}

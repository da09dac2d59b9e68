import { ErrorCode, MaError, NODE_NAME_PATTERN } from '@ma/protocol';
import { stringify as toYaml } from 'yaml';
import { hashToken, newToken, REVOKED_CREDENTIAL } from '../broker/credentials.js';
import type { NodeRow, Store } from '../store/store.js';

export interface RegisteredNode {
  node: NodeRow;
  /** Shown once; only its hash is stored. Absent when the node must enroll first. */
  credential: string;
}

/**
 * Told whenever a node's credential changes, so the broker that checks it follows at once: the
 * embedded broker drops the node's open connection; an external Mosquitto gets the account
 * created, re-keyed or disabled through its dynamic security plugin.
 */
export interface CredentialListener {
  issued(name: string, credential: string): Promise<void>;
  revoked(name: string): Promise<void>;
}

/** How a node's agent is told to count its readings as delivered (see uplink.ack in the agent). */
export type AgentAckMode = 'puback' | 'server';

/**
 * The one place node credentials are created, rotated and revoked. Every path (CLI, API,
 * enrollment) goes through here, so every broker in use learns of each change.
 */
export class NodeRegistry {
  readonly #listeners: CredentialListener[] = [];

  constructor(
    private readonly store: Store,
    /** `server` when nodes connect to an external broker, whose PUBACK is not a commit. */
    readonly ackMode: AgentAckMode = 'puback',
    /**
     * The allow-list signing key's public half (PEM), written into every agent config so a new
     * node pins it from its first start: without it a node cannot decide a tap while the
     * server is away, and would deny every card.
     */
    private readonly allowListKeyPem?: string,
  ) {}

  addListener(l: CredentialListener): void {
    this.#listeners.push(l);
  }

  /** Creates a node with a fresh credential, or (issueCredential false) one that must enroll first. */
  async create(name: string, displayName?: string, opts: { issueCredential?: boolean } = {}): Promise<RegisteredNode> {
    if (!NODE_NAME_PATTERN.test(name)) {
      throw new MaError(
        ErrorCode.InputInvalid,
        `invalid node name ${JSON.stringify(name)}: use lowercase letters, digits and dashes (e.g. "freezer-room-2"), at most 63 characters`,
      );
    }
    const issue = opts.issueCredential ?? true;
    const credential = newToken('man');
    const node = await this.store.createNode({ name, display_name: displayName ?? name, credential_hash: issue ? hashToken(credential) : REVOKED_CREDENTIAL });
    if (issue) await this.#tell((l) => l.issued(name, credential));
    return { node, credential: issue ? credential : '' };
  }

  /** A new credential for an existing node; the old one stops working at once. */
  async issue(node: NodeRow): Promise<string> {
    const credential = newToken('man');
    await this.store.setNodeCredential(node.id, hashToken(credential));
    await this.#tell((l) => l.issued(node.name, credential));
    return credential;
  }

  async rotate(name: string): Promise<RegisteredNode> {
    const node = await this.store.getNodeByName(name);
    if (!node) throw new MaError(ErrorCode.NotFound, `no node named ${JSON.stringify(name)}`);
    return { node, credential: await this.issue(node) };
  }

  /** The node is refused from now on, and its open connection is closed. */
  async revoke(node: NodeRow): Promise<void> {
    await this.store.setNodeCredential(node.id, REVOKED_CREDENTIAL);
    await this.#tell((l) => l.revoked(node.name));
  }

  agentConfig(name: string, credential: string, mqttUrl: string): string {
    return agentConfigFor(name, credential, mqttUrl, this.ackMode, this.allowListKeyPem);
  }

  async #tell(call: (l: CredentialListener) => Promise<void>): Promise<void> {
    for (const l of this.#listeners) await call(l);
  }
}

/** The agent.yaml a new node needs: where to connect and who it is. Drivers are left to the operator. */
export function agentConfigFor(name: string, credential: string, mqttUrl: string, ackMode: AgentAckMode = 'puback', allowListKeyPem?: string): string {
  return toYaml({
    node: name,
    server: { mqtt_url: mqttUrl, credential },
    data_dir: '/var/lib/ma-agent',
    ...(ackMode === 'server' ? { uplink: { ack: 'server' } } : {}),
    ...(allowListKeyPem ? { access: { allow_list_key: allowListKeyPem } } : {}),
    drivers: [{ driver: 'ds18b20' }, { driver: 'system' }],
  });
}

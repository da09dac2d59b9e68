import { ErrorCode, MaError, NODE_NAME_PATTERN } from '@ma/protocol';
import { stringify as toYaml } from 'yaml';
import { hashToken, newToken } from '../broker/credentials.js';
import type { NodeRow, Store } from '../store/store.js';

export interface RegisteredNode {
  node: NodeRow;
  /** Shown once; only its hash is stored. */
  credential: string;
}

/** Creates nodes with their own credential, and rotates credentials. */
export class NodeRegistry {
  constructor(private readonly store: Store) {}

  async create(name: string, displayName?: string): Promise<RegisteredNode> {
    if (!NODE_NAME_PATTERN.test(name)) {
      throw new MaError(
        ErrorCode.InputInvalid,
        `invalid node name ${JSON.stringify(name)}: use lowercase letters, digits and dashes (e.g. "freezer-room-2"), at most 63 characters`,
      );
    }
    const credential = newToken('man');
    const node = await this.store.createNode({ name, display_name: displayName ?? name, credential_hash: hashToken(credential) });
    return { node, credential };
  }

  async rotate(name: string): Promise<RegisteredNode> {
    const node = await this.store.getNodeByName(name);
    if (!node) throw new MaError(ErrorCode.NotFound, `no node named ${JSON.stringify(name)}`);
    const credential = newToken('man');
    await this.store.setNodeCredential(node.id, hashToken(credential));
    return { node, credential };
  }
}

/** The agent.yaml a new node needs: where to connect and who it is. Drivers are left to the operator. */
export function agentConfigFor(name: string, credential: string, mqttUrl: string): string {
  return toYaml({
    node: name,
    server: { mqtt_url: mqttUrl, credential },
    data_dir: '/var/lib/ma-agent',
    drivers: [{ driver: 'ds18b20' }, { driver: 'system' }],
  });
}

import { randomUUID } from 'node:crypto';
import { ErrorCode, MaError, topics } from '@ma/protocol';
import type { MqttClient } from 'mqtt';
import type { Logger } from 'pino';
import type { CredentialListener } from '../nodes/node-registry.js';

const CONTROL = '$CONTROL/dynamic-security/v1';
const RESPONSE = `${CONTROL}/response`;

interface DynsecCommand {
  command: string;
  [key: string]: unknown;
}
interface DynsecResponse {
  command: string;
  error?: string;
  correlationData?: string;
}

/** A node's role: its own subtree and nothing else (the embedded broker's rule, for Mosquitto). */
export function nodeRoleCommands(name: string): DynsecCommand[] {
  const subtree = topics.nodeSubtree(name);
  const rolename = `ma-node-${name}`;
  return [
    { command: 'createRole', rolename, textdescription: `Monitor Actuator node ${name}: its own topics only` },
    ...['publishClientSend', 'publishClientReceive', 'subscribePattern', 'unsubscribePattern'].map((acltype) => ({
      command: 'addRoleACL',
      rolename,
      acltype,
      topic: subtree,
      allow: true,
      priority: 0,
    })),
  ];
}

/**
 * Keeps node accounts on an external Mosquitto in step with the server's credentials, through
 * the dynamic security plugin's control topic. Disabling a client makes Mosquitto drop its
 * connection at once, which gives revocation the same meaning as with the embedded broker.
 */
export class DynsecProvisioner implements CredentialListener {
  readonly #pending = new Map<string, { resolve(r: DynsecResponse): void; reject(e: Error): void }>();
  #subscribed: Promise<void> | undefined;

  constructor(
    private readonly client: MqttClient,
    private readonly log: Logger,
    private readonly timeoutMs = 10_000,
  ) {
    client.on('message', (topic, payload) => {
      if (topic !== RESPONSE) return;
      let body: { responses?: DynsecResponse[] };
      try {
        body = JSON.parse(payload.toString('utf8')) as { responses?: DynsecResponse[] };
      } catch {
        return;
      }
      for (const r of body.responses ?? []) {
        const waiter = r.correlationData ? this.#pending.get(r.correlationData) : undefined;
        if (!waiter) continue;
        this.#pending.delete(r.correlationData!);
        waiter.resolve(r);
      }
    });
  }

  async issued(name: string, credential: string): Promise<void> {
    // Idempotent: "already exists" answers are fine, so this also repairs a half-provisioned node.
    const role = `ma-node-${name}`;
    await this.#run(nodeRoleCommands(name), ['already exists']);
    const [created] = await this.#run([{ command: 'createClient', username: name, password: credential, roles: [{ rolename: role }] }], ['already exists']);
    if (created?.error) {
      // An existing account (re-enrolled or rotated): new password, enabled, and the session
      // that used the old password dropped by a disable/enable cycle.
      await this.#run([{ command: 'setClientPassword', username: name, password: credential }], []);
      await this.#run([{ command: 'disableClient', username: name }], []);
      await this.#run([{ command: 'enableClient', username: name }], []);
    }
    this.log.info({ node: name }, 'node account provisioned on the external broker');
  }

  async revoked(name: string): Promise<void> {
    await this.#run([{ command: 'disableClient', username: name }], ['not found']);
    this.log.info({ node: name }, 'node account disabled on the external broker');
  }

  /** Sends commands and waits for every answer; errors other than the tolerated ones throw. */
  async #run(commands: DynsecCommand[], tolerated: string[]): Promise<DynsecResponse[]> {
    this.#subscribed ??= this.client.subscribeAsync(RESPONSE, { qos: 1 }).then(() => undefined);
    await this.#subscribed;
    const withIds = commands.map((c) => ({ ...c, correlationData: randomUUID() }));
    const answers = withIds.map(
      (c) =>
        new Promise<DynsecResponse>((resolve, reject) => {
          const timer = setTimeout(() => {
            this.#pending.delete(c.correlationData);
            reject(new MaError(ErrorCode.TransportConnectFailed, `the external broker did not answer dynamic-security command ${c.command} within ${this.timeoutMs} ms; is the dynamic security plugin loaded and is this account allowed on ${CONTROL}?`));
          }, this.timeoutMs);
          this.#pending.set(c.correlationData, {
            resolve: (r) => {
              clearTimeout(timer);
              resolve(r);
            },
            reject,
          });
        }),
    );
    await this.client.publishAsync(CONTROL, JSON.stringify({ commands: withIds }), { qos: 1 });
    const responses = await Promise.all(answers);
    for (const r of responses) {
      if (r.error && !tolerated.some((t) => r.error!.includes(t))) {
        throw new MaError(ErrorCode.TransportAuth, `the external broker refused ${r.command}: ${r.error}`);
      }
    }
    return responses;
  }
}

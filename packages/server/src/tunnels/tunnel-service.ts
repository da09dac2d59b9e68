import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Status } from '@ma/protocol';
import type { Logger } from 'pino';
import { isRevoked } from '../broker/credentials.js';
import type { NodeRow } from '../store/store.js';
import type { NodeTunnelKey, TunnelsStore } from '../store/tunnels-store.js';
import { renderAuthorizedKeys } from './authorized-keys.js';
import type { SshPublicKey } from './public-key.js';
import { probeSshBanner, type TunnelProbe } from './tunnel-check.js';

export interface TunnelServiceOptions {
  store: TunnelsStore;
  portBase: number;
  /** Where to write the tunnel account's authorized_keys; unset: not written (print it with `ma tunnel server-config`). */
  authorizedKeysFile: string | undefined;
  /** How often every tunnel is checked end to end, and the authorized_keys file re-synced. */
  checkIntervalMs: number;
  log: Logger;
}

export interface TunnelView {
  node: string;
  port: number;
  fingerprint: string | null;
  key_updated_at: number | null;
  /** The last end-to-end check (connect to the port, read an SSH banner); null before the first. */
  check: TunnelProbe | null;
  /** What the node's agent last reported about its tunnel (up/down/error, transport, last ssh error). */
  agent: Status['tunnel'] | null;
}

function agentTunnel(node: Pick<NodeRow, 'status_json'>): Status['tunnel'] | null {
  if (!node.status_json) return null;
  try {
    return (JSON.parse(node.status_json) as Status).tunnel ?? null;
  } catch {
    return null;
  }
}

/**
 * The control point's side of the tunnels: the registered node keys, the authorized_keys
 * file generated from them, and a periodic end-to-end check of each tunnel.
 */
export class TunnelService {
  readonly #o: TunnelServiceOptions;
  readonly #checks = new Map<number, TunnelProbe>();
  #timer: NodeJS.Timeout | undefined;
  #lastWritten: string | undefined;
  #syncing: Promise<void> = Promise.resolve();

  constructor(o: TunnelServiceOptions) {
    this.#o = o;
  }

  portOf(nodeId: number): number {
    return this.#o.portBase + nodeId;
  }

  async start(): Promise<void> {
    await this.syncAuthorizedKeys();
    this.#timer = setInterval(() => void this.#tick(), this.#o.checkIntervalMs);
    this.#timer.unref();
    void this.#tick();
  }

  stop(): void {
    clearInterval(this.#timer);
  }

  async setKey(node: NodeRow, key: SshPublicKey): Promise<number> {
    await this.#o.store.setKey(node.id, key);
    await this.syncAuthorizedKeys();
    this.#o.log.info({ node: node.name, fingerprint: key.fingerprint, port: this.portOf(node.id) }, 'tunnel key registered');
    return this.portOf(node.id);
  }

  async deleteKey(node: NodeRow): Promise<boolean> {
    const had = await this.#o.store.deleteKey(node.id);
    await this.syncAuthorizedKeys();
    if (had) this.#o.log.info({ node: node.name }, 'tunnel key revoked');
    return had;
  }

  /** Keys that may open a tunnel: registered, and their node not revoked. */
  async activeKeys(): Promise<NodeTunnelKey[]> {
    return (await this.#o.store.listKeys()).filter((k) => !isRevoked(k.credential_hash));
  }

  async authorizedKeys(): Promise<string> {
    return renderAuthorizedKeys((await this.activeKeys()).map((k) => ({ node: k.node, port: this.portOf(k.node_id), key: k.key })));
  }

  /**
   * Rewrites the authorized_keys file when its content would change (atomically: sshd reads
   * it on every login, and must never see half a file). Also runs periodically, so a node
   * revoked by other means loses its tunnel within one check interval.
   */
  syncAuthorizedKeys(): Promise<void> {
    const file = this.#o.authorizedKeysFile;
    if (!file) return Promise.resolve();
    this.#syncing = this.#syncing.then(async () => {
      const text = await this.authorizedKeys();
      if (text === this.#lastWritten) return;
      const current = await readFile(file, 'utf8').catch(() => undefined);
      if (current !== text) {
        await mkdir(path.dirname(file), { recursive: true });
        const tmp = `${file}.tmp-${process.pid}`;
        await writeFile(tmp, text, { mode: 0o644 });
        await rename(tmp, file);
        this.#o.log.info({ file, keys: text.split('\n').filter((l) => l && !l.startsWith('#')).length }, 'tunnel authorized_keys written');
      }
      this.#lastWritten = text;
    });
    const p = this.#syncing;
    this.#syncing = p.catch(() => undefined);
    return p;
  }

  async view(nodes: readonly NodeRow[]): Promise<TunnelView[]> {
    const keys = new Map((await this.activeKeys()).map((k) => [k.node_id, k]));
    return nodes.map((n) => {
      const k = keys.get(n.id);
      return { node: n.name, port: this.portOf(n.id), fingerprint: k?.key.fingerprint ?? null, key_updated_at: k?.updated_at ?? null, check: this.#checks.get(n.id) ?? null, agent: agentTunnel(n) };
    });
  }

  /**
   * Checks one node's tunnel now, if its agent is online and reports the tunnel up. A probe
   * is traffic on the control point's session for that port: probing a forward whose node
   * lost power would keep sshd's ClientAlive from ever reaping it (measured: the port stayed
   * held for over 60 s under 1 s probes, and was freed in 18 s without them), and the
   * rebooted node would be locked out of its own port.
   */
  async check(node: Pick<NodeRow, 'id' | 'online' | 'status_json'>): Promise<TunnelProbe> {
    const nodeId = node.id;
    const reported = agentTunnel(node)?.state;
    if (!node.online || reported !== 'up') {
      const skipped = { ok: false, error: `not probed: ${node.online ? `the agent reports its tunnel ${reported ?? 'disabled'}` : 'the node is offline'}`, at: Date.now() };
      this.#checks.set(nodeId, skipped);
      return skipped;
    }
    const r = await probeSshBanner(this.portOf(nodeId));
    const before = this.#checks.get(nodeId);
    this.#checks.set(nodeId, r);
    if (before && before.ok !== r.ok) this.#o.log.info({ node_id: nodeId, ok: r.ok, error: r.error }, r.ok ? 'tunnel check passes again' : 'tunnel check fails');
    return r;
  }

  async #tick(): Promise<void> {
    try {
      await this.syncAuthorizedKeys();
      const keys = await this.activeKeys();
      await Promise.all(keys.map((k) => this.check({ id: k.node_id, online: k.online, status_json: k.status_json })));
    } catch (err) {
      this.#o.log.error({ err }, 'tunnel checks failed');
    }
  }
}

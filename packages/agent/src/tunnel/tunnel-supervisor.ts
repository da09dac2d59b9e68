import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { Backoff } from '../backoff.js';
import type { Logger } from '../logger.js';
import { buildSshArgs, shellQuote, type SshTunnelArgs } from './ssh-args.js';
import { classifySshLine, isDecisive, isReachabilityFailure } from './ssh-output.js';

export type TunnelTransport = 'direct' | 'websocket';

/** What the node reports about its tunnel (the `tunnel` field of its status). */
export interface TunnelStatus {
  /** up: the control point accepted the forward; down: connecting or waiting to retry; error: the last attempt failed. */
  state: 'up' | 'down' | 'error';
  transport: TunnelTransport;
  /** Absent until the port is known (learned from the server at key registration). */
  remote_port?: number;
  /** When the state last changed. */
  since: number;
  /** The last error ssh reported, kept after recovery so it stays visible. */
  last_error?: string;
  last_error_at?: number;
  /** ssh processes started after the first. */
  restarts: number;
}

export interface TunnelSupervisorOptions {
  ssh: Omit<SshTunnelArgs, 'proxyCommand'>;
  sshBinary: string;
  transport: 'auto' | TunnelTransport;
  /** How to run `ma-agent ws-proxy` as ssh's ProxyCommand; required for the websocket transport. */
  websocket?: { command: string[]; env: NodeJS.ProcessEnv };
  restartMinMs: number;
  restartMaxMs: number;
  log: Logger;
  /** Called after every change of state (to refresh the node's status). */
  onChange?: (status: TunnelStatus) => void;
  now?: () => number;
  random?: () => number;
}

/** A session that stayed up this long counts as healthy: the next restart starts from the shortest delay. */
const HEALTHY_AFTER_MS = 30_000;
/**
 * After a power cut the control point still holds the node's port until its ClientAlive
 * check reaps the dead session (about 40 s with the generated sshd block); the forward is
 * refused until then. Retrying at least this often gets the port back soon after, rather
 * than up to restart_max later.
 */
const FORWARD_REFUSED_RETRY_MAX_MS = 10_000;

/**
 * Keeps one `ssh -N -R` running. ssh exits on its own when the forward cannot be set up
 * (ExitOnForwardFailure) or the control point stops answering (ServerAlive*); the
 * supervisor then starts a new one after a jittered backoff. It never stops a running ssh
 * except on stop(), so a healthy tunnel is never torn down to "refresh" it.
 *
 * With transport `auto`, an attempt that could not reach the control point's SSH port is
 * followed by one through the WebSocket bridge on the server's HTTP(S) port; after a
 * WebSocket attempt or session, direct is tried first again.
 */
export class TunnelSupervisor {
  readonly #o: TunnelSupervisorOptions;
  readonly #now: () => number;
  readonly #backoff: Backoff;
  #child: ChildProcess | undefined;
  #timer: NodeJS.Timeout | undefined;
  #stopped = true;
  #started = 0;
  #transport: TunnelTransport;
  #status: TunnelStatus;
  #loggedFailure = false;

  constructor(options: TunnelSupervisorOptions) {
    this.#o = options;
    this.#now = options.now ?? Date.now;
    this.#backoff = new Backoff(options.restartMinMs, options.restartMaxMs, options.random);
    this.#transport = options.transport === 'websocket' ? 'websocket' : 'direct';
    if (options.transport !== 'direct' && !options.websocket) throw new Error(`tunnel transport ${options.transport} needs the WebSocket bridge command`);
    this.#status = { state: 'down', transport: this.#transport, remote_port: options.ssh.remotePort, since: this.#now(), restarts: 0 };
  }

  status(): TunnelStatus {
    return { ...this.#status };
  }

  /** The running ssh's pid, if any (tests kill it to simulate a power cut). */
  get pid(): number | undefined {
    return this.#child?.pid;
  }

  start(): void {
    if (!this.#stopped) return;
    this.#stopped = false;
    this.#launch();
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    clearTimeout(this.#timer);
    const child = this.#child;
    if (!child || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill('SIGTERM');
    const force = setTimeout(() => child.kill('SIGKILL'), 2000);
    await exited;
    clearTimeout(force);
  }

  #set(patch: Partial<TunnelStatus>): void {
    const before = this.#status;
    this.#status = { ...before, ...patch, ...(patch.state && patch.state !== before.state ? { since: this.#now() } : {}) };
    this.#o.onChange?.(this.status());
  }

  #launch(): void {
    if (this.#stopped) return;
    const transport = this.#transport;
    const websocket = transport === 'websocket' ? this.#o.websocket : undefined;
    const args = buildSshArgs({ ...this.#o.ssh, ...(websocket ? { proxyCommand: websocket.command.map(shellQuote).join(' ') } : {}) });
    const child = spawn(this.#o.sshBinary, args, {
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, ...(websocket?.env ?? {}) },
    });
    this.#child = child;
    this.#started++;
    const startedAt = this.#now();
    let firstError: string | undefined;
    let up = false;
    this.#set({ state: this.#status.state === 'error' ? 'error' : 'down', transport, restarts: Math.max(0, this.#started - 1) });

    createInterface({ input: child.stderr! }).on('line', (line) => {
      const c = classifySshLine(line);
      if (c.kind === 'forward_up' && !up) {
        up = true;
        this.#loggedFailure = false;
        this.#o.log.info({ transport, remote_port: this.#o.ssh.remotePort, host: this.#o.ssh.host }, 'tunnel up');
        this.#set({ state: 'up' });
      } else if (c.kind === 'error') {
        if (firstError === undefined || (isDecisive(c.message) && !isDecisive(firstError))) firstError = c.message;
      }
    });
    child.once('error', (err) => {
      // spawn failed (ssh not installed): 'exit' may not follow.
      firstError ??= `cannot run ${this.#o.sshBinary}: ${err.message}`;
      if (child.exitCode === null && child.signalCode === null && child.pid === undefined) this.#onExit(child, transport, startedAt, up, firstError, null, null);
    });
    // 'close', not 'exit': only then has all of ssh's stderr been read (the explanation of the exit).
    child.once('close', (code, signal) => this.#onExit(child, transport, startedAt, up, firstError, code, signal));
  }

  #onExit(child: ChildProcess, transport: TunnelTransport, startedAt: number, wasUp: boolean, firstError: string | undefined, code: number | null, signal: NodeJS.Signals | null): void {
    if (this.#child !== child) return;
    this.#child = undefined;
    if (this.#stopped) {
      this.#set({ state: 'down' });
      return;
    }
    const message = firstError ?? `ssh exited (${signal ?? `code ${code}`})`;
    const at = this.#now();
    if (wasUp && at - startedAt >= HEALTHY_AFTER_MS) this.#backoff.reset();
    // auto: a control point whose SSH port cannot be reached is tried over the HTTPS port next;
    // after any WebSocket attempt, direct SSH gets the next chance (it is cheaper, and the
    // network may have changed), so the two alternate while neither works.
    if (this.#o.transport === 'auto') {
      if (transport === 'direct' && !wasUp && isReachabilityFailure(firstError)) this.#transport = 'websocket';
      else if (transport === 'websocket') this.#transport = 'direct';
    }
    const forwardRefused = /remote port forwarding failed/.test(message);
    const delay = forwardRefused ? Math.min(this.#backoff.next(), Math.max(FORWARD_REFUSED_RETRY_MAX_MS, this.#o.restartMinMs)) : this.#backoff.next();
    // Logged once per outage (and once on recovery), not on every retry.
    if (!this.#loggedFailure) {
      this.#o.log.warn({ transport, error: message, retry_in_ms: delay, next_transport: this.#transport }, wasUp ? 'tunnel lost' : 'tunnel could not be set up');
      this.#loggedFailure = true;
    } else {
      this.#o.log.debug({ transport, error: message, retry_in_ms: delay }, 'tunnel attempt failed');
    }
    this.#set({ state: 'error', last_error: message, last_error_at: at });
    this.#timer = setTimeout(() => this.#launch(), delay);
  }
}

import WebSocket from 'ws';
import { Backoff } from '../backoff.js';
import type { Logger } from '../logger.js';
import type { LogRing } from './log-ring.js';

/** Messages the server sends on /tunnel/logs. */
type ServerMessage = { type: 'tail'; id: number; lines: number } | { type: 'follow'; on: boolean };

export interface LogChannelOptions {
  serverUrl: string;
  node: string;
  credential: string;
  ca?: Buffer;
  ring: LogRing;
  log: Logger;
}

/**
 * Keeps a WebSocket open to the server's /tunnel/logs (authenticated as the node) so that
 * `ma logs <node>` can read the agent's recent log lines and follow new ones, for people
 * without shell access. Idle unless someone asks: the server requests a tail or switches
 * following on and off.
 */
export class LogChannel {
  readonly #o: LogChannelOptions;
  readonly #backoff = new Backoff(2000, 60_000);
  #socket: WebSocket | undefined;
  #timer: NodeJS.Timeout | undefined;
  #unfollow: (() => void) | undefined;
  #stopped = false;
  #failing = false;

  constructor(o: LogChannelOptions) {
    this.#o = o;
  }

  start(): void {
    this.#connect();
  }

  stop(): void {
    this.#stopped = true;
    clearTimeout(this.#timer);
    this.#unfollow?.();
    this.#socket?.terminate();
  }

  #connect(): void {
    if (this.#stopped) return;
    const url = `${this.#o.serverUrl.replace(/^http/, 'ws')}/tunnel/logs`;
    const auth = Buffer.from(`${this.#o.node}:${this.#o.credential}`).toString('base64');
    const socket = new WebSocket(url, { headers: { authorization: `Basic ${auth}` }, ...(this.#o.ca ? { ca: this.#o.ca } : {}) });
    this.#socket = socket;
    socket.on('open', () => {
      this.#backoff.reset();
      if (this.#failing) this.#o.log.info('log channel to the server is back');
      this.#failing = false;
    });
    socket.on('message', (data) => {
      let m: ServerMessage;
      try {
        m = JSON.parse(String(data)) as ServerMessage;
      } catch {
        return;
      }
      if (m.type === 'tail') socket.send(JSON.stringify({ type: 'tail', id: m.id, lines: this.#o.ring.tail(Math.min(m.lines, 10_000)) }));
      else if (m.type === 'follow') {
        this.#unfollow?.();
        this.#unfollow = m.on ? this.#o.ring.follow((line) => socket.readyState === socket.OPEN && socket.send(JSON.stringify({ type: 'line', line }))) : undefined;
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => {
      this.#unfollow?.();
      this.#unfollow = undefined;
      if (this.#stopped) return;
      // Logged once per outage; never per attempt (these lines would themselves be sent).
      if (!this.#failing) this.#o.log.warn({ url }, 'log channel to the server closed; reconnecting');
      this.#failing = true;
      this.#timer = setTimeout(() => this.#connect(), this.#backoff.next());
    });
  }
}

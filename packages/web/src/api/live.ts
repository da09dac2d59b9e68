/**
 * The live feed (WebSocket `/api/v1/live`): one connection per page, shared by every feature through
 * `subscribe()`. Reconnects with exponential backoff and jitter when the connection drops. Each listener is
 * isolated, so one failing feature cannot stop the others from getting messages.
 */
import type { LiveMessage } from '@ma/protocol';
import { API_BASE } from './client';

export type LiveState = 'connecting' | 'open' | 'closed';

export interface LiveClientOptions {
  url?: string;
  /** first retry delay (ms) */
  minDelayMs?: number;
  /** retry delay cap (ms) */
  maxDelayMs?: number;
}

type MessageListener = (message: LiveMessage) => void;
type StateListener = (state: LiveState, info: { reconnected: boolean }) => void;

const MESSAGE_TYPES: ReadonlySet<string> = new Set(['hello', 'readings', 'status', 'channel', 'equipment']);

/** Cheap structural check of a frame; the server validates what it sends, we only guard against garbage. */
export function parseLiveMessage(raw: unknown): LiveMessage | null {
  if (typeof raw !== 'string') return null;
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return null;
  }
  if (typeof value !== 'object' || value === null) return null;
  const type = (value as { type?: unknown }).type;
  if (typeof type !== 'string' || !MESSAGE_TYPES.has(type)) return null;
  if (type === 'readings' && !Array.isArray((value as { readings?: unknown }).readings)) return null;
  return value as LiveMessage;
}

export function defaultLiveUrl(): string {
  const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  return `${scheme}//${location.host}${API_BASE}/live`;
}

export class LiveClient {
  private socket: WebSocket | null = null;
  private retryTimer: ReturnType<typeof setTimeout> | null = null;
  private attempt = 0;
  private everOpened = false;
  private stopped = true;
  private current: LiveState = 'closed';
  private readonly messageListeners = new Set<MessageListener>();
  private readonly stateListeners = new Set<StateListener>();
  private readonly url: string;
  private readonly minDelayMs: number;
  private readonly maxDelayMs: number;

  constructor(options: LiveClientOptions = {}) {
    this.url = options.url ?? defaultLiveUrl();
    this.minDelayMs = options.minDelayMs ?? 500;
    this.maxDelayMs = options.maxDelayMs ?? 30_000;
  }

  get state(): LiveState {
    return this.current;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.connect();
  }

  stop(): void {
    this.stopped = true;
    if (this.retryTimer !== null) clearTimeout(this.retryTimer);
    this.retryTimer = null;
    const socket = this.socket;
    this.socket = null;
    socket?.close(1000, 'client stopped');
    this.setState('closed', false);
  }

  /** Listen to every message; returns the unsubscribe function. */
  subscribe(listener: MessageListener): () => void {
    this.messageListeners.add(listener);
    return () => this.messageListeners.delete(listener);
  }

  /** Listen to connection state changes; `reconnected` is true when a connection opens after a drop. */
  onState(listener: StateListener): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  private connect(): void {
    this.setState('connecting', false);
    let socket: WebSocket;
    try {
      socket = new WebSocket(this.url);
    } catch (error) {
      console.warn('live: cannot open WebSocket', error);
      this.scheduleRetry();
      return;
    }
    this.socket = socket;
    socket.addEventListener('open', () => {
      if (this.socket !== socket) return;
      const reconnected = this.everOpened;
      this.everOpened = true;
      this.attempt = 0;
      this.setState('open', reconnected);
    });
    socket.addEventListener('message', (event: MessageEvent) => {
      if (this.socket !== socket) return;
      const message = parseLiveMessage(event.data);
      if (message === null) return;
      for (const listener of this.messageListeners) {
        try {
          listener(message);
        } catch (error) {
          console.error('live: listener failed', error);
        }
      }
    });
    socket.addEventListener('close', () => {
      if (this.socket !== socket) return;
      this.socket = null;
      if (!this.stopped) this.scheduleRetry();
    });
    // 'error' is always followed by 'close', which schedules the retry.
  }

  private scheduleRetry(): void {
    this.setState('closed', false);
    const base = Math.min(this.maxDelayMs, this.minDelayMs * 2 ** this.attempt);
    this.attempt += 1;
    const delay = base / 2 + Math.random() * (base / 2);
    this.retryTimer = setTimeout(() => {
      this.retryTimer = null;
      if (!this.stopped) this.connect();
    }, delay);
  }

  private setState(state: LiveState, reconnected: boolean): void {
    if (state === this.current && !reconnected) return;
    this.current = state;
    for (const listener of this.stateListeners) {
      try {
        listener(state, { reconnected });
      } catch (error) {
        console.error('live: state listener failed', error);
      }
    }
  }
}

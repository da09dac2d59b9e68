/**
 * Nodes and channels as the dashboard knows them: loaded from the HTTP API, then kept current by the live
 * feed (`status`, `channel` and `readings` messages). Snapshots are immutable, so components re-render by
 * identity. One store per page; features read it through `useDashboard()`.
 */
import type { ChannelSummary, LiveMessage, NodeSummary } from '@ma/protocol';
import { listChannels, listNodes } from '../api/client';
import type { LiveClient, LiveState } from '../api/live';

export interface DashboardSnapshot {
  status: 'loading' | 'ready' | 'error';
  /** the last load error, kept while stale data is shown */
  error: string | null;
  /** sorted by display name */
  nodes: readonly NodeSummary[];
  /** sorted by node name, then label */
  channels: readonly ChannelSummary[];
  live: LiveState;
  /** server clock minus browser clock (ms), from the live feed's `hello` */
  clockOffsetMs: number;
}

type Listener = (snapshot: DashboardSnapshot) => void;

const STATS_REFRESH_MS = 30_000;

export function sortNodes(nodes: Iterable<NodeSummary>): NodeSummary[] {
  return [...nodes].sort(
    (a, b) => a.display_name.localeCompare(b.display_name) || a.name.localeCompare(b.name),
  );
}

export function sortChannels(channels: Iterable<ChannelSummary>): ChannelSummary[] {
  return [...channels].sort(
    (a, b) => a.node.localeCompare(b.node) || a.label.localeCompare(b.label) || a.id - b.id,
  );
}

export class DashboardStore {
  private snapshot: DashboardSnapshot = {
    status: 'loading',
    error: null,
    nodes: [],
    channels: [],
    live: 'closed',
    clockOffsetMs: 0,
  };
  private readonly listeners = new Set<Listener>();
  private notifyQueued = false;
  private loading: Promise<void> | null = null;
  private reloadQueued = false;
  private refreshTimer: ReturnType<typeof setInterval> | null = null;
  private detachLive: (() => void) | null = null;

  get current(): DashboardSnapshot {
    return this.snapshot;
  }

  /** Browser time corrected to the server's clock. */
  serverNow(): number {
    return Date.now() + this.snapshot.clockOffsetMs;
  }

  subscribe(listener: Listener): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Load, follow the live feed, and refresh node stats periodically. */
  start(live: LiveClient): void {
    void this.load();
    const offMessage = live.subscribe((message) => this.apply(message));
    const offState = live.onState((state, { reconnected }) => {
      this.update({ live: state });
      // Status changes may have been missed while disconnected: resynchronise.
      if (reconnected) void this.load();
    });
    this.update({ live: live.state });
    this.refreshTimer = setInterval(() => void this.load(), STATS_REFRESH_MS);
    this.detachLive = () => {
      offMessage();
      offState();
    };
  }

  stop(): void {
    this.detachLive?.();
    this.detachLive = null;
    if (this.refreshTimer !== null) clearInterval(this.refreshTimer);
    this.refreshTimer = null;
  }

  /** Fetch nodes and channels. Concurrent calls coalesce into at most one follow-up load. */
  load(): Promise<void> {
    if (this.loading !== null) {
      this.reloadQueued = true;
      return this.loading;
    }
    this.loading = (async () => {
      try {
        const [nodes, channels] = await Promise.all([listNodes(), listChannels()]);
        this.update({
          status: 'ready',
          error: null,
          nodes: sortNodes(nodes.nodes),
          channels: sortChannels(channels.channels),
        });
      } catch (error) {
        const message = error instanceof Error ? error.message : String(error);
        this.update({ status: this.snapshot.status === 'ready' ? 'ready' : 'error', error: message });
      } finally {
        this.loading = null;
        if (this.reloadQueued) {
          this.reloadQueued = false;
          void this.load();
        }
      }
    })();
    return this.loading;
  }

  apply(message: LiveMessage): void {
    switch (message.type) {
      case 'hello':
        this.update({ clockOffsetMs: message.server_time - Date.now() });
        return;
      case 'status':
        this.applyStatus(message.node, message.online, message.last_seen);
        return;
      case 'channel':
        this.applyChannel(message.channel);
        return;
      case 'readings':
        this.applyReadings(message.node, message.readings);
        return;
    }
  }

  private applyStatus(name: string, online: boolean, lastSeen: number | null): void {
    if (!this.snapshot.nodes.some((n) => n.name === name)) {
      void this.load(); // a node we have not seen yet
      return;
    }
    this.update({
      nodes: this.snapshot.nodes.map((n) => (n.name === name ? { ...n, online, last_seen: lastSeen ?? n.last_seen } : n)),
    });
  }

  private applyChannel(channel: ChannelSummary): void {
    const others = this.snapshot.channels.filter((c) => c.id !== channel.id);
    this.update({ channels: sortChannels([...others, channel]) });
    if (!this.snapshot.nodes.some((n) => n.name === channel.node)) void this.load();
  }

  private applyReadings(name: string, readings: ReadonlyArray<{ channel: number; ts: number; v: number }>): void {
    if (readings.length === 0) return;
    const latest = new Map<number, { ts: number; v: number }>();
    for (const r of readings) {
      const seen = latest.get(r.channel);
      if (seen === undefined || r.ts >= seen.ts) latest.set(r.channel, r);
    }
    let changed = false;
    const channels = this.snapshot.channels.map((c) => {
      const r = latest.get(c.id);
      if (r === undefined || (c.last_ts !== null && r.ts < c.last_ts)) return c;
      changed = true;
      return { ...c, last_ts: r.ts, last_value: r.v, available: true, error: null };
    });
    const now = this.serverNow();
    const nodes = this.snapshot.nodes.map((n) =>
      n.name === name && (n.last_seen === null || n.last_seen < now) ? { ...n, last_seen: now } : n,
    );
    this.update(changed ? { channels, nodes } : { nodes });
  }

  private update(patch: Partial<DashboardSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...patch };
    if (this.notifyQueued) return;
    this.notifyQueued = true;
    queueMicrotask(() => {
      this.notifyQueued = false;
      for (const listener of this.listeners) {
        try {
          listener(this.snapshot);
        } catch (error) {
          console.error('dashboard store: listener failed', error);
        }
      }
    });
  }
}

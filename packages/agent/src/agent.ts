import { readFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { ChannelMeta, NodeEvent } from '@ma/protocol';
import { SystemClock, type ClockSource } from './clock/clock-source.js';
import type { EquipmentNode } from './commands/equipment-node.js';
import { hasEquipment } from './config/equipment-config-check.js';
import type { LoadedAgentConfig } from './config/load.js';
import type { DriverInstance } from './drivers/driver.js';
import { getDriver } from './drivers/registry.js';
import type { Logger } from './logger.js';
import { AGENT_VERSION, bootId, primaryIp } from './node-info.js';
import type { Outbox, OutboxEntry } from './outbox/outbox.js';
import { createSegmentLogOutbox, type DropReason } from './outbox/segment-log-outbox.js';
import { Scheduler } from './scheduler.js';
import { LogChannel } from './remote-logs/log-channel.js';
import type { LogRing } from './remote-logs/log-ring.js';
import { startTunnel, tunnelServerUrl, type RunningTunnel } from './tunnel/start-tunnel.js';
import { Uplink } from './uplink.js';
import type { CameraNode } from './cameras/camera-node.js';

export interface RunningAgent {
  outbox: Outbox;
  scheduler: Scheduler;
  uplink: Uplink;
  clock: ClockSource;
  drivers: Array<{ id: string; instance: DriverInstance }>;
  /** The reverse SSH tunnel, when enabled. */
  tunnel: RunningTunnel | undefined;
  /** Actuators, readers and access control, when configured. */
  equipment: EquipmentNode | undefined;
  /** Stops everything within config.stop_timeout. */
  stop(): Promise<void>;
  /** For an exit that cannot wait any longer: counts what the outbox holds only in memory as dropped. */
  abandon(): void;
}

/**
 * Wires drivers -> scheduler -> outbox -> uplink. A reading goes to the outbox first and
 * only then towards the server; a reading the outbox accepted is never lost.
 */
export async function startAgent(loaded: LoadedAgentConfig, log: Logger, extras: { logRing?: LogRing } = {}): Promise<RunningAgent> {
  const { config } = loaded;
  const startedAt = Date.now();
  const boot = bootId();
  const abort = new AbortController();
  // The outbox and the clock report from open()/start(), before the uplink exists: events
  // are queued until it does.
  const ready: { uplink?: Uplink } = {};
  let tunnel: RunningTunnel | undefined = undefined; // set once the uplink exists (its status reads it)
  let equipment: EquipmentNode | undefined = undefined; // set once the drivers run
  let cameras: CameraNode | undefined = undefined; // set once the uplink exists (its status reads it)
  const early: NodeEvent[] = [];
  const publishEvent = (e: NodeEvent): void => {
    if (ready.uplink) ready.uplink.publishEvent(e);
    else early.push(e);
  };
  const syncCheck = config.clock.sync_check;
  const clock = new SystemClock({
    check: 'file' in syncCheck ? { file: path.resolve(path.dirname(loaded.file), syncCheck.file) } : syncCheck,
    intervalMs: config.clock.check_interval,
    log: log.child({ name: 'agent.clock' }),
    onChange: () => {
      // Held readings can go now (or must wait): wake the uplink and refresh the status.
      ready.uplink?.notify();
      ready.uplink?.publishStatus();
    },
  });
  const outbox = createSegmentLogOutbox({
    dir: path.join(loaded.dataDir, 'outbox'),
    maxBytes: config.outbox.max_bytes,
    segmentBytes: config.outbox.segment_bytes,
    fsyncIntervalMs: config.outbox.fsync_interval,
    retainAcked: config.outbox.retain_acked,
    nearlyFullPct: config.outbox.disk_low_pct,
    log: log.child({ name: 'agent.outbox' }),
    onNearlyFull: (pct) => {
      publishEvent({ ts: clock.wallNow(), type: 'disk_low', message: `outbox ${Math.round(pct)}% full of unsent readings; the oldest are dropped (counted) at 100%` });
    },
    onDrop: (count, firstSeq, lastSeq, reason) => {
      const why = DROP_REASONS[reason];
      log.error({ count, firstSeq, lastSeq, reason }, `outbox: dropped unsent readings (${why})`);
      publishEvent({ ts: Date.now(), type: 'agent_fault', message: `outbox: dropped ${count} unsent readings (seq ${firstSeq}..${lastSeq}): ${why}` });
    },
    onDiskFull: (full) => {
      // The status carries outbox.degraded: say so now, not at the next heartbeat.
      if (full) publishEvent({ ts: Date.now(), type: 'agent_fault', message: 'disk full: new readings are held in memory (bounded; beyond it the oldest are dropped, counted) until there is space' });
      ready.uplink?.publishStatus();
    },
  });
  await outbox.open();
  await clock.start();

  const drivers = loaded.drivers.map((d) => ({
    id: d.id,
    instance: getDriver(d.id).create(d.config, { log: log.child({ name: `agent.driver.${d.id}` }), now: () => clock.wallNow() }),
  }));

  const channelMeta = (): Record<string, ChannelMeta> => {
    const out: Record<string, ChannelMeta> = {};
    for (const c of scheduler.channels()) {
      out[c.key] = {
        kind: c.kind,
        driver: c.driver,
        unit: c.unit,
        ...(c.quantity !== undefined ? { quantity: c.quantity } : {}),
        ...(c.label !== undefined ? { label: c.label } : {}),
        ...(c.labels !== undefined ? { labels: c.labels } : {}),
      };
    }
    if (cameras) Object.assign(out, cameras.channels());
    return out;
  };

  const ca = config.server.ca_file ? await readFile(path.resolve(path.dirname(loaded.file), config.server.ca_file)) : undefined;
  const uplink: Uplink = new Uplink(
    {
      node: config.node,
      url: config.server.mqtt_url,
      credential: loaded.credential,
      ...(ca ? { ca } : {}),
      batchMax: config.uplink.batch_max,
      lingerMs: config.uplink.batch_linger,
      maxInflight: config.uplink.max_inflight,
      heartbeatMs: config.uplink.heartbeat,
      reconnectMinMs: config.uplink.reconnect_min,
      reconnectMaxMs: config.uplink.reconnect_max,
      liveIntervalMs: config.uplink.live_interval,
      ackMode: config.uplink.ack,
      ackTimeoutMs: config.uplink.ack_timeout,
    },
    {
      outbox,
      log: log.child({ name: 'agent.uplink' }),
      channelMeta,
      clock,
      ...(boot ? { bootId: boot } : {}),
      statusDetails: () => {
        const s = outbox.stats();
        const fault = uplink.lastFault;
        return {
          agent_version: AGENT_VERSION,
          hostname: os.hostname(),
          started_at: startedAt,
          channels: scheduler.health(),
          outbox: {
            pending: s.pending,
            dropped: s.dropped,
            last_seq: s.lastSeq,
            acked_seq: s.ackedSeq,
            bytes: s.bytes,
            ...(s.degraded ? { degraded: s.degraded } : {}),
          },
          clock_synced: clock.isSynced(),
          ...(tunnel ? { tunnel: tunnel.status() } : {}),
          ...(equipment ? equipment.status() : {}),
          ...(cameras ? { cameras: { spool: cameras.spool.stats(), cameras: cameras.health() } } : {}),
          ...(fault ? { last_fault: fault } : {}),
          ...(boot ? { boot_id: boot } : {}),
          ...(primaryIp() ? { ip: primaryIp() } : {}),
        };
      },
    },
  );

  ready.uplink = uplink;
  for (const e of early.splice(0)) uplink.publishEvent(e);

  // Readings sampled in the same tick go to the outbox together; concurrent appends are
  // fine because the outbox assigns seqs in call order and shares one fsync between them.
  let pending: OutboxEntry[] = [];
  const inFlightAppends = new Set<Promise<unknown>>();
  const flush = (): void => {
    const entries = pending;
    pending = [];
    const p = outbox.append(entries).then(
      () => uplink.notify(),
      (err: unknown) => log.error({ err, count: entries.length }, 'could not append readings to the outbox'),
    );
    inFlightAppends.add(p);
    void p.finally(() => inFlightAppends.delete(p));
  };
  const appendReading = (r: { ch: string; ts: number; v: number }): void => {
    // Before the clock is synchronised, the reading also carries the boot id and the
    // monotonic time of its sample, so the uplink can map it to true wall time later.
    const entry: OutboxEntry = clock.isSynced() || !boot ? r : { ...r, sync: false, boot, mono: clock.monoNow() - (clock.wallNow() - r.ts) };
    if (pending.push(entry) === 1) setImmediate(flush);
  };
  const scheduler = new Scheduler(
    {
      reading: (r) => {
        appendReading(r);
        equipment?.onReading(r.ch, r.v, r.ts);
      },
      health: (key, health) => {
        uplink.publishEvent({
          ts: Date.now(),
          type: health.available ? 'channel_available' : 'channel_unavailable',
          ch: key,
          ...(health.error ? { message: health.error } : {}),
        });
      },
      channelsChanged: () => {
        uplink.resendMeta();
        uplink.publishStatus();
      },
    },
    log.child({ name: 'agent.scheduler' }),
    () => clock.wallNow(),
  );

  await scheduler.start(drivers, abort.signal, config.rediscover_interval);
  // Equipment code loads only on nodes that have some; safe states are applied before connecting.
  if (hasEquipment(loaded)) {
    const { startEquipment } = await import('./commands/equipment-node.js');
    equipment = await startEquipment({
      loaded,
      link: uplink,
      drivers,
      log: log.child({ name: 'agent.equipment' }),
      now: () => clock.wallNow(),
      reading: (ch, v, ts) => appendReading({ ch, v, ts }),
      statusChanged: () => uplink.publishStatus(),
    });
  }
  // Camera code loads only on nodes that have cameras.
  if (config.cameras.length > 0) {
    const { CameraNode } = await import('./cameras/camera-node.js');
    cameras = new CameraNode({
      cameras: config.cameras,
      upload: config.camera_upload,
      serverUrl: config.camera_upload.server_url ?? tunnelServerUrl(config),
      node: config.node,
      credential: loaded.credential,
      ca,
      dataDir: loaded.dataDir,
      log: log.child({ name: 'agent.cameras' }),
      now: () => clock.wallNow(),
      publishEvent,
      reading: (ch, v, ts) => appendReading({ ch, v, ts }),
    });
    await cameras.start();
    uplink.resendMeta();
  }
  uplink.start();
  // A tunnel state change is news for whoever wants to ssh in: refresh the status at once.
  tunnel = await startTunnel(loaded, log.child({ name: 'agent.tunnel' }), () => uplink.publishStatus());
  const logsUrl = config.remote_logs && extras.logRing ? tunnelServerUrl(config) : undefined;
  const logChannel = logsUrl
    ? new LogChannel({ serverUrl: logsUrl, node: config.node, credential: loaded.credential, ...(ca ? { ca } : {}), ring: extras.logRing!, log: log.child({ name: 'agent.logs' }) })
    : undefined;
  logChannel?.start();
  log.info({ node: config.node, channels: scheduler.channels().length, server: config.server.mqtt_url }, 'agent started');

  return {
    outbox,
    scheduler,
    uplink,
    clock,
    drivers,
    tunnel,
    equipment,
    stop: async () => {
      // Ends within stop_timeout whatever the disk or the network does: each step gets what is
      // left of it, and the outbox always gets the last share, to write or count what memory holds.
      const deadline = Date.now() + config.stop_timeout;
      const outboxFrom = deadline - Math.max(1000, Math.min(config.stop_timeout / 4, 3000));
      const step = async (name: string, work: Promise<unknown> | undefined, until: number): Promise<void> => {
        if (!work) return;
        const late = await settleBy(work, until);
        if (late) log.warn({ step: name, stop_timeout_ms: config.stop_timeout }, 'stop: a step did not finish in time; going on without it');
      };
      // Safe states first, while the drivers still run.
      await step('equipment', equipment?.stop(), outboxFrom);
      abort.abort();
      clock.stop();
      await step('tunnel', tunnel?.stop(), outboxFrom);
      await step('cameras', cameras?.stop(), outboxFrom);
      logChannel?.stop();
      await step('scheduler', scheduler.stop(), outboxFrom);
      if (pending.length > 0) flush();
      await step('appends', Promise.all(inFlightAppends), outboxFrom);
      await step('uplink', uplink.stop(Math.max(0, Math.min(2000, outboxFrom - Date.now() - 500))), outboxFrom);
      await outbox.close({ deadline });
    },
    abandon: () => outbox.abandon(),
  };
}

const DROP_REASONS: Record<DropReason, string> = {
  size_bound: 'the outbox reached outbox.max_bytes; the oldest went',
  memory_buffer: 'the disk is full and the memory buffer overflowed; the oldest went',
  closed: 'the agent stopped while the disk was full; they were only in memory',
  lost_in_crash: 'the agent died while the disk was full; they were only in memory',
  write_failed: 'the disk failed to write them',
};

/** Waits for `work` until the epoch ms `until`; true when it did not settle by then (it goes on). */
async function settleBy(work: Promise<unknown>, until: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), Math.max(0, until - Date.now()));
  });
  try {
    return await Promise.race([work.then(() => false, () => false), late]);
  } finally {
    clearTimeout(timer);
  }
}

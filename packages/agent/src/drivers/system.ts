/**
 * Node health from procfs/sysfs: CPU temperature, load, memory, disk, uptime, Wi-Fi and
 * TCP retransmits. Keys are `system/<name>`. A channel whose source does not exist at
 * start (no Wi-Fi, no thermal zone on a VM) is not exposed; rediscover() adds it later.
 *
 * Two channels depend on counters:
 * - `tcp_retrans_pct` is ΔRetransSegs / ΔOutSegs × 100 between consecutive reads of that
 *   channel. The first read after start has no previous sample and returns the cumulative
 *   ratio since boot (RetransSegs / OutSegs × 100), a real measurement over a longer window.
 *   A read with no segments sent since the previous one returns 0. Counters that went
 *   backwards (32-bit wrap on a Pi Zero) are unwrapped.
 * - `tcp_out_segs` is the cumulative OutSegs counter since boot (a counter, not a rate):
 *   stateless, exact across agent restarts; rates are derived from it downstream.
 */
import { statfs } from 'node:fs/promises';
import { join } from 'node:path';
import { ErrorCode, MaError } from '@ma/protocol';
import { z } from 'zod';
import type { ChannelSpec, DriverContext, DriverDescriptor, DriverInstance } from './driver.js';
import { checkRange, deviceReadError, durationSchema, notRunning, readDeviceText, unknownChannel } from './driver-support.js';

export const systemConfigSchema = z
  .object({
    /** Where /proc and /sys are found, `/` on a real node; tests point it at a fake tree. */
    proc_root: z.string().min(1).default('/'),
    interval: durationSchema.default('60s'),
    /** A path on the filesystem whose usage `disk_used_pct` reports (a real path, not under proc_root). */
    disk_path: z.string().min(1).default('/'),
    /** Wi-Fi interface; default: the first one listed in /proc/net/wireless. */
    wifi_interface: z.string().min(1).max(15).optional(),
  })
  .strict();

export type SystemConfig = z.output<typeof systemConfigSchema>;

export type SystemChannelName =
  | 'cpu_temp'
  | 'load1'
  | 'mem_used_pct'
  | 'disk_used_pct'
  | 'uptime_s'
  | 'wifi_quality'
  | 'wifi_signal_dbm'
  | 'tcp_retrans_pct'
  | 'tcp_out_segs';

interface SystemChannel {
  name: SystemChannelName;
  quantity: string;
  unit: string;
  label: string;
  range: { min: number; max: number };
}

const PCT = { min: 0, max: 100 };
const CHANNELS: readonly SystemChannel[] = [
  { name: 'cpu_temp', quantity: 'temperature', unit: '°C', label: 'CPU temperature', range: { min: -40, max: 125 } },
  { name: 'load1', quantity: 'load', unit: '', label: 'Load average (1 min)', range: { min: 0, max: 10_000 } },
  { name: 'mem_used_pct', quantity: 'memory_used', unit: '%', label: 'Memory used', range: PCT },
  { name: 'disk_used_pct', quantity: 'disk_used', unit: '%', label: 'Disk used', range: PCT },
  { name: 'uptime_s', quantity: 'uptime', unit: 's', label: 'Uptime', range: { min: 0, max: Number.MAX_SAFE_INTEGER } },
  { name: 'wifi_quality', quantity: 'link_quality', unit: '', label: 'Wi-Fi link quality', range: { min: 0, max: 255 } },
  { name: 'wifi_signal_dbm', quantity: 'signal_strength', unit: 'dBm', label: 'Wi-Fi signal', range: { min: -120, max: 0 } },
  { name: 'tcp_retrans_pct', quantity: 'retransmits', unit: '%', label: 'TCP retransmitted segments', range: PCT },
  { name: 'tcp_out_segs', quantity: 'counter', unit: 'segments', label: 'TCP segments sent (since boot)', range: { min: 0, max: Number.MAX_SAFE_INTEGER } },
];

const bad = (what: string, detail: string): MaError => new MaError(ErrorCode.DriverBadReading, `${what}: ${detail}`);

function parseNumber(token: string | undefined, what: string): number {
  // /proc/net/wireless prints "55." (a trailing dot marks an updated value).
  const n = token === undefined ? NaN : Number(token.replace(/\.$/, ''));
  if (token === undefined || token === '' || !Number.isFinite(n)) throw bad(what, `unparsable value ${JSON.stringify(token ?? '')}`);
  return n;
}

/** `/proc/meminfo` -> percentage used ((MemTotal - MemAvailable) / MemTotal). */
export function parseMeminfoUsedPct(text: string): number {
  const kb = new Map<string, number>();
  for (const line of text.split('\n')) {
    const m = /^(\w+):\s+(\d+)/.exec(line);
    if (m) kb.set(m[1]!, Number(m[2]));
  }
  const total = kb.get('MemTotal');
  // Kernels before 3.14 have no MemAvailable; estimate it as free + buffers + cache.
  const available = kb.get('MemAvailable') ?? (kb.get('MemFree') ?? NaN) + (kb.get('Buffers') ?? 0) + (kb.get('Cached') ?? 0);
  if (total === undefined || total <= 0 || !Number.isFinite(available)) throw bad('/proc/meminfo', 'no MemTotal/MemAvailable lines');
  return ((total - available) / total) * 100;
}

export interface WirelessStats {
  iface: string;
  quality: number;
  levelDbm: number;
}

/** `/proc/net/wireless`: two header lines, then `wlan0: 0000   55.  -55.  -256 ...` per interface. */
export function parseWireless(text: string): WirelessStats[] {
  const out: WirelessStats[] = [];
  for (const line of text.split('\n').slice(2)) {
    const m = /^\s*([^\s:]+):\s+(\S+)\s+(\S+)\s+(\S+)/.exec(line);
    if (!m) continue;
    out.push({ iface: m[1]!, quality: parseNumber(m[3], 'Wi-Fi link quality'), levelDbm: parseNumber(m[4], 'Wi-Fi signal level') });
  }
  return out;
}

export interface TcpCounters {
  outSegs: number;
  retransSegs: number;
}

/** `/proc/net/snmp`: a `Tcp:` header line then a `Tcp:` values line. */
export function parseTcpCounters(text: string): TcpCounters {
  const lines = text.split('\n').filter((l) => l.startsWith('Tcp:'));
  const names = (lines[0] ?? '').split(/\s+/).slice(1);
  const values = (lines[1] ?? '').split(/\s+/).slice(1);
  const field = (name: string): number => {
    const i = names.indexOf(name);
    if (i < 0) throw bad('/proc/net/snmp', `no Tcp ${name} field`);
    return parseNumber(values[i], `/proc/net/snmp Tcp ${name}`);
  };
  return { outSegs: field('OutSegs'), retransSegs: field('RetransSegs') };
}

/** Difference of two readings of a kernel counter that may have wrapped at 2^32. */
function counterDelta(prev: number, cur: number): number | undefined {
  if (cur >= prev) return cur - prev;
  if (prev < 2 ** 32) return cur + 2 ** 32 - prev;
  return undefined;
}

class SystemDriver implements DriverInstance {
  private readonly exposed = new Set<SystemChannelName>();
  private running: AbortController | undefined;
  private lastTcp: TcpCounters | undefined;

  constructor(
    private readonly config: SystemConfig,
    private readonly ctx: DriverContext,
  ) {}

  private path(rel: string): string {
    return join(this.config.proc_root, rel);
  }

  async start(signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    this.running = new AbortController();
    this.lastTcp = undefined;
    await this.rediscover();
  }

  async stop(): Promise<void> {
    this.running?.abort();
    this.running = undefined;
  }

  channels(): ChannelSpec[] {
    return CHANNELS.filter((c) => this.exposed.has(c.name)).map((c) => ({
      key: `system/${c.name}`,
      kind: 'sensor',
      driver: 'system',
      quantity: c.quantity,
      unit: c.unit,
      label: c.label,
      intervalMs: this.config.interval,
      range: { ...c.range },
    }));
  }

  /** Exposes every channel whose source can be read now; channels are never withdrawn. */
  async rediscover(): Promise<void> {
    for (const c of CHANNELS) {
      if (this.exposed.has(c.name)) continue;
      if (await this.sourceExists(c.name)) {
        this.exposed.add(c.name);
        this.ctx.log.debug({ channel: `system/${c.name}` }, 'system channel available');
      }
    }
  }

  private async sourceExists(name: SystemChannelName): Promise<boolean> {
    try {
      if (name === 'wifi_quality' || name === 'wifi_signal_dbm') {
        // A configured interface is a channel even while it is down; otherwise it must be listed.
        const text = await this.text('proc/net/wireless', 'Wi-Fi statistics');
        return this.config.wifi_interface !== undefined || parseWireless(text).length > 0;
      }
      // Sampling the counters here would make the first read a delta over the discovery gap.
      if (name === 'tcp_retrans_pct') await this.tcp();
      else await this.sample(name);
      return true;
    } catch {
      return false;
    }
  }

  async read(key: string): Promise<number> {
    const name = key.startsWith('system/') ? (key.slice('system/'.length) as SystemChannelName) : undefined;
    const spec = CHANNELS.find((c) => c.name === name);
    if (!spec || !this.exposed.has(spec.name)) throw unknownChannel('system', key, this.channels().map((c) => c.key));
    if (!this.running) throw notRunning('system');
    return checkRange(await this.sample(spec.name), spec.range, key);
  }

  private text(rel: string, what: string): Promise<string> {
    return readDeviceText(this.path(rel), what, this.running?.signal);
  }

  private async sample(name: SystemChannelName): Promise<number> {
    switch (name) {
      case 'cpu_temp':
        return parseNumber((await this.text('sys/class/thermal/thermal_zone0/temp', 'CPU thermal zone')).trim(), 'CPU temperature') / 1000;
      case 'load1':
        return parseNumber((await this.text('proc/loadavg', 'load average')).split(/\s+/)[0], 'load average');
      case 'mem_used_pct':
        return parseMeminfoUsedPct(await this.text('proc/meminfo', 'memory statistics'));
      case 'uptime_s':
        return parseNumber((await this.text('proc/uptime', 'uptime')).split(/\s+/)[0], 'uptime');
      case 'disk_used_pct':
        return this.diskUsedPct();
      case 'wifi_quality':
        return (await this.wireless()).quality;
      case 'wifi_signal_dbm':
        return (await this.wireless()).levelDbm;
      case 'tcp_out_segs':
        return (await this.tcp()).outSegs;
      case 'tcp_retrans_pct':
        return this.retransPct(await this.tcp());
    }
  }

  /** Used share as `df` shows it: used / (used + available to unprivileged users). */
  private async diskUsedPct(): Promise<number> {
    const path = this.config.disk_path;
    let s;
    try {
      s = await statfs(path);
    } catch (e) {
      throw deviceReadError(e, `filesystem at ${path}`, path);
    }
    const used = s.blocks - s.bfree;
    const denominator = used + s.bavail;
    return denominator > 0 ? (used / denominator) * 100 : 0;
  }

  private async wireless(): Promise<WirelessStats> {
    const all = parseWireless(await this.text('proc/net/wireless', 'Wi-Fi statistics'));
    const wanted = this.config.wifi_interface;
    const found = wanted === undefined ? all[0] : all.find((w) => w.iface === wanted);
    if (!found) {
      throw new MaError(ErrorCode.DriverDeviceMissing, `Wi-Fi interface ${wanted ?? '(any)'} is not listed in /proc/net/wireless: is it up?`);
    }
    return found;
  }

  private async tcp(): Promise<TcpCounters> {
    return parseTcpCounters(await this.text('proc/net/snmp', 'TCP statistics'));
  }

  private retransPct(cur: TcpCounters): number {
    const prev = this.lastTcp;
    this.lastTcp = cur;
    const dOut = prev && counterDelta(prev.outSegs, cur.outSegs);
    const dRetrans = prev && counterDelta(prev.retransSegs, cur.retransSegs);
    if (dOut === undefined || dRetrans === undefined) {
      return cur.outSegs > 0 ? Math.min(100, (cur.retransSegs / cur.outSegs) * 100) : 0;
    }
    return dOut > 0 ? Math.min(100, (dRetrans / dOut) * 100) : 0;
  }
}

export const systemDriver = {
  id: 'system',
  description: 'Node health: CPU temperature, load, memory, disk, uptime, Wi-Fi and TCP retransmits',
  configSchema: systemConfigSchema,
  create: (config: SystemConfig, ctx: DriverContext): DriverInstance => new SystemDriver(config, ctx),
} satisfies DriverDescriptor<typeof systemConfigSchema>;

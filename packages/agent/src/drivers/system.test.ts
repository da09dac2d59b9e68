import { existsSync } from 'node:fs';
import { ErrorCode, isMaError } from '@ma/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../logger.js';
import { describeDriverContract } from './contract.js';
import type { DriverInstance } from './driver.js';
import { createFakeSysfs, type FakeSysfs } from './fake-sysfs.js';
import { parseMeminfoUsedPct, parseTcpCounters, parseWireless, systemConfigSchema, systemDriver } from './system.js';

const ctx = { log: silentLogger(), now: () => Date.now() };

function driver(config: Record<string, unknown>): DriverInstance {
  return systemDriver.create(systemConfigSchema.parse(config), ctx);
}

describeDriverContract('system', async () => {
  const fake = await createFakeSysfs();
  await fake.addSystem();
  return {
    descriptor: systemDriver,
    config: { proc_root: fake.root, disk_path: fake.root },
    configWithoutDevices: { proc_root: `${fake.root}/does-not-exist` },
    cleanup: () => fake.cleanup(),
  };
});

describe('system driver', () => {
  let fake: FakeSysfs;
  let d: DriverInstance | undefined;
  const start = async (config: Record<string, unknown> = {}): Promise<DriverInstance> => {
    d = driver({ proc_root: fake.root, disk_path: fake.root, ...config });
    await d.start(new AbortController().signal);
    return d;
  };
  const read = (key: string): Promise<number> => d!.read!(`system/${key}`);

  beforeEach(async () => {
    fake = await createFakeSysfs();
  });
  afterEach(async () => {
    await d?.stop();
    d = undefined;
    await fake.cleanup();
  });

  it('defaults to proc root "/", a 60 s interval and disk path "/"', () => {
    expect(systemConfigSchema.parse({})).toEqual({ proc_root: '/', interval: 60_000, disk_path: '/' });
  });

  it('on a Pi with Wi-Fi exposes every health channel, all at the configured interval', async () => {
    await fake.addSystem();
    const inst = await start({ interval: '30s' });
    expect(inst.channels().map((c) => c.key)).toEqual([
      'system/cpu_temp',
      'system/load1',
      'system/mem_used_pct',
      'system/disk_used_pct',
      'system/uptime_s',
      'system/wifi_quality',
      'system/wifi_signal_dbm',
      'system/tcp_retrans_pct',
      'system/tcp_out_segs',
    ]);
    expect(inst.channels().every((c) => c.intervalMs === 30_000 && c.kind === 'sensor' && c.driver === 'system')).toBe(true);
    expect(inst.channels().find((c) => c.key === 'system/cpu_temp')).toMatchObject({ unit: '°C', quantity: 'temperature' });
    expect(inst.channels().find((c) => c.key === 'system/wifi_signal_dbm')).toMatchObject({ unit: 'dBm' });
  });

  it('does not expose channels whose source is absent (a VM: no thermal zone, no Wi-Fi)', async () => {
    await fake.addSystem();
    await fake.remove('sys/class/thermal');
    await fake.remove('proc/net/wireless');
    const inst = await start();
    const keys = inst.channels().map((c) => c.key);
    expect(keys).not.toContain('system/cpu_temp');
    expect(keys).not.toContain('system/wifi_quality');
    expect(keys).not.toContain('system/wifi_signal_dbm');
    expect(keys).toContain('system/load1');
  });

  it('does not expose Wi-Fi when /proc/net/wireless lists no interface, and rediscover() adds it once one appears', async () => {
    await fake.addSystem({ wireless: [] });
    const inst = await start();
    expect(inst.channels().map((c) => c.key)).not.toContain('system/wifi_quality');
    await fake.setWireless([{ name: 'wlan0', quality: 60, level: -50 }]);
    await inst.rediscover!();
    expect(await read('wifi_quality')).toBe(60);
  });

  it('reads CPU temperature in °C from thermal_zone0 millidegrees', async () => {
    await fake.addSystem({ cpuMilliC: 48312 });
    await start();
    expect(await read('cpu_temp')).toBeCloseTo(48.312, 6);
  });

  it('reads the 1-minute load average, uptime in seconds and memory used', async () => {
    await fake.addSystem({ loadavg: [1.25, 0.5, 0.1], uptimeS: 86461.27, memTotalKb: 400_000, memAvailableKb: 100_000 });
    await start();
    expect(await read('load1')).toBe(1.25);
    expect(await read('uptime_s')).toBe(86461.27);
    expect(await read('mem_used_pct')).toBe(75);
  });

  it('reads the used share of the filesystem at disk_path', async () => {
    await fake.addSystem();
    await start();
    const v = await read('disk_used_pct');
    expect(v).toBeGreaterThan(0);
    expect(v).toBeLessThanOrEqual(100);
  });

  it('reads Wi-Fi quality and signal from the first interface, or from wifi_interface', async () => {
    const wireless = [
      { name: 'wlan0', quality: 55, level: -55, retry: 85 },
      { name: 'wlan1', quality: 30, level: -80 },
    ];
    await fake.addSystem({ wireless });
    await start();
    expect(await read('wifi_quality')).toBe(55);
    expect(await read('wifi_signal_dbm')).toBe(-55);
    await d!.stop();
    await start({ wifi_interface: 'wlan1' });
    expect(await read('wifi_signal_dbm')).toBe(-80);
  });

  it('reports a configured Wi-Fi interface that is down as DriverDeviceMissing, and a -256 dBm (no link) level as a bad reading', async () => {
    await fake.addSystem({ wireless: [{ name: 'wlan0', quality: 0, level: -256 }] });
    await start({ wifi_interface: 'wlan1' });
    const missing = await read('wifi_quality').catch((e: unknown) => e);
    expect(isMaError(missing) && missing.code).toBe(ErrorCode.DriverDeviceMissing);
    await d!.stop();
    await start();
    const bad = await read('wifi_signal_dbm').catch((e: unknown) => e);
    expect(isMaError(bad) && bad.code).toBe(ErrorCode.DriverBadReading);
  });

  describe('TCP', () => {
    it('tcp_out_segs is the cumulative OutSegs counter', async () => {
      await fake.addSystem({ tcp: { outSegs: 7299, retransSegs: 12 } });
      await start();
      expect(await read('tcp_out_segs')).toBe(7299);
      await fake.setTcpCounters({ outSegs: 8000, retransSegs: 12 });
      expect(await read('tcp_out_segs')).toBe(8000);
    });

    it('tcp_retrans_pct: the first read is the cumulative ratio since boot, later reads ΔRetransSegs / ΔOutSegs', async () => {
      await fake.addSystem({ tcp: { outSegs: 10_000, retransSegs: 100 } });
      await start();
      expect(await read('tcp_retrans_pct')).toBe(1);
      await fake.setTcpCounters({ outSegs: 11_000, retransSegs: 150 });
      expect(await read('tcp_retrans_pct')).toBe(5);
      // No traffic since the last read: nothing was retransmitted.
      expect(await read('tcp_retrans_pct')).toBe(0);
    });

    it('tcp_retrans_pct survives a 32-bit counter wrap', async () => {
      await fake.addSystem({ tcp: { outSegs: 2 ** 32 - 500, retransSegs: 10 } });
      await start();
      await read('tcp_retrans_pct');
      await fake.setTcpCounters({ outSegs: 500, retransSegs: 20 });
      expect(await read('tcp_retrans_pct')).toBe(1);
    });

    it('tcp_retrans_pct starts a new window after stop() and start()', async () => {
      await fake.addSystem({ tcp: { outSegs: 1000, retransSegs: 0 } });
      await start();
      await read('tcp_retrans_pct');
      await fake.setTcpCounters({ outSegs: 2000, retransSegs: 20 });
      await d!.stop();
      await d!.start(new AbortController().signal);
      expect(await read('tcp_retrans_pct')).toBe(1);
    });
  });

  it('reports a source that vanished after start as DriverDeviceMissing', async () => {
    await fake.addSystem();
    await start();
    await fake.remove('sys/class/thermal/thermal_zone0');
    const err = await read('cpu_temp').catch((e: unknown) => e);
    expect(isMaError(err) && err.code).toBe(ErrorCode.DriverDeviceMissing);
  });

  it('reports unparsable content as DriverBadReading', async () => {
    await fake.addSystem();
    await start();
    await fake.writeFile('proc/loadavg', 'not a number\n');
    const err = await read('load1').catch((e: unknown) => e);
    expect(isMaError(err) && err.code).toBe(ErrorCode.DriverBadReading);
  });

  describe('parsers', () => {
    it('parse /proc/net/wireless lines with their trailing dots', () => {
      const text =
        'Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n' +
        ' face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n' +
        ' wlan0: 0000   55.  -55.  -256        0      0      0     85      0        0\n';
      expect(parseWireless(text)).toEqual([{ iface: 'wlan0', quality: 55, levelDbm: -55 }]);
    });

    it('estimate available memory on kernels without MemAvailable', () => {
      expect(parseMeminfoUsedPct('MemTotal:         400000 kB\nMemFree:          100000 kB\nBuffers:           50000 kB\nCached:            50000 kB\n')).toBe(50);
    });

    it('find TCP counters by field name, not position', () => {
      expect(parseTcpCounters('Tcp: OutSegs RetransSegs\nTcp: 10 2\n')).toEqual({ outSegs: 10, retransSegs: 2 });
      expect(() => parseTcpCounters('Udp: InDatagrams\nUdp: 1\n')).toThrowError(/OutSegs/);
    });
  });
});

describe.skipIf(process.platform !== 'linux' || !existsSync('/proc/loadavg'))('system driver on this real Linux machine (proc_root "/")', () => {
  it('exposes at least load, memory, uptime, disk and TCP, and reads every exposed channel within range', async () => {
    const inst = driver({});
    await inst.start(new AbortController().signal);
    try {
      const specs = inst.channels();
      expect(specs.map((c) => c.key)).toEqual(
        expect.arrayContaining(['system/load1', 'system/mem_used_pct', 'system/uptime_s', 'system/disk_used_pct', 'system/tcp_out_segs', 'system/tcp_retrans_pct']),
      );
      for (const c of specs) {
        const v = await inst.read!(c.key);
        expect(Number.isFinite(v), c.key).toBe(true);
        expect(v, c.key).toBeGreaterThanOrEqual(c.range!.min);
        expect(v, c.key).toBeLessThanOrEqual(c.range!.max);
      }
    } finally {
      await inst.stop();
    }
  });
});

/**
 * A fake sysfs/procfs tree in a temp dir, laid out and worded exactly as the kernel does
 * (see /work/shared/HARDWARE.md), for driver tests and end-to-end tests. Point a driver's
 * `sysfs_root` / `proc_root` at `root`.
 *
 * 1-wire layout, as on a Pi with `dtoverlay=w1-gpio`:
 *   sys/devices/w1_bus_master1/w1_master_slaves        one slave per line, or "not found.\n"
 *   sys/devices/w1_bus_master1/28-xxxxxxxxxxxx/w1_slave two lines, see w1SlaveText()
 *   sys/devices/w1_bus_master1/28-xxxxxxxxxxxx/temperature  "23125\n" (kernels >= 5.10 only)
 *   sys/bus/w1/devices/{w1_bus_master1,28-...}          symlinks into sys/devices/, as in real sysfs
 * A probe added with format 'temperature' has both files (a newer kernel); with format
 * 'w1_slave' it has only w1_slave (an older kernel).
 */
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

export type Ds18b20Format = 'temperature' | 'w1_slave';

export interface FakeDs18b20Options {
  /** Temperature in millidegrees Celsius, as the kernel reports it (e.g. 23125). */
  milliC: number;
  format?: Ds18b20Format;
  /** 'NO' writes a w1_slave whose CRC check failed (the temperature file is then absent: the kernel answers EIO). */
  crc?: 'YES' | 'NO';
}

export interface FakeWirelessInterface {
  name: string;
  /** Link quality (driver scale, 70 on a Pi's brcmfmac). */
  quality: number;
  /** Signal level in dBm. */
  level: number;
  noise?: number;
  /** Discarded packets, "retry" column. */
  retry?: number;
  missedBeacons?: number;
}

export interface FakeSystemOptions {
  cpuMilliC?: number;
  loadavg?: [number, number, number];
  memTotalKb?: number;
  memAvailableKb?: number;
  uptimeS?: number;
  wireless?: FakeWirelessInterface[];
  tcp?: { outSegs: number; retransSegs: number; inSegs?: number };
}

export interface FakeSysfs {
  /** The fake filesystem root; use it as `sysfs_root` / `proc_root`. */
  readonly root: string;
  /** Creates the 1-wire bus master with no slaves yet. Done implicitly by addDs18b20(). */
  addW1Bus(): Promise<void>;
  addDs18b20(id: string, opts: FakeDs18b20Options): Promise<void>;
  /** Changes a probe's temperature (and its CRC verdict), keeping its format. */
  setDs18b20(id: string, milliC: number, opts?: { crc?: 'YES' | 'NO' }): Promise<void>;
  /** Makes a probe read as a disconnected one does: all-zero scratchpad with a valid CRC, t=0. */
  disconnectDs18b20(id: string): Promise<void>;
  /** Unplugs a probe: its directory and bus entry vanish, as the kernel removes them. */
  removeDs18b20(id: string): Promise<void>;
  /** Writes arbitrary text to a probe's w1_slave file. */
  setW1SlaveRaw(id: string, text: string): Promise<void>;
  /** Writes arbitrary text to a probe's temperature file (creating it). */
  setTemperatureRaw(id: string, text: string): Promise<void>;
  /** Writes a healthy Pi's /proc and /sys health files; options override the defaults. */
  addSystem(opts?: FakeSystemOptions): Promise<void>;
  setCpuTemp(milliC: number): Promise<void>;
  setLoadavg(load1: number, load5?: number, load15?: number): Promise<void>;
  setMeminfo(totalKb: number, availableKb: number): Promise<void>;
  setUptime(seconds: number): Promise<void>;
  setWireless(interfaces: FakeWirelessInterface[]): Promise<void>;
  setTcpCounters(c: { outSegs: number; retransSegs: number; inSegs?: number }): Promise<void>;
  /** Writes any file under root (relative path such as `proc/loadavg`). */
  writeFile(relPath: string, text: string): Promise<void>;
  /** Removes any file or directory under root. */
  remove(relPath: string): Promise<void>;
  cleanup(): Promise<void>;
}

/** The Dallas/Maxim CRC-8 (polynomial x^8 + x^5 + x^4 + 1) the DS18B20 puts in scratchpad byte 8. */
export function dallasCrc8(bytes: readonly number[]): number {
  let crc = 0;
  for (const byte of bytes) {
    let b = byte;
    for (let i = 0; i < 8; i++) {
      const mix = (crc ^ b) & 1;
      crc >>= 1;
      if (mix) crc ^= 0x8c;
      b >>= 1;
    }
  }
  return crc;
}

const hex = (bytes: readonly number[]): string => bytes.map((b) => b.toString(16).padStart(2, '0')).join(' ');

/**
 * The w1_slave text the kernel's w1_therm prints for a reading: the 9 scratchpad bytes with
 * the CRC it computed and its verdict, then the bytes again with `t=` in millidegrees.
 */
export function w1SlaveText(milliC: number, crc: 'YES' | 'NO' = 'YES'): string {
  const raw = Math.round(milliC / 62.5) & 0xffff;
  // TH=0x4b, TL=0x46, config 0x7f (12-bit), 0xff, count-remain, 0x10: as a real probe.
  const data = [raw & 0xff, raw >> 8, 0x4b, 0x46, 0x7f, 0xff, 0x0c, 0x10];
  const good = dallasCrc8(data);
  const byte8 = crc === 'YES' ? good : good ^ 0x5a;
  const rom = hex([...data, byte8]);
  return `${rom} : crc=${good.toString(16).padStart(2, '0')} ${crc}\n${rom} t=${Math.trunc(milliC)}\n`;
}

/** What a disconnected probe (data line floating low) reads as: a "valid" all-zero scratchpad. */
export const W1_SLAVE_DISCONNECTED = '00 00 00 00 00 00 00 00 00 : crc=00 YES\n00 00 00 00 00 00 00 00 00 t=0\n';

const WIRELESS_HEADER =
  'Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n' +
  ' face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n';

const pad = (v: number | string, width: number): string => String(v).padStart(width, ' ');

/** One interface line of /proc/net/wireless, formatted as net/wireless/wext-proc.c does. */
export function wirelessLine(i: FakeWirelessInterface): string {
  const noise = i.noise ?? -256;
  // "%6s: %04x  %3d%c  %3d%c  %3d%c  %6d %6d %6d %6d %6d   %6d\n"; quality and level updated ('.'), noise not (' ').
  return (
    `${pad(i.name, 6)}: 0000  ${pad(i.quality, 3)}.  ${pad(i.level, 3)}.  ${pad(noise, 3)}   ` +
    `${pad(0, 6)} ${pad(0, 6)} ${pad(0, 6)} ${pad(i.retry ?? 0, 6)} ${pad(0, 6)}   ${pad(i.missedBeacons ?? 0, 6)}\n`
  );
}

function snmpText(c: { outSegs: number; retransSegs: number; inSegs?: number }): string {
  const inSegs = c.inSegs ?? Math.round(c.outSegs * 1.2);
  return (
    'Ip: Forwarding DefaultTTL InReceives InHdrErrors InAddrErrors ForwDatagrams InUnknownProtos InDiscards InDelivers OutRequests OutDiscards OutNoRoutes ReasmTimeout ReasmReqds ReasmOKs ReasmFails FragOKs FragFails FragCreates OutTransmits\n' +
    'Ip: 2 64 11412 0 0 0 0 0 11412 7424 0 0 0 0 0 0 0 0 0 7424\n' +
    'Icmp: InMsgs InErrors InCsumErrors InDestUnreachs InTimeExcds InParmProbs InSrcQuenchs InRedirects InEchos InEchoReps InTimestamps InTimestampReps InAddrMasks InAddrMaskReps OutMsgs OutErrors OutRateLimitGlobal OutRateLimitHost OutDestUnreachs OutTimeExcds OutParmProbs OutSrcQuenchs OutRedirects OutEchos OutEchoReps OutTimestamps OutTimestampReps OutAddrMasks OutAddrMaskReps\n' +
    'Icmp: 1 0 0 1 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0 0\n' +
    'IcmpMsg: InType3\n' +
    'IcmpMsg: 1\n' +
    'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n' +
    `Tcp: 1 200 120000 -1 131 48 11 5 2 ${inSegs} ${c.outSegs} ${c.retransSegs} 0 134 0\n` +
    'Udp: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n' +
    'Udp: 125 0 0 126 0 0 0 0 0\n' +
    'UdpLite: InDatagrams NoPorts InErrors OutDatagrams RcvbufErrors SndbufErrors InCsumErrors IgnoredMulti MemErrors\n' +
    'UdpLite: 0 0 0 0 0 0 0 0 0\n'
  );
}

/** /proc/meminfo's first lines as the kernel prints them (name padded to 16, value width 8). */
function meminfoText(totalKb: number, availableKb: number): string {
  const line = (name: string, kb: number): string => `${`${name}:`.padEnd(16)}${pad(kb, 8)} kB\n`;
  const free = Math.round(availableKb * 0.6);
  return (
    line('MemTotal', totalKb) +
    line('MemFree', free) +
    line('MemAvailable', availableKb) +
    line('Buffers', 18432) +
    line('Cached', Math.max(0, availableKb - free - 18432)) +
    line('SwapCached', 0) +
    line('Active', 101234) +
    line('Inactive', 98765) +
    line('SwapTotal', 102396) +
    line('SwapFree', 102396)
  );
}

const W1_MASTER = 'sys/devices/w1_bus_master1';
const W1_DEVICES = 'sys/bus/w1/devices';

export async function createFakeSysfs(): Promise<FakeSysfs> {
  const root = await mkdtemp(join(tmpdir(), 'ma-fake-sysfs-'));
  const abs = (rel: string): string => join(root, rel);
  const put = async (rel: string, text: string): Promise<void> => {
    await mkdir(dirname(abs(rel)), { recursive: true });
    await writeFile(abs(rel), text);
  };
  const probes = new Map<string, Ds18b20Format>();
  let busCreated = false;

  const writeSlaves = (): Promise<void> =>
    put(`${W1_MASTER}/w1_master_slaves`, probes.size === 0 ? 'not found.\n' : [...probes.keys()].map((id) => `${id}\n`).join(''));

  const addW1Bus = async (): Promise<void> => {
    if (busCreated) return;
    busCreated = true;
    await mkdir(abs(W1_MASTER), { recursive: true });
    await mkdir(abs(W1_DEVICES), { recursive: true });
    await symlink('../../../devices/w1_bus_master1', abs(`${W1_DEVICES}/w1_bus_master1`));
    await writeSlaves();
  };

  const formatOf = (id: string): Ds18b20Format => {
    const f = probes.get(id);
    if (!f) throw new Error(`fake sysfs: no probe ${id}; addDs18b20() it first`);
    return f;
  };

  const writeReading = async (id: string, milliC: number, format: Ds18b20Format, crc: 'YES' | 'NO'): Promise<void> => {
    const dir = `${W1_MASTER}/${id}`;
    await put(`${dir}/w1_slave`, w1SlaveText(milliC, crc));
    if (format === 'temperature') {
      // The kernel answers EIO on a CRC failure; a missing file makes readers fall back to w1_slave.
      if (crc === 'YES') await put(`${dir}/temperature`, `${Math.trunc(milliC)}\n`);
      else await rm(abs(`${dir}/temperature`), { force: true });
    }
  };

  const system = {
    setCpuTemp: (milliC: number) => put('sys/class/thermal/thermal_zone0/temp', `${Math.trunc(milliC)}\n`),
    setLoadavg: (l1: number, l5 = l1, l15 = l5) => put('proc/loadavg', `${l1.toFixed(2)} ${l5.toFixed(2)} ${l15.toFixed(2)} 1/153 7858\n`),
    setMeminfo: (totalKb: number, availableKb: number) => put('proc/meminfo', meminfoText(totalKb, availableKb)),
    setUptime: (s: number) => put('proc/uptime', `${s.toFixed(2)} ${(s * 3.6).toFixed(2)}\n`),
    setWireless: (ifs: FakeWirelessInterface[]) => put('proc/net/wireless', WIRELESS_HEADER + ifs.map(wirelessLine).join('')),
    setTcpCounters: (c: { outSegs: number; retransSegs: number; inSegs?: number }) => put('proc/net/snmp', snmpText(c)),
  };

  return {
    root,
    addW1Bus,
    async addDs18b20(id, opts) {
      await addW1Bus();
      const format = opts.format ?? 'temperature';
      await mkdir(abs(`${W1_MASTER}/${id}`), { recursive: true });
      await writeReading(id, opts.milliC, format, opts.crc ?? 'YES');
      await symlink(`../../../devices/w1_bus_master1/${id}`, abs(`${W1_DEVICES}/${id}`));
      probes.set(id, format);
      await writeSlaves();
    },
    async setDs18b20(id, milliC, opts) {
      await writeReading(id, milliC, formatOf(id), opts?.crc ?? 'YES');
    },
    async disconnectDs18b20(id) {
      await put(`${W1_MASTER}/${id}/w1_slave`, W1_SLAVE_DISCONNECTED);
      if (formatOf(id) === 'temperature') await put(`${W1_MASTER}/${id}/temperature`, '0\n');
    },
    async removeDs18b20(id) {
      formatOf(id);
      probes.delete(id);
      await rm(abs(`${W1_DEVICES}/${id}`), { force: true });
      await rm(abs(`${W1_MASTER}/${id}`), { recursive: true, force: true });
      await writeSlaves();
    },
    async setW1SlaveRaw(id, text) {
      await put(`${W1_MASTER}/${id}/w1_slave`, text);
    },
    async setTemperatureRaw(id, text) {
      await put(`${W1_MASTER}/${id}/temperature`, text);
    },
    async addSystem(opts = {}) {
      await system.setCpuTemp(opts.cpuMilliC ?? 48312);
      const [l1, l5, l15] = opts.loadavg ?? [0.42, 0.35, 0.3];
      await system.setLoadavg(l1, l5, l15);
      await system.setMeminfo(opts.memTotalKb ?? 439592, opts.memAvailableKb ?? 263755);
      await system.setUptime(opts.uptimeS ?? 86461.27);
      await system.setWireless(opts.wireless ?? [{ name: 'wlan0', quality: 55, level: -55 }]);
      await system.setTcpCounters(opts.tcp ?? { outSegs: 7299, retransSegs: 12 });
    },
    ...system,
    writeFile: put,
    async remove(rel) {
      await rm(abs(rel), { recursive: true, force: true });
    },
    async cleanup() {
      await rm(root, { recursive: true, force: true });
    },
  };
}

/**
 * Fixtures for the dashboard's browser tests: a fake procfs/sysfs tree for the agent's `system` driver (the
 * hardware boundary, byte for byte as HARDWARE.md describes it), and history published over real MQTT the way
 * an agent publishes it, so charts have a day to show.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { runToEnd } from '../support/processes.js';

export async function writeFakeProc(root: string, opts: { cpuMilli: number; wifiDbm: number; uptimeS: number }): Promise<void> {
  const files: Record<string, string> = {
    'sys/class/thermal/thermal_zone0/temp': `${opts.cpuMilli}\n`,
    'proc/loadavg': '0.42 0.35 0.30 1/123 4567\n',
    'proc/meminfo': 'MemTotal:         442000 kB\nMemFree:          100000 kB\nMemAvailable:     250000 kB\n',
    'proc/uptime': `${opts.uptimeS}.12 500000.00\n`,
    'proc/net/wireless':
      'Inter-| sta-|   Quality        |   Discarded packets               | Missed | WE\n' +
      ' face | tus | link level noise |  nwid  crypt   frag  retry   misc | beacon | 22\n' +
      `wlan0: 0000   55.  ${opts.wifiDbm}.  -256        0      0      0     85      0        0\n`,
    'proc/net/snmp':
      'Tcp: RtoAlgorithm RtoMin RtoMax MaxConn ActiveOpens PassiveOpens AttemptFails EstabResets CurrEstab InSegs OutSegs RetransSegs InErrs OutRsts InCsumErrors\n' +
      'Tcp: 1 200 120000 -1 120 30 2 5 4 90000 80000 40 0 10 0\n',
  };
  for (const [rel, text] of Object.entries(files)) {
    await mkdir(path.dirname(path.join(root, rel)), { recursive: true });
    await writeFile(path.join(root, rel), text);
  }
}

/** Publishes one telemetry batch as the node, with mosquitto_pub over the server's MQTT TCP port. */
export async function publishAsNode(port: number, node: string, credential: string, batch: unknown): Promise<void> {
  const r = await runToEnd(
    'mosquitto_pub',
    ['-h', '127.0.0.1', '-p', String(port), '-V', 'mqttv311', '-q', '1', '-i', `fixture-${node}-${Date.now()}`, '-u', node, '-P', credential, '-t', `ma/v1/${node}/telemetry`, '-m', JSON.stringify(batch)],
    {},
    15_000,
  ).catch((e: unknown) => ({ code: -1, stdout: '', stderr: String(e) }));
  if (r.code !== 0) throw new Error(`mosquitto_pub failed: ${r.stderr}`);
}

/**
 * A day of a cold-chain curve for `channel` ending at `end`, one reading per `stepMs`, leaving out
 * [gapFrom, gapTo) (the node was off). Sequences start at `firstSeq`, far above the agent's own.
 */
export function dayOfReadings(opts: { channel: string; end: number; stepMs: number; base: number; swing: number; firstSeq: number; gap?: [number, number] }) {
  const readings: Array<{ seq: number; ch: string; ts: number; v: number }> = [];
  const start = opts.end - 86_400_000;
  let seq = opts.firstSeq;
  for (let ts = start; ts < opts.end; ts += opts.stepMs) {
    if (opts.gap && ts >= opts.gap[0] && ts < opts.gap[1]) continue;
    const phase = (ts - start) / 86_400_000;
    const cycle = Math.sin(((ts - start) / 2_280_000) * 2 * Math.PI);
    const v = opts.base + opts.swing * cycle + 0.4 * Math.sin(phase * 2 * Math.PI) + ((seq * 7919) % 100) / 500;
    readings.push({ seq: seq++, ch: opts.channel, ts, v: Math.round(v * 100) / 100 });
  }
  return readings;
}

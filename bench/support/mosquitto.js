// Debian's mosquitto broker as a child process on an ephemeral port, for reference figures.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { freePort, sleep } from '../lib.js';

export const MOSQUITTO = process.env.MA_MOSQUITTO ?? '/usr/sbin/mosquitto';

export async function startMosquitto(dir) {
  const port = await freePort();
  const conf = path.join(dir, 'mosquitto.conf');
  // No persistence and no queue limit: the reference measures the broker's forwarding, and a
  // subscriber that falls behind must not lose messages (the count is checked).
  writeFileSync(conf, [`listener ${port} 127.0.0.1`, 'allow_anonymous true', 'persistence false', 'max_queued_messages 0', 'max_inflight_messages 0', ''].join('\n'));
  const proc = spawn(MOSQUITTO, ['-c', conf], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr.on('data', (d) => (stderr += d));
  for (let i = 0; ; i++) {
    if (proc.exitCode !== null) throw new Error(`mosquitto exited (${proc.exitCode}): ${stderr}`);
    const ok = await new Promise((r) => net.connect(port, '127.0.0.1').once('connect', function () { this.destroy(); r(true); }).once('error', () => r(false)));
    if (ok) break;
    if (i > 100) throw new Error(`mosquitto did not listen on ${port}: ${stderr}`);
    await sleep(50);
  }
  return {
    url: `mqtt://127.0.0.1:${port}`,
    pid: proc.pid,
    stop: () => new Promise((r) => (proc.exitCode !== null ? r() : (proc.once('exit', r), proc.kill('SIGTERM')))),
  };
}

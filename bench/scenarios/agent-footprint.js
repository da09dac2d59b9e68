// Agent footprint: RSS and CPU of a real ma-agent process with 4 simulated sensors at 1 Hz,
// connected to a real server, plus its start-up time to the first stored reading.
import { spawn } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { pino } from 'pino';
import { stringify as toYaml } from 'yaml';
import { repoRoot, sleep, withTempDir } from '../lib.js';

function procStat(pid) {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const rssKb = Number(/VmRSS:\s+(\d+)/.exec(status)[1]);
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  const ticks = Number(stat[11]) + Number(stat[12]); // utime + stime
  return { rssMb: rssKb / 1024, cpuSeconds: ticks / 100 };
}

export default {
  name: 'agent',
  title: 'Agent footprint: 4 simulated sensors at 1 Hz, connected to a real server',
  async run({ quick }) {
    const { startServer, parseServerConfig } = await import('../../packages/server/dist/index.js');
    const durationS = quick ? 20 : 120;
    return withTempDir('agent', async (dir) => {
      const config = parseServerConfig('http:\n  port: 0\n', path.join(dir, 'server.yaml'), {});
      const server = await startServer({ config, file: path.join(dir, 'server.yaml'), dataDir: dir }, pino({ level: 'silent' }));
      try {
        const { credential } = await server.registry.create('footprint');
        const agentFile = path.join(dir, 'agent.yaml');
        writeFileSync(
          agentFile,
          toYaml({
            node: 'footprint',
            server: { mqtt_url: server.mqttUrl, credential },
            data_dir: './agent-data',
            drivers: [{ driver: 'simulated', interval: '1s', sensors: ['a', 'b', 'c', 'd'].map((n) => ({ name: n, model: 'fridge' })) }],
          }),
        );
        const started = process.hrtime.bigint();
        const proc = spawn(process.execPath, [path.join(repoRoot, 'packages/agent/dist/bin/ma-agent.js'), 'run', '--config', agentFile], { stdio: 'ignore', env: { ...process.env, MA_LOG_LEVEL: 'warn' } });
        let startupMs;
        while (startupMs === undefined) {
          if ((await server.store.countReadings()) > 0) startupMs = Number(process.hrtime.bigint() - started) / 1e6;
          else await sleep(20);
        }
        await sleep(5000); // settle
        const a = procStat(proc.pid);
        const rss = [];
        const t0 = Date.now();
        while (Date.now() - t0 < durationS * 1000) {
          await sleep(1000);
          rss.push(procStat(proc.pid).rssMb);
        }
        const b = procStat(proc.pid);
        const cpuPct = ((b.cpuSeconds - a.cpuSeconds) / ((Date.now() - t0) / 1000)) * 100;
        proc.kill('SIGTERM');
        await new Promise((r) => proc.once('exit', r));
        const stored = await server.store.countReadings();
        if (stored < durationS * 4) throw new Error(`only ${stored} readings stored in ${durationS} s from 4 sensors at 1 Hz`);
        return [
          { metric: `RSS over ${durationS} s (sampled each second)`, unit: 'MB', values: rss, goal: '< 60' },
          { metric: 'CPU', unit: '% of one core', values: [cpuPct] },
          { metric: 'start-up to first stored reading', unit: 'ms', values: [startupMs] },
        ];
      } finally {
        await server.stop();
      }
    });
  },
};

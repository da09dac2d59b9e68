import { spawn } from 'node:child_process';
import path from 'node:path';
import type { NodeDetail } from '@ma/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { addNode, eventually, getJson, REPO_ROOT, startServerProcess, tempDir, writeAgentConfig } from '../support/processes.js';

const BUNDLE = path.join(REPO_ROOT, 'packages/agent/bundle/ma-agent.mjs');

describe('the single-file agent bundle (what a Pi runs)', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    for (const c of cleanups.reverse()) await c();
  });

  it('runs as an executable with its own V8 flags and delivers readings to a real server', async () => {
    const tmp = await tempDir('bundle');
    cleanups.push(tmp.cleanup);
    const server = await startServerProcess({ dir: tmp.dir });
    cleanups.push(() => server.stop());
    const mqttUrl = `${server.url.replace('http', 'ws')}/mqtt`;
    const node = await addNode(server.configFile, 'bundled', mqttUrl);
    const config = await writeAgentConfig(tmp.dir, node, mqttUrl, [{ driver: 'simulated', interval: '200ms', sensors: [{ name: 'fridge', model: 'fridge' }] }]);
    // Executed directly, so the shebang (env -S node --lite-mode ...) is what starts it.
    const agent = spawn(BUNDLE, ['run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    agent.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    cleanups.push(async () => {
      agent.kill('SIGTERM');
      await new Promise((r) => agent.once('exit', r));
    });
    const detail = await eventually(async () => {
      const n = await getJson<NodeDetail>(`${server.url}/api/v1/nodes/bundled`);
      return n.stats.readings_stored >= 3 ? n : undefined;
    });
    expect(detail.online).toBe(true);
    expect(detail.agent_version).toMatch(/^\d+\.\d+\.\d+/);
    expect(stderr).not.toMatch(/warning/i);
  });
});

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, runToEnd, tempDir } from '../support/processes.js';

/** A port free right now (the demo takes fixed ports; 8080 may be another engineer's). */
function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

describe('npm run demo, on a clean start', () => {
  let tmp: { dir: string; cleanup(): Promise<void> };
  let stdout = '';
  let stderr = '';
  let demo: ReturnType<typeof spawn>;
  let exited: Promise<number | null>;

  beforeAll(async () => {
    tmp = await tempDir('demo');
    const [http, mqtt] = [await freePort(), await freePort()];
    // The script `npm run demo` runs after its build (the suite has built already).
    demo = spawn(process.execPath, [path.join(REPO_ROOT, 'scripts/demo.js')], {
      cwd: REPO_ROOT,
      env: { ...process.env, MA_DEMO_DIR: path.join(tmp.dir, 'demo'), MA_HTTP_PORT: String(http), MA_MQTT_TCP_PORT: String(mqtt), MA_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    demo.stdout!.on('data', (c: Buffer) => (stdout += c.toString()));
    demo.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
    exited = new Promise((resolve) => demo.once('exit', (code) => resolve(code)));
    // Generous: on a loaded machine the first start (migrations, two agents) takes a while.
    const deadline = Date.now() + 150_000;
    // Running, and both simulated nodes connected (their start-up would print any warning too).
    while (!(stdout.includes('demo is running') && /\[lab-fridge\].*connected/.test(stdout) && /\[cold-room\].*connected/.test(stdout))) {
      if (demo.exitCode !== null || Date.now() > deadline) throw new Error(`the demo did not start:\n${stdout}\n${stderr}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  }, 180_000);

  afterAll(async () => {
    if (demo && demo.exitCode === null) demo.kill('SIGINT');
    await exited;
    await tmp?.cleanup();
  });

  it('prints no warning: no deprecation, no engine mismatch, no warn-level log line', () => {
    expect(stderr).toBe('');
    expect(stdout).not.toMatch(/\] (WARN|ERROR) |Warning|DEP\d{4}|FSTDEP|EBADENGINE/);
  });

  it('prints its CLI commands in the README form (npx ma …), and they work from the clone', async () => {
    const line = stdout.split('\n').find((l) => / npx ma node list$/.test(l));
    expect(line, stdout).toBeDefined();
    const words = line!.replace(/^.*e\.g\.\s+/, '').split(/\s+/);
    const env = Object.fromEntries(words.filter((w) => /^[A-Z_]+=/.test(w)).map((w) => [w.slice(0, w.indexOf('=')), w.slice(w.indexOf('=') + 1)]));
    const command = words.filter((w) => !/^[A-Z_]+=/.test(w));
    expect(command).toEqual(['npx', 'ma', 'node', 'list']);
    const r = await runToEnd('npx', command.slice(1).length ? ['--no-install', ...command.slice(1)] : [], env);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/lab-fridge\s+online/);
    expect(r.stdout).toMatch(/cold-room\s+online/);
  });
});

import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import type { NodeDetail } from '@ma/protocol';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { addNode, AGENT_BIN, eventually, getJson, runToEnd, tempDir, writeAgentConfig } from '../support/processes.js';
import { startControlPoint, tunnelSection, type ControlPoint } from '../support/sshd-fixture.js';
import { ensureUser, freePort, readableByAccounts, sshArgs, sshKeygen, startSshd, type TestSshd } from '../support/sshd.js';

/**
 * The node in its own network namespace, as behind NAT: it can reach the control point over
 * its link, but nothing can reach the node (its sshd listens only on the namespace's own
 * loopback). The reverse tunnel is the only way in.
 */

const TUNNEL_USER = 'ma-tunnel-ns';
const NODE_USER = 'ma-node-ns';
const tag = randomBytes(3).toString('hex');
const NETNS = `ma-t7-${tag}`;
const HOST_IF = `t7h${tag}`;
const NODE_IF = `t7n${tag}`;
const subnet = `10.213.${randomBytes(1)[0]! & 0xfc}`;
const HOST_IP = `${subnet}.1`;
const NODE_IP = `${subnet}.2`;

async function sh(args: string[]): Promise<void> {
  const r = await runToEnd(args[0]!, args.slice(1));
  if (r.code !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
}

function connects(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.setTimeout(2000, () => (s.destroy(), resolve(false)));
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
  });
}

describe('a node in its own network namespace (NAT-like) gets its tunnel', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let cp: ControlPoint;
  let nodeSshd: TestSshd;
  let agent: ChildProcess | undefined;
  let agentOutput = '';

  beforeAll(async () => {
    tmp = await tempDir('tunnel-netns');
    await readableByAccounts(tmp.dir);
    await sh(['ip', 'netns', 'add', NETNS]);
    await sh(['ip', 'link', 'add', HOST_IF, 'type', 'veth', 'peer', 'name', NODE_IF]);
    await sh(['ip', 'link', 'set', NODE_IF, 'netns', NETNS]);
    await sh(['ip', 'addr', 'add', `${HOST_IP}/30`, 'dev', HOST_IF]);
    await sh(['ip', 'link', 'set', HOST_IF, 'up']);
    for (const cmd of [['ip', 'addr', 'add', `${NODE_IP}/30`, 'dev', NODE_IF], ['ip', 'link', 'set', NODE_IF, 'up'], ['ip', 'link', 'set', 'lo', 'up']]) await sh(['ip', 'netns', 'exec', NETNS, ...cmd]);
    // The control point (sshd and server) listens on its side of the link.
    cp = await startControlPoint(tmp.dir, TUNNEL_USER, { host: HOST_IP });
    await ensureUser(NODE_USER, '/bin/sh');
    nodeSshd = await startSshd({ dir: path.join(tmp.dir, 'node'), netns: NETNS, port: await freePort() });
  });

  afterAll(async () => {
    if (agent && agent.exitCode === null) {
      const exited = new Promise((r) => agent!.once('exit', r));
      agent.kill('SIGTERM');
      await exited;
    }
    await cp?.stop();
    await nodeSshd?.stop();
    await runToEnd('ip', ['netns', 'del', NETNS]);
    await runToEnd('ip', ['link', 'del', HOST_IF]);
    await tmp?.cleanup();
  });

  it('is reached through the tunnel although the control point has no way to connect to it', async () => {
    onTestFailed(async () => {
      process.stderr.write(`agent:\n${agentOutput.slice(-3000)}\ncontrol point sshd:\n${(await cp.sshd.log()).slice(-2000)}\n`);
    });
    expect(await connects(NODE_IP, nodeSshd.port)).toBe(false);

    const mqttUrl = `${cp.server.url.replace(/^http/, 'ws')}/mqtt`;
    const node = await addNode(cp.server.configFile, 'lab-ns', mqttUrl);
    const detail = await getJson<NodeDetail>(`${cp.server.url}/api/v1/nodes/lab-ns`);
    const knownHosts = path.join(tmp.dir, 'cp_known_hosts');
    await writeFile(knownHosts, `${cp.sshd.knownHostsLine}\n`);
    const config = await writeAgentConfig(tmp.dir, node, mqttUrl, [{ driver: 'simulated', interval: '1s', sensors: [{ name: 'fridge', model: 'fridge' }] }], tunnelSection(cp, { host: HOST_IP, remotePort: detail.tunnel_port, localPort: nodeSshd.port, knownHostsFile: knownHosts, transport: 'direct' }));
    agent = spawn('ip', ['netns', 'exec', NETNS, process.execPath, AGENT_BIN, 'run', '--config', config], { stdio: ['ignore', 'pipe', 'pipe'] });
    agent.stdout!.on('data', (c: Buffer) => (agentOutput += c.toString()));
    agent.stderr!.on('data', (c: Buffer) => (agentOutput += c.toString()));

    await eventually(async () => {
      const t = await getJson<{ check: { ok: boolean } | null; agent: { state: string } | null }>(`${cp.server.url}/api/v1/nodes/lab-ns/tunnel`);
      return t.check?.ok && t.agent?.state === 'up';
    }, 30_000, 250);

    const userKey = path.join(tmp.dir, 'user_key');
    await writeFile(path.join(tmp.dir, 'node', 'authorized_keys', NODE_USER), `${await sshKeygen(userKey)}\n`);
    const userKnownHosts = path.join(tmp.dir, 'user_known_hosts');
    await writeFile(userKnownHosts, `ma-node ${nodeSshd.hostPublicKey}\n`);
    // The command runs in the node's namespace: only there does NODE_IP exist.
    const r = await runToEnd('ssh', [...sshArgs({ port: detail.tunnel_port, user: NODE_USER, key: userKey, knownHosts: userKnownHosts, extra: ['-o', 'HostKeyAlias=ma-node'] }), 'ip -o -4 addr show'], {}, 20_000);
    expect(r.stderr).not.toMatch(/Permission denied|verification failed/);
    expect(r.stdout).toContain(`inet ${NODE_IP}/30`);
    expect(r.stdout).not.toContain(`inet ${HOST_IP}/30`);
  });
});

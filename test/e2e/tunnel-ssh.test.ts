import { execFileSync } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { NodeDetail } from '@ma/protocol';
import { afterAll, beforeAll, describe, expect, it, onTestFailed } from 'vitest';
import { FaultProxy } from '../chaos/fault-proxy.js';
import { chromium } from 'playwright-core';
import { bearer, createUser, login, loginPage, request } from '../support/login.js';
import { addNode, CLI_BIN, eventually, getJson, runProcess, runToEnd, TEST_ADMIN_TOKEN, startAgentProcess, tempDir, writeAgentConfig, type ManagedProcess } from '../support/processes.js';
import { startControlPoint, tunnelSection, type ControlPoint } from '../support/sshd-fixture.js';
import { ensureUser, readableByAccounts, sshArgs, sshKeygen, startSshd, type TestSshd } from '../support/sshd.js';

/**
 * Remote access end to end, all real: the control point's sshd and the node's sshd (OpenSSH,
 * own configs and host keys, loopback ports), ma-server writing the tunnel account's
 * authorized_keys, ma-agent supervising the system ssh client.
 */

const TUNNEL_USER = 'ma-tunnel-e2e';
const NODE_USER = 'ma-node-e2e';
const PERSON = 'ma-person-e2e';
const GRANTEE = 'ma-e2e-uma';

interface TunnelView {
  node: string;
  port: number;
  fingerprint: string | null;
  check: { ok: boolean; banner?: string; error?: string } | null;
  agent: { state: string; transport: string; restarts: number; last_error?: string } | null;
}

describe('reverse SSH tunnels (real OpenSSH, real server and agent)', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let cp: ControlPoint;
  let nodeSshd: TestSshd;
  let agent: ManagedProcess | undefined;
  let agentB: ManagedProcess | undefined;
  let agentC: ManagedProcess | undefined;
  /** A `ma logs --follow` left running: it must end when the server stops. */
  let follower: ManagedProcess | undefined;
  let proxy: FaultProxy | undefined;
  let userKey: string;
  let nodeKnownHosts: string;
  const mqttUrl = (): string => `${cp.server.url.replace(/^http/, 'ws')}/mqtt`;
  const tunnelOf = (node: string): Promise<TunnelView> => getJson<TunnelView>(`${cp.server.url}/api/v1/nodes/${node}/tunnel`);
  /** ssh as a person on the control point: through the node's forwarded port, to the node's sshd. */
  const sshThroughTunnel = (port: number, command: string) =>
    runToEnd('ssh', [...sshArgs({ port, user: NODE_USER, key: userKey, knownHosts: nodeKnownHosts, extra: ['-o', `HostKeyAlias=ma-node`] }), command], {}, 20_000);

  beforeAll(async () => {
    tmp = await tempDir('tunnel-e2e');
    await readableByAccounts(tmp.dir);
    // Stale sessions are reaped after 2 s x 3 unanswered keepalives here (10 s x 3 in the generated default), to keep the power-cut case short.
    cp = await startControlPoint(tmp.dir, TUNNEL_USER, { clientAliveIntervalS: 2, clientAliveCountMax: 3 });
    // The node's own sshd, with a person's key for the node's account.
    await ensureUser(NODE_USER, '/bin/sh');
    // Keys people put in place, then the ones the agent syncs from the server's ssh grants.
    nodeSshd = await startSshd({ dir: path.join(tmp.dir, 'node'), authorizedKeysFile: `${path.join(tmp.dir, 'node', 'authorized_keys', '%u')} ${path.join(tmp.dir, 'ma-users', '%u')}` });
    userKey = path.join(tmp.dir, 'user_key');
    await writeFile(path.join(tmp.dir, 'node', 'authorized_keys', NODE_USER), `${await sshKeygen(userKey, 'person')}\n`);
    nodeKnownHosts = path.join(tmp.dir, 'user_known_hosts');
    // The person pins the node's host key under an alias: it is reached on a different port per route.
    await writeFile(nodeKnownHosts, `ma-node ${nodeSshd.hostPublicKey}\n`);
  });

  afterAll(async () => {
    await agent?.stop();
    await agentB?.stop();
    await agentC?.stop();
    await proxy?.stop();
    await cp?.stop();
    if (follower) expect(await Promise.race([follower.exited.then(() => 'ended'), new Promise((r) => setTimeout(() => r('still running'), 5000))])).toBe('ended');
    await follower?.kill9();
    await nodeSshd?.stop();
    await tmp?.cleanup();
  });

  it('a node behind NAT gets its tunnel, and a person on the control point reaches its sshd through it', async () => {
    onTestFailed(async () => {
      process.stderr.write(`agent:\n${agent?.output().slice(-3000)}\ncontrol point sshd:\n${(await cp.sshd.log()).slice(-3000)}\n`);
    });
    const node = await addNode(cp.server.configFile, 'lab-a', mqttUrl());
    const detail = await getJson<NodeDetail>(`${cp.server.url}/api/v1/nodes/lab-a`);
    expect(detail.tunnel_port).toBe(cp.portBase + detail.id);
    const knownHosts = path.join(tmp.dir, 'cp_known_hosts');
    await writeFile(knownHosts, `${cp.sshd.knownHostsLine}\n`);
    const config = await writeAgentConfig(tmp.dir, node, mqttUrl(), [{ driver: 'simulated', interval: '1s', sensors: [{ name: 'fridge', model: 'fridge' }] }], tunnelSection(cp, { remotePort: detail.tunnel_port, localPort: nodeSshd.port, knownHostsFile: knownHosts }));
    agent = startAgentProcess(config);

    // The agent registers its key; the server writes it into the tunnel account's authorized_keys.
    const up = await eventually(async () => {
      const t = await tunnelOf('lab-a');
      return t.check?.ok && t.agent?.state === 'up' ? t : undefined;
    }, 30_000, 250);
    expect(up.fingerprint).toMatch(/^SHA256:/);
    expect(up.check?.banner).toMatch(/^SSH-2\.0-OpenSSH/);
    expect(up.agent).toMatchObject({ state: 'up', transport: 'direct' });

    // People without shell access see the same from the CLI.
    const admin = (args: string[]) => runToEnd(process.execPath, [CLI_BIN, ...args], { MA_SERVER: cp.server.url, MA_TOKEN: TEST_ADMIN_TOKEN });
    const status = await admin(['status', 'lab-a']);
    expect(status.stdout).toMatch(new RegExp(`tunnel +up over direct on port ${detail.tunnel_port}`));
    expect(status.stdout).toMatch(/outbox +\d+ unsent/);
    const list = await admin(['tunnel', 'list']);
    expect(list.stdout).toMatch(new RegExp(`lab-a +${detail.tunnel_port} +ok +up/direct`));

    const r = await sshThroughTunnel(detail.tunnel_port, 'echo "on $(id -un) via tunnel"');
    expect(r.stderr).not.toMatch(/Permission denied|Host key verification failed/);
    expect(r.stdout.trim()).toBe(`on ${NODE_USER} via tunnel`);
    expect(r.code).toBe(0);
  });

  it("the dashboard's node page shows the tunnel: the agent's report and the server's check", async () => {
    const browser = await chromium.launch({ executablePath: process.env.MA_CHROMIUM ?? '/usr/bin/chromium', args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run'] });
    try {
      const page = await browser.newPage();
      await loginPage(page, cp.server.url);
      await page.goto(`${cp.server.url}/nodes/lab-a`);
      const panel = page.locator('[data-testid="tunnel-status"]');
      await panel.waitFor({ timeout: 15_000 });
      const text = await panel.innerText();
      expect(text).toMatch(/up over direct/);
      expect(text).toMatch(/ok: SSH-2\.0-OpenSSH/);
      expect(text).toMatch(/SHA256:/);
    } finally {
      await browser.close();
    }
  });

  it("the node's key cannot get a shell on the control point, listen on another node's port, or forward elsewhere", async () => {
    const nodeKey = path.join(tmp.dir, 'agent-lab-a-data', 'tunnel_key');
    const knownHosts = path.join(tmp.dir, 'cp_known_hosts');
    const asNode = (extra: string[], command?: string) =>
      runToEnd('ssh', [...sshArgs({ port: cp.sshd.port, user: TUNNEL_USER, key: nodeKey, knownHosts, extra }), ...(command ? [command] : [])], {}, 20_000);

    // The key is accepted ("Authenticated to", so the refusal below is not a failed login), but no shell runs.
    const shell = await asNode(['-v', '-tt'], 'id; echo SHELL-RAN');
    expect(shell.stderr).toMatch(/Authenticated to 127\.0\.0\.1/);
    expect(shell.stdout).not.toMatch(/uid=|SHELL-RAN/);
    expect(shell.code).not.toBe(0);

    const other = await addNode(cp.server.configFile, 'lab-other', mqttUrl());
    const otherDetail = await getJson<NodeDetail>(`${cp.server.url}/api/v1/nodes/${other.name}`);
    const steal = await asNode(['-N', '-o', 'ExitOnForwardFailure=yes', '-R', `127.0.0.1:${otherDetail.tunnel_port}:localhost:${nodeSshd.port}`]);
    expect(steal.code).not.toBe(0);
    expect(steal.stderr).toMatch(/remote port forwarding failed/);

    // A direct-tcpip channel (what -L and -W open) to the server's HTTP port is refused.
    const httpPort = new URL(cp.server.url).port;
    const stdio = await asNode(['-W', `127.0.0.1:${httpPort}`]);
    expect(stdio.code).not.toBe(0);
    expect(stdio.stderr).toMatch(/administratively prohibited/);
    expect(stdio.stdout).toBe('');
  });

  it("comes back by itself within 60 s after the agent's ssh is killed (a power cut)", async () => {
    const agentPid = agent!.proc.pid!;
    const sshPid = Number(execFileSync('pgrep', ['-P', String(agentPid), '-x', 'ssh']).toString().trim().split('\n')[0]);
    expect(sshPid).toBeGreaterThan(0);
    const before = (await tunnelOf('lab-a')).agent!.restarts;
    // Someone without shell access follows the agent's log through the server meanwhile.
    const logs = runProcess(CLI_BIN, ['logs', 'lab-a', '--follow', '--lines', '20'], { MA_SERVER: cp.server.url, MA_TOKEN: TEST_ADMIN_TOKEN });
    await eventually(async () => /agent\.tunnel: tunnel up/.test(logs.output()), 10_000);
    const killedAt = Date.now();
    process.kill(sshPid, 'SIGKILL');
    await eventually(async () => !(await tunnelOf('lab-a')).check?.ok, 10_000, 100);
    const back = await eventually(async () => {
      const t = await tunnelOf('lab-a');
      return t.check?.ok && t.agent?.state === 'up' && t.agent.restarts > before ? t : undefined;
    }, 60_000, 250);
    const recoveredMs = Date.now() - killedAt;
    expect(recoveredMs).toBeLessThan(60_000);
    expect(back.agent!.last_error).toMatch(/SIGKILL|closed|exited/);
    process.stderr.write(`tunnel back ${recoveredMs} ms after its ssh was killed\n`);
    // The outage and the recovery, as the agent logged them, arrived live.
    await eventually(async () => /WARN +agent\.tunnel: tunnel lost .*SIGKILL/.test(logs.output()) && (logs.output().match(/tunnel up/g) ?? []).length >= 2, 10_000);
    await logs.stop();
    const r = await sshThroughTunnel(back.port, 'echo again');
    expect(r.stdout.trim()).toBe('again');
  });

  it('after a power cut the rebooted node gets its port back once the control point reaps the stale session', async () => {
    onTestFailed(async () => {
      process.stderr.write(`agent:\n${agent?.output().slice(-3000)}\ncontrol point sshd:\n${(await cp.sshd.log()).slice(-3000)}\n`);
    });
    // Power cut: the node stops answering without closing anything (its ssh frozen, no FIN)...
    const agentPid = agent!.proc.pid!;
    const sshPid = Number(execFileSync('pgrep', ['-P', String(agentPid), '-x', 'ssh']).toString().trim().split('\n')[0]);
    process.kill(sshPid, 'SIGSTOP');
    await agent!.kill9();
    const cutAt = Date.now();
    try {
      // ...and comes back: a new agent, same key, same port, while the control point still holds the old forward.
      agent = startAgentProcess(path.join(tmp.dir, 'agent-lab-a.yaml'));
      await agent.waitForLog((l) => l.msg === 'tunnel could not be set up' && /remote port forwarding failed/.test(String(l.error)), 20_000);
      // Polling the on-demand check here also shows the server does not probe (and so keep alive) the stale forward.
      const back = await eventually(async () => {
        const t = await tunnelOf('lab-a');
        return t.check?.ok && t.agent?.state === 'up' && t.agent.restarts > 0 ? t : undefined;
      }, 60_000, 250);
      const backMs = Date.now() - cutAt;
      expect(backMs).toBeLessThan(60_000);
      expect(back.agent!.last_error).toMatch(/remote port forwarding failed/);
      process.stderr.write(`tunnel back ${backMs} ms after the power cut (stale session reaped by ClientAlive)\n`);
      expect((await sshThroughTunnel(back.port, 'echo rebooted')).stdout.trim()).toBe('rebooted');
    } finally {
      process.kill(sshPid, 'SIGKILL');
    }
  }, 90_000);

  it('`ma ssh-config` gives a person with the ssh grant a Host entry that the system ssh follows through ProxyJump', async () => {
    // The person's own account on the control point (the jump host), with their key.
    await ensureUser(PERSON, '/bin/sh');
    await writeFile(path.join(tmp.dir, 'cp', 'authorized_keys', PERSON), `${await readFile(`${userKey}.pub`, 'utf8')}`);
    // Tess may ssh to lab-a, and only view lab-other.
    await createUser(cp.server.url, 'tess', 'correct-horse-battery-staple-42');
    const ma = (args: string[], token: string) => runToEnd(process.execPath, [CLI_BIN, ...args], { MA_SERVER: cp.server.url, MA_TOKEN: token });
    for (const [node, permission] of [['lab-a', 'ssh'], ['lab-other', 'view']]) {
      const g = await ma(['grant', 'add', 'tess', node!, permission!, '--reason', 'tunnel e2e'], TEST_ADMIN_TOKEN);
      expect({ code: g.code, stderr: g.stderr }).toEqual({ code: 0, stderr: '' });
    }
    const session = await login(cp.server.url, 'tess', 'correct-horse-battery-staple-42');
    const created = await request(`${cp.server.url}/api/v1/tokens`, { method: 'POST', headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' }, body: JSON.stringify({ name: 'laptop' }) });
    expect(created.status).toBe(201);
    const tessToken = created.json<{ token: string }>().token;

    const sshDir = path.join(tmp.dir, 'tess-ssh');
    const file = path.join(sshDir, 'config');
    await runToEnd('mkdir', ['-p', sshDir]);
    await writeFile(file, 'Host github.com\n    User git\n');
    const args = ['ssh-config', '--file', file, '--jump', `${PERSON}@127.0.0.1:${cp.sshd.port}`, '--user', NODE_USER];
    const first = await ma(args, tessToken);
    expect(first.stderr).toBe('');
    expect(first.code).toBe(0);
    const written = await readFile(file, 'utf8');
    expect(written).toContain('Host lab-a\n');
    expect(written).not.toMatch(/Host lab-other|Host lab-b/);
    expect(written.startsWith('Host github.com\n    User git\n')).toBe(true);
    // Idempotent: a second run leaves the file as it was.
    expect((await ma(args, tessToken)).code).toBe(0);
    expect(await readFile(file, 'utf8')).toBe(written);

    // Tess's own ssh settings (key, pinned host keys) come after the managed block, as in a real ~/.ssh/config.
    const knownHosts = path.join(sshDir, 'known_hosts');
    await writeFile(knownHosts, `[127.0.0.1]:${cp.sshd.port} ${cp.sshd.hostPublicKey}\nma-node-lab-a ${nodeSshd.hostPublicKey}\n`);
    await writeFile(file, `${written}\nHost *\n    IdentityFile ${userKey}\n    IdentitiesOnly yes\n    IdentityAgent none\n    UserKnownHostsFile ${knownHosts}\n    GlobalKnownHostsFile /dev/null\n    StrictHostKeyChecking yes\n    BatchMode yes\n`);
    const r = await runToEnd('ssh', ['-F', file, 'lab-a', 'echo "$(id -un) via ProxyJump"'], {}, 20_000);
    expect(r.stderr).not.toMatch(/Permission denied|verification failed/);
    expect(r.stdout.trim()).toBe(`${NODE_USER} via ProxyJump`);
    expect(r.code).toBe(0);
    // Logs: ssh on lab-a is enough; view on lab-other is not.
    expect((await ma(['logs', 'lab-a', '--lines', '5'], tessToken)).stdout.split('\n').filter(Boolean).length).toBe(5);
    const denied = await ma(['logs', 'lab-other'], tessToken);
    expect(denied.code).not.toBe(0);
    expect(denied.stderr).toMatch(/403.*needs admin or ssh/);
    // bearer() is the admin's: the admin sees every node as a target.
    const all = await request(`${cp.server.url}/api/v1/tunnel/ssh-targets`, { headers: bearer() });
    expect(all.json<{ targets: Array<{ node: string }> }>().targets.map((t) => t.node)).toEqual(expect.arrayContaining(['lab-a', 'lab-other']));
   }, 90_000);

  it('the agent keeps an account per person granted ssh on the node, and revoking the grant locks them out within 60 s', async () => {
    onTestFailed(async () => {
      process.stderr.write(`agent C:\n${agentC?.output().slice(-4000)}\n`);
    });
    const password = 'a-long-enough-password-for-uma';
    await createUser(cp.server.url, GRANTEE, password);
    const session = await login(cp.server.url, GRANTEE, password);
    const umaKey = path.join(tmp.dir, 'uma_key');
    const added = await request(`${cp.server.url}/api/v1/me/ssh-keys`, {
      method: 'POST',
      headers: { cookie: session.cookie, 'x-csrf-token': session.csrf, 'content-type': 'application/json' },
      body: JSON.stringify({ public_key: await sshKeygen(umaKey, 'uma@laptop') }),
    });
    expect(added.status).toBe(201);
    const ma = (args: string[]) => runToEnd(process.execPath, [CLI_BIN, ...args, '--reason', 'tunnel e2e'], { MA_SERVER: cp.server.url, MA_TOKEN: TEST_ADMIN_TOKEN });

    const node = await addNode(cp.server.configFile, 'lab-c', mqttUrl());
    const detail = await getJson<NodeDetail>(`${cp.server.url}/api/v1/nodes/lab-c`);
    expect((await ma(['grant', 'add', GRANTEE, 'lab-c', 'ssh'])).code).toBe(0);
    const section = tunnelSection(cp, { remotePort: detail.tunnel_port, localPort: nodeSshd.port, knownHostsFile: path.join(tmp.dir, 'cp_known_hosts') });
    (section.tunnel as Record<string, unknown>).users = { enabled: true, authorized_keys_dir: path.join(tmp.dir, 'ma-users'), interval: '2s', create_accounts: true };
    // No remote_port: the agent learns the port the server allocated when it registers its key.
    delete (section.tunnel as Record<string, unknown>).remote_port;
    const config = await writeAgentConfig(tmp.dir, node, mqttUrl(), [{ driver: 'simulated', interval: '1s', sensors: [{ name: 'fridge', model: 'fridge' }] }], section);
    agentC = startAgentProcess(config);
    await eventually(async () => (await tunnelOf('lab-c')).check?.ok, 30_000, 250);

    const asUma = () => runToEnd('ssh', [...sshArgs({ port: detail.tunnel_port, user: GRANTEE, key: umaKey, knownHosts: nodeKnownHosts, extra: ['-o', 'HostKeyAlias=ma-node'] }), 'id -un'], {}, 20_000);
    const first = await eventually(async () => {
      const r = await asUma();
      return r.code === 0 ? r : undefined;
    }, 30_000, 500);
    expect(first.stdout.trim()).toBe(GRANTEE);

    expect((await ma(['grant', 'remove', GRANTEE, 'lab-c', 'ssh'])).code).toBe(0);
    const revokedAt = Date.now();
    const refused = await eventually(async () => {
      const r = await asUma();
      return r.code !== 0 ? r : undefined;
    }, 60_000, 500);
    const lockedOutMs = Date.now() - revokedAt;
    expect(refused.stderr).toMatch(/Permission denied/);
    expect(lockedOutMs).toBeLessThan(60_000);
    process.stderr.write(`ssh grant revoked: locked out after ${lockedOutMs} ms\n`);
  });

  it("falls back to SSH over the server's HTTP port when the network refuses the SSH port", async () => {
    onTestFailed(async () => {
      process.stderr.write(`agent B:\n${agentB?.output().slice(-4000)}\ncontrol point sshd:\n${(await cp.sshd.log()).slice(-2000)}\n`);
    });
    // The "campus firewall": every connection to the SSH port is closed at once.
    proxy = new FaultProxy({ target: { host: '127.0.0.1', port: cp.sshd.port } });
    const blockedPort = await proxy.start();
    proxy.refuse();
    const node = await addNode(cp.server.configFile, 'lab-b', mqttUrl());
    const detail = await getJson<NodeDetail>(`${cp.server.url}/api/v1/nodes/lab-b`);
    // Pinned under the name ssh sees in both routes: 127.0.0.1 on the blocked port.
    const knownHosts = path.join(tmp.dir, 'cp_known_hosts_b');
    await writeFile(knownHosts, `[127.0.0.1]:${blockedPort} ${cp.sshd.hostPublicKey}\n`);
    const config = await writeAgentConfig(tmp.dir, node, mqttUrl(), [{ driver: 'simulated', interval: '1s', sensors: [{ name: 'fridge', model: 'fridge' }] }], tunnelSection(cp, { remotePort: detail.tunnel_port, localPort: nodeSshd.port, knownHostsFile: knownHosts, port: blockedPort }));
    agentB = startAgentProcess(config);
    const up = await eventually(async () => {
      const t = await tunnelOf('lab-b');
      return t.check?.ok && t.agent?.state === 'up' ? t : undefined;
    }, 45_000, 250);
    expect(up.agent!.transport).toBe('websocket');
    expect(proxy.stats.refused).toBeGreaterThan(0);
    const r = await sshThroughTunnel(detail.tunnel_port, 'echo over-https');
    expect(r.stdout.trim()).toBe('over-https');
    follower = runProcess(CLI_BIN, ['logs', 'lab-b', '--follow'], { MA_SERVER: cp.server.url, MA_TOKEN: TEST_ADMIN_TOKEN });
    await eventually(async () => /tunnel up/.test(follower!.output()), 10_000);
  });
});

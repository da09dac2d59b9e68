import { mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it, onTestFailed } from 'vitest';
import { renderAuthorizedKeys } from '../../../server/src/tunnels/authorized-keys.js';
import { parseSshPublicKey } from '../../../server/src/tunnels/public-key.js';
import { renderSshdMatchBlock } from '../../../server/src/tunnels/sshd-config.js';
import { eventually, tempDir } from '../../../../test/support/processes.js';
import { ensureUser, freePort, readableByAccounts, sshKeygen, startSshd, type TestSshd } from '../../../../test/support/sshd.js';
import { silentLogger } from '../logger.js';
import { TunnelSupervisor, type TunnelStatus } from './tunnel-supervisor.js';

const TUNNEL_USER = 'ma-tunnel-t1';

/** Reads the first line a TCP service sends (an sshd's banner), or '' if none comes. */
function banner(port: number, timeoutMs = 3000): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1');
    let buf = '';
    const done = (v: string) => {
      s.destroy();
      clearTimeout(t);
      resolve(v);
    };
    const t = setTimeout(() => done(''), timeoutMs);
    s.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      if (buf.includes('\n')) done(buf.split('\n')[0]!.trim());
    });
    s.on('error', () => done(''));
    s.on('close', () => done(buf));
  });
}

describe('TunnelSupervisor (real ssh to a real sshd)', () => {
  let tmp: Awaited<ReturnType<typeof tempDir>>;
  let controlPoint: TestSshd;
  let target: TestSshd;
  let keyFile: string;
  let knownHosts: string;
  let remotePort: number;
  const supervisors: TunnelSupervisor[] = [];

  beforeAll(async () => {
    tmp = await tempDir('tunnel-sup');
    await readableByAccounts(tmp.dir);
    await ensureUser(TUNNEL_USER, '/usr/sbin/nologin');
    keyFile = path.join(tmp.dir, 'node_key');
    const pub = await sshKeygen(keyFile, 'node-a');
    remotePort = await freePort();
    const cpDir = path.join(tmp.dir, 'cp');
    await mkdir(cpDir, { recursive: true });
    const ak = path.join(cpDir, 'tunnel_authorized_keys');
    await writeFile(ak, renderAuthorizedKeys([{ node: 'node-a', port: remotePort, key: parseSshPublicKey(pub) }]));
    controlPoint = await startSshd({ dir: cpDir, extraConfig: renderSshdMatchBlock({ user: TUNNEL_USER, authorizedKeysFile: ak }) });
    // What the forward leads to: another sshd, standing in for the node's own.
    target = await startSshd({ dir: path.join(tmp.dir, 'node') });
    knownHosts = path.join(tmp.dir, 'known_hosts');
    await writeFile(knownHosts, `${controlPoint.knownHostsLine}\n`);
  });

  beforeEach(() => {
    // A failure shows what the control point's sshd said about it.
    onTestFailed(async () => {
      process.stderr.write(`control point sshd log:\n${(await controlPoint.log()).slice(0, 3000)}\n`);
    });
  });

  afterAll(async () => {
    await Promise.all(supervisors.map((s) => s.stop()));
    await controlPoint?.stop();
    await target?.stop();
    await tmp?.cleanup();
  });

  const supervise = (over: { remotePort?: number; knownHostsFile?: string; port?: number } = {}): { sup: TunnelSupervisor; changes: TunnelStatus[] } => {
    const changes: TunnelStatus[] = [];
    const sup = new TunnelSupervisor({
      ssh: {
        host: '127.0.0.1',
        port: over.port ?? controlPoint.port,
        user: TUNNEL_USER,
        remotePort: over.remotePort ?? remotePort,
        localPort: target.port,
        keyFile,
        knownHostsFile: over.knownHostsFile ?? knownHosts,
        aliveIntervalS: 5,
        aliveCountMax: 2,
        connectTimeoutS: 5,
      },
      sshBinary: 'ssh',
      transport: 'direct',
      restartMinMs: 200,
      restartMaxMs: 1000,
      log: silentLogger(),
      onChange: (s) => changes.push(s),
    });
    supervisors.push(sup);
    return { sup, changes };
  };

  it('brings the forward up and reports it; the forwarded port reaches the target sshd', async () => {
    const { sup } = supervise();
    sup.start();
    await eventually(async () => sup.status().state === 'up', 15_000);
    expect(sup.status()).toMatchObject({ state: 'up', transport: 'direct', remote_port: remotePort, restarts: 0 });
    expect(await banner(remotePort)).toMatch(/^SSH-2\.0-OpenSSH/);

    // A power cut of the ssh process: the supervisor starts a new one, no one intervenes.
    const pid = sup.pid!;
    process.kill(pid, 'SIGKILL');
    await eventually(async () => sup.status().state === 'up' && sup.pid !== pid, 20_000);
    expect(sup.status().restarts).toBeGreaterThanOrEqual(1);
    expect(sup.status().last_error).toMatch(/SIGKILL/);
    expect(await banner(remotePort)).toMatch(/^SSH-2\.0-OpenSSH/);
    await sup.stop();
    expect(sup.status().state).toBe('down');
    await eventually(async () => (await banner(remotePort, 500)) === '', 5000);
  });

  it('reports the forward refused when the key may not listen on the asked port', async () => {
    const other = await freePort();
    const { sup } = supervise({ remotePort: other });
    sup.start();
    await eventually(async () => sup.status().state === 'error', 15_000);
    expect(sup.status().last_error).toMatch(/remote port forwarding failed/);
    await sup.stop();
  });

  it('refuses a control point whose host key is not the pinned one', async () => {
    const wrong = path.join(tmp.dir, 'wrong_known_hosts');
    await writeFile(wrong, `${target.knownHostsLine.replace(String(target.port), String(controlPoint.port))}\n`);
    const { sup } = supervise({ knownHostsFile: wrong });
    sup.start();
    await eventually(async () => sup.status().state === 'error', 15_000);
    expect(sup.status().last_error).toMatch(/host key|HOST IDENTIFICATION/i);
    await sup.stop();
  });

  it('keeps retrying a control point that is down, and comes up when it is back', async () => {
    const port = await freePort();
    const { sup } = supervise({ port });
    sup.start();
    await eventually(async () => sup.status().state === 'error', 15_000);
    expect(sup.status().last_error).toMatch(/Connection refused/);
    // The same control point appears on that port (same host key, so the pin holds).
    const late = await startSshd({ dir: path.join(tmp.dir, 'cp'), port, extraConfig: renderSshdMatchBlock({ user: TUNNEL_USER, authorizedKeysFile: path.join(tmp.dir, 'cp', 'tunnel_authorized_keys') }) });
    try {
      await writeFile(knownHosts, `${controlPoint.knownHostsLine}\n${late.knownHostsLine}\n`);
      await eventually(async () => sup.status().state === 'up', 15_000);
      await sup.stop();
    } finally {
      await late.stop();
    }
  });
});

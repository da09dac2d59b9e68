import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { runToEnd } from './processes.js';

/**
 * Real OpenSSH servers for tests: each test starts its own `sshd` on a loopback port, with its
 * own config, host key, authorized_keys and log, never touching the machine's sshd. Runs as
 * root (sshd needs it to switch to the test accounts).
 */

export const SSHD_BIN = '/usr/sbin/sshd';

export interface TestSshd {
  port: number;
  /** The host's public key line (`ssh-ed25519 AAAA...`), to pin in a known_hosts file. */
  hostPublicKey: string;
  /** A known_hosts line for `[127.0.0.1]:port`. */
  knownHostsLine: string;
  logFile: string;
  configFile: string;
  log(): Promise<string>;
  stop(): Promise<void>;
}

export interface SshdOptions {
  dir: string;
  /** Extra sshd_config text, appended after the base settings (e.g. a `Match User` block). */
  extraConfig?: string;
  /** `AuthorizedKeysFile` (absolute; %u is the user name). Default: <dir>/authorized_keys/%u */
  authorizedKeysFile?: string;
  /** Listen on this port; 0 or absent = a free one. */
  port?: number;
  /** Listen on this address (default 127.0.0.1). */
  listenAddress?: string;
  /** Run inside this network namespace (`ip netns exec`); it listens on the namespace's own address. */
  netns?: string;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
}

export async function sshKeygen(file: string, comment = 'ma-test'): Promise<string> {
  const r = await runToEnd('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-C', comment, '-f', file]);
  if (r.code !== 0) throw new Error(`ssh-keygen failed: ${r.stderr}`);
  return (await readFile(`${file}.pub`, 'utf8')).trim();
}

/**
 * A local account sshd accepts keys for: password field `*` (not useradd's `!`, which sshd
 * treats as locked when UsePAM is off), no home directory needed.
 */
export async function ensureUser(name: string, shell = '/bin/sh'): Promise<void> {
  const exists = (await runToEnd('id', ['-u', name])).code === 0;
  if (!exists) {
    const r = await runToEnd('useradd', ['--no-create-home', '--home-dir', '/nonexistent', '--shell', shell, name]);
    if (r.code !== 0 && !/already exists/.test(r.stderr)) throw new Error(`useradd ${name} failed: ${r.stderr}`);
  } else {
    await runToEnd('usermod', ['--shell', shell, name]);
  }
  const r = await runToEnd('usermod', ['-p', '*', name]);
  if (r.code !== 0) throw new Error(`usermod -p '*' ${name} failed: ${r.stderr}`);
}

/**
 * sshd reads authorized_keys as the account it authenticates, so the test's temporary
 * directories (mkdtemp makes them 0700) must be traversable by others.
 */
export async function readableByAccounts(...dirs: string[]): Promise<void> {
  for (const d of dirs) await chmod(d, 0o755);
}

export async function startSshd(opts: SshdOptions): Promise<TestSshd> {
  const dir = path.resolve(opts.dir);
  await mkdir(dir, { recursive: true });
  await readableByAccounts(dir);
  // Privilege separation directory; present on a machine where sshd was never started.
  await mkdir('/run/sshd', { recursive: true, mode: 0o755 });
  const hostKey = path.join(dir, 'ssh_host_ed25519_key');
  if (!existsSync(hostKey)) await sshKeygen(hostKey, 'test-host');
  const hostPublicKey = (await readFile(`${hostKey}.pub`, 'utf8')).trim().split(/\s+/).slice(0, 2).join(' ');
  const authorizedKeysFile = opts.authorizedKeysFile ?? path.join(dir, 'authorized_keys', '%u');
  await mkdir(path.join(dir, 'authorized_keys'), { recursive: true });
  const port = opts.port || (await freePort());
  const listenHost = opts.listenAddress ?? '127.0.0.1';
  const configFile = path.join(dir, 'sshd_config');
  const logFile = path.join(dir, 'sshd.log');
  const pidFile = path.join(dir, 'sshd.pid');
  await writeFile(
    configFile,
    [
      `Port ${port}`,
      `ListenAddress ${opts.listenAddress ?? '127.0.0.1'}`,
      `HostKey ${hostKey}`,
      `PidFile ${pidFile}`,
      `AuthorizedKeysFile ${authorizedKeysFile}`,
      // Test files live under /tmp, which StrictModes rejects as group/world-writable.
      'StrictModes no',
      'UsePAM no',
      'PasswordAuthentication no',
      'KbdInteractiveAuthentication no',
      'PubkeyAuthentication yes',
      'PermitRootLogin no',
      'LogLevel VERBOSE',
      'MaxStartups 50',
      opts.extraConfig ?? '',
      '',
    ].join('\n'),
  );
  await chmod(configFile, 0o600);
  // Absolute paths for -f and -E: sshd re-executes itself for each connection.
  const sshdArgs = ['-D', '-f', configFile, '-E', logFile];
  const proc: ChildProcess = opts.netns
    ? spawn('ip', ['netns', 'exec', opts.netns, SSHD_BIN, ...sshdArgs], { stdio: ['ignore', 'ignore', 'pipe'] })
    : spawn(SSHD_BIN, sshdArgs, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  proc.stderr!.on('data', (c: Buffer) => (stderr += c.toString()));
  const exited = new Promise<void>((resolve) => proc.once('exit', () => resolve()));
  const log = async (): Promise<string> => (existsSync(logFile) ? readFile(logFile, 'utf8') : '');
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`sshd exited (${proc.exitCode}): ${stderr}${await log()}`);
    if (opts.netns ? await canConnectInNetns(opts.netns, listenHost, port) : await canConnect(port, listenHost)) break;
    if (Date.now() > deadline) {
      proc.kill('SIGKILL');
      throw new Error(`sshd did not listen on ${port}: ${stderr}${await log()}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    hostPublicKey,
    knownHostsLine: `[${listenHost}]:${port} ${hostPublicKey}`,
    logFile,
    configFile,
    log,
    stop: async () => {
      if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
      await exited;
    },
  };
}

async function canConnectInNetns(netns: string, host: string, port: number): Promise<boolean> {
  return (await runToEnd('ip', ['netns', 'exec', netns, 'bash', '-c', `exec 3<>/dev/tcp/${host}/${port}`])).code === 0;
}

function canConnect(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, host);
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

/** Runs the system ssh client non-interactively with a pinned known_hosts file and one key. */
export function sshArgs(o: { port: number; user: string; key: string; knownHosts: string; host?: string; extra?: string[] }): string[] {
  return [
    '-F', '/dev/null',
    '-o', 'BatchMode=yes',
    '-o', 'StrictHostKeyChecking=yes',
    '-o', `UserKnownHostsFile=${o.knownHosts}`,
    '-o', 'GlobalKnownHostsFile=/dev/null',
    '-o', 'IdentitiesOnly=yes',
    '-o', 'IdentityAgent=none',
    '-o', 'ConnectTimeout=10',
    '-i', o.key,
    '-p', String(o.port),
    ...(o.extra ?? []),
    `${o.user}@${o.host ?? '127.0.0.1'}`,
  ];
}

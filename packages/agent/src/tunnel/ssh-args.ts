/**
 * The ssh command line of the reverse tunnel. Every option that matters for safety or for
 * recovery is set here explicitly, with `-F /dev/null`, so that nothing in a system or user
 * ssh_config can weaken it (e.g. a stray `StrictHostKeyChecking no`).
 */
export interface SshTunnelArgs {
  host: string;
  port: number;
  user: string;
  remotePort: number;
  localPort: number;
  /** Absolute path of the node's private key. */
  keyFile: string;
  /** Absolute path of the known_hosts file that pins the control point's host key. */
  knownHostsFile: string;
  aliveIntervalS: number;
  aliveCountMax: number;
  connectTimeoutS: number;
  /** When set, ssh reaches the control point through this command (the WebSocket bridge). */
  proxyCommand?: string;
}

export function buildSshArgs(a: SshTunnelArgs): string[] {
  const o = (k: string, v: string | number): string[] => ['-o', `${k}=${v}`];
  return [
    '-F', '/dev/null',
    // -v: "remote forward success" (debug1) is how the supervisor knows the tunnel is up.
    '-v',
    '-N',
    '-T',
    ...o('BatchMode', 'yes'),
    ...o('ExitOnForwardFailure', 'yes'),
    ...o('ServerAliveInterval', a.aliveIntervalS),
    ...o('ServerAliveCountMax', a.aliveCountMax),
    ...o('ConnectTimeout', a.connectTimeoutS),
    ...o('StrictHostKeyChecking', 'yes'),
    ...o('UserKnownHostsFile', a.knownHostsFile),
    ...o('GlobalKnownHostsFile', '/dev/null'),
    ...o('UpdateHostKeys', 'no'),
    ...o('IdentitiesOnly', 'yes'),
    ...o('IdentityAgent', 'none'),
    ...o('IdentityFile', a.keyFile),
    ...o('PasswordAuthentication', 'no'),
    ...o('KbdInteractiveAuthentication', 'no'),
    ...o('ForwardAgent', 'no'),
    ...o('ForwardX11', 'no'),
    ...o('ControlMaster', 'no'),
    ...o('ControlPath', 'none'),
    ...(a.proxyCommand ? o('ProxyCommand', a.proxyCommand) : []),
    '-R', `127.0.0.1:${a.remotePort}:localhost:${a.localPort}`,
    '-p', String(a.port),
    '-l', a.user,
    '--',
    a.host,
  ];
}

/** Quotes one word for the POSIX shell that ssh runs a ProxyCommand with. */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

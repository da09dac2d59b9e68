import net from 'node:net';

export interface TunnelProbe {
  ok: boolean;
  /** The banner read (`SSH-2.0-OpenSSH_9.2p1 ...`) when ok. */
  banner?: string;
  error?: string;
  at: number;
}

/**
 * Checks a tunnel end to end: a TCP connection to the forwarded port on the control point's
 * loopback travels through the node's ssh to the node's sshd, which speaks first with its
 * `SSH-2.0-` banner. A listening port alone proves little (sshd accepts, then the node-side
 * connect may fail); the banner proves the whole path.
 */
export function probeSshBanner(port: number, host = '127.0.0.1', timeoutMs = 5000): Promise<TunnelProbe> {
  return new Promise((resolve) => {
    const at = Date.now();
    const socket = net.connect({ port, host });
    let buf = '';
    let settled = false;
    const done = (r: Omit<TunnelProbe, 'at'>): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve({ ...r, at });
    };
    const timer = setTimeout(() => done({ ok: false, error: `no SSH banner within ${timeoutMs} ms` }), timeoutMs);
    socket.on('data', (c: Buffer) => {
      buf += c.toString('latin1');
      const nl = buf.indexOf('\n');
      if (nl < 0 && buf.length < 256) return;
      const line = (nl < 0 ? buf : buf.slice(0, nl)).trim();
      done(line.startsWith('SSH-2.0-') ? { ok: true, banner: line.slice(0, 255) } : { ok: false, error: `not an SSH server: ${JSON.stringify(line.slice(0, 60))}` });
    });
    socket.on('error', (e: NodeJS.ErrnoException) => done({ ok: false, error: e.code === 'ECONNREFUSED' ? 'nothing listens on the tunnel port (the node is not connected)' : e.message }));
    socket.on('close', () => done({ ok: false, error: 'closed without an SSH banner (the node accepted the forward but its sshd did not answer)' }));
  });
}

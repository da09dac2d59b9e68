/**
 * Reads what `ssh -v` writes to stderr: whether the forward is established, and which line
 * explains a failure, in words a person can act on.
 */

const FORWARD_UP = /^debug1: remote forward success for: listen [^:]*:?(\d+)/;

/** Lines ssh prints at info level that are not errors. */
const BENIGN = [/^Authenticated to /, /^Transferred: /, /^OpenSSH_/, /^Bytes per second/, /^Connection to .* closed\.$/];

export type SshLine = { kind: 'forward_up'; port: number } | { kind: 'error'; message: string } | { kind: 'debug' };

/** Lines that name the cause outright; they win over whatever was printed before them. */
const DECISIVE = /Host key verification failed|remote port forwarding failed|Permission denied|Connection refused|Could not resolve hostname|not responding/;

export function isDecisive(message: string): boolean {
  return DECISIVE.test(message);
}

export function classifySshLine(line: string): SshLine {
  // ssh frames its host-key warning in rows of '@'.
  const text = line.trim().replace(/^@+\s*|\s*@+$/g, '');
  const up = FORWARD_UP.exec(text);
  if (up) return { kind: 'forward_up', port: Number(up[1]) };
  if (text === '' || text.startsWith('debug') || BENIGN.some((re) => re.test(text))) return { kind: 'debug' };
  return { kind: 'error', message: text.slice(0, 500) };
}

/**
 * True when ssh never reached the control point's SSH service (refused, timed out, reset,
 * no route, DNS): the kind of failure a network that blocks SSH produces, where carrying
 * SSH over the HTTPS port may help. Authentication and host-key failures are not.
 */
export function isReachabilityFailure(message: string | undefined): boolean {
  if (!message) return false;
  return /connect to host|Connection refused|Connection timed out|Operation timed out|No route to host|Network is unreachable|Could not resolve hostname|kex_exchange_identification|Connection reset|Connection closed by (?:remote host|[0-9a-f.:]+ port)|banner exchange|Broken pipe/i.test(
    message,
  );
}

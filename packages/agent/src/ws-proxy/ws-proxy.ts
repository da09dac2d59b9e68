import { readFile } from 'node:fs/promises';
import { pipeline } from 'node:stream/promises';
import type { Duplex } from 'node:stream';
import { ErrorCode, MaError } from '@ma/protocol';
import WebSocket, { createWebSocketStream } from 'ws';

/** Environment ssh passes to its ProxyCommand: the node's name and credential never appear in argv (ps). */
export const WS_PROXY_ENV = { node: 'MA_TUNNEL_NODE', credential: 'MA_TUNNEL_CREDENTIAL', caFile: 'MA_TUNNEL_CA_FILE' } as const;

export interface WsProxyOptions {
  url: string;
  node: string;
  credential: string;
  ca?: Buffer;
  input: NodeJS.ReadableStream;
  output: NodeJS.WritableStream;
}

/**
 * `ma-agent ws-proxy <url>`: ssh's ProxyCommand for networks that only let HTTPS out. It
 * copies stdin to a WebSocket on the server's HTTP(S) port and the WebSocket to stdout; the
 * server bridges the socket to its own sshd. ssh still authenticates the control point's
 * host key end to end, so the bridge sees only encrypted SSH.
 */
export async function runWsProxy(o: WsProxyOptions): Promise<void> {
  const auth = Buffer.from(`${o.node}:${o.credential}`).toString('base64');
  const socket = new WebSocket(o.url, { headers: { authorization: `Basic ${auth}` }, ...(o.ca ? { ca: o.ca } : {}), handshakeTimeout: 15_000 });
  await new Promise<void>((resolve, reject) => {
    socket.once('open', () => resolve());
    socket.once('unexpected-response', (_req, res) => reject(new MaError(res.statusCode === 401 || res.statusCode === 403 ? ErrorCode.TransportAuth : ErrorCode.TransportConnectFailed, `ws-proxy: ${o.url} answered HTTP ${res.statusCode}`)));
    socket.once('error', (err) => reject(new MaError(ErrorCode.TransportConnectFailed, `ws-proxy: cannot reach ${o.url}: ${err.message}`, { cause: err })));
  });
  const stream: Duplex = createWebSocketStream(socket);
  await Promise.race([
    pipeline(o.input, stream).catch(() => undefined),
    pipeline(stream, o.output).catch(() => undefined),
  ]);
  socket.terminate();
}

/** Reads the proxy's settings from the environment ssh gave it. */
export async function wsProxyFromEnv(url: string, env: NodeJS.ProcessEnv = process.env): Promise<Omit<WsProxyOptions, 'input' | 'output'>> {
  const node = env[WS_PROXY_ENV.node];
  const credential = env[WS_PROXY_ENV.credential];
  if (!node || !credential) throw new MaError(ErrorCode.ConfigInvalid, `ws-proxy: ${WS_PROXY_ENV.node} and ${WS_PROXY_ENV.credential} must be set (the agent sets them when it runs ssh)`);
  const caFile = env[WS_PROXY_ENV.caFile];
  return { url, node, credential, ...(caFile ? { ca: await readFile(caFile) } : {}) };
}

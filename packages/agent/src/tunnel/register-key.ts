import { readFile } from 'node:fs/promises';
import { Agent as HttpsAgent } from 'node:https';
import type { Logger } from '../logger.js';

export interface RegisterKeyOptions {
  serverUrl: string;
  node: string;
  credential: string;
  publicKeyFile: string;
  ca?: Buffer;
  log: Logger;
  /** Retry delay after a failure. */
  retryMs?: number;
  signal: AbortSignal;
}

/**
 * Registers the node's tunnel public key with the server (PUT /tunnel/key, as the
 * node), retrying until it succeeds: the control point's authorized_keys is generated from
 * these, so a node enrolled while the server was down still gets in once it is back.
 */
export async function registerTunnelKey(o: RegisterKeyOptions): Promise<{ port: number } | undefined> {
  const publicKey = (await readFile(o.publicKeyFile, 'utf8')).trim();
  const url = `${o.serverUrl.replace(/\/$/, '')}/tunnel/key`;
  const auth = Buffer.from(`${o.node}:${o.credential}`).toString('base64');
  let logged = false;
  while (!o.signal.aborted) {
    try {
      const res = await fetchWithCa(url, {
        method: 'PUT',
        headers: { authorization: `Basic ${auth}`, 'content-type': 'application/json' },
        body: JSON.stringify({ public_key: publicKey }),
        signal: o.signal,
      }, o.ca);
      const body = (await res.json()) as { port?: number; error?: { message: string } };
      if (res.ok && typeof body.port === 'number') {
        o.log.info({ port: body.port }, 'tunnel key registered with the server');
        return { port: body.port };
      }
      // 4xx will not fix itself by retrying quickly, but an admin may fix it: keep trying, slowly, logging once.
      if (!logged) o.log.error({ status: res.status, error: body.error?.message }, 'the server refused the tunnel key');
    } catch (err) {
      if (o.signal.aborted) break;
      if (!logged) o.log.warn({ err: (err as Error).message, url }, 'cannot register the tunnel key yet; retrying');
    }
    logged = true;
    await new Promise((r) => setTimeout(r, o.retryMs ?? 30_000).unref());
  }
  return undefined;
}

export async function fetchWithCa(url: string, init: RequestInit, ca: Buffer | undefined): Promise<Response> {
  if (!ca || !url.startsWith('https:')) return fetch(url, init);
  // fetch cannot take a CA; a pinned private CA needs node:https.
  const { request } = await import('node:https');
  return new Promise((resolve, reject) => {
    const req = request(url, { method: init.method, headers: init.headers as Record<string, string>, agent: new HttpsAgent({ ca }), signal: init.signal ?? undefined }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve(new Response(Buffer.concat(chunks), { status: res.statusCode ?? 500 })));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(init.body as string);
  });
}

import { createHmac, timingSafeEqual } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request as the receiver saw it, with its signature checked independently of the server's code. */
export interface ReceivedHook {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  json: Record<string, unknown>;
  /** X-MA-Signature matches HMAC-SHA256(secret, "<X-MA-Timestamp>.<body>") for the secret given for this path. */
  signatureValid: boolean;
}

export interface WebhookReceiver {
  url: string;
  hooks: ReceivedHook[];
  /** Secrets by path, to check signatures. */
  secrets: Map<string, string>;
  /** Answer this many requests with 503 first (to exercise retries). */
  failNext(n: number): void;
  close(): Promise<void>;
}

/** A real HTTP server that records the JSON webhooks it receives. */
export async function startWebhookReceiver(): Promise<WebhookReceiver> {
  const hooks: ReceivedHook[] = [];
  const secrets = new Map<string, string>();
  let failing = 0;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (failing > 0) {
        failing--;
        res.writeHead(503).end('try later');
        return;
      }
      const body = Buffer.concat(chunks).toString('utf8');
      const path = req.url ?? '/';
      const secret = secrets.get(path);
      const sig = String(req.headers['x-ma-signature'] ?? '');
      const expected = secret ? `sha256=${createHmac('sha256', secret).update(`${String(req.headers['x-ma-timestamp'])}.${body}`).digest('hex')}` : '';
      const signatureValid = secret !== undefined && sig.length === expected.length && timingSafeEqual(Buffer.from(sig), Buffer.from(expected));
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(body) as Record<string, unknown>;
      } catch {
        // recorded with an empty object; the test fails on its fields
      }
      hooks.push({ path, headers: req.headers, body, json, signatureValid });
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    hooks,
    secrets,
    failNext: (n) => (failing = n),
    close: () => new Promise((r) => server.close(() => r())),
  };
}

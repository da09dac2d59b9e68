/**
 * A simulated Shelly Gen2+ plug at its real boundary: an HTTP server speaking the device's RPC
 * (`GET /rpc/<Method>?...` and JSON-RPC `POST /rpc`), with optional SHA-256 digest auth as the
 * firmware does it, and a power draw that follows the relay. Test-only: never shipped.
 */
import { createHash, randomBytes } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface ShellyDeviceOptions {
  /** Enables digest auth with user `admin`. */
  password?: string;
  /** Draw in W while on (the load); 0 while off. */
  loadW?: number;
  switches?: number;
}

export interface ShellyDevice {
  url: string;
  output(id?: number): boolean;
  /** Flips the relay behind the agent's back (someone pressed the button). */
  setOutput(on: boolean, id?: number): void;
  /** Changes the load's draw while on (a tool spinning down to idle). */
  setLoad(w: number): void;
  /** The device stops answering (requests hang) until resumed. */
  setUnresponsive(v: boolean): void;
  /** Requests seen, as `METHOD path`. */
  requests: string[];
  close(): Promise<void>;
}

const sha256 = (s: string): string => createHash('sha256').update(s).digest('hex');

export async function startShellyDevice(opts: ShellyDeviceOptions = {}): Promise<ShellyDevice> {
  const outputs = Array.from({ length: opts.switches ?? 1 }, () => false);
  let load = opts.loadW ?? 120;
  let unresponsive = false;
  const hanging = new Set<http.ServerResponse>();
  const requests: string[] = [];
  const realm = 'shellyplus1pm-a8032ab12345';
  const nonce = randomBytes(8).toString('hex');

  const status = (id: number) => {
    const on = outputs[id]!;
    const apower = on ? load : 0;
    return {
      id,
      source: 'HTTP',
      output: on,
      apower,
      voltage: 230.1,
      current: Math.round((apower / 230.1) * 1000) / 1000,
      aenergy: { total: 1234.5, by_minute: [0, 0, 0], minute_ts: Math.floor(Date.now() / 1000) },
      temperature: { tC: 41.2, tF: 106.2 },
    };
  };

  const authorised = (req: http.IncomingMessage): boolean => {
    if (opts.password === undefined) return true;
    const h = req.headers.authorization ?? '';
    const f: Record<string, string> = {};
    for (const m of h.replace(/^Digest\s+/i, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) f[m[1]!] = m[2] ?? m[3] ?? '';
    if (f.username !== 'admin' || f.nonce !== nonce || f.realm !== realm) return false;
    const ha1 = sha256(`admin:${realm}:${opts.password}`);
    const ha2 = sha256(`${req.method}:${f.uri}`);
    return f.response === sha256(`${ha1}:${f.nonce}:${f.nc}:${f.cnonce}:${f.qop}:${ha2}`);
  };

  /** Runs one RPC; answers [httpStatus, result-or-error]. */
  const rpc = (method: string, params: Record<string, unknown>): [number, unknown] => {
    const id = Number(params.id ?? 0);
    if (method === 'Switch.Set' || method === 'Switch.GetStatus') {
      if (!Number.isInteger(id) || id < 0 || id >= outputs.length) return [500, { code: -105, message: `Argument 'id', value ${String(params.id)} not found!` }];
    }
    if (method === 'Switch.Set') {
      const on = params.on;
      const value = on === true || on === 'true' ? true : on === false || on === 'false' ? false : undefined;
      if (value === undefined) return [500, { code: -103, message: "Invalid argument 'on'!" }];
      const was = outputs[id]!;
      outputs[id] = value;
      return [200, { was_on: was }];
    }
    if (method === 'Switch.GetStatus') return [200, status(id)];
    if (method === 'Shelly.GetDeviceInfo') return [200, { name: null, id: realm, mac: 'A8032AB12345', model: 'SNPL-00116EU', gen: 2, fw_id: '20231107-162425/1.0.8-g8c7bb8d', ver: '1.0.8', app: 'PlugS', auth_en: opts.password !== undefined, auth_domain: opts.password !== undefined ? realm : null }];
    return [404, { code: 404, message: `No handler for ${method}` }];
  };

  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (unresponsive) {
      hanging.add(res);
      return;
    }
    if (!authorised(req)) {
      res.writeHead(401, { 'www-authenticate': `Digest qop="auth", realm="${realm}", nonce="${nonce}", algorithm=SHA-256` });
      res.end('401 Unauthorized');
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (code: number, body: unknown) => {
      res.writeHead(code, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method === 'GET' && url.pathname.startsWith('/rpc/')) {
      const params: Record<string, unknown> = Object.fromEntries(url.searchParams);
      const [code, body] = rpc(url.pathname.slice(5), params);
      return send(code, body);
    }
    if (req.method === 'POST' && url.pathname === '/rpc') {
      let raw = '';
      req.setEncoding('utf8').on('data', (d: string) => (raw += d));
      req.on('end', () => {
        let msg: { id?: unknown; method?: string; params?: Record<string, unknown> };
        try {
          msg = JSON.parse(raw) as typeof msg;
        } catch {
          return send(400, { code: -32700, message: 'Parse error' });
        }
        const [code, body] = rpc(msg.method ?? '', msg.params ?? {});
        // JSON-RPC frames answer 200 with result or error.
        send(200, code === 200 ? { id: msg.id, src: realm, result: body } : { id: msg.id, src: realm, error: body });
      });
      return;
    }
    send(404, { code: 404, message: 'Not Found' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    output: (id = 0) => outputs[id]!,
    setOutput: (on, id = 0) => {
      outputs[id] = on;
    },
    setLoad: (w) => {
      load = w;
    },
    setUnresponsive: (v) => {
      unresponsive = v;
      if (!v) for (const r of hanging) r.destroy();
      if (!v) hanging.clear();
    },
    requests,
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

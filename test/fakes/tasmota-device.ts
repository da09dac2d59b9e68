/**
 * A simulated Tasmota plug at its real boundary: `GET /cm?cmnd=...` as the firmware answers it
 * (`Power`, `Power On|Off|Toggle|1|0`, `PowerN ...`, `Status 8` with StatusSNS.ENERGY), and the
 * `user`/`password` query parameters when a web password is set. Test-only.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface TasmotaDevice {
  url: string;
  power(relay?: number): boolean;
  setPower(on: boolean, relay?: number): void;
  setLoad(w: number): void;
  setUnresponsive(v: boolean): void;
  requests: string[];
  close(): Promise<void>;
}

export async function startTasmotaDevice(opts: { password?: string; relays?: number; loadW?: number } = {}): Promise<TasmotaDevice> {
  const relays = Array.from({ length: opts.relays ?? 1 }, () => false);
  let load = opts.loadW ?? 60;
  let unresponsive = false;
  const hanging = new Set<http.ServerResponse>();
  const requests: string[] = [];
  const key = (n: number) => (relays.length === 1 ? 'POWER' : `POWER${n}`);

  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`);
    if (unresponsive) {
      hanging.add(res);
      return;
    }
    const url = new URL(req.url ?? '/', 'http://x');
    const send = (body: unknown) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname !== '/cm') {
      res.writeHead(404);
      return res.end();
    }
    if (opts.password !== undefined && (url.searchParams.get('user') !== 'admin' || url.searchParams.get('password') !== opts.password)) {
      return send({ WARNING: 'Need user=<username>&password=<password>' });
    }
    const cmnd = (url.searchParams.get('cmnd') ?? '').trim();
    const m = /^power(\d*)(?:\s+(\S+))?$/i.exec(cmnd);
    if (m) {
      const n = m[1] ? Number(m[1]) : 1;
      if (n < 1 || n > relays.length) return send({ Command: 'Unknown' });
      const arg = m[2]?.toLowerCase();
      if (arg === 'on' || arg === '1') relays[n - 1] = true;
      else if (arg === 'off' || arg === '0') relays[n - 1] = false;
      else if (arg === 'toggle' || arg === '2') relays[n - 1] = !relays[n - 1];
      else if (arg !== undefined) return send({ Command: 'Error' });
      return send({ [key(n)]: relays[n - 1] ? 'ON' : 'OFF' });
    }
    if (/^status\s+8$/i.test(cmnd)) {
      const power = relays[0] ? load : 0;
      return send({
        StatusSNS: {
          Time: new Date().toISOString().slice(0, 19),
          ENERGY: { TotalStartTime: '2024-01-01T00:00:00', Total: 12.345, Yesterday: 0.5, Today: 0.1, Power: power, ApparentPower: power, ReactivePower: 0, Factor: power ? 1 : 0, Voltage: 231, Current: Math.round((power / 231) * 1000) / 1000 },
        },
      });
    }
    send({ Command: 'Unknown' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    power: (relay = 1) => relays[relay - 1]!,
    setPower: (on, relay = 1) => {
      relays[relay - 1] = on;
    },
    setLoad: (w) => {
      load = w;
    },
    setUnresponsive: (v) => {
      unresponsive = v;
      if (!v) for (const r of hanging) r.destroy();
    },
    requests,
    close: async () => {
      for (const r of hanging) r.destroy();
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

// A simulated Shelly Gen2 plug for the demo and the benchmarks (plain JS, run without a TS
// loader): `GET /rpc/Switch.Set?id=0&on=true|false` and `GET /rpc/Switch.GetStatus?id=0`, power
// following the relay, and the wall-clock time of every Set, which is what the tap-to-relay
// figures measure to. The tests' full simulator (digest auth, JSON-RPC) is test/fakes/shelly-device.ts.
import http from 'node:http';

export async function startShelly({ loadW = 100 } = {}) {
  let on = false;
  const sets = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    const send = (body) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (url.pathname === '/rpc/Switch.Set') {
      const was = on;
      on = url.searchParams.get('on') === 'true';
      sets.push({ at: performance.timeOrigin + performance.now(), on });
      return send({ was_on: was });
    }
    if (url.pathname === '/rpc/Switch.GetStatus') return send({ id: 0, source: 'HTTP', output: on, apower: on ? loadW : 0, voltage: 230.1, current: on ? loadW / 230 : 0, aenergy: { total: 0 }, temperature: { tC: 40 } });
    if (url.pathname === '/rpc/Shelly.GetDeviceInfo') return send({ id: 'shellyplusplugs-bench', model: 'SNPL-00112EU', gen: 2, fw_id: 'bench', auth_en: false });
    res.writeHead(404).end();
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${server.address().port}`, sets, output: () => on, close: () => new Promise((r) => server.close(r)) };
}

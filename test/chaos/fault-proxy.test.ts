import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { FaultProxy } from './fault-proxy.js';

/** An upstream that echoes and remembers every byte it received. */
async function echoServer(): Promise<{ port: number; received: () => number; close(): Promise<void> }> {
  let received = 0;
  const sockets = new Set<net.Socket>();
  const server = net.createServer((s) => {
    sockets.add(s);
    s.on('data', (d) => {
      received += d.length;
      s.write(d);
    });
    s.on('error', () => undefined);
    s.on('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as net.AddressInfo).port,
    received: () => received,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}

interface Conn {
  socket: net.Socket;
  data: () => string;
  closed: Promise<{ error?: string }>;
}

async function connect(port: number): Promise<Conn> {
  const socket = net.connect(port, '127.0.0.1');
  let data = '';
  let error: string | undefined;
  socket.on('data', (d) => (data += d.toString()));
  socket.on('error', (e: NodeJS.ErrnoException) => (error = e.code ?? e.message));
  const closed = new Promise<{ error?: string }>((r) => socket.on('close', () => r(error ? { error } : {})));
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  return { socket, data: () => data, closed };
}

const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function until(cond: () => boolean, ms = 2000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met');
    await wait(10);
  }
}

describe('the fault-injecting TCP proxy', () => {
  const cleanups: Array<() => Promise<unknown>> = [];
  afterEach(async () => {
    for (const c of cleanups.splice(0).reverse()) await c();
  });

  async function setup(random?: () => number) {
    const echo = await echoServer();
    const proxy = new FaultProxy({ target: { host: '127.0.0.1', port: echo.port }, ...(random ? { random } : {}) });
    await proxy.start();
    cleanups.push(() => echo.close(), () => proxy.stop());
    return { echo, proxy };
  }

  it('forwards both ways in pass mode', async () => {
    const { proxy } = await setup();
    const c = await connect(proxy.port);
    c.socket.write('hello');
    await until(() => c.data() === 'hello');
    expect(proxy.stats).toMatchObject({ attempts: 1, accepted: 1, bytesUp: 5, bytesDown: 5, open: 1 });
    c.socket.destroy();
  });

  it('delays each chunk by the set time', async () => {
    const { proxy } = await setup();
    proxy.delay(300);
    const c = await connect(proxy.port);
    const t0 = Date.now();
    c.socket.write('x');
    await until(() => c.data() === 'x');
    // Two hops (up and down) of 300 ms each.
    expect(Date.now() - t0).toBeGreaterThanOrEqual(550);
    c.socket.destroy();
  });

  it('refuses new connections but leaves open ones working', async () => {
    const { proxy } = await setup();
    const before = await connect(proxy.port);
    proxy.refuse();
    // The refused connection is closed at once: depending on timing, connect() itself fails
    // or the socket closes right after it.
    const refused = await connect(proxy.port).then(
      (c) => c.closed.then(() => 'closed'),
      (e: NodeJS.ErrnoException) => e.code,
    );
    expect(['closed', 'ECONNRESET']).toContain(refused);
    before.socket.write('still');
    await until(() => before.data() === 'still');
    expect(proxy.stats.refused).toBe(1);
    before.socket.destroy();
  });

  it('blackholes: connections stay open, nothing passes, and held bytes flow again after pass()', async () => {
    const { echo, proxy } = await setup();
    const c = await connect(proxy.port);
    proxy.blackhole();
    c.socket.write('lost?');
    await wait(300);
    expect(echo.received()).toBe(0);
    expect(c.data()).toBe('');
    expect(c.socket.destroyed).toBe(false);
    proxy.pass();
    c.socket.write('back');
    // What was sent into the blackhole arrives once the link is back, in order (TCP semantics).
    await until(() => c.data() === 'lost?back');
    expect(echo.received()).toBe(9);
    c.socket.destroy();
  });

  it('resets every open connection on command', async () => {
    const { proxy } = await setup();
    const a = await connect(proxy.port);
    const b = await connect(proxy.port);
    expect(proxy.resetAll()).toBe(2);
    const [ra, rb] = await Promise.all([a.closed, b.closed]);
    expect(ra.error).toBe('ECONNRESET');
    expect(rb.error).toBe('ECONNRESET');
    expect(proxy.stats.open).toBe(0);
  });

  it('cuts a connection mid-stream after exactly N bytes reached the target', async () => {
    const { echo, proxy } = await setup();
    proxy.cutAfter(10);
    const c = await connect(proxy.port);
    c.socket.write('0123456789abcdefghij');
    const r = await c.closed;
    expect(r.error).toBe('ECONNRESET');
    await until(() => echo.received() === 10);
    expect(proxy.stats.cut).toBe(1);
  });

  it('cuts the chosen share of connections', async () => {
    // Deterministic "random": a draw below 0.5 chooses a connection, the next draw (0) cuts it
    // after its first byte; connections 1 and 3 are chosen, 2 and 4 are not.
    const draws = [0, 0, 0.99, 0, 0, 0.99];
    const { proxy } = await setup(() => draws.shift() ?? 0.99);
    proxy.cutProbability(0.5);
    const conns = [];
    for (let n = 0; n < 4; n++) conns.push(await connect(proxy.port));
    for (const c of conns) c.socket.write('xy');
    await until(() => proxy.stats.cut === 2);
    await wait(100);
    expect(proxy.stats.cut).toBe(2);
    for (const c of conns) c.socket.destroy();
  });
});

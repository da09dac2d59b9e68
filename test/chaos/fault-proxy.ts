import net from 'node:net';
import tls from 'node:tls';

/**
 * A loopback TCP proxy that a test controls, to put real network faults between two real
 * processes (agent and broker). Modes apply to what happens from the moment they are set:
 *
 * - `pass`: forward both ways.
 * - `delay`: forward, each chunk held back `delayMs`.
 * - `refuse`: new connections are closed at once (existing ones keep working).
 * - `blackhole`: new and existing connections stay open but nothing is forwarded either way,
 *   like a dead Wi-Fi link: only keepalives notice. Bytes already read are held, not dropped,
 *   and delivered if the link comes back (as TCP retransmission would); a connection that
 *   either end gave up on meanwhile is gone with them.
 *
 * Faults that act once: `resetAll()` sends RST on every open connection; `cutAfter` (bytes)
 * and `cutProbability` cut a connection mid-stream (RST after N bytes client->upstream, so a
 * packet is torn). With `tls`, the proxy terminates TLS itself with a certificate the test can
 * swap (`setTlsCert`), which is how a server certificate is "replaced" without touching the server.
 */
export type ProxyMode = 'pass' | 'delay' | 'refuse' | 'blackhole';

export interface FaultProxyOptions {
  /** Where to forward to. */
  target: { host: string; port: number };
  /** Listen port (0 = pick a free one); reuse the old port after a restart. */
  port?: number;
  /** Terminate TLS here with this key and certificate (PEM). */
  tls?: { key: string | Buffer; cert: string | Buffer };
  /** Random source for cutProbability, so a test can be made deterministic. */
  random?: () => number;
}

export interface ProxyStats {
  /** TCP connections made to the proxy, including TLS handshakes that failed. */
  attempts: number;
  /** Connections accepted (including refused ones; with TLS, only completed handshakes). */
  accepted: number;
  refused: number;
  resets: number;
  /** Connections cut mid-stream by cutAfter/cutProbability. */
  cut: number;
  /** Bytes forwarded client -> upstream and upstream -> client. */
  bytesUp: number;
  bytesDown: number;
  open: number;
}

interface Pair {
  client: net.Socket;
  upstream: net.Socket;
  /** Bytes forwarded client -> upstream on this pair. */
  up: number;
  /** Byte count after which this pair is cut, if it was chosen for cutting. */
  cutAt: number | undefined;
  /** Chunks read during a blackhole, delivered in order when it ends. */
  held: Array<{ chunk: Buffer; direction: 'up' | 'down' }>;
}

export class FaultProxy {
  #server: net.Server | undefined;
  #mode: ProxyMode = 'pass';
  #delayMs = 0;
  #cutAfterBytes: number | undefined;
  #cutProbability = 0;
  #cutWithinBytes = 65_536;
  readonly #pairs = new Set<Pair>();
  readonly #stats: ProxyStats = { attempts: 0, accepted: 0, refused: 0, resets: 0, cut: 0, bytesUp: 0, bytesDown: 0, open: 0 };
  readonly #random: () => number;
  port = 0;

  constructor(private readonly opts: FaultProxyOptions) {
    this.#random = opts.random ?? Math.random;
  }

  get stats(): Readonly<ProxyStats> {
    return { ...this.#stats, open: this.#pairs.size };
  }

  get mode(): ProxyMode {
    return this.#mode;
  }

  async start(): Promise<number> {
    const onSocket = (client: net.Socket): void => this.#accept(client);
    const server = this.opts.tls ? tls.createServer({ ...this.opts.tls }, onSocket) : net.createServer(onSocket);
    server.on('connection', () => this.#stats.attempts++);
    // A TLS handshake the client rejects (untrusted certificate) surfaces here; that is expected.
    server.on('tlsClientError', () => undefined);
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.opts.port ?? 0, '127.0.0.1', () => resolve());
    });
    this.#server = server;
    this.port = (server.address() as net.AddressInfo).port;
    return this.port;
  }

  /** Forward both ways (the normal state). */
  pass(): void {
    this.#mode = 'pass';
    this.#resumeAll();
  }

  delay(ms: number): void {
    this.#mode = 'delay';
    this.#delayMs = ms;
    this.#resumeAll();
  }

  /** Close new connections at once. */
  refuse(): void {
    this.#mode = 'refuse';
  }

  /** Keep every connection open but forward nothing. */
  blackhole(): void {
    this.#mode = 'blackhole';
    for (const p of this.#pairs) {
      p.client.pause();
      p.upstream.pause();
    }
  }

  /** Cut each new connection after it forwarded `bytes` towards the target (undefined = off). */
  cutAfter(bytes: number | undefined): void {
    this.#cutAfterBytes = bytes;
  }

  /** Cut each new connection with this probability, at a random byte within its first `withinBytes`. */
  cutProbability(p: number, withinBytes = 65_536): void {
    this.#cutProbability = p;
    this.#cutWithinBytes = withinBytes;
  }

  /** RST every open connection now. */
  resetAll(): number {
    const n = this.#pairs.size;
    for (const p of [...this.#pairs]) this.#destroy(p, true);
    this.#stats.resets += n;
    return n;
  }

  /** Serve a different certificate from the next handshake on (TLS mode only). */
  setTlsCert(cert: { key: string | Buffer; cert: string | Buffer }): void {
    if (!(this.#server instanceof tls.Server)) throw new Error('setTlsCert: this proxy does not terminate TLS');
    this.#server.setSecureContext(cert);
  }

  async stop(): Promise<void> {
    for (const p of [...this.#pairs]) this.#destroy(p, true);
    const server = this.#server;
    this.#server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  #accept(client: net.Socket): void {
    this.#stats.accepted++;
    if (this.#mode === 'refuse') {
      this.#stats.refused++;
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(this.opts.target.port, this.opts.target.host);
    let cutAt: number | undefined = this.#cutAfterBytes;
    if (cutAt === undefined && this.#cutProbability > 0 && this.#random() < this.#cutProbability) {
      cutAt = 1 + Math.floor(this.#random() * this.#cutWithinBytes);
    }
    const pair: Pair = { client, upstream, up: 0, cutAt, held: [] };
    this.#pairs.add(pair);
    client.on('error', () => this.#destroy(pair, true));
    upstream.on('error', () => this.#destroy(pair, true));
    client.on('close', () => this.#destroy(pair, false));
    upstream.on('close', () => this.#destroy(pair, false));
    if (this.#mode === 'blackhole') {
      client.pause();
      upstream.pause();
    }
    client.on('data', (chunk: Buffer) => this.#forward(pair, chunk, 'up'));
    upstream.on('data', (chunk: Buffer) => this.#forward(pair, chunk, 'down'));
  }

  #forward(pair: Pair, chunk: Buffer, direction: 'up' | 'down'): void {
    if (this.#mode === 'blackhole') {
      pair.held.push({ chunk, direction });
      return;
    }
    let data = chunk;
    let cut = false;
    if (direction === 'up' && pair.cutAt !== undefined && pair.up + data.length >= pair.cutAt) {
      data = data.subarray(0, Math.max(0, pair.cutAt - pair.up));
      cut = true;
    }
    const to = direction === 'up' ? pair.upstream : pair.client;
    const send = (): void => {
      if (data.length > 0 && !to.destroyed) to.write(data);
      if (direction === 'up') {
        pair.up += data.length;
        this.#stats.bytesUp += data.length;
      } else this.#stats.bytesDown += data.length;
      if (cut) {
        this.#stats.cut++;
        this.#destroy(pair, true);
      }
    };
    if (this.#mode === 'delay' && this.#delayMs > 0) setTimeout(send, this.#delayMs);
    else send();
  }

  #resumeAll(): void {
    for (const p of [...this.#pairs]) {
      for (const h of p.held.splice(0)) this.#forward(p, h.chunk, h.direction);
      p.client.resume();
      p.upstream.resume();
    }
  }

  #destroy(pair: Pair, reset: boolean): void {
    if (!this.#pairs.delete(pair)) return;
    for (const s of [pair.client, pair.upstream]) {
      if (s.destroyed) continue;
      if (reset && typeof s.resetAndDestroy === 'function' && !(s instanceof tls.TLSSocket)) s.resetAndDestroy();
      else s.destroy();
    }
  }
}

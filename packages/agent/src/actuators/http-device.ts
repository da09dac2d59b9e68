/**
 * A small HTTP client for smart plugs on the LAN (Shelly, Tasmota): one GET or POST with a
 * deadline, optional HTTP digest auth (Shelly Gen2+ uses SHA-256 digest), and errors mapped
 * to MaErrors so a plug that stops answering is "unreachable", never "off".
 */
import { createHash, randomBytes } from 'node:crypto';
import { ErrorCode, MaError } from '@ma/protocol';

export interface HttpDeviceOptions {
  /** Base URL, e.g. `http://192.168.1.50`. */
  baseUrl: string;
  timeoutMs: number;
  /** For digest auth (Shelly: user is always `admin`). */
  username?: string;
  password?: string;
  /** What the device is, for messages: `shelly laser_plug`. */
  what: string;
}

export interface HttpReply {
  status: number;
  body: string;
}

function parseChallenge(header: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of header.replace(/^Digest\s+/i, '').matchAll(/(\w+)=(?:"([^"]*)"|([^,\s]+))/g)) out[m[1]!.toLowerCase()] = m[2] ?? m[3] ?? '';
  return out;
}

/** The `Authorization` header answering a digest challenge (RFC 7616: MD5 or SHA-256, qop=auth). */
export function digestAuthorization(challenge: string, method: string, uri: string, username: string, password: string, cnonce = randomBytes(8).toString('hex')): string {
  const c = parseChallenge(challenge);
  const algorithm = (c.algorithm ?? 'MD5').toUpperCase();
  const hashName = algorithm.startsWith('SHA-256') ? 'sha256' : 'md5';
  const h = (s: string): string => createHash(hashName).update(s).digest('hex');
  const realm = c.realm ?? '';
  const nonce = c.nonce ?? '';
  const nc = '00000001';
  const ha1 = h(`${username}:${realm}:${password}`);
  const ha2 = h(`${method}:${uri}`);
  const qop = c.qop?.split(',').map((q) => q.trim()).includes('auth') ? 'auth' : undefined;
  const response = qop ? h(`${ha1}:${nonce}:${nc}:${cnonce}:${qop}:${ha2}`) : h(`${ha1}:${nonce}:${ha2}`);
  const parts = [`username="${username}"`, `realm="${realm}"`, `nonce="${nonce}"`, `uri="${uri}"`, `algorithm=${algorithm}`, `response="${response}"`];
  if (qop) parts.push(`qop=${qop}`, `nc=${nc}`, `cnonce="${cnonce}"`);
  if (c.opaque !== undefined) parts.push(`opaque="${c.opaque}"`);
  return `Digest ${parts.join(', ')}`;
}

export class HttpDevice {
  constructor(private readonly opts: HttpDeviceOptions) {}

  /** GET (or POST with a JSON body) `pathAndQuery`; answers 2xx bodies, throws MaError otherwise. */
  async request(pathAndQuery: string, init: { method?: 'GET' | 'POST'; json?: unknown; signal?: AbortSignal } = {}): Promise<HttpReply> {
    const method = init.method ?? 'GET';
    const url = new URL(pathAndQuery, this.opts.baseUrl);
    const send = async (authorization?: string): Promise<Response> => {
      const signals = [AbortSignal.timeout(this.opts.timeoutMs), ...(init.signal ? [init.signal] : [])];
      try {
        return await fetch(url, {
          method,
          headers: { ...(authorization ? { authorization } : {}), ...(init.json !== undefined ? { 'content-type': 'application/json' } : {}) },
          ...(init.json !== undefined ? { body: JSON.stringify(init.json) } : {}),
          signal: AbortSignal.any(signals),
        });
      } catch (err) {
        const reason = err instanceof Error && err.name === 'TimeoutError' ? `no answer within ${this.opts.timeoutMs} ms` : ((err as { cause?: { code?: string } }).cause?.code ?? (err as Error).message);
        throw new MaError(ErrorCode.DriverDeviceMissing, `${this.opts.what} is unreachable at ${url.origin} (${reason})`, { cause: err });
      }
    };
    let res = await send();
    if (res.status === 401 && this.opts.password !== undefined) {
      const challenge = res.headers.get('www-authenticate') ?? '';
      await res.arrayBuffer();
      if (!/^Digest/i.test(challenge)) throw new MaError(ErrorCode.DriverReadFailed, `${this.opts.what}: the device asks for ${challenge.split(' ')[0] || 'unknown'} auth; only digest is supported`);
      res = await send(digestAuthorization(challenge, method, url.pathname + url.search, this.opts.username ?? 'admin', this.opts.password));
    }
    const body = await res.text();
    if (res.status === 401) throw new MaError(ErrorCode.DriverReadFailed, `${this.opts.what}: the device refused the credentials (HTTP 401); check username/password`);
    if (res.status < 200 || res.status >= 300) throw new MaError(ErrorCode.DriverReadFailed, `${this.opts.what}: HTTP ${res.status} from ${url.pathname}: ${body.slice(0, 200)}`);
    return { status: res.status, body };
  }

  async json(pathAndQuery: string, init: { method?: 'GET' | 'POST'; json?: unknown; signal?: AbortSignal } = {}): Promise<unknown> {
    const { body } = await this.request(pathAndQuery, init);
    try {
      return JSON.parse(body) as unknown;
    } catch (err) {
      throw new MaError(ErrorCode.DriverBadReading, `${this.opts.what}: the device answered something that is not JSON: ${body.slice(0, 120)}`, { cause: err });
    }
  }
}

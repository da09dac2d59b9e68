import { ErrorCode, MaError, type ErrorResponse } from '@ma/protocol';

export interface ApiClientOptions {
  server: string;
  token?: string;
  fetchImpl?: typeof fetch;
}

/** A thin client of the server's HTTP API; errors become MaErrors with the server's message. */
export class ApiClient {
  constructor(private readonly opts: ApiClientOptions) {}

  async request<T>(method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE', path: string, body?: unknown): Promise<T> {
    const url = new URL(path, this.opts.server.endsWith('/') ? this.opts.server : `${this.opts.server}/`);
    const headers: Record<string, string> = { accept: 'application/json' };
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (this.opts.token) headers.authorization = `Bearer ${this.opts.token}`;
    let res: Response;
    try {
      res = await (this.opts.fetchImpl ?? fetch)(url, { method, headers, ...(body !== undefined ? { body: JSON.stringify(body) } : {}) });
    } catch (e) {
      throw new MaError(ErrorCode.TransportConnectFailed, `cannot reach the server at ${url.origin} (${(e as Error & { cause?: { code?: string } }).cause?.code ?? (e as Error).message}); check --server or MA_SERVER`, { cause: e });
    }
    const text = await res.text();
    let json: unknown;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const err = (json as ErrorResponse | undefined)?.error;
      const code = res.status === 401 ? ErrorCode.AuthRequired : res.status === 403 ? ErrorCode.AuthForbidden : res.status === 404 ? ErrorCode.NotFound : res.status === 409 ? ErrorCode.Conflict : ErrorCode.InputInvalid;
      // The API's own code is shown so it can be looked up in docs/errors.md; a refused token names the flags.
      const detail = err ? `${err.message} (error ${err.code}, see docs/errors.md)` : text.slice(0, 200);
      const hint = res.status === 401 ? '; pass a token with --token <token> or MA_TOKEN (`ma token create`, or the bootstrap MA_ADMIN_TOKEN)' : '';
      throw new MaError(code, `server answered ${res.status}: ${detail}${hint}`);
    }
    return json as T;
  }
}

/**
 * A streamed GET (logs, exports): the response with its body still unread, or the server's
 * error as an MaError of the matching code. `ApiClient.request` buffers JSON; these cannot.
 */
export async function openStream(url: URL, token: string | undefined): Promise<Response & { body: ReadableStream<Uint8Array> }> {
  let res: Response;
  try {
    res = await fetch(url, { headers: token ? { authorization: `Bearer ${token}` } : {} });
  } catch (e) {
    throw new MaError(ErrorCode.TransportConnectFailed, `cannot reach the server at ${url.origin}: ${(e as Error).message}`, { cause: e });
  }
  if (!res.ok || !res.body) {
    const text = await res.text();
    let message = text.slice(0, 200);
    try {
      message = (JSON.parse(text) as { error: { message: string } }).error.message;
    } catch {
      // not JSON
    }
    throw new MaError(res.status === 401 ? ErrorCode.AuthRequired : res.status === 403 ? ErrorCode.AuthForbidden : res.status === 404 ? ErrorCode.NotFound : ErrorCode.InputInvalid, `server answered ${res.status}: ${message}`);
  }
  return res as Response & { body: ReadableStream<Uint8Array> };
}

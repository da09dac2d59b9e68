import http from 'node:http';
import type { Page } from 'playwright-core';
import { TEST_ADMIN_TOKEN } from './processes.js';

/** A raw HTTP answer: status, headers and body text. */
export interface RawResponse {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json<T = unknown>(): T;
}

/**
 * One HTTP request with full control: the source address (`localAddress`, to act as several
 * clients from 127.0.0.x), any headers (cookies, CSRF), and a raw body.
 */
export function request(url: string, opts: { method?: string; headers?: Record<string, string>; body?: string | Buffer; localAddress?: string } = {}): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    // A fresh connection each time (agent: false): a reused one the server just closed would fail the next request.
    const req = http.request(url, { agent: false, method: opts.method ?? 'GET', headers: opts.headers ?? {}, ...(opts.localAddress ? { localAddress: opts.localAddress } : {}) }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body, json: <T>() => JSON.parse(body) as T });
      });
    });
    req.on('error', reject);
    if (opts.body !== undefined) req.end(opts.body);
    else req.end();
  });
}

export const bearer = (token: string = TEST_ADMIN_TOKEN): Record<string, string> => ({ authorization: `Bearer ${token}` });
export const jsonBody = (body: unknown): { headers: Record<string, string>; body: string } => ({ headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) });

/** Creates a user through the API with the bootstrap admin token. */
export async function createUser(serverUrl: string, name: string, password: string, role: 'admin' | 'member' = 'member'): Promise<void> {
  const r = await request(`${serverUrl}/api/v1/users`, { method: 'POST', headers: { ...bearer(), 'content-type': 'application/json' }, body: JSON.stringify({ name, password, role }) });
  if (r.status !== 201) throw new Error(`creating user ${name}: ${r.status} ${r.body}`);
}

export interface Session {
  cookie: string;
  csrf: string;
}

/** Logs in over HTTP; returns the session cookie (name=value) and the CSRF token. */
export async function login(serverUrl: string, name: string, password: string, localAddress?: string): Promise<Session> {
  const r = await request(`${serverUrl}/api/v1/auth/login`, { method: 'POST', ...jsonBody({ name, password }), ...(localAddress ? { localAddress } : {}) });
  if (r.status !== 200) throw new Error(`login ${name}: ${r.status} ${r.body}`);
  const setCookie = String(r.headers['set-cookie']?.[0] ?? '');
  return { cookie: setCookie.split(';')[0]!, csrf: r.json<{ csrf_token: string }>().csrf_token };
}

/**
 * Logs a browser page in as an admin (created on first use), the way a person would: through
 * the login form. Dashboard tests call this before visiting pages.
 */
export async function loginPage(page: Page, serverUrl: string, user = 'dash-admin', password = 'dashboard-admin-password'): Promise<void> {
  const exists = await request(`${serverUrl}/api/v1/users`, { headers: bearer() });
  if (!exists.json<{ users: Array<{ name: string }> }>().users.some((u) => u.name === user)) await createUser(serverUrl, user, password, 'admin');
  await page.goto(`${serverUrl}/login`);
  await page.locator('[data-testid="login-name"]').fill(user);
  await page.locator('[data-testid="login-password"]').fill(password);
  await page.locator('[data-testid="login-submit"]').click();
  await page.waitForURL((u) => !u.pathname.startsWith('/login'));
}

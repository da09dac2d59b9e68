/**
 * The browser's session: who is logged in and the CSRF token the server wants on every
 * state-changing request. The cookie itself is HttpOnly: scripts never see it.
 */
export interface Me {
  user: { id: number; name: string; role: 'admin' | 'member'; totp_enabled: boolean };
  csrf_token: string | null;
  via: string;
}

let csrf: string | null = null;
let me: Me | null = null;

/** Who is logged in (from the last fetchMe), for pages that depend on it (Account, Users). */
export const currentMe = (): Me | null => me;

/** The logged-in user, or null when the server answers 401. */
export async function fetchMe(): Promise<Me | null> {
  const r = await fetch('/api/v1/auth/me', { headers: { accept: 'application/json' } });
  if (r.status === 401) return null;
  if (!r.ok) throw new Error(`GET /api/v1/auth/me: ${r.status}`);
  me = (await r.json()) as Me;
  csrf = me.csrf_token;
  return me;
}

/**
 * Adds the CSRF header to every same-origin request that changes state, so no page has to
 * remember to; a 401 anywhere sends the browser to the login page.
 */
export function installCsrfFetch(): void {
  const original = window.fetch.bind(window);
  window.fetch = async (input: RequestInfo | URL, init: RequestInit = {}) => {
    const method = (init.method ?? (input instanceof Request ? input.method : 'GET')).toUpperCase();
    const url = new URL(input instanceof Request ? input.url : String(input), location.href);
    if (csrf && url.origin === location.origin && !['GET', 'HEAD', 'OPTIONS'].includes(method)) {
      const headers = new Headers(init.headers);
      headers.set('x-csrf-token', csrf);
      init = { ...init, headers };
    }
    const res = await original(input, init);
    if (res.status === 401 && url.origin === location.origin && url.pathname.startsWith('/api/') && !url.pathname.startsWith('/api/v1/auth/')) goToLogin();
    return res;
  };
}

export function goToLogin(): void {
  if (location.pathname === '/login') return;
  location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`);
}

/** JSON request helper for the auth pages; throws the server's message. */
export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const r = await fetch(`/api/v1${path}`, {
    method,
    headers: { accept: 'application/json', ...(body !== undefined ? { 'content-type': 'application/json' } : {}) },
    ...(body !== undefined ? { body: JSON.stringify(body) } : {}),
  });
  const text = await r.text();
  const json: unknown = text ? JSON.parse(text) : undefined;
  if (!r.ok) throw new Error((json as { error?: { message?: string } } | undefined)?.error?.message ?? `${r.status}`);
  return json as T;
}

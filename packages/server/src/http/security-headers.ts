import type { FastifyInstance } from 'fastify';

/**
 * Helmet-like response headers, written by hand (a handful of constants needs no dependency).
 * The dashboard loads only its own scripts and talks only to its own origin; nothing may frame it.
 * Inline styles stay allowed because uPlot and Preact set element styles.
 */
export function registerSecurityHeaders(app: FastifyInstance, opts: { tls: boolean }): void {
  const headers: Record<string, string> = {
    'content-security-policy': [
      "default-src 'self'",
      "script-src 'self'",
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data: blob:",
      "connect-src 'self'",
      "font-src 'self'",
      "object-src 'none'",
      "base-uri 'none'",
      "form-action 'self'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'x-frame-options': 'DENY',
    'referrer-policy': 'no-referrer',
    'cross-origin-opener-policy': 'same-origin',
    'cross-origin-resource-policy': 'same-origin',
    'permissions-policy': 'camera=(), microphone=(), geolocation=(), payment=()',
    'x-permitted-cross-domain-policies': 'none',
  };
  if (opts.tls) headers['strict-transport-security'] = 'max-age=31536000';
  app.addHook('onSend', async (req, reply, payload) => {
    for (const [k, v] of Object.entries(headers)) reply.header(k, v);
    // API answers can carry private data: no cache may keep them.
    if (req.url.startsWith('/api/')) reply.header('cache-control', 'no-store');
    return payload;
  });
}

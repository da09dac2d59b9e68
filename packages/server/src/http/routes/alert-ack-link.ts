import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { HttpContext } from '../context.js';
import { alertsOf } from './alert-rules.js';

const esc = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function page(reply: FastifyReply, status: number, title: string, body: string): FastifyReply {
  return reply
    .status(status)
    .type('text/html; charset=utf-8')
    .header('cache-control', 'no-store')
    .header('referrer-policy', 'no-referrer')
    .send(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width"><title>${esc(title)}</title></head><body><h1>${esc(title)}</h1>${body}</body></html>`);
}

const sameToken = (a: string, b: string): boolean => {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
};

/**
 * The "Acknowledge" link in a notification. The link carries a token that acknowledges that
 * one alert and nothing else, and dies when the alert resolves. Opening the link only shows a
 * form: mail scanners that fetch every link must not acknowledge alerts by themselves, so the
 * acknowledgement is the form's POST. These pages sit outside /api/ (no session, no CSRF token:
 * the token in the form is the credential).
 */
export function registerAlertAckLinkRoutes(app: FastifyInstance, ctx: HttpContext): void {
  void app.register(async (scope) => {
    scope.addContentTypeParser('application/x-www-form-urlencoded', { parseAs: 'string', bodyLimit: 4096 }, (_req, body, done) => {
      done(null, Object.fromEntries(new URLSearchParams(String(body))));
    });
    const hidden = { hide: true };
    const params = { type: 'object', properties: { id: { type: 'integer', minimum: 1, maximum: 2_147_483_647 } }, required: ['id'] } as const;

    const find = async (id: number, token: string | undefined) => {
      const a = await alertsOf(ctx).store.getAlert(id);
      if (!a || !token || !a.ack_token || !sameToken(a.ack_token, token)) return undefined;
      return a;
    };

    scope.get<{ Params: { id: number }; Querystring: { t?: string } }>('/alerts/ack/:id', { schema: { ...hidden, params } }, async (req, reply) => {
      const a = await find(req.params.id, req.query.t);
      if (!a) return page(reply, 404, 'Link not valid', '<p>This acknowledgement link is unknown, or the alert has resolved.</p>');
      if (a.acked_at !== null) return page(reply, 200, 'Already acknowledged', `<p>${esc(a.summary)}</p><p>Acknowledged by ${esc(a.acked_by ?? '?')}.</p>`);
      return page(
        reply,
        200,
        'Acknowledge alert',
        `<p>${esc(a.summary)}</p><form method="post" action="/alerts/ack/${a.id}"><input type="hidden" name="t" value="${esc(req.query.t!)}"><p><label>Your name <input name="by" maxlength="64" required></label></p><p><label>Note <input name="note" maxlength="500"></label></p><p><button type="submit">Acknowledge</button></p></form>`,
      );
    });

    scope.post<{ Params: { id: number }; Body: { t?: string; by?: string; note?: string } }>('/alerts/ack/:id', { schema: { ...hidden, params } }, async (req, reply) => {
      const body = typeof req.body === 'object' && req.body !== null ? req.body : {};
      const a = await find(req.params.id, typeof body.t === 'string' ? body.t : undefined);
      if (!a) return page(reply, 404, 'Link not valid', '<p>This acknowledgement link is unknown, or the alert has resolved.</p>');
      const by = typeof body.by === 'string' && body.by.trim() ? body.by.trim().slice(0, 64) : 'email link';
      const note = typeof body.note === 'string' && body.note.trim() ? body.note.trim().slice(0, 500) : null;
      const ok = await alertsOf(ctx).engine.acknowledge(a.id, `link:${by}`, note);
      await ctx.deps.auth.audit({ actor: `link:${by}`, ip: req.ip, action: 'alert.ack', target: `alert:${a.id}`, outcome: 'ok', reason: note });
      return page(reply, 200, ok ? 'Acknowledged' : 'Already acknowledged', `<p>${esc(a.summary)}</p>`);
    });
  });
}
